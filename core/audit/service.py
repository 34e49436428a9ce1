"""Use cases of the audit logs: list them (operators) and purge what is past retention (R10.5)."""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import datetime, timedelta

import asyncpg

from core.access import Caller
from core.audit.repository import AuditEvent, AuditRepository
from core.errors import InvalidArgument

log = logging.getLogger(__name__)

_MAX_PAGE_SIZE = 500


def page_token(event: AuditEvent) -> str:
    return base64.urlsafe_b64encode(f"{event.event_time.isoformat()}|{event.log}|{event.id}".encode()).decode()


def parse_page_token(token: str) -> tuple[datetime, str, int] | None:
    if not token:
        return None
    try:
        time, log_name, event_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(time), log_name, int(event_id)
    except ValueError:
        raise InvalidArgument([("page_token", "is not a token this service returned")]) from None


class AuditService:
    def __init__(self, pool: asyncpg.Pool, retention: timedelta) -> None:
        self._pool = pool
        self._retention = retention

    async def list(
        self, page_size: int, token: str, *, since: datetime | None, kind: str, log_name: str
    ) -> tuple[list[AuditEvent], str]:
        limit = min(page_size or 100, _MAX_PAGE_SIZE)
        after = parse_page_token(token)
        async with self._pool.acquire() as conn:
            events = await AuditRepository(conn).list(
                since=since, kind=kind.upper(), log=log_name, after=after, limit=limit + 1
            )
        if len(events) <= limit:
            return events, ""
        return events[:limit], page_token(events[limit - 1])

    async def record_admin_action(self, caller: Caller, method: str, outcome: str) -> None:
        """ADMIN_ACTION: who (the person named, else the calling service), through which caller, what, and how it
        ended. Written after the call: a failure to record is logged, and never undoes what the call did."""
        detail = {"actor": caller.actor, "caller": caller.name, "role": str(caller.role), "method": method}
        try:
            async with self._pool.acquire() as conn:
                await AuditRepository(conn).record("ADMIN_ACTION", detail={**detail, "outcome": outcome})
        except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
            log.error("cannot record the admin action %s by %s: %s", method, caller.actor, type(exc).__name__)

    async def purge(self) -> tuple[int, int]:
        """Deletes security and credential events older than the retention period."""
        # No enclosing transaction: each log's delete commits alone, so the purge never holds one table while
        # waiting for the other.
        async with self._pool.acquire() as conn:
            repo = AuditRepository(conn)
            now: datetime = await conn.fetchval("SELECT now()")
            deleted = await repo.purge(now - self._retention)
        if any(deleted):
            log.info("purged %d security and %d credential events past retention", *deleted)
        return deleted

    async def run_purger(self, interval: float) -> None:
        """Every replica purges; the deletes are idempotent, so racing replicas only repeat an empty delete."""
        while True:
            try:
                await self.purge()
            except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
                log.warning("cannot purge the audit logs: %s", type(exc).__name__)
            await asyncio.sleep(interval)
