"""OCPI DateTime parsing (facade/ocpi/datetime.py, types.asciidoc, HUB-DIGEST §1.10): no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from facade.ocpi.datetime import OcpiDateTime, parse_ocpi_datetime

# The six shapes the spec lists, plus fractions up to nanoseconds.
ACCEPTED = {
    "2015-06-29T20:39:09Z": datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC),
    "2015-06-29T20:39:09": datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC),
    "2016-12-29T17:45:09.2Z": datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC),
    "2016-12-29T17:45:09.2": datetime(2016, 12, 29, 17, 45, 9, 200000, tzinfo=UTC),
    "2018-01-01T01:08:01.123Z": datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC),
    "2018-01-01T01:08:01.123": datetime(2018, 1, 1, 1, 8, 1, 123000, tzinfo=UTC),
    "2018-01-01T01:08:01.1234567Z": datetime(2018, 1, 1, 1, 8, 1, 123456, tzinfo=UTC),
    "2018-01-01T01:08:01.123456789": datetime(2018, 1, 1, 1, 8, 1, 123456, tzinfo=UTC),
    "2024-02-29T23:59:59Z": datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
}

REFUSED_SHAPES = [
    "2015-06-29T20:39:09+00:00",  # "+00:00 is not the same as UTC"
    "2015-06-29T20:39:09+02:00",
    "2015-06-29T20:39:09.123-05:00",
    "2015-06-29",
    "2015-06-29T20:39",
    "2015-06-29 20:39:09Z",
    "2015-06-29t20:39:09z",
    "2015-06-29T20:39:09.Z",
    "2015-06-29T20:39:09.1234567890Z",
    "2015-06-29T20:39:09ZZ",
    "2015-06-29T20:39:09Z\n",
    " 2015-06-29T20:39:09Z",
    "2015-13-29T20:39:09Z",
    "2015-06-29T24:00:00Z",
    "2015-06-29T20:60:09Z",
    "2015-06-29T20:39:60Z",
    "20150629T203909Z",
    "٢٠١٥-06-29T20:39:09Z",  # non-ASCII digits
    "",
]


@pytest.mark.parametrize(("value", "expected"), ACCEPTED.items())
def test_ocpi_shapes_parse_to_aware_utc(value: str, expected: datetime) -> None:
    parsed = parse_ocpi_datetime(value)

    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_nanoseconds_are_truncated_not_rounded() -> None:
    assert parse_ocpi_datetime("2018-01-01T01:08:01.999999999Z").microsecond == 999999


@pytest.mark.parametrize("value", REFUSED_SHAPES)
def test_other_shapes_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not an OCPI DateTime"):
        parse_ocpi_datetime(value)


@pytest.mark.parametrize("value", ["2015-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2015-04-31T00:00:00"])
def test_dates_not_in_the_calendar_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="day is out of range"):
        parse_ocpi_datetime(value)


@pytest.mark.parametrize("value", ACCEPTED)
def test_struct_type_keeps_the_wire_string(value: str) -> None:
    assert msgspec.convert(value, OcpiDateTime) == value


@pytest.mark.parametrize("value", REFUSED_SHAPES)
def test_struct_type_refuses_other_shapes(value: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(value, OcpiDateTime)
