"""OCPI JSON ↔ protobuf conversion (facade/ocpi/proto_json.py): pure functions, no I/O."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from google.protobuf.descriptor import EnumDescriptor

from facade.ocpi.proto_json import (
    NUMBER_FIELDS,
    ProtoJsonError,
    decode_json,
    encode_json,
    from_proto,
    to_proto,
    to_proto_with_fields,
)
from ocpihub.locations.v1 import locations_pb2
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.tariffs.v1 import tariffs_pb2
from ocpihub.types.v1 import types_pb2

Location = locations_pb2.Location
Evse = locations_pb2.Evse
Connector = locations_pb2.Connector
Tariff = tariffs_pb2.Tariff

VENDOR = {"x_vendor": {"a": Decimal("1.10"), "b": [1, 2]}}


def connector(vendor: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A connector with its keys in OCPI order (so a JSON body round-trips byte for byte)."""
    data = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        **fields,
    }
    return {**data, "last_updated": "2015-06-29T20:39:09.000Z", **(vendor or {})}


def full_location() -> dict[str, Any]:
    return {
        "country_code": "BE",
        "party_id": "BEC",
        "id": "LOC1",
        "publish": True,
        "publish_allowed_to": [{"uid": "012345678", "type": "RFID", "issuer": "Issuer"}],
        "name": "Gent Zuid",
        "address": "F.Rooseveltlaan 3A",
        "city": "Gent",
        "postal_code": "9000",
        "country": "BEL",
        "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
        "related_locations": [
            {
                "latitude": "51.047500",
                "longitude": "3.729900",
                "name": {"language": "en", "text": "Entrance"},
            }
        ],
        "parking_type": "ON_STREET",
        "evses": [
            {
                "uid": "3256",
                "evse_id": "BE*BEC*E041503001",
                "status": "AVAILABLE",
                "status_schedule": [
                    {
                        "period_begin": "2015-06-29T20:39:09.000Z",
                        "period_end": "2015-06-30T20:39:09.000Z",
                        "status": "RESERVED",
                    }
                ],
                "capabilities": ["RESERVABLE", "RFID_READER"],
                "connectors": [
                    connector(VENDOR, max_electric_power=22000, tariff_ids=["11", "12"]),
                    connector(
                        id="2",
                        standard="IEC_60309_2_single_16",
                        format="CABLE",
                        power_type="AC_1_PHASE",
                        max_amperage=16,
                        terms_and_conditions="https://example.com/tc",
                    ),
                ],
                "floor_level": "-1",
                "physical_reference": "1",
                "directions": [{"language": "en", "text": "Left of the door"}],
                "parking_restrictions": ["EV_ONLY", "PLUGGED"],
                "images": [{"url": "https://example.com/evse.jpg", "category": "CHARGER", "type": "jpeg"}],
                "last_updated": "2015-06-29T20:39:09.000Z",
                "x_evse_vendor": "kept",
            },
            {
                "uid": "3257",
                "evse_id": "BE*BEC*E041503002",
                "status": "CHARGING",
                "connectors": [connector(standard="CHADEMO", power_type="DC", max_voltage=500, max_amperage=125)],
                "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
                "last_updated": "2015-06-29T20:40:09.123Z",
            },
        ],
        "operator": {
            "name": "BeCharged",
            "website": "https://www.example.com",
            "logo": {
                "url": "https://example.com/logo.png",
                "thumbnail": "https://example.com/logo_thumb.png",
                "category": "OPERATOR",
                "type": "png",
                "width": 512,
                "height": 512,
            },
        },
        "owner": {"name": "Owner"},
        "facilities": ["HOTEL", "WIFI"],
        "time_zone": "Europe/Brussels",
        "opening_times": {
            "twentyfourseven": False,
            "regular_hours": [
                {"weekday": 1, "period_begin": "08:00", "period_end": "20:00"},
                {"weekday": 7, "period_begin": "10:00", "period_end": "14:00"},
            ],
            "exceptional_closings": [
                {"period_begin": "2015-12-25T03:00:00.000Z", "period_end": "2015-12-25T05:00:00.000Z"}
            ],
        },
        "charging_when_closed": False,
        "images": [{"url": "https://example.com/loc.jpg", "category": "LOCATION", "type": "jpeg", "width": 0}],
        "energy_mix": {
            "is_green_energy": False,
            "energy_sources": [
                {"source": "GENERAL_GREEN", "percentage": Decimal("12.5")},
                {"source": "COAL", "percentage": Decimal("87.5")},
            ],
            "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": Decimal("372")}],
            "supplier_name": "Supplier",
            "energy_product_name": "Product",
        },
        "last_updated": "2015-06-29T20:39:09.000Z",
        **VENDOR,
        "x_list": [Decimal("0.10"), "s", None, True],
    }


