"""Wire shapes of the locations module (OCPI 2.2.1 mod_locations.asciidoc, errata lengths), and parsing.

Cardinality: `1` is a required field, `?` is `T | None = None`, `*` is `list[T] | None = None` (absent, null and []
are all allowed), `+` is a required list of at least one. Unknown fields are ignored here: the caller keeps the raw
dict and relays it unchanged.
"""

from __future__ import annotations

import functools
import zoneinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar

import msgspec
from litestar.status_codes import HTTP_400_BAD_REQUEST

from facade.ocpi.datetime import OcpiDateTime, parse_ocpi_datetime
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus

# --- Scalars -------------------------------------------------------------------------------------------------------
# Patterns end in \Z: msgspec uses re.search, and $ would let a trailing newline through.

# Location id, EVSE uid, connector id, tariff id: Hub rule R2.5, stricter than CiString(36).
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_-]+\Z")]
CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2}\Z")]
PartyId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9]{1,3}\Z")]
# CiString: printable ASCII only (types.asciidoc).
CiString36 = Annotated[str, msgspec.Meta(max_length=36, pattern=r"^[\x20-\x7e]*\Z")]
EvseId = Annotated[str, msgspec.Meta(max_length=48, pattern=r"^[\x20-\x7e]*\Z")]  # CiString(48), eMI3
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
HourMinute = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z")]
TimeZone = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


# OCPI numbers are JSON numbers, kept exact as Decimal. msgspec alone would also turn a JSON string ("0.1", "NaN")
# into a Decimal, so number fields are declared with these marker subclasses, which msgspec hands to `_dec_hook`;
# OcpiStruct.__post_init__ then stores a plain Decimal, so that is what the fields hold and what type checkers see.
if TYPE_CHECKING:
    Number = Decimal
    NonNegative = Decimal
    Percentage = Decimal
else:

    class Number(Decimal):
        pass

    class NonNegative(Decimal):
        pass

    class Percentage(Decimal):
        pass


_BOUNDS: dict[type[Decimal], tuple[Decimal | None, Decimal | None]] = {
    Number: (None, None),
    NonNegative: (Decimal(0), None),
    Percentage: (Decimal(0), Decimal(100)),
}
_JSON_NAMES = {type(None): "null", str: "str", list: "array", dict: "object", bool: "bool"}


def _dec_hook(type_: type, obj: Any) -> Any:
    if type_ not in _BOUNDS:
        raise NotImplementedError
    if isinstance(obj, bool) or not isinstance(obj, int | Decimal):
        raise TypeError(f"Expected `number`, got `{_JSON_NAMES.get(type(obj), type(obj).__name__)}`")
    minimum, maximum = _BOUNDS[type_]
    if minimum is not None and obj < minimum:
        raise ValueError(f"Expected `number` >= {minimum}")
    if maximum is not None and obj > maximum:
        raise ValueError(f"Expected `number` <= {maximum}")
    return type_(obj)


class OcpiStruct(msgspec.Struct, kw_only=True):
    """Base of every OCPI struct here; kw_only keeps the fields in the spec's order, required or not.

    After msgspec: number markers become plain Decimals, and the fields named in `_datetimes` are checked against
    the calendar, which the DateTime pattern cannot see (30 February) - raising here keeps the error path.
    """

    _datetimes: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, Decimal) and type(value) is not Decimal:
                setattr(self, name, Decimal(value))  # a marker from _dec_hook
        for name in self._datetimes:
            value = getattr(self, name)
            if isinstance(value, str):
                try:
                    parse_ocpi_datetime(value)
                except ValueError as exc:
                    raise ValueError(f"invalid `{name}`: {exc}") from None


