"""Sessions wire shapes and parsing (facade/sessions/schemas.py, mod_sessions.asciidoc, HUB-DIGEST §3.2): no I/O."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from litestar.status_codes import HTTP_200_OK

from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from facade.sessions.schemas import Session, parse_session, parse_session_patch

# ocpi/ocpi release-2.2.1-bugfixes examples/session_example_1_simple_start.json, verbatim.
SPEC_SESSION_START = b"""{
    "country_code": "NL", "party_id": "STK", "id": "101", "start_date_time": "2020-03-09T10:17:09Z", "kwh": 0.0,
    "cdr_token": {
        "country_code": "NL", "party_id": "TST", "uid": "123abc", "type": "RFID", "contract_id": "NL-TST-C12345678-S"
    },
    "auth_method": "WHITELIST", "location_id": "LOC1", "evse_uid": "3256", "connector_id": "1", "currency": "EUR",
    "total_cost": {"excl_vat": 2.5},
    "status": "PENDING",
    "last_updated": "2020-03-09T10:17:09Z"
}"""

# examples/session_example_2_short_finished.json, verbatim (its ENERGY volumes are in Wh: the spec's slip, not ours).
SPEC_SESSION_FINISHED = b"""{
  "country_code": "BE", "party_id": "BEC", "id": "101",
  "start_date_time": "2015-06-29T22:39:09Z", "end_date_time": "2015-06-29T23:50:16Z", "kwh": 41.12,
  "cdr_token": {
    "country_code": "NL", "party_id": "TST", "uid": "123abc", "type": "RFID", "contract_id": "NL-TST-C12345678-S"
  },
  "auth_method": "WHITELIST", "location_id": "LOC1", "evse_uid": "3256", "connector_id": "1", "currency": "EUR",
  "charging_periods": [
    {"start_date_time": "2015-06-29T22:39:09Z",
     "dimensions": [{"type": "ENERGY", "volume": 120}, {"type": "MAX_CURRENT", "volume": 30}]},
    {"start_date_time": "2015-06-29T22:40:54Z",
     "dimensions": [{"type": "ENERGY", "volume": 41000}, {"type": "MIN_CURRENT", "volume": 34}]},
    {"start_date_time": "2015-06-29T23:07:09Z",
     "dimensions": [{"type": "PARKING_TIME", "volume": 0.718}], "tariff_id": "12"}
  ],
  "total_cost": {"excl_vat": 8.50, "incl_vat": 9.35},
  "status": "COMPLETED",
  "last_updated": "2015-06-29T23:50:17Z"
}"""

# examples/session_patch_example_charging_period.json and session_patch_example_total_cost.json, verbatim.
SPEC_PATCH_PERIOD = b"""{
  "kwh": 15.00,
  "charging_periods": [{"start_date_time": "2019-06-23T08:16:02Z", "dimensions": [{"type": "ENERGY", "volume": 2200}]}],
  "total_cost": {"excl_vat": 0.80, "incl_vat": 0.88},
  "last_updated": "2019-06-23T08:16:02Z"
}"""
SPEC_PATCH_TOTAL_COST = (
    b"""{"total_cost": {"excl_vat": 0.60, "incl_vat": 0.66}, "last_updated": "2019-06-23T08:11:00Z"}"""
)

LAST_UPDATED = "2019-06-23T08:16:02Z"
Mutate = Callable[[dict[str, Any]], None]


def session(*mutations: Mutate, base: bytes = SPEC_SESSION_FINISHED) -> bytes:
    data = json.loads(base)
    for mutate in mutations:
        mutate(data)
    return json.dumps(data).encode()


def _set(value: Any, *path: str | int) -> Mutate:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = copy.deepcopy(value)

    return mutate


def _delete(*path: str | int) -> Mutate:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def invalid(parse: Callable[[bytes], object], raw: bytes) -> str:
    """The message of the OCPI 2001 (HTTP 200) that `parse` answers `raw` with."""
    with pytest.raises(OcpiError) as excinfo:
        parse(raw)
    assert excinfo.value.status == OcpiStatus.INVALID_PARAMETERS
    assert excinfo.value.http_status == HTTP_200_OK
    return excinfo.value.message


def period(start: str, kind: str = "ENERGY", volume: Any = 1) -> dict[str, Any]:
    return {"start_date_time": start, "dimensions": [{"type": kind, "volume": volume}]}


def patch(**fields: Any) -> bytes:
    return json.dumps({"last_updated": LAST_UPDATED, **fields}).encode()


# Valid bodies


def test_spec_example_of_a_starting_session_parses() -> None:
    parsed, raw = parse_session(SPEC_SESSION_START)

    assert isinstance(parsed, Session)
    assert (parsed.country_code, parsed.party_id, parsed.id, parsed.status) == ("NL", "STK", "101", "PENDING")
    assert (parsed.cdr_token.country_code, parsed.cdr_token.party_id) == ("NL", "TST")  # the token owner: routing
    assert parsed.end_date_time is None and parsed.charging_periods is None
    assert parsed.total_cost is not None and parsed.total_cost.incl_vat is None
    assert raw == json.loads(SPEC_SESSION_START, parse_float=Decimal)


def test_spec_example_of_a_finished_session_parses() -> None:
    parsed, _ = parse_session(SPEC_SESSION_FINISHED)

    assert parsed.status == "COMPLETED" and parsed.end_date_time == "2015-06-29T23:50:16Z"
    assert parsed.charging_periods is not None
    assert [p.tariff_id for p in parsed.charging_periods] == [None, None, "12"]
    assert parsed.charging_periods[2].dimensions[0].type == "PARKING_TIME"


def test_every_optional_field_parses() -> None:
    extras = {"authorization_reference": "AUTH-1", "meter_id": "M" * 255}
    parsed, _ = parse_session(session(lambda d: d.update(extras)))

    assert (parsed.authorization_reference, parsed.meter_id) == ("AUTH-1", "M" * 255)


def test_reservation_without_evse_may_use_na() -> None:
    def reservation(data: dict[str, Any]) -> None:
        data.update(status="RESERVATION", evse_uid="#NA", connector_id="#NA", auth_method="COMMAND")

    parsed, _ = parse_session(session(reservation, base=SPEC_SESSION_START))

    assert (parsed.evse_uid, parsed.connector_id, parsed.status) == ("#NA", "#NA", "RESERVATION")


@pytest.mark.parametrize("value", [None, []])
def test_charging_periods_may_be_null_or_empty(value: Any) -> None:
    parsed, _ = parse_session(session(_set(value, "charging_periods")))

    assert parsed.charging_periods == value


def test_unknown_fields_are_accepted_and_kept_in_the_raw_dict() -> None:
    def extras(data: dict[str, Any]) -> None:
        data["x_vendor"] = {"a": 1}
        data["cdr_token"]["x_card"] = "blue"
        data["charging_periods"][0]["x_phase"] = 3
        data["charging_periods"][0]["dimensions"][0]["x_unit"] = "Wh"

    parsed, raw = parse_session(session(extras))

    assert parsed.id == "101"
    assert raw["x_vendor"] == {"a": 1}
    assert raw["cdr_token"]["x_card"] == "blue"
    assert raw["charging_periods"][0]["x_phase"] == 3
    assert raw["charging_periods"][0]["dimensions"][0]["x_unit"] == "Wh"


def test_numbers_are_exact_decimals_in_struct_and_raw_dict() -> None:
    parsed, raw = parse_session(SPEC_SESSION_FINISHED)

    assert type(parsed.kwh) is Decimal and parsed.kwh == Decimal("41.12")
    assert parsed.charging_periods is not None
    volume = parsed.charging_periods[2].dimensions[0].volume
    assert type(volume) is Decimal and volume == Decimal("0.718")
    assert parsed.total_cost is not None and type(parsed.total_cost.excl_vat) is Decimal
    assert str(raw["total_cost"]["excl_vat"]) == "8.50"  # every digit the sender wrote
    assert b'"excl_vat":8.50' in msgspec.json.Encoder(decimal_format="number").encode(raw)


def test_negative_dimension_volumes_are_accepted() -> None:
    # ENERGY, CURRENT and POWER are negative when energy flows back to the grid (CdrDimensionType).
    parsed, _ = parse_session(session(_set(-2.5, "charging_periods", 0, "dimensions", 0, "volume")))

    assert parsed.charging_periods is not None and parsed.charging_periods[0].dimensions[0].volume == Decimal("-2.5")


def test_equal_timestamps_are_in_order() -> None:
    same = "2015-06-29T22:39:09"  # no Z: still UTC, equal to the start
    periods = [period(same), period("2015-06-29T22:39:09.000Z")]

    parse_session(session(_set(periods, "charging_periods"), _set("2015-06-29T22:39:09Z", "end_date_time")))


# Shapes


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("kwh",), -0.01, "$.kwh"),
        (("kwh",), "41.12", "$.kwh"),  # a JSON string is not a number
        (("id",), "x" * 37, "$.id"),
        (("id",), "caf\u00e9", "$.id"),  # CiString: ASCII only
        (("currency",), "eur", "$.currency"),
        (("auth_method",), "RFID", "$.auth_method"),
        (("status",), "RESERVED", "$.status"),  # the spec's prose says RESERVED; the enum value is RESERVATION
        (("cdr_token", "type"), "CARD", "$.cdr_token.type"),
        (("cdr_token", "contract_id"), "c" * 37, "$.cdr_token.contract_id"),
        (("cdr_token", "party_id"), "TOOLONG", "$.cdr_token.party_id"),
        (("charging_periods", 0, "dimensions"), [], "$.charging_periods[0].dimensions"),
        (("charging_periods", 0, "dimensions", 0, "type"), "ENERGY_KWH", "$.charging_periods[0].dimensions[0].type"),
        (("charging_periods", 0, "dimensions", 0, "volume"), None, "$.charging_periods[0].dimensions[0].volume"),
        (("charging_periods", 0, "tariff_id"), "t" * 37, "$.charging_periods[0].tariff_id"),
        (("meter_id",), "m" * 256, "$.meter_id"),
        (("total_cost",), {"incl_vat": 1}, "$.total_cost"),
        (("start_date_time",), "2015-06-29T22:39:09+00:00", "$.start_date_time"),
        (("last_updated",), None, "$.last_updated"),
    ],
)
def test_fields_follow_the_spec_types(path: tuple[str | int, ...], value: Any, field: str) -> None:
    assert f"`{field}`" in invalid(parse_session, session(_set(value, *path)))


@pytest.mark.parametrize("name", ["cdr_token", "auth_method", "location_id", "evse_uid", "kwh", "status"])
def test_required_fields_are_required(name: str) -> None:
    assert f"required field `{name}`" in invalid(parse_session, session(_delete(name)))


def test_datetimes_must_be_in_the_calendar() -> None:
    message = invalid(parse_session, session(_set("2015-02-30T22:39:09Z", "end_date_time")))

    assert "`end_date_time`" in message


# Cross-field rules


@pytest.mark.parametrize("mutate", [_delete("end_date_time"), _set(None, "end_date_time")])
def test_completed_session_needs_an_end_date_time(mutate: Mutate) -> None:
    message = invalid(parse_session, session(mutate))

    assert "`end_date_time` is required when `status` is COMPLETED" in message


@pytest.mark.parametrize("status", ["ACTIVE", "INVALID", "PENDING", "RESERVATION"])
def test_other_statuses_need_no_end_date_time(status: str) -> None:
    parse_session(session(_delete("end_date_time"), _set(status, "status")))


# PATCH


def test_patch_without_last_updated_is_2001() -> None:
    assert "required field `last_updated`" in invalid(parse_session_patch, b'{"kwh": 1.5}')


def test_patch_with_only_charging_periods_passes_and_leaves_the_rest_unset() -> None:
    parsed, raw = parse_session_patch(patch(charging_periods=[period("2019-06-23T08:16:02Z")]))

    assert parsed.charging_periods is not msgspec.UNSET and parsed.charging_periods is not None
    assert parsed.charging_periods[0].dimensions[0].volume == Decimal(1)
    assert parsed.kwh is msgspec.UNSET and parsed.status is msgspec.UNSET and parsed.start_date_time is msgspec.UNSET
    assert raw["last_updated"] == LAST_UPDATED


@pytest.mark.parametrize("raw", [SPEC_PATCH_PERIOD, SPEC_PATCH_TOTAL_COST])
def test_spec_patch_examples_pass(raw: bytes) -> None:
    parsed, _ = parse_session_patch(raw)

    assert parsed.total_cost is not msgspec.UNSET and parsed.total_cost is not None
    assert type(parsed.total_cost.excl_vat) is Decimal


def test_patch_to_completed_may_rely_on_an_end_date_time_sent_before() -> None:
    parsed, _ = parse_session_patch(patch(status="COMPLETED"))

    assert parsed.status == "COMPLETED" and parsed.end_date_time is msgspec.UNSET


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kwh": None}, "$.kwh"),  # required in the object: no removal by null
        ({"status": "DONE"}, "$.status"),
        ({"charging_periods": [{"start_date_time": LAST_UPDATED, "dimensions": []}]}, "$.charging_periods[0]"),
        ({"cdr_token": {"uid": "123abc"}}, "$.cdr_token"),  # nested objects are full objects
        ({"last_updated": "2019-06-23T08:16:02+01:00"}, "$.last_updated"),
    ],
)
def test_patch_fields_are_validated_like_the_object(fields: dict[str, Any], field: str) -> None:
    assert f"`{field}" in invalid(parse_session_patch, patch(**fields))


def test_patch_may_null_an_optional_field() -> None:
    parsed, _ = parse_session_patch(patch(charging_periods=None, meter_id=None))

    assert parsed.charging_periods is None and parsed.meter_id is None
