"""SQL of the sessions store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from core.audience import merged_audience
from ocpihub.sessions.v1 import sessions_pb2 as pb


@dataclass(frozen=True, slots=True)
class SessionFilter:
    country_code: str = ""
    party_id: str = ""
    last_updated_from: datetime | None = None
    last_updated_to: datetime | None = None
    # (country_code, party_id) of the eMSP that owns the tokens.
    token_owner: tuple[str, str] | None = None
    # Support filters (hubctl sessions list): one location, one status ("ACTIVE").
    location_id: str = ""
    status: str = ""


_WHERE = (
    " WHERE ($1 = '' OR country_code = $1) AND ($2 = '' OR party_id = $2)"
    " AND ($3::timestamptz IS NULL OR last_updated >= $3) AND ($4::timestamptz IS NULL OR last_updated < $4)"
    # An eMSP sees the sessions of its tokens, except those the CPO addressed to another party alone, and those
    # addressed to it.
    " AND ($5::text IS NULL OR (audience IS NULL AND token_country_code = $5 AND token_party_id = $6)"
    " OR $5 || '/' || $6 = ANY(audience))"
    " AND ($7 = '' OR upper(location_id) = upper($7)) AND ($8 = '' OR status = $8)"
)


def _args(f: SessionFilter) -> list[object]:
    owner = f.token_owner or (None, None)
    return [f.country_code, f.party_id, f.last_updated_from, f.last_updated_to, *owner, f.location_id, f.status]


class SessionRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(self, country_code: str, party_id: str, session_id: str) -> pb.Session | None:
        found = await self.get_with_flags(country_code, party_id, session_id)
        return found[0] if found is not None else None

    async def get_with_flags(
        self, country_code: str, party_id: str, session_id: str, *, for_update: bool = False
    ) -> tuple[pb.Session, list[str]] | None:
        """The session and the flags its writes earned (core/sessions/rules.py)."""
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT data, flags FROM sessions WHERE country_code = $1 AND party_id = $2 AND id_key = $3{lock}",
            country_code,
            party_id,
            session_id.upper(),
        )
        return (pb.Session.FromString(row["data"]), list(row["flags"])) if row is not None else None

    async def find(self, session_id: str) -> list[pb.Session]:
        """Every CPO's session with this id (ids are unique per CPO only)."""
        rows = await self._conn.fetch("SELECT data FROM sessions WHERE id_key = $1", session_id.upper())
        return [pb.Session.FromString(row["data"]) for row in rows]

    async def upsert(self, session: pb.Session, flags: list[str], addressee: str | None = None) -> None:
        await self._conn.execute(
            "INSERT INTO sessions (country_code, party_id, id_key, data, last_updated, token_country_code,"
            " token_party_id, status, location_id, start_date_time, kwh, flags, audience)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $13::text IS NULL THEN NULL"
            " ELSE ARRAY[$13::text] END)"
            " ON CONFLICT (country_code, party_id, id_key) DO UPDATE SET data = EXCLUDED.data,"
            " last_updated = EXCLUDED.last_updated, token_country_code = EXCLUDED.token_country_code,"
            " token_party_id = EXCLUDED.token_party_id, status = EXCLUDED.status, location_id = EXCLUDED.location_id,"
            " start_date_time = EXCLUDED.start_date_time, kwh = EXCLUDED.kwh, flags = EXCLUDED.flags,"
            " update_time = now(),"
            f" audience = {merged_audience('sessions')}",
            session.country_code.upper(),
            session.party_id.upper(),
            session.id.upper(),
            session.SerializeToString(deterministic=True),
            session.last_updated.ToDatetime(tzinfo=UTC),
            session.cdr_token.country_code.upper(),
            session.cdr_token.party_id.upper(),
            pb.SessionStatus.Name(session.status).removeprefix("SESSION_STATUS_"),
            session.location_id,
            session.start_date_time.ToDatetime(tzinfo=UTC),
            Decimal(session.kwh or "0"),
            flags,
            addressee,
        )

    async def list(self, f: SessionFilter, *, offset: int, limit: int) -> tuple[list[pb.Session], int]:
        rows = await self._conn.fetch(
            f"SELECT data FROM sessions WHERE seq IN (SELECT seq FROM sessions{_WHERE}"
            " ORDER BY seq OFFSET $9 LIMIT $10) ORDER BY seq",
            *_args(f),
            offset,
            limit,
        )
        total: int = await self._conn.fetchval(f"SELECT count(*) FROM sessions{_WHERE}", *_args(f))
        return [pb.Session.FromString(row["data"]) for row in rows], total
