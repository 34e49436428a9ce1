"""SQL of settlement: unsettled CDRs, frozen statements. (CDR rows themselves belong to core.cdrs.repository.)"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from ocpihub.billing.v1 import billing_pb2 as pb
from ocpihub.cdrs.v1 import cdrs_pb2

SettledCdr = tuple[cdrs_pb2.Cdr, cdrs_pb2.CdrVerification]


class SettlementRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def closed_statement(self, period: str) -> pb.Statement | None:
        data = await self._conn.fetchval("SELECT data FROM settlement_statements WHERE period = $1", period)
        return pb.Statement.FromString(data) if data is not None else None

    async def unsettled_cdrs(self, before: datetime, *, for_update: bool = False) -> list[SettledCdr]:
        """CDRs no closed period took, that ended before `before` (late ones from earlier periods included)."""
        lock = " FOR UPDATE" if for_update else ""
        rows = await self._conn.fetch(
            "SELECT data, verification FROM cdrs WHERE settlement_period IS NULL AND end_date_time < $1"
            f" ORDER BY end_date_time, seq{lock}",
            before,
        )
        return [
            (cdrs_pb2.Cdr.FromString(r["data"]), cdrs_pb2.CdrVerification.FromString(r["verification"])) for r in rows
        ]

    async def lock_statements(self) -> None:
        """One closing at a time."""
        await self._conn.execute("LOCK TABLE settlement_statements IN EXCLUSIVE MODE")

    async def freeze(self, statement: pb.Statement, before: datetime) -> None:
        await self._conn.execute(
            "UPDATE cdrs SET settlement_period = $1 WHERE settlement_period IS NULL AND end_date_time < $2",
            statement.period,
            before,
        )
        await self._conn.execute(
            "INSERT INTO settlement_statements (period, data) VALUES ($1, $2)",
            statement.period,
            statement.SerializeToString(deterministic=True),
        )
