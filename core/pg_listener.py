"""One LISTEN connection to PostgreSQL that survives restarts.

A restart drops the connection and every notification sent meanwhile: `on_lost` says so at once (asyncpg's
termination callback, else the next watchdog check), and `on_restored` runs after reconnecting, so the owner can
assume it missed something.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0


class PgListener:
    def __init__(
        self,
        database_url: str,
        channel: str,
        on_notify: Callable[[str], None],
        *,
        on_lost: Callable[[], None] = lambda: None,
        on_restored: Callable[[], None] = lambda: None,
    ) -> None:
        self._database_url = database_url
        self._channel = channel
        self._on_notify = on_notify
        self._on_lost = on_lost
        self._on_restored = on_restored
        self._connection: asyncpg.Connection | None = None
        self._watchdog: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def start(self) -> None:
        await self._listen()
        self._watchdog = asyncio.create_task(self._keep_listening(), name=f"listener-{self._channel}")

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._on_lost()

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._database_url)
        await connection.add_listener(self._channel, self._notified)
        connection.add_termination_listener(self._terminated)
        self._connection = connection

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self._on_notify(payload)

    def _terminated(self, _connection: object) -> None:
        self._on_lost()

    async def _keep_listening(self) -> None:
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            if self.listening:
                continue
            self._on_lost()
            try:
                await self._listen()
            except Exception as exc:  # any failure means "still down"; try again at the next check
                log.info("%s listener still disconnected: %s", self._channel, type(exc).__name__)
                continue
            log.info("%s listener reconnected", self._channel)
            self._on_restored()