def full_tariff() -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "ALL",
        "id": "12",
        "currency": "EUR",
        "type": "REGULAR",
        "tariff_alt_text": [{"language": "en", "text": "0.25 EUR / kWh"}],
        "tariff_alt_url": "https://example.com/tariffs/12",
        "min_price": {"excl_vat": Decimal("0.10"), "incl_vat": Decimal("0.11")},
        "elements": [
            {
                "price_components": [
                    {"type": "ENERGY", "price": Decimal("0.25"), "vat": Decimal("10.0"), "step_size": 1},
                    {"type": "FLAT", "price": 0, "step_size": 0},
                ],
                "restrictions": {
                    "start_time": "13:30",
                    "end_time": "19:45",
                    "start_date": "2015-12-24",
                    "min_kwh": Decimal("0.5"),
                    "max_kwh": 100,
                    "min_current": Decimal("6.0"),
                    "max_power": Decimal("22.000"),
                    "min_duration": 0,
                    "max_duration": 7200,
                    "day_of_week": ["MONDAY", "SUNDAY"],
                    "reservation": "RESERVATION_EXPIRES",
                    "x_restriction": 1,
                },
                "x_element": {"nested": [Decimal("0.1")]},
            }
        ],
        "start_date_time": "2015-06-29T20:39:09.000Z",
        "end_date_time": "2035-06-29T20:39:09.000Z",
        "last_updated": "2015-06-29T20:39:09.000Z",
    }


def roundtrip(data: dict[str, Any], message_type: Any) -> Any:
    return decode_json(encode_json(from_proto(to_proto(data, message_type))))


MODULES = (types_pb2, locations_pb2, tariffs_pb2)


def all_messages() -> list[Any]:
    return [getattr(module, name) for module in MODULES for name in module.DESCRIPTOR.message_types_by_name]


def field_enums() -> list[EnumDescriptor]:
    """Every enum some field of these messages uses (WriteResult is an RPC result, never OCPI JSON)."""
    enums = {f.enum_type.full_name: f.enum_type for m in all_messages() for f in m.DESCRIPTOR.fields if f.enum_type}
    return list(enums.values())


# decode_json / encode_json


def test_decode_json_keeps_floats_exact_as_decimals_and_ints_as_int() -> None:
    value = decode_json(b'{"a": 0.10, "b": 5, "c": 12.5, "d": 1e3, "e": [10.0]}')

    assert value == {"a": Decimal("0.10"), "b": 5, "c": Decimal("12.5"), "d": Decimal("1E+3"), "e": [Decimal("10.0")]}
    assert type(value["b"]) is int
    assert str(value["a"]) == "0.10"


def test_encode_json_writes_decimals_as_numbers_with_their_digits() -> None:
    assert encode_json({"a": Decimal("0.10"), "b": 5, "c": Decimal("10.0")}) == b'{"a":0.10,"b":5,"c":10.0}'


def test_json_numbers_round_trip_byte_for_byte() -> None:
    body = b'{"price":0.10,"vat":10.0,"n":[1,2.50]}'

    assert encode_json(decode_json(body)) == body


# strings


def test_string_fields_take_strings() -> None:
    assert to_proto({"name": "Gent"}, Location).name == "Gent"


@pytest.mark.parametrize(("value", "stored"), [(Decimal("0.10"), "0.10"), (5, "5"), (Decimal("-1E+3"), "-1E+3")])
def test_a_number_in_a_plain_string_field_is_stored_as_its_exact_decimal_string(value: Any, stored: str) -> None:
    assert to_proto({"floor_level": value}, Evse).floor_level == stored


