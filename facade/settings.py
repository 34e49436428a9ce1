"""The facade's settings, read once from the environment (HUB_* variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

SANDBOX = "sandbox"
PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str = SANDBOX
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    core_address: str = "127.0.0.1:50051"
    # What the Hub advertises to parties (versions URL, endpoint URLs): the address they reach us at.
    public_url: str = "http://127.0.0.1:8080"
    redis_url: str | None = None
    hub_country_code: str = "VN"
    hub_party_id: str = "HUB"
    hub_name: str = "OCPI Hub"
    hub_website: str | None = None
    # Calls to parties (handshake, deliveries) give up after this long.
    peer_timeout_seconds: float = 10.0
    workers: int = 1
    # Most objects one page of a GET list returns (OCPI X-Limit).
    page_limit: int = 100
    # Delivery workers in this process (0: this replica only serves HTTP).
    delivery_workers: int = 2
    # QR resolve requests per caller per second (seed: at least 100); 0 turns the limit off.
    qr_rate_limit: int = 200
    # A platform silent this long gets a still-alive check (GET versions); OCPI suggests 5 minutes. 0: no checks
    # from this replica.
    alive_check_seconds: float = 300.0
    # How often this replica asks the core for due still-alive checks.
    alive_check_interval_seconds: float = 30.0
    # Log lines: "json" (one object per line; the production default) or "text" (the sandbox default).
    log_format: str = "text"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        environment = environ.get("HUB_ENV", SANDBOX)
        if environment not in (SANDBOX, PRODUCTION):
            raise SystemExit(f"HUB_ENV must be {SANDBOX!r} or {PRODUCTION!r}, not {environment!r}")
        port = int(environ.get("HUB_HTTP_PORT", "8080"))
        return cls(
            environment=environment,
            http_host=environ.get("HUB_HTTP_HOST", "127.0.0.1"),
            http_port=port,
            core_address=environ.get("HUB_CORE_ADDRESS", f"127.0.0.1:{environ.get('HUB_GRPC_PORT', '50051')}"),
            public_url=environ.get("HUB_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            redis_url=environ.get("HUB_REDIS_URL") or None,
            hub_country_code=environ.get("HUB_COUNTRY_CODE", "VN").upper(),
            hub_party_id=environ.get("HUB_PARTY_ID", "HUB").upper(),
            hub_name=environ.get("HUB_NAME", "OCPI Hub"),
            hub_website=environ.get("HUB_WEBSITE") or None,
            peer_timeout_seconds=float(environ.get("HUB_PEER_TIMEOUT_SECONDS", "10")),
            workers=int(environ.get("HUB_HTTP_WORKERS", "1")),
            page_limit=int(environ.get("HUB_PAGE_LIMIT", "100")),
            delivery_workers=int(environ.get("HUB_DELIVERY_WORKERS", "2")),
            qr_rate_limit=int(environ.get("HUB_QR_RATE_LIMIT", "200")),
            alive_check_seconds=float(environ.get("HUB_ALIVE_CHECK_SECONDS", "300")),
            alive_check_interval_seconds=float(environ.get("HUB_ALIVE_CHECK_INTERVAL_SECONDS", "30")),
            log_format=_log_format(environ, environment),
        )


def _log_format(environ: Mapping[str, str], environment: str) -> str:
    value = environ.get("HUB_LOG_FORMAT", "json" if environment == PRODUCTION else "text")
    if value not in ("json", "text"):
        raise SystemExit(f"HUB_LOG_FORMAT must be json or text, not {value!r}")
    return value
