"""QR resolution for eMSP apps (seed §5.6.9-5.6.10) and the page a phone opens for an HTTPS code (§5.6.3).

POST /api/v1/qr-resolve answers in the seed's shape, not an OCPI envelope: {"status": "success", "data": {…}} or
{"status": "error", "error_code": …, "message": …} with the seed's HTTP statuses.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.status_codes import HTTP_200_OK

from facade.limits.guard import AddressRefused, RateLimited
from facade.ocpi.auth import authenticate_registered
from facade.ocpi.datetime import OcpiDateTime, ocpi_datetime
from facade.ocpi.errors import OcpiError
from facade.qr import mapping_api
from hubclient import HubClient, HubError, HubUnavailable
from ocpihub.qr.v1 import qr_pb2
from ocpihub.qr.v1 import qr_service_pb2 as rpc

# Core reasons → (HTTP status, seed error code).
_ERRORS: dict[str, tuple[int, str]] = {
    "QR_NOT_FOUND": (404, "QR_NOT_FOUND"),
    "QR_INVALID_FORMAT": (400, "QR_INVALID_FORMAT"),
    "INVALID_FIELD": (400, "QR_INVALID_FORMAT"),
    "EVSE_NOT_FOUND": (404, "EVSE_NOT_FOUND"),
    "API_TIMEOUT": (504, "API_TIMEOUT"),
}
_encoder = msgspec.json.Encoder(decimal_format="number")


class ResolveRequest(msgspec.Struct, kw_only=True):
    qr_data: Annotated[str, msgspec.Meta(max_length=256)]
    scanned_at: OcpiDateTime
    app_id: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class QrError(Exception):
    def __init__(
        self,
        http_status: int,
        code: str,
        message: str,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status, self.code, self.message, self.data, self.headers = http_status, code, message, data, headers


def _now() -> str:
    return ocpi_datetime(datetime.now(UTC))


def _answer(body: dict[str, Any], status: int = HTTP_200_OK, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        _encoder.encode({**body, "timestamp": _now()}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _error(exc: QrError) -> Response[bytes]:
    body: dict[str, Any] = {"status": "error", "error_code": exc.code, "message": exc.message}
    if exc.data is not None:
        body["data"] = exc.data
    return _answer(body, exc.http_status, exc.headers)


def resolution_json(resolution: qr_pb2.Resolution) -> dict[str, Any]:
    target = resolution.target
    return {
        "country_code": target.country_code,
        "party_id": target.party_id,
        "location_id": target.location_id,
        "evse_uid": target.evse_uid,
        "connector_id": target.connector_id,
        "location_name": resolution.location_name,
        "connector_type": resolution.connector_type,
        "power_kw": Decimal(resolution.power_kw) if resolution.power_kw else None,
        "availability": resolution.availability,
    }


def _from_hub(exc: HubError) -> QrError:
    if isinstance(exc, HubUnavailable):
        return QrError(503, "SERVICE_UNAVAILABLE", "the Hub is temporarily unavailable")
    status, code = _ERRORS.get(exc.reason, (500, "INTERNAL_ERROR"))
    return QrError(status, code, exc.message if status < 500 else "internal error")


async def resolve_code(
    request: Request[Any, Any, Any], qr_data: str, scanned_at: str, app_id: str
) -> qr_pb2.Resolution:
    """The core resolves; when a CPO's mapping API claims the code, the facade asks it and the core completes."""
    hub: HubClient = request.app.state.hub
    try:
        found = await hub.resolve_qr(rpc.ResolveQrRequest(qr_data=qr_data, app_id=app_id))
        if found.HasField("resolution"):
            return found.resolution
        body = {"qr_data": qr_data, "scanned_at": scanned_at, "app_id": app_id or "ocpi-hub"}
        sandbox = request.app.state.settings.environment == "sandbox"
        completion = await mapping_api.ask(request.app.state.qr_http, found.ask_cpo, body, sandbox=sandbox)
        return (await hub.complete_qr_mapping(completion)).resolution
    except HubError as exc:
        raise _from_hub(exc) from None


@post("/api/v1/qr-resolve", status_code=200)
async def qr_resolve(request: Request[Any, Any, Any]) -> Response[bytes]:
    try:
        try:
            # Also the party's IP allow-list and its "qr" bucket (facade.limits).
            await authenticate_registered(request)
        except RateLimited as exc:
            raise QrError(429, "RATE_LIMIT_EXCEEDED", exc.message, headers=exc.headers) from None
        except AddressRefused as exc:
            raise QrError(403, "FORBIDDEN", exc.message) from None
        except OcpiError as exc:
            raise QrError(exc.http_status, "UNAUTHORIZED", exc.message) from None
        try:
            body = msgspec.json.decode(await request.body(), type=ResolveRequest)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # bytes that are not UTF-8 are no JSON either
            raise QrError(400, "QR_INVALID_FORMAT", f"invalid request: {exc}") from None
        except RecursionError:  # msgspec stops at Python's recursion limit (about 1000 levels)
            raise QrError(400, "QR_INVALID_FORMAT", "invalid request: the body is nested too deeply") from None
        resolution = await resolve_code(request, body.qr_data, body.scanned_at, body.app_id or "")
        data = resolution_json(resolution)
        if resolution.availability != "AVAILABLE":
            raise QrError(409, "CONNECTOR_UNAVAILABLE", f"the connector is {resolution.availability.lower()}", data)
        return _answer({"status": "success", "data": data})
    except QrError as exc:
        return _error(exc)


@get("/charge", media_type="text/html; charset=utf-8")
async def charge_page(request: Request[Any, Any, Any]) -> Response[str]:
    """What a phone shows for https://{hub}/charge?cpo=…&loc=…&evse=…&conn=…: the connector, its status, a deep link."""
    # The code as the phone scanned it: on the host it opened, which must be one of HUB_QR_HOSTS.
    code = f"{str(request.base_url).rstrip('/')}/charge?{request.url.query}"
    try:
        resolution = await resolve_code(request, code, _now(), "charge-page")
    except QrError as exc:
        return Response(
            _page("Không tìm thấy / Not found", f"<p>{html.escape(exc.message)}</p>"), status_code=exc.http_status
        )
    data = resolution_json(resolution)
    power = f"{data['power_kw']} kW · " if data["power_kw"] is not None else ""
    available = resolution.availability == "AVAILABLE"
    status = "Sẵn sàng / Available" if available else html.escape(resolution.availability)
    target = resolution.target
    body = (
        f"<h1>{html.escape(resolution.location_name or target.location_id)}</h1>"
        f"<p>Connector {html.escape(target.connector_id)} · EVSE {html.escape(target.evse_uid)}</p>"
        f"<p>{power}{html.escape(resolution.connector_type)}</p>"
        f'<p class="{"ok" if available else "busy"}">{status}</p>'
        f'<p><a class="open" href="{html.escape(resolution.uri)}">Mở ứng dụng để sạc / Open your charging app</a></p>'
    )
    return Response(_page("Quét để bắt đầu sạc / Scan to start charging", body))


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        ".ok{color:#060}.busy{color:#a00}.open{display:inline-block;padding:.8em 1.2em;background:#000;color:#fff;"
        f"text-decoration:none;border-radius:6px}}</style></head><body>{body}</body></html>"
    )
