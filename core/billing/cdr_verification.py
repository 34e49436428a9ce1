"""CDR verification: the Hub prices a CDR's charging periods with its tariff and compares the CPO's totals (R5.2)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from core.billing.engine import price_periods, verify
from core.billing.model import BillingError, ChargingPeriod, Price, SessionInfo
from core.billing.tariff_choice import PeriodChoice
from ocpihub.cdrs.v1 import cdrs_pb2 as pb
from ocpihub.sessions.v1 import sessions_pb2

_PRICES = (
    "total_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_fixed_cost",
    "total_reservation_cost",
)


def aware(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def engine_periods(periods: Iterable[sessions_pb2.ChargingPeriod]) -> list[ChargingPeriod]:
    """OCPI charging periods (sessions and CDRs share them) as the engine's input."""
    return [
        ChargingPeriod(
            start=aware(period.start_date_time),
            dimensions={
                sessions_pb2.CdrDimensionType.Name(d.type).removeprefix("CDR_DIMENSION_TYPE_"): Decimal(d.volume or "0")
                for d in period.dimensions
            },
        )
        for period in periods
    ]


def _reported(cdr: pb.Cdr) -> dict[str, Price | Decimal]:
    """The totals the CPO reported (incl. VAT only where it gave one)."""
    reported: dict[str, Price | Decimal] = {}
    for name in _PRICES:
        if not cdr.HasField(name):  # type: ignore[arg-type]  # names from _PRICES, all message fields
            continue
        price = getattr(cdr, name)
        excl = Decimal(price.excl_vat or "0")
        reported[name] = Price(excl, Decimal(price.incl_vat)) if price.incl_vat else excl
    reported["total_energy"] = Decimal(cdr.total_energy or "0")
    return reported


def verify_cdr(cdr: pb.Cdr, choice: PeriodChoice, time_zone: str) -> pb.CdrVerification:
    """Prices each charging period with the tariff `choice` gives it and compares the CPO's totals."""
    first = choice.session_tariff
    result = pb.CdrVerification(tariff=("cdr" if first.embedded else first.tariff) if first else "")
    result.verify_time.FromDatetime(datetime.now(UTC))
    result.period_tariffs.extend(choice.described)
    result.notes.extend(choice.notes)
    if first is None:
        result.state = pb.VERIFICATION_STATE_NOT_VERIFIED
        result.notes.append("no tariff: neither in the CDR nor stored for its charging periods")
        return result
    try:
        breakdown = price_periods(
            engine_periods(cdr.charging_periods),
            choice.tariffs,
            SessionInfo(
                aware(cdr.start_date_time), aware(cdr.end_date_time), time_zone, Decimal(cdr.total_energy or "0")
            ),
        )
    except BillingError as exc:
        result.state = pb.VERIFICATION_STATE_NOT_VERIFIED
        result.notes.append(f"the tariff cannot price this CDR: {exc}")
        return result
    checked = verify(_reported(cdr), breakdown)
    result.computed_total_cost.excl_vat = str(breakdown.total_cost.excl_vat)
    result.computed_total_cost.incl_vat = str(breakdown.total_cost.incl_vat)
    result.notes.extend(breakdown.notes)
    result.differences.extend(
        pb.Difference(field=d.field, reported=str(d.expected), computed=str(d.computed)) for d in checked.differences
    )
    result.state = pb.VERIFICATION_STATE_MATCH if checked.match else pb.VERIFICATION_STATE_MISMATCH
    return result
