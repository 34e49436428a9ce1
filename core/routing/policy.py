"""Who receives what (HUB-DIGEST §1.9): broadcast audiences and the receiver of a request addressed to one party."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import asyncpg

from core.errors import FailedPrecondition, NotFound
from core.parties.model import PartyKey, Role
from core.sessions.repository import SessionRepository
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason

# Broadcast Push goes to every connected party of the "opposite role" that implements the module's Receiver.
OPPOSITE_ROLES: dict[Role, tuple[Role, ...]] = {
    Role.CPO: (Role.EMSP, Role.NSP, Role.OTHER),
    Role.EMSP: (Role.CPO,),
    Role.OTHER: (Role.CPO,),
    Role.SCSP: (Role.CPO,),
}


@dataclass(frozen=True, slots=True)
class Receiver:
    platform_id: uuid.UUID
    party: PartyKey


@dataclass(frozen=True, slots=True)
class Route:
    receiver: Receiver
    endpoint_url: str
    token_b_encrypted: bytes
    encode_auth_token: bool


_CONNECTED = "p.state = 'REGISTERED' AND p.suspend_time IS NULL AND pl.state = 'REGISTERED'"


async def broadcast_receivers(conn: asyncpg.Connection, module: str, sender: PartyKey) -> list[Receiver]:
    """Connected parties of the opposite role whose platform has a `module` RECEIVER endpoint (not the sender's)."""
    roles = [str(role) for role in OPPOSITE_ROLES.get(sender.role, ())]
    if not roles:
        return []
    rows = await conn.fetch(
        "SELECT p.country_code, p.party_id, p.role, p.platform_id FROM parties p"
        " JOIN platforms pl ON pl.id = p.platform_id"
        f" WHERE {_CONNECTED} AND p.role = ANY($1::text[])"
        " AND pl.endpoints @> jsonb_build_array(jsonb_build_object('identifier', $2::text, 'role', 'RECEIVER'))"
        " AND pl.id NOT IN (SELECT platform_id FROM parties WHERE country_code = $3 AND party_id = $4 AND role = $5"
        "                   AND platform_id IS NOT NULL)"
        " ORDER BY p.country_code, p.party_id, p.role",
        roles,
        module,
        sender.country_code,
        sender.party_id,
        str(sender.role),
    )
    return [Receiver(r["platform_id"], PartyKey(r["country_code"], r["party_id"], Role(r["role"]))) for r in rows]


async def platform_receivers(
    conn: asyncpg.Connection, module: str, exclude_platform_id: uuid.UUID | None
) -> list[Receiver]:
    """One receiver per connected, reachable platform with a `module` RECEIVER endpoint, for messages about
    platforms rather than to parties (HubClientInfo): the party named is the platform's first connected one.

    Unreachable (OFFLINE) platforms get nothing: they resync by GET when they are back (HUB-DIGEST §1.2).
    """
    rows = await conn.fetch(
        "SELECT DISTINCT ON (pl.id) p.country_code, p.party_id, p.role, p.platform_id FROM parties p"
        " JOIN platforms pl ON pl.id = p.platform_id"
        f" WHERE {_CONNECTED} AND pl.offline_time IS NULL AND pl.id IS DISTINCT FROM $2"
        " AND pl.endpoints @> jsonb_build_array(jsonb_build_object('identifier', $1::text, 'role', 'RECEIVER'))"
        " ORDER BY pl.id, p.country_code, p.party_id, p.role",
        module,
        exclude_platform_id,
    )
    return [Receiver(r["platform_id"], PartyKey(r["country_code"], r["party_id"], Role(r["role"]))) for r in rows]


async def resolve(
    conn: asyncpg.Connection, module: str, interface_role: str, country_code: str, party_id: str
) -> Route:
    """The one party a request addressed by OCPI-to-* headers goes to: 4001 if unknown, 4003 if not reachable."""
    rows = await conn.fetch(
        "SELECT p.country_code, p.party_id, p.role, p.platform_id, p.state, p.suspend_time IS NOT NULL AS suspended,"
        " pl.state AS platform_state, pl.endpoints, pl.token_b_encrypted, pl.encode_auth_token"
        " FROM parties p LEFT JOIN platforms pl ON pl.id = p.platform_id"
        " WHERE p.country_code = $1 AND p.party_id = $2 ORDER BY p.role",
        country_code.upper(),
        party_id.upper(),
    )
    if not rows:
        raise NotFound(
            ErrorReason.ERROR_REASON_UNKNOWN_RECEIVER,
            f"the Hub knows no party {country_code.upper()}/{party_id.upper()}",
        )
    for row in rows:
        if row["state"] != "REGISTERED" or row["suspended"] or row["platform_state"] != "REGISTERED":
            continue
        for endpoint in json.loads(row["endpoints"]):
            if endpoint["identifier"] == module and endpoint["role"] == interface_role:
                party = PartyKey(row["country_code"], row["party_id"], Role(row["role"]))
                return Route(
                    Receiver(row["platform_id"], party),
                    endpoint["url"],
                    row["token_b_encrypted"],
                    row["encode_auth_token"],
                )
    raise FailedPrecondition(
        ErrorReason.ERROR_REASON_RECEIVER_NOT_CONNECTED,
        f"{country_code.upper()}/{party_id.upper()} is not connected, or has no {module} {interface_role} endpoint",
    )


async def session_owner(
    conn: asyncpg.Connection, session_id: str, requester: tuple[str, str], to: tuple[str, str] | None
) -> tuple[str, str]:
    """The CPO of a session an eMSP asks about (STOP_SESSION, charging profiles, charging preferences): the one whose
    stored session of that id has the eMSP's token, among those named by OCPI-to-* if given. A CPO named by OCPI-to-*
    is taken even when the Hub holds no such session: the CPO may know sessions it never pushed to the Hub."""
    sessions = [
        s
        for s in await SessionRepository(conn).find(session_id)
        if (s.cdr_token.country_code.upper(), s.cdr_token.party_id.upper()) == requester
        and (to is None or (s.country_code, s.party_id) == to)
    ]
    if sessions:
        return sessions[0].country_code, sessions[0].party_id
    if to is not None:
        return to
    raise NotFound(ErrorReason.ERROR_REASON_UNKNOWN_SESSION, f"the Hub knows no session {session_id} of yours")


async def owner_receivers(
    conn: asyncpg.Connection, module: str, country_code: str, party_id: str, roles: tuple[Role, ...]
) -> list[Receiver]:
    """The connected party that owns an object's token (e.g. a session's eMSP), if it has a `module` RECEIVER."""
    rows = await conn.fetch(
        "SELECT p.country_code, p.party_id, p.role, p.platform_id FROM parties p"
        " JOIN platforms pl ON pl.id = p.platform_id"
        f" WHERE {_CONNECTED} AND p.country_code = $1 AND p.party_id = $2 AND p.role = ANY($3::text[])"
        " AND pl.endpoints @> jsonb_build_array(jsonb_build_object('identifier', $4::text, 'role', 'RECEIVER'))"
        " ORDER BY p.role",
        country_code.upper(),
        party_id.upper(),
        [str(role) for role in roles],
        module,
    )
    return [Receiver(r["platform_id"], PartyKey(r["country_code"], r["party_id"], Role(r["role"]))) for r in rows][:1]
