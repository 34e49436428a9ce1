"""Usage figures per party, location or day (R11.3): sessions, energy, revenue, mean duration, utilisation; and
utilisation from the EVSEs' status history per EVSE, location, CPO or day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from core.analytics.repository import AnalyticsRepository
from core.errors import InvalidArgument
from core.names import location_triple, party_pair
from ocpihub.cdrs.v1 import cdrs_pb2

_PLACES = Decimal("0.0001")


@dataclass(slots=True)
class Verified:
    """Figures as the Hub's tariff engine verified them (see GetUsage's UsageRow)."""

    energy: Decimal = Decimal(0)
    hours: Decimal = Decimal(0)
    revenue: dict[str, Decimal] = field(default_factory=dict)
    mismatched: int = 0
    unverified: int = 0

    def add(self, other: Verified) -> None:
        self.energy += other.energy
        self.hours += other.hours
        for currency, amount in other.revenue.items():
            self.revenue[currency] = self.revenue.get(currency, Decimal(0)) + amount
        self.mismatched += other.mismatched
        self.unverified += other.unverified


def verified_figures(row: asyncpg.Record) -> Verified:
    """One CDR as the Hub verified it: its own figures where they differed from the CPO's, else the CPO's."""
    cdr = cdrs_pb2.Cdr.FromString(row["data"])
    check = cdrs_pb2.CdrVerification.FromString(row["verification"])
    computed = {d.field: Decimal(d.computed) for d in check.differences}
    energy = Decimal(cdr.total_energy or 0)
    hours = Decimal(row["hours"] or 0)
    if "total_time" in computed:
        hours += computed["total_time"] - Decimal(cdr.total_time or 0)
    revenue = row["total_cost"]
    mismatch = row["verification_state"] == "MISMATCH"
    if mismatch and "total_cost.excl_vat" in computed and check.computed_total_cost.excl_vat:
        revenue = Decimal(check.computed_total_cost.excl_vat)
    return Verified(
        energy=computed.get("total_energy", energy),
        hours=hours,
        revenue={row["currency"]: revenue},
        mismatched=int(mismatch),
        unverified=int(row["verification_state"] == "NOT_VERIFIED"),
    )


@dataclass(slots=True)
class Usage:
    key: str
    sessions: int = 0
    energy: Decimal = Decimal(0)
    hours: Decimal = Decimal(0)
    revenue: dict[str, Decimal] = field(default_factory=dict)
    evses: int | None = None
    window_hours: Decimal = Decimal(0)
    verified: Verified = field(default_factory=lambda: Verified())

    @property
    def average_hours(self) -> Decimal:
        return (self.hours / self.sessions).quantize(_PLACES) if self.sessions else Decimal(0)

    @property
    def utilisation(self) -> Decimal | None:
        """Charging time over the time the EVSEs could have charged; None when there is no EVSE to count."""
        if not self.evses or not self.window_hours:
            return None
        return (self.hours / (self.evses * self.window_hours)).quantize(_PLACES)


@dataclass(slots=True)
class Utilisation:
    key: str
    charging_seconds: Decimal = Decimal(0)
    usable_seconds: Decimal = Decimal(0)

    @property
    def utilisation(self) -> Decimal | None:
        if not self.usable_seconds:
            return None
        return (self.charging_seconds / self.usable_seconds).quantize(_PLACES)


def _check_window(start: datetime, end: datetime, time_zone: str) -> None:
    if end <= start:
        raise InvalidArgument([("to", "must be after from")])
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument([("time_zone", f"{time_zone!r} is not an IANA time zone")]) from None


class AnalyticsService:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def usage(
        self, grouping: str, start: datetime, end: datetime, party: str, time_zone: str
    ) -> tuple[list[Usage], Usage]:
        _check_window(start, end, time_zone)
        owner = party_pair(party, "party") or ("", "")
        async with self._pool.acquire() as conn:
            repo = AnalyticsRepository(conn)
            usage_rows = await repo.usage(grouping, start, end, owner, time_zone)
            revenue_rows = await repo.revenue(grouping, start, end, owner, time_zone)
            evses = await repo.evses(grouping, owner)
            checked = await repo.verifications(grouping, start, end, owner, time_zone)
        window = Decimal((end - start).total_seconds()) / 3600
        rows: dict[str, Usage] = {}
        for row in usage_rows:
            usage = Usage(row["key"], row["sessions"], row["energy"] or Decimal(0), Decimal(row["hours"] or 0))
            # A day row is one day of every EVSE in scope; party and location rows span the whole window.
            usage.evses = evses.get(None if grouping == "DAY" else usage.key)
            usage.window_hours = Decimal(24) if grouping == "DAY" else window
            rows[usage.key] = usage
        for row in revenue_rows:
            rows[row["key"]].revenue[row["currency"]] = row["amount"]
        for row in checked:
            rows[row["key"]].verified.add(verified_figures(row))
        total = Usage("TOTAL", window_hours=window, evses=sum(v for v in evses.values()) if evses else None)
        revenue: dict[str, Decimal] = defaultdict(Decimal)
        for usage in rows.values():
            total.sessions += usage.sessions
            total.energy += usage.energy
            total.hours += usage.hours
            for currency, amount in usage.revenue.items():
                revenue[currency] += amount
            total.verified.add(usage.verified)
        total.revenue = dict(revenue)
        return list(rows.values()), total

    async def utilisation(
        self, grouping: str, start: datetime, end: datetime, time_zone: str, party: str, location: str
    ) -> tuple[list[Utilisation], Utilisation]:
        """Read from the status history alone: asking again about a past period gives the same answer."""
        _check_window(start, end, time_zone)
        owner = party_pair(party, "party") or ("", "")
        place = location_triple(location, "location") or ("", "", "")
        async with self._pool.acquire() as conn:
            records = await AnalyticsRepository(conn).utilisation(grouping, start, end, time_zone, owner, place)
        rows = [Utilisation(r["key"], Decimal(r["charging"] or 0), Decimal(r["usable"] or 0)) for r in records]
        total = Utilisation("TOTAL")
        for row in rows:
            total.charging_seconds += row.charging_seconds
            total.usable_seconds += row.usable_seconds
        return rows, total
