"""Locations wire shapes and parsing (facade/locations/schemas.py, mod_locations.asciidoc, HUB-DIGEST §3.1): no I/O."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from facade.locations.schemas import (
    EVSE,
    Connector,
    Location,
    parse_connector,
    parse_connector_patch,
    parse_evse,
    parse_evse_patch,
    parse_location,
    parse_location_patch,
)
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus

# ocpi/ocpi release-2.2.1-bugfixes examples/location_example.json, verbatim.
SPEC_LOCATION: dict[str, Any] = {
    "country_code": "BE",
    "party_id": "BEC",
    "id": "LOC1",
    "publish": True,
    "name": "Gent Zuid",
    "address": "F.Rooseveltlaan 3A",
    "city": "Gent",
    "postal_code": "9000",
    "country": "BEL",
    "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
    "parking_type": "ON_STREET",
    "evses": [
        {
            "uid": "3256",
            "evse_id": "BE*BEC*E041503001",
            "status": "AVAILABLE",
            "capabilities": ["RESERVABLE"],
            "connectors": [
                {
                    "id": "1",
                    "standard": "IEC_62196_T2",
                    "format": "CABLE",
                    "power_type": "AC_3_PHASE",
                    "max_voltage": 220,
                    "max_amperage": 16,
                    "tariff_ids": ["11"],
                    "last_updated": "2015-03-16T10:10:02Z",
                },
                {
                    "id": "2",
                    "standard": "IEC_62196_T2",
                    "format": "SOCKET",
                    "power_type": "AC_3_PHASE",
                    "max_voltage": 220,
                    "max_amperage": 16,
                    "tariff_ids": ["13"],
                    "last_updated": "2015-03-18T08:12:01Z",
                },
            ],
            "physical_reference": "1",
            "floor_level": "-1",
            "last_updated": "2015-06-28T08:12:01Z",
        },
        {
            "uid": "3257",
            "evse_id": "BE*BEC*E041503002",
            "status": "RESERVED",
            "capabilities": ["RESERVABLE"],
            "connectors": [
                {
                    "id": "1",
                    "standard": "IEC_62196_T2",
                    "format": "SOCKET",
                    "power_type": "AC_3_PHASE",
                    "max_voltage": 220,
                    "max_amperage": 16,
                    "tariff_ids": ["12"],
                    "last_updated": "2015-06-29T20:39:09Z",
                }
            ],
            "physical_reference": "2",
            "floor_level": "-2",
            "last_updated": "2015-06-29T20:39:09Z",
        },
    ],
    "operator": {"name": "BeCharged"},
    "time_zone": "Europe/Brussels",
    "last_updated": "2015-06-29T20:39:09Z",
}

# Optional parts of the spec's other examples (uc4 publish_allowed_to, parking garage opening_times, the complete
# energy_mix, the regular-hours example's exceptions), plus every remaining optional field.
EVERY_OPTIONAL: dict[str, Any] = {
    "publish": False,
    "publish_allowed_to": [
        {"visual_number": "12345-67", "issuer": "NewMotion"},
        {"uid": "12345678905880", "type": "RFID"},
        {"group_id": "DEPOT-1"},
    ],
    "state": "Oost-Vlaanderen",
    "related_locations": [
        {"latitude": "51.047000", "longitude": "3.729000", "name": {"language": "nl", "text": "Ingang"}}
    ],
    "directions": [{"language": "en", "text": "Enter via the main gate."}],
    "suboperator": {"name": "Sub", "website": "https://sub.example.com"},
    "owner": {
        "name": "Owner",
        "logo": {"url": "https://o.example.com/l.png", "category": "OWNER", "type": "png", "width": 512, "height": 512},
    },
    "facilities": ["CAFE", "WIFI"],
    "opening_times": {
        "twentyfourseven": False,
        "regular_hours": [{"weekday": 1, "period_begin": "07:00", "period_end": "18:00"}],
        "exceptional_openings": [{"period_begin": "2014-06-21T09:00:00Z", "period_end": "2014-06-21T12:00:00Z"}],
        "exceptional_closings": [{"period_begin": "2014-06-24T00:00:00Z", "period_end": "2014-06-25T00:00:00Z"}],
    },
    "charging_when_closed": True,
    "images": [
        {
            "url": "https://o.example.com/p.jpg",
            "thumbnail": "https://o.example.com/t.jpg",
            "category": "LOCATION",
            "type": "jpeg",
        }
    ],
    "energy_mix": {
        "is_green_energy": False,
        "energy_sources": [
            {"source": "GENERAL_GREEN", "percentage": 35.9},
            {"source": "GAS", "percentage": 6.3},
            {"source": "COAL", "percentage": 33.2},
            {"source": "GENERAL_FOSSIL", "percentage": 2.9},
            {"source": "NUCLEAR", "percentage": 21.7},
        ],
        "environ_impact": [
            {"category": "NUCLEAR_WASTE", "amount": 0.0006},
            {"category": "CARBON_DIOXIDE", "amount": 372},
        ],
        "supplier_name": "E.ON Energy Deutschland",
        "energy_product_name": "E.ON DirektStrom eco",
    },
}

EVSE_EXTRAS: dict[str, Any] = {
    "status_schedule": [{"period_begin": "2015-06-29T20:39:09Z", "status": "PLANNED"}],
    "coordinates": {"latitude": "-33.8688197", "longitude": "151.2092955"},
    "directions": [{"language": "vi", "text": "Tầng hầm B2"}],
    "parking_restrictions": ["EV_ONLY", "CUSTOMERS"],
    "images": [{"url": "https://o.example.com/c.png", "category": "CHARGER", "type": "png"}],
}

CONNECTOR_EXTRAS: dict[str, Any] = {"max_electric_power": 22000, "terms_and_conditions": "https://o.example.com/t"}

Mutate = Callable[[dict[str, Any]], None]


def _encode(data: dict[str, Any], mutate: Mutate | None = None) -> bytes:
    data = copy.deepcopy(data)
    if mutate:
        mutate(data)
    return json.dumps(data).encode()


def location(mutate: Mutate | None = None) -> bytes:
    return _encode(SPEC_LOCATION, mutate)


def evse(mutate: Mutate | None = None) -> bytes:
    return _encode(SPEC_LOCATION["evses"][0], mutate)


def connector(mutate: Mutate | None = None) -> bytes:
    return _encode(SPEC_LOCATION["evses"][0]["connectors"][0], mutate)


def _set(value: Any, *path: str | int) -> Mutate:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(*path: str | int) -> Mutate:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def jsonpath(path: tuple[str | int, ...]) -> str:
    """msgspec's spelling of a field path: `$.evses[0].connectors[0].standard`."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def invalid(parse: Callable[[bytes], object], raw: bytes) -> str:
    """The message of the OCPI 2001 (HTTP 200) that `parse` answers `raw` with."""
    with pytest.raises(OcpiError) as excinfo:
        parse(raw)
    assert excinfo.value.status == OcpiStatus.INVALID_PARAMETERS
    assert excinfo.value.http_status == HTTP_200_OK
    return excinfo.value.message


