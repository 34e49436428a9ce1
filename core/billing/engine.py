"""The Hub's OCPI 2.2.1 tariff engine: price one session from a Tariff and its charging periods.

Pure domain code — no I/O, no clock, no floats. The rules and every reading of an unclear spec passage are in
HUB-DIGEST §4 and the comments below; the spec is ocpi/ocpi release-2.2.1-bugfixes (mod_tariffs, mod_cdrs).

How a session is priced (HUB-DIGEST §4.3):
1. Periods are sorted; each ends where the next starts, the last at session end.
2. Per period and per dimension, the active PriceComponent is the one of the first TariffElement (list order) that
   has that dimension and whose restrictions all hold at the period start (local time, session duration and energy
   so far, the period's current/power). None found: the volume is free.
3. volume x price per component, VAT per component; FLAT once per session (and once for the reservation).
4. step_size once per session per group (ENERGY; TIME+PARKING_TIME; reservation TIME) on the session total of the
   last priced dimension, with the last component's step; the extra is billed on that last item.
5. Totals per CDR category; min_price/max_price clamp total_cost (excl and incl independently); round at the end.

Decimal arithmetic runs in a 50-digit context that traps float mixing. Everything is exact except the one
unavoidable division — seconds to hours after step_size rounding — whose error (~1e-48) is far below any minor unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    FloatOperation,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.billing.model import (
    CDR_DIMENSIONS,
    ZERO,
    ChargingPeriod,
    CostBreakdown,
    Difference,
    InvalidTariffError,
    LineItem,
    Price,
    SessionInfo,
    TariffNotActiveError,
    Totals,
    VerificationResult,
    as_decimal,
)
from core.billing.restrictions import (
    NO_DATA,
    RESERVATION,
    RESERVATION_EXPIRES,
    Element,
    Instant,
    parse_decimal,
    parse_elements,
)
from ocpihub.tariffs.v1 import tariffs_pb2 as pb

_CONTEXT = Context(
    prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow, FloatOperation]
)

# Charging-side volumes, in the order their line items are listed within one period (parking after charging).
_CHARGING_DIMENSIONS = ("ENERGY", "TIME", "PARKING_TIME")
_VOLUME_DIMENSIONS = (*_CHARGING_DIMENSIONS, "RESERVATION_TIME")
# step_size multipliers (mod_tariffs TariffDimensionType): ENERGY 1 Wh, TIME/PARKING_TIME 1 s.
_BASE_UNITS = {"ENERGY": Decimal(1000), "TIME": Decimal(3600), "PARKING_TIME": Decimal(3600)}
_BASE_UNITS["RESERVATION_TIME"] = _BASE_UNITS["TIME"]
# step_size is applied once per group (mod_cdrs "step_size"): ENERGY; TIME and PARKING_TIME combined; and the
# reservation TIME, which the reservation examples round on its own (T16: 13 → 15 min).
_STEP_GROUPS = (("ENERGY",), ("TIME", "PARKING_TIME"), ("RESERVATION_TIME",))
_CATEGORIES = {"ENERGY": "energy", "TIME": "time", "PARKING_TIME": "parking", "RESERVATION_TIME": "reservation"}
_MONEY_FIELDS = tuple(Totals.__dataclass_fields__)
_VOLUME_FIELDS = ("total_energy", "total_time", "total_parking_time")
_ONE_SECOND = Decimal(1)


# ---------------------------------------------------------------------------------------------------------------
# Public API


def price_session(
    tariff: pb.Tariff, periods: Iterable[ChargingPeriod], session: SessionInfo, *, decimals: int = 2
) -> CostBreakdown:
    """Price a session's charging periods with one tariff and explain every figure.

    `decimals` is the currency's number of minor digits used by the final half-up rounding (EUR 2; VND 0 in
    practice): OCPI leaves rounding to law, contract and currency (mod_tariffs, Tariff object NOTE).

    Raises InvalidTariffError for a malformed tariff, TariffNotActiveError when the session starts outside the
    tariff's start_date_time/end_date_time, ValueError for an unknown time zone. Data problems that do not prevent
    pricing (periods spanning a price change, missing current data, …) become `notes`.
    """
    periods = list(periods)
    return price_periods(periods, [tariff] * len(periods), session, decimals=decimals, session_tariff=tariff)


def price_periods(
    periods: Sequence[ChargingPeriod],
    tariffs: Sequence[pb.Tariff | None],
    session: SessionInfo,
    *,
    decimals: int = 2,
    session_tariff: pb.Tariff | None = None,
) -> CostBreakdown:
    """Price each period with its own tariff (`tariffs[i]` prices `periods[i]`; None: no tariff, the period is free).

    OCPI lets each ChargingPeriod name its tariff (mod_cdrs ChargingPeriod.tariff_id), e.g. when a profile change
    switches tariffs mid-session. Across tariffs the session stays one session: energy and duration so far, FLAT once,
    step_size on the session totals with the last priced component (HUB-DIGEST §4.2: no rounding at a switch).
    `session_tariff` (default: the first period's) gives the currency and the min_price/max_price that bound the
    total. Every tariff must be active at the session start and in one currency. Raises as `price_session`.
    """
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, not {decimals}")
    if len(periods) != len(tariffs):
        raise ValueError(f"{len(periods)} periods but {len(tariffs)} tariffs")
    zone = _zone(session.time_zone)
    paired = sorted(zip(periods, tariffs, strict=True), key=lambda pair: pair[0].start)
    main = session_tariff or next((t for _, t in paired if t is not None), None)
    if main is None:
        raise InvalidTariffError("no tariff prices any period")
    parsed, notes = _parse_tariffs([(main, session.start)] + [(t, p.start) for p, t in paired if t is not None])
    minimum, maximum = _bounds(main, "min_price"), _bounds(main, "max_price")
    with localcontext(_CONTEXT):
        run = _Run((), session, zone, notes=notes)
        for period, (_, tariff) in zip(_resolve([p for p, _ in paired], session, run.notes), paired, strict=True):
            run.tariff_id = tariff.id if tariff is not None else ""
            run.elements = parsed[tariff.id.upper()] if tariff is not None else ()
            if tariff is None:
                run.notes.append(f"period {period.index}: no tariff prices it (free)")
            run.price(period)
        items = _apply_step_sizes(run.items, run.notes)
        exact = _totals(items, minimum, maximum, run.notes)
        _check_energy(session, run.energy_so_far, run.notes)
        return CostBreakdown(
            currency=main.currency,
            decimals=decimals,
            totals=exact.rounded(decimals),
            exact_totals=exact,
            volumes=_sum_volumes(items, billed=False),
            billed_volumes=_sum_volumes(items, billed=True),
            total_time=_seconds(session.end - session.start) / _BASE_UNITS["TIME"],
            line_items=tuple(items),
            notes=tuple(run.notes),
            period_tariffs=tuple(t.id if t is not None else "" for _, t in paired),
        )


def _parse_tariffs(
    uses: Sequence[tuple[pb.Tariff, datetime]],
) -> tuple[dict[str, tuple[Element, ...]], list[str]]:
    """Each distinct tariff's elements (by id, as OCPI ids are case-insensitive), in one currency, each active when it
    first applies (the session tariff at the session start, any other at the first period it prices)."""
    parsed: dict[str, tuple[Element, ...]] = {}
    notes: list[str] = []
    currency = uses[0][0].currency
    for index, (tariff, moment) in enumerate(uses):
        key = tariff.id.upper()
        if key in parsed:
            continue
        if tariff.currency != currency:
            raise InvalidTariffError(f"tariff {tariff.id!r} is in {tariff.currency}, not {currency}")
        _check_active(tariff, moment, "the session start" if index == 0 else f"the period it prices ({_iso(moment)})")
        elements, tariff_notes = parse_elements(tariff)
        parsed[key] = elements
        notes.extend(tariff_notes if len(parsed) == 1 else (f"tariff {tariff.id}: {n}" for n in tariff_notes))
    return parsed, notes


def verify(
    expected_totals: Mapping[str, Price | Decimal], computed: CostBreakdown, tolerance: Decimal = Decimal("0.01")
) -> VerificationResult:
    """Compare a CDR's totals with the engine's exact (unrounded) figures.

    Keys are CDR field names: total_cost, total_energy_cost, total_time_cost, total_parking_cost, total_fixed_cost,
    total_reservation_cost (a Price compares excl and incl; a bare Decimal only excl_vat, as incl_vat is optional in
    a CDR), and total_energy / total_time / total_parking_time (Decimal). A figure matches when it is within
    `tolerance` of the computed one; comparing with the exact value accepts any sane rounding by the CPO.
    """
    tolerance = as_decimal(tolerance, "tolerance")
    checked: list[str] = []
    differences: list[Difference] = []
    with localcontext(_CONTEXT):
        for name, expected in expected_totals.items():
            for label, want, got in _comparisons(name, expected, computed):
                checked.append(label)
                if abs(want - got) > tolerance:
                    differences.append(Difference(label, want, got))
    return VerificationResult(match=not differences, differences=tuple(differences), checked=tuple(checked))


# ---------------------------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True, slots=True)
class _Period:
    """A charging period with its end, its non-negative billable volumes and its current/power range."""

    index: int
    start: datetime
    end: datetime
    volumes: Mapping[str, Decimal]
    current: tuple[Decimal | None, Decimal | None]
    power: tuple[Decimal | None, Decimal | None]
    dimensions: frozenset[str]

    @property
    def reservation_side(self) -> bool:
        # Reservation time is priced by the reservation elements (TariffRestrictions.reservation).
        return "RESERVATION_TIME" in self.dimensions

    @property
    def charging_side(self) -> bool:
        return not self.reservation_side or any(d in self.dimensions for d in _CHARGING_DIMENSIONS)


def _resolve(periods: Sequence[ChargingPeriod], session: SessionInfo, notes: list[str]) -> Iterator[_Period]:
    """Each period ends where the next one starts, the last at session end (mod_cdrs ChargingPeriod)."""
    if not periods:
        notes.append("no charging periods: only min_price can apply")
    for index, period in enumerate(periods):
        end = periods[index + 1].start if index + 1 < len(periods) else session.end
        if not session.start <= period.start <= session.end:
            notes.append(f"period {index} starts at {_iso(period.start)}, outside the session")
        yield _Period(
            index=index,
            start=period.start,
            end=end,
            volumes=_volumes(index, period, end, notes),
            current=_levels(period.dimensions, "CURRENT"),
            power=_levels(period.dimensions, "POWER"),
            dimensions=frozenset(period.dimensions),
        )


def _volumes(index: int, period: ChargingPeriod, end: datetime, notes: list[str]) -> dict[str, Decimal]:
    volumes: dict[str, Decimal] = {}
    for name, volume in period.dimensions.items():
        if name not in CDR_DIMENSIONS:
            notes.append(f"period {index}: unknown dimension {name!r} ignored")
        elif name in _VOLUME_DIMENSIONS:
            if volume < 0:
                # OCPI 2.2.1 prices no energy fed back nor negative time: bill nothing rather than a credit.
                notes.append(f"period {index}: negative {name} {volume} billed as 0")
            volumes[name] = max(volume, Decimal(0))
    reported = sum((volumes.get(d, Decimal(0)) for d in ("TIME", "PARKING_TIME", "RESERVATION_TIME")), Decimal(0))
    if reported * _BASE_UNITS["TIME"] > _seconds(end - period.start) + _ONE_SECOND:
        notes.append(f"period {index}: reports {reported} h of time, more than its {_hours(period.start, end)} h")
    return volumes


def _levels(dimensions: Mapping[str, Decimal], quantity: str) -> tuple[Decimal | None, Decimal | None]:
    """(low, high) of CURRENT or POWER: MIN_/MAX_ values, else the average, else the other bound."""
    low, average, high = (
        dimensions.get(f"MIN_{quantity}"),
        dimensions.get(quantity),
        dimensions.get(f"MAX_{quantity}"),
    )
    return _first(low, average, high), _first(high, average, low)


def _first(*values: Decimal | None) -> Decimal | None:
    return next((v for v in values if v is not None), None)


# ---------------------------------------------------------------------------------------------------------------
# Selection and per-period pricing


@dataclass
class _Run:
    """State of one pricing run: the elements by side, the energy so far, FLATs billed, line items, notes."""

    elements: tuple[Element, ...]
    session: SessionInfo
    zone: ZoneInfo
    notes: list[str] = field(default_factory=list)
    items: list[LineItem] = field(default_factory=list)
    energy_so_far: Decimal = Decimal(0)
    # The tariff pricing the current period (its elements are `elements`).
    tariff_id: str = ""
    # side → (tariff id, element index) of the FLAT billed
    flats: dict[str, tuple[str, int]] = field(default_factory=dict)
    flat_noted: set[tuple[str, str, int]] = field(default_factory=set)

    @property
    def charging_pool(self) -> tuple[Element, ...]:
        # Reservation elements price only the reservation (TariffRestrictions.reservation).
        return tuple(e for e in self.elements if e.reservation is None)

    @property
    def reservation_pool(self) -> tuple[Element, ...]:
        reserved = tuple(e for e in self.elements if e.reservation == RESERVATION)
        if not self.session.reservation_expired:
            return reserved
        # An expired reservation is priced by RESERVATION_EXPIRES elements first: the spec says so for TIME
        # (ReservationRestrictionType NOTE); read the same for FLAT, RESERVATION elements remaining the fallback.
        return tuple(e for e in self.elements if e.reservation == RESERVATION_EXPIRES) + reserved

    def instant(self, moment: datetime, period: _Period, energy: Decimal | None = None) -> Instant:
        return Instant(
            local=moment.astimezone(self.zone),
            duration_s=_seconds(moment - self.session.start),
            energy_kwh=self.energy_so_far if energy is None else energy,
            current=period.current,
            power=period.power,
        )

    def select(self, pool: tuple[Element, ...], dimension: str, at: Instant, period: _Period) -> Element | None:
        """The first element of `pool` with a `dimension` component whose restrictions hold (mod_tariffs Tariff)."""
        for element in pool:
            if dimension not in element.components:
                continue
            failing = element.restrictions.failing(at)
            if failing is None:
                return element
            if failing.endswith(NO_DATA):
                self.notes.append(
                    f"period {period.index}: elements[{element.index}] skipped for {dimension}, {failing}"
                )
        return None

    def price(self, period: _Period) -> None:
        at = self.instant(period.start, period)
        keys: list[tuple[tuple[Element, ...], str]] = []
        if period.charging_side:
            for dimension in _CHARGING_DIMENSIONS:
                if dimension in period.volumes:
                    self._volume_item(period, dimension, self.select(self.charging_pool, dimension, at, period))
                    keys.append((self.charging_pool, dimension))
            self._flat(period, "charging", self.select(self.charging_pool, "FLAT", at, period))
            keys.append((self.charging_pool, "FLAT"))
        if period.reservation_side:
            element = self.select(self.reservation_pool, "TIME", at, period)
            self._volume_item(period, "RESERVATION_TIME", element, component_type="TIME")
            self._flat(period, "reservation", self.select(self.reservation_pool, "FLAT", at, period))
            keys += [(self.reservation_pool, "TIME"), (self.reservation_pool, "FLAT")]
        self._note_price_change(period, at, keys)
        self.energy_so_far += period.volumes.get("ENERGY", Decimal(0))

    def _volume_item(
        self, period: _Period, dimension: str, element: Element | None, component_type: str | None = None
    ) -> None:
        volume = period.volumes.get(dimension, Decimal(0))
        component = None if element is None else element.components[component_type or dimension]
        self.items.append(
            LineItem(
                period_index=period.index,
                period_start=period.start,
                dimension=dimension,
                category=_CATEGORIES[dimension],
                element_index=None if element is None else element.index,
                component=component,
                volume=volume,
                billed_volume=volume,
                amount=ZERO if component is None else component.cost(volume),
                tariff_id=self.tariff_id,
            )
        )

    def _flat(self, period: _Period, side: str, element: Element | None) -> None:
        """FLAT is billed once per session — the first one to become active (tandemdrive's reading; HUB-DIGEST §4.1)."""
        if element is None:
            return
        billed = self.flats.get(side)
        here = (self.tariff_id, element.index)
        if billed is not None:
            if billed != here and (side, *here) not in self.flat_noted:
                self.flat_noted.add((side, *here))
                self.notes.append(
                    f"period {period.index}: FLAT of {_element_name(*here, billed[0])} not billed, "
                    f"the FLAT of {_element_name(*billed, here[0])} already was (FLAT once per session)"
                )
            return
        self.flats[side] = here
        component = element.components["FLAT"]
        self.items.append(
            LineItem(
                period_index=period.index,
                period_start=period.start,
                dimension="FLAT",
                category=_flat_category(side, element),
                element_index=element.index,
                component=component,
                volume=Decimal(1),
                billed_volume=Decimal(1),
                amount=component.cost(Decimal(1)),
                tariff_id=self.tariff_id,
            )
        )

    def _note_price_change(self, period: _Period, at: Instant, keys: Sequence[tuple[tuple[Element, ...], str]]) -> None:
        """Note a period inside which another component becomes active: the CPO SHALL have split it (mod_cdrs
        ChargingPeriod). The engine still prices the whole period with the components active at its start."""

        def signature(probe: Instant) -> tuple[int | None, ...]:
            chosen = (_quiet_select(pool, dimension, probe) for pool, dimension in keys)
            return tuple(None if e is None else e.index for e in chosen)

        base = signature(at)
        for reason, probe in self._probes(period, at):
            if signature(probe) != base:
                self.notes.append(
                    f"period {period.index} ({_iso(period.start)}) spans a price change ({reason}); "
                    "priced with the components active at its start"
                )
                return

    def _probes(self, period: _Period, at: Instant) -> Iterator[tuple[str, Instant]]:
        """Moments and states inside the period where some restriction may flip."""
        for moment in _boundary_moments(self.elements, self.zone, self.session.start, period.start, period.end):
            yield f"at {moment.astimezone(self.zone).isoformat()}", self.instant(moment, period)
        energy = period.volumes.get("ENERGY", Decimal(0))
        bounds = sorted({k for e in self.elements for k in e.restrictions.kwh_bounds()})
        for kwh in bounds:
            if self.energy_so_far < kwh < self.energy_so_far + energy:
                yield f"at {kwh} kWh", self.instant(period.start, period, energy=kwh)
        low, high = period.current
        if low is not None and high is not None and low != high:
            for level in (low, high):
                yield f"current ranges {low}..{high} A", replace(at, current=(level, level))
        low, high = period.power
        if low is not None and high is not None and low != high:
            for level in (low, high):
                yield f"power ranges {low}..{high} kW", replace(at, power=(level, level))


def _element_name(tariff_id: str, index: int, other_tariff_id: str) -> str:
    """elements[i], naming the tariff only where two tariffs are in play."""
    return f"elements[{index}]" if tariff_id == other_tariff_id else f"tariff {tariff_id} elements[{index}]"


def _quiet_select(pool: Sequence[Element], dimension: str, at: Instant) -> Element | None:
    return next((e for e in pool if dimension in e.components and e.restrictions.failing(at) is None), None)


def _flat_category(side: str, element: Element) -> str:
    """CDR category of a FLAT: reservation fee, parking fixed part (total_parking_cost "including fixed price
    components") when its element prices only parking besides it, else total_fixed_cost."""
    if side == "reservation":
        return "reservation"
    others = set(element.components) - {"FLAT"}
    return "parking" if others == {"PARKING_TIME"} else "fixed"


def _boundary_moments(
    elements: Sequence[Element], zone: ZoneInfo, session_start: datetime, start: datetime, end: datetime
) -> list[datetime]:
    """UTC moments strictly inside (start, end) where a clock, date, weekday or duration restriction can flip."""
    clock = {time(0)} | {t for e in elements for t in e.restrictions.clock_times()}
    moments: set[datetime] = set()
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        for wall in clock:
            for fold in (0, 1):  # both readings of a wall time repeated when DST ends
                moment = datetime.combine(day, wall, tzinfo=zone).replace(fold=fold).astimezone(UTC)
                if start < moment < end:
                    moments.add(moment)
        day += timedelta(days=1)
    for element in elements:
        for seconds in element.restrictions.duration_bounds():
            moment = session_start + timedelta(seconds=seconds)
            if start < moment < end:
                moments.add(moment)
    return sorted(moments)


# ---------------------------------------------------------------------------------------------------------------
# step_size, totals


def _apply_step_sizes(items: list[LineItem], notes: list[str]) -> list[LineItem]:
    """step_size per the d2/bugfix reading (mod_cdrs "step_size", HUB-DIGEST §4.2).

    Once per group, on the session total of the dimension of the last priced item, with that item's step_size; the
    extra is billed on that item at its price. Switching elements, or from TIME to PARKING_TIME, is not rounded;
    volume no component priced (free) neither counts nor receives the extra (T14 example "switching to free").
    """
    items = list(items)
    for group in _STEP_GROUPS:
        paid = [i for i, item in enumerate(items) if item.dimension in group and item.component and item.volume > 0]
        if not paid:
            continue
        last = items[paid[-1]]
        assert last.component is not None
        total = sum((items[i].volume for i in paid if items[i].dimension == last.dimension), Decimal(0))
        step = last.component.step_size
        if step <= 0:
            notes.append(f"elements[{last.element_index}] {last.component.type} step_size {step}: not rounded")
            continue
        extra = _step_extra(total, last.dimension, step)
        if extra > 0:
            billed = last.billed_volume + extra
            items[paid[-1]] = replace(last, billed_volume=billed, amount=last.component.cost(billed))
            notes.append(
                f"step_size {step} of elements[{last.element_index}] {last.component.type}: session {last.dimension} "
                f"{total} rounded up by {extra}, billed in period {last.period_index}"
            )
    return items


def _step_extra(total: Decimal, dimension: str, step: int) -> Decimal:
    """How much to add to `total` (kWh or h) to reach the next multiple of `step` base units (Wh or s)."""
    unit = _BASE_UNITS[dimension]
    measured = total * unit
    if unit == _BASE_UNITS["TIME"]:
        # Time is metered in whole seconds; hours given with 4 decimals carry up to 0.18 s of noise, which must not
        # cost a whole extra step (5 min reported as 0.0834 h is 300.24 s). Energy keeps its fraction: the spec
        # bills 115.2 Wh as 116 Wh with step_size 1.
        measured = measured.to_integral_value(rounding=ROUND_HALF_UP)
    blocks, rest = divmod(measured, step)
    billed = (blocks + (1 if rest else 0)) * step
    return max(billed / unit - total, Decimal(0))


def _totals(
    items: Sequence[LineItem],
    minimum: tuple[Decimal | None, Decimal | None],
    maximum: tuple[Decimal | None, Decimal | None],
    notes: list[str],
) -> Totals:
    parts = {c: sum((i.amount for i in items if i.category == c), ZERO) for c in set(_CATEGORIES.values()) | {"fixed"}}
    total = sum(parts.values(), ZERO)
    # min_price/max_price bound the session total, excl. and incl. VAT each on its own (mod_tariffs Tariff NOTEs).
    clamped = Price(
        _clamp(total.excl_vat, minimum[0], maximum[0], "excl_vat", notes),
        _clamp(total.incl_vat, minimum[1], maximum[1], "incl_vat", notes),
    )
    return Totals(
        total_cost=clamped,
        total_energy_cost=parts["energy"],
        total_time_cost=parts["time"],
        total_parking_cost=parts["parking"],
        total_fixed_cost=parts["fixed"],
        total_reservation_cost=parts["reservation"],
    )


def _clamp(value: Decimal, low: Decimal | None, high: Decimal | None, what: str, notes: list[str]) -> Decimal:
    if low is not None and value < low:
        notes.append(f"min_price {what} {low} applies (computed {value})")
        value = low
    if high is not None and value > high:
        notes.append(f"max_price {what} {high} applies (computed {value})")
        value = high
    return value


def _sum_volumes(items: Sequence[LineItem], *, billed: bool) -> dict[str, Decimal]:
    volumes: dict[str, Decimal] = {}
    for item in items:
        if item.dimension == "FLAT" or (billed and item.component is None):
            continue
        amount = item.billed_volume if billed else item.volume
        volumes[item.dimension] = volumes.get(item.dimension, Decimal(0)) + amount
    return volumes


# ---------------------------------------------------------------------------------------------------------------
# Tariff-level checks and helpers


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def _check_active(tariff: pb.Tariff, moment: datetime, what: str = "the session start") -> None:
    """The tariff must be valid when the session starts (mod_cdrs: a CDR carries the tariffs valid at its start), or
    a tariff that takes over mid-session when it does."""
    if tariff.HasField("start_date_time"):
        begins = tariff.start_date_time.ToDatetime(tzinfo=UTC)
        if moment < begins:
            raise TariffNotActiveError(f"tariff {tariff.id!r} starts {_iso(begins)}, after {what}")
    if tariff.HasField("end_date_time"):
        ends = tariff.end_date_time.ToDatetime(tzinfo=UTC)
        if moment > ends:
            raise TariffNotActiveError(f"tariff {tariff.id!r} ended {_iso(ends)}, before {what}")


def _bounds(tariff: pb.Tariff, name: Literal["min_price", "max_price"]) -> tuple[Decimal | None, Decimal | None]:
    if not tariff.HasField(name):
        return None, None
    price: pb.Price = getattr(tariff, name)
    return parse_decimal(price.excl_vat, f"{name}.excl_vat"), parse_decimal(price.incl_vat, f"{name}.incl_vat")


def _check_energy(session: SessionInfo, energy: Decimal, notes: list[str]) -> None:
    if session.total_energy is not None and session.total_energy != energy:
        notes.append(f"session total_energy {session.total_energy} kWh differs from the periods' ENERGY, {energy} kWh")


def _comparisons(name: str, expected: Price | Decimal, computed: CostBreakdown) -> list[tuple[str, Decimal, Decimal]]:
    if name in _MONEY_FIELDS:
        actual: Price = getattr(computed.exact_totals, name)
        if isinstance(expected, Price):
            return [
                (f"{name}.excl_vat", as_decimal(expected.excl_vat, name), actual.excl_vat),
                (f"{name}.incl_vat", as_decimal(expected.incl_vat, name), actual.incl_vat),
            ]
        return [(f"{name}.excl_vat", as_decimal(expected, name), actual.excl_vat)]
    if name in _VOLUME_FIELDS:
        if isinstance(expected, Price):
            raise TypeError(f"{name} is a volume, expected a Decimal")
        volumes = {
            "total_energy": computed.total_energy,
            "total_time": computed.total_time,
            "total_parking_time": computed.total_parking_time,
        }
        return [(name, as_decimal(expected, name), volumes[name])]
    raise ValueError(f"unknown CDR total {name!r}; known: {', '.join(_MONEY_FIELDS + _VOLUME_FIELDS)}")


def _seconds(delta: timedelta) -> Decimal:
    """A timedelta in seconds, exactly (timedelta.total_seconds() is a float)."""
    return Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000


def _hours(start: datetime, end: datetime) -> Decimal:
    return _seconds(end - start) / _BASE_UNITS["TIME"]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
