"""Property tests of the tariff maths (hypothesis): invariants that must hold for any tariff and any session."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.billing import ChargingPeriod, CostBreakdown, Price, SessionInfo, Totals, price_session
from ocpihub.tariffs.v1 import tariffs_pb2 as pb

# derandomize: the same examples on every run, so CI cannot fail on a draw no one else ever sees.
BOUNDED = settings(max_examples=200, deadline=None, derandomize=True)

ZONES = ("Europe/Amsterdam", "Asia/Ho_Chi_Minh", "America/New_York", "UTC")
# Around both 2024 DST switches in Europe and an ordinary Friday afternoon.
ANCHORS = (
    datetime(2024, 3, 30, 22, tzinfo=UTC),
    datetime(2024, 10, 26, 22, tzinfo=UTC),
    datetime(2024, 6, 7, 15, tzinfo=UTC),
)
DIMENSIONS = {
    "ENERGY": pb.TARIFF_DIMENSION_TYPE_ENERGY,
    "FLAT": pb.TARIFF_DIMENSION_TYPE_FLAT,
    "TIME": pb.TARIFF_DIMENSION_TYPE_TIME,
    "PARKING_TIME": pb.TARIFF_DIMENSION_TYPE_PARKING_TIME,
}

prices = st.decimals(min_value=0, max_value=100, places=2)
vats = st.one_of(st.none(), st.decimals(min_value=0, max_value=30, places=1))
steps = st.sampled_from([0, 1, 25, 60, 300, 500, 900, 1800])
kwh = st.decimals(min_value=0, max_value=150, places=4)
hours = st.decimals(min_value=0, max_value=4, places=4)
clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))


def component(dimension: str, price: Decimal, vat: Decimal | None, step: int) -> pb.PriceComponent:
    vat_text = "" if vat is None else str(vat)
    return pb.PriceComponent(type=DIMENSIONS[dimension], price=str(price), vat=vat_text, step_size=step)


@st.composite
def components(draw: st.DrawFn, dimensions: tuple[str, ...] = tuple(DIMENSIONS)) -> list[pb.PriceComponent]:
    chosen = draw(st.lists(st.sampled_from(dimensions), min_size=1, max_size=len(dimensions), unique=True))
    return [component(d, draw(prices), draw(vats), draw(steps)) for d in chosen]


@st.composite
def restrictions(draw: st.DrawFn) -> pb.TariffRestrictions:
    r = pb.TariffRestrictions()
    for name in ("start_time", "end_time"):
        if draw(st.booleans()):
            setattr(r, name, draw(clock))
    days = draw(st.lists(st.integers(1, 7), max_size=3, unique=True))
    r.day_of_week.extend(pb.DayOfWeek.ValueType(day) for day in days)
    for name in ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power"):
        if draw(st.integers(0, 4)) == 0:
            setattr(r, name, str(draw(st.decimals(min_value=0, max_value=64, places=1))))
    for name in ("min_duration", "max_duration"):
        if draw(st.integers(0, 4)) == 0:
            setattr(r, name, draw(st.integers(0, 4 * 3600)))
    r.reservation = pb.ReservationRestrictionType.ValueType(draw(st.sampled_from([0, 0, 0, 1, 2])))
    return r


@st.composite
def bounds(draw: st.DrawFn) -> tuple[pb.Price, pb.Price] | None:
    """min_price/max_price with incl >= excl each — what a tariff with non-negative VAT states."""
    if draw(st.booleans()):
        return None
    low, high = sorted([draw(prices), draw(prices)])
    return (
        pb.Price(excl_vat=str(low), incl_vat=str(low + draw(prices))),
        pb.Price(excl_vat=str(high), incl_vat=str(high + draw(prices))),
    )


@st.composite
def tariffs(draw: st.DrawFn) -> pb.Tariff:
    tariff = pb.Tariff(id="P", currency="EUR")
    for _ in range(draw(st.integers(1, 4))):
        element = tariff.elements.add()
        element.price_components.extend(draw(components()))
        if draw(st.booleans()):
            element.restrictions.CopyFrom(draw(restrictions()))
    limits = draw(bounds())
    if limits is not None:
        tariff.min_price.CopyFrom(limits[0])
        tariff.max_price.CopyFrom(limits[1])
    return tariff


@st.composite
def sessions(
    draw: st.DrawFn, volume_names: tuple[str, ...] = ("ENERGY", "TIME", "PARKING_TIME", "RESERVATION_TIME")
) -> tuple[list[ChargingPeriod], SessionInfo]:
    start = draw(st.sampled_from(ANCHORS)) + timedelta(minutes=draw(st.integers(0, 24 * 60)))
    moment, periods = start, []
    for _ in range(draw(st.integers(1, 6))):
        dims: dict[str, Decimal] = {}
        for name in draw(st.lists(st.sampled_from(volume_names), min_size=1, unique=True)):
            dims[name] = draw(kwh if name == "ENERGY" else hours)
        for low, high in (("MIN_CURRENT", "MAX_CURRENT"), ("MIN_POWER", "MAX_POWER")):
            if draw(st.booleans()):
                a, b = sorted([draw(st.decimals(min_value=0, max_value=80, places=1)) for _ in range(2)])
                dims[low], dims[high] = a, b
        periods.append(ChargingPeriod(moment, dims))
        moment += timedelta(minutes=draw(st.integers(1, 300)))
    info = SessionInfo(start, moment, draw(st.sampled_from(ZONES)), reservation_expired=draw(st.booleans()))
    return periods, info


def prices_of(totals: Totals) -> list[Price]:
    return [getattr(totals, f.name) for f in fields(totals)]


def all_prices(result: CostBreakdown) -> list[Price]:
    return prices_of(result.totals) + prices_of(result.exact_totals) + [i.amount for i in result.line_items]


@BOUNDED
@given(
    price=prices,
    vat=vats,
    step=steps,
    limits=bounds(),
    session=sessions(("ENERGY",)),
    index=st.integers(0, 5),
    more=st.decimals(min_value=0, max_value=50, places=4),
)
def test_more_energy_never_costs_less_under_a_pure_energy_tariff(
    price: Decimal,
    vat: Decimal | None,
    step: int,
    limits: tuple[pb.Price, pb.Price] | None,
    session: tuple[list[ChargingPeriod], SessionInfo],
    index: int,
    more: Decimal,
) -> None:
    tariff = pb.Tariff(id="E", currency="EUR")
    tariff.elements.add().price_components.append(component("ENERGY", price, vat, step))
    if limits is not None:
        tariff.min_price.CopyFrom(limits[0])
        tariff.max_price.CopyFrom(limits[1])
    periods, info = session
    index %= len(periods)
    bigger = list(periods)
    dims = dict(bigger[index].dimensions)
    bigger[index] = ChargingPeriod(bigger[index].start, {**dims, "ENERGY": dims["ENERGY"] + more})
    before = price_session(tariff, periods, info).exact_totals.total_cost
    after = price_session(tariff, bigger, info).exact_totals.total_cost
    assert after.excl_vat >= before.excl_vat
    assert after.incl_vat >= before.incl_vat


@BOUNDED
@given(tariff=tariffs(), session=sessions())
def test_cost_is_never_negative(tariff: pb.Tariff, session: tuple[list[ChargingPeriod], SessionInfo]) -> None:
    result = price_session(tariff, *session)
    for amount in all_prices(result):
        assert amount.excl_vat >= 0 and amount.incl_vat >= 0, amount


@pytest.mark.slow  # 200 sessions priced twice: ~10 s
@BOUNDED
@given(tariff=tariffs(), session=sessions())
def test_incl_vat_is_never_below_excl_vat(tariff: pb.Tariff, session: tuple[list[ChargingPeriod], SessionInfo]) -> None:
    result = price_session(tariff, *session)
    for amount in all_prices(result):
        assert amount.incl_vat >= amount.excl_vat, amount


@BOUNDED
@given(
    parts=components(),
    session=sessions(("ENERGY", "TIME", "PARKING_TIME")),
    index=st.integers(0, 5),
    at_minute=st.integers(0, 299),
    fraction=st.decimals(min_value=0, max_value=1, places=3),
)
def test_splitting_a_period_under_a_single_element_tariff_keeps_the_total(
    parts: list[pb.PriceComponent],
    session: tuple[list[ChargingPeriod], SessionInfo],
    index: int,
    at_minute: int,
    fraction: Decimal,
) -> None:
    tariff = pb.Tariff(id="S", currency="EUR")
    tariff.elements.add().price_components.extend(parts)
    periods, info = session
    index %= len(periods)
    original = periods[index]
    end = periods[index + 1].start if index + 1 < len(periods) else info.end
    split_at = original.start + (end - original.start) * at_minute / 300
    first = {name: volume * fraction for name, volume in original.dimensions.items()}
    second = {name: volume - first[name] for name, volume in original.dimensions.items()}
    split = [*periods[:index], ChargingPeriod(original.start, first), ChargingPeriod(split_at, second)]
    split += periods[index + 1 :]
    whole, halves = price_session(tariff, periods, info), price_session(tariff, split, info)
    # Exact up to the last of the engine's 50 digits: seconds → hours is the one inexact division.
    for name in ("total_cost", "total_energy_cost", "total_time_cost", "total_parking_cost", "total_fixed_cost"):
        a, b = getattr(halves.exact_totals, name), getattr(whole.exact_totals, name)
        assert abs(a.excl_vat - b.excl_vat) < Decimal("1e-40"), name
        assert abs(a.incl_vat - b.incl_vat) < Decimal("1e-40"), name
    assert halves.totals == whole.totals


@BOUNDED
@given(tariff=tariffs(), session=sessions(), decimals=st.integers(0, 4))
def test_results_are_exact_decimals(
    tariff: pb.Tariff, session: tuple[list[ChargingPeriod], SessionInfo], decimals: int
) -> None:
    result = price_session(tariff, *session, decimals=decimals)
    numbers = [n for p in all_prices(result) for n in (p.excl_vat, p.incl_vat)]
    numbers += [result.total_time, *result.volumes.values(), *result.billed_volumes.values()]
    numbers += [n for i in result.line_items for n in (i.volume, i.billed_volume)]
    assert all(type(n) is Decimal and n.is_finite() for n in numbers)
    for amount in prices_of(result.totals):
        assert amount.excl_vat.as_tuple().exponent == -decimals
        assert amount.incl_vat.as_tuple().exponent == -decimals