CONNECTOR_0 = ("evses", 0, "connectors", 0)


# Valid bodies


def test_spec_example_location_parses() -> None:
    parsed, raw = parse_location(location())

    assert isinstance(parsed, Location)
    assert raw == SPEC_LOCATION
    assert (parsed.country_code, parsed.party_id, parsed.id, parsed.time_zone) == (
        "BE",
        "BEC",
        "LOC1",
        "Europe/Brussels",
    )
    assert parsed.evses is not None
    assert [e.uid for e in parsed.evses] == ["3256", "3257"]
    assert parsed.evses[0].connectors[1].format == "SOCKET"
    assert parsed.charging_when_closed is None  # absent: the spec's default (true) is the reader's to apply


def test_every_optional_field_parses() -> None:
    def fill(data: dict[str, Any]) -> None:
        data.update(copy.deepcopy(EVERY_OPTIONAL))
        data["evses"][0].update(copy.deepcopy(EVSE_EXTRAS))
        data["evses"][0]["connectors"][0].update(CONNECTOR_EXTRAS)

    parsed, _ = parse_location(location(fill))

    assert parsed.publish_allowed_to is not None and parsed.publish_allowed_to[1].type == "RFID"
    assert parsed.opening_times is not None and parsed.opening_times.regular_hours is not None
    assert parsed.energy_mix is not None and parsed.energy_mix.energy_sources is not None
    assert parsed.evses is not None and parsed.evses[0].coordinates is not None