@pytest.mark.parametrize("value", [True, ["a"], {"a": 1}])
def test_a_string_field_refuses_other_json_types(value: Any) -> None:
    with pytest.raises(ProtoJsonError, match=r"^name: expected a string") as caught:
        to_proto({"name": value}, Location)
    assert caught.value.path == "name"


def test_empty_strings_are_not_emitted() -> None:
    assert "name" not in from_proto(Location(id="L", name=""))
    assert from_proto(Location(id="L"))["id"] == "L"


# OCPI numbers carried in string fields


@pytest.mark.parametrize(
    ("value", "stored"),
    [(Decimal("0.25"), "0.25"), (Decimal("10.0"), "10.0"), (3, "3"), ("0.25", "0.25"), ("7", "7")],
)
def test_number_fields_take_numbers_and_numeric_strings(value: Any, stored: str) -> None:
    assert to_proto({"price": value}, tariffs_pb2.PriceComponent).price == stored


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", "", True, [1], {"a": 1}])
def test_number_fields_refuse_non_numbers(value: Any) -> None:
    with pytest.raises(ProtoJsonError, match=r"is not a number") as caught:
        to_proto({"elements": [{"price_components": [{"price": value}]}]}, Tariff)
    assert caught.value.path == "elements[0].price_components[0].price"


def test_number_fields_refuse_binary_floats() -> None:
    # A float means the body was not decoded with decode_json: its exact digits are already lost.
    with pytest.raises(ProtoJsonError, match=r"^price: 0.1 is not a number$"):
        to_proto({"price": 0.1}, tariffs_pb2.PriceComponent)


def test_number_fields_are_emitted_as_json_numbers() -> None:
    price = tariffs_pb2.Price(excl_vat="0.10", incl_vat="0.121")

    assert from_proto(price) == {"excl_vat": Decimal("0.10"), "incl_vat": Decimal("0.121")}
    assert encode_json(from_proto(price)) == b'{"excl_vat":0.10,"incl_vat":0.121}'


def test_empty_number_fields_are_not_emitted() -> None:
    # PriceComponent.vat: empty means "no VAT applicable", not 0 %.
    assert from_proto(tariffs_pb2.PriceComponent(price="0.25", step_size=1)) == {
        "price": Decimal("0.25"),
        "step_size": 1,
    }


def test_the_number_table_names_real_string_fields() -> None:
    messages = {
        m.DESCRIPTOR.full_name: m.DESCRIPTOR
        for m in (
            types_pb2.EnergySource,
            types_pb2.EnvironmentalImpact,
            tariffs_pb2.Price,
            tariffs_pb2.PriceComponent,
            tariffs_pb2.TariffRestrictions,
            sessions_pb2.Session,
            sessions_pb2.CdrDimension,
        )
    }
    assert len(NUMBER_FIELDS) == 14
    for message, field in NUMBER_FIELDS:
        assert messages[message].fields_by_name[field].type == messages[message].fields_by_name[field].TYPE_STRING


def test_coordinates_stay_strings() -> None:
    # OCPI latitude/longitude are strings, not numbers: they must stay quoted on the way out.
    data = {"coordinates": {"latitude": "51.047599", "longitude": "3.729944"}}

    assert b'"latitude":"51.047599"' in encode_json(from_proto(to_proto(data, Location)))


# int32 and bool


def test_int_and_bool_fields() -> None:
    message = to_proto(connector(max_voltage=400, max_amperage=0, max_electric_power=0), Connector)

    assert (message.max_voltage, message.max_amperage, message.max_electric_power) == (400, 0, 0)
    assert message.HasField("max_electric_power")
    assert to_proto({"publish": False, "charging_when_closed": True}, Location).charging_when_closed is True


@pytest.mark.parametrize("value", [True, Decimal("230.0"), "230", [230]])
def test_int_fields_refuse_other_json_types(value: Any) -> None:
    with pytest.raises(ProtoJsonError, match=r"^evses\[0\]\.connectors\[0\]\.max_voltage: expected an integer"):
        to_proto({"evses": [{"connectors": [{"max_voltage": value}]}]}, Location)


def test_int32_out_of_range_is_an_error_naming_the_field() -> None:
    with pytest.raises(ProtoJsonError) as caught:
        to_proto({"max_voltage": 2**31}, Connector)
    assert caught.value.path == "max_voltage"