# --- Enums ---------------------------------------------------------------------------------------------------------
# fmt: off
ConnectorType = Literal[
    "CHADEMO", "CHAOJI",
    "DOMESTIC_A", "DOMESTIC_B", "DOMESTIC_C", "DOMESTIC_D", "DOMESTIC_E", "DOMESTIC_F", "DOMESTIC_G", "DOMESTIC_H",
    "DOMESTIC_I", "DOMESTIC_J", "DOMESTIC_K", "DOMESTIC_L", "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O",
    "GBT_AC", "GBT_DC",
    "IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64",
    "IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2", "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C",
    "NEMA_5_20", "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50",
    "PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN", "TESLA_R", "TESLA_S",
]
ConnectorFormat = Literal["SOCKET", "CABLE"]
PowerType = Literal["AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"]
Status = Literal[
    "AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED", "UNKNOWN",
]
Capability = Literal[
    "CHARGING_PROFILE_CAPABLE", "CHARGING_PREFERENCES_CAPABLE", "CHIP_CARD_SUPPORT", "CONTACTLESS_CARD_SUPPORT",
    "CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "PED_TERMINAL", "REMOTE_START_STOP_CAPABLE", "RESERVABLE",
    "RFID_READER", "START_SESSION_CONNECTOR_REQUIRED", "TOKEN_GROUP_CAPABLE", "UNLOCK_CAPABLE",
]
ParkingType = Literal[
    "ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE",
]
ParkingRestriction = Literal["EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES"]
Facility = Literal[
    "HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT", "RECREATION_AREA", "NATURE", "MUSEUM",
    "BIKE_SHARING", "BUS_STOP", "TAXI_STAND", "TRAM_STOP", "METRO_STATION", "TRAIN_STATION", "AIRPORT",
    "PARKING_LOT", "CARPOOL_PARKING", "FUEL_STATION", "WIFI",
]
ImageCategory = Literal["CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER"]
EnergySourceCategory = Literal["NUCLEAR", "GENERAL_FOSSIL", "COAL", "GAS", "GENERAL_GREEN", "SOLAR", "WIND", "WATER"]
EnvironmentalImpactCategory = Literal["NUCLEAR_WASTE", "CARBON_DIOXIDE"]
TokenType = Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]
# fmt: on


# --- Sub-types -----------------------------------------------------------------------------------------------------
class DisplayText(OcpiStruct, kw_only=True):
    language: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2}\Z")]  # ISO 639-1
    text: Annotated[str, msgspec.Meta(max_length=512)]


class GeoLocation(OcpiStruct, kw_only=True):
    latitude: Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}\Z")]
    longitude: Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}\Z")]

    def __post_init__(self) -> None:
        super().__post_init__()
        # The spec's regexes let 95.0 and 190.0 through; WGS 84 does not.
        if abs(Decimal(self.latitude)) > 90:
            raise ValueError("`latitude` must be within -90..90")
        if abs(Decimal(self.longitude)) > 180:
            raise ValueError("`longitude` must be within -180..180")


class AdditionalGeoLocation(GeoLocation, kw_only=True):
    name: DisplayText | None = None


class Image(OcpiStruct, kw_only=True):
    url: Url
    thumbnail: Url | None = None
    category: ImageCategory
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=4, pattern=r"^[\x20-\x7e]*\Z")]
    width: Annotated[int, msgspec.Meta(ge=0, le=99999)] | None = None
    height: Annotated[int, msgspec.Meta(ge=0, le=99999)] | None = None


