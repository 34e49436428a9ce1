"""SQL of the event stream.

Stream order is (xid, seq): the id of the transaction that wrote an event, then the event's number. A reader reads
only below the horizon, the oldest transaction id still running anywhere (`pg_snapshot_xmin`): every transaction
below it has finished, so the events there are all there will ever be, and an event committed later (by a
transaction that started earlier, on any replica) can never land before a cursor already handed out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from core.events.model import Cursor, Event, Filters, Kind, NewEvent

# NOTIFY channel: wakes every replica's streams when events commit.
CHANNEL = "hub_events"

# One statement for a batch (a group commit of status changes writes many events): the environment is the party's.
_RECORD = """
WITH new AS (
    SELECT e.kind, e.party, e.subject, e.data, e.n
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(kind, party, subject, data, n)
), written AS (
    INSERT INTO events (kind, party, environment, subject, data)
    SELECT new.kind, new.party,
           COALESCE((SELECT p.environment FROM parties p
                     WHERE p.country_code = split_part(new.party, '/', 1)
                       AND p.party_id = split_part(new.party, '/', 2) LIMIT 1), ''),
           new.subject, new.data::jsonb
    FROM new ORDER BY new.n
)
SELECT pg_notify($5, '')
"""


class EventRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record(self, events: Sequence[NewEvent]) -> None:
        """Writes the events in the caller's transaction (so they commit, or not, with the change)."""
        if not events:
            return
        await self._conn.execute(
            _RECORD,
            [str(event.kind) for event in events],
            [event.party for event in events],
            [event.subject for event in events],
            [json.dumps(event.data, default=str) for event in events],
            CHANNEL,
        )

    async def horizon(self) -> int:
        """The oldest transaction id still running: events of every transaction below it are final."""
        value = await self._conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
        return int(value)

    async def next_xid(self) -> int:
        """The id the next transaction will get: every transaction that committed before now is below it."""
        value = await self._conn.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        return int(value)

    async def read(self, after: Cursor, horizon: int, filters: Filters, limit: int) -> list[Event]:
        rows = await self._conn.fetch(
            "SELECT xid::text AS xid, seq, event_time, kind, party, environment, subject, data::text AS data"
            " FROM events"
            " WHERE (xid, seq) > ($1::text::xid8, $2::bigint) AND xid < $3::text::xid8"
            " AND (cardinality($4::text[]) = 0 OR kind = ANY($4::text[]))"
            " AND (cardinality($5::text[]) = 0 OR party = ANY($5::text[]))"
            " AND ($6::text = '' OR environment = $6::text)"
            " ORDER BY xid, seq LIMIT $7",
            str(after.xid),
            after.seq,
            str(horizon),
            [str(kind) for kind in filters.kinds],
            list(filters.parties),
            filters.environment,
            limit,
        )
        return [_from_row(row) for row in rows]

    async def purge(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` of the oldest events written before `before`; returns how many."""
        status: str = await self._conn.execute(
            "DELETE FROM events e USING ("
            "  SELECT xid, seq FROM events WHERE event_time < $1 ORDER BY event_time LIMIT $2"
            ") old WHERE e.xid = old.xid AND e.seq = old.seq",
            before,
            limit,
        )
        return int(status.split()[-1])


def _from_row(row: asyncpg.Record) -> Event:
    return Event(
        cursor=Cursor(int(row["xid"]), row["seq"]),
        event_time=row["event_time"],
        kind=Kind(row["kind"]),
        party=row["party"],
        environment=row["environment"],
        subject=row["subject"],
        data=json.loads(row["data"]),
    )


async def emit(conn: asyncpg.Connection, kind: Kind, party: str, subject: str, **data: object) -> None:
    """Records one event in the caller's transaction."""
    await EventRepository(conn).record([NewEvent(kind, party, subject, data)])
