"""Use cases of the event stream: replay from a cursor then follow, on any replica; purge past retention.

A stream wakes when any replica commits events (LISTEN/NOTIFY) and polls every `poll_seconds` besides: a
notification lost while the listener reconnects, or a transaction that held the horizon back and ended without
writing events (so without notifying), is caught by the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg

from core.events.model import Cursor, Event, Filters
from core.events.repository import CHANNEL, EventRepository
from core.pg_listener import PgListener

log = logging.getLogger(__name__)

_PAGE = 500
_PURGE_BATCH = 1000
_END_POLL_SECONDS = 0.05
_GATHER_SECONDS = 0.05


class EventsService:
    def __init__(
        self, pool: asyncpg.Pool, database_url: str, retention: timedelta, *, poll_seconds: float = 1.0
    ) -> None:
        self._pool = pool
        self._retention = retention
        self._poll_seconds = poll_seconds
        self._listener = PgListener(database_url, CHANNEL, self._committed, on_restored=self._committed)
        self._waiters: set[asyncio.Event] = set()
        self.closed = False

    async def start(self) -> None:
        await self._listener.start()

    async def close(self) -> None:
        self.closed = True
        await self._listener.close()
        self._committed()  # followers end now rather than hold the server's graceful stop

    def _committed(self, _payload: str = "") -> None:
        for waiter in self._waiters:
            waiter.set()

    async def stream(self, after: Cursor, filters: Filters, *, follow: bool) -> AsyncIterator[Event]:
        """The events after `after` in stream order; with `follow`, then every new one as it becomes final.

        Without `follow`: every event committed before the call, so it waits for the transactions running at the
        call to end (their events come first in the order, and must not be left out of "what there is")."""
        position = after
        until: int | None = None
        if not follow:
            async with self._pool.acquire() as conn:
                until = await EventRepository(conn).next_xid()
        while True:
            # Registered before reading: a commit during the read wakes the next wait instead of being missed.
            wake = asyncio.Event()
            self._waiters.add(wake)
            try:
                async with self._pool.acquire() as conn:
                    repo = EventRepository(conn)
                    horizon = await repo.horizon()
                    page = await repo.read(position, horizon, filters, _PAGE)
                for event in page:
                    yield event
                if page:
                    position = page[-1].cursor
                if len(page) == _PAGE:
                    continue
                # Everything below the horizon was read: later reads need not scan the filtered-out rows again.
                position = max(position, Cursor(horizon, 0))
                if self.closed or (until is not None and horizon >= until):
                    return
                with contextlib.suppress(TimeoutError):
                    # Waiting for transactions to end (which may have written no events, so notify nobody) is short.
                    async with asyncio.timeout(self._poll_seconds if until is None else _END_POLL_SECONDS):
                        await wake.wait()
                    # Woken by a commit: in a status storm more follow at once, and one read takes them all (a read
                    # per commit and follower would cost more than the writes).
                    await asyncio.sleep(_GATHER_SECONDS)
            finally:
                self._waiters.discard(wake)

    async def purge(self) -> int:
        """Deletes events older than the retention, in small batches so no delete holds many rows locked."""
        deleted = 0
        async with self._pool.acquire() as conn:
            repo = EventRepository(conn)
            now: datetime = await conn.fetchval("SELECT now()")
            while True:
                batch = await repo.purge(now - self._retention, _PURGE_BATCH)
                deleted += batch
                if batch < _PURGE_BATCH:
                    break
        if deleted:
            log.info("purged %d events past retention", deleted)
        return deleted

    async def run_purger(self, interval: float) -> None:
        """Every replica purges; racing replicas only repeat a delete that finds less or nothing."""
        while True:
            try:
                await self.purge()
            except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
                log.warning("cannot purge the event stream: %s", type(exc).__name__)
            await asyncio.sleep(interval)