def test_evse_and_connector_objects_parse() -> None:
    parsed_evse, _ = parse_evse(evse())
    parsed_connector, _ = parse_connector(connector())

    assert isinstance(parsed_evse, EVSE) and parsed_evse.uid == "3256"
    assert isinstance(parsed_connector, Connector) and parsed_connector.tariff_ids == ["11"]


@pytest.mark.parametrize("value", [None, []])
def test_optional_lists_may_be_null_or_empty(value: Any) -> None:
    parsed, _ = parse_location(location(_set(value, "evses")))

    assert parsed.evses == value


def test_unknown_fields_are_accepted_and_kept_in_the_raw_dict() -> None:
    def extras(data: dict[str, Any]) -> None:
        data["x_vendor"] = {"a": 1}
        data["evses"][0]["x_floor"] = -1
        data["evses"][0]["connectors"][0]["x_note"] = "n"

    parsed, raw = parse_location(location(extras))

    assert parsed.id == "LOC1"
    assert raw["x_vendor"] == {"a": 1}
    assert raw["evses"][0]["x_floor"] == -1
    assert raw["evses"][0]["connectors"][0]["x_note"] == "n"


def test_numbers_are_exact_decimals_in_struct_and_raw_dict() -> None:
    def mix(data: dict[str, Any]) -> None:
        data["energy_mix"] = {"is_green_energy": True, "energy_sources": [{"source": "SOLAR", "percentage": 0.1}]}

    raw_body = location(mix).replace(b'"percentage": 0.1', b'"percentage": 0.10')
    parsed, raw = parse_location(raw_body)

    assert parsed.energy_mix is not None and parsed.energy_mix.energy_sources is not None
    percentage = parsed.energy_mix.energy_sources[0].percentage
    assert type(percentage) is Decimal and percentage == Decimal("0.1")
    relayed = raw["energy_mix"]["energy_sources"][0]["percentage"]
    assert type(relayed) is Decimal and str(relayed) == "0.10"  # every digit the sender wrote
    assert b'"percentage":0.10' in msgspec.json.Encoder(decimal_format="number").encode(raw)


# Not JSON, or not an object


@pytest.mark.parametrize("raw", [b"{", b"", b'{"id": "x",}', b"\xe9\xe9", b'{"a": NaN}'])
def test_malformed_json_is_http_400(raw: bytes) -> None:
    with pytest.raises(OcpiError) as excinfo:
        parse_location(raw)

    assert excinfo.value.http_status == HTTP_400_BAD_REQUEST
    assert excinfo.value.status == OcpiStatus.CLIENT_ERROR


@pytest.mark.parametrize("raw", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 1_001 + b"1" + b"}" * 1_001])
def test_json_nested_too_deeply_is_http_400(raw: bytes) -> None:
    # Found by tests/fuzz: msgspec raises RecursionError (not a ValueError) past Python's recursion limit.
    with pytest.raises(OcpiError) as excinfo:
        parse_location(raw)

    assert excinfo.value.http_status == HTTP_400_BAD_REQUEST
    assert excinfo.value.message == "request body is nested too deeply"


