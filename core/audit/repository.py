"""SQL of the audit logs: security_events (written here) and credential_events (written by the parties aggregate)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from core.parties.model import PartyKey

SECURITY, CREDENTIALS = "SECURITY", "CREDENTIALS"

# Both logs in one shape, newest first; `log` tells them apart (and orders ties with the id).
_UNION = (
    "SELECT * FROM ("
    " SELECT 'SECURITY' AS log, id, event_time, kind, country_code, party_id, role, platform_id, remote_address,"
    "  detail, occurrences, last_time FROM security_events"
    " UNION ALL"
    " SELECT 'CREDENTIALS', id, event_time, event, country_code, party_id, role, platform_id, '', detail, 1,"
    "  event_time FROM credential_events"
    ") e"
)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    log: str
    id: int
    event_time: datetime
    kind: str
    party: str
    platform: str
    remote_address: str
    detail: dict[str, Any] = field(default_factory=dict)
    occurrences: int = 1
    last_time: datetime | None = None


def _from_row(row: asyncpg.Record) -> AuditEvent:
    party = f"parties/{row['country_code']}/{row['party_id']}/{row['role']}" if row["role"] else ""
    return AuditEvent(
        log=row["log"],
        id=row["id"],
        event_time=row["event_time"],
        kind=row["kind"],
        party=party,
        platform=f"platforms/{row['platform_id']}" if row["platform_id"] else "",
        remote_address=row["remote_address"],
        detail=json.loads(row["detail"]),
        occurrences=row["occurrences"],
        last_time=row["last_time"],
    )


class AuditRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record(
        self,
        kind: str,
        *,
        key: PartyKey | None = None,
        platform_id: uuid.UUID | None = None,
        remote_address: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO security_events (kind, country_code, party_id, role, platform_id, remote_address, detail)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            kind,
            key.country_code if key else None,
            key.party_id if key else None,
            str(key.role) if key else None,
            platform_id,
            remote_address,
            json.dumps(detail or {}),
        )

    async def record_coalesced(
        self, coalesce_key: str, kind: str, remote_address: str, detail: dict[str, Any], occurrences: int
    ) -> None:
        """One row per coalesce key: the first occurrence inserts it (with its detail), later ones only count."""
        await self._conn.execute(
            "INSERT INTO security_events (kind, remote_address, detail, occurrences, coalesce_key)"
            " VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (coalesce_key) DO UPDATE SET"
            "  occurrences = security_events.occurrences + EXCLUDED.occurrences, last_time = now()",
            kind,
            remote_address,
            json.dumps(detail),
            occurrences,
            coalesce_key,
        )

    async def list(
        self, *, since: datetime | None, kind: str, log: str, after: tuple[datetime, str, int] | None, limit: int
    ) -> list[AuditEvent]:
        conditions: list[str] = []
        args: list[object] = []
        for column, value in (("event_time >=", since), ("kind =", kind or None), ("log =", log or None)):
            if value is not None:
                args.append(value)
                conditions.append(f"{column} ${len(args)}")
        if after is not None:
            args += after
            n = len(args)
            conditions.append(f"(event_time, log, id) < (${n - 2}, ${n - 1}, ${n})")
        args.append(limit)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = await self._conn.fetch(
            f"{_UNION}{where} ORDER BY event_time DESC, log DESC, id DESC LIMIT ${len(args)}", *args
        )
        return [_from_row(row) for row in rows]

    async def purge(self, before: datetime) -> tuple[int, int]:
        """Deletes both logs' events older than `before`; returns (security, credential) rows deleted."""
        security = await self._conn.execute("DELETE FROM security_events WHERE event_time < $1", before)
        credential = await self._conn.execute("DELETE FROM credential_events WHERE event_time < $1", before)
        return int(security.split()[-1]), int(credential.split()[-1])
