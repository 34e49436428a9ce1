"""Domain events as the core sees them: plain records, no protobuf, no SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.parties.model import PartyKey


class Kind(StrEnum):
    EVSE_STATUS_CHANGED = "EVSE_STATUS_CHANGED"
    CONNECTOR_STATUS_CHANGED = "CONNECTOR_STATUS_CHANGED"
    LOCATION_CHANGED = "LOCATION_CHANGED"
    TARIFF_CHANGED = "TARIFF_CHANGED"
    SESSION_STARTED = "SESSION_STARTED"
    SESSION_UPDATED = "SESSION_UPDATED"
    SESSION_ENDED = "SESSION_ENDED"
    CDR_RECEIVED = "CDR_RECEIVED"
    COMMAND_SENT = "COMMAND_SENT"
    COMMAND_ANSWERED = "COMMAND_ANSWERED"
    COMMAND_TIMED_OUT = "COMMAND_TIMED_OUT"
    PARTY_REGISTERED = "PARTY_REGISTERED"
    PARTY_SUSPENDED = "PARTY_SUSPENDED"
    PARTY_UNREACHABLE = "PARTY_UNREACHABLE"
    DELIVERY_DEAD_LETTERED = "DELIVERY_DEAD_LETTERED"
    DELIVERY_REDRIVEN = "DELIVERY_REDRIVEN"


@dataclass(frozen=True, order=True, slots=True)
class Cursor:
    """A place in the stream: the writing transaction's id, then the event's number (stream order)."""

    xid: int
    seq: int

    def __str__(self) -> str:
        return f"{self.xid}-{self.seq}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Raises ValueError for anything `str` did not make."""
        xid, _, seq = text.partition("-")
        cursor = cls(int(xid), int(seq))
        if cursor.xid < 0 or cursor.seq < 0:
            raise ValueError(text)
        return cursor


START = Cursor(0, 0)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to record with the change it describes. `party` is "CC/PID" ("" for the Hub itself)."""

    kind: Kind
    party: str
    subject: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Event:
    cursor: Cursor
    event_time: datetime
    kind: Kind
    party: str
    environment: str
    subject: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Filters:
    """Empty means any."""

    kinds: tuple[Kind, ...] = ()
    parties: tuple[str, ...] = ()
    environment: str = ""


def party_of(country_code: str, party_id: str) -> str:
    return f"{country_code.upper()}/{party_id.upper()}"


def party_event(kind: Kind, key: PartyKey) -> NewEvent:
    """An event about a party (registered, suspended, unreachable); its subject is the party's resource name."""
    return NewEvent(kind, party_of(key.country_code, key.party_id), key.name, {"role": str(key.role)})
