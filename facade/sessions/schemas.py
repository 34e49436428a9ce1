"""Wire shapes of the sessions module (OCPI 2.2.1 mod_sessions.asciidoc; CdrToken and ChargingPeriod from
mod_cdrs.asciidoc, which the CDRs module reuses from here), and parsing.

Cardinality and unknown fields as in facade/locations/schemas.py. Cross-field rules of one object run in
__post_init__, so they come back as 2001 naming the field like any shape error. The rules on times, status moves and
kWh are the core's (core/sessions/rules.py): they need the stored session, and a violation is counted per CPO. Not
enforced, as a relaying Hub should not drop a session over a meter reading: STATE_OF_CHARGE volumes within 0..100.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from facade.locations.schemas import (
    CiString36,
    CountryCode,
    NonNegative,
    Number,
    OcpiStruct,
    PartyId,
    TokenType,
    parse_object,
)
from facade.ocpi.datetime import OcpiDateTime
from facade.tariffs.schemas import Price

# fmt: off
AuthMethod = Literal["AUTH_REQUEST", "COMMAND", "WHITELIST"]
CdrDimensionType = Literal[
    "CURRENT", "ENERGY", "ENERGY_EXPORT", "ENERGY_IMPORT", "MAX_CURRENT", "MIN_CURRENT", "MAX_POWER", "MIN_POWER",
    "PARKING_TIME", "POWER", "RESERVATION_TIME", "STATE_OF_CHARGE", "TIME",
]
SessionStatus = Literal["ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"]
# fmt: on
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}\Z")]  # ISO 4217
MeterId = Annotated[str, msgspec.Meta(max_length=255)]
# Session ids, token uids and the location/EVSE/connector references are CiString(36), not the Hub's stricter Id
# (R2.5): they are the CPO's or eMSP's own keys. `#NA` (evse_uid/connector_id of a reservation) is such a string.


class CdrToken(OcpiStruct, kw_only=True):
    country_code: CountryCode  # of the eMSP that owns the token: the Hub routes on these two
    party_id: PartyId
    uid: CiString36
    type: TokenType
    contract_id: CiString36


class CdrDimension(OcpiStruct, kw_only=True):
    type: CdrDimensionType
    volume: Number  # per period, not cumulative; ENERGY, CURRENT, POWER may be negative (V2G)


class ChargingPeriod(OcpiStruct, kw_only=True):
    _datetimes = ("start_date_time",)
    start_date_time: OcpiDateTime  # the period ends when the next one starts; the last one at the end of the session
    dimensions: Annotated[list[CdrDimension], msgspec.Meta(min_length=1)]
    tariff_id: CiString36 | None = None


class Session(OcpiStruct, kw_only=True):
    _datetimes = ("start_date_time", "end_date_time", "last_updated")
    country_code: CountryCode
    party_id: PartyId
    id: CiString36
    start_date_time: OcpiDateTime
    end_date_time: OcpiDateTime | None = None
    kwh: NonNegative
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36
    meter_id: MeterId | None = None
    currency: Currency
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None  # absent does not mean free; 0.00 does
    status: SessionStatus
    last_updated: OcpiDateTime

    def __post_init__(self) -> None:
        super().__post_init__()
        # end_date_time is "the timestamp when the session was completed/finished" and COMPLETED is the final state
        # ("finished"), so a complete object in that state must say when. Only here: a PATCH to COMPLETED may rely
        # on an end_date_time sent earlier.
        if self.status == "COMPLETED" and self.end_date_time is None:
            raise ValueError("`end_date_time` is required when `status` is COMPLETED")


# PATCH: as in facade/locations/schemas.py, every field may be left out except last_updated. charging_periods in a
# PATCH are appended to the stored ones (mod_sessions PATCH).
class SessionPatch(OcpiStruct, kw_only=True):
    _datetimes = ("start_date_time", "end_date_time", "last_updated")
    country_code: CountryCode | msgspec.UnsetType = msgspec.UNSET
    party_id: PartyId | msgspec.UnsetType = msgspec.UNSET
    id: CiString36 | msgspec.UnsetType = msgspec.UNSET
    start_date_time: OcpiDateTime | msgspec.UnsetType = msgspec.UNSET
    end_date_time: OcpiDateTime | msgspec.UnsetType | None = msgspec.UNSET
    kwh: NonNegative | msgspec.UnsetType = msgspec.UNSET
    cdr_token: CdrToken | msgspec.UnsetType = msgspec.UNSET
    auth_method: AuthMethod | msgspec.UnsetType = msgspec.UNSET
    authorization_reference: CiString36 | msgspec.UnsetType | None = msgspec.UNSET
    location_id: CiString36 | msgspec.UnsetType = msgspec.UNSET
    evse_uid: CiString36 | msgspec.UnsetType = msgspec.UNSET
    connector_id: CiString36 | msgspec.UnsetType = msgspec.UNSET
    meter_id: MeterId | msgspec.UnsetType | None = msgspec.UNSET
    currency: Currency | msgspec.UnsetType = msgspec.UNSET
    charging_periods: list[ChargingPeriod] | msgspec.UnsetType | None = msgspec.UNSET
    total_cost: Price | msgspec.UnsetType | None = msgspec.UNSET
    status: SessionStatus | msgspec.UnsetType = msgspec.UNSET
    last_updated: OcpiDateTime


ProfileType = Literal["CHEAP", "FAST", "GREEN", "REGULAR"]


class ChargingPreferences(OcpiStruct, kw_only=True):
    """What an eMSP PUTs to `{sessions}/{session_id}/charging_preferences` on the driver's behalf."""

    _datetimes = ("departure_time",)
    profile_type: ProfileType
    departure_time: OcpiDateTime | None = None
    energy_need: NonNegative | None = None  # kWh
    discharge_allowed: bool | None = None


def parse_charging_preferences(body: bytes) -> tuple[ChargingPreferences, dict[str, Any]]:
    return parse_object(body, ChargingPreferences, "charging preferences")


def parse_session(body: bytes) -> tuple[Session, dict[str, Any]]:
    return parse_object(body, Session, "session")


def parse_session_patch(body: bytes) -> tuple[SessionPatch, dict[str, Any]]:
    return parse_object(body, SessionPatch, "session patch")
