"""SQL of the analytics figures: aggregates over CDRs (completed sessions), the EVSEs of stored locations, and the
EVSEs' status history (utilisation: each EVSE's reports become spans; a status lasts from its report, clipped at the
period's start, until the EVSE's next report or the period's end; the status last reported before the period is the
state at its start; spans are cut into buckets, the whole period or each day of it in the requested time zone)."""

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


UTILISATION_USABLE = ("AVAILABLE", "CHARGING", "RESERVED", "BLOCKED")
UTILISATION_KEYS = {
    "PARTY": "s.country_code || '/' || s.party_id",
    "LOCATION": "s.country_code || '/' || s.party_id || '/' || s.location_id",
    "EVSE": "s.country_code || '/' || s.party_id || '/' || s.location_id || '/' || s.evse_uid",
    "DAY": "b.day",
}
_UTILISATION_SCOPE = (
    " ($4 = '' OR (country_code = $4 AND party_id = $5))"
    " AND ($6 = '' OR (country_code = $6 AND party_id = $7 AND location_id = upper($8)))"
)
_UTILISATION_SQL = f"""
WITH initial AS (
    SELECT DISTINCT ON (country_code, party_id, location_id, evse_uid)
        country_code, party_id, location_id, evse_uid, status, reported_at, id
    FROM evse_status_history WHERE reported_at < $1 AND {_UTILISATION_SCOPE}
    ORDER BY country_code, party_id, location_id, evse_uid, reported_at DESC, id DESC
), reports AS (
    SELECT * FROM initial
    UNION ALL
    SELECT country_code, party_id, location_id, evse_uid, status, reported_at, id
    FROM evse_status_history WHERE reported_at >= $1 AND reported_at < $2 AND {_UTILISATION_SCOPE}
), spans AS (
    SELECT country_code, party_id, location_id, evse_uid, status, greatest(reported_at, $1) AS start,
        coalesce(lead(greatest(reported_at, $1)) OVER (
            PARTITION BY country_code, party_id, location_id, evse_uid ORDER BY reported_at, id), $2) AS stop
    FROM reports
), buckets AS (
    SELECT CASE WHEN $9 THEN to_char(d, 'YYYY-MM-DD') END AS day,
        CASE WHEN $9 THEN greatest(d AT TIME ZONE $3, $1) ELSE $1 END AS b_start,
        CASE WHEN $9 THEN least((d + interval '1 day') AT TIME ZONE $3, $2) ELSE $2 END AS b_stop
    -- Local midnights (timestamp without time zone: generate_series over dates would give the session's midnights).
    FROM generate_series(($1 AT TIME ZONE $3)::date::timestamp, CASE WHEN $9 THEN (($2 - interval '1 microsecond')
        AT TIME ZONE $3)::date::timestamp ELSE ($1 AT TIME ZONE $3)::date::timestamp END, interval '1 day') AS d
)
SELECT {{key}} AS key,
    sum(CASE WHEN s.status = 'CHARGING' THEN extract(epoch FROM
        least(s.stop, b.b_stop) - greatest(s.start, b.b_start)) ELSE 0 END) AS charging,
    sum(CASE WHEN s.status = ANY($10::text[]) THEN extract(epoch FROM
        least(s.stop, b.b_stop) - greatest(s.start, b.b_start)) ELSE 0 END) AS usable
FROM spans s JOIN buckets b ON s.start < b.b_stop AND s.stop > b.b_start
GROUP BY 1 ORDER BY 1
"""


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

    async def verifications(
        self, grouping: str, start: datetime, end: datetime, party: tuple[str, str], time_zone: str
    ) -> list[asyncpg.Record]:
        """Each CDR's key, currency and reported figures with the Hub's verification of it."""
        key = KEYS[grouping]
        return await self._conn.fetch(
            f"SELECT {key} AS key, c.currency, c.total_cost, c.verification_state, c.verification, c.data,"
            f" extract(epoch FROM c.end_date_time - c.start_date_time) / 3600 AS hours{_CDRS}",
            start,
            end,
            *party,
            time_zone,
        )

    async def evses(self, grouping: str, party: tuple[str, str]) -> dict[str | None, int]:
        where = " WHERE ($1 = '' OR (l.country_code = $1 AND l.party_id = $2))"
        rows = await self._conn.fetch(_EVSES[grouping].format(n=_USABLE, where=where), *party)
        return {row["key"]: int(row["evses"] or 0) for row in rows}

    async def utilisation(
        self,
        grouping: str,
        start: datetime,
        end: datetime,
        time_zone: str,
        party: tuple[str, str],
        location: tuple[str, str, str],
    ) -> list[asyncpg.Record]:
        """(key, charging seconds, usable seconds) per grouping key."""
        return await self._conn.fetch(
            _UTILISATION_SQL.format(key=UTILISATION_KEYS[grouping]),
            start,
            end,
            time_zone,
            *party,
            *location,
            grouping == "DAY",
            list(UTILISATION_USABLE),
        )