class BusinessDetails(OcpiStruct, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    website: Url | None = None
    logo: Image | None = None


class RegularHours(OcpiStruct, kw_only=True):
    weekday: Annotated[int, msgspec.Meta(ge=1, le=7)]  # Monday = 1
    period_begin: HourMinute
    period_end: HourMinute


class ExceptionalPeriod(OcpiStruct, kw_only=True):
    _datetimes = ("period_begin", "period_end")
    period_begin: OcpiDateTime
    period_end: OcpiDateTime


class Hours(OcpiStruct, kw_only=True):
    twentyfourseven: bool
    regular_hours: list[RegularHours] | None = None
    exceptional_openings: list[ExceptionalPeriod] | None = None
    exceptional_closings: list[ExceptionalPeriod] | None = None


class EnergySource(OcpiStruct, kw_only=True):
    source: EnergySourceCategory
    percentage: Percentage


class EnvironmentalImpact(OcpiStruct, kw_only=True):
    category: EnvironmentalImpactCategory
    amount: NonNegative  # g/kWh


class EnergyMix(OcpiStruct, kw_only=True):
    is_green_energy: bool
    energy_sources: list[EnergySource] | None = None
    environ_impact: list[EnvironmentalImpact] | None = None
    supplier_name: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    energy_product_name: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class PublishTokenType(OcpiStruct, kw_only=True):
    uid: CiString36 | None = None
    type: TokenType | None = None
    visual_number: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    issuer: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    group_id: CiString36 | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        # The three SHALL rules of mod_locations' PublishTokenType: without them the entry matches no one (or all).
        if self.uid is None and self.visual_number is None and self.group_id is None:
            raise ValueError("one of `uid`, `visual_number` or `group_id` is required")
        if self.uid is not None and self.type is None:
            raise ValueError("`type` is required when `uid` is set")
        if self.visual_number is not None and self.issuer is None:
            raise ValueError("`issuer` is required when `visual_number` is set")


class StatusSchedule(OcpiStruct, kw_only=True):
    _datetimes = ("period_begin", "period_end")
    period_begin: OcpiDateTime
    period_end: OcpiDateTime | None = None
    status: Status


def _check_unique(items: object, key: str, where: str, within: str) -> None:
    """R2.5: EVSE uids are unique within a location, connector ids within an EVSE. Both are CiStrings, so "e1" and
    "E1" are the same id (the Hub finds EVSEs and connectors case-insensitively)."""
    if not isinstance(items, list):  # absent, null or UNSET in a PATCH
        return
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        value = getattr(item, key)
        first = seen.setdefault(value.upper(), index)
        if first != index:
            raise ValueError(
                f"duplicate `{key}` {value!r}: {where}[{first}] and {where}[{index}] are the same"
                f" (unique within one {within}, case-insensitively)"
            )


# --- Objects -------------------------------------------------------------------------------------------------------
class Connector(OcpiStruct, kw_only=True):
    _datetimes = ("last_updated",)
    id: Id
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: Annotated[int, msgspec.Meta(ge=0)]
    max_amperage: Annotated[int, msgspec.Meta(ge=0)]
    max_electric_power: Annotated[int, msgspec.Meta(ge=0)] | None = None
    tariff_ids: list[Id] | None = None
    terms_and_conditions: Url | None = None
    last_updated: OcpiDateTime


class EVSE(OcpiStruct, kw_only=True):
    _datetimes = ("last_updated",)
    uid: Id
    evse_id: EvseId | None = None
    status: Status
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    connectors: Annotated[list[Connector], msgspec.Meta(min_length=1)]
    floor_level: Annotated[str, msgspec.Meta(max_length=4)] | None = None
    coordinates: GeoLocation | None = None
    physical_reference: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None
    last_updated: OcpiDateTime

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_unique(self.connectors, "id", "connectors", "EVSE")


@functools.cache
def _iana_zones() -> frozenset[str]:
    # Read once: available_timezones() walks the tzdata directory.
    return frozenset(zoneinfo.available_timezones())


def _check_time_zone(time_zone: object) -> None:
    if isinstance(time_zone, str) and time_zone not in _iana_zones():
        raise ValueError(f"`time_zone` {time_zone!r} is not an IANA time zone (e.g. 'Europe/Oslo')")


class Location(OcpiStruct, kw_only=True):
    _datetimes = ("last_updated",)
    country_code: CountryCode
    party_id: PartyId
    id: Id
    publish: bool
    publish_allowed_to: list[PublishTokenType] | None = None
    name: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    address: Annotated[str, msgspec.Meta(max_length=255)]
    city: Annotated[str, msgspec.Meta(max_length=45)]
    postal_code: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    state: Annotated[str, msgspec.Meta(max_length=45)] | None = None
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}\Z")]  # ISO 3166-1 alpha-3
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] | None = None
    parking_type: ParkingType | None = None
    evses: list[EVSE] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    time_zone: TimeZone
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None  # absent means true
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None
    last_updated: OcpiDateTime

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_time_zone(self.time_zone)
        _check_unique(self.evses, "uid", "evses", "location")


