"""Wire shapes of the chargingprofiles module (OCPI 2.2.1 mod_charging_profiles.asciidoc, HUB-DIGEST §3.7)."""

from __future__ import annotations

from typing import Literal

from facade.locations.schemas import Number, OcpiStruct, Url
from facade.ocpi.datetime import OcpiDateTime

ChargingRateUnit = Literal["W", "A"]
ChargingProfileResultType = Literal["ACCEPTED", "REJECTED", "UNKNOWN"]


class ChargingProfilePeriod(OcpiStruct, kw_only=True):
    start_period: int
    limit: Number


class ChargingProfile(OcpiStruct, kw_only=True):
    _datetimes = ("start_date_time",)
    start_date_time: OcpiDateTime | None = None
    duration: int | None = None
    charging_rate_unit: ChargingRateUnit
    min_charging_rate: Number | None = None
    charging_profile_period: list[ChargingProfilePeriod] | None = None


class SetChargingProfile(OcpiStruct, kw_only=True):
    charging_profile: ChargingProfile
    response_url: Url


class ActiveChargingProfile(OcpiStruct, kw_only=True):
    _datetimes = ("start_date_time",)
    start_date_time: OcpiDateTime
    charging_profile: ChargingProfile


class ProfileResult(OcpiStruct, kw_only=True):
    """ActiveChargingProfileResult (with `profile`), ChargingProfileResult and ClearProfileResult in one shape."""

    result: ChargingProfileResultType
    profile: ActiveChargingProfile | None = None