@pytest.mark.parametrize("raw", [b"[]", b'"LOC1"', b"1", b"null"])
def test_json_that_is_not_an_object_is_2001(raw: bytes) -> None:
    assert "Expected `object`" in invalid(parse_location, raw)


# Shape errors: OCPI 2001 naming the field


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("id",), "L" * 37),
        (("name",), "n" * 256),
        (("address",), "a" * 256),
        (("city",), "c" * 46),
        (("postal_code",), "1" * 11),
        (("state",), "s" * 46),
        (("time_zone",), "Europe/" + "x" * 249),
        (("operator", "name"), "o" * 101),
        (("evses", 0, "evse_id"), "E" * 49),
        (("evses", 0, "floor_level"), "-1000"),
        (("evses", 0, "physical_reference"), "p" * 17),
        (("directions",), [{"language": "en", "text": "t" * 513}]),
    ],
)
def test_strings_longer_than_the_spec_are_refused(path: tuple[str | int, ...], value: Any) -> None:
    assert f"`{jsonpath(path)}" in invalid(parse_location, location(_set(value, *path)))


@pytest.mark.parametrize(
    ("path", "value"),
    [(("address",), "a" * 255), (("state",), "s" * 45), (("city",), "c" * 45), (("id",), "L" * 36)],
)
def test_errata_and_maximum_lengths_are_accepted(path: tuple[str, ...], value: str) -> None:
    parsed, _ = parse_location(location(_set(value, *path)))

    assert getattr(parsed, path[0]) == value


IMAGE: dict[str, Any] = {"url": "https://x/i.png", "category": "OTHER", "type": "png"}
HOURS: dict[str, Any] = {
    "twentyfourseven": False,
    "regular_hours": [{"weekday": 1, "period_begin": "07:00", "period_end": "18:00"}],
}


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ((*CONNECTOR_0, "standard"), "TYPE2", "$.evses[0].connectors[0].standard"),
        ((*CONNECTOR_0, "standard"), "IEC_60309_2_SINGLE_16", "$.evses[0].connectors[0].standard"),  # case-sensitive
        ((*CONNECTOR_0, "standard"), "iec_62196_t2", "$.evses[0].connectors[0].standard"),
        ((*CONNECTOR_0, "format"), "PLUG", "$.evses[0].connectors[0].format"),
        ((*CONNECTOR_0, "power_type"), "AC_3_PHASES", "$.evses[0].connectors[0].power_type"),
        (("evses", 0, "status"), "OFFLINE", "$.evses[0].status"),
        (
            ("evses", 0, "status_schedule"),
            [{"period_begin": "2015-06-29T20:39:09Z", "status": "BROKEN"}],
            "$.evses[0].status_schedule[0].status",
        ),
        (("evses", 0, "capabilities"), ["RESERVABLE", "TELEPORT"], "$.evses[0].capabilities[1]"),
        (("evses", 0, "parking_restrictions"), ["TRUCKS"], "$.evses[0].parking_restrictions[0]"),
        (("parking_type",), "ON_ROOF", "$.parking_type"),
        (("facilities",), ["CASINO"], "$.facilities[0]"),
        (("images",), [{**IMAGE, "category": "LOGO"}], "$.images[0].category"),
        (
            ("energy_mix",),
            {"is_green_energy": True, "energy_sources": [{"source": "HYDRO", "percentage": 1}]},
            "$.energy_mix.energy_sources[0].source",
        ),
        (
            ("energy_mix",),
            {"is_green_energy": True, "environ_impact": [{"category": "CO2", "amount": 1}]},
            "$.energy_mix.environ_impact[0].category",
        ),
        (("publish_allowed_to",), [{"uid": "u", "type": "EMAID"}], "$.publish_allowed_to[0].type"),
    ],
)
def test_values_outside_an_enum_are_refused(path: tuple[str | int, ...], value: Any, field: str) -> None:
    message = invalid(parse_location, location(_set(value, *path)))

    assert "Invalid enum value" in message
    assert f"`{field}`" in message


