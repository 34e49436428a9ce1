"""SQL of the tariffs store."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from core.audience import merged_audience, visible_to
from ocpihub.tariffs.v1 import tariffs_pb2 as pb

_WHERE = (
    " WHERE delete_time IS NULL AND ($1 = '' OR country_code = $1) AND ($2 = '' OR party_id = $2)"
    " AND ($3::timestamptz IS NULL OR last_updated >= $3) AND ($4::timestamptz IS NULL OR last_updated < $4)"
    f" AND {visible_to('$5')}"
)


class TariffRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(
        self, country_code: str, party_id: str, tariff_id: str, *, for_update: bool = False, deleted: bool = False
    ) -> pb.Tariff | None:
        lock = " FOR UPDATE" if for_update else ""
        alive = "" if deleted else " AND delete_time IS NULL"
        data = await self._conn.fetchval(
            f"SELECT data FROM tariffs WHERE country_code = $1 AND party_id = $2 AND id_key = $3{alive}{lock}",
            country_code,
            party_id,
            tariff_id.upper(),
        )
        return pb.Tariff.FromString(data) if data is not None else None

    async def get_with_audience(
        self, country_code: str, party_id: str, tariff_id: str
    ) -> tuple[pb.Tariff, tuple[str, ...] | None] | None:
        """A tariff, deleted ones included, and who it was addressed to ("CC/PID"s; None: everyone)."""
        row = await self._conn.fetchrow(
            "SELECT data, audience FROM tariffs WHERE country_code = $1 AND party_id = $2 AND id_key = $3",
            country_code,
            party_id,
            tariff_id.upper(),
        )
        if row is None:
            return None
        audience = tuple(row["audience"]) if row["audience"] is not None else None
        return pb.Tariff.FromString(row["data"]), audience

    async def upsert(self, tariff: pb.Tariff, addressee: str | None = None) -> None:
        await self._conn.execute(
            "INSERT INTO tariffs (country_code, party_id, id_key, data, last_updated, audience)"
            " VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::text IS NULL THEN NULL ELSE ARRAY[$6::text] END)"
            " ON CONFLICT (country_code, party_id, id_key) DO UPDATE SET data = EXCLUDED.data,"
            " last_updated = EXCLUDED.last_updated, delete_time = NULL, update_time = now(),"
            f" audience = {merged_audience('tariffs', gone='tariffs.delete_time IS NOT NULL')}",
            tariff.country_code.upper(),
            tariff.party_id.upper(),
            tariff.id.upper(),
            tariff.SerializeToString(deterministic=True),
            tariff.last_updated.ToDatetime(tzinfo=UTC),
            addressee,
        )

    async def delete(self, country_code: str, party_id: str, tariff_id: str) -> None:
        await self._conn.execute(
            "UPDATE tariffs SET delete_time = now(), update_time = now()"
            " WHERE country_code = $1 AND party_id = $2 AND id_key = $3",
            country_code,
            party_id,
            tariff_id.upper(),
        )

    async def list(
        self,
        *,
        country_code: str,
        party_id: str,
        last_updated_from: datetime | None,
        last_updated_to: datetime | None,
        offset: int,
        limit: int,
        viewer: str = "",
    ) -> tuple[list[pb.Tariff], int]:
        args = [country_code, party_id, last_updated_from, last_updated_to, viewer]
        rows = await self._conn.fetch(
            f"SELECT data FROM tariffs WHERE seq IN (SELECT seq FROM tariffs{_WHERE} ORDER BY seq OFFSET $6 LIMIT $7)"
            " ORDER BY seq",
            *args,
            offset,
            limit,
        )
        total: int = await self._conn.fetchval(f"SELECT count(*) FROM tariffs{_WHERE}", *args)
        return [pb.Tariff.FromString(row["data"]) for row in rows], total
