"""SQL of settlement: unsettled CDRs, frozen statements, agreements. (CDR rows belong to core.cdrs.repository.)"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg

from core.billing.settlement import Agreement, Share
from ocpihub.billing.v1 import billing_pb2 as pb
from ocpihub.cdrs.v1 import cdrs_pb2

SettledCdr = tuple[cdrs_pb2.Cdr, cdrs_pb2.CdrVerification]
# An agreement as stored, with who set it and when.
StoredAgreement = tuple[Agreement, str, datetime]


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

    async def closed_names(self) -> set[str]:
        return {r["period"] for r in await self._conn.fetch("SELECT period FROM settlement_statements")}

    async def lock_statements(self) -> None:
        """One closing (and no agreement change) at a time."""
        await self._conn.execute("LOCK TABLE settlement_statements IN EXCLUSIVE MODE")

    async def last_closed_end(self) -> datetime | None:
        value: datetime | None = await self._conn.fetchval("SELECT max(period_end) FROM settlement_statements")
        return value

    async def freeze(self, statement: pb.Statement, end: datetime, cdrs: list[tuple[str, str, str]]) -> None:
        """Marks exactly the statement's CDRs (country_code, party_id, id) settled and stores the statement."""
        await self._conn.execute(
            "UPDATE cdrs SET settlement_period = $1 FROM unnest($2::text[], $3::text[], $4::text[]) AS k(cc, pid, id)"
            " WHERE cdrs.country_code = k.cc AND cdrs.party_id = k.pid AND cdrs.id_key = k.id"
            " AND cdrs.settlement_period IS NULL",
            statement.period,
            [c[0] for c in cdrs],
            [c[1] for c in cdrs],
            [c[2] for c in cdrs],
        )
        await self._conn.execute(
            "INSERT INTO settlement_statements (period, data, period_end) VALUES ($1, $2, $3)",
            statement.period,
            statement.SerializeToString(deterministic=True),
            end,
        )

    async def agreements(self, cpo: str = "") -> list[StoredAgreement]:
        rows = await self._conn.fetch(
            "SELECT * FROM settlement_agreements WHERE $1 = '' OR cpo = $1 ORDER BY cpo, emsp, valid_from", cpo
        )
        return [
            (
                Agreement(
                    r["cpo"],
                    r["emsp"],
                    r["valid_from"],
                    Share(Decimal(r["cpo_percent"]), Decimal(r["emsp_percent"]), Decimal(r["hub_percent"])),
                    r["period"],
                    Decimal(r["vat_percent"]),
                ),
                r["created_by"],
                r["create_time"],
            )
            for r in rows
        ]

    async def put_agreement(self, agreement: Agreement, created_by: str) -> datetime:
        """The same CPO, eMSP and start date again replaces the terms (a correction before any closing used them)."""
        created: datetime = await self._conn.fetchval(
            "INSERT INTO settlement_agreements (cpo, emsp, valid_from, cpo_percent, emsp_percent, hub_percent, period,"
            " vat_percent, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (cpo, emsp, valid_from) DO UPDATE SET cpo_percent = $4, emsp_percent = $5, hub_percent = $6,"
            " period = $7, vat_percent = $8, created_by = $9, create_time = now() RETURNING create_time",
            agreement.cpo,
            agreement.emsp,
            agreement.valid_from,
            agreement.share.cpo,
            agreement.share.emsp,
            agreement.share.hub,
            agreement.period,
            agreement.vat_percent,
            created_by,
        )
        return created
