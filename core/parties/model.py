"""The parties aggregate as the core sees it: plain records, no protobuf, no SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class Environment(StrEnum):
    SANDBOX = "SANDBOX"
    PRODUCTION = "PRODUCTION"


class PartyState(StrEnum):
    INVITED = "INVITED"
    REGISTERED = "REGISTERED"
    UNREGISTERED = "UNREGISTERED"
    # Revoked by an operator: for good (SUSPENDED is the reversible pause).
    REVOKED = "REVOKED"


class PlatformState(StrEnum):
    REGISTERED = "REGISTERED"
    UNREGISTERED = "UNREGISTERED"


class TokenKind(StrEnum):
    REGISTRATION = "A"
    CREDENTIALS = "C"


@dataclass(frozen=True, slots=True)
class PartyKey:
    country_code: str
    party_id: str
    role: Role

    @property
    def name(self) -> str:
        return f"parties/{self.country_code}/{self.party_id}/{self.role}"

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id} {self.role}"


@dataclass(slots=True)
class Party:
    key: PartyKey
    display_name: str
    environment: Environment
    state: PartyState
    suspended: bool = False
    # Its platform failed the still-alive check (OCPI ConnectionStatus OFFLINE while registered).
    offline: bool = False
    platform_id: uuid.UUID | None = None
    invite_expire_time: datetime | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    identifier: str
    role: str  # "SENDER" | "RECEIVER"
    url: str


@dataclass(frozen=True, slots=True)
class CredentialsRole:
    key: PartyKey
    business_details: dict[str, Any]


@dataclass(slots=True)
class Platform:
    id: uuid.UUID
    state: PlatformState
    environment: Environment
    versions_url: str
    version: str
    endpoints: list[Endpoint]
    roles: list[CredentialsRole]
    encode_auth_token: bool
    create_time: datetime | None = None
    update_time: datetime | None = None
    last_heard_time: datetime | None = None
    offline_time: datetime | None = None
    # When the Hub issued the current TOKEN_C, and how its own rotation of it is going (see core/parties/rotation.py).
    credentials_issue_time: datetime | None = None
    rotation_attempts: int = 0
    rotation_error: str = ""
    next_rotation_time: datetime | None = None

    @property
    def name(self) -> str:
        return f"platforms/{self.id}"


@dataclass(frozen=True, slots=True)
class AliveCheck:
    """A still-alive check a facade claimed: GET the versions URL with TOKEN_B (still encrypted here)."""

    platform_id: uuid.UUID
    versions_url: str
    token_b_encrypted: bytes
    encode_auth_token: bool
    environment: Environment


@dataclass(frozen=True, slots=True)
class TokenRotation:
    """A rotation of the Hub's TOKEN_C a facade claimed: PUT the Hub's credentials to `credentials_url`."""

    platform_id: uuid.UUID
    credentials_url: str
    token_b_encrypted: bytes
    encode_auth_token: bool
    environment: Environment
    attempt: int


@dataclass(frozen=True, slots=True)
class PlatformRegistration:
    """What a party sends in credentials POST/PUT, plus what the facade discovered from its endpoints."""

    token_b: str
    versions_url: str
    version: str
    endpoints: list[Endpoint]
    roles: list[CredentialsRole]
    encode_auth_token: bool


@dataclass(frozen=True, slots=True)
class ModuleLimit:
    module: str
    rate_per_second: int
    burst: int = 0


@dataclass(frozen=True, slots=True)
class PartyLimits:
    """Rate limits and IP allow-list of one party, every role. Zero and empty mean the Hub's defaults."""

    country_code: str
    party_id: str
    rate_per_second: int = 0
    burst: int = 0
    module_limits: tuple[ModuleLimit, ...] = ()
    # Normalised CIDRs ("10.0.0.0/8"); empty: any address.
    allowed_cidrs: tuple[str, ...] = ()
    update_time: datetime | None = None

    @property
    def is_default(self) -> bool:
        return not (self.rate_per_second or self.burst or self.module_limits or self.allowed_cidrs)


@dataclass(frozen=True, slots=True)
class Authentication:
    kind: TokenKind
    token: str
    parties: list[Party] = field(default_factory=list)
    platform: Platform | None = None
    # Set limits of these parties (the others have none).
    limits: list[PartyLimits] = field(default_factory=list)
    # How much longer the token works; None: no end.
    valid_for: timedelta | None = None
