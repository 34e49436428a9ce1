"""CDRs wire shapes and parsing (facade/cdrs/schemas.py, mod_cdrs.asciidoc, HUB-DIGEST §3.3): no I/O."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from litestar.status_codes import HTTP_200_OK

from facade.cdrs.schemas import CDR, parse_cdr
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from facade.tariffs.schemas import Tariff

# ocpi/ocpi release-2.2.1-bugfixes examples/cdr_example.json, verbatim (numbers as the spec writes them).
SPEC_CDR = b"""{
  "country_code": "BE", "party_id": "BEC", "id": "12345",
  "start_date_time": "2015-06-29T21:39:09Z", "end_date_time": "2015-06-29T23:37:32Z",
  "cdr_token": {"country_code": "DE", "party_id": "TNM", "uid": "012345678", "type": "RFID",
                "contract_id": "DE8ACC12E46L89"},
  "auth_method": "WHITELIST",
  "cdr_location": {
    "id": "LOC1", "name": "Gent Zuid", "address": "F.Rooseveltlaan 3A", "city": "Gent", "postal_code": "9000",
    "country": "BEL", "coordinates": {"latitude": "3.729944", "longitude": "51.047599"},
    "evse_uid": "3256", "evse_id": "BE*BEC*E041503003", "connector_id": "1",
    "connector_standard": "IEC_62196_T2", "connector_format": "SOCKET", "connector_power_type": "AC_1_PHASE"
  },
  "currency": "EUR",
  "tariffs": [{
    "country_code": "BE", "party_id": "BEC", "id": "12", "currency": "EUR",
    "elements": [{"price_components": [{"type": "TIME", "price": 2.00, "vat": 10.0, "step_size": 300}]}],
    "last_updated": "2015-02-02T14:15:01Z"
  }],
  "charging_periods": [{
    "start_date_time": "2015-06-29T21:39:09Z", "dimensions": [{"type": "TIME", "volume": 1.973}], "tariff_id": "12"
  }],
  "total_cost": {"excl_vat": 4.00, "incl_vat": 4.40},
  "total_energy": 15.342,
  "total_time": 1.973,
  "total_time_cost": {"excl_vat": 4.00, "incl_vat": 4.40},
  "last_updated": "2015-06-29T22:01:13Z"
}"""

# The remaining optional fields (SignedData shaped like an OCMF meter's).
EVERY_OPTIONAL: dict[str, Any] = {
    "session_id": "101",
    "authorization_reference": "AUTH-1",
    "meter_id": "M-1",
    "signed_data": {
        "encoding_method": "OCMF",
        "encoding_method_version": 1,
        "public_key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
        "signed_values": [
            {"nature": "Start", "plain_data": "OCMF|{}", "signed_data": "MEUCIQ=="},
            {"nature": "End", "plain_data": "OCMF|{}", "signed_data": "MEYCIQ=="},
        ],
        "url": "https://meter.example.com/check",
    },
    "total_fixed_cost": {"excl_vat": 0.50},
    "total_energy_cost": {"excl_vat": 0},
    "total_parking_time": 0.25,
    "total_parking_cost": {"excl_vat": 1.00, "incl_vat": 1.21},
    "total_reservation_cost": {"excl_vat": 0},
    "remark": "EV full",
    "invoice_reference_id": "INV-2015-06-0001",
    "home_charging_compensation": False,
}

Mutate = Callable[[dict[str, Any]], None]
LOCATION = ("cdr_location",)
SIGNED_VALUE_0 = ("signed_data", "signed_values", 0)


def cdr(*mutations: Mutate) -> bytes:
    data = json.loads(SPEC_CDR)
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


def _fill(data: dict[str, Any]) -> None:
    data.update(copy.deepcopy(EVERY_OPTIONAL))


def invalid(raw: bytes) -> str:
    """The message of the OCPI 2001 (HTTP 200) that parse_cdr answers `raw` with."""
    with pytest.raises(OcpiError) as excinfo:
        parse_cdr(raw)
    assert excinfo.value.status == OcpiStatus.INVALID_PARAMETERS
    assert excinfo.value.http_status == HTTP_200_OK
    return excinfo.value.message


def periods(*starts: str) -> Mutate:
    return _set(
        [{"start_date_time": s, "dimensions": [{"type": "TIME", "volume": 0.5}]} for s in starts], "charging_periods"
    )


# Valid bodies


def test_spec_example_cdr_parses() -> None:
    parsed, raw = parse_cdr(SPEC_CDR)

    assert isinstance(parsed, CDR)
    assert (parsed.country_code, parsed.party_id, parsed.id) == ("BE", "BEC", "12345")
    assert (parsed.cdr_token.country_code, parsed.cdr_token.party_id) == ("DE", "TNM")  # the token owner: routing
    assert parsed.cdr_location.connector_standard == "IEC_62196_T2"
    assert parsed.tariffs is not None and isinstance(parsed.tariffs[0], Tariff)
    assert parsed.tariffs[0].elements[0].price_components[0].price == Decimal("2.00")
    assert parsed.charging_periods[0].tariff_id == "12"
    assert parsed.signed_data is None and parsed.credit is None
    assert raw == json.loads(SPEC_CDR, parse_float=Decimal)


def test_every_optional_field_parses() -> None:
    parsed, _ = parse_cdr(cdr(_fill))

    assert parsed.signed_data is not None and [v.nature for v in parsed.signed_data.signed_values] == ["Start", "End"]
    assert parsed.signed_data.encoding_method_version == 1
    assert parsed.total_parking_time == Decimal("0.25")
    assert parsed.total_parking_cost is not None and parsed.total_parking_cost.incl_vat == Decimal("1.21")
    assert parsed.home_charging_compensation is False


def test_credit_cdr_with_its_reference_parses() -> None:
    def credit(data: dict[str, Any]) -> None:
        data.update(id="1" * 36 + "-CR", credit=True, credit_reference_id="1" * 36)
        data["total_cost"] = {"excl_vat": -4.00, "incl_vat": -4.40}  # only total_cost is negated

    parsed, _ = parse_cdr(cdr(credit))

    assert parsed.credit is True and parsed.credit_reference_id == "1" * 36 and len(parsed.id) == 39
    assert parsed.total_cost.excl_vat == Decimal("-4.00")


def test_reservation_cdr_may_use_na() -> None:
    def reservation(data: dict[str, Any]) -> None:
        data["cdr_location"].update(evse_uid="#NA", evse_id="#NA", connector_id="#NA")
        data["charging_periods"][0]["dimensions"] = [{"type": "RESERVATION_TIME", "volume": 0.25}]

    parsed, _ = parse_cdr(cdr(reservation, _set("COMMAND", "auth_method")))

    where = parsed.cdr_location
    assert (where.evse_uid, where.evse_id, where.connector_id) == ("#NA", "#NA", "#NA")


@pytest.mark.parametrize("value", [None, []])
def test_tariffs_may_be_null_or_empty(value: Any) -> None:
    parsed, _ = parse_cdr(cdr(_set(value, "tariffs")))

    assert parsed.tariffs == value


def test_unknown_fields_are_accepted_and_kept_in_the_raw_dict() -> None:
    def extras(data: dict[str, Any]) -> None:
        _fill(data)
        data["x_vendor"] = {"a": 1}
        data["cdr_location"]["x_site"] = "S1"
        data["tariffs"][0]["x_plan"] = "gold"
        data["signed_data"]["x_meter"] = "M"
        data["charging_periods"][0]["dimensions"][0]["x_unit"] = "h"

    parsed, raw = parse_cdr(cdr(extras))

    assert parsed.id == "12345"
    assert raw["x_vendor"] == {"a": 1}
    assert raw["cdr_location"]["x_site"] == "S1"
    assert raw["tariffs"][0]["x_plan"] == "gold"
    assert raw["signed_data"]["x_meter"] == "M"
    assert raw["charging_periods"][0]["dimensions"][0]["x_unit"] == "h"


def test_numbers_are_exact_decimals_in_struct_and_raw_dict() -> None:
    parsed, raw = parse_cdr(SPEC_CDR)

    for value in (parsed.total_energy, parsed.total_time, parsed.total_cost.excl_vat):
        assert type(value) is Decimal
    assert (parsed.total_energy, parsed.total_time) == (Decimal("15.342"), Decimal("1.973"))
    assert str(raw["total_cost"]["excl_vat"]) == "4.00"  # every digit the sender wrote
    assert str(raw["tariffs"][0]["elements"][0]["price_components"][0]["vat"]) == "10.0"
    assert b'"incl_vat":4.40' in msgspec.json.Encoder(decimal_format="number").encode(raw)


def test_periods_at_the_bounds_are_within_the_cdr() -> None:
    same_start = "2015-06-29T21:39:09.000Z"
    parse_cdr(cdr(periods("2015-06-29T21:39:09Z", same_start, "2015-06-29T23:37:32Z")))


def test_instantaneous_cdr_is_allowed() -> None:
    parse_cdr(cdr(_set("2015-06-29T21:39:09Z", "end_date_time")))  # start == end: bilateral 1970 dates, zero length


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ((*LOCATION, "address"), "a" * 255),  # the Location erratum (45 → 255) applied to CdrLocation too
        ((*LOCATION, "state"), "s" * 45),  # likewise 20 → 45
        ((*SIGNED_VALUE_0, "plain_data"), "p" * 5000),  # erratum: 512 → 5000
        ((*SIGNED_VALUE_0, "signed_data"), "s" * 5000),
        (("signed_data", "url"), "https://x.example/" + "u" * 494),  # string(512), not URL(255)
    ],
)
def test_errata_and_maximum_lengths_are_accepted(path: tuple[str | int, ...], value: str) -> None:
    parse_cdr(cdr(_fill, _set(value, *path)))


# Shapes


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("id",), "x" * 40, "$.id"),
        (("session_id",), "s" * 37, "$.session_id"),
        (("currency",), "EURO", "$.currency"),
        (("auth_method",), "APP", "$.auth_method"),
        (("charging_periods",), [], "$.charging_periods"),
        (("charging_periods", 0, "dimensions"), [], "$.charging_periods[0].dimensions"),
        (("total_energy",), -0.001, "$.total_energy"),
        (("total_energy",), "15.342", "$.total_energy"),  # a JSON string is not a number
        (("total_time",), -1, "$.total_time"),
        (("total_parking_time",), -0.5, "$.total_parking_time"),
        (("total_cost",), None, "$.total_cost"),
        (("total_time_cost",), {"incl_vat": 4.40}, "$.total_time_cost"),
        (("credit",), "true", "$.credit"),
        (("remark",), "r" * 256, "$.remark"),
        (("invoice_reference_id",), "i" * 40, "$.invoice_reference_id"),
        ((*LOCATION, "address"), "a" * 256, "$.cdr_location.address"),
        ((*LOCATION, "country"), "BE", "$.cdr_location.country"),
        ((*LOCATION, "coordinates", "latitude"), "95.000000", "$.cdr_location.coordinates"),
        ((*LOCATION, "evse_id"), "e" * 49, "$.cdr_location.evse_id"),
        ((*LOCATION, "connector_standard"), "TYPE2", "$.cdr_location.connector_standard"),
        ((*LOCATION, "connector_power_type"), "AC", "$.cdr_location.connector_power_type"),
        (("tariffs", 0, "elements"), [], "$.tariffs[0].elements"),  # the Tariff struct of the tariffs module
        (("cdr_token", "uid"), "u" * 37, "$.cdr_token.uid"),
        (("end_date_time",), "2015-06-29T23:37:32+02:00", "$.end_date_time"),
    ],
)
def test_fields_follow_the_spec_types(path: tuple[str | int, ...], value: Any, field: str) -> None:
    assert f"`{field}" in invalid(cdr(_set(value, *path)))


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("signed_data", "signed_values"), [], "$.signed_data.signed_values"),
        ((*SIGNED_VALUE_0, "plain_data"), "p" * 5001, "$.signed_data.signed_values[0].plain_data"),
        ((*SIGNED_VALUE_0, "nature"), "n" * 33, "$.signed_data.signed_values[0].nature"),
        (("signed_data", "encoding_method"), "e" * 37, "$.signed_data.encoding_method"),
        (("signed_data", "encoding_method_version"), 1.5, "$.signed_data.encoding_method_version"),
        (("signed_data", "public_key"), "k" * 513, "$.signed_data.public_key"),
    ],
)
def test_signed_data_follows_the_spec_types(path: tuple[str | int, ...], value: Any, field: str) -> None:
    assert f"`{field}" in invalid(cdr(_fill, _set(value, *path)))


@pytest.mark.parametrize(
    "name",
    ["end_date_time", "cdr_token", "cdr_location", "charging_periods", "total_cost", "total_energy", "total_time"],
)
def test_required_fields_are_required(name: str) -> None:
    assert f"required field `{name}`" in invalid(cdr(_delete(name)))


# Cross-field rules


@pytest.mark.parametrize("reference", [{}, {"credit_reference_id": None}])
def test_credit_cdr_needs_a_credit_reference_id(reference: dict[str, Any]) -> None:
    message = invalid(cdr(lambda d: d.update(id="12345-C", credit=True, **reference)))

    assert "`credit_reference_id` is required when `credit` is true" in message


@pytest.mark.parametrize("credit", [{}, {"credit": False}])
def test_normal_cdr_id_is_at_most_36(credit: dict[str, Any]) -> None:
    parse_cdr(cdr(lambda d: d.update(id="i" * 36, **credit)))

    assert "`id`" in invalid(cdr(lambda d: d.update(id="i" * 37, **credit)))
