"""Tariff elements and their restrictions (OCPI 2.2.1 mod_tariffs "TariffRestrictions class"), read from the proto.

A restriction is evaluated at an `Instant`: one moment of the session, in the Location's local time, with the session
duration and energy so far and the current/power of the period. Restrictions are AND-ed and switch an element on or
off *during* a session; they never qualify the whole session.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from core.billing.model import Component, InvalidTariffError
from ocpihub.tariffs.v1 import tariffs_pb2 as pb

RESERVATION = "RESERVATION"
RESERVATION_EXPIRES = "RESERVATION_EXPIRES"
# Suffix of a failing restriction that could not be evaluated: the period lacks the current/power it needs.
NO_DATA = " (no data)"

_DIMENSION_NAMES = {
    pb.TARIFF_DIMENSION_TYPE_ENERGY: "ENERGY",
    pb.TARIFF_DIMENSION_TYPE_FLAT: "FLAT",
    pb.TARIFF_DIMENSION_TYPE_PARKING_TIME: "PARKING_TIME",
    pb.TARIFF_DIMENSION_TYPE_TIME: "TIME",
}
_RESERVATION_NAMES = {
    pb.RESERVATION_RESTRICTION_TYPE_RESERVATION: RESERVATION,
    pb.RESERVATION_RESTRICTION_TYPE_RESERVATION_EXPIRES: RESERVATION_EXPIRES,
}
# The spec's regex for start_time/end_time: 24 h, leading zeros.
_HH_MM = re.compile(r"([0-1][0-9]|2[0-3]):([0-5][0-9])")
# The spec's regex for start_date/end_date.
_YYYY_MM_DD = re.compile(r"[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")


def parse_decimal(text: str, what: str) -> Decimal | None:
    """A proto decimal string; "" means the OCPI field is absent."""
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidTariffError(f"{what}: {text!r} is not a decimal number") from None
    if not value.is_finite():
        raise InvalidTariffError(f"{what}: {text!r} is not a finite number")
    return value


def _parse_time(text: str, what: str) -> time | None:
    if text == "":
        return None
    match = _HH_MM.fullmatch(text)
    if match is None:
        raise InvalidTariffError(f"{what}: {text!r} is not HH:MM (24 h, leading zeros)")
    return time(int(match[1]), int(match[2]))


def _parse_date(text: str, what: str) -> date | None:
    if text == "":
        return None
    try:
        if _YYYY_MM_DD.fullmatch(text) is None:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidTariffError(f"{what}: {text!r} is not a YYYY-MM-DD date") from None


@dataclass(frozen=True, slots=True)
class Instant:
    """The state of the session at one moment, as restrictions see it.

    current/power are (low, high) of the period: min_* restrictions need the low end to reach the bound, max_* need
    the high end to stay below it, so an element is active only if it is active for the whole period. None = unknown.
    """

    local: datetime  # aware, in the Location's time zone
    duration_s: Decimal  # session duration so far (min/max_duration)
    energy_kwh: Decimal  # energy charged so far in the session (min/max_kwh)
    current: tuple[Decimal | None, Decimal | None] = (None, None)
    power: tuple[Decimal | None, Decimal | None] = (None, None)


@dataclass(frozen=True, slots=True)
class Restrictions:
    start_time: time | None = None
    end_time: time | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    days: frozenset[int] = frozenset()  # ISO weekdays, 1 = Monday
    reservation: str | None = None  # RESERVATION / RESERVATION_EXPIRES

    def failing(self, at: Instant) -> str | None:
        """The first restriction that does not hold at `at` (its name, "(no data)" when unknown), or None."""
        checks: tuple[tuple[str, bool | None], ...] = (
            ("start_time/end_time", _in_daily_window(at.local.time(), self.start_time, self.end_time)),
            ("start_date", self.start_date is None or at.local.date() >= self.start_date),  # inclusive
            ("end_date", self.end_date is None or at.local.date() < self.end_date),  # exclusive
            ("day_of_week", not self.days or at.local.isoweekday() in self.days),
            ("min_kwh", self.min_kwh is None or at.energy_kwh >= self.min_kwh),  # inclusive
            ("max_kwh", self.max_kwh is None or at.energy_kwh < self.max_kwh),  # exclusive
            ("min_duration", self.min_duration is None or at.duration_s >= self.min_duration),  # inclusive
            ("max_duration", self.max_duration is None or at.duration_s < self.max_duration),  # exclusive
            ("min_current", _at_least(at.current[0], self.min_current)),
            ("max_current", _below(at.current[1], self.max_current)),
            ("min_power", _at_least(at.power[0], self.min_power)),
            ("max_power", _below(at.power[1], self.max_power)),
        )
        for name, holds in checks:
            if holds is None:
                return f"{name}{NO_DATA}"
            if not holds:
                return name
        return None

    def clock_times(self) -> tuple[time, ...]:
        return tuple(t for t in (self.start_time, self.end_time) if t is not None)

    def kwh_bounds(self) -> tuple[Decimal, ...]:
        return tuple(k for k in (self.min_kwh, self.max_kwh) if k is not None)

    def duration_bounds(self) -> tuple[int, ...]:
        return tuple(s for s in (self.min_duration, self.max_duration) if s is not None)


def _at_least(value: Decimal | None, bound: Decimal | None) -> bool | None:
    # min_current/min_power: active while charging with at least the bound (inclusive). Unknown value → None.
    if bound is None:
        return True
    return None if value is None else value >= bound


def _below(value: Decimal | None, bound: Decimal | None) -> bool | None:
    # max_current/max_power: active while charging with less than the bound (exclusive). Unknown value → None.
    if bound is None:
        return True
    return None if value is None else value < bound


def _in_daily_window(now: time, start: time | None, end: time | None) -> bool:
    """start_time inclusive, end_time exclusive; end < start wraps past midnight; end 00:00 = end of the day."""
    if start is None and end is None:
        return True
    begin = start or time(0)
    if end is None or end == time(0):
        return now >= begin
    if begin < end:
        return begin <= now < end
    if end < begin:
        return now >= begin or now < end
    return True  # start == end (not 00:00): read as a full 24 h window, like 00:00-00:00


@dataclass(frozen=True, slots=True)
class Element:
    """A TariffElement: at most one component per dimension (the first, if the element lists several)."""

    index: int
    components: Mapping[str, Component]
    restrictions: Restrictions

    @property
    def reservation(self) -> str | None:
        return self.restrictions.reservation


def parse_component(component: pb.PriceComponent, where: str) -> Component:
    name = _DIMENSION_NAMES.get(component.type)
    if name is None:
        raise InvalidTariffError(f"{where}.type: unknown TariffDimensionType {component.type}")
    price = parse_decimal(component.price, f"{where}.price")
    if price is None:
        raise InvalidTariffError(f"{where}.price is required")
    return Component(name, price, parse_decimal(component.vat, f"{where}.vat"), component.step_size)


def parse_restrictions(r: pb.TariffRestrictions, where: str) -> Restrictions:
    days = set()
    for day in r.day_of_week:
        if not pb.DAY_OF_WEEK_MONDAY <= day <= pb.DAY_OF_WEEK_SUNDAY:
            raise InvalidTariffError(f"{where}.day_of_week: unknown DayOfWeek {day}")
        days.add(int(day))  # the proto numbers MONDAY..SUNDAY 1..7, like isoweekday()
    reservation = None
    if r.reservation != pb.RESERVATION_RESTRICTION_TYPE_UNSPECIFIED:
        reservation = _RESERVATION_NAMES.get(r.reservation)
        if reservation is None:
            raise InvalidTariffError(f"{where}.reservation: unknown ReservationRestrictionType {r.reservation}")
    return Restrictions(
        start_time=_parse_time(r.start_time, f"{where}.start_time"),
        end_time=_parse_time(r.end_time, f"{where}.end_time"),
        start_date=_parse_date(r.start_date, f"{where}.start_date"),
        end_date=_parse_date(r.end_date, f"{where}.end_date"),
        min_kwh=parse_decimal(r.min_kwh, f"{where}.min_kwh"),
        max_kwh=parse_decimal(r.max_kwh, f"{where}.max_kwh"),
        min_current=parse_decimal(r.min_current, f"{where}.min_current"),
        max_current=parse_decimal(r.max_current, f"{where}.max_current"),
        min_power=parse_decimal(r.min_power, f"{where}.min_power"),
        max_power=parse_decimal(r.max_power, f"{where}.max_power"),
        min_duration=r.min_duration if r.HasField("min_duration") else None,
        max_duration=r.max_duration if r.HasField("max_duration") else None,
        days=frozenset(days),
        reservation=reservation,
    )


def parse_elements(tariff: pb.Tariff) -> tuple[tuple[Element, ...], tuple[str, ...]]:
    """The tariff's elements in list order (order decides: mod_tariffs "Tariff object"), plus notes on oddities."""
    if not tariff.elements:
        raise InvalidTariffError("tariff has no elements (TariffElement cardinality is +)")
    elements, notes = [], []
    for index, element in enumerate(tariff.elements):
        where = f"elements[{index}]"
        components: dict[str, Component] = {}
        for position, raw in enumerate(element.price_components):
            component = parse_component(raw, f"{where}.price_components[{position}]")
            if component.type in components:
                notes.append(f"{where} lists {component.type} twice; only the first component is used")
                continue
            components[component.type] = component
        restrictions = parse_restrictions(element.restrictions, f"{where}.restrictions")
        if restrictions.reservation is not None:
            # "A reservation can only have: FLAT and TIME TariffDimensions" (TariffRestrictions.reservation).
            for extra in sorted(set(components) - {"FLAT", "TIME"}):
                notes.append(f"{where} is a {restrictions.reservation} element; its {extra} component is ignored")
        elements.append(Element(index, components, restrictions))
    return tuple(elements), tuple(notes)
