"""Wire shapes of the tokens module (OCPI 2.2.1 mod_tokens.asciidoc, HUB-DIGEST §3.5), and parsing.

Cardinality and unknown fields as in facade/locations/schemas.py. Token uids, contract ids, group ids and the
location/EVSE references are CiString(36), not the Hub's stricter Id (R2.5): they are the eMSP's or CPO's own keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from facade.locations.schemas import CiString36, CountryCode, OcpiStruct, PartyId, TokenType, parse_object
from facade.ocpi.datetime import OcpiDateTime

WhitelistType = Literal["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"]
ProfileType = Literal["CHEAP", "FAST", "GREEN", "REGULAR"]  # mod_sessions ProfileType
String64 = Annotated[str, msgspec.Meta(max_length=64)]
Language = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2}\Z")]  # string(2), ISO 639-1


class EnergyContract(OcpiStruct, kw_only=True):
    supplier_name: String64
    contract_id: String64 | None = None


class Token(OcpiStruct, kw_only=True):
    _datetimes = ("last_updated",)
    country_code: CountryCode
    party_id: PartyId
    uid: CiString36  # uid + type is unique within the eMSP
    type: TokenType
    contract_id: CiString36
    visual_number: String64 | None = None
    issuer: String64
    group_id: CiString36 | None = None
    valid: bool
    whitelist: WhitelistType
    language: Language | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: OcpiDateTime


# PATCH: as in facade/locations/schemas.py, every field may be left out except last_updated. Invalidating a token is
# a PATCH with `valid: false` (tokens are never deleted).
class TokenPatch(OcpiStruct, kw_only=True):
    _datetimes = ("last_updated",)
    country_code: CountryCode | msgspec.UnsetType = msgspec.UNSET
    party_id: PartyId | msgspec.UnsetType = msgspec.UNSET
    uid: CiString36 | msgspec.UnsetType = msgspec.UNSET
    type: TokenType | msgspec.UnsetType = msgspec.UNSET
    contract_id: CiString36 | msgspec.UnsetType = msgspec.UNSET
    visual_number: String64 | msgspec.UnsetType | None = msgspec.UNSET
    issuer: String64 | msgspec.UnsetType = msgspec.UNSET
    group_id: CiString36 | msgspec.UnsetType | None = msgspec.UNSET
    valid: bool | msgspec.UnsetType = msgspec.UNSET
    whitelist: WhitelistType | msgspec.UnsetType = msgspec.UNSET
    language: Language | msgspec.UnsetType | None = msgspec.UNSET
    default_profile_type: ProfileType | msgspec.UnsetType | None = msgspec.UNSET
    energy_contract: EnergyContract | msgspec.UnsetType | None = msgspec.UNSET
    last_updated: OcpiDateTime


class LocationReferences(OcpiStruct, kw_only=True):
    """Body of the real-time authorize POST (optional there): where the driver wants to charge."""

    location_id: CiString36
    evse_uids: list[CiString36] | None = None


def parse_token(body: bytes) -> tuple[Token, dict[str, Any]]:
    return parse_object(body, Token, "token")


def parse_token_patch(body: bytes) -> tuple[TokenPatch, dict[str, Any]]:
    return parse_object(body, TokenPatch, "token patch")


def parse_location_references(body: bytes) -> tuple[LocationReferences | None, dict[str, Any] | None]:
    """An empty (or whitespace-only) body is no LocationReferences: (None, None). Otherwise as parse_object."""
    if not body.strip():
        return None, None
    return parse_object(body, LocationReferences, "location references")
