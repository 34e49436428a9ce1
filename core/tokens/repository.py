"""SQL of the tokens store."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from core.audience import merged_audience, visible_to
from ocpihub.tokens.v1 import tokens_pb2 as pb
from ocpihub.types.v1 import types_pb2

_WHERE = (
    " WHERE ($1 = '' OR country_code = $1) AND ($2 = '' OR party_id = $2)"
    " AND ($3::timestamptz IS NULL OR last_updated >= $3) AND ($4::timestamptz IS NULL OR last_updated < $4)"
    f" AND {visible_to('$5')}"
)


def type_name(value: types_pb2.TokenType.ValueType) -> str:
    return types_pb2.TokenType.Name(value).removeprefix("TOKEN_TYPE_")


class TokenRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(
        self, country_code: str, party_id: str, uid: str, token_type: str, *, for_update: bool = False
    ) -> pb.Token | None:
        lock = " FOR UPDATE" if for_update else ""
        data = await self._conn.fetchval(
            f"SELECT data FROM tokens WHERE country_code = $1 AND party_id = $2 AND uid_key = $3 AND type = $4{lock}",
            country_code,
            party_id,
            uid.upper(),
            token_type,
        )
        return pb.Token.FromString(data) if data is not None else None

    async def find(self, uid: str, token_type: str, viewer: str = "") -> list[pb.Token]:
        """Every eMSP's token with this uid and type that `viewer` may see, most recently updated first."""
        rows = await self._conn.fetch(
            f"SELECT data FROM tokens WHERE uid_key = $1 AND type = $2 AND {visible_to('$3')}"
            " ORDER BY last_updated DESC",
            uid.upper(),
            token_type,
            viewer,
        )
        return [pb.Token.FromString(row["data"]) for row in rows]

    async def upsert(self, token: pb.Token, addressee: str | None = None) -> None:
        await self._conn.execute(
            "INSERT INTO tokens (country_code, party_id, uid_key, type, data, last_updated, audience)"
            " VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::text IS NULL THEN NULL ELSE ARRAY[$7::text] END)"
            " ON CONFLICT (country_code, party_id, uid_key, type)"
            " DO UPDATE SET data = EXCLUDED.data, last_updated = EXCLUDED.last_updated, update_time = now(),"
            f" audience = {merged_audience('tokens')}",
            token.country_code.upper(),
            token.party_id.upper(),
            token.uid.upper(),
            type_name(token.type),
            token.SerializeToString(deterministic=True),
            token.last_updated.ToDatetime(tzinfo=UTC),
            addressee,
        )

    async def list(
        self,
        country_code: str,
        party_id: str,
        start: datetime | None,
        end: datetime | None,
        *,
        offset: int,
        limit: int,
        viewer: str = "",
    ) -> tuple[list[pb.Token], int]:
        args = [country_code, party_id, start, end, viewer]
        rows = await self._conn.fetch(
            f"SELECT data FROM tokens WHERE seq IN (SELECT seq FROM tokens{_WHERE} ORDER BY seq OFFSET $6 LIMIT $7)"
            " ORDER BY seq",
            *args,
            offset,
            limit,
        )
        total: int = await self._conn.fetchval(f"SELECT count(*) FROM tokens{_WHERE}", *args)
        return [pb.Token.FromString(row["data"]) for row in rows], total