@pytest.mark.parametrize(
    "standard", ["IEC_60309_2_single_16", "IEC_60309_2_three_64", "CHAOJI", "DOMESTIC_O", "NEMA_14_50", "TESLA_S"]
)
def test_connector_types_are_spelled_as_the_spec_does(standard: str) -> None:
    parsed, _ = parse_connector(connector(_set(standard, "standard")))

    assert parsed.standard == standard


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latitude", "51.0475"),  # 4 decimals
        ("latitude", "51,047599"),
        ("latitude", "151.047599"),
        ("latitude", "91.000000"),
        ("latitude", 51.047599),
        ("longitude", "3.7299"),
        ("longitude", "1234.729944"),
        ("longitude", "181.000000"),
        ("longitude", "3.72994412"),
        ("longitude", "3.729944\n"),
    ],
)
def test_coordinates_follow_the_spec_regex_and_wgs84(field: str, value: Any) -> None:
    assert "coordinates" in invalid(parse_location, location(_set(value, "coordinates", field)))


@pytest.mark.parametrize(("latitude", "longitude"), [("-90.00000", "-180.0000000"), ("0.00000", "-126.104965")])
def test_coordinates_at_the_limits_are_accepted(latitude: str, longitude: str) -> None:
    parsed, _ = parse_location(location(_set({"latitude": latitude, "longitude": longitude}, "coordinates")))

    assert parsed.coordinates.longitude == longitude


@pytest.mark.parametrize("time_zone", ["Mars/Olympus", "europe/brussels", "CET+1", "+07:00", ""])
def test_time_zone_must_be_an_iana_zone(time_zone: str) -> None:
    assert "time_zone" in invalid(parse_location, location(_set(time_zone, "time_zone")))


def test_iana_time_zone_is_accepted() -> None:
    parsed, _ = parse_location(location(_set("Asia/Ho_Chi_Minh", "time_zone")))

    assert parsed.time_zone == "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize("bad_id", ["LOC 1", "LOC/1", "", "L" * 37, "LOC.1", "LÖC1", "LOC1\n"])
@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("id",), "$.id"),
        (("evses", 0, "uid"), "$.evses[0].uid"),
        ((*CONNECTOR_0, "id"), "$.evses[0].connectors[0].id"),
        ((*CONNECTOR_0, "tariff_ids", 0), "$.evses[0].connectors[0].tariff_ids[0]"),
    ],
)
def test_ids_follow_hub_rule_r2_5(bad_id: str, path: tuple[str | int, ...], field: str) -> None:
    assert f"`{field}`" in invalid(parse_location, location(_set(bad_id, *path)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country_code", "BEL"),
        ("country_code", "B1"),
        ("party_id", "BECH"),
        ("party_id", "B-C"),
        ("party_id", ""),
        ("country", "BE"),
        ("country", "bel"),
    ],
)
def test_party_and_country_codes(field: str, value: str) -> None:
    assert f"`$.{field}`" in invalid(parse_location, location(_set(value, field)))


@pytest.mark.parametrize(
    "path",
    [
        ("time_zone",),
        ("coordinates",),
        ("address",),
        ("city",),
        ("country",),
        ("publish",),
        ("last_updated",),
        ("evses", 0, "status"),
        ("evses", 0, "connectors"),
        ("evses", 0, "last_updated"),
        (*CONNECTOR_0, "max_voltage"),
        (*CONNECTOR_0, "power_type"),
    ],
)
def test_required_fields_are_required(path: tuple[str | int, ...]) -> None:
    assert f"required field `{path[-1]}`" in invalid(parse_location, location(_delete(*path)))


@pytest.mark.parametrize("path", [("time_zone",), ("coordinates",), ("publish",), ("evses", 0, "status")])
def test_required_fields_may_not_be_null(path: tuple[str | int, ...]) -> None:
    assert "got `null`" in invalid(parse_location, location(_set(None, *path)))


