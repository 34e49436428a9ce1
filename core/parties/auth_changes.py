"""Tells watching facades when a cached authentication answer may have gone stale.

Triggers (migration 0015) notify `hub_auth_changes` on every write to tokens, platforms, parties and limits, from any
core. Each watcher gets READY once the listener is in place, then CHANGED after notifications (coalesced: a watcher
that is slow to read gets one CHANGED for many). While the listener is down nothing can be promised, so every stream
ends and new ones are refused until it is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from enum import Enum

from core.pg_listener import PgListener

CHANNEL = "hub_auth_changes"


class AuthEvent(Enum):
    READY = "READY"
    CHANGED = "CHANGED"


class _Watcher:
    def __init__(self) -> None:
        self.changed = asyncio.Event()
        self.ended = False


class AuthChanges:
    def __init__(self, database_url: str) -> None:
        self._watchers: set[_Watcher] = set()
        # In-process caches (core/directory.py): called on every change and when the listener is lost.
        self._subscribers: list[Callable[[], None]] = []
        self._listener = PgListener(database_url, CHANNEL, self._notified, on_lost=self._lost)

    async def start(self) -> None:
        await self._listener.start()

    async def close(self) -> None:
        await self._listener.close()

    def changed(self) -> None:
        """A change committed in this process: act on it now rather than when PostgreSQL's notification arrives."""
        self._notified("")

    def subscribe(self, forget: Callable[[], None]) -> None:
        self._subscribers.append(forget)

    @property
    def listening(self) -> bool:
        return self._listener.listening

    async def watch(self) -> AsyncIterator[AuthEvent]:
        """READY, then CHANGED after every (coalesced) change; ends when the listener is lost."""
        watcher = _Watcher()
        self._watchers.add(watcher)
        try:
            yield AuthEvent.READY
            while True:
                await watcher.changed.wait()
                if watcher.ended:
                    return
                watcher.changed.clear()
                yield AuthEvent.CHANGED
        finally:
            self._watchers.discard(watcher)

    def _notified(self, _payload: str) -> None:
        self._wake(ended=False)

    def _lost(self) -> None:
        self._wake(ended=True)

    def _wake(self, *, ended: bool) -> None:
        for forget in self._subscribers:
            forget()
        for watcher in self._watchers:
            watcher.ended = watcher.ended or ended
            watcher.changed.set()
