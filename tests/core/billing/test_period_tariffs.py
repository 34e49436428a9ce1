"""Pricing periods with different tariffs (issue 16, point 6): the engine's price_periods and the choice of a tariff
by Tariff.type among a connector's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from core.billing import ChargingPeriod, SessionInfo, price_session
from core.billing.engine import price_periods
from core.billing.tariff_choice import Candidate, choose, wanted_type
from facade.ocpi.proto_json import decode_json, to_proto
from ocpihub.tariffs.v1 import tariffs_pb2 as pb
from ocpihub.tokens.v1 import tokens_pb2
from ocpihub.types.v1 import types_pb2

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def tariff(tariff_id: str, **fields: object) -> pb.Tariff:
    data = {"country_code": "DE", "party_id": "ALL", "id": tariff_id, "currency": "EUR", **fields}
    data.setdefault("elements", [{"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1}]}])
    return to_proto(decode_json(json.dumps(data).encode()), pb.Tariff)


def energy(price: str, step: int = 1, flat: str | None = None) -> list[dict[str, object]]:
    components: list[dict[str, object]] = [{"type": "ENERGY", "price": float(price), "step_size": step}]
    if flat:
        components.insert(0, {"type": "FLAT", "price": float(flat), "step_size": 1})
    return [{"price_components": components}]


def kwh(hour: int, volume: str) -> ChargingPeriod:
    return ChargingPeriod(START.replace(hour=hour), {"ENERGY": Decimal(volume)})


SESSION = SessionInfo(START, START.replace(hour=11), "Europe/Berlin")


def test_each_period_with_its_tariff_one_flat_and_one_step_rounding_per_session() -> None:
    cheap = tariff("CHEAP", elements=energy("0.20", flat="1.00"))
    fast = tariff("FAST", elements=energy("0.50", step=1000, flat="2.00"))
    periods = [kwh(8, "10"), kwh(9, "5.2"), kwh(10, "0")]
    breakdown = price_periods(periods, [cheap, fast, None], SESSION)
    # FLAT once (the first tariff's), 10 kWh x 0.20, then 5.2 kWh x 0.50 with the session's 15.2 kWh rounded up to
    # 16 kWh by the last component's 1 kWh step: 0.8 kWh more at 0.50.
    assert breakdown.total_cost.excl_vat == Decimal("1.00") + Decimal("2.00") + Decimal("3.00")
    assert breakdown.period_tariffs == ("CHEAP", "FAST", "")
    assert {(i.period_index, i.dimension, i.tariff_id) for i in breakdown.line_items} == {
        (0, "FLAT", "CHEAP"),
        (0, "ENERGY", "CHEAP"),
        (1, "ENERGY", "FAST"),
        (2, "ENERGY", ""),  # free: no tariff
    }
    assert any("FLAT of tariff FAST elements[0] not billed" in note for note in breakdown.notes)
    assert any("period 2: no tariff prices it" in note for note in breakdown.notes)


def test_one_tariff_for_every_period_is_price_session() -> None:
    t9 = tariff("T9", elements=energy("0.25", flat="0.50"))
    periods = [kwh(8, "10"), kwh(9, "10")]
    assert price_periods(periods, [t9, t9], SESSION) == price_session(t9, periods, SESSION)


def test_the_session_calls_for_a_type() -> None:
    assert wanted_type(types_pb2.TOKEN_TYPE_AD_HOC_USER, tokens_pb2.PROFILE_TYPE_GREEN) == pb.TARIFF_TYPE_AD_HOC_PAYMENT
    assert wanted_type(types_pb2.TOKEN_TYPE_RFID, tokens_pb2.PROFILE_TYPE_FAST) == pb.TARIFF_TYPE_PROFILE_FAST
    assert wanted_type(types_pb2.TOKEN_TYPE_APP_USER, tokens_pb2.PROFILE_TYPE_REGULAR) == pb.TARIFF_TYPE_REGULAR
    assert wanted_type(types_pb2.TOKEN_TYPE_RFID, tokens_pb2.PROFILE_TYPE_UNSPECIFIED) == pb.TARIFF_TYPE_REGULAR


def test_choice_by_type_validity_and_addressee() -> None:
    regular = Candidate(tariff("REG", type="REGULAR"))
    ended = Candidate(tariff("OLD-ADHOC", type="AD_HOC_PAYMENT", end_date_time="2026-11-01T00:00:00Z"))
    adhoc = Candidate(tariff("ADHOC", type="AD_HOC_PAYMENT"))
    for_emsp = Candidate(tariff("ADHOC-EM1", type="AD_HOC_PAYMENT"), directed=True)
    assert choose([regular, ended, adhoc], pb.TARIFF_TYPE_AD_HOC_PAYMENT, START) == (adhoc, "")
    assert choose([regular, adhoc, for_emsp], pb.TARIFF_TYPE_AD_HOC_PAYMENT, START) == (for_emsp, "")
    chosen, note = choose([ended, regular], pb.TARIFF_TYPE_AD_HOC_PAYMENT, START)
    assert chosen == regular and "no AD_HOC_PAYMENT tariff" in note
    untyped = Candidate(tariff("ANY"))
    assert choose([regular, untyped], pb.TARIFF_TYPE_PROFILE_GREEN, START) == (untyped, "")
    assert choose([ended], pb.TARIFF_TYPE_REGULAR, START)[0] is None
    assert choose([], pb.TARIFF_TYPE_REGULAR, START) == (
        None,
        "the periods name no tariff and the connector lists none",
    )
