"""Settlement maths (R11.2): each CDR's amount shared between CPO, eMSP and Hub, to the currency's minor unit.

Pure functions; the shares of one CDR always add up to its amount exactly (the CPO takes the rounding remainder),
so every statement total adds up to the cent.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units where they are not 2 (the currencies of the region first).
_MINOR_UNITS = {"VND": 0, "JPY": 0, "KRW": 0, "IDR": 2, "CLP": 0, "ISK": 0, "UGX": 0, "KWD": 3, "BHD": 3, "JOD": 3}
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])\Z")


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


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a "YYYY-MM" period, in UTC."""
    match = _PERIOD.match(period)
    if not match:
        raise ValueError(f"period {period!r} is not of the form YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=UTC)
    days = calendar.monthrange(year, month)[1]
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    assert (end - start).days == days
    return start, end


@dataclass(frozen=True, slots=True)
class Line:
    cdr: str
    cpo: str
    emsp: str
    currency: str
    end: datetime
    amount: Decimal
    cpo_share: Decimal
    emsp_share: Decimal
    hub_share: Decimal
    late: bool
    verification: str


def totals(lines: list[Line], hub: str) -> list[tuple[str, str, str, Decimal, int]]:
    """(party, role, currency, amount, cdrs) per party, role and currency, sorted."""
    sums: dict[tuple[str, str, str], list[Decimal | int]] = defaultdict(lambda: [Decimal(0), 0])
    for line in lines:
        for party, role, amount in (
            (line.cpo, "CPO", line.cpo_share),
            (line.emsp, "EMSP", line.emsp_share),
            (hub, "HUB", line.hub_share),
        ):
            entry = sums[(party, role, line.currency)]
            entry[0] += amount
            entry[1] += 1
    return [(p, r, c, Decimal(v[0]), int(v[1])) for (p, r, c), v in sorted(sums.items())]