# --- PATCH ---------------------------------------------------------------------------------------------------------
# Every field may be left out (UNSET) except last_updated (transport_and_format: PATCH without it → 2001). A field
# that may be null in the full object may be null here too; a required one may not. Nested objects are full objects.
class ConnectorPatch(OcpiStruct, kw_only=True):
    _datetimes = ("last_updated",)
    id: Id | msgspec.UnsetType = msgspec.UNSET
    standard: ConnectorType | msgspec.UnsetType = msgspec.UNSET
    format: ConnectorFormat | msgspec.UnsetType = msgspec.UNSET
    power_type: PowerType | msgspec.UnsetType = msgspec.UNSET
    max_voltage: Annotated[int, msgspec.Meta(ge=0)] | msgspec.UnsetType = msgspec.UNSET
    max_amperage: Annotated[int, msgspec.Meta(ge=0)] | msgspec.UnsetType = msgspec.UNSET
    max_electric_power: Annotated[int, msgspec.Meta(ge=0)] | msgspec.UnsetType | None = msgspec.UNSET
    tariff_ids: list[Id] | msgspec.UnsetType | None = msgspec.UNSET
    terms_and_conditions: Url | msgspec.UnsetType | None = msgspec.UNSET
    last_updated: OcpiDateTime


class EvsePatch(OcpiStruct, kw_only=True):
    _datetimes = ("last_updated",)
    uid: Id | msgspec.UnsetType = msgspec.UNSET
    evse_id: EvseId | msgspec.UnsetType | None = msgspec.UNSET
    status: Status | msgspec.UnsetType = msgspec.UNSET
    status_schedule: list[StatusSchedule] | msgspec.UnsetType | None = msgspec.UNSET
    capabilities: list[Capability] | msgspec.UnsetType | None = msgspec.UNSET
    connectors: Annotated[list[Connector], msgspec.Meta(min_length=1)] | msgspec.UnsetType = msgspec.UNSET
    floor_level: Annotated[str, msgspec.Meta(max_length=4)] | msgspec.UnsetType | None = msgspec.UNSET
    coordinates: GeoLocation | msgspec.UnsetType | None = msgspec.UNSET
    physical_reference: Annotated[str, msgspec.Meta(max_length=16)] | msgspec.UnsetType | None = msgspec.UNSET
    directions: list[DisplayText] | msgspec.UnsetType | None = msgspec.UNSET
    parking_restrictions: list[ParkingRestriction] | msgspec.UnsetType | None = msgspec.UNSET
    images: list[Image] | msgspec.UnsetType | None = msgspec.UNSET
    last_updated: OcpiDateTime

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_unique(self.connectors, "id", "connectors", "EVSE")