@pytest.mark.parametrize("value", [1, "true", Decimal(1)])
def test_bool_fields_refuse_other_json_types(value: Any) -> None:
    with pytest.raises(ProtoJsonError, match=r"^publish: expected a boolean"):
        to_proto({"publish": value}, Location)


def test_required_int_and_bool_fields_are_always_emitted() -> None:
    assert from_proto(Connector()) == {"max_voltage": 0, "max_amperage": 0}
    assert from_proto(Location()) == {"publish": False}
    assert from_proto(locations_pb2.Hours()) == {"twentyfourseven": False}
    assert from_proto(tariffs_pb2.PriceComponent()) == {"step_size": 0}


def test_optional_scalars_are_emitted_only_when_set() -> None:
    assert "max_electric_power" not in from_proto(Connector())
    assert from_proto(Connector(max_electric_power=0))["max_electric_power"] == 0
    assert "charging_when_closed" not in from_proto(Location())
    assert from_proto(Location(charging_when_closed=False))["charging_when_closed"] is False
    assert from_proto(types_pb2.Image(url="u", width=0)) == {"url": "u", "width": 0}


# enums


@pytest.mark.parametrize("enum", field_enums(), ids=lambda enum: enum.name)
def test_every_enum_value_round_trips_by_its_unprefixed_wire_name(enum: EnumDescriptor) -> None:
    used = [(m, f) for m in all_messages() for f in m.DESCRIPTOR.fields if f.enum_type is enum]
    message_type, field = used[0]
    prefix = enum.values_by_number[0].name.removesuffix("UNSPECIFIED")
    for value in enum.values[1:]:
        wire = value.name.removeprefix(prefix)
        if enum.name == "ConnectorType" and wire.startswith("IEC_60309_2_"):
            wire = wire[:12] + wire[12:].lower()  # the mixed-case names, tested one by one below
        json_value = [wire] if field.is_repeated else wire

        message = to_proto({field.name: json_value}, message_type)

        assert getattr(message, field.name) == ([value.number] if field.is_repeated else value.number)
        assert from_proto(message)[field.name] == json_value


@pytest.mark.parametrize(
    ("wire", "number"),
    [
        ("IEC_60309_2_single_16", locations_pb2.CONNECTOR_TYPE_IEC_60309_2_SINGLE_16),
        ("IEC_60309_2_three_16", locations_pb2.CONNECTOR_TYPE_IEC_60309_2_THREE_16),
        ("IEC_60309_2_three_32", locations_pb2.CONNECTOR_TYPE_IEC_60309_2_THREE_32),
        ("IEC_60309_2_three_64", locations_pb2.CONNECTOR_TYPE_IEC_60309_2_THREE_64),
        ("IEC_62196_T2_COMBO", locations_pb2.CONNECTOR_TYPE_IEC_62196_T2_COMBO),
        ("NEMA_5_20", locations_pb2.CONNECTOR_TYPE_NEMA_5_20),
        ("CHADEMO", locations_pb2.CONNECTOR_TYPE_CHADEMO),
    ],
)
def test_connector_types_map_by_their_exact_case_sensitive_wire_name(wire: str, number: int) -> None:
    message = to_proto({"standard": wire}, Connector)

    assert message.standard == number
    assert from_proto(message)["standard"] == wire


@pytest.mark.parametrize("wire", ["IEC_60309_2_SINGLE_16", "iec_62196_t2", "UNSPECIFIED", "CONNECTOR_TYPE_CHADEMO"])
def test_wire_names_are_case_sensitive_and_unprefixed(wire: str) -> None:
    with pytest.raises(ProtoJsonError, match="is not a ConnectorType"):
        to_proto({"standard": wire}, Connector)


