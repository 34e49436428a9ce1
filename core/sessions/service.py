"""Use cases of the sessions store: CPO PUT/PATCH (stored, then relayed to the token's eMSP only) and reads.

OCPI: a PATCH's charging_periods are appended to the stored ones, a PUT's replace them (HUB-DIGEST §3.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from google.protobuf.field_mask_pb2 import FieldMask

from core import metrics, ownership
from core.deliveries.model import relay_from_pb
from core.directory import Directory
from core.errors import InvalidArgument, NotFound
from core.events.model import Kind, party_of
from core.events.repository import emit
from core.parties.model import Role
from core.routing import addressed
from core.sessions.repository import SessionFilter, SessionRepository
from core.sessions.rules import check_session
from core.writes import CREATED, STALE, UNCHANGED, UPDATED, apply, is_stale
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason
from ocpihub.sessions.v1 import sessions_pb2 as pb
from ocpihub.types.v1 import types_pb2

MAX_PAGE_SIZE = 1000
_ENDED = (pb.SESSION_STATUS_COMPLETED, pb.SESSION_STATUS_INVALID)
# Who owns a session's token and so receives it: eMSPs (and OTHER platforms acting as one).
TOKEN_OWNER_ROLES = (Role.EMSP, Role.OTHER)


def apply_session(stored: pb.Session | None, incoming: pb.Session, mask: FieldMask | None) -> pb.Session:
    if stored is None or mask is None or "charging_periods" not in mask.paths:
        return apply(stored, incoming, mask)
    result = apply(stored, incoming, FieldMask(paths=[p for p in mask.paths if p != "charging_periods"]))
    result.charging_periods.extend(incoming.charging_periods)
    return result


@dataclass(frozen=True, slots=True)
class SessionWrite:
    session: pb.Session
    result: types_pb2.WriteResult.ValueType
    queued: addressed.Queued
    flags: list[str]


class SessionsService:
    def __init__(self, pool: asyncpg.Pool, directory: Directory) -> None:
        self._pool = pool
        self._directory = directory

    async def get(self, country_code: str, party_id: str, session_id: str) -> tuple[pb.Session, list[str]]:
        async with self._pool.acquire() as conn:
            found = await SessionRepository(conn).get_with_flags(country_code.upper(), party_id.upper(), session_id)
        if found is None:
            raise NotFound(
                ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"no session {country_code}/{party_id}/{session_id}"
            )
        return found

    async def list_sessions(self, f: SessionFilter, *, offset: int, limit: int) -> tuple[list[pb.Session], int]:
        async with self._pool.acquire() as conn:
            return await SessionRepository(conn).list(f, offset=offset, limit=min(limit, MAX_PAGE_SIZE))

    async def update(
        self,
        incoming: pb.Session,
        mask: FieldMask | None,
        allow_missing: bool,
        caller_platform: str,
        relay: deliveries_pb2.Message,
    ) -> SessionWrite:
        if not incoming.id:
            raise InvalidArgument([("id", "is required")])
        owner = ownership.owner_key(incoming.country_code, incoming.party_id, Role.CPO)
        async with self._pool.acquire() as conn, conn.transaction():
            await self._directory.require_owner(conn, caller_platform, owner)
            repo = SessionRepository(conn)
            found = await repo.get_with_flags(owner.country_code, owner.party_id, incoming.id, for_update=True)
            stored, flags = found if found is not None else (None, [])
            if stored is None and (mask is not None or not allow_missing):
                raise NotFound(
                    ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND,
                    f"unknown session {owner.country_code}/{owner.party_id}/{incoming.id}: PUT it before patching it",
                )
            if stored is not None and is_stale(stored, incoming):
                return SessionWrite(stored, STALE, addressed.Queued(0), flags)
            session = apply_session(stored, incoming, mask)
            if stored is not None and session == stored:
                return SessionWrite(stored, UNCHANGED, addressed.Queued(0), flags)
            if not session.cdr_token.country_code or not session.cdr_token.party_id:
                raise InvalidArgument([("cdr_token", "is required: it names the eMSP the session belongs to")])
            written = len(incoming.charging_periods)
            new_flags = metrics.count_rules(owner, lambda: check_session(stored, session, written))
            flags = sorted({*flags, *new_flags.flags})
            await repo.upsert(session, flags, addressed.addressee(relay))
            await _tell(conn, stored, session)
            object_key = f"sessions/{owner.country_code}/{owner.party_id}/{incoming.id.upper()}"
            queued = await addressed.enqueue(
                conn,
                relay,
                relay_from_pb(relay, owner, object_key),
                lambda: self._directory.owner_receivers(
                    conn, "sessions", session.cdr_token.country_code, session.cdr_token.party_id, TOKEN_OWNER_ROLES
                ),
            )
        metrics.count_flags(owner, new_flags)
        metrics.observe_session_end(stored, session)
        if stored is None:
            metrics.SESSIONS_CREATED.inc()
        return SessionWrite(session, CREATED if stored is None else UPDATED, queued, flags)


async def _tell(conn: asyncpg.Connection, stored: pb.Session | None, session: pb.Session) -> None:
    """STARTED when the Hub first hears of a session, ENDED when it turns COMPLETED or INVALID, else UPDATED."""
    if stored is None:
        kind = Kind.SESSION_STARTED
    elif session.status in _ENDED and stored.status not in _ENDED:
        kind = Kind.SESSION_ENDED
    else:
        kind = Kind.SESSION_UPDATED
    party = party_of(session.country_code, session.party_id)
    await emit(
        conn,
        kind,
        party,
        f"sessions/{party}/{session.id}",
        session_id=session.id,
        status=pb.SessionStatus.Name(session.status).removeprefix("SESSION_STATUS_"),
        kwh=session.kwh,
        emsp=party_of(session.cdr_token.country_code, session.cdr_token.party_id),
    )
