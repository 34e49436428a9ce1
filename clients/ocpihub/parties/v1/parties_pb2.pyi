import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_CPO: _ClassVar[Role]
    ROLE_EMSP: _ClassVar[Role]
    ROLE_HUB: _ClassVar[Role]
    ROLE_NAP: _ClassVar[Role]
    ROLE_NSP: _ClassVar[Role]
    ROLE_OTHER: _ClassVar[Role]
    ROLE_SCSP: _ClassVar[Role]

class Environment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENVIRONMENT_UNSPECIFIED: _ClassVar[Environment]
    ENVIRONMENT_SANDBOX: _ClassVar[Environment]
    ENVIRONMENT_PRODUCTION: _ClassVar[Environment]

class PartyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTY_STATE_UNSPECIFIED: _ClassVar[PartyState]
    PARTY_STATE_INVITED: _ClassVar[PartyState]
    PARTY_STATE_REGISTERED: _ClassVar[PartyState]
    PARTY_STATE_SUSPENDED: _ClassVar[PartyState]
    PARTY_STATE_UNREGISTERED: _ClassVar[PartyState]

class PlatformState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLATFORM_STATE_UNSPECIFIED: _ClassVar[PlatformState]
    PLATFORM_STATE_REGISTERED: _ClassVar[PlatformState]
    PLATFORM_STATE_UNREGISTERED: _ClassVar[PlatformState]

class InterfaceRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTERFACE_ROLE_UNSPECIFIED: _ClassVar[InterfaceRole]
    INTERFACE_ROLE_SENDER: _ClassVar[InterfaceRole]
    INTERFACE_ROLE_RECEIVER: _ClassVar[InterfaceRole]
ROLE_UNSPECIFIED: Role
ROLE_CPO: Role
ROLE_EMSP: Role
ROLE_HUB: Role
ROLE_NAP: Role
ROLE_NSP: Role
ROLE_OTHER: Role
ROLE_SCSP: Role
ENVIRONMENT_UNSPECIFIED: Environment
ENVIRONMENT_SANDBOX: Environment
ENVIRONMENT_PRODUCTION: Environment
PARTY_STATE_UNSPECIFIED: PartyState
PARTY_STATE_INVITED: PartyState
PARTY_STATE_REGISTERED: PartyState
PARTY_STATE_SUSPENDED: PartyState
PARTY_STATE_UNREGISTERED: PartyState
PLATFORM_STATE_UNSPECIFIED: PlatformState
PLATFORM_STATE_REGISTERED: PlatformState
PLATFORM_STATE_UNREGISTERED: PlatformState
INTERFACE_ROLE_UNSPECIFIED: InterfaceRole
INTERFACE_ROLE_SENDER: InterfaceRole
INTERFACE_ROLE_RECEIVER: InterfaceRole

class Party(_message.Message):
    __slots__ = ("name", "country_code", "party_id", "role", "display_name", "environment", "state", "platform", "invite_expire_time", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    INVITE_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    country_code: str
    party_id: str
    role: Role
    display_name: str
    environment: Environment
    state: PartyState
    platform: str
    invite_expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., country_code: _Optional[str] = ..., party_id: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., display_name: _Optional[str] = ..., environment: _Optional[_Union[Environment, str]] = ..., state: _Optional[_Union[PartyState, str]] = ..., platform: _Optional[str] = ..., invite_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Endpoint(_message.Message):
    __slots__ = ("identifier", "role", "url")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    role: InterfaceRole
    url: str
    def __init__(self, identifier: _Optional[str] = ..., role: _Optional[_Union[InterfaceRole, str]] = ..., url: _Optional[str] = ...) -> None: ...

class BusinessDetails(_message.Message):
    __slots__ = ("name", "website", "logo_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    LOGO_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    website: str
    logo_json: str
    def __init__(self, name: _Optional[str] = ..., website: _Optional[str] = ..., logo_json: _Optional[str] = ...) -> None: ...

class CredentialsRole(_message.Message):
    __slots__ = ("role", "country_code", "party_id", "business_details")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    role: Role
    country_code: str
    party_id: str
    business_details: BusinessDetails
    def __init__(self, role: _Optional[_Union[Role, str]] = ..., country_code: _Optional[str] = ..., party_id: _Optional[str] = ..., business_details: _Optional[_Union[BusinessDetails, _Mapping]] = ...) -> None: ...

class Platform(_message.Message):
    __slots__ = ("name", "state", "versions_url", "version", "endpoints", "roles", "encode_auth_token", "environment", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_URL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    ENCODE_AUTH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: PlatformState
    versions_url: str
    version: str
    endpoints: _containers.RepeatedCompositeFieldContainer[Endpoint]
    roles: _containers.RepeatedCompositeFieldContainer[CredentialsRole]
    encode_auth_token: bool
    environment: Environment
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[PlatformState, str]] = ..., versions_url: _Optional[str] = ..., version: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[Endpoint, _Mapping]]] = ..., roles: _Optional[_Iterable[_Union[CredentialsRole, _Mapping]]] = ..., encode_auth_token: _Optional[bool] = ..., environment: _Optional[_Union[Environment, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
