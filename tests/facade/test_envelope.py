"""The OCPI response envelope (facade/ocpi/envelope.py, HUB-DIGEST §1.3, §1.10): pure functions, no I/O."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from facade.ocpi.datetime import ocpi_datetime
from facade.ocpi.envelope import envelope
from facade.ocpi.status import OcpiStatus

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def parse_timestamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# envelope()


def test_success_with_data_has_the_four_fields() -> None:
    body = envelope({"version": "2.2.1"})

    assert set(body) == {"data", "status_code", "status_message", "timestamp"}
    assert body["data"] == {"version": "2.2.1"}
    assert body["status_code"] == 1000
    assert type(body["status_code"]) is int
    assert body["status_message"] == "Success"


def test_status_code_serialises_as_a_json_number() -> None:
    decoded = json.loads(json.dumps(envelope([1, 2])))

    assert decoded["status_code"] == 1000
    assert '"status_code": 1000' in json.dumps(envelope())


def test_timestamp_is_ocpi_datetime_in_utc_near_now() -> None:
    before = datetime.now(UTC)
    body = envelope()
    after = datetime.now(UTC)

    assert TIMESTAMP.match(body["timestamp"]), body["timestamp"]
    moment = parse_timestamp(body["timestamp"])
    assert before - timedelta(milliseconds=1) <= moment <= after
    assert abs(moment - datetime.now(UTC)) < timedelta(seconds=1)
    assert len(body["timestamp"]) <= 25


def test_timestamp_is_computed_per_call() -> None:
    first = envelope()["timestamp"]
    time.sleep(0.01)
    second = envelope()["timestamp"]

    assert first != second
    assert parse_timestamp(first) < parse_timestamp(second)


def test_data_absent_when_none() -> None:
    body = envelope(None)

    assert "data" not in body
    assert body["status_code"] == 1000


@pytest.mark.parametrize("data", [[], {}, "", 0, False])
def test_falsy_but_present_data_is_kept(data: object) -> None:
    body = envelope(data)

    assert "data" in body
    assert body["data"] == data


def test_error_envelope_uses_the_status_phrase_by_default() -> None:
    body = envelope(status=OcpiStatus.NO_MATCHING_ENDPOINTS)

    assert body["status_code"] == 3003
    assert body["status_message"] == OcpiStatus.NO_MATCHING_ENDPOINTS.phrase
    assert "data" not in body


def test_explicit_message_replaces_the_phrase() -> None:
    body = envelope(status=OcpiStatus.INVALID_PARAMETERS, message="roles: at least one role is required")

    assert body["status_code"] == 2001
    assert body["status_message"] == "roles: at least one role is required"


def test_error_with_data_keeps_data() -> None:
    body = envelope({"debug": "x"}, status=OcpiStatus.CLIENT_ERROR, message="bad")

    assert body == {
        "data": {"debug": "x"},
        "status_code": 2000,
        "status_message": "bad",
        "timestamp": body["timestamp"],
    }


# ocpi_datetime()


def test_ocpi_datetime_formats_utc_with_milliseconds_and_z() -> None:
    moment = datetime(2015, 6, 29, 20, 39, 9, 123456, tzinfo=UTC)

    assert ocpi_datetime(moment) == "2015-06-29T20:39:09.123Z"


def test_ocpi_datetime_pads_milliseconds() -> None:
    assert ocpi_datetime(datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2020-01-02T03:04:05.000Z"
    assert ocpi_datetime(datetime(2020, 1, 2, 3, 4, 5, 7000, tzinfo=UTC)) == "2020-01-02T03:04:05.007Z"
    assert ocpi_datetime(datetime(2020, 1, 2, 3, 4, 5, 999999, tzinfo=UTC)) == "2020-01-02T03:04:05.999Z"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 3, 1, 12, 30, 0, 250000, tzinfo=timezone(timedelta(hours=2))), "2024-03-01T10:30:00.250Z"),
        (datetime(2024, 3, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))), "2024-02-29T19:30:00.000Z"),
        (datetime(2023, 12, 31, 20, 0, 0, 1000, tzinfo=timezone(timedelta(hours=-5))), "2024-01-01T01:00:00.001Z"),
    ],
    ids=["plus-2h", "plus-5h30-crosses-leap-day", "minus-5h-crosses-year"],
)
def test_ocpi_datetime_converts_aware_datetimes_to_utc(moment: datetime, expected: str) -> None:
    assert ocpi_datetime(moment) == expected
    assert TIMESTAMP.match(ocpi_datetime(moment))


def test_ocpi_datetime_milliseconds_follow_the_utc_conversion() -> None:
    moment = datetime(2024, 1, 1, 12, 0, 0, 100000, tzinfo=timezone(timedelta(microseconds=500000)))

    # 12:00:00.100 at UTC+0.5s is 11:59:59.600 UTC.
    assert ocpi_datetime(moment) == "2024-01-01T11:59:59.600Z"
