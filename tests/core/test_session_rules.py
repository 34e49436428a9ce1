"""The session and CDR data rules as pure functions (core/sessions/rules.py, core/cdrs/rules.py): the edges the
end-to-end tests (tests/e2e/test_session_rules.py) do not walk one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from core.cdrs.rules import LATE_CDR, check_cdr
from core.errors import RuleViolation
from core.sessions.rules import KWH_DECIMALS, Flags, check_session, check_times, more_than_2_decimals
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.sessions.v1 import sessions_pb2 as pb

START = datetime(2026, 11, 1, 8, tzinfo=UTC)


def stamp(moment: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(moment)
    return result


def periods(*minutes: int) -> list[pb.ChargingPeriod]:
    return [pb.ChargingPeriod(start_date_time=stamp(START + timedelta(minutes=m))) for m in minutes]


def session(
    status: pb.SessionStatus.ValueType = pb.SESSION_STATUS_ACTIVE, kwh: str = "1", **fields: object
) -> pb.Session:
    return pb.Session(status=status, kwh=kwh, start_date_time=stamp(START), **fields)  # type: ignore[arg-type]


def rule_of(call: object) -> str:
    with pytest.raises(RuleViolation) as caught:
        assert callable(call)
        call()
    return caught.value.rule


def test_equal_starts_and_periods_at_the_bounds_are_in_order() -> None:
    check_times("cdr", stamp(START), stamp(START + timedelta(hours=1)), periods(0, 0, 30, 60))
    check_times("cdr", stamp(START), stamp(START), periods(0))  # an instantaneous CDR


@pytest.mark.parametrize(
    ("end", "minutes", "rule"),
    [
        (-1, (), "cdr_end_before_start"),
        (60, (10, 5), "cdr_charging_periods_order"),
        (60, (-1,), "cdr_charging_period_outside_span"),
        (60, (0, 61), "cdr_charging_period_outside_span"),
    ],
)
def test_times_break_a_named_rule(end: int, minutes: tuple[int, ...], rule: str) -> None:
    end_stamp = stamp(START + timedelta(minutes=end))
    assert rule_of(lambda: check_times("cdr", stamp(START), end_stamp, periods(*minutes))) == rule


def test_only_the_periods_a_patch_brings_are_checked() -> None:
    # Stored before the rule existed: out of order. A PATCH appending one in-order period still goes through.
    stored = session(charging_periods=periods(10, 5))
    patched = session(charging_periods=[*periods(10, 5), *periods(20)])
    check_session(stored, patched, written_periods=1)
    late = session(charging_periods=[*periods(10, 5), *periods(-5)])
    assert rule_of(lambda: check_session(stored, late, written_periods=1)) == "session_charging_period_outside_span"


def test_status_unchanged_is_no_move_and_kwh_may_stay() -> None:
    stored = session(pb.SESSION_STATUS_COMPLETED, "5", end_date_time=stamp(START))
    assert check_session(stored, session(pb.SESSION_STATUS_COMPLETED, "5.00", end_date_time=stamp(START)), 0) == Flags()


@pytest.mark.parametrize(("kwh", "flagged"), [("5", False), ("5.12", False), ("5.120", False), ("5.125", True)])
def test_kwh_flag_counts_significant_decimals(kwh: str, flagged: bool) -> None:
    assert more_than_2_decimals(kwh) is flagged
    assert (check_session(None, session(kwh=kwh), 0).flags == [KWH_DECIMALS]) is flagged


def test_a_cdr_exactly_24_hours_after_the_session_is_on_time() -> None:
    end = START + timedelta(hours=1)
    cdr = cdrs_pb2.Cdr(start_date_time=stamp(START), end_date_time=stamp(end), charging_periods=periods(0))
    assert check_cdr(cdr, end + timedelta(hours=24)).flags == []
    late = check_cdr(cdr, end + timedelta(hours=24, seconds=1))
    assert late.flags == [LATE_CDR] and late.notes[0].startswith("cdr_after_24h: received 24.0 h after")


def test_flags_kept_in_a_verification_are_found_again() -> None:
    kept = Flags.kept_in(["cdr_after_24h"], ["priced in UTC", "cdr_after_24h: received 30.0 h after …"])
    assert kept == Flags(["cdr_after_24h"], ["cdr_after_24h: received 30.0 h after …"])