def test_an_evse_needs_at_least_one_connector() -> None:
    assert "`$.evses[0].connectors`" in invalid(parse_location, location(_set([], "evses", 0, "connectors")))


def _hours(**regular: Any) -> dict[str, Any]:
    return {**HOURS, "regular_hours": [{**HOURS["regular_hours"][0], **regular}]}


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ((*CONNECTOR_0, "max_voltage"), "230", "$.evses[0].connectors[0].max_voltage"),
        ((*CONNECTOR_0, "max_voltage"), 230.5, "$.evses[0].connectors[0].max_voltage"),
        ((*CONNECTOR_0, "max_voltage"), 230.0, "$.evses[0].connectors[0].max_voltage"),
        ((*CONNECTOR_0, "max_amperage"), -16, "$.evses[0].connectors[0].max_amperage"),
        ((*CONNECTOR_0, "max_electric_power"), True, "$.evses[0].connectors[0].max_electric_power"),
        (("opening_times",), _hours(weekday=8), "$.opening_times.regular_hours[0].weekday"),
        (("opening_times",), _hours(period_begin="7:00"), "$.opening_times.regular_hours[0].period_begin"),
        (("opening_times",), _hours(period_end="24:00"), "$.opening_times.regular_hours[0].period_end"),
        (("images",), [{**IMAGE, "type": "jpeg2"}], "$.images[0].type"),
        (("images",), [{**IMAGE, "width": 100000}], "$.images[0].width"),
        (("images",), [{**IMAGE, "url": ""}], "$.images[0].url"),
        (("directions",), [{"language": "eng", "text": "t"}], "$.directions[0].language"),
        (("publish",), "true", "$.publish"),
    ],
)
def test_numbers_times_and_small_types(path: tuple[str | int, ...], value: Any, field: str) -> None:
    assert f"`{field}`" in invalid(parse_location, location(_set(value, *path)))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"source": "SOLAR", "percentage": "50"}, "Expected `number`, got `str`"),
        ({"source": "SOLAR", "percentage": 100.01}, "Expected `number` <= 100"),
        ({"source": "SOLAR", "percentage": -1}, "Expected `number` >= 0"),
        ({"source": "SOLAR", "percentage": None}, "Expected `number`, got `null`"),
    ],
)
def test_energy_source_percentage_is_a_number_from_0_to_100(source: dict[str, Any], expected: str) -> None:
    mix = {"is_green_energy": True, "energy_sources": [source]}
    message = invalid(parse_location, location(_set(mix, "energy_mix")))

    assert expected in message
    assert "`$.energy_mix.energy_sources[0].percentage`" in message


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("last_updated",), "2015-06-29T20:39:09+02:00", "$.last_updated"),
        (("last_updated",), "2015-06-29T20:39:09+00:00", "$.last_updated"),
        (("last_updated",), "2015-06-29", "$.last_updated"),
        (("evses", 0, "last_updated"), "2015-06-29 20:39:09", "$.evses[0].last_updated"),
        ((*CONNECTOR_0, "last_updated"), 1435610349, "$.evses[0].connectors[0].last_updated"),
        (
            ("evses", 0, "status_schedule"),
            [{"period_begin": "29/06/2015", "status": "PLANNED"}],
            "$.evses[0].status_schedule[0].period_begin",
        ),
    ],
)
def test_datetimes_must_have_the_ocpi_shape(path: tuple[str | int, ...], value: Any, field: str) -> None:
    assert f"`{field}`" in invalid(parse_location, location(_set(value, *path)))


def test_datetimes_must_be_in_the_calendar() -> None:
    message = invalid(parse_location, location(_set("2015-02-30T20:39:09Z", "evses", 0, "last_updated")))

    assert "`last_updated`" in message and "`$.evses[0]`" in message


