"""OCPI pagination (HUB-DIGEST §1.5): offset/limit/date_from/date_to in, Link/X-Total-Count/X-Limit out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request

from facade.ocpi.datetime import parse_ocpi_datetime
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus

_MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Page:
    offset: int
    limit: int
    date_from: datetime | None
    date_to: datetime | None
    # The filters as the client wrote them, repeated in the next page's Link.
    raw_filters: dict[str, str]


def _int(request: Request[Any, Any, Any], name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"{name} must not be negative")
    return number


def _datetime(request: Request[Any, Any, Any], name: str) -> datetime | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return parse_ocpi_datetime(value)
    except ValueError as exc:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"{name}: {exc}") from None


def read_page(request: Request[Any, Any, Any], max_limit: int) -> Page:
    """A limit above the maximum (or 0/absent) gives the maximum, as OCPI allows the server to return fewer. An offset
    past any list the Hub can hold (the core's int32) is an empty page, as any offset past the end is."""
    limit = _int(request, "limit", max_limit)
    raw = {name: request.query_params[name] for name in ("date_from", "date_to") if request.query_params.get(name)}
    return Page(
        offset=min(_int(request, "offset", 0), _MAX_OFFSET),
        limit=min(limit, max_limit) if limit else max_limit,
        date_from=_datetime(request, "date_from"),
        date_to=_datetime(request, "date_to"),
        raw_filters=raw,
    )


def page_headers(base_url: str, page: Page, returned: int, total: int, max_limit: int) -> dict[str, str]:
    headers = {"X-Total-Count": str(total), "X-Limit": str(max_limit)}
    next_offset = page.offset + returned
    if returned and next_offset < total:
        query = urlencode({**page.raw_filters, "offset": next_offset, "limit": page.limit})
        headers["Link"] = f'<{base_url}?{query}>; rel="next"'
    return headers
