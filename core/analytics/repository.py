"""SQL of the analytics figures: aggregates over CDRs (completed sessions) and the EVSEs of stored locations."""

from __future__ import annotations

from datetime import datetime

import asyncpg

# The row key of each grouping, computed from a CDR row `c` (day in the requested time zone, $5).
KEYS = {
    "PARTY": "c.country_code || '/' || c.party_id",
    "LOCATION": "c.country_code || '/' || c.party_id || '/' || c.location_id",
    "DAY": "to_char((c.end_date_time AT TIME ZONE $5)::date, 'YYYY-MM-DD')",
}
_CDRS = (
    " FROM cdrs c WHERE c.end_date_time >= $1 AND c.end_date_time < $2"
    " AND ($3 = '' OR (c.country_code = $3 AND c.party_id = $4))"
    # Every grouping takes the time zone, whether or not its key uses it.
    " AND $5::text IS NOT NULL"
)
# EVSEs that can be used (not REMOVED), per grouping key; a day counts every EVSE in scope.
_EVSES = {
    "PARTY": "SELECT country_code || '/' || party_id AS key, sum({n}) AS evses FROM locations l{where} GROUP BY 1",
    "LOCATION": "SELECT country_code || '/' || party_id || '/' || id_key AS key, sum({n}) AS evses FROM locations l"
    "{where} GROUP BY 1",
    "DAY": "SELECT NULL AS key, sum({n}) AS evses FROM locations l{where}",
}
_USABLE = "cardinality(array_remove(l.evse_statuses, 'REMOVED'))"


class AnalyticsRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def usage(
        self, grouping: str, start: datetime, end: datetime, party: tuple[str, str], time_zone: str
    ) -> list[asyncpg.Record]:
        key = KEYS[grouping]
        return await self._conn.fetch(
            f"SELECT {key} AS key, count(*) AS sessions, sum(c.total_energy) AS energy,"
            " sum(extract(epoch FROM c.end_date_time - c.start_date_time)) / 3600 AS hours"
            f"{_CDRS} GROUP BY 1 ORDER BY 1",
            start,
            end,
            *party,
            time_zone,
        )

    async def revenue(
        self, grouping: str, start: datetime, end: datetime, party: tuple[str, str], time_zone: str
    ) -> list[asyncpg.Record]:
        key = KEYS[grouping]
        return await self._conn.fetch(
            f"SELECT {key} AS key, c.currency, sum(c.total_cost) AS amount{_CDRS} GROUP BY 1, 2 ORDER BY 1, 2",
            start,
            end,
            *party,
            time_zone,
        )

    async def evses(self, grouping: str, party: tuple[str, str]) -> dict[str | None, int]:
        where = " WHERE ($1 = '' OR (l.country_code = $1 AND l.party_id = $2))"
        rows = await self._conn.fetch(_EVSES[grouping].format(n=_USABLE, where=where), *party)
        return {row["key"]: int(row["evses"] or 0) for row in rows}
