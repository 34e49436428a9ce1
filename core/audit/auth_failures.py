"""AUTH_FAILED security events without letting a flood of bad tokens flood the table.

One row per (remote address, minute): the first refusal of the minute writes it at once, later ones are counted
in memory and added to its `occurrences` by `flush()` (the core calls it every few seconds). Replicas coalesce
into the same row through its unique key. A token never reaches the row: only the first hex digits of the first
refused token's sha256, which tell two floods apart and are useless to an attacker.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

import asyncpg

from core.audit.repository import AuditRepository
from core.metrics import SECURITY_EVENTS

log = logging.getLogger(__name__)

AUTH_FAILED = "AUTH_FAILED"
# Distinct sources tracked per minute; past this, refusals from further addresses share one row ("*").
MAX_SOURCES = 10_000
_HASH_PREFIX = 8


def token_hash_prefix(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:_HASH_PREFIX]


class AuthFailures:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        # coalesce key → occurrences not yet written.
        self._unwritten: dict[str, int] = {}

    async def record(self, remote_address: str, reason: str, candidate: str, message: str) -> None:
        SECURITY_EVENTS.labels(AUTH_FAILED).inc()
        minute = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
        source = remote_address if len(self._unwritten) < MAX_SOURCES else "*"
        key = f"{AUTH_FAILED}|{source}|{minute}"
        if key in self._unwritten:
            self._unwritten[key] += 1
            return
        self._unwritten[key] = 0
        detail = {"reason": reason, "message": message, "token_sha256_prefix": token_hash_prefix(candidate)}
        await self._write(key, source, detail, 1)

    async def flush(self, *, final: bool = False) -> None:
        """Writes the counted occurrences; forgets the minutes that are over (every minute when `final`)."""
        current = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
        for key, count in list(self._unwritten.items()):
            if count:
                self._unwritten[key] = 0
                await self._write(key, key.split("|")[1], {}, count)
            if final or not key.endswith(current):
                self._unwritten.pop(key, None)

    async def _write(self, key: str, source: str, detail: dict[str, str], occurrences: int) -> None:
        try:
            async with self._pool.acquire() as conn:
                await AuditRepository(conn).record_coalesced(key, AUTH_FAILED, source, detail, occurrences)
        except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
            # The refusal itself stands; losing its audit row must not turn it into an internal error.
            log.warning("cannot record %d auth failure(s) from %s: %s", occurrences, source, type(exc).__name__)
