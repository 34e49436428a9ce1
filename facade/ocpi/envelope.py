"""The OCPI response envelope, built when it is sent (its timestamp is the moment of sending)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from facade.ocpi.status import OcpiStatus


def ocpi_datetime(moment: datetime) -> str:
    """OCPI DateTime: UTC, RFC 3339, millisecond precision, `Z` designator (string(25))."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def envelope(data: Any = None, status: OcpiStatus = OcpiStatus.SUCCESS, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": int(status), "timestamp": ocpi_datetime(datetime.now(UTC))}
    if data is not None:
        body["data"] = data
    body["status_message"] = message or status.phrase
    return body
