"""Typed domain errors. Domain code raises them; `core.interceptors` turns them into a rich google.rpc.Status.

DomainError
├── InvalidArgument      INVALID_ARGUMENT, with field violations
│   └── RuleViolation    INVALID_ARGUMENT: one of the Hub's data rules, named (counted per party by the caller)
├── InvalidFormat        INVALID_ARGUMENT, one reason and message (e.g. a QR code that is not well-formed)
├── NotFound             NOT_FOUND
├── AlreadyExists        ALREADY_EXISTS
├── FailedPrecondition   FAILED_PRECONDITION
├── Unauthenticated      UNAUTHENTICATED
├── PermissionDenied     PERMISSION_DENIED
└── ResourceExhausted    RESOURCE_EXHAUSTED (a caller over a limit, e.g. sign-ins)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import grpc

from ocpihub.errors.v1.error_reason_pb2 import ErrorReason

DOMAIN = "ocpihub"


def reason_name(reason: ErrorReason.ValueType) -> str:
    return ErrorReason.Name(reason).removeprefix("ERROR_REASON_")


class DomainError(Exception):
    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        reason: ErrorReason.ValueType,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.metadata = dict(metadata or {})


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, violations: Sequence[tuple[str, str]]) -> None:
        """`violations`: (field path, description) pairs."""
        self.violations = list(violations)
        message = "; ".join(f"{field}: {description}" for field, description in self.violations)
        super().__init__(ErrorReason.ERROR_REASON_INVALID_FIELD, message)


class RuleViolation(InvalidArgument):
    """A write that breaks a named data rule (a session's status going back, a CDR's periods out of its span)."""

    def __init__(self, rule: str, field: str, description: str) -> None:
        self.rule = rule
        super().__init__([(field, f"{description} (rule {rule})")])


class InvalidFormat(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(DomainError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