def test_enum_prefixes_come_from_the_enum_type_name() -> None:
    message = to_proto(
        {
            "status": "OUTOFORDER",
            "capabilities": ["CHARGING_PROFILE_CAPABLE"],
            "parking_restrictions": ["EV_ONLY"],
            "images": [{"url": "u", "category": "ENTRANCE"}],
            "status_schedule": [{"period_begin": "2015-06-29T20:39:09Z", "status": "BLOCKED"}],
        },
        Evse,
    )

    assert message.status == locations_pb2.EVSE_STATUS_OUTOFORDER
    assert list(message.capabilities) == [locations_pb2.CAPABILITY_CHARGING_PROFILE_CAPABLE]
    assert message.images[0].category == types_pb2.IMAGE_CATEGORY_ENTRANCE
    assert message.status_schedule[0].status == locations_pb2.EVSE_STATUS_BLOCKED
    component = to_proto({"type": "PARKING_TIME"}, tariffs_pb2.PriceComponent)
    assert component.type == tariffs_pb2.TARIFF_DIMENSION_TYPE_PARKING_TIME
    assert from_proto(component)["type"] == "PARKING_TIME"
    assert to_proto({"reservation": "RESERVATION"}, tariffs_pb2.TariffRestrictions).reservation == (
        tariffs_pb2.RESERVATION_RESTRICTION_TYPE_RESERVATION
    )


def test_an_unknown_enum_value_names_the_nested_path() -> None:
    data = {"evses": [{"connectors": [connector(), connector(standard="TYPE2")]}]}

    with pytest.raises(ProtoJsonError) as caught:
        to_proto(data, Location)
    assert str(caught.value) == "evses[0].connectors[1].standard: 'TYPE2' is not a ConnectorType"
    assert caught.value.path == "evses[0].connectors[1].standard"


def test_an_unknown_value_in_a_repeated_enum_names_its_index() -> None:
    with pytest.raises(ProtoJsonError) as caught:
        to_proto({"evses": [{}, {"capabilities": ["RESERVABLE", "TELEPORT"]}]}, Location)
    assert str(caught.value) == "evses[1].capabilities[1]: 'TELEPORT' is not a Capability"


def test_a_non_string_enum_value_is_an_error() -> None:
    with pytest.raises(ProtoJsonError, match=r"^status: 1 is not a EvseStatus$"):
        to_proto({"status": 1}, Evse)


def test_unspecified_enums_are_not_emitted() -> None:
    assert "status" not in from_proto(Evse(uid="1"))
    assert "category" not in from_proto(types_pb2.Image(url="u"))


# timestamps


def test_a_datetime_without_z_comes_out_in_the_ocpi_form() -> None:
    message = to_proto({"last_updated": "2015-06-29T20:39:09"}, Location)

    assert from_proto(message)["last_updated"] == "2015-06-29T20:39:09.000Z"


@pytest.mark.parametrize(
    ("wire", "out"),
    [
        ("2015-06-29T20:39:09Z", "2015-06-29T20:39:09.000Z"),
        ("2015-06-29T20:39:09.1Z", "2015-06-29T20:39:09.100Z"),
        ("2015-06-29T20:39:09.123456789", "2015-06-29T20:39:09.123Z"),
    ],
)
def test_datetimes_are_parsed_as_utc_and_emitted_with_milliseconds(wire: str, out: str) -> None:
    message = to_proto({"period_begin": wire}, locations_pb2.ExceptionalPeriod)

    assert from_proto(message) == {"period_begin": out}


def test_datetimes_keep_microseconds_in_the_message() -> None:
    message = to_proto({"last_updated": "2015-06-29T20:39:09.123456Z"}, Location)

    assert message.last_updated.nanos == 123456000


@pytest.mark.parametrize("value", ["2015-06-29T20:39:09+01:00", "2015-02-30T00:00:00Z", "yesterday", 1435610349])
def test_bad_datetimes_name_the_nested_path(value: Any) -> None:
    data = {"opening_times": {"exceptional_openings": [{"period_begin": value}]}}

    with pytest.raises(ProtoJsonError) as caught:
        to_proto(data, Location)
    assert caught.value.path == "opening_times.exceptional_openings[0].period_begin"


# messages, repeated fields, null


def test_messages_recurse_and_repeated_fields_take_lists() -> None:
    message = to_proto(full_location(), Location)

    assert message.evses[0].connectors[1].standard == locations_pb2.CONNECTOR_TYPE_IEC_60309_2_SINGLE_16
    assert list(message.evses[0].connectors[0].tariff_ids) == ["11", "12"]
    assert message.operator.logo.width == 512
    assert message.energy_mix.energy_sources[0].percentage == "12.5"
    assert list(message.facilities) == [locations_pb2.FACILITY_HOTEL, locations_pb2.FACILITY_WIFI]


