import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from ocpihub.parties.v1 import parties_pb2 as _parties_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TokenKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOKEN_KIND_UNSPECIFIED: _ClassVar[TokenKind]
    TOKEN_KIND_REGISTRATION: _ClassVar[TokenKind]
    TOKEN_KIND_CREDENTIALS: _ClassVar[TokenKind]
TOKEN_KIND_UNSPECIFIED: TokenKind
TOKEN_KIND_REGISTRATION: TokenKind
TOKEN_KIND_CREDENTIALS: TokenKind

class InvitePartyRequest(_message.Message):
    __slots__ = ("country_code", "party_id", "role", "display_name", "environment", "expires_in")
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    country_code: str
    party_id: str
    role: _parties_pb2.Role
    display_name: str
    environment: _parties_pb2.Environment
    expires_in: _duration_pb2.Duration
    def __init__(self, country_code: _Optional[str] = ..., party_id: _Optional[str] = ..., role: _Optional[_Union[_parties_pb2.Role, str]] = ..., display_name: _Optional[str] = ..., environment: _Optional[_Union[_parties_pb2.Environment, str]] = ..., expires_in: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class InvitePartyResponse(_message.Message):
    __slots__ = ("party", "token_a")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    TOKEN_A_FIELD_NUMBER: _ClassVar[int]
    party: _parties_pb2.Party
    token_a: str
    def __init__(self, party: _Optional[_Union[_parties_pb2.Party, _Mapping]] = ..., token_a: _Optional[str] = ...) -> None: ...

class RotateInviteRequest(_message.Message):
    __slots__ = ("name", "expires_in")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    name: str
    expires_in: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., expires_in: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RotateInviteResponse(_message.Message):
    __slots__ = ("party", "token_a")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    TOKEN_A_FIELD_NUMBER: _ClassVar[int]
    party: _parties_pb2.Party
    token_a: str
    def __init__(self, party: _Optional[_Union[_parties_pb2.Party, _Mapping]] = ..., token_a: _Optional[str] = ...) -> None: ...

class GetPartyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetPartyResponse(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: _parties_pb2.Party
    def __init__(self, party: _Optional[_Union[_parties_pb2.Party, _Mapping]] = ...) -> None: ...

class ListPartiesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "country_code", "party_id", "role", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    country_code: str
    party_id: str
    role: _parties_pb2.Role
    state: _parties_pb2.PartyState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., country_code: _Optional[str] = ..., party_id: _Optional[str] = ..., role: _Optional[_Union[_parties_pb2.Role, str]] = ..., state: _Optional[_Union[_parties_pb2.PartyState, str]] = ...) -> None: ...

class ListPartiesResponse(_message.Message):
    __slots__ = ("parties", "next_page_token")
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parties: _containers.RepeatedCompositeFieldContainer[_parties_pb2.Party]
    next_page_token: str
    def __init__(self, parties: _Optional[_Iterable[_Union[_parties_pb2.Party, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SuspendPartyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class SuspendPartyResponse(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: _parties_pb2.Party
    def __init__(self, party: _Optional[_Union[_parties_pb2.Party, _Mapping]] = ...) -> None: ...

class ReinstatePartyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ReinstatePartyResponse(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: _parties_pb2.Party
    def __init__(self, party: _Optional[_Union[_parties_pb2.Party, _Mapping]] = ...) -> None: ...

class GetPlatformRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetPlatformResponse(_message.Message):
    __slots__ = ("platform",)
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    platform: _parties_pb2.Platform
    def __init__(self, platform: _Optional[_Union[_parties_pb2.Platform, _Mapping]] = ...) -> None: ...

class AuthenticateTokenRequest(_message.Message):
    __slots__ = ("candidates",)
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, candidates: _Optional[_Iterable[str]] = ...) -> None: ...

class AuthenticateTokenResponse(_message.Message):
    __slots__ = ("kind", "token", "parties", "platform")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    kind: TokenKind
    token: str
    parties: _containers.RepeatedCompositeFieldContainer[_parties_pb2.Party]
    platform: _parties_pb2.Platform
    def __init__(self, kind: _Optional[_Union[TokenKind, str]] = ..., token: _Optional[str] = ..., parties: _Optional[_Iterable[_Union[_parties_pb2.Party, _Mapping]]] = ..., platform: _Optional[_Union[_parties_pb2.Platform, _Mapping]] = ...) -> None: ...

class RegisterPlatformRequest(_message.Message):
    __slots__ = ("token_a", "token_b", "platform", "validate_only")
    TOKEN_A_FIELD_NUMBER: _ClassVar[int]
    TOKEN_B_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    token_a: str
    token_b: str
    platform: _parties_pb2.Platform
    validate_only: bool
    def __init__(self, token_a: _Optional[str] = ..., token_b: _Optional[str] = ..., platform: _Optional[_Union[_parties_pb2.Platform, _Mapping]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class RegisterPlatformResponse(_message.Message):
    __slots__ = ("platform", "token_c")
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    TOKEN_C_FIELD_NUMBER: _ClassVar[int]
    platform: _parties_pb2.Platform
    token_c: str
    def __init__(self, platform: _Optional[_Union[_parties_pb2.Platform, _Mapping]] = ..., token_c: _Optional[str] = ...) -> None: ...

class UpdatePlatformCredentialsRequest(_message.Message):
    __slots__ = ("token", "token_b", "platform", "validate_only")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_B_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    token: str
    token_b: str
    platform: _parties_pb2.Platform
    validate_only: bool
    def __init__(self, token: _Optional[str] = ..., token_b: _Optional[str] = ..., platform: _Optional[_Union[_parties_pb2.Platform, _Mapping]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdatePlatformCredentialsResponse(_message.Message):
    __slots__ = ("platform", "token_c")
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    TOKEN_C_FIELD_NUMBER: _ClassVar[int]
    platform: _parties_pb2.Platform
    token_c: str
    def __init__(self, platform: _Optional[_Union[_parties_pb2.Platform, _Mapping]] = ..., token_c: _Optional[str] = ...) -> None: ...

class UnregisterPlatformRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class UnregisterPlatformResponse(_message.Message):
    __slots__ = ("platform",)
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    platform: _parties_pb2.Platform
    def __init__(self, platform: _Optional[_Union[_parties_pb2.Platform, _Mapping]] = ...) -> None: ...
