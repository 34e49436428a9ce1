"""Billing use cases for the billing team: quotes of sessions so far, CDR re-verification, settlement statements."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from core.billing.cdr_verification import aware, engine_periods
from core.billing.engine import price_periods
from core.billing.model import BillingError, SessionInfo
from core.billing.period_tariffs import choose_period_tariffs
from core.billing.repository import SettledCdr, SettlementRepository
from core.billing.settlement import (
    DEFAULT_SHARE,
    MONEY_FIELDS,
    Agreement,
    Money,
    Period,
    Share,
    agreement_for,
    money,
    pair_sums,
    parse_period,
    period_of,
)
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
from ocpihub.tariffs.v1 import tariffs_pb2


def _price(target: object, price: object) -> None:
    target.excl_vat = str(price.excl_vat)  # type: ignore[attr-defined]
    target.incl_vat = str(price.incl_vat)  # type: ignore[attr-defined]


class BillingService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        hub_party: str,
        share: Share = DEFAULT_SHARE,
        time_zone: str = "Asia/Ho_Chi_Minh",
        vat_percent: Decimal = Decimal(10),
    ) -> None:
        self._pool = pool
        self._hub_party = hub_party
        self._time_zone = time_zone
        # The Hub default: monthly, the HUB_REVENUE_SHARE shares, VAT on the fee at HUB_FEE_VAT_PERCENT.
        self._default = Agreement("", "", date(1970, 1, 1), share, "monthly", vat_percent)

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

    async def statement(
        self, period: str, party: str = "", share: Share | None = None, time_zone: str = ""
    ) -> pb.Statement:
        cut, zone = self._period(period), self._zone(time_zone)
        _start, end = cut.utc_bounds(zone)
        async with self._pool.acquire() as conn:
            repo = SettlementRepository(conn)
            statement = await repo.closed_statement(cut.name)
            if statement is None:
                agreements = [a for a, _, _ in await repo.agreements()]
                closed = await repo.closed_names()
                statement, _ = self._build(cut, zone, await repo.unsettled_cdrs(end), agreements, closed, share)
        return self._for_party(statement, party.upper()) if party else statement

    async def close(self, period: str, time_zone: str = "") -> pb.Statement:
        cut, zone = self._period(period), self._zone(time_zone)
        _start, end = cut.utc_bounds(zone)
        async with self._pool.acquire() as conn, conn.transaction():
            repo = SettlementRepository(conn)
            await repo.lock_statements()
            if await repo.closed_statement(cut.name) is not None:
                raise FailedPrecondition(ErrorReason.ERROR_REASON_WRONG_STATE, f"period {cut.name} is already closed")
            if end > datetime.now(UTC):
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_WRONG_STATE,
                    f"period {cut.name} has not ended yet (ends {end:%Y-%m-%dT%H:%M:%SZ})",
                )
            agreements = [a for a, _, _ in await repo.agreements()]
            closed = await repo.closed_names()
            cdrs = await repo.unsettled_cdrs(end, for_update=True)
            statement, keys = self._build(cut, zone, cdrs, agreements, closed, None)
            statement.closed = True
            statement.create_time.FromDatetime(datetime.now(UTC))
            await repo.freeze(statement, end, keys)
            return statement

    async def set_agreement(self, agreement: Agreement, created_by: str) -> tuple[Agreement, str, datetime]:
        async with self._pool.acquire() as conn, conn.transaction():
            repo = SettlementRepository(conn)
            await repo.lock_statements()
            last_end = await repo.last_closed_end()
            if last_end is not None:
                # Any zone a period was closed in: compare instants, with the agreement starting at local midnight.
                starts = datetime.combine(agreement.valid_from, time(), ZoneInfo(self._time_zone))
                if starts < last_end:
                    raise FailedPrecondition(
                        ErrorReason.ERROR_REASON_WRONG_STATE,
                        f"an agreement from {agreement.valid_from} would change a closed period (periods are closed up"
                        f" to {last_end:%Y-%m-%dT%H:%M:%SZ}): choose a later --from",
                    )
            created = await repo.put_agreement(agreement, created_by)
        return agreement, created_by, created

    async def agreements(self, cpo: str = "") -> tuple[list[tuple[Agreement, str, datetime]], Agreement]:
        async with self._pool.acquire() as conn:
            return await SettlementRepository(conn).agreements(cpo.upper()), self._default

    def _period(self, period: str) -> Period:
        try:
            return parse_period(period)
        except ValueError as exc:
            raise InvalidArgument([("period", str(exc))]) from None

    def _zone(self, time_zone: str) -> str:
        if not time_zone:
            return self._time_zone
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidArgument([("time_zone", f"{time_zone!r} is not an IANA time zone")]) from None
        return time_zone

    def _build(
        self,
        cut: Period,
        zone: str,
        cdrs: list[SettledCdr],
        agreements: list[Agreement],
        closed: set[str],
        share: Share | None,
    ) -> tuple[pb.Statement, list[tuple[str, str, str]]]:
        """The statement of `cut` from the unsettled CDRs whose agreement settles in periods of its kind, and their
        keys. A what-if `share` replaces every agreement's shares (not its period nor VAT)."""
        start, end = cut.utc_bounds(zone)
        tz = ZoneInfo(zone)
        statement = pb.Statement(
            period=cut.name,
            share=_share_pb(share or self._default.share),
            time_zone=zone,
            kind=cut.kind,
            due_date=cut.due.isoformat(),
        )
        statement.start_time.FromDatetime(start)
        statement.end_time.FromDatetime(end)
        keys = []
        for cdr, verification in cdrs:
            cpo = f"{cdr.country_code}/{cdr.party_id}".upper()
            emsp = f"{cdr.cdr_token.country_code}/{cdr.cdr_token.party_id}".upper()
            ended = aware(cdr.end_date_time)
            day = ended.astimezone(tz).date()
            terms = agreement_for(agreements, self._default, cpo, emsp, day)
            if terms.period != cut.kind:
                continue
            note = ""
            if ended < start:
                own = period_of(day, cut.kind)
                if own.name not in closed:
                    continue  # its own period is still open: it is settled there
                if _first_open_after(own, closed) != cut.name:
                    continue  # a later open period than this one was next when it arrived
                note = (
                    f"ended {day} ({zone}) in period {own.name}, closed before this CDR arrived; "
                    "settled in the next open period"
                )
            priced = verification.state in (cdrs_pb2.VERIFICATION_STATE_MATCH, cdrs_pb2.VERIFICATION_STATE_MISMATCH)
            # The Hub's own price when it could price the CDR (R11.2: shares of the Hub-priced total).
            price = verification.computed_total_cost if priced else cdr.total_cost
            figures = money(
                cdr.currency,
                _pair(cdr.total_cost),
                _pair(price),
                share or terms.share,
                terms.vat_percent,
            )
            line = statement.lines.add(
                cdr=f"cdrs/{cdr.country_code}/{cdr.party_id}/{cdr.id}",
                cpo=cpo,
                emsp=emsp,
                currency=cdr.currency,
                amount=str(figures.priced_excl_vat),
                hub_share=str(figures.hub_fee),
                late=ended < start,
                verification=cdrs_pb2.VerificationState.Name(verification.state).removeprefix("VERIFICATION_STATE_"),
                agreement=terms.describe(),
                vat_percent=str(terms.vat_percent),
                note=note,
            )
            for name in MONEY_FIELDS:
                setattr(line, name, str(getattr(figures, name)))
            line.end_date_time.FromDatetime(ended)
            keys.append((cdr.country_code.upper(), cdr.party_id.upper(), cdr.id.upper()))
        self._summarize(statement)
        return statement, keys

    def _summarize(self, statement: pb.Statement) -> None:
        """Totals per party and per pair: sums of the lines' rounded figures."""
        del statement.totals[:]
        del statement.pairs[:]
        lines = []
        for line in statement.lines:
            figures = Money(*(Decimal(getattr(line, name)) for name in MONEY_FIELDS))
            lines.append((line.cpo, line.emsp, line.currency, figures))
        sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        counts: dict[tuple[str, str, str], int] = defaultdict(int)
        for cpo, emsp, currency, figures in lines:
            for key, amount in (
                ((cpo, "CPO", currency), figures.cpo_share),
                ((emsp, "EMSP", currency), figures.emsp_share),
                ((self._hub_party, "HUB", currency), figures.hub_fee),
            ):
                sums[key] += amount
                counts[key] += 1
        for (party, role, currency), amount in sorted(sums.items()):
            key = (party, role, currency)
            statement.totals.add(party=party, role=role, currency=currency, amount=str(amount), cdrs=counts[key])
        for (cpo, emsp, currency), entry in pair_sums(lines).items():
            pair = statement.pairs.add(cpo=cpo, emsp=emsp, currency=currency, cdrs=entry.cdrs)
            for name, value in entry.figures.items():
                setattr(pair, name, str(value))

    def _for_party(self, statement: pb.Statement, party: str) -> pb.Statement:
        result = pb.Statement()
        result.CopyFrom(statement)
        result.party = party
        del result.lines[:]
        result.lines.extend(line for line in statement.lines if party in (line.cpo, line.emsp))
        self._summarize(result)
        return result


def _first_open_after(period: Period, closed: set[str]) -> str:
    """The name of the first period after `period`, of its kind, that is not closed: where its late CDRs go."""
    following = period_of(period.end, period.kind)
    while following.name in closed:
        following = period_of(following.end, following.kind)
    return following.name


def _pair(price: tariffs_pb2.Price) -> tuple[Decimal, Decimal | None]:
    return Decimal(price.excl_vat or "0"), Decimal(price.incl_vat) if price.incl_vat else None


def _share_pb(share: Share) -> pb.RevenueShare:
    return pb.RevenueShare(cpo_percent=str(share.cpo), emsp_percent=str(share.emsp), hub_percent=str(share.hub))


def agreement_pb(agreement: Agreement, created_by: str = "", created: datetime | None = None) -> pb.SettlementAgreement:
    message = pb.SettlementAgreement(
        cpo=agreement.cpo,
        emsp=agreement.emsp,
        valid_from=agreement.valid_from.isoformat(),
        share=_share_pb(agreement.share),
        period=agreement.period,
        vat_percent=str(agreement.vat_percent),
        created_by=created_by,
    )
    if created is not None:
        message.create_time.FromDatetime(created)
    return message
