"""Settlement maths (R11.2): periods in the Hub's time zone, agreements, and who owes whom per CDR, exactly.

Pure functions, no I/O. Money is Decimal, rounded ROUND_HALF_UP to the currency's ISO 4217 minor unit per CDR line;
every total is the sum of its rounded lines, so statements add up to the last minor unit.

Reading of OCPI roaming used here: the eMSP collects from the driver and owes the CPO the CDR's cost incl. VAT. The
CDR's amount excl. VAT is shared CPO / eMSP / Hub by the agreement; the eMSP keeps its share (its commission), the
Hub's share is the Hub's fee, on which the Hub charges VAT at the agreement's rate. The fee and its VAT are the CPO's
to bear and are deducted from what the eMSP pays the CPO: the eMSP pays them to the Hub on the CPO's behalf. So per
CDR: emsp_pays_hub = fee + fee VAT, emsp_pays_cpo = cost incl. VAT - eMSP share - emsp_pays_hub.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

# ISO 4217 minor units where they are not 2 (the currencies of the region first).
_MINOR_UNITS = {"VND": 0, "JPY": 0, "KRW": 0, "IDR": 2, "CLP": 0, "ISK": 0, "UGX": 0, "KWD": 3, "BHD": 3, "JOD": 3}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])\Z")
_WEEK = re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])(/P2W)?\Z")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
KINDS = ("monthly", "biweekly", "weekly")
# Two-week periods are counted from this Monday (ISO 2024-W01), so every biweekly agreement shares the same cut.
_BIWEEKLY_EPOCH = date(2024, 1, 1)
DUE_DAYS = 14


@dataclass(frozen=True, slots=True)
class Share:
    cpo: Decimal
    emsp: Decimal
    hub: Decimal

    def __post_init__(self) -> None:
        if self.cpo + self.emsp + self.hub != 100 or min(self.cpo, self.emsp, self.hub) < 0:
            raise ValueError("revenue shares must be non-negative percents adding up to 100")


DEFAULT_SHARE = Share(Decimal(70), Decimal(20), Decimal(10))


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def split(amount: Decimal, currency: str, share: Share) -> tuple[Decimal, Decimal, Decimal]:
    """(cpo, emsp, hub) of `amount`; eMSP and Hub shares are rounded half-up, the CPO gets the rest."""
    total = to_minor_unit(amount, currency)
    emsp = to_minor_unit(total * share.emsp / 100, currency)
    hub = to_minor_unit(total * share.hub / 100, currency)
    return total - emsp - hub, emsp, hub


# Periods


@dataclass(frozen=True, slots=True)
class Period:
    """A settlement period named by its start in the Hub's time zone: "2026-11" (monthly), "2026-W45" (weekly, ISO
    week from Monday), "2026-W45/P2W" (biweekly: the ISO 8601 interval of two weeks from that week)."""

    name: str
    kind: str
    start: date  # local, inclusive
    end: date  # local, exclusive

    @property
    def due(self) -> date:
        """Each statement is due within 14 days of its period's end."""
        return self.end + timedelta(days=DUE_DAYS - 1)

    def utc_bounds(self, zone: str) -> tuple[datetime, datetime]:
        tz = ZoneInfo(zone)
        return tuple(  # type: ignore[return-value]
            datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC) for d in (self.start, self.end)
        )


def _biweekly_start(monday: date) -> bool:
    return (monday - _BIWEEKLY_EPOCH).days // 7 % 2 == 0


def _week_name(monday: date, kind: str) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}" + ("/P2W" if kind == "biweekly" else "")


def period_of(day: date, kind: str) -> Period:
    """The period of `kind` that holds the local day `day`."""
    if kind == "monthly":
        start = day.replace(day=1)
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return Period(f"{start.year}-{start.month:02d}", kind, start, end)
    monday = day - timedelta(days=day.weekday())
    if kind == "biweekly" and not _biweekly_start(monday):
        monday -= timedelta(days=7)
    length = timedelta(days=14 if kind == "biweekly" else 7)
    return Period(_week_name(monday, kind), kind, monday, monday + length)


def parse_period(name: str, kind: str = "") -> Period:
    """A period from its name; a start date ("2026-11-02") names the weekly or biweekly period it starts (`kind`,
    default weekly). Raises ValueError with what is accepted."""
    text = name.strip()
    month = _MONTH.match(text)
    if month:
        year, number = int(month.group(1)), int(month.group(2))
        assert calendar.monthrange(year, number)
        return period_of(date(year, number, 1), "monthly")
    week = _WEEK.match(text)
    if week:
        try:
            monday = date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1)
        except ValueError:
            raise ValueError(f"period {name!r}: {week.group(1)} has no ISO week {week.group(2)}") from None
        return _week_period(name, monday, "biweekly" if week.group(3) else "weekly")
    if _DAY.match(text):
        try:
            start = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"period {name!r} is not a real date") from None
        if start.weekday() != 0:
            raise ValueError(f"period {name!r}: weekly and biweekly periods start on a Monday")
        return _week_period(name, start, kind or "weekly")
    raise ValueError(
        f"period {name!r} is not a month (2026-11), an ISO week (2026-W45), two weeks (2026-W45/P2W) "
        "or the Monday a week starts (2026-11-02)"
    )


