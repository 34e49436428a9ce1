"""The tariff engine against the spec's worked examples (HUB-DIGEST §4.4) and every rule of §4.

Tariffs are the spec's own example JSON (ocpi/ocpi release-2.2.1-bugfixes `examples/`), turned into protos by the
facade's OCPI JSON converter, so the numbers reach the engine exactly as a CPO would send them. Times in the vectors
are local wall-clock times of the Location; durations that are not whole hundredths of an hour are written with 4
decimals, as a CPO reports them (5 min = 0.0833 h).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.billing import (
    ChargingPeriod,
    CostBreakdown,
    InvalidTariffError,
    Price,
    SessionInfo,
    TariffNotActiveError,
    price_session,
    quantize,
    verify,
)
from facade.ocpi.proto_json import decode_json, to_proto
from ocpihub.tariffs.v1 import tariffs_pb2 as pb

BERLIN = "Europe/Berlin"  # the spec's example tariffs are DE/ALL
AMSTERDAM = "Europe/Amsterdam"
SAIGON = "Asia/Ho_Chi_Minh"

# --- The spec's example tariffs (bugfix branch), compact -------------------------------------------------------

T8 = '{"elements":[{"price_components":[{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}'
T9 = (
    '{"elements":[{"price_components":[{"type":"FLAT","price":0.5,"vat":20.0,"step_size":1},'
    '{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}'
)
T12 = (
    '{"min_price":{"excl_vat":0.5,"incl_vat":0.55},'
    '"elements":[{"price_components":[{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}'
)
T10 = (
    '{"elements":[{"price_components":[{"type":"FLAT","price":0.5,"vat":20.0,"step_size":1},'
    '{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1},'
    '{"type":"PARKING_TIME","price":2.0,"vat":20.0,"step_size":900}]}]}'
)
T6 = (
    '{"max_price":{"excl_vat":10.0,"incl_vat":11.0},"end_date_time":"2019-06-30T23:59:59Z",'
    '"elements":[{"price_components":[{"type":"FLAT","price":0.5,"vat":20.0,"step_size":1},'
    '{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}'
)
T1 = '{"elements":[{"price_components":[{"type":"TIME","price":2.0,"vat":10.0,"step_size":60}]}]}'
T13 = (
    '{"elements":[{"price_components":[{"type":"TIME","price":3.0,"vat":10.0,"step_size":60},'
    '{"type":"PARKING_TIME","price":5.0,"vat":20.0,"step_size":300}]}]}'
)
T2 = (
    '{"type":"AD_HOC_PAYMENT",'
    '"elements":[{"price_components":[{"type":"TIME","price":1.9,"vat":5.2,"step_size":300}]}]}'
)
T3 = (
    '{"type":"PROFILE_CHEAP","elements":[{"price_components":[{"type":"FLAT","price":0.5,"vat":20.0,"step_size":1},'
    '{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":100}]}]}'
)
T4 = """{"type":"REGULAR","elements":[
 {"price_components":[{"type":"FLAT","price":2.5,"vat":15.0,"step_size":1}]},
 {"price_components":[{"type":"TIME","price":1.0,"vat":20.0,"step_size":900}],"restrictions":{"max_current":32.0}},
 {"price_components":[{"type":"TIME","price":2.0,"vat":20.0,"step_size":600}],
  "restrictions":{"min_current":32.0,"day_of_week":["MONDAY","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY"]}},
 {"price_components":[{"type":"TIME","price":1.25,"vat":20.0,"step_size":600}],
  "restrictions":{"min_current":32.0,"day_of_week":["SATURDAY","SUNDAY"]}},
 {"price_components":[{"type":"PARKING_TIME","price":5.0,"vat":10.0,"step_size":300}],
  "restrictions":{"start_time":"09:00","end_time":"18:00","day_of_week":["MONDAY","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY"]}},
 {"price_components":[{"type":"PARKING_TIME","price":6.0,"vat":10.0,"step_size":300}],
  "restrictions":{"start_time":"10:00","end_time":"17:00","day_of_week":["SATURDAY"]}}]}"""
T5 = '{"elements":[{"price_components":[{"type":"FLAT","price":0.0,"step_size":0}]}]}'
T15 = """{"elements":[
 {"price_components":[{"type":"TIME","price":5.0,"vat":20.0,"step_size":60}],"restrictions":{"reservation":"RESERVATION"}},
 {"price_components":[{"type":"FLAT","price":0.5,"vat":20.0,"step_size":1},{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}"""
T16 = """{"elements":[
 {"price_components":[{"type":"FLAT","price":2.0,"vat":20.0,"step_size":1},{"type":"TIME","price":5.0,"vat":20.0,"step_size":300}],
  "restrictions":{"reservation":"RESERVATION"}},
 {"price_components":[{"type":"FLAT","price":0.5,"vat":20.0,"step_size":1},{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}"""
T17 = """{"elements":[
 {"price_components":[{"type":"FLAT","price":4.0,"vat":20.0,"step_size":1}],"restrictions":{"reservation":"RESERVATION_EXPIRES"}},
 {"price_components":[{"type":"TIME","price":2.0,"vat":20.0,"step_size":600}],"restrictions":{"reservation":"RESERVATION"}},
 {"price_components":[{"type":"FLAT","price":0.5,"vat":20.0,"step_size":1},{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}"""
T18 = """{"elements":[
 {"price_components":[{"type":"TIME","price":6.0,"vat":20.0,"step_size":600}],"restrictions":{"reservation":"RESERVATION_EXPIRES"}},
 {"price_components":[{"type":"TIME","price":3.0,"vat":20.0,"step_size":600}],"restrictions":{"reservation":"RESERVATION"}},
 {"price_components":[{"type":"FLAT","price":0.5,"vat":20.0,"step_size":1},{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}"""
T14 = """{"elements":[
 {"price_components":[{"type":"TIME","price":1.2,"step_size":1800},{"type":"PARKING_TIME","price":1.0,"step_size":900}],
  "restrictions":{"start_time":"00:00","end_time":"17:00"}},
 {"price_components":[{"type":"TIME","price":2.4,"step_size":900},{"type":"PARKING_TIME","price":1.0,"step_size":900}],
  "restrictions":{"start_time":"17:00","end_time":"20:00"}},
 {"price_components":[{"type":"TIME","price":2.4,"step_size":900}],"restrictions":{"start_time":"20:00","end_time":"00:00"}}]}"""
TP = """{"type":"REGULAR","elements":[
 {"price_components":[{"type":"ENERGY","price":0.2,"vat":20.0,"step_size":1}],"restrictions":{"max_power":16.0}},
 {"price_components":[{"type":"ENERGY","price":0.35,"vat":20.0,"step_size":1}],"restrictions":{"max_power":32.0}},
 {"price_components":[{"type":"ENERGY","price":0.5,"vat":20.0,"step_size":1}]}]}"""
TD = """{"type":"REGULAR","elements":[
 {"price_components":[{"type":"ENERGY","price":0.0,"vat":20.0,"step_size":1}],"restrictions":{"max_duration":1800}},
 {"price_components":[{"type":"ENERGY","price":0.25,"vat":20.0,"step_size":1}],"restrictions":{"max_duration":3600}},
 {"price_components":[{"type":"ENERGY","price":0.4,"vat":20.0,"step_size":1}]}]}"""
# mod_cdrs "step_size" examples (tariffs described in prose there).
CDR_ENERGY_17 = """{"elements":[
 {"price_components":[{"type":"ENERGY","price":0.20,"step_size":500}],"restrictions":{"start_time":"00:00","end_time":"17:00"}},
 {"price_components":[{"type":"ENERGY","price":0.27,"step_size":500}],"restrictions":{"start_time":"17:00","end_time":"00:00"}}]}"""
CDR_TIME_17 = """{"elements":[
 {"price_components":[{"type":"TIME","price":5,"step_size":600}],"restrictions":{"start_time":"00:00","end_time":"17:00"}},
 {"price_components":[{"type":"TIME","price":7,"step_size":600}],"restrictions":{"start_time":"17:00","end_time":"00:00"}}]}"""
CDR_TIME_PARKING = (
    '{"elements":[{"price_components":[{"type":"TIME","price":1.00,"step_size":600},'
    '{"type":"PARKING_TIME","price":2.00,"step_size":600}]}]}'
)
CDR_EXAMPLE = '{"elements":[{"price_components":[{"type":"TIME","price":2.00,"vat":10.0,"step_size":300}]}]}'
# tandemdrive/ocpi-tariffs test_data (reference pricer).
GRACE_PERIOD = """{"end_date_time":"2019-06-30T23:59:59Z","elements":[
 {"price_components":[{"type":"PARKING_TIME","price":0.0,"vat":0.0,"step_size":1}],"restrictions":{"min_duration":0,"max_duration":1800}},
 {"price_components":[{"type":"PARKING_TIME","price":3.0,"vat":0.0,"step_size":1}],"restrictions":{"min_duration":1800}},
 {"price_components":[{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}"""
STEP_SIZE_ENERGY = """{"elements":[
 {"price_components":[{"type":"ENERGY","price":2,"step_size":8000}],"restrictions":{"start_time":"00:00","end_time":"17:00"}},
 {"price_components":[{"type":"ENERGY","price":2,"step_size":5000}],"restrictions":{"start_time":"17:00","end_time":"20:00"}},
 {"price_components":[{"type":"ENERGY","price":4,"step_size":2000}],"restrictions":{"start_time":"20:00","end_time":"00:00"}}]}"""
MULTIPLE_FLAT = '{"elements":[{"price_components":[{"type":"FLAT","price":1.00,"vat":0.0,"step_size":0}]}]}'


def energy_step(step: int) -> str:
    return f'{{"elements":[{{"price_components":[{{"type":"ENERGY","price":0.25,"step_size":{step}}}]}}]}}'


# --- Helpers -----------------------------------------------------------------------------------------------------


def tariff(text: str, **fields: Any) -> pb.Tariff:
    data = {"country_code": "DE", "party_id": "ALL", "id": "T", "currency": "EUR", **json.loads(text)}
    data.update(fields)
    return to_proto(decode_json(json.dumps(data)), pb.Tariff)


def utc(local: str, tz: str = BERLIN) -> datetime:
    """A local wall-clock time ("2024-06-03 09:30") at the Location, as an aware UTC datetime."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def period(start: str, tz: str = BERLIN, **dimensions: str) -> ChargingPeriod:
    return ChargingPeriod(utc(start, tz), {name: Decimal(volume) for name, volume in dimensions.items()})


def session(start: str, end: str, tz: str = BERLIN, **kwargs: Any) -> SessionInfo:
    return SessionInfo(start=utc(start, tz), end=utc(end, tz), time_zone=tz, **kwargs)


def price(excl: str, incl: str) -> Price:
    return Price(Decimal(excl), Decimal(incl))


def exact(value: Price) -> tuple[Decimal, Decimal]:
    """Exact figures at 9 decimals: the engine's only inexact step (seconds → hours) lives at the 48th."""
    return quantize(value.excl_vat, 9).normalize(), quantize(value.incl_vat, 9).normalize()


def energy_tariff(restrictions: dict[str, Any], default: bool = True) -> pb.Tariff:
    """ENERGY 1.00/kWh under `restrictions`, else (fallback element) 2.00/kWh; no VAT."""
    elements: list[dict[str, Any]] = [
        {"price_components": [{"type": "ENERGY", "price": 1, "step_size": 1}], "restrictions": restrictions}
    ]
    if default:
        elements.append({"price_components": [{"type": "ENERGY", "price": 2, "step_size": 1}]})
    return tariff(json.dumps({"elements": elements}))


# --- §4.4 worked examples → test vectors -------------------------------------------------------------------------


@dataclass(frozen=True)
class Vector:
    tariff: str
    periods: tuple[tuple[str, dict[str, str]], ...]  # (local start, dimensions)
    end: str  # local session end; the session starts with the first period
    excl: str
    incl: str
    decimals: int = 2
    tz: str = BERLIN
    expired: bool = False
    parts: dict[str, tuple[str, str]] = field(default_factory=dict)  # exact category totals


D = "2024-06-03"  # a Monday
VECTORS: dict[str, Vector] = {
    "01_T8_20kWh": Vector(T8, ((f"{D} 10:00", {"ENERGY": "20", "TIME": "2"}),), f"{D} 12:00", "5.00", "5.50"),
    "02_T9_start_fee_20kWh": Vector(T9, ((f"{D} 10:00", {"ENERGY": "20"}),), f"{D} 12:00", "5.50", "6.10"),
    "03_T12_min_price_20kWh": Vector(T12, ((f"{D} 10:00", {"ENERGY": "20"}),), f"{D} 12:00", "5.00", "5.50"),
    "04_T12_min_price_1.2kWh": Vector(
        T12,
        ((f"{D} 10:00", {"ENERGY": "1.2"}),),
        f"{D} 10:30",
        "0.50",
        "0.55",
        parts={"total_energy_cost": ("0.3", "0.33")},
    ),
    "05_T10_parking_40min": Vector(
        T10,
        ((f"{D} 10:00", {"ENERGY": "20", "TIME": "2"}), (f"{D} 12:00", {"PARKING_TIME": "0.6667"})),
        f"{D} 12:40",
        "7.00",
        "7.90",
        parts={"total_parking_cost": ("1.5", "1.8"), "total_fixed_cost": ("0.5", "0.6")},
    ),
    "06_T6_max_price_50kWh": Vector(
        T6,
        (("2019-06-01 10:00", {"ENERGY": "50"}),),
        "2019-06-01 13:00",
        "10.00",
        "11.00",
        parts={"total_energy_cost": ("12.5", "13.75"), "total_fixed_cost": ("0.5", "0.6")},
    ),
    "07_T6_max_price_30kWh": Vector(T6, (("2019-06-01 10:00", {"ENERGY": "30"}),), "2019-06-01 12:00", "8.00", "8.85"),
    "08_T1_2h30": Vector(T1, ((f"{D} 10:00", {"TIME": "2.5", "ENERGY": "30"}),), f"{D} 12:30", "5.00", "5.50"),
    "09_T13_150min_42min_parking": Vector(
        T13,
        ((f"{D} 10:00", {"TIME": "2.5"}), (f"{D} 12:30", {"PARKING_TIME": "0.7"})),
        f"{D} 13:12",
        "11.25",
        "12.75",
        parts={"total_time_cost": ("7.5", "8.25"), "total_parking_cost": ("3.75", "4.5")},
    ),
    "10_T2_ad_hoc_2h30": Vector(
        T2, ((f"{D} 10:00", {"TIME": "2.5"}),), f"{D} 12:30", "4.75", "5.00", parts={"total_cost": ("4.75", "4.997")}
    ),
    "11_T3_20.45kWh_step_100Wh": Vector(
        T3,
        ((f"{D} 10:00", {"ENERGY": "20.45"}),),
        f"{D} 12:00",
        "5.63",
        "6.24",
        parts={"total_energy_cost": ("5.125", "5.6375"), "total_fixed_cost": ("0.5", "0.6")},
    ),
    "12_T4_monday_16A_42min_parking": Vector(
        T4,
        (
            (f"{D} 09:30", {"TIME": "2.75", "ENERGY": "20", "MIN_CURRENT": "6", "MAX_CURRENT": "16"}),
            (f"{D} 12:15", {"PARKING_TIME": "0.7"}),
        ),
        f"{D} 12:57",
        "9.00",
        "10.30",
        parts={
            "total_fixed_cost": ("2.5", "2.875"),
            "total_time_cost": ("2.75", "3.3"),
            "total_parking_cost": ("3.75", "4.125"),
        },
    ),
    # The d2/bugfix table says 12.28 / 13.861 (114 min x 1.25/h taken as 2.28); 2.2.1-original: 12.375 / 13.975.
    "13_T4_saturday_43A_71min_parking": Vector(
        T4,
        (
            ("2024-06-08 13:30", {"TIME": "1.9", "MIN_CURRENT": "43", "MAX_CURRENT": "48"}),
            ("2024-06-08 15:24", {"PARKING_TIME": "1.1833"}),
        ),
        "2024-06-08 16:35",
        "12.375",
        "13.975",
        decimals=3,
        parts={"total_time_cost": ("2.375", "2.85"), "total_parking_cost": ("7.5", "8.25")},
    ),
    "14_T15_reservation_15min": Vector(
        T15,
        ((f"{D} 10:00", {"RESERVATION_TIME": "0.25"}), (f"{D} 10:15", {"ENERGY": "20", "TIME": "2"})),
        f"{D} 12:15",
        "6.75",
        "7.60",
        parts={"total_reservation_cost": ("1.25", "1.5"), "total_time_cost": ("0", "0")},
    ),
    "15_T16_reservation_fee_13min": Vector(
        T16,
        ((f"{D} 10:00", {"RESERVATION_TIME": "0.2167"}), (f"{D} 10:13", {"ENERGY": "20"})),
        f"{D} 12:13",
        "8.75",
        "10.00",
        parts={"total_reservation_cost": ("3.25", "3.9"), "total_fixed_cost": ("0.5", "0.6")},
    ),
    "16_T17_reservation_22min": Vector(
        T17,
        ((f"{D} 10:00", {"RESERVATION_TIME": "0.3667"}), (f"{D} 10:22", {"ENERGY": "20"})),
        f"{D} 12:22",
        "6.50",
        "7.30",
        parts={"total_reservation_cost": ("1", "1.2")},
    ),
    "17_T17_reservation_expired_1h": Vector(
        T17, ((f"{D} 10:00", {"RESERVATION_TIME": "1"}),), f"{D} 11:00", "6.00", "7.20", expired=True
    ),
    "18_T18_reservation_22min": Vector(
        T18,
        ((f"{D} 10:00", {"RESERVATION_TIME": "0.3667"}), (f"{D} 10:22", {"ENERGY": "20"})),
        f"{D} 12:22",
        "7.00",
        "7.90",
        parts={"total_reservation_cost": ("1.5", "1.8")},
    ),
    "19_T18_reservation_expired_1h30": Vector(
        T18, ((f"{D} 10:00", {"RESERVATION_TIME": "1.5"}),), f"{D} 11:30", "9.00", "10.80", expired=True
    ),
    "20_T14_16h55_charge_10min_park_2min": Vector(
        T14,
        (
            (f"{D} 16:55", {"TIME": "0.0833"}),
            (f"{D} 17:00", {"TIME": "0.0833"}),
            (f"{D} 17:05", {"PARKING_TIME": "0.0333"}),
        ),
        f"{D} 17:07",
        "0.55",
        "0.55",
    ),
    "21_T14_16h35_charge_35min": Vector(
        T14,
        ((f"{D} 16:35", {"TIME": "0.4167"}), (f"{D} 17:00", {"TIME": "0.1667"})),
        f"{D} 17:10",
        "1.30",
        "1.30",
    ),
    "22_T14_19h40_charge_12min_park_20min": Vector(
        T14,
        (
            (f"{D} 19:40", {"TIME": "0.2"}),
            (f"{D} 19:52", {"PARKING_TIME": "0.1333"}),
            (f"{D} 20:00", {"PARKING_TIME": "0.2"}),
        ),
        f"{D} 20:12",
        "0.73",
        "0.73",
    ),
    "23_TP_max_power": Vector(
        TP,
        (
            (f"{D} 10:00", {"ENERGY": "1", "MIN_POWER": "6", "MAX_POWER": "6"}),
            (f"{D} 10:10", {"ENERGY": "40", "MIN_POWER": "48", "MAX_POWER": "48"}),
            (f"{D} 11:00", {"ENERGY": "0.5", "MIN_POWER": "4", "MAX_POWER": "4"}),
        ),
        f"{D} 11:07:30",
        "20.30",
        "24.36",
    ),
    "24_TD_max_duration": Vector(
        TD, ((f"{D} 10:00", {"ENERGY": "5"}), (f"{D} 10:30", {"ENERGY": "1.2"})), f"{D} 10:40", "0.30", "0.36"
    ),
    "25a_energy_115.2Wh_step_1": Vector(
        energy_step(1), ((f"{D} 10:00", {"ENERGY": "0.1152"}),), f"{D} 10:05", "0.029", "0.029", decimals=3
    ),
    "25b_energy_115.2Wh_step_25": Vector(
        energy_step(25),
        ((f"{D} 10:00", {"ENERGY": "0.1152"}),),
        f"{D} 10:05",
        "0.031",
        "0.031",
        decimals=3,
        parts={"total_energy_cost": ("0.03125", "0.03125")},
    ),
    "25c_energy_115.2Wh_step_500": Vector(
        energy_step(500), ((f"{D} 10:00", {"ENERGY": "0.1152"}),), f"{D} 10:05", "0.125", "0.125", decimals=3
    ),
    "26_cdr_energy_step_500Wh_across_17h": Vector(
        CDR_ENERGY_17,
        ((f"{D} 16:00", {"ENERGY": "4.3"}), (f"{D} 17:00", {"ENERGY": "1.1"})),
        f"{D} 17:30",
        "1.184",
        "1.184",
        decimals=3,
    ),
    "27_cdr_time_step_10min_across_17h": Vector(
        CDR_TIME_17,
        ((f"{D} 16:54", {"TIME": "0.1"}), (f"{D} 17:00", {"TIME": "0.3667"})),
        f"{D} 17:22",
        "3.30",
        "3.30",
    ),
    "28_cdr_time_then_parking_step_10min": Vector(
        CDR_TIME_PARKING,
        ((f"{D} 10:00", {"TIME": "0.35"}), (f"{D} 10:21", {"PARKING_TIME": "0.2667"})),
        f"{D} 10:37",
        "1.0167",
        "1.0167",
        decimals=4,
    ),
    "29_cdr_example_json": Vector(
        CDR_EXAMPLE,
        (("2015-06-29 23:39:09", {"TIME": "1.973"}),),
        "2015-06-30 01:37:32",
        "4.00",
        "4.40",
        tz="Europe/Brussels",
    ),
    "30_ref_grace_period_parking_time": Vector(
        GRACE_PERIOD,
        (
            ("2015-06-29 17:00", {"PARKING_TIME": "0.5"}),
            ("2015-06-29 17:30", {"PARKING_TIME": "0.25"}),
            ("2015-06-29 17:45", {"ENERGY": "10"}),
        ),
        "2015-06-29 18:15",
        "3.25",
        "3.50",
        tz="Europe/Brussels",
        parts={"total_parking_cost": ("0.75", "0.75"), "total_energy_cost": ("2.5", "2.75")},
    ),
    "31_ref_step_size_energy": Vector(
        STEP_SIZE_ENERGY,
        ((f"{D} 16:55", {"ENERGY": "5"}), (f"{D} 17:00", {"ENERGY": "2"}), (f"{D} 17:02", {"ENERGY": "5"})),
        f"{D} 17:07",
        "30.00",
        "30.00",
        tz=AMSTERDAM,
    ),
    "32_ref_multiple_flat_fees": Vector(
        MULTIPLE_FLAT,
        ((f"{D} 10:00", {"TIME": "0.5"}), (f"{D} 10:30", {"TIME": "0.5"}), (f"{D} 11:00", {"TIME": "0.5"})),
        f"{D} 11:30",
        "1.00",
        "1.00",
        parts={"total_fixed_cost": ("1", "1")},
    ),
    "T5_free_of_charge": Vector(T5, ((f"{D} 10:00", {"ENERGY": "20", "TIME": "2"}),), f"{D} 12:00", "0.00", "0.00"),
}


def run(vector: Vector) -> CostBreakdown:
    periods = [period(start, vector.tz, **dims) for start, dims in vector.periods]
    info = SessionInfo(
        start=periods[0].start,
        end=utc(vector.end, vector.tz),
        time_zone=vector.tz,
        reservation_expired=vector.expired,
    )
    return price_session(tariff(vector.tariff), periods, info, decimals=vector.decimals)


@pytest.mark.parametrize("vector", VECTORS.values(), ids=VECTORS.keys())
def test_spec_vector(vector: Vector) -> None:
    result = run(vector)
    assert result.total_cost == price(vector.excl, vector.incl)
    for name, (excl, incl) in vector.parts.items():
        assert exact(getattr(result.exact_totals, name)) == (Decimal(excl), Decimal(incl)), name


def test_vector_13_rounds_half_up_to_cents_and_rejects_the_bugfix_tables_arithmetic() -> None:
    vector = VECTORS["13_T4_saturday_43A_71min_parking"]
    result = run(Vector(**{**vector.__dict__, "decimals": 2}))
    assert result.total_cost == price("12.38", "13.98")
    assert verify({"total_cost": price("12.375", "13.975")}, result).match
    wrong = verify({"total_cost": price("12.28", "13.861")}, result)
    assert not wrong.match
    assert [d.field for d in wrong.differences] == ["total_cost.excl_vat", "total_cost.incl_vat"]


def test_vector_12_line_items_explain_each_figure() -> None:
    result = run(VECTORS["12_T4_monday_16A_42min_parking"])
    audit = [
        (i.period_index, i.dimension, i.category, i.element_index, i.volume, i.billed_volume) for i in result.line_items
    ]
    assert audit == [
        (0, "ENERGY", "energy", None, Decimal(20), Decimal(20)),  # T4 has no ENERGY component: free
        (0, "TIME", "time", 1, Decimal("2.75"), Decimal("2.75")),  # ≤ 32 A: element 1; not rounded (parking follows)
        (0, "FLAT", "fixed", 0, Decimal(1), Decimal(1)),
        (1, "PARKING_TIME", "parking", 4, Decimal("0.7"), Decimal("0.75")),  # weekday 09-18, 42 → 45 min
    ]
    assert result.billed_volumes == {"TIME": Decimal("2.75"), "PARKING_TIME": Decimal("0.75")}
    assert result.volumes["ENERGY"] == Decimal(20)
    assert any("step_size 300 of elements[4] PARKING_TIME" in note for note in result.notes)


def test_vector_22_free_parking_neither_counts_nor_takes_the_step_extra() -> None:
    result = run(VECTORS["22_T14_19h40_charge_12min_park_20min"])
    parking = [i for i in result.line_items if i.dimension == "PARKING_TIME"]
    assert [(i.period_index, i.element_index) for i in parking] == [(1, 1), (2, None)]
    assert quantize(parking[0].billed_volume, 6) == Decimal("0.25")  # 8 paid minutes → 15
    assert parking[1].billed_volume == Decimal("0.2") and parking[1].amount == Price(Decimal(0), Decimal(0))
    assert result.billed_volumes["PARKING_TIME"] == parking[0].billed_volume
    assert result.volumes["PARKING_TIME"] == Decimal("0.3333")


def test_vector_29_cdr_totals_verify_and_total_energy_mismatch_is_noted() -> None:
    vector = VECTORS["29_cdr_example_json"]
    periods = [period(start, vector.tz, **dims) for start, dims in vector.periods]
    info = SessionInfo(periods[0].start, utc(vector.end, vector.tz), vector.tz, total_energy=Decimal("15.342"))
    result = price_session(tariff(vector.tariff), periods, info)
    cdr: dict[str, Price | Decimal] = {
        "total_cost": price("4.00", "4.40"),
        "total_time_cost": price("4.00", "4.40"),
        "total_time": Decimal("1.973"),
        "total_energy": Decimal("15.342"),
    }
    outcome = verify(cdr, result)
    assert outcome.checked == (
        "total_cost.excl_vat",
        "total_cost.incl_vat",
        "total_time_cost.excl_vat",
        "total_time_cost.incl_vat",
        "total_time",
        "total_energy",
    )
    # The example CDR declares 15.342 kWh but has no ENERGY dimension: the only difference.
    assert [(d.field, d.delta) for d in outcome.differences] == [("total_energy", Decimal("15.342"))]
    assert any("total_energy 15.342 kWh differs" in note for note in result.notes)


# --- Time zones and DST ------------------------------------------------------------------------------------------

NIGHT_VND = """{"currency":"VND","elements":[
 {"price_components":[{"type":"ENERGY","price":2500,"vat":10,"step_size":1}],"restrictions":{"start_time":"22:00","end_time":"06:00"}},
 {"price_components":[{"type":"ENERGY","price":3500,"vat":10,"step_size":1}]}]}"""


def test_saigon_session_across_local_midnight_uses_the_night_element_and_vnd_has_no_minor_digits() -> None:
    periods = [
        period("2024-06-07 21:00", SAIGON, ENERGY="7"),
        period("2024-06-07 22:00", SAIGON, ENERGY="20"),  # night, through local midnight (17:00 UTC)
        period("2024-06-08 06:00", SAIGON, ENERGY="1.2345"),
    ]
    result = price_session(
        tariff(NIGHT_VND), periods, session("2024-06-07 21:00", "2024-06-08 07:00", SAIGON), decimals=0
    )
    assert [i.element_index for i in result.line_items] == [1, 0, 1]
    # 7 x 3500 + 20 x 2500 + 1.235 x 3500 (1234.5 Wh billed as 1235 Wh, step_size 1) = 78822.5; incl. 10 % 86704.75
    assert exact(result.exact_totals.total_cost) == (Decimal("78822.5"), Decimal("86704.75"))
    assert result.total_cost == price("78823", "86705")  # half-up to whole dong
    assert result.currency == "VND"
    assert not any("spans" in note for note in result.notes)


def test_saigon_weekday_and_date_are_local_not_utc() -> None:
    # 00:30 Saturday in Saigon is 17:30 Friday UTC.
    saturday = energy_tariff({"day_of_week": ["SATURDAY"]})
    result = price_session(
        saturday,
        [period("2024-06-07 23:00", SAIGON, ENERGY="5"), period("2024-06-08 00:00", SAIGON, ENERGY="5")],
        session("2024-06-07 23:00", "2024-06-08 01:00", SAIGON),
    )
    assert [i.element_index for i in result.line_items] == [1, 0]
    assert result.total_cost == price("15.00", "15.00")
    dated = energy_tariff({"start_date": "2024-06-08"})
    result = price_session(
        dated, [period("2024-06-08 05:00", SAIGON, ENERGY="1")], session("2024-06-08 05:00", "2024-06-08 06:00", SAIGON)
    )
    assert result.line_items[0].element_index == 0  # 2024-06-07 22:00 UTC, but local date 2024-06-08


def test_saigon_period_crossing_the_end_of_the_night_window_is_noted() -> None:
    result = price_session(
        tariff(NIGHT_VND),
        [period("2024-06-08 05:30", SAIGON, ENERGY="10")],
        session("2024-06-08 05:30", "2024-06-08 06:30", SAIGON),
        decimals=0,
    )
    assert result.total_cost == price("25000", "27500")  # priced at its start: night
    assert any("spans a price change (at 2024-06-08T06:00:00+07:00)" in note for note in result.notes)


WINDOW_2_TO_3 = {"start_time": "02:00", "end_time": "03:00"}


def test_amsterdam_spring_forward_the_02_to_03_window_never_happens() -> None:
    # 2024-03-31: 02:00 CET jumps to 03:00 CEST at 01:00 UTC; no instant has a local time in [02:00, 03:00).
    instants = ["2024-03-31T00:30:00+00:00", "2024-03-31T00:59:59+00:00", "2024-03-31T01:00:00+00:00"]
    periods = [ChargingPeriod(datetime.fromisoformat(s), {"ENERGY": Decimal(1)}) for s in instants]
    info = SessionInfo(periods[0].start, datetime(2024, 3, 31, 1, 30, tzinfo=UTC), AMSTERDAM)
    result = price_session(energy_tariff(WINDOW_2_TO_3), periods, info)
    assert [i.element_index for i in result.line_items] == [1, 1, 1]
    # A day earlier 01:00 UTC is 02:00 CET: inside the window.
    day_before = ChargingPeriod(datetime(2024, 3, 30, 1, 0, tzinfo=UTC), {"ENERGY": Decimal(1)})
    info = SessionInfo(day_before.start, datetime(2024, 3, 30, 1, 30, tzinfo=UTC), AMSTERDAM)
    assert price_session(energy_tariff(WINDOW_2_TO_3), [day_before], info).line_items[0].element_index == 0


def test_amsterdam_fall_back_the_02_to_03_window_lasts_two_real_hours() -> None:
    # 2024-10-27: 03:00 CEST falls back to 02:00 CET at 01:00 UTC; 02:00-03:00 local happens twice.
    starts = [datetime(2024, 10, 27, h, m, tzinfo=UTC) for h, m in ((0, 0), (0, 30), (1, 0), (1, 30), (2, 0))]
    periods = [ChargingPeriod(s, {"ENERGY": Decimal(1)}) for s in starts]
    info = SessionInfo(starts[0], datetime(2024, 10, 27, 2, 30, tzinfo=UTC), AMSTERDAM)
    result = price_session(energy_tariff(WINDOW_2_TO_3), periods, info)
    assert [i.element_index for i in result.line_items] == [0, 0, 0, 0, 1]
    assert result.total_cost == price("6.00", "6.00")
    assert result.total_time == Decimal("2.5")  # real hours, although the wall clock shows 02:00 → 03:30


def test_amsterdam_period_spanning_the_dst_switch_and_the_window_is_noted() -> None:
    # 23:30 UTC = 01:30 CEST; the period ends 02:30 UTC = 03:30 CET, crossing the window (entered at 02:00 CEST).
    start, end = datetime(2024, 10, 26, 23, 30, tzinfo=UTC), datetime(2024, 10, 27, 2, 30, tzinfo=UTC)
    result = price_session(
        energy_tariff(WINDOW_2_TO_3),
        [ChargingPeriod(start, {"ENERGY": Decimal(3)})],
        SessionInfo(start, end, AMSTERDAM),
    )
    assert result.line_items[0].element_index == 1
    assert any("spans a price change (at 2024-10-27T02:00:00+02:00)" in note for note in result.notes)


def test_amsterdam_durations_are_real_seconds_across_spring_forward() -> None:
    # Session from 01:30 CET (00:30 UTC); the second period starts at 03:30 CEST — 2 h on the wall clock, 1 h real.
    start = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    second = datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    periods = [ChargingPeriod(start, {"ENERGY": Decimal(1)}), ChargingPeriod(second, {"ENERGY": Decimal(1)})]
    info = SessionInfo(start, datetime(2024, 3, 31, 2, 0, tzinfo=UTC), AMSTERDAM)
    result = price_session(energy_tariff({"max_duration": 3600}), periods, info)
    assert [i.element_index for i in result.line_items] == [0, 1]  # at exactly 3600 s max_duration (exclusive) ends
    assert result.total_time == Decimal("1.5")
    result = price_session(energy_tariff({"max_duration": 3601}), periods, info)
    assert [i.element_index for i in result.line_items] == [0, 0]


# --- Each restriction ----------------------------------------------------------------------------------------------


def element_at(restrictions: dict[str, Any], start: str, tz: str = BERLIN, **dimensions: str) -> int | None:
    """The element that prices 1 kWh charged in a period starting at local `start` (session starts with it)."""
    dims = {"ENERGY": "1", **dimensions}
    p = period(start, tz, **dims)
    info = SessionInfo(p.start, p.start, tz)
    return price_session(energy_tariff(restrictions), [p], info).line_items[0].element_index


@pytest.mark.parametrize(
    ("restrictions", "start", "expected"),
    [
        ({"start_time": "10:00", "end_time": "12:00"}, f"{D} 09:59", 1),
        ({"start_time": "10:00", "end_time": "12:00"}, f"{D} 10:00", 0),  # start inclusive
        ({"start_time": "10:00", "end_time": "12:00"}, f"{D} 11:59:59", 0),
        ({"start_time": "10:00", "end_time": "12:00"}, f"{D} 12:00", 1),  # end exclusive
        ({"start_time": "22:00", "end_time": "06:00"}, f"{D} 21:59", 1),  # wraps midnight
        ({"start_time": "22:00", "end_time": "06:00"}, f"{D} 23:00", 0),
        ({"start_time": "22:00", "end_time": "06:00"}, f"{D} 05:59", 0),
        ({"start_time": "22:00", "end_time": "06:00"}, f"{D} 06:00", 1),
        ({"start_time": "20:00", "end_time": "00:00"}, f"{D} 23:59:59", 0),  # 00:00 = end of day
        ({"start_time": "20:00", "end_time": "00:00"}, f"{D} 00:00", 1),
        ({"start_time": "20:00"}, f"{D} 19:59", 1),
        ({"start_time": "20:00"}, f"{D} 20:00", 0),
        ({"end_time": "08:00"}, f"{D} 07:59", 0),
        ({"end_time": "08:00"}, f"{D} 08:00", 1),
        ({"start_date": "2024-06-03", "end_date": "2024-06-05"}, "2024-06-02 23:59", 1),
        ({"start_date": "2024-06-03", "end_date": "2024-06-05"}, "2024-06-03 00:00", 0),  # start_date inclusive
        ({"start_date": "2024-06-03", "end_date": "2024-06-05"}, "2024-06-04 23:59", 0),
        ({"start_date": "2024-06-03", "end_date": "2024-06-05"}, "2024-06-05 00:00", 1),  # end_date exclusive
        ({"day_of_week": ["MONDAY"]}, "2024-06-03 12:00", 0),
        ({"day_of_week": ["MONDAY"]}, "2024-06-04 12:00", 1),
        ({"day_of_week": ["SATURDAY", "SUNDAY"]}, "2024-06-09 23:59", 0),
    ],
)
def test_clock_date_and_weekday_restrictions(restrictions: dict[str, Any], start: str, expected: int) -> None:
    assert element_at(restrictions, start) == expected


@pytest.mark.parametrize(
    ("restrictions", "dimensions", "expected"),
    [
        ({"min_current": 16}, {"MIN_CURRENT": "16", "MAX_CURRENT": "20"}, 0),  # inclusive
        ({"min_current": 16}, {"MIN_CURRENT": "15.9", "MAX_CURRENT": "20"}, 1),  # must hold for the whole period
        ({"min_current": 16}, {"CURRENT": "20"}, 0),  # average as fallback
        ({"max_current": 16}, {"MIN_CURRENT": "2", "MAX_CURRENT": "15.9"}, 0),
        ({"max_current": 16}, {"MAX_CURRENT": "16"}, 1),  # exclusive
        ({"min_power": 11}, {"MIN_POWER": "11"}, 0),
        ({"min_power": 11}, {"MIN_POWER": "10.99", "MAX_POWER": "22"}, 1),
        ({"max_power": 11}, {"MAX_POWER": "10.99"}, 0),
        ({"max_power": 11}, {"POWER": "11"}, 1),
        ({"max_power": 11}, {}, 1),  # unknown power: the element cannot be shown active
    ],
)
def test_current_and_power_restrictions(
    restrictions: dict[str, Any], dimensions: dict[str, str], expected: int
) -> None:
    assert element_at(restrictions, f"{D} 12:00", **dimensions) == expected


def test_missing_current_data_is_noted() -> None:
    p = period(f"{D} 12:00", ENERGY="1")
    result = price_session(energy_tariff({"min_current": 16}), [p], SessionInfo(p.start, p.start, BERLIN))
    assert "period 0: elements[0] skipped for ENERGY, min_current (no data)" in result.notes


def test_current_range_crossing_a_bound_is_noted() -> None:
    p = period(f"{D} 12:00", ENERGY="1", MIN_CURRENT="8", MAX_CURRENT="32")
    result = price_session(energy_tariff({"max_current": 16}), [p], SessionInfo(p.start, p.start, BERLIN))
    assert result.line_items[0].element_index == 1
    assert any("spans a price change (current ranges 8..32 A)" in note for note in result.notes)


@pytest.mark.parametrize(
    ("restrictions", "expected_elements", "excl"),
    [
        ({"min_kwh": 10}, [1, 1, 0], "25.00"),  # energy so far 0, 8, 10 (inclusive)
        ({"max_kwh": 10}, [0, 0, 1], "20.00"),  # 10 kWh reached: exclusive
    ],
)
def test_kwh_restrictions_use_energy_charged_so_far(
    restrictions: dict[str, Any], expected_elements: list[int], excl: str
) -> None:
    periods = [
        period(f"{D} 10:00", ENERGY="8"),
        period(f"{D} 11:00", ENERGY="2"),
        period(f"{D} 11:15", ENERGY="5"),
    ]
    result = price_session(energy_tariff(restrictions), periods, session(f"{D} 10:00", f"{D} 12:00"))
    assert [i.element_index for i in result.line_items] == expected_elements
    assert result.total_cost.excl_vat == Decimal(excl)


def test_kwh_bound_inside_a_period_is_noted() -> None:
    periods = [period(f"{D} 10:00", ENERGY="8"), period(f"{D} 11:00", ENERGY="7")]
    result = price_session(energy_tariff({"min_kwh": 10}), periods, session(f"{D} 10:00", f"{D} 12:00"))
    assert any("period 1" in n and "spans a price change (at 10 kWh)" in n for n in result.notes)


@pytest.mark.parametrize(
    ("restrictions", "offset", "expected"),
    [
        ({"min_duration": 1800}, "10:29:59", 1),
        ({"min_duration": 1800}, "10:30", 0),  # inclusive
        ({"max_duration": 1800}, "10:29:59", 0),
        ({"max_duration": 1800}, "10:30", 1),  # exclusive
    ],
)
def test_duration_restrictions_use_session_duration_so_far(
    restrictions: dict[str, Any], offset: str, expected: int
) -> None:
    periods = [period(f"{D} 10:00", TIME="0.1"), period(f"{D} {offset}", ENERGY="1")]
    result = price_session(energy_tariff(restrictions), periods, session(f"{D} 10:00", f"{D} 11:00"))
    assert [i.element_index for i in result.line_items if i.dimension == "ENERGY"] == [expected]


def test_reservation_elements_never_price_charging_and_expires_elements_only_expired_reservations() -> None:
    # T17 not expired: the RESERVATION_EXPIRES fee is not billed; charging uses the unrestricted element.
    result = run(VECTORS["16_T17_reservation_22min"])
    assert [(i.dimension, i.element_index) for i in result.line_items] == [
        ("RESERVATION_TIME", 1),
        ("ENERGY", 2),
        ("FLAT", 2),
    ]
    # T17 expired: the expire fee (element 0), the reservation TIME (element 1), and no start fee.
    result = run(VECTORS["17_T17_reservation_expired_1h"])
    assert [(i.dimension, i.category, i.element_index) for i in result.line_items] == [
        ("RESERVATION_TIME", "reservation", 1),
        ("FLAT", "reservation", 0),
    ]


def test_expired_reservation_without_expires_elements_falls_back_to_reservation_elements() -> None:
    vector = Vector(T16, ((f"{D} 10:00", {"RESERVATION_TIME": "1"}),), f"{D} 11:00", "7.00", "8.40", expired=True)
    assert run(vector).total_reservation_cost == price("7.00", "8.40")  # fee 2.00 + 1 h x 5.00


# --- step_size ---------------------------------------------------------------------------------------------------


def test_step_size_hour_noise_of_a_cpo_does_not_cost_a_whole_step() -> None:
    # 5 min reported as 0.0834 h is 300.24 s: billed as reported, not rounded up to 600 s.
    t = tariff('{"elements":[{"price_components":[{"type":"TIME","price":12,"step_size":300}]}]}')
    result = price_session(t, [period(f"{D} 10:00", TIME="0.0834")], session(f"{D} 10:00", f"{D} 10:05"))
    assert result.line_items[0].billed_volume == Decimal("0.0834")
    assert result.total_cost == price("1.00", "1.00")


def test_step_size_zero_or_negative_is_not_rounded_and_noted() -> None:
    t = tariff('{"elements":[{"price_components":[{"type":"ENERGY","price":1,"step_size":0}]}]}')
    result = price_session(t, [period(f"{D} 10:00", ENERGY="1.2345")], session(f"{D} 10:00", f"{D} 11:00"))
    assert result.exact_totals.total_cost.excl_vat == Decimal("1.2345")
    assert "elements[0] ENERGY step_size 0: not rounded" in result.notes


def test_step_size_rounds_charging_time_when_parking_is_free() -> None:
    # T1 has no PARKING_TIME component: TIME is the last priced time dimension and is rounded (2h29m10s → 2h30m).
    periods = [period(f"{D} 10:00", TIME="2.4861"), period(f"{D} 12:29:10", PARKING_TIME="1")]
    result = price_session(tariff(T1), periods, session(f"{D} 10:00", f"{D} 13:29:10"))
    assert exact(result.exact_totals.total_time_cost) == (Decimal("5"), Decimal("5.5"))


# --- VAT, min/max price, FLAT ------------------------------------------------------------------------------------


def test_vat_absent_and_vat_zero_give_the_same_figures_but_differ_in_the_audit() -> None:
    periods = [period(f"{D} 10:00", ENERGY="20")]
    info = session(f"{D} 10:00", f"{D} 12:00")
    absent = price_session(tariff(energy_step(1)), periods, info)
    zero = price_session(
        tariff('{"elements":[{"price_components":[{"type":"ENERGY","price":0.25,"vat":0,"step_size":1}]}]}'),
        periods,
        info,
    )
    assert absent.total_cost == zero.total_cost == price("5.00", "5.00")
    assert absent.line_items[0].component is not None and absent.line_items[0].component.vat is None
    assert zero.line_items[0].component is not None and zero.line_items[0].component.vat == Decimal(0)


def test_min_and_max_price_clamp_excl_and_incl_independently() -> None:
    # ENERGY 1.00 + 5 % VAT, 11 kWh: 11.00 / 11.55. max 10.00 excl / 12.00 incl: only excl is capped.
    t = '{"elements":[{"price_components":[{"type":"ENERGY","price":1,"vat":5,"step_size":1}]}]}'
    periods, info = [period(f"{D} 10:00", ENERGY="11")], session(f"{D} 10:00", f"{D} 11:00")
    capped = price_session(tariff(t, max_price={"excl_vat": 10, "incl_vat": 12}), periods, info)
    assert capped.total_cost == price("10.00", "11.55")
    assert capped.total_energy_cost == price("11.00", "11.55")  # parts are not clamped
    assert "max_price excl_vat 10 applies (computed 11)" in capped.notes
    floored = price_session(tariff(t, min_price={"excl_vat": 11.2}), periods, info)
    assert floored.total_cost == price("11.20", "11.55")  # no incl_vat bound given


def test_flat_is_billed_once_even_when_another_elements_flat_becomes_active() -> None:
    t = tariff(
        '{"elements":[{"price_components":[{"type":"FLAT","price":1,"step_size":1}],'
        '"restrictions":{"start_time":"00:00","end_time":"12:00"}},'
        '{"price_components":[{"type":"FLAT","price":5,"step_size":1},{"type":"TIME","price":1,"step_size":1}]}]}'
    )
    periods = [period(f"{D} 11:00", TIME="1"), period(f"{D} 12:00", TIME="0.5"), period(f"{D} 12:30", TIME="0.5")]
    result = price_session(t, periods, session(f"{D} 11:00", f"{D} 13:00"))
    assert result.total_fixed_cost == price("1.00", "1.00")
    assert result.total_cost == price("3.00", "3.00")
    flats_noted = [n for n in result.notes if "FLAT of elements[1] not billed" in n]
    assert len(flats_noted) == 1


def test_flat_of_a_parking_only_element_is_parking_cost() -> None:
    t = tariff(
        '{"elements":[{"price_components":[{"type":"FLAT","price":3,"step_size":1},'
        '{"type":"PARKING_TIME","price":2,"step_size":1}]},'
        '{"price_components":[{"type":"ENERGY","price":0.25,"step_size":1}]}]}'
    )
    periods = [period(f"{D} 10:00", ENERGY="10"), period(f"{D} 11:00", PARKING_TIME="1")]
    result = price_session(t, periods, session(f"{D} 10:00", f"{D} 12:00"))
    assert result.total_parking_cost == price("5.00", "5.00")
    assert result.total_fixed_cost == price("0.00", "0.00")
    assert result.total_cost == price("7.50", "7.50")


# --- Validity, malformed input, verification ---------------------------------------------------------------------


def test_tariff_validity_window_is_checked_at_session_start() -> None:
    periods = [period("2019-07-01 10:00", ENERGY="1")]
    with pytest.raises(TariffNotActiveError, match="ended 2019-06-30T23:59:59Z"):
        price_session(tariff(T6), periods, session("2019-07-01 10:00", "2019-07-01 11:00"))
    last_second = datetime(2019, 6, 30, 23, 59, 59, tzinfo=UTC)  # "the time after which" it is no longer valid
    at_end = [ChargingPeriod(last_second, {"ENERGY": Decimal(1)})]
    info = SessionInfo(last_second, last_second + timedelta(hours=1), BERLIN)
    assert price_session(tariff(T6), at_end, info).total_cost == price("0.75", "0.88")
    future = tariff(T8, start_date_time="2030-01-01T00:00:00Z")
    with pytest.raises(TariffNotActiveError, match="starts 2030-01-01T00:00:00Z"):
        price_session(future, periods, session("2019-07-01 10:00", "2019-07-01 11:00"))


@pytest.mark.parametrize(
    "text",
    [
        '{"elements":[]}',
        '{"elements":[{"price_components":[{"type":"ENERGY","price":"abc","step_size":1}]}]}',
        '{"elements":[{"price_components":[{"type":"ENERGY","price":1,"step_size":1}],"restrictions":{"start_time":"24:00"}}]}',
        '{"elements":[{"price_components":[{"type":"ENERGY","price":1,"step_size":1}],"restrictions":{"end_date":"2024-02-30"}}]}',
    ],
)
def test_malformed_tariffs_are_refused(text: str) -> None:
    data = json.loads(text)
    t = pb.Tariff(currency="EUR")
    for element in data["elements"]:
        e = t.elements.add()
        for c in element["price_components"]:
            e.price_components.add(type=pb.TARIFF_DIMENSION_TYPE_ENERGY, price=str(c["price"]), step_size=1)
        for key, value in element.get("restrictions", {}).items():
            setattr(e.restrictions, key, value)
    with pytest.raises(InvalidTariffError):
        price_session(t, [period(f"{D} 10:00", ENERGY="1")], session(f"{D} 10:00", f"{D} 11:00"))


def test_inputs_refuse_floats_naive_datetimes_and_unknown_zones() -> None:
    with pytest.raises(TypeError):
        ChargingPeriod(datetime(2024, 1, 1, tzinfo=UTC), {"ENERGY": 1.5})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="timezone-aware"):
        ChargingPeriod(datetime(2024, 1, 1), {"ENERGY": Decimal(1)})
    with pytest.raises(ValueError, match="IANA"):
        price_session(tariff(T8), [], SessionInfo(utc(f"{D} 10:00"), utc(f"{D} 11:00"), "Mars/Olympus"))
    with pytest.raises(ValueError, match="before it starts"):
        session(f"{D} 11:00", f"{D} 10:00")


def test_odd_periods_are_priced_and_noted() -> None:
    periods = [
        period(f"{D} 10:00", ENERGY="-2", TIME="3", SOMETHING="1"),  # 3 h of time in a 1 h period
        period(f"{D} 11:00", ENERGY="1"),
    ]
    result = price_session(tariff(T8), periods, session(f"{D} 10:00", f"{D} 12:00"))
    assert result.total_cost == price("0.25", "0.28")
    assert "period 0: negative ENERGY -2 billed as 0" in result.notes
    assert "period 0: unknown dimension 'SOMETHING' ignored" in result.notes
    assert any("period 0: reports 3 h of time" in n for n in result.notes)
    empty = price_session(tariff(T12), [], session(f"{D} 10:00", f"{D} 11:00"))
    assert empty.total_cost == price("0.50", "0.55") and "no charging periods: only min_price can apply" in empty.notes


def test_verify_tolerance_decimal_only_excl_and_unknown_fields() -> None:
    result = run(VECTORS["11_T3_20.45kWh_step_100Wh"])  # exact 5.625 / 6.2375
    assert verify({"total_cost": price("5.63", "6.24")}, result).match
    assert verify({"total_cost": Decimal("5.62")}, result).match
    outcome = verify({"total_energy_cost": price("5.10", "5.64")}, result)
    assert not outcome.match and outcome.differences[0].field == "total_energy_cost.excl_vat"
    assert verify({"total_cost": price("5.60", "6.2")}, result, tolerance=Decimal("0.05")).match
    with pytest.raises(ValueError, match="unknown CDR total"):
        verify({"total_price": Decimal(1)}, result)


def test_duration_bound_inside_a_period_is_noted() -> None:
    result = price_session(tariff(TD), [period(f"{D} 10:00", ENERGY="6.2")], session(f"{D} 10:00", f"{D} 10:40"))
    assert result.total_cost == price("0.00", "0.00")  # priced at its start: free
    assert any("spans a price change (at 2024-06-03T10:30:00+02:00)" in note for note in result.notes)


def test_step_extra_at_the_last_components_price_can_make_more_energy_cheaper() -> None:
    # A consequence of the spec's rule (extra billed at the last component's price), kept on purpose: 0.9 kWh before
    # 17:00 is billed as 1 kWh at 1.00; 0.1 Wh more after 17:00 makes the free evening component the last one.
    t = tariff(
        '{"elements":[{"price_components":[{"type":"ENERGY","price":1,"step_size":1000}],'
        '"restrictions":{"start_time":"00:00","end_time":"17:00"}},'
        '{"price_components":[{"type":"ENERGY","price":0,"step_size":1000}],'
        '"restrictions":{"start_time":"17:00","end_time":"00:00"}}]}'
    )
    info = session(f"{D} 16:00", f"{D} 18:00")
    before = price_session(t, [period(f"{D} 16:00", ENERGY="0.9"), period(f"{D} 17:00", ENERGY="0")], info)
    after = price_session(t, [period(f"{D} 16:00", ENERGY="0.9"), period(f"{D} 17:00", ENERGY="0.0001")], info)
    assert before.total_cost == price("1.00", "1.00")
    assert after.total_cost == price("0.90", "0.90")
