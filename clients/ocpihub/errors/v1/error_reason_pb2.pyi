from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_FIELD: _ClassVar[ErrorReason]
    ERROR_REASON_TOKEN_UNKNOWN: _ClassVar[ErrorReason]
    ERROR_REASON_TOKEN_EXPIRED: _ClassVar[ErrorReason]
    ERROR_REASON_TOKEN_REVOKED: _ClassVar[ErrorReason]
    ERROR_REASON_PARTY_SUSPENDED: _ClassVar[ErrorReason]
    ERROR_REASON_ALREADY_REGISTERED: _ClassVar[ErrorReason]
    ERROR_REASON_NOT_REGISTERED: _ClassVar[ErrorReason]
    ERROR_REASON_ROLE_NOT_INVITED: _ClassVar[ErrorReason]
    ERROR_REASON_PARTY_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_PARTY_EXISTS: _ClassVar[ErrorReason]
    ERROR_REASON_PLATFORM_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_WRONG_STATE: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_INVALID_FIELD: ErrorReason
ERROR_REASON_TOKEN_UNKNOWN: ErrorReason
ERROR_REASON_TOKEN_EXPIRED: ErrorReason
ERROR_REASON_TOKEN_REVOKED: ErrorReason
ERROR_REASON_PARTY_SUSPENDED: ErrorReason
ERROR_REASON_ALREADY_REGISTERED: ErrorReason
ERROR_REASON_NOT_REGISTERED: ErrorReason
ERROR_REASON_ROLE_NOT_INVITED: ErrorReason
ERROR_REASON_PARTY_NOT_FOUND: ErrorReason
ERROR_REASON_PARTY_EXISTS: ErrorReason
ERROR_REASON_PLATFORM_NOT_FOUND: ErrorReason
ERROR_REASON_WRONG_STATE: ErrorReason