def test_an_empty_object_is_a_present_message() -> None:
    message = to_proto({"opening_times": {}}, Location)

    assert message.HasField("opening_times")
    assert from_proto(message)["opening_times"] == {"twentyfourseven": False}


def test_null_and_absent_fields_are_left_unset() -> None:
    message = to_proto(
        {"id": "L", "name": None, "coordinates": None, "evses": None, "charging_when_closed": None}, Location
    )

    assert message.name == ""
    assert not message.HasField("coordinates")
    assert not message.HasField("charging_when_closed")
    assert len(message.evses) == 0
    assert message.extensions_json == ""
    assert from_proto(message) == {"id": "L", "publish": False}


def test_empty_repeated_fields_are_not_emitted() -> None:
    assert "evses" not in from_proto(to_proto({"evses": []}, Location))


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        ({"coordinates": "51.0,3.7"}, "coordinates", "expected an object"),
        ({"evses": {"uid": "1"}}, "evses", "expected an array"),
        ({"evses": [{"connectors": [{}, "2"]}]}, "evses[0].connectors[1]", "expected an object"),
        ({"evses": [None]}, "evses[0]", "expected an object"),
        ({"facilities": ["HOTEL", None]}, "facilities[1]", "is not a Facility"),
        (
            {"evses": [{"connectors": [{"tariff_ids": ["1", Decimal("2.5"), {}]}]}]},
            "evses[0].connectors[0].tariff_ids[2]",
            "expected a string",
        ),
        ({"operator": {"logo": {"width": "512"}}}, "operator.logo.width", "expected an integer"),
    ],
)
def test_wrong_json_types_name_the_nested_path(data: dict[str, Any], path: str, problem: str) -> None:
    with pytest.raises(ProtoJsonError, match=problem) as caught:
        to_proto(data, Location)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


@pytest.mark.parametrize("data", [[], "x", None])
def test_the_root_must_be_an_object(data: Any) -> None:
    with pytest.raises(ProtoJsonError, match=r"^<root>: expected an object") as caught:
        to_proto(data, Location)
    assert caught.value.path == ""


def test_proto_json_error_is_a_value_error() -> None:
    assert issubclass(ProtoJsonError, ValueError)


# unknown keys and extensions_json


def test_unknown_keys_are_kept_in_extensions_json_at_every_level() -> None:
    message = to_proto(full_location(), Location)

    assert message.extensions_json == '{"x_vendor":{"a":1.10,"b":[1,2]},"x_list":[0.10,"s",null,true]}'
    assert message.evses[0].extensions_json == '{"x_evse_vendor":"kept"}'
    assert message.evses[0].connectors[0].extensions_json == '{"x_vendor":{"a":1.10,"b":[1,2]}}'
    assert message.evses[0].connectors[1].extensions_json == ""
    assert message.evses[1].extensions_json == ""


def test_extensions_keep_the_order_received() -> None:
    message = to_proto({"z": 1, "id": "L", "a": 2, "m": 3}, Location)

    assert message.extensions_json == '{"z":1,"a":2,"m":3}'
    assert list(from_proto(message)) == ["id", "publish", "z", "a", "m"]


def test_extensions_are_merged_after_the_known_fields_and_never_emitted_themselves() -> None:
    data = {"x_first": True, "max_voltage": 230, "id": "1"}

    out = from_proto(to_proto(data, Connector))

    assert list(out) == ["id", "max_voltage", "max_amperage", "x_first"]
    assert "extensions_json" not in out


def test_an_extensions_json_key_sent_by_a_party_is_just_another_unknown_key() -> None:
    message, fields = to_proto_with_fields({"id": "1", "extensions_json": "{}"}, Connector)

    assert message.extensions_json == '{"extensions_json":"{}"}'
    assert fields == ["id"]
    assert from_proto(message)["extensions_json"] == "{}"


def test_tariff_extensions_nest_in_elements_and_restrictions() -> None:
    message = to_proto(full_tariff(), Tariff)

    assert message.extensions_json == ""
    assert message.elements[0].extensions_json == '{"x_element":{"nested":[0.1]}}'
    assert message.elements[0].restrictions.extensions_json == '{"x_restriction":1}'


