"""Prometheus metrics of the facade, served on GET /metrics.

Labels come from the matched route, never from the raw path, so their values stay few: `module` is the OCPI module
(or health, ready, metrics, qr, openapi; "unmatched" for unknown paths), `party` is "CC/PID" of the authenticated
caller (set by the auth dependency) or "anonymous".
With several uvicorn workers, set PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode) so a scrape
sums all of them.
"""

from __future__ import annotations

import os
import re
import time

from cryptography import x509
from litestar import Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_DURATION = Histogram(
    "ocpihub_http_request_duration_seconds",
    "Time the facade took to answer an HTTP request, by module, method and status class (2xx, 4xx, …).",
    ["module", "method", "status_class"],
)
HTTP_REQUESTS = Counter(
    "ocpihub_http_requests_total",
    "HTTP requests answered, by module, method, HTTP status and OCPI status_code (empty when not an OCPI envelope).",
    ["module", "method", "status", "ocpi_status"],
)
PARTY_REQUESTS = Counter(
    "ocpihub_party_requests_total",
    "HTTP requests by calling party (CC/PID of the token, or anonymous), module and status class.",
    ["party", "module", "status_class"],
)
DELIVERY_SENDS = Counter(
    "ocpihub_delivery_sends_total", "Deliveries sent to parties, by module and outcome.", ["module", "outcome"]
)
DELIVERY_SEND_DURATION = Histogram(
    "ocpihub_delivery_send_duration_seconds", "Time one delivery took to send to its party, by module.", ["module"]
)
COMMAND_RESULT_TRANSLATIONS = Counter(
    "ocpihub_command_result_translations_total",
    "CommandResults a CPO sent in the seed's words (`from`: SUCCESS, FAILED) that the Hub relayed in OCPI's, by CPO.",
    ["party", "from"],
)
QR_MAPPING_API_DURATION = Histogram(
    "ocpihub_qr_mapping_api_duration_seconds",
    "Time a CPO's own QR mapping API took to answer (or to fail), by CPO (CC/PID); the seed wants p95 under 0.5 s.",
    ["party"],
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0),
)
QR_MAPPING_API_CALLS = Counter(
    "ocpihub_qr_mapping_api_calls_total",
    "Calls to a CPO's QR mapping API by CPO and outcome: answered, not_found (both: the API is up), timeout, error"
    " (no connection, not JSON, an error answer), refused (its URL is not one the Hub calls).",
    ["party", "outcome"],
)
TLS_CERTIFICATE_EXPIRY = Gauge(
    # Its own name, not a label of one shared gauge: tests run core and facade in one process (one registry).
    "ocpihub_https_certificate_expiry_timestamp_seconds",
    "When the facade's own HTTPS certificate expires, seconds since the epoch (alert 14 days before).",
    multiprocess_mode="min",  # every worker serves the same file; the earliest is what matters
)
AUTH_CACHE = Counter(
    "ocpihub_auth_cache_total",
    "Token checks answered from the facade's cache (hit) or by the core (miss).",
    ["result"],
)

# Where the auth dependency leaves the caller's party in the ASGI scope's state.
PARTY_STATE_KEY = "ocpi_party"
ANONYMOUS = "anonymous"
_OCPI_STATUS = re.compile(rb'"status_code"\s*:\s*(\d{4})')
_TOP_LEVEL = {"health": "health", "ready": "ready", "metrics": "metrics", "charge": "qr", "openapi": "openapi"}


def module_of(path_template: str | None) -> str:
    """`/ocpi/2.2.1/receiver/locations/{country_code:str}/…` → "locations"; `/ocpi/versions` → "versions"."""
    if not path_template:
        return "unmatched"
    parts = path_template.strip("/").split("/")
    if parts[0] == "ocpi":
        rest = parts[2:]
        if not rest:
            return "versions"
        if rest[0] in ("sender", "receiver") and len(rest) > 1:
            return rest[1]
        return rest[0]
    if parts[:2] == ["api", "v1"]:
        return "qr"
    return _TOP_LEVEL.get(parts[0], "other")


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        ocpi_status = ""

        async def observe(message: Message) -> None:
            nonlocal status, ocpi_status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not ocpi_status:
                # The envelope puts status_code first: a look at the first bytes is enough (no JSON parsing).
                match = _OCPI_STATUS.search(message.get("body", b"")[:256])
                ocpi_status = match.group(1).decode() if match else "-"
            await send(message)

        try:
            await app(scope, receive, observe)
        finally:
            module = module_of(scope.get("path_template"))
            method = scope["method"]
            status_class = f"{status // 100}xx"
            HTTP_DURATION.labels(module, method, status_class).observe(time.perf_counter() - start)
            HTTP_REQUESTS.labels(module, method, str(status), "" if ocpi_status == "-" else ocpi_status).inc()
            party = scope.get("state", {}).get(PARTY_STATE_KEY, ANONYMOUS)
            PARTY_REQUESTS.labels(party, module, status_class).inc()

    return middleware


def observe_certificate(cert_file: str) -> None:
    """Sets the expiry gauge from a PEM certificate (the first of a chain: the server's own)."""
    with open(cert_file, "rb") as pem:
        expiry = x509.load_pem_x509_certificate(pem.read()).not_valid_after_utc
    TLS_CERTIFICATE_EXPIRY.set(expiry.timestamp())


def exposition() -> bytes:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics() -> Response[bytes]:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
