"""Inputs and outputs of the tariff engine: small frozen value objects, exact decimals only (never float)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from types import MappingProxyType

# OCPI 2.2.1 CdrDimensionType (mod_cdrs "CdrDimensionType enum"). Volumes are per period, never cumulative.
CDR_DIMENSIONS = frozenset(
    {
        "CURRENT",  # A, average (Session only)
        "ENERGY",  # kWh
        "ENERGY_EXPORT",  # kWh (Session only)
        "ENERGY_IMPORT",  # kWh (Session only)
        "MAX_CURRENT",  # A, sum over phases
        "MIN_CURRENT",  # A, sum over phases
        "MAX_POWER",  # kW
        "MIN_POWER",  # kW
        "PARKING_TIME",  # h, vehicle not requesting power (bugfix errata)
        "POWER",  # kW, average (Session only)
        "RESERVATION_TIME",  # h
        "STATE_OF_CHARGE",  # % (Session only)
        "TIME",  # h, charging
    }
)

# Cost categories of a CDR (mod_cdrs "CDR Object": total_*_cost).
CATEGORIES = ("energy", "time", "parking", "fixed", "reservation")


class BillingError(ValueError):
    """Base of the engine's own errors."""


class InvalidTariffError(BillingError):
    """The Tariff cannot be priced: a malformed number, time or date, an unknown dimension, no elements."""


class TariffNotActiveError(BillingError):
    """The session started outside the Tariff's start_date_time/end_date_time validity (UTC)."""


def quantize(amount: Decimal, decimals: int = 2) -> Decimal:
    """Round half-up to `decimals` places — the rounding hook applied once, at the end.

    OCPI defines no rounding (mod_tariffs, Tariff object NOTE: law, contract and currency decide); the spec's examples
    show 2 decimals, half-up (5.125 → 5.13). Pass the currency's minor digits: EUR 2, VND 0 (in practice), BHD 3.
    """
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, not {decimals}")
    with localcontext(prec=60):
        return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def as_decimal(value: object, what: str) -> Decimal:
    """An exact Decimal from a Decimal or int; floats are refused (they cannot hold 0.1 exactly)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what}: {value} is not a finite number")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"{what}: expected Decimal or int, got {type(value).__name__} ({value!r})")


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), got naive {moment.isoformat()}")


@dataclass(frozen=True, slots=True)
class Price:
    """OCPI Price: an amount excluding and including VAT (incl == excl where no VAT applies)."""

    excl_vat: Decimal
    incl_vat: Decimal

    def __add__(self, other: Price) -> Price:
        return Price(self.excl_vat + other.excl_vat, self.incl_vat + other.incl_vat)

    def rounded(self, decimals: int) -> Price:
        return Price(quantize(self.excl_vat, decimals), quantize(self.incl_vat, decimals))


ZERO = Price(Decimal(0), Decimal(0))


@dataclass(frozen=True, slots=True)
class ChargingPeriod:
    """One OCPI ChargingPeriod: it starts at `start` and ends where the next one starts (the last at session end).

    `dimensions` maps CdrDimensionType names to the volume of this period: "ENERGY" kWh, "TIME"/"PARKING_TIME"/
    "RESERVATION_TIME" hours, "MIN_CURRENT"/"MAX_CURRENT"/"CURRENT" A, "MIN_POWER"/"MAX_POWER"/"POWER" kW.
    """

    start: datetime
    dimensions: Mapping[str, Decimal]

    def __post_init__(self) -> None:
        _require_aware(self.start, "ChargingPeriod.start")
        volumes = {str(name): as_decimal(volume, f"dimension {name}") for name, volume in self.dimensions.items()}
        object.__setattr__(self, "dimensions", MappingProxyType(volumes))


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What the engine needs to know about the session besides its periods.

    start/end: CDR start_date_time/end_date_time (UTC; for a reservation, start is the reservation start).
    time_zone: the Location's IANA time zone — restrictions are local time (mod_tariffs TariffRestrictions).
    total_energy: the CDR's total_energy (kWh), if known; only cross-checked against the periods' ENERGY.
    reservation_expired: the reservation was never followed by a charging session (RESERVATION_EXPIRES pricing).
    """

    start: datetime
    end: datetime
    time_zone: str
    total_energy: Decimal | None = None
    reservation_expired: bool = False

    def __post_init__(self) -> None:
        _require_aware(self.start, "SessionInfo.start")
        _require_aware(self.end, "SessionInfo.end")
        if self.end < self.start:
            raise ValueError(f"session ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})")
        if self.total_energy is not None:
            object.__setattr__(self, "total_energy", as_decimal(self.total_energy, "total_energy"))


