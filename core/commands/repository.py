"""SQL of the command log. Times come from the core's Clock (see core.clock), never from now()."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
from google.protobuf.timestamp_pb2 import Timestamp

from ocpihub.commands.v1 import commands_pb2 as pb
from ocpihub.types.v1 import types_pb2

_COLUMNS = (
    "id, type, requester_country_code, requester_party_id, requester_role, requester_platform_id,"
    " target_country_code, target_party_id, target_platform_id, state, response, response_timeout_seconds, result,"
    " result_count, last_result_body, response_url, location_id, evse_uid, connector_id, session_id, reservation_id,"
    " reservation_expiry, deadline, callback_valid_until, correlation_id, create_time, update_time, request_id,"
    " answer_status, answer_body, result_sent_as, issued_by, issued_token"
)


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def to_pb(row: asyncpg.Record) -> pb.Command:
    return pb.Command(
        name=f"commands/{row['id']}",
        type=pb.CommandType.Value(f"COMMAND_TYPE_{row['type']}"),
        requester=types_pb2.PartyRef(
            country_code=row["requester_country_code"],
            party_id=row["requester_party_id"],
            role=row["requester_role"],
        ),
        target=types_pb2.PartyRef(country_code=row["target_country_code"], party_id=row["target_party_id"], role="CPO"),
        state=pb.CommandState.Value(f"COMMAND_STATE_{row['state']}"),
        response=row["response"],
        response_timeout_seconds=row["response_timeout_seconds"],
        result=row["result"],
        result_count=row["result_count"],
        response_url=row["response_url"],
        location_id=row["location_id"],
        evse_uid=row["evse_uid"],
        connector_id=row["connector_id"],
        session_id=row["session_id"],
        reservation_id=row["reservation_id"],
        reservation_expiry=_timestamp(row["reservation_expiry"]),
        deadline=_timestamp(row["deadline"]),
        callback_valid_until=_timestamp(row["callback_valid_until"]),
        correlation_id=row["correlation_id"],
        create_time=_timestamp(row["create_time"]),
        update_time=_timestamp(row["update_time"]),
        result_sent_as=row["result_sent_as"],
        issued_by=row["issued_by"],
        answer_status=row["answer_status"] or 0,
        answer_body=bytes(row["answer_body"] or b""),
        last_result_body=bytes(row["last_result_body"] or b""),
    )


class CommandRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def insert(self, row: dict[str, object]) -> asyncpg.Record | None:
        """The new command, or None when the requester already sent one with the same request_id (a retry)."""
        names = list(row)
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        record: asyncpg.Record | None = await self._conn.fetchrow(
            f"INSERT INTO commands ({', '.join(names)}) VALUES ({placeholders})"
            " ON CONFLICT (requester_country_code, requester_party_id, request_id) WHERE request_id <> ''"
            f" DO NOTHING RETURNING {_COLUMNS}",
            *row.values(),
        )
        return record

    async def by_request(
        self, country_code: str, party_id: str, request_id: str, since: datetime
    ) -> asyncpg.Record | None:
        """The command this requester sent with this X-Request-ID since `since`; older ones release the id."""
        await self._conn.execute(
            "UPDATE commands SET request_id = '' WHERE requester_country_code = $1 AND requester_party_id = $2"
            " AND request_id = $3 AND create_time < $4",
            country_code,
            party_id,
            request_id,
            since,
        )
        row: asyncpg.Record | None = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM commands WHERE requester_country_code = $1 AND requester_party_id = $2"
            " AND request_id = $3",
            country_code,
            party_id,
            request_id,
        )
        return row

    async def get(self, command_id: str, *, for_update: bool = False) -> asyncpg.Record | None:
        lock = " FOR UPDATE" if for_update else ""
        row: asyncpg.Record | None = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM commands WHERE id = $1{lock}", command_id
        )
        return row

    async def update(self, command_id: str, changes: dict[str, object]) -> asyncpg.Record:
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
        row: asyncpg.Record = await self._conn.fetchrow(
            f"UPDATE commands SET {assignments} WHERE id = $1 RETURNING {_COLUMNS}", command_id, *changes.values()
        )
        return row

    async def latest_reservation(self, country_code: str, party_id: str, reservation_id: str) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM commands WHERE type = 'RESERVE_NOW' AND requester_country_code = $1"
            " AND requester_party_id = $2 AND upper(reservation_id) = upper($3)"
            " ORDER BY create_time DESC LIMIT 1",
            country_code,
            party_id,
            reservation_id,
        )
        return row

    async def claim_overdue(self, now: datetime, limit: int) -> list[asyncpg.Record]:
        """Commands still waiting past their deadline, locked for this transaction (other replicas skip them)."""
        rows: list[asyncpg.Record] = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM commands WHERE state IN ('SENT', 'ACCEPTED') AND deadline <= $1"
            " ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED",
            now,
            limit,
        )
        return rows

    async def claim_queued(self, now: datetime, deadline: datetime, limit: int) -> list[asyncpg.Record]:
        """Hub-issued commands waiting to be sent, moved to SENT for this caller alone (other replicas skip them)."""
        rows: list[asyncpg.Record] = await self._conn.fetch(
            "UPDATE commands SET state = 'SENT', update_time = $1, deadline = $2, callback_valid_until = $2"
            " WHERE id IN (SELECT id FROM commands WHERE state = 'QUEUED' ORDER BY create_time LIMIT $3"
            f" FOR UPDATE SKIP LOCKED) RETURNING {_COLUMNS}",
            now,
            deadline,
            limit,
        )
        return rows

    async def list(
        self, *, party: tuple[str, str] | None, state: str, type_: str, session_id: str, offset: int, limit: int
    ) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM commands"
            " WHERE ($1::text IS NULL OR (requester_country_code = $1 AND requester_party_id = $2)"
            "                         OR (target_country_code = $1 AND target_party_id = $2))"
            " AND ($3 = '' OR state = $3) AND ($4 = '' OR type = $4) AND ($5 = '' OR upper(session_id) = upper($5))"
            " ORDER BY create_time DESC, id OFFSET $6 LIMIT $7",
            *(party or (None, None)),
            state,
            type_,
            session_id,
            offset,
            limit,
        )
        return rows

    async def platform_of(self, country_code: str, party_id: str, roles: tuple[str, ...]) -> tuple[uuid.UUID, str]:
        """The platform and role of an active party (the requester), or raises LookupError."""
        row = await self._conn.fetchrow(
            "SELECT platform_id, role FROM parties WHERE country_code = $1 AND party_id = $2 AND role = ANY($3::text[])"
            " AND state = 'REGISTERED' AND suspend_time IS NULL ORDER BY array_position($3::text[], role) LIMIT 1",
            country_code,
            party_id,
            list(roles),
        )
        if row is None:
            raise LookupError(f"{country_code}/{party_id}")
        return row["platform_id"], row["role"]