class LocationPatch(OcpiStruct, kw_only=True):
    _datetimes = ("last_updated",)
    country_code: CountryCode | msgspec.UnsetType = msgspec.UNSET
    party_id: PartyId | msgspec.UnsetType = msgspec.UNSET
    id: Id | msgspec.UnsetType = msgspec.UNSET
    publish: bool | msgspec.UnsetType = msgspec.UNSET
    publish_allowed_to: list[PublishTokenType] | msgspec.UnsetType | None = msgspec.UNSET
    name: Annotated[str, msgspec.Meta(max_length=255)] | msgspec.UnsetType | None = msgspec.UNSET
    address: Annotated[str, msgspec.Meta(max_length=255)] | msgspec.UnsetType = msgspec.UNSET
    city: Annotated[str, msgspec.Meta(max_length=45)] | msgspec.UnsetType = msgspec.UNSET
    postal_code: Annotated[str, msgspec.Meta(max_length=10)] | msgspec.UnsetType | None = msgspec.UNSET
    state: Annotated[str, msgspec.Meta(max_length=45)] | msgspec.UnsetType | None = msgspec.UNSET
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}\Z")] | msgspec.UnsetType = msgspec.UNSET
    coordinates: GeoLocation | msgspec.UnsetType = msgspec.UNSET
    related_locations: list[AdditionalGeoLocation] | msgspec.UnsetType | None = msgspec.UNSET
    parking_type: ParkingType | msgspec.UnsetType | None = msgspec.UNSET
    evses: list[EVSE] | msgspec.UnsetType | None = msgspec.UNSET
    directions: list[DisplayText] | msgspec.UnsetType | None = msgspec.UNSET
    operator: BusinessDetails | msgspec.UnsetType | None = msgspec.UNSET
    suboperator: BusinessDetails | msgspec.UnsetType | None = msgspec.UNSET
    owner: BusinessDetails | msgspec.UnsetType | None = msgspec.UNSET
    facilities: list[Facility] | msgspec.UnsetType | None = msgspec.UNSET
    time_zone: TimeZone | msgspec.UnsetType = msgspec.UNSET
    opening_times: Hours | msgspec.UnsetType | None = msgspec.UNSET
    charging_when_closed: bool | msgspec.UnsetType | None = msgspec.UNSET
    images: list[Image] | msgspec.UnsetType | None = msgspec.UNSET
    energy_mix: EnergyMix | msgspec.UnsetType | None = msgspec.UNSET
    last_updated: OcpiDateTime

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_time_zone(self.time_zone)
        _check_unique(self.evses, "uid", "evses", "location")


# --- Parsing -------------------------------------------------------------------------------------------------------
T = TypeVar("T", bound=msgspec.Struct)

# JSON floats become Decimal in the raw dict too, so a relayed body keeps every digit (encode it back with
# msgspec.json.Encoder(decimal_format="number")).
_decoder = msgspec.json.Decoder(float_hook=Decimal)


def parse_object(body: bytes, type_: type[T], what: str) -> tuple[T, dict[str, Any]]:
    """Bad JSON → HTTP 400; not an object, or the wrong shape → OCPI 2001 naming the field (HUB-DIGEST §1.4)."""
    try:
        raw: Any = _decoder.decode(body)
    except ValueError as exc:  # msgspec.DecodeError, and UnicodeDecodeError for bytes that are not UTF-8
        raise OcpiError(
            OcpiStatus.CLIENT_ERROR, f"request body is not valid JSON: {exc}", HTTP_400_BAD_REQUEST
        ) from None
    except RecursionError:  # msgspec stops at Python's recursion limit (about 1000 levels)
        raise OcpiError(OcpiStatus.CLIENT_ERROR, "request body is nested too deeply", HTTP_400_BAD_REQUEST) from None
    if not isinstance(raw, dict):
        kind = _JSON_NAMES.get(type(raw), "number")
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"invalid {what}: Expected `object`, got `{kind}`")
    try:
        return msgspec.convert(raw, type_, dec_hook=_dec_hook), raw
    except msgspec.ValidationError as exc:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"invalid {what}: {exc}") from None


def parse_location(body: bytes) -> tuple[Location, dict[str, Any]]:
    return parse_object(body, Location, "location")


def parse_evse(body: bytes) -> tuple[EVSE, dict[str, Any]]:
    return parse_object(body, EVSE, "EVSE")


def parse_connector(body: bytes) -> tuple[Connector, dict[str, Any]]:
    return parse_object(body, Connector, "connector")


def parse_location_patch(body: bytes) -> tuple[LocationPatch, dict[str, Any]]:
    return parse_object(body, LocationPatch, "location patch")


def parse_evse_patch(body: bytes) -> tuple[EvsePatch, dict[str, Any]]:
    return parse_object(body, EvsePatch, "EVSE patch")


def parse_connector_patch(body: bytes) -> tuple[ConnectorPatch, dict[str, Any]]:
    return parse_object(body, ConnectorPatch, "connector patch")
