"""Retention of the outbox: delivered messages are purged after HUB_DELIVERY_RETENTION_SECONDS, in small batches.

Dead letters stay until an operator re-drives or discards them (`hubctl deliveries discard`); a discarded one is purged
like a delivered one, the retention counted from the discard. Pending messages are never touched.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import asyncpg

from core.deliveries.repository import DeliveryRepository
from core.metrics import DELIVERY_PURGED

log = logging.getLogger(__name__)

# Rows per DELETE: each statement is its own short transaction, a few milliseconds of work.
BATCH = 1000
# Between batches the purge lets go of its connection for a moment, so the delivery path never queues behind it.
PAUSE_SECONDS = 0.05


class DeliveryPurger:
    def __init__(self, pool: asyncpg.Pool, retention: timedelta, *, batch: int = BATCH) -> None:
        self._pool = pool
        self._retention = retention
        self._batch = batch

    async def purge(self, *, pause: float = PAUSE_SECONDS) -> int:
        """Deletes every delivery delivered (or discarded) longer than the retention ago, `batch` rows per statement."""
        before: datetime = await self._pool.fetchval("SELECT now() - $1::interval", self._retention)
        total = 0
        for state in ("DELIVERED", "DISCARDED"):
            while True:
                # Acquired per batch and outside any transaction: every DELETE commits on its own.
                async with self._pool.acquire() as conn:
                    deleted = await DeliveryRepository(conn).purge_delivered(before, self._batch, state)
                total += deleted
                DELIVERY_PURGED.inc(deleted)
                if deleted < self._batch:
                    break
                await asyncio.sleep(pause)
        if total:
            log.info("purged %d delivered deliveries past retention (%s)", total, self._retention)
        return total

    async def run(self, interval: float) -> None:
        """Every replica purges; racing replicas skip each other's rows (SKIP LOCKED) and never delete one twice."""
        while True:
            try:
                await self.purge()
            except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
                log.warning("cannot purge delivered deliveries: %s", type(exc).__name__)
            await asyncio.sleep(interval)