@pytest.mark.parametrize("value", ["2015-06-29T20:39:09.123456789Z", "2015-06-29T20:39:09.2", "2015-06-29T20:39:09"])
def test_datetime_shapes_of_the_spec_and_long_fractions_are_accepted(value: str) -> None:
    parsed, _ = parse_location(location(_set(value, "last_updated")))

    assert parsed.last_updated == value


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ({}, "one of `uid`, `visual_number` or `group_id`"),
        ({"type": "RFID", "issuer": "X"}, "one of `uid`, `visual_number` or `group_id`"),
        ({"uid": "012345"}, "`type` is required"),
        ({"visual_number": "123-45"}, "`issuer` is required"),
    ],
)
def test_publish_token_rules(token: dict[str, Any], expected: str) -> None:
    message = invalid(parse_location, location(_set([token], "publish_allowed_to")))

    assert expected in message and "`$.publish_allowed_to[0]`" in message


# PATCH


@pytest.mark.parametrize("parse", [parse_location_patch, parse_evse_patch, parse_connector_patch])
def test_patch_without_last_updated_is_2001(parse: Callable[[bytes], object]) -> None:
    assert "required field `last_updated`" in invalid(parse, b'{"status": "CHARGING"}')


def test_status_patch_passes_and_leaves_the_rest_unset() -> None:
    patch, raw = parse_evse_patch(b'{"status": "CHARGING", "last_updated": "2019-06-24T12:39:09Z"}')

    assert patch.status == "CHARGING"
    assert patch.last_updated == "2019-06-24T12:39:09Z"
    assert patch.connectors is msgspec.UNSET and patch.uid is msgspec.UNSET
    assert raw == {"status": "CHARGING", "last_updated": "2019-06-24T12:39:09Z"}


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (parse_location_patch, b'{"name": "Interparking Gent Zuid", "last_updated": "2019-06-24T12:39:09Z"}'),
        (parse_evse_patch, b'{"status": "REMOVED", "last_updated": "2019-06-24T12:39:09Z"}'),
        (parse_connector_patch, b'{"tariff_ids": ["15"], "last_updated": "2019-06-24T12:39:09Z"}'),
        (parse_location_patch, b'{"last_updated": "2019-06-24T12:39:09Z"}'),
    ],
)
def test_spec_patch_examples_pass(parse: Callable[[bytes], object], raw: bytes) -> None:
    parse(raw)


@pytest.mark.parametrize(
    ("parse", "body", "field"),
    [
        (parse_evse_patch, {"status": "OFFLINE"}, "$.status"),
        (parse_evse_patch, {"status": None}, "$.status"),  # required in the object: no removal by null
        (parse_evse_patch, {"connectors": []}, "$.connectors"),
        (parse_evse_patch, {"connectors": [{"id": "1"}]}, "$.connectors[0]"),  # nested objects are full objects
        (parse_connector_patch, {"standard": "TYPE2"}, "$.standard"),
        (parse_connector_patch, {"id": "a/b"}, "$.id"),
        (parse_location_patch, {"address": "a" * 256}, "$.address"),
        (parse_location_patch, {"coordinates": {"latitude": "1.0", "longitude": "2.0"}}, "$.coordinates"),
        (parse_location_patch, {"last_updated": "2019-06-24T12:39:09+00:00"}, "$.last_updated"),
    ],
)
def test_patch_fields_are_validated_like_the_object(
    parse: Callable[[bytes], object], body: dict[str, Any], field: str
) -> None:
    data = {"last_updated": "2019-06-24T12:39:09Z", **body}

    assert f"`{field}" in invalid(parse, json.dumps(data).encode())


def test_patch_time_zone_must_be_an_iana_zone() -> None:
    raw = b'{"time_zone": "Mars/Olympus", "last_updated": "2019-06-24T12:39:09Z"}'

    assert "time_zone" in invalid(parse_location_patch, raw)


def test_patch_may_null_an_optional_field() -> None:
    patch, _ = parse_location_patch(b'{"name": null, "last_updated": "2019-06-24T12:39:09Z"}')

    assert patch.name is None
