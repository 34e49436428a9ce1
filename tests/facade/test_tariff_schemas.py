"""Tariffs wire shapes and parsing (facade/tariffs/schemas.py, mod_tariffs.asciidoc, HUB-DIGEST §3.4): no I/O."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from facade.tariffs.schemas import Tariff, parse_tariff

# ocpi/ocpi release-2.2.1-bugfixes examples/tariff_4_complex.json, verbatim (numbers as the spec writes them).
SPEC_TARIFF = b"""{
  "country_code": "DE", "party_id": "ALL", "id": "14", "currency": "EUR", "type": "REGULAR",
  "tariff_alt_url": "https://company.com/tariffs/14",
  "elements": [
    {"price_components": [{"type": "FLAT", "price": 2.50, "vat": 15.0, "step_size": 1}]},
    {"price_components": [{"type": "TIME", "price": 1.00, "vat": 20.0, "step_size": 900}],
     "restrictions": {"max_current": 32.00}},
    {"price_components": [{"type": "TIME", "price": 2.00, "vat": 20.0, "step_size": 600}],
     "restrictions": {"min_current": 32.00, "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
    {"price_components": [{"type": "TIME", "price": 1.25, "vat": 20.0, "step_size": 600}],
     "restrictions": {"min_current": 32.00, "day_of_week": ["SATURDAY", "SUNDAY"]}},
    {"price_components": [{"type": "PARKING_TIME", "price": 5.00, "vat": 10.0, "step_size": 300}],
     "restrictions": {"start_time": "09:00", "end_time": "18:00",
                      "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}},
    {"price_components": [{"type": "PARKING_TIME", "price": 6.00, "vat": 10.0, "step_size": 300}],
     "restrictions": {"start_time": "10:00", "end_time": "17:00", "day_of_week": ["SATURDAY"]}}
  ],
  "last_updated": "2015-06-29T20:39:09Z"
}"""

# The remaining optional fields, from tariff_2_alt_text, tariff_6 (max_price, end_date_time), tariff_12 (min_price),
# tariff_17 (reservation) and the tariffrestriction examples.
EVERY_OPTIONAL: dict[str, Any] = {
    "type": "AD_HOC_PAYMENT",
    "tariff_alt_text": [
        {"language": "en", "text": "2.00 euro p/hour including VAT."},
        {"language": "nl", "text": "2.00 euro p/uur inclusief BTW."},
    ],
    "min_price": {"excl_vat": 0.50, "incl_vat": 0.55},
    "max_price": {"excl_vat": 10.00},
    "start_date_time": "2018-12-17T16:45:21.123Z",
    "end_date_time": "2019-06-30T23:59:59Z",
    "energy_mix": {"is_green_energy": True, "supplier_name": "Greenpeace Energy eG"},
}
EVERY_RESTRICTION: dict[str, Any] = {
    "start_time": "00:00",
    "end_time": "23:59",
    "start_date": "2015-12-24",
    "end_date": "2016-02-29",
    "min_kwh": 0,
    "max_kwh": 50.5,
    "min_current": 5,
    "max_current": 20,
    "min_power": 5.5,
    "max_power": 22,
    "min_duration": 0,
    "max_duration": 1800,
    "day_of_week": ["MONDAY", "SUNDAY"],
    "reservation": "RESERVATION_EXPIRES",
}

Mutate = Callable[[dict[str, Any]], None]


def tariff(mutate: Mutate | None = None) -> bytes:
    data = json.loads(SPEC_TARIFF)
    if mutate:
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


def invalid(raw: bytes) -> str:
    """The message of the OCPI 2001 (HTTP 200) that parse_tariff answers `raw` with."""
    with pytest.raises(OcpiError) as excinfo:
        parse_tariff(raw)
    assert excinfo.value.status == OcpiStatus.INVALID_PARAMETERS
    assert excinfo.value.http_status == HTTP_200_OK
    return excinfo.value.message


COMPONENT_0 = ("elements", 0, "price_components", 0)
RESTRICTIONS_4 = ("elements", 4, "restrictions")


# Valid bodies


def test_spec_example_tariff_parses_with_exact_prices() -> None:
    parsed, raw = parse_tariff(SPEC_TARIFF)

    assert isinstance(parsed, Tariff)
    assert (parsed.country_code, parsed.party_id, parsed.id, parsed.currency) == ("DE", "ALL", "14", "EUR")
    prices = [c.price for e in parsed.elements for c in e.price_components]
    assert prices == [Decimal(p) for p in ("2.50", "1.00", "2.00", "1.25", "5.00", "6.00")]
    assert all(type(p) is Decimal for p in prices)
    assert parsed.elements[4].restrictions is not None
    assert parsed.elements[4].restrictions.start_time == "09:00"
    assert str(raw["elements"][0]["price_components"][0]["price"]) == "2.50"


def test_every_optional_field_parses() -> None:
    def fill(data: dict[str, Any]) -> None:
        data.update(copy.deepcopy(EVERY_OPTIONAL))
        data["elements"][0]["restrictions"] = copy.deepcopy(EVERY_RESTRICTION)

    parsed, _ = parse_tariff(tariff(fill))

    assert parsed.min_price is not None and parsed.min_price.incl_vat == Decimal("0.55")
    assert parsed.max_price is not None and parsed.max_price.incl_vat is None
    restrictions = parsed.elements[0].restrictions
    assert restrictions is not None and restrictions.max_kwh == Decimal("50.5")
    assert restrictions.reservation == "RESERVATION_EXPIRES"


def test_price_0_1_is_exactly_decimal_0_1() -> None:
    parsed, _ = parse_tariff(tariff(_set(0.1, *COMPONENT_0, "price")))

    price = parsed.elements[0].price_components[0].price
    assert type(price) is Decimal and price == Decimal("0.1")


def test_vat_may_be_absent_and_differs_from_zero() -> None:
    parsed, _ = parse_tariff(tariff(_delete(*COMPONENT_0, "vat")))

    assert parsed.elements[0].price_components[0].vat is None


def test_unknown_fields_are_accepted_and_kept_in_the_raw_dict() -> None:
    def extras(data: dict[str, Any]) -> None:
        data["x_display"] = "2,50 €"
        data["elements"][0]["price_components"][0]["x_code"] = 7

    parsed, raw = parse_tariff(tariff(extras))

    assert parsed.id == "14"
    assert raw["x_display"] == "2,50 €"
    assert raw["elements"][0]["price_components"][0]["x_code"] == 7


def test_malformed_json_is_http_400() -> None:
    with pytest.raises(OcpiError) as excinfo:
        parse_tariff(b'{"id": "14"')

    assert (excinfo.value.http_status, excinfo.value.status) == (HTTP_400_BAD_REQUEST, OcpiStatus.CLIENT_ERROR)


def test_json_that_is_not_an_object_is_2001() -> None:
    assert "Expected `object`, got `array`" in invalid(b"[]")


# Shape errors: OCPI 2001 naming the field


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_set([], "elements"), "`$.elements`"),
        (_set([], "elements", 0, "price_components"), "`$.elements[0].price_components`"),
        (_delete("elements"), "`elements`"),
        (_delete("last_updated"), "`last_updated`"),  # the spec's own PUT example forgets it
        (_delete("currency"), "`currency`"),
        (_delete(*COMPONENT_0, "step_size"), "`step_size` - at `$.elements[0].price_components[0]`"),
    ],
)
def test_cardinality(mutate: Mutate, field: str) -> None:
    assert field in invalid(tariff(mutate))


@pytest.mark.parametrize("currency", ["eur", "EURO", "EU", "€", ""])
def test_currency_is_iso_4217(currency: str) -> None:
    assert "`$.currency`" in invalid(tariff(_set(currency, "currency")))


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ((*COMPONENT_0, "price"), "0.1", "Expected `number`, got `str`"),
        ((*COMPONENT_0, "price"), -0.01, "Expected `number` >= 0"),
        ((*COMPONENT_0, "price"), None, "Expected `number`, got `null`"),
        ((*COMPONENT_0, "vat"), -1, "Expected `number` >= 0"),
        ((*COMPONENT_0, "vat"), "20%", "Expected `number`, got `str`"),
        ((*COMPONENT_0, "step_size"), -1, "Expected `int` >= 0"),
        ((*COMPONENT_0, "step_size"), 1.5, "Expected `int`"),
        ((*COMPONENT_0, "type"), "KWH", "Invalid enum value 'KWH'"),
        (("min_price", "excl_vat"), "0.50", "Expected `number`, got `str`"),
        (("type",), "CHEAP", "Invalid enum value 'CHEAP'"),
        (("tariff_alt_url",), "https://x/" + "u" * 250, "length <= 255"),
        (("tariff_alt_text",), [{"language": "en"}], "required field `text`"),
        (("id",), "tariff 14", "regex"),
        (("end_date_time",), "2019-06-30T23:59:59+02:00", "regex"),
        (("start_date_time",), "2019-02-29T00:00:00Z", "day is out of range"),
    ],
)
def test_fields_are_validated(path: tuple[str | int, ...], value: Any, expected: str) -> None:
    if path[0] == "min_price":
        mutate: Mutate = _set({"excl_vat": value}, "min_price")
    else:
        mutate = _set(value, *path)
    message = invalid(tariff(mutate))

    assert expected in message
    assert f"`{path[0]}" in message or f"`$.{path[0]}" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_time", "24:00"),
        ("start_time", "9:00"),
        ("end_time", "18:60"),
        ("end_time", "18:00:00"),
        ("start_date", "2015-13-01"),
        ("start_date", "15-12-24"),
        ("end_date", "2015-12-24T00:00:00Z"),
        ("day_of_week", ["MON"]),
        ("day_of_week", ["monday"]),
        ("day_of_week", "MONDAY"),
        ("reservation", "BOOKING"),
        ("min_kwh", -1),
        ("max_power", "22"),
        ("min_duration", -1),
        ("max_duration", 1800.5),
    ],
)
def test_restrictions_are_validated(field: str, value: Any) -> None:
    message = invalid(tariff(_set(value, *RESTRICTIONS_4, field)))

    assert f"`$.elements[4].restrictions.{field}" in message


def test_restriction_dates_must_be_in_the_calendar() -> None:
    message = invalid(tariff(_set("2015-02-30", *RESTRICTIONS_4, "end_date")))

    assert "`end_date`" in message and "`$.elements[4].restrictions`" in message