@dataclass(frozen=True, slots=True)
class Component:
    """A PriceComponent as the engine reads it: `vat` None means "no VAT applicable" (not 0 %)."""

    type: str  # TariffDimensionType name: ENERGY, FLAT, TIME, PARKING_TIME
    price: Decimal  # per unit (kWh, hour) or the fixed amount (FLAT), excl. VAT
    vat: Decimal | None  # percent
    step_size: int  # ENERGY: Wh, TIME/PARKING_TIME: s, FLAT: none

    def cost(self, volume: Decimal) -> Price:
        excl = volume * self.price
        incl = excl if self.vat is None else excl * (1 + self.vat / 100)
        return Price(excl, incl)


@dataclass(frozen=True, slots=True)
class LineItem:
    """One priced (or free) volume: a dimension of one period, or a FLAT fee, with the component that priced it.

    `volume` is what the period reported; `billed_volume` adds the step_size rounding attributed to this item
    (mod_cdrs "step_size": the extra goes to the last relevant period). `amount` is exact, never rounded.
    `element_index`/`component` are None when no element priced the volume: it is free (mod_tariffs Tariff object).
    """

    period_index: int
    period_start: datetime
    dimension: str  # CdrDimensionType (ENERGY, TIME, PARKING_TIME, RESERVATION_TIME) or FLAT
    category: str  # one of CATEGORIES
    element_index: int | None
    component: Component | None
    volume: Decimal
    billed_volume: Decimal
    amount: Price
    # The tariff that priced it ("" when none did).
    tariff_id: str = ""


@dataclass(frozen=True, slots=True)
class Totals:
    """The CDR cost fields (mod_cdrs "CDR Object"); total_cost is clamped by min_price/max_price, the parts are not."""

    total_cost: Price = ZERO
    total_energy_cost: Price = ZERO
    total_time_cost: Price = ZERO
    total_parking_cost: Price = ZERO
    total_fixed_cost: Price = ZERO
    total_reservation_cost: Price = ZERO

    def rounded(self, decimals: int) -> Totals:
        return Totals(
            total_cost=self.total_cost.rounded(decimals),
            total_energy_cost=self.total_energy_cost.rounded(decimals),
            total_time_cost=self.total_time_cost.rounded(decimals),
            total_parking_cost=self.total_parking_cost.rounded(decimals),
            total_fixed_cost=self.total_fixed_cost.rounded(decimals),
            total_reservation_cost=self.total_reservation_cost.rounded(decimals),
        )


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """The auditable result of pricing one session with one tariff.

    totals: every figure rounded once from its exact value with `quantize(…, decimals)`; total_cost is therefore
        the rounded exact total, not the sum of the rounded parts (spec example: 2.875 + 3.30 + 4.125 = 10.30).
    exact_totals: the same before rounding.
    volumes: Σ reported volume per dimension (ENERGY kWh, TIME/PARKING_TIME/RESERVATION_TIME h), free volume included.
    billed_volumes: Σ billed volume per dimension of the volume some component priced, after step_size.
    total_time: session duration in hours (CDR total_time = end - start).
    """

    currency: str
    decimals: int
    totals: Totals
    exact_totals: Totals
    volumes: Mapping[str, Decimal]
    billed_volumes: Mapping[str, Decimal]
    total_time: Decimal
    line_items: tuple[LineItem, ...]
    notes: tuple[str, ...]
    # Per period, in start order: the id of the tariff that priced it ("" for none).
    period_tariffs: tuple[str, ...] = ()

    @property
    def total_cost(self) -> Price:
        return self.totals.total_cost

    @property
    def total_energy_cost(self) -> Price:
        return self.totals.total_energy_cost

    @property
    def total_time_cost(self) -> Price:
        return self.totals.total_time_cost

    @property
    def total_parking_cost(self) -> Price:
        return self.totals.total_parking_cost

    @property
    def total_fixed_cost(self) -> Price:
        return self.totals.total_fixed_cost

    @property
    def total_reservation_cost(self) -> Price:
        return self.totals.total_reservation_cost

    @property
    def total_energy(self) -> Decimal:
        return self.volumes.get("ENERGY", Decimal(0))

    @property
    def total_parking_time(self) -> Decimal:
        return self.volumes.get("PARKING_TIME", Decimal(0))


@dataclass(frozen=True, slots=True)
class Difference:
    """One compared figure that differs by more than the tolerance."""

    field: str  # "total_cost.excl_vat", "total_energy", …
    expected: Decimal
    computed: Decimal

    @property
    def delta(self) -> Decimal:
        return self.expected - self.computed


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """Outcome of `verify`: `match` iff no difference; `checked` lists every compared figure."""

    match: bool
    differences: tuple[Difference, ...]
    checked: tuple[str, ...] = field(default=())
