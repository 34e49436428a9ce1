"""Wire shapes of the CDRs module (OCPI 2.2.1 mod_cdrs.asciidoc, errata lengths), and parsing. CDRs have no PATCH.

Cardinality and unknown fields as in facade/locations/schemas.py. CdrToken and ChargingPeriod come from
facade/sessions/schemas.py, Tariff and Price from facade/tariffs/schemas.py; the time rules (periods in order and
inside the CDR's span) are the core's (core/cdrs/rules.py), which counts violations per CPO. Not enforced, as it does
not change the price and a CDR is billing data: the "Session only" dimension types (CURRENT, POWER, …) the spec
keeps out of CDRs.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from facade.locations.schemas import (
    CiString36,
    ConnectorFormat,
    ConnectorType,
    CountryCode,
    EvseId,
    GeoLocation,
    NonNegative,
    OcpiStruct,
    PartyId,
    PowerType,
    parse_object,
)
from facade.ocpi.datetime import OcpiDateTime
from facade.sessions.schemas import AuthMethod, CdrToken, ChargingPeriod, Currency, MeterId
from facade.tariffs.schemas import Price, Tariff

# CiString(39): 36 plus room for a Credit CDR suffix such as "-C".
CiString39 = Annotated[str, msgspec.Meta(max_length=39, pattern=r"^[\x20-\x7e]*\Z")]
String45 = Annotated[str, msgspec.Meta(max_length=45)]
String255 = Annotated[str, msgspec.Meta(max_length=255)]
String512 = Annotated[str, msgspec.Meta(max_length=512)]
String5000 = Annotated[str, msgspec.Meta(max_length=5000)]


class CdrLocation(OcpiStruct, kw_only=True):
    # CiString(36), not the Hub's Id: CDRs may come from locations never published through the Hub (home chargers).
    id: CiString36
    name: String255 | None = None
    # The spec still prints 45 / 20 here, but the erratum on Location calls those lengths a mistake, and a CDR copies
    # the Location as it was: accept what a valid Location may hold.
    address: String255
    city: String45
    postal_code: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    state: String45 | None = None
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}\Z")]  # ISO 3166-1 alpha-3
    coordinates: GeoLocation
    evse_uid: CiString36  # these three may be "#NA" for a reservation that never became a session
    evse_id: EvseId
    connector_id: CiString36
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class SignedValue(OcpiStruct, kw_only=True):
    nature: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[\x20-\x7e]*\Z")]  # Start, End, Intermediate…
    plain_data: String5000  # 512 before the erratum
    signed_data: String5000  # base64


class SignedData(OcpiStruct, kw_only=True):
    encoding_method: CiString36  # OCMF, "Alfen Eichrecht", …
    encoding_method_version: int | None = None
    public_key: String512 | None = None
    signed_values: Annotated[list[SignedValue], msgspec.Meta(min_length=1)]
    url: String512 | None = None  # string(512) in the spec, not URL (255)


class CDR(OcpiStruct, kw_only=True):
    _datetimes = ("start_date_time", "end_date_time", "last_updated")
    country_code: CountryCode
    party_id: PartyId
    id: CiString39
    start_date_time: OcpiDateTime  # or the start of the reservation
    end_date_time: OcpiDateTime
    session_id: CiString36 | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    cdr_location: CdrLocation
    meter_id: MeterId | None = None
    currency: Currency
    tariffs: list[Tariff] | None = None  # as they were at the start of the session
    charging_periods: Annotated[list[ChargingPeriod], msgspec.Meta(min_length=1)]
    signed_data: SignedData | None = None
    total_cost: Price  # negated in a Credit CDR
    total_fixed_cost: Price | None = None
    total_energy: NonNegative  # kWh
    total_energy_cost: Price | None = None
    total_time: NonNegative  # hours, charging and not charging
    total_time_cost: Price | None = None
    total_parking_time: NonNegative | None = None  # hours
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: String255 | None = None
    invoice_reference_id: CiString39 | None = None
    credit: bool | None = None
    credit_reference_id: CiString39 | None = None
    home_charging_compensation: bool | None = None
    last_updated: OcpiDateTime

    def __post_init__(self) -> None:
        super().__post_init__()
        # Credit CDRs: "the field `credit_reference_id` needs to be set as well"; it names the CDR being credited.
        if self.credit and self.credit_reference_id is None:
            raise ValueError("`credit_reference_id` is required when `credit` is true")
        # The 39 of `id` is only room for a credit suffix: "normal (non-credit) CDRs SHALL only have an ID with a
        # maximum length of 36".
        if not self.credit and len(self.id) > 36:
            raise ValueError("`id` of a CDR that is not a Credit CDR may have at most 36 characters")


def parse_cdr(body: bytes) -> tuple[CDR, dict[str, Any]]:
    return parse_object(body, CDR, "CDR")
