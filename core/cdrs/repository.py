"""SQL of the CDR store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from ocpihub.cdrs.v1 import cdrs_pb2 as pb


@dataclass(frozen=True, slots=True)
class CdrFilter:
    country_code: str = ""
    party_id: str = ""
    last_updated_from: datetime | None = None
    last_updated_to: datetime | None = None
    token_owner: tuple[str, str] | None = None
    verification_state: str = ""


_WHERE = (
    " WHERE ($1 = '' OR country_code = $1) AND ($2 = '' OR party_id = $2)"
    " AND ($3::timestamptz IS NULL OR last_updated >= $3) AND ($4::timestamptz IS NULL OR last_updated < $4)"
    # An eMSP sees the CDRs of its tokens, except those the CPO addressed to another party alone, and those addressed
    # to it.
    " AND ($5::text IS NULL OR (audience IS NULL AND token_country_code = $5 AND token_party_id = $6)"
    " OR $5 || '/' || $6 = ANY(audience))"
    " AND ($7 = '' OR verification_state = $7)"
)


def _args(f: CdrFilter) -> list[object]:
    owner = f.token_owner or (None, None)
    return [f.country_code, f.party_id, f.last_updated_from, f.last_updated_to, *owner, f.verification_state]


class CdrRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get(
        self, country_code: str, party_id: str, cdr_id: str, *, for_update: bool = False
    ) -> tuple[pb.Cdr, pb.CdrVerification] | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT data, verification FROM cdrs WHERE country_code = $1 AND party_id = $2 AND id_key = $3{lock}",
            country_code,
            party_id,
            cdr_id.upper(),
        )
        if row is None:
            return None
        return pb.Cdr.FromString(row["data"]), pb.CdrVerification.FromString(row["verification"])

    async def lock(self, object_key: str) -> None:
        """Serializes writers of one CDR id (two copies of one POST racing each other)."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", object_key)

    async def set_verification(self, cdr: pb.Cdr, verification: pb.CdrVerification) -> None:
        await self._conn.execute(
            "UPDATE cdrs SET verification = $4, verification_state = $5"
            " WHERE country_code = $1 AND party_id = $2 AND id_key = $3",
            cdr.country_code.upper(),
            cdr.party_id.upper(),
            cdr.id.upper(),
            verification.SerializeToString(deterministic=True),
            pb.VerificationState.Name(verification.state).removeprefix("VERIFICATION_STATE_"),
        )

    async def insert(self, cdr: pb.Cdr, verification: pb.CdrVerification, addressee: str | None = None) -> None:
        await self._conn.execute(
            "INSERT INTO cdrs (country_code, party_id, id_key, data, verification, verification_state, last_updated,"
            " token_country_code, token_party_id, currency, end_date_time, total_cost, start_date_time, total_energy,"
            " location_id, audience) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
            " CASE WHEN $16::text IS NULL THEN NULL ELSE ARRAY[$16::text] END)",
            cdr.country_code.upper(),
            cdr.party_id.upper(),
            cdr.id.upper(),
            cdr.SerializeToString(deterministic=True),
            verification.SerializeToString(deterministic=True),
            pb.VerificationState.Name(verification.state).removeprefix("VERIFICATION_STATE_"),
            cdr.last_updated.ToDatetime(tzinfo=UTC),
            cdr.cdr_token.country_code.upper(),
            cdr.cdr_token.party_id.upper(),
            cdr.currency,
            cdr.end_date_time.ToDatetime(tzinfo=UTC),
            Decimal(cdr.total_cost.excl_vat or "0"),
            cdr.start_date_time.ToDatetime(tzinfo=UTC),
            Decimal(cdr.total_energy or "0"),
            cdr.cdr_location.id.upper(),
            addressee,
        )

    async def list(self, f: CdrFilter, *, offset: int, limit: int) -> tuple[list[pb.Cdr], int]:
        rows = await self._conn.fetch(
            f"SELECT data FROM cdrs WHERE seq IN (SELECT seq FROM cdrs{_WHERE} ORDER BY seq OFFSET $8 LIMIT $9)"
            " ORDER BY seq",
            *_args(f),
            offset,
            limit,
        )
        total: int = await self._conn.fetchval(f"SELECT count(*) FROM cdrs{_WHERE}", *_args(f))
        return [pb.Cdr.FromString(row["data"]) for row in rows], total
