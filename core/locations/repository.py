"""SQL of the locations store: the aggregate as protobuf bytes plus the columns that filters and counts need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from core.audience import merged_audience, visible_to
from ocpihub.locations.v1 import locations_pb2 as pb


@dataclass(frozen=True, slots=True)
class LocationFilter:
    country_code: str = ""
    party_id: str = ""
    last_updated_from: datetime | None = None
    last_updated_to: datetime | None = None
    evse_status: str = ""
    city: str = ""
    country: str = ""
    # (min_lat, min_lon, max_lat, max_lon)
    bounds: tuple[Decimal, Decimal, Decimal, Decimal] | None = None
    published_only: bool = False
    location_id: str = ""
    # "CC/PID" of the party asking: locations addressed to other parties alone are left out ("": all of them).
    viewer: str = ""


_WHERE = (
    " WHERE ($1 = '' OR country_code = $1) AND ($2 = '' OR party_id = $2)"
    " AND ($3::timestamptz IS NULL OR last_updated >= $3) AND ($4::timestamptz IS NULL OR last_updated < $4)"
    " AND ($5 = '' OR $5 = ANY(evse_statuses)) AND ($6 = '' OR lower(city) = lower($6)) AND ($7 = '' OR country = $7)"
    " AND ($8::numeric IS NULL OR (latitude BETWEEN $8 AND $10 AND longitude BETWEEN $9 AND $11))"
    " AND (NOT $12 OR publish) AND ($13 = '' OR id_key = upper($13))"
    f" AND {visible_to('$14')}"
)


def _filter_args(f: LocationFilter) -> list[object]:
    bounds = f.bounds or (None, None, None, None)
    return [
        f.country_code,
        f.party_id,
        f.last_updated_from,
        f.last_updated_to,
        f.evse_status,
        f.city,
        f.country,
        *bounds,
        f.published_only,
        f.location_id,
        f.viewer,
    ]


# (country_code, party_id, location id_key, EVSE uid, status, when the CPO reported it)
StatusRow = tuple[str, str, str, str, str, datetime]


def evse_statuses(location: pb.Location) -> list[str]:
    return [pb.EvseStatus.Name(evse.status).removeprefix("EVSE_STATUS_") for evse in location.evses]


class LocationRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(self, country_code: str, party_id: str, location_id: str) -> pb.Location | None:
        data = await self._conn.fetchval(
            "SELECT data FROM locations WHERE country_code = $1 AND party_id = $2 AND id_key = $3",
            country_code,
            party_id,
            location_id.upper(),
        )
        return pb.Location.FromString(data) if data is not None else None

    async def get_many(self, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], pb.Location]:
        """Locations by (country_code, party_id, id_key), locked for update in key order."""
        if not keys:
            return {}
        rows = await self._conn.fetch(
            "SELECT country_code, party_id, id_key, data FROM locations"
            " WHERE (country_code, party_id, id_key) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))"
            " ORDER BY country_code, party_id, id_key FOR UPDATE",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
        )
        return {(r["country_code"], r["party_id"], r["id_key"]): pb.Location.FromString(r["data"]) for r in rows}

    async def record_statuses(self, rows: list[StatusRow]) -> None:
        """One statement for a whole batch's status changes: this is the hot path of a status storm."""
        if rows:
            await self._conn.execute(
                "INSERT INTO evse_status_history (country_code, party_id, location_id, evse_uid, status, reported_at)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])",
                *(list(column) for column in zip(*rows, strict=True)),
            )

    async def find(self, location_id: str) -> list[pb.Location]:
        """Every CPO's location with this id (ids are unique per CPO only)."""
        rows = await self._conn.fetch("SELECT data FROM locations WHERE id_key = $1 ORDER BY seq", location_id.upper())
        return [pb.Location.FromString(row["data"]) for row in rows]

    async def upsert(self, location: pb.Location) -> None:
        await self.upsert_many([(location, None)])

    async def upsert_many(self, locations: list[tuple[pb.Location, list[str] | None]]) -> None:
        """Each location with the parties its writes were addressed to (None: one was sent to the Hub)."""
        if not locations:
            return
        await self._conn.executemany(
            "INSERT INTO locations (country_code, party_id, id_key, data, last_updated, publish, city, country,"
            " latitude, longitude, evse_statuses, audience) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            " ON CONFLICT (country_code, party_id, id_key) DO UPDATE SET data = EXCLUDED.data,"
            " last_updated = EXCLUDED.last_updated, publish = EXCLUDED.publish, city = EXCLUDED.city,"
            " country = EXCLUDED.country, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,"
            f" evse_statuses = EXCLUDED.evse_statuses, update_time = now(), audience = {merged_audience('locations')}",
            [
                (
                    location.country_code.upper(),
                    location.party_id.upper(),
                    location.id.upper(),
                    location.SerializeToString(deterministic=True),
                    location.last_updated.ToDatetime(tzinfo=UTC),
                    location.publish,
                    location.city,
                    location.country,
                    Decimal(location.coordinates.latitude or "0"),
                    Decimal(location.coordinates.longitude or "0"),
                    evse_statuses(location),
                    audience,
                )
                for location, audience in locations
            ],
        )

    async def list(self, f: LocationFilter, *, offset: int, limit: int) -> tuple[list[pb.Location], int]:
        rows = await self._conn.fetch(
            "SELECT data FROM locations WHERE seq IN"
            f" (SELECT seq FROM locations{_WHERE} ORDER BY seq OFFSET $15 LIMIT $16) ORDER BY seq",
            *_filter_args(f),
            offset,
            limit,
        )
        return [pb.Location.FromString(row["data"]) for row in rows], await self.count(f)

    async def count(self, f: LocationFilter) -> int:
        value: int = await self._conn.fetchval(f"SELECT count(*) FROM locations{_WHERE}", *_filter_args(f))
        return value

    async def status_totals(self, f: LocationFilter) -> dict[str, int]:
        rows = await self._conn.fetch(
            f"SELECT status, count(*) AS n FROM locations, unnest(evse_statuses) AS status{_WHERE} GROUP BY status",
            *_filter_args(f),
        )
        return {row["status"]: row["n"] for row in rows}
