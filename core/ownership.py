"""Pushed objects belong to the party in their country_code/party_id, which must be one of the caller's parties."""

from __future__ import annotations

import uuid

import asyncpg

from core.errors import InvalidArgument, PermissionDenied
from core.parties.model import PartyKey, Role
from core.parties.repository import PartyRepository
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason


def platform_id(name: str) -> uuid.UUID:
    try:
        return uuid.UUID(name.removeprefix("platforms/"))
    except ValueError:
        raise InvalidArgument([("caller_platform", f"{name!r} is not of the form platforms/{{id}}")]) from None


async def is_owner(conn: asyncpg.Connection, caller_platform: str, key: PartyKey) -> bool:
    return await PartyRepository(conn).is_active_party_of(platform_id(caller_platform), key)


def not_owner(key: PartyKey) -> PermissionDenied:
    return PermissionDenied(
        ErrorReason.ERROR_REASON_NOT_OWNER,
        f"{key.country_code}/{key.party_id} is not a {key.role} of the calling platform",
    )


def owner_key(country_code: str, party_id: str, role: Role) -> PartyKey:
    return PartyKey(country_code.upper(), party_id.upper(), role)
