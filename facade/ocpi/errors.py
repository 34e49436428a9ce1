"""OCPI errors: the one table from core reasons to (HTTP status, OCPI status), and the envelope handlers."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_401_UNAUTHORIZED,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from facade.ocpi.envelope import envelope
from facade.ocpi.proto_json import ProtoJsonError
from facade.ocpi.status import OcpiStatus
from hubclient import HubError, HubUnavailable

log = logging.getLogger(__name__)


class OcpiError(Exception):
    """Answer the request with this OCPI status (and HTTP status) and an explanation for the caller."""

    def __init__(
        self,
        status: OcpiStatus,
        message: str,
        http_status: int = HTTP_200_OK,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status
        self.headers = headers


# (core reason) → (HTTP status, OCPI status). An RPC that needs another answer for the same reason passes `overrides`.
_BY_REASON: dict[str, tuple[int, OcpiStatus]] = {
    "INVALID_FIELD": (HTTP_200_OK, OcpiStatus.INVALID_PARAMETERS),
    "ROLE_NOT_INVITED": (HTTP_200_OK, OcpiStatus.INVALID_PARAMETERS),
    "TOKEN_UNKNOWN": (HTTP_401_UNAUTHORIZED, OcpiStatus.CLIENT_ERROR),
    "TOKEN_EXPIRED": (HTTP_401_UNAUTHORIZED, OcpiStatus.CLIENT_ERROR),
    "TOKEN_REVOKED": (HTTP_401_UNAUTHORIZED, OcpiStatus.CLIENT_ERROR),
    "PARTY_SUSPENDED": (HTTP_401_UNAUTHORIZED, OcpiStatus.CLIENT_ERROR),
    "ALREADY_REGISTERED": (HTTP_405_METHOD_NOT_ALLOWED, OcpiStatus.CLIENT_ERROR),
    "NOT_REGISTERED": (HTTP_405_METHOD_NOT_ALLOWED, OcpiStatus.CLIENT_ERROR),
    "PARTY_NOT_FOUND": (HTTP_404_NOT_FOUND, OcpiStatus.CLIENT_ERROR),
    # A client-owned URL whose country_code/party_id is not the caller's: 404 (HUB-DIGEST §1.7).
    "NOT_OWNER": (HTTP_404_NOT_FOUND, OcpiStatus.CLIENT_ERROR),
    "OBJECT_NOT_FOUND": (HTTP_404_NOT_FOUND, OcpiStatus.CLIENT_ERROR),
    "UNKNOWN_LOCATION": (HTTP_200_OK, OcpiStatus.UNKNOWN_LOCATION),
    "ID_MISMATCH": (HTTP_200_OK, OcpiStatus.INVALID_PARAMETERS),
    "UNKNOWN_RECEIVER": (HTTP_200_OK, OcpiStatus.UNKNOWN_RECEIVER),
    "RECEIVER_NOT_CONNECTED": (HTTP_200_OK, OcpiStatus.CONNECTION_PROBLEM),
    "CONFLICT": (HTTP_200_OK, OcpiStatus.INVALID_PARAMETERS),
    "COST_MISMATCH": (HTTP_200_OK, OcpiStatus.INVALID_PARAMETERS),
    # Real-time authorization of a token nobody issued: HTTP 404 and 2004, no data (HUB-DIGEST §1.4).
    "UNKNOWN_TOKEN": (HTTP_404_NOT_FOUND, OcpiStatus.UNKNOWN_TOKEN),
    "PLATFORM_NOT_FOUND": (HTTP_404_NOT_FOUND, OcpiStatus.CLIENT_ERROR),
}


def from_hub_error(error: HubError, overrides: dict[str, tuple[int, OcpiStatus]] | None = None) -> OcpiError:
    if isinstance(error, HubUnavailable):
        log.error("core unavailable: %s", error)
        return OcpiError(OcpiStatus.SERVER_ERROR, "the Hub is temporarily unavailable", HTTP_503_SERVICE_UNAVAILABLE)
    mapped = (overrides or {}).get(error.reason) or _BY_REASON.get(error.reason)
    if mapped is None:
        log.error("unmapped core error %s (%s)", error.code.name, error.reason or "no reason")
        return OcpiError(OcpiStatus.SERVER_ERROR, "internal error", HTTP_500_INTERNAL_SERVER_ERROR)
    http_status, status = mapped
    return OcpiError(status, error.message, http_status)


def _respond(
    http_status: int, status: OcpiStatus, message: str, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    return Response(envelope(status=status, message=message), status_code=http_status, headers=headers)


def ocpi_error_handler(_: Request[Any, Any, Any], exc: OcpiError) -> Response[dict[str, Any]]:
    return _respond(exc.http_status, exc.status, exc.message, exc.headers)


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own HTTP errors (unknown path, wrong method): an OCPI envelope under /ocpi, plain JSON elsewhere."""
    if not request.url.path.startswith("/ocpi"):
        return Response({"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code)
    status = OcpiStatus.SERVER_ERROR if exc.status_code >= 500 else OcpiStatus.CLIENT_ERROR
    return _respond(exc.status_code, status, exc.detail)


def invalid_value_handler(_: Request[Any, Any, Any], exc: ProtoJsonError) -> Response[dict[str, Any]]:
    """A pushed value the schema lets through but the Hub's message cannot hold (an int beyond int32): 2001."""
    return _respond(HTTP_200_OK, OcpiStatus.INVALID_PARAMETERS, f"invalid value: {exc}")


def unexpected_error_handler(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error", exc_info=exc)
    return _respond(HTTP_500_INTERNAL_SERVER_ERROR, OcpiStatus.SERVER_ERROR, "internal error")


OCPI_EXCEPTION_HANDLERS = {
    OcpiError: ocpi_error_handler,
    ProtoJsonError: invalid_value_handler,
    HTTPException: http_exception_handler,
    Exception: unexpected_error_handler,
}
