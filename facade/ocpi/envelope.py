"""The OCPI response envelope, built when it is sent (its timestamp is the moment of sending)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Response

from facade.ocpi.datetime import ocpi_datetime
from facade.ocpi.proto_json import encode_json
from facade.ocpi.status import OcpiStatus


def envelope(data: Any = None, status: OcpiStatus = OcpiStatus.SUCCESS, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": int(status), "timestamp": ocpi_datetime(datetime.now(UTC))}
    if data is not None:
        body["data"] = data
    body["status_message"] = message or status.phrase
    return body


def ocpi_response(
    data: Any = None,
    status: OcpiStatus = OcpiStatus.SUCCESS,
    message: str | None = None,
    *,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """An envelope whose numbers stay exact decimals (OCPI objects carry money and energy)."""
    return Response(
        encode_json(envelope(data, status, message)),
        status_code=http_status,
        media_type="application/json",
        headers=headers,
    )
