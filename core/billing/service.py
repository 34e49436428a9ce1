"""Billing use cases for the billing team: quotes of sessions so far, CDR re-verification, settlement statements."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import asyncpg

from core.billing.cdr_verification import aware, engine_periods
from core.billing.engine import price_periods
from core.billing.model import BillingError, SessionInfo
from core.billing.period_tariffs import choose_period_tariffs
from core.billing.repository import SettledCdr, SettlementRepository
from core.billing.settlement import DEFAULT_SHARE, Line, Share, period_bounds, split, totals
from core.cdrs.repository import CdrRepository
from core.cdrs.rules import keep_flags
from core.cdrs.service import CdrsService
from core.errors import FailedPrecondition, InvalidArgument, NotFound
from core.locations.repository import LocationRepository
from core.sessions.repository import SessionRepository
from core.sessions.rules import Flags
from ocpihub.billing.v1 import billing_pb2 as pb
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason


def _price(target: object, price: object) -> None:
    target.excl_vat = str(price.excl_vat)  # type: ignore[attr-defined]
    target.incl_vat = str(price.incl_vat)  # type: ignore[attr-defined]


class BillingService:
    def __init__(self, pool: asyncpg.Pool, hub_party: str, share: Share = DEFAULT_SHARE) -> None:
        self._pool = pool
        self._hub_party = hub_party
        self._share = share

    async def quote_session(self, country_code: str, party_id: str, session_id: str) -> pb.Quote:
        async with self._pool.acquire() as conn:
            session = await SessionRepository(conn).get(country_code.upper(), party_id.upper(), session_id)
            if session is None:
                raise NotFound(
                    ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"no session {country_code}/{party_id}/{session_id}"
                )
            location = await LocationRepository(conn).get(session.country_code, session.party_id, session.location_id)
            choice = await choose_period_tariffs(
                conn,
                (session.country_code, session.party_id),
                session.charging_periods,
                session.cdr_token,
                location,
                session.evse_uid,
                session.connector_id,
                aware(session.start_date_time),
            )
        first = choice.session_tariff
        if first is None:
            named = sorted({p.tariff_id for p in session.charging_periods if p.tariff_id})
            raise FailedPrecondition(
                ErrorReason.ERROR_REASON_WRONG_STATE,
                f"session {session_id} has no tariff the Hub holds (named: {named or 'none'}; "
                f"{'; '.join(choice.notes) or 'no charging periods'})",
            )
        # An active session is priced up to the CPO's latest report.
        end = session.end_date_time if session.HasField("end_date_time") else session.last_updated
        try:
            breakdown = price_periods(
                engine_periods(session.charging_periods),
                choice.tariffs,
                SessionInfo(aware(session.start_date_time), aware(end), location.time_zone if location else "UTC"),
            )
        except BillingError as exc:
            raise FailedPrecondition(ErrorReason.ERROR_REASON_WRONG_STATE, f"cannot price the session: {exc}") from None
        quote = pb.Quote(currency=breakdown.currency, tariff=first.tariff)
        for name in ("total_cost", "total_energy_cost", "total_time_cost", "total_parking_cost", "total_fixed_cost"):
            _price(getattr(quote, name), getattr(breakdown, name))
        quote.period_tariffs.extend(choice.described)
        quote.notes.extend(choice.notes)
        quote.notes.extend(breakdown.notes)
        return quote

    async def verify_cdr(self, country_code: str, party_id: str, cdr_id: str) -> cdrs_pb2.CdrVerification:
        async with self._pool.acquire() as conn, conn.transaction():
            repo = CdrRepository(conn)
            found = await repo.get(country_code.upper(), party_id.upper(), cdr_id, for_update=True)
            if found is None:
                raise NotFound(ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"no CDR {country_code}/{party_id}/{cdr_id}")
            verification = await CdrsService.verification(conn, found[0])
            # Flags are what the CDR showed when received (how late it came): pricing it again keeps them.
            keep_flags(verification, Flags.kept_in(found[1].flags, found[1].notes))
            await repo.set_verification(found[0], verification)
            return verification

    async def statement(self, period: str, party: str = "", share: Share | None = None) -> pb.Statement:
        start, end = self._bounds(period)
        async with self._pool.acquire() as conn:
            repo = SettlementRepository(conn)
            statement = await repo.closed_statement(period)
            if statement is None:
                statement = self._build(period, start, await repo.unsettled_cdrs(end), share or self._share)
        return self._for_party(statement, party.upper()) if party else statement

    async def close(self, period: str) -> pb.Statement:
        start, end = self._bounds(period)
        async with self._pool.acquire() as conn, conn.transaction():
            repo = SettlementRepository(conn)
            await repo.lock_statements()
            if await repo.closed_statement(period) is not None:
                raise FailedPrecondition(ErrorReason.ERROR_REASON_WRONG_STATE, f"period {period} is already closed")
            if end > datetime.now(UTC):
                raise FailedPrecondition(ErrorReason.ERROR_REASON_WRONG_STATE, f"period {period} has not ended yet")
            statement = self._build(period, start, await repo.unsettled_cdrs(end, for_update=True), self._share)
            statement.closed = True
            statement.create_time.FromDatetime(datetime.now(UTC))
            await repo.freeze(statement, end)
            return statement

    @staticmethod
    def _bounds(period: str) -> tuple[datetime, datetime]:
        try:
            return period_bounds(period)
        except ValueError as exc:
            raise InvalidArgument([("period", str(exc))]) from None

    def _build(self, period: str, start: datetime, cdrs: list[SettledCdr], share: Share) -> pb.Statement:
        lines = []
        for cdr, verification in cdrs:
            priced = verification.state in (cdrs_pb2.VERIFICATION_STATE_MATCH, cdrs_pb2.VERIFICATION_STATE_MISMATCH)
            # The Hub's own price when it could price the CDR (R11.2: shares of the Hub-priced total).
            amount = Decimal(verification.computed_total_cost.excl_vat if priced else cdr.total_cost.excl_vat or "0")
            cpo_share, emsp_share, hub_share = split(amount, cdr.currency, share)
            end = aware(cdr.end_date_time)
            lines.append(
                Line(
                    cdr=f"cdrs/{cdr.country_code}/{cdr.party_id}/{cdr.id}",
                    cpo=f"{cdr.country_code}/{cdr.party_id}",
                    emsp=f"{cdr.cdr_token.country_code}/{cdr.cdr_token.party_id}",
                    currency=cdr.currency,
                    end=end,
                    amount=cpo_share + emsp_share + hub_share,
                    cpo_share=cpo_share,
                    emsp_share=emsp_share,
                    hub_share=hub_share,
                    late=end < start,
                    verification=cdrs_pb2.VerificationState.Name(verification.state).removeprefix(
                        "VERIFICATION_STATE_"
                    ),
                )
            )
        return self._statement(period, "", lines, share)

    def _statement(self, period: str, party: str, lines: list[Line], share: Share) -> pb.Statement:
        statement = pb.Statement(
            period=period,
            party=party,
            share=pb.RevenueShare(cpo_percent=str(share.cpo), emsp_percent=str(share.emsp), hub_percent=str(share.hub)),
        )
        for line in lines:
            item = statement.lines.add(
                cdr=line.cdr,
                cpo=line.cpo,
                emsp=line.emsp,
                currency=line.currency,
                amount=str(line.amount),
                cpo_share=str(line.cpo_share),
                emsp_share=str(line.emsp_share),
                hub_share=str(line.hub_share),
                late=line.late,
                verification=line.verification,
            )
            item.end_date_time.FromDatetime(line.end)
        for party_name, role, currency, amount, count in totals(lines, self._hub_party):
            statement.totals.add(party=party_name, role=role, currency=currency, amount=str(amount), cdrs=count)
        return statement

    def _for_party(self, statement: pb.Statement, party: str) -> pb.Statement:
        lines = [
            Line(
                item.cdr,
                item.cpo,
                item.emsp,
                item.currency,
                aware(item.end_date_time),
                Decimal(item.amount),
                Decimal(item.cpo_share),
                Decimal(item.emsp_share),
                Decimal(item.hub_share),
                item.late,
                item.verification,
            )
            for item in statement.lines
            if party in (item.cpo, item.emsp)
        ]
        share = Share(
            Decimal(statement.share.cpo_percent),
            Decimal(statement.share.emsp_percent),
            Decimal(statement.share.hub_percent),
        )
        result = self._statement(statement.period, party, lines, share)
        result.closed = statement.closed
        result.create_time.CopyFrom(statement.create_time)
        return result