def _week_period(name: str, monday: date, kind: str) -> Period:
    if kind == "biweekly" and not _biweekly_start(monday):
        before, after = period_of(monday, kind), period_of(monday + timedelta(days=7), kind)
        raise ValueError(
            f"period {name!r} is the second week of {before.name}; two-week periods start every other Monday "
            f"(e.g. {before.name} or {after.name})"
        )
    if kind == "monthly":
        raise ValueError(f"period {name!r}: a monthly period is named YYYY-MM")
    return period_of(monday, kind)


# Agreements


@dataclass(frozen=True, slots=True)
class Agreement:
    """Terms between a CPO and (optionally) one eMSP from `valid_from` (a local date) on. cpo "" is the Hub default."""

    cpo: str
    emsp: str
    valid_from: date
    share: Share
    period: str = "monthly"
    vat_percent: Decimal = Decimal(10)

    def describe(self) -> str:
        who = "hub default" if not self.cpo else f"{self.cpo}" + (f"-{self.emsp}" if self.emsp else " (any eMSP)")
        return f"{who} from {self.valid_from}"


def agreement_for(agreements: Iterable[Agreement], default: Agreement, cpo: str, emsp: str, day: date) -> Agreement:
    """The terms of a CDR of `cpo` with `emsp` that ended on local `day`: the pair's agreement in force wins over the
    CPO's, which wins over the Hub default; of one kind, the latest `valid_from` not after `day`."""
    best: tuple[int, date] | None = None
    chosen = default
    for agreement in agreements:
        if agreement.cpo != cpo or agreement.valid_from > day or agreement.emsp not in ("", emsp):
            continue
        rank = (1 if agreement.emsp else 0, agreement.valid_from)
        if best is None or rank > best:
            best, chosen = rank, agreement
    return chosen


# Lines and totals


@dataclass(frozen=True, slots=True)
class Money:
    """One CDR's figures, each rounded to the currency's minor unit (half-up)."""

    reported_excl_vat: Decimal
    reported_incl_vat: Decimal
    priced_excl_vat: Decimal
    priced_incl_vat: Decimal
    cpo_share: Decimal
    emsp_share: Decimal
    hub_fee: Decimal
    hub_fee_vat: Decimal
    emsp_pays_cpo: Decimal
    emsp_pays_hub: Decimal


MONEY_FIELDS = tuple(Money.__dataclass_fields__)


def money(
    currency: str,
    reported: tuple[Decimal, Decimal | None],
    priced: tuple[Decimal, Decimal | None],
    share: Share,
    vat_percent: Decimal,
) -> Money:
    """Who owes whom for one CDR. An incl. VAT figure the CDR or tariff does not give is taken as the excl. one."""

    def rounded(value: Decimal) -> Decimal:
        return to_minor_unit(value, currency)

    reported_excl = rounded(reported[0])
    priced_excl = rounded(priced[0])
    priced_incl = rounded(priced[1]) if priced[1] is not None else priced_excl
    cpo_share, emsp_share, hub_fee = split(priced_excl, currency, share)
    fee_vat = rounded(hub_fee * vat_percent / 100)
    to_hub = hub_fee + fee_vat
    return Money(
        reported_excl_vat=reported_excl,
        reported_incl_vat=rounded(reported[1]) if reported[1] is not None else reported_excl,
        priced_excl_vat=priced_excl,
        priced_incl_vat=priced_incl,
        cpo_share=cpo_share,
        emsp_share=emsp_share,
        hub_fee=hub_fee,
        hub_fee_vat=fee_vat,
        emsp_pays_cpo=priced_incl - emsp_share - to_hub,
        emsp_pays_hub=to_hub,
    )


@dataclass(slots=True)
class PairSum:
    cdrs: int = 0
    figures: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(MONEY_FIELDS, Decimal(0)))


def pair_sums(lines: Sequence[tuple[str, str, str, Money]]) -> dict[tuple[str, str, str], PairSum]:
    """Per (cpo, emsp, currency): the sum of each rounded line figure (so a pair's total is its lines' total)."""
    sums: dict[tuple[str, str, str], PairSum] = defaultdict(PairSum)
    for cpo, emsp, currency, figures in lines:
        entry = sums[(cpo, emsp, currency)]
        entry.cdrs += 1
        for name in MONEY_FIELDS:
            entry.figures[name] += getattr(figures, name)
    return dict(sorted(sums.items()))