def test_unknown_keys_of_messages_without_extensions_are_dropped_by_default() -> None:
    message = to_proto({"directions": [{"language": "en", "text": "Left", "x_extra": 1}]}, Location)

    assert from_proto(message)["directions"] == [{"language": "en", "text": "Left"}]
    assert message.extensions_json == ""


def test_strict_refuses_unknown_keys_of_messages_without_extensions() -> None:
    data = {"evses": [{"directions": [{"text": "ok"}, {"text": "Left", "x_extra": 1}]}]}

    with pytest.raises(ProtoJsonError, match="unknown field") as caught:
        to_proto(data, Location, strict=True)
    assert caught.value.path == "evses[0].directions[1].x_extra"


def test_strict_still_keeps_unknown_keys_where_there_is_extensions_json() -> None:
    assert to_proto({"x": 1}, Location, strict=True).extensions_json == '{"x":1}'


def test_strict_refuses_unknown_keys_at_the_root_of_a_message_without_extensions() -> None:
    with pytest.raises(ProtoJsonError) as caught:
        to_proto({"text": "t", "x": 1}, types_pb2.DisplayText, strict=True)
    assert caught.value.path == "x"


# to_proto_with_fields (PATCH update_mask)


def test_fields_are_the_known_non_null_top_level_keys_in_descriptor_order() -> None:
    data = {
        "last_updated": "2015-06-29T20:39:09Z",
        "x_vendor": 1,
        "evses": [{"uid": "1", "status": "AVAILABLE"}],
        "name": None,
        "publish": False,
        "country_code": "BE",
    }

    message, fields = to_proto_with_fields(data, Location)

    assert fields == ["country_code", "publish", "evses", "last_updated"]
    assert message.evses[0].status == locations_pb2.EVSE_STATUS_AVAILABLE


def test_fields_of_an_evse_patch() -> None:
    _, fields = to_proto_with_fields({"status": "CHARGING", "last_updated": "2015-06-29T20:39:09Z"}, Evse)

    assert fields == ["status", "last_updated"]


def test_fields_include_empty_values_that_are_present() -> None:
    _, fields = to_proto_with_fields({"evses": [], "name": "", "opening_times": {}}, Location)

    assert fields == ["name", "evses", "opening_times"]


def test_fields_of_an_empty_patch() -> None:
    message, fields = to_proto_with_fields({}, Location)

    assert fields == []
    assert message == Location()


# round trips


def test_a_full_location_round_trips() -> None:
    data = full_location()
    original = copy.deepcopy(data)

    assert roundtrip(data, Location) == original
    assert data == original  # the input is not modified


def test_a_full_location_round_trips_with_key_order() -> None:
    data = full_location()

    assert list(roundtrip(data, Location)) == list(data)
    connectors = roundtrip(data, Location)["evses"][0]["connectors"]
    assert list(connectors[1]) == [
        "id",
        "standard",
        "format",
        "power_type",
        "max_voltage",
        "max_amperage",
        "terms_and_conditions",
        "last_updated",
    ]


def test_location_json_body_round_trips_exactly() -> None:
    body = encode_json(full_location())

    assert encode_json(from_proto(to_proto(decode_json(body), Location))) == body


def test_a_tariff_round_trips_with_exact_decimals() -> None:
    data = full_tariff()

    out = roundtrip(data, Tariff)

    assert out == data
    component = out["elements"][0]["price_components"][0]
    assert component == {"type": "ENERGY", "price": Decimal("0.25"), "vat": Decimal("10.0"), "step_size": 1}
    assert str(component["price"]) == "0.25"
    body = encode_json(from_proto(to_proto(data, Tariff)))
    assert b'"price":0.25,"vat":10.0,"step_size":1' in body
    assert b'"max_power":22.000' in body
    assert b'"min_duration":0' in body


def test_numeric_strings_come_back_as_numbers() -> None:
    out = roundtrip({"excl_vat": "0.10", "incl_vat": "7"}, tariffs_pb2.Price)

    assert out == {"excl_vat": Decimal("0.10"), "incl_vat": 7}


def test_from_proto_refuses_a_stored_non_number_in_a_number_field() -> None:
    with pytest.raises(ProtoJsonError, match="is not a number"):
        from_proto(tariffs_pb2.Price(excl_vat="cheap"))
