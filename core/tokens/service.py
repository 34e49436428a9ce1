"""Use cases of the tokens store: eMSP PUT/PATCH (stored, broadcast to CPOs) and real-time authorization routing."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from google.protobuf.field_mask_pb2 import FieldMask

from core import ownership
from core.deliveries.model import relay_from_pb
from core.directory import Directory
from core.errors import InvalidArgument, NotFound
from core.parties.model import Role
from core.routing import addressed
from core.tokens.repository import TokenRepository, type_name
from core.writes import CREATED, STALE, UNCHANGED, UPDATED, apply, is_stale
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason
from ocpihub.tokens.v1 import tokens_pb2 as pb
from ocpihub.types.v1 import types_pb2

MAX_PAGE_SIZE = 1000


def decide(token: pb.Token) -> pb.AllowedType.ValueType | None:
    """The answer the Hub may give from its copy (mod_tokens WhitelistType), or None: the eMSP must decide."""
    if token.whitelist in (pb.WHITELIST_TYPE_ALWAYS, pb.WHITELIST_TYPE_ALLOWED):
        return pb.ALLOWED_TYPE_ALLOWED if token.valid else pb.ALLOWED_TYPE_BLOCKED
    return None


class TokensService:
    def __init__(self, pool: asyncpg.Pool, directory: Directory) -> None:
        self._pool = pool
        self._directory = directory

    async def get(self, country_code: str, party_id: str, uid: str, token_type: str) -> pb.Token:
        async with self._pool.acquire() as conn:
            token = await TokenRepository(conn).get(country_code.upper(), party_id.upper(), uid, token_type.upper())
        if token is None:
            raise NotFound(ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"no {token_type} token {uid}")
        return token

    async def list_tokens(
        self,
        country_code: str,
        party_id: str,
        start: datetime | None,
        end: datetime | None,
        offset: int,
        limit: int,
        viewer: str = "",
    ) -> tuple[list[pb.Token], int]:
        async with self._pool.acquire() as conn:
            return await TokenRepository(conn).list(
                country_code.upper(),
                party_id.upper(),
                start,
                end,
                offset=offset,
                limit=min(limit, MAX_PAGE_SIZE),
                viewer=viewer.upper(),
            )

    async def update(
        self,
        incoming: pb.Token,
        mask: FieldMask | None,
        allow_missing: bool,
        caller_platform: str,
        relay: deliveries_pb2.Message,
    ) -> tuple[pb.Token, types_pb2.WriteResult.ValueType, addressed.Queued]:
        if not incoming.uid:
            raise InvalidArgument([("uid", "is required")])
        if incoming.type == types_pb2.TOKEN_TYPE_UNSPECIFIED:
            incoming.type = types_pb2.TOKEN_TYPE_RFID  # OCPI: no type means RFID
        owner = ownership.owner_key(incoming.country_code, incoming.party_id, Role.EMSP)
        async with self._pool.acquire() as conn, conn.transaction():
            await self._directory.require_owner(conn, caller_platform, owner)
            repo = TokenRepository(conn)
            stored = await repo.get(
                owner.country_code, owner.party_id, incoming.uid, type_name(incoming.type), for_update=True
            )
            if stored is None and (mask is not None or not allow_missing):
                raise NotFound(
                    ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND,
                    f"unknown token {incoming.uid}: PUT it before patching it",
                )
            if stored is not None and is_stale(stored, incoming):
                return stored, STALE, addressed.Queued(0)
            token = apply(stored, incoming, mask)
            if stored is not None and token == stored:
                return stored, UNCHANGED, addressed.Queued(0)
            await repo.upsert(token, addressed.addressee(relay))
            object_key = f"tokens/{owner.country_code}/{owner.party_id}/{incoming.uid.upper()}/{type_name(token.type)}"
            queued = await addressed.enqueue(
                conn,
                relay,
                relay_from_pb(relay, owner, object_key),
                lambda: self._directory.broadcast_receivers(conn, "tokens", owner),
            )
            return token, CREATED if stored is None else UPDATED, queued

    async def route_authorization(
        self, uid: str, token_type: str, viewer: str = ""
    ) -> tuple[pb.Token, pb.AllowedType.ValueType | None]:
        async with self._pool.acquire() as conn:
            found = await TokenRepository(conn).find(uid, token_type, viewer.upper())
        if not found:
            raise NotFound(ErrorReason.ERROR_REASON_UNKNOWN_TOKEN, f"no eMSP has a {token_type} token {uid}")
        return found[0], decide(found[0])
