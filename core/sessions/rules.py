"""The Hub's data rules for sessions (R4.2, R4.3) and the time rules sessions and CDRs share (R5.2).

A rule refuses a write: RuleViolation, answered 2001 with the rule's name, and counted per CPO by the service. A flag
marks what OCPI allows but the seed narrows: the write is accepted and relayed as sent, and the flag is kept for
operators. Both are checked on what the Hub would store (a PATCH merged into the stored session), which is why they
live here and not in the facade, which sees one request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from core.errors import RuleViolation
from ocpihub.sessions.v1 import sessions_pb2 as pb

STATUS_ORDER = "session_status_order"
KWH_DECREASED = "session_kwh_decreased"
END_WITHOUT_FINAL_STATUS = "session_end_date_time_status"

# Flag: OCPI's kwh is any number; the seed (R4.3) says 2 decimals.
KWH_DECIMALS = "kwh_more_than_2_decimals"

_ACTIVE, _COMPLETED, _INVALID = pb.SESSION_STATUS_ACTIVE, pb.SESSION_STATUS_COMPLETED, pb.SESSION_STATUS_INVALID
# A status may only move to a higher rank: PENDING → ACTIVE → COMPLETED, RESERVATION → ACTIVE or COMPLETED, and any
# → INVALID. PENDING and RESERVATION share a rank: neither becomes the other.
_RANK = {
    pb.SESSION_STATUS_PENDING: 0,
    pb.SESSION_STATUS_RESERVATION: 0,
    _ACTIVE: 1,
    _COMPLETED: 2,
    _INVALID: 3,
}
_MOVES = "PENDING → ACTIVE → COMPLETED, RESERVATION → ACTIVE or COMPLETED, any → INVALID, never back"


@dataclass(slots=True)
class Flags:
    """What a write that broke no rule was flagged for, with one note per flag ("flag: what was seen")."""

    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, flag: str, seen: str) -> None:
        self.flags.append(flag)
        self.notes.append(f"{flag}: {seen}")

    @classmethod
    def kept_in(cls, flags: Sequence[str], notes: Sequence[str]) -> Flags:
        """The flags (and their notes) among what an earlier check stored, e.g. in a CDR's verification."""
        return cls(list(flags), [note for note in notes if note.split(":", 1)[0] in flags])


def _status(value: pb.SessionStatus.ValueType) -> str:
    return pb.SessionStatus.Name(value).removeprefix("SESSION_STATUS_")


def _kwh(value: str) -> Decimal:
    return Decimal(value or "0")


def check_session(stored: pb.Session | None, session: pb.Session, written_periods: int) -> Flags:
    """Refuses `session` (the stored one after the write) if it breaks a rule; returns the write's flags.

    `written_periods`: how many of the session's charging periods this write brought (the last ones: a PATCH
    appends). Only those are checked, so a session stored before a rule existed can still be updated.
    """
    if stored is not None and not _may_move(stored.status, session.status):
        raise RuleViolation(
            STATUS_ORDER, "status", f"cannot go from {_status(stored.status)} to {_status(session.status)} ({_MOVES})"
        )
    if stored is not None and _kwh(session.kwh) < _kwh(stored.kwh):
        raise RuleViolation(
            KWH_DECREASED, "kwh", f"{session.kwh} is less than the {stored.kwh} already reported: it never decreases"
        )
    if session.HasField("end_date_time") and session.status not in (_COMPLETED, _INVALID):
        raise RuleViolation(
            END_WITHOUT_FINAL_STATUS,
            "end_date_time",
            f"is set while status is {_status(session.status)}: only a COMPLETED or INVALID session has ended",
        )
    first = len(session.charging_periods) - written_periods
    check_times(
        "session",
        session.start_date_time,
        session.end_date_time if session.HasField("end_date_time") else None,
        session.charging_periods[first:],
        first_index=first,
    )
    found = Flags()
    if more_than_2_decimals(session.kwh):
        found.add(KWH_DECIMALS, f"kwh {session.kwh} has more than 2 decimals (the Hub's rule: 2)")
    return found


def _may_move(before: pb.SessionStatus.ValueType, after: pb.SessionStatus.ValueType) -> bool:
    if after == before or before not in _RANK or after not in _RANK:
        return True
    return _RANK[after] > _RANK[before]


def more_than_2_decimals(kwh: str) -> bool:
    value = _kwh(kwh)
    return value != value.quantize(Decimal("0.01"))


def check_times(
    kind: str,
    start: Timestamp,
    end: Timestamp | None,
    periods: Sequence[pb.ChargingPeriod],
    *,
    first_index: int = 0,
) -> None:
    """End not before start; charging periods in chronological order (equal starts allowed) and within the span.

    `kind` ("session", "cdr") prefixes the rule names, so the counter tells a session's bad times from a CDR's.
    """
    begin, finish = start.ToDatetime(), end.ToDatetime() if end is not None else None
    if finish is not None and finish < begin:
        raise RuleViolation(
            f"{kind}_end_before_start", "end_date_time", f"{_iso(end)} is before start_date_time {_iso(start)}"
        )
    previous = None
    for index, period in enumerate(periods, start=first_index):
        moment = period.start_date_time.ToDatetime()
        field = f"charging_periods[{index}].start_date_time"
        if moment < begin or (finish is not None and moment > finish):
            span = f"{_iso(start)} … {_iso(end) if end is not None else 'now'}"
            raise RuleViolation(
                f"{kind}_charging_period_outside_span",
                field,
                f"{_iso(period.start_date_time)} is outside the {kind}'s span {span}",
            )
        if previous is not None and moment < previous:
            raise RuleViolation(
                f"{kind}_charging_periods_order",
                field,
                f"{_iso(period.start_date_time)} is before the previous period's: periods are in chronological order",
            )
        previous = moment


def _iso(stamp: Timestamp | None) -> str:
    return stamp.ToJsonString() if stamp is not None else ""
