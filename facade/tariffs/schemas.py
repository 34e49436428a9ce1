"""Wire shapes of the tariffs module (OCPI 2.2.1 mod_tariffs.asciidoc), and parsing. Tariffs have no PATCH.

Cardinality and unknown fields as in facade/locations/schemas.py, whose shared types (DisplayText, EnergyMix,
numbers) are reused here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec

from facade.locations.schemas import (
    CountryCode,
    DisplayText,
    EnergyMix,
    HourMinute,
    Id,
    NonNegative,
    Number,
    OcpiStruct,
    PartyId,
    Url,
    parse_object,
)
from facade.ocpi.datetime import OcpiDateTime

TariffType = Literal["AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"]
TariffDimensionType = Literal["ENERGY", "FLAT", "PARKING_TIME", "TIME"]
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
ReservationRestrictionType = Literal["RESERVATION", "RESERVATION_EXPIRES"]
# The spec's regex; the calendar (30 February) is checked in TariffRestrictions.__post_init__.
LocalDate = Annotated[str, msgspec.Meta(pattern=r"^[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\Z")]
Seconds = Annotated[int, msgspec.Meta(ge=0)]


class Price(OcpiStruct, kw_only=True):
    excl_vat: Number
    incl_vat: Number | None = None


class PriceComponent(OcpiStruct, kw_only=True):
    type: TariffDimensionType
    price: NonNegative  # per unit, excl. VAT
    vat: NonNegative | None = None  # a percentage; absent means no VAT applies, which is not 0 %
    step_size: Annotated[int, msgspec.Meta(ge=0)]


class TariffRestrictions(OcpiStruct, kw_only=True):
    # Times and dates are local to the Location's time_zone: a tariff has none of its own.
    start_time: HourMinute | None = None
    end_time: HourMinute | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    min_kwh: NonNegative | None = None
    max_kwh: NonNegative | None = None
    min_current: NonNegative | None = None
    max_current: NonNegative | None = None
    min_power: NonNegative | None = None
    max_power: NonNegative | None = None
    min_duration: Seconds | None = None
    max_duration: Seconds | None = None
    day_of_week: list[DayOfWeek] | None = None
    reservation: ReservationRestrictionType | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("start_date", "end_date"):
            value = getattr(self, name)
            if value is not None:
                try:
                    date.fromisoformat(value)
                except ValueError as exc:
                    raise ValueError(f"invalid `{name}`: {exc}") from None


class TariffElement(OcpiStruct, kw_only=True):
    price_components: Annotated[list[PriceComponent], msgspec.Meta(min_length=1)]
    restrictions: TariffRestrictions | None = None


class Tariff(OcpiStruct, kw_only=True):
    _datetimes = ("start_date_time", "end_date_time", "last_updated")
    country_code: CountryCode
    party_id: PartyId
    id: Id
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}\Z")]  # ISO 4217
    type: TariffType | None = None  # absent: valid for all sessions
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: Url | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: Annotated[list[TariffElement], msgspec.Meta(min_length=1)]
    start_date_time: OcpiDateTime | None = None
    end_date_time: OcpiDateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: OcpiDateTime


def parse_tariff(body: bytes) -> tuple[Tariff, dict[str, Any]]:
    return parse_object(body, Tariff, "tariff")
