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
    # How long a leased delivery is this replica's; a replica that dies mid-send loses its leases after this long and
    # another sends them. Longer than the peer timeout, or a slow send would go out twice.
    delivery_lease_seconds: float = 60.0
    # Refused tokens per minute per client address before its unknown tokens get 429 (0: no limit).
    refused_tokens_per_minute: int = 30
    # How long a token check is reused (facade/ocpi/auth_cache.py); 0: ask the core on every request.
    auth_cache_seconds: float = 30.0
    # Requests per second per party and module (token bucket refill), unless the party has its own limits
    # (`hubctl party limits`); 0 turns the default off. Seed §5.6.9 asks for at least 100 req/s per key in bursts.
    rate_limit_per_second: int = 100
    # Requests per party and module that may come at once after a quiet spell (bucket size).
    rate_limit_burst: int = 200
    # QR resolve requests per party per second, one second's worth at once (seed: at least 100); 0 turns it off.
    qr_rate_limit: int = 200
    # A platform silent this long gets a still-alive check (GET versions); OCPI suggests 5 minutes. 0: no checks
    # from this replica.
    alive_check_seconds: float = 300.0
    # How often this replica asks the core for due still-alive checks.
    alive_check_interval_seconds: float = 30.0
    # How often this replica asks the core for commands the Hub issued (hubctl commands …) to send; 0: never.
    issued_command_interval_seconds: float = 1.0
    # How often this replica asks the core for due rotations of the Hub's credentials (the core decides which are due:
    # HUB_TOKEN_MAX_AGE_SECONDS); 0: none from this replica.
    token_rotation_interval_seconds: float = 60.0
    # HTTPS: a PEM certificate (chain) and its key; or, in the sandbox only, a self-signed pair kept in
    # <data_dir>/tls. Production without either is allowed only when a proxy in front terminates TLS.
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    tls_self_signed: bool = False
    tls_terminated_by_proxy: bool = False
    # Parties' HTTPS certificates must chain to these CAs (PEM) instead of the system's and certifi's: a private PKI.
    peer_ca_file: str | None = None
    data_dir: str = ".hub"

    @property
    def serves_tls(self) -> bool:
        return self.tls_cert_file is not None or self.tls_self_signed

    # Log lines: "json" (one object per line; the production default) or "text" (the sandbox default).
    log_format: str = "text"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        environment = environ.get("HUB_ENV", SANDBOX)
        if environment not in (SANDBOX, PRODUCTION):
            raise SystemExit(f"HUB_ENV must be {SANDBOX!r} or {PRODUCTION!r}, not {environment!r}")
        port = int(environ.get("HUB_HTTP_PORT", "8080"))
        tls_cert_file = environ.get("HUB_TLS_CERT_FILE") or None
        tls_self_signed = _flag(environ, "HUB_TLS_SELF_SIGNED")
        scheme = "https" if tls_cert_file or tls_self_signed else "http"
        settings = cls(
            environment=environment,
            http_host=environ.get("HUB_HTTP_HOST", "127.0.0.1"),
            http_port=port,
            core_address=environ.get("HUB_CORE_ADDRESS", f"127.0.0.1:{environ.get('HUB_GRPC_PORT', '50051')}"),
            public_url=environ.get("HUB_PUBLIC_URL", f"{scheme}://127.0.0.1:{port}").rstrip("/"),
            redis_url=environ.get("HUB_REDIS_URL") or None,
            hub_country_code=environ.get("HUB_COUNTRY_CODE", "VN").upper(),
            hub_party_id=environ.get("HUB_PARTY_ID", "HUB").upper(),
            hub_name=environ.get("HUB_NAME", "OCPI Hub"),
            hub_website=environ.get("HUB_WEBSITE") or None,
            peer_timeout_seconds=float(environ.get("HUB_PEER_TIMEOUT_SECONDS", "10")),
            workers=int(environ.get("HUB_HTTP_WORKERS", "1")),
            page_limit=int(environ.get("HUB_PAGE_LIMIT", "100")),
            delivery_workers=int(environ.get("HUB_DELIVERY_WORKERS", "2")),
            auth_cache_seconds=float(environ.get("HUB_AUTH_CACHE_SECONDS", "30")),
            refused_tokens_per_minute=int(environ.get("HUB_REFUSED_TOKENS_PER_MINUTE", "30")),
            rate_limit_per_second=int(environ.get("HUB_RATE_LIMIT_PER_SECOND", "100")),
            rate_limit_burst=int(environ.get("HUB_RATE_LIMIT_BURST", "200")),
            qr_rate_limit=int(environ.get("HUB_QR_RATE_LIMIT", "200")),
            delivery_lease_seconds=float(environ.get("HUB_DELIVERY_LEASE_SECONDS", "60")),
            alive_check_seconds=float(environ.get("HUB_ALIVE_CHECK_SECONDS", "300")),
            alive_check_interval_seconds=float(environ.get("HUB_ALIVE_CHECK_INTERVAL_SECONDS", "30")),
            issued_command_interval_seconds=float(environ.get("HUB_ISSUED_COMMAND_INTERVAL_SECONDS", "1")),
            token_rotation_interval_seconds=float(environ.get("HUB_TOKEN_ROTATION_INTERVAL_SECONDS", "60")),
            tls_cert_file=tls_cert_file,
            tls_key_file=environ.get("HUB_TLS_KEY_FILE") or None,
            peer_ca_file=environ.get("HUB_PEER_CA_FILE") or None,
            tls_self_signed=tls_self_signed,
            tls_terminated_by_proxy=_flag(environ, "HUB_TLS_TERMINATED_BY_PROXY"),
            data_dir=environ.get("HUB_DATA_DIR", ".hub"),
            log_format=_log_format(environ, environment),
        )
        if environment == PRODUCTION and not environ.get("HUB_PUBLIC_URL"):
            # The default (127.0.0.1) would be advertised to parties that can never reach it.
            raise SystemExit("HUB_PUBLIC_URL must be set in production: the https address parties reach the Hub at")
        _check_tls(settings)
        return settings


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in ("1", "true", "yes")


def _check_tls(settings: Settings) -> None:
    """Refuses to start rather than serve or advertise plain HTTP where parties' tokens would cross the network."""
    if (settings.tls_cert_file is None) != (settings.tls_key_file is None):
        raise SystemExit("HUB_TLS_CERT_FILE and HUB_TLS_KEY_FILE go together: set both (PEM files) or neither")
    if settings.tls_cert_file and settings.tls_self_signed:
        raise SystemExit("HUB_TLS_SELF_SIGNED=1 and HUB_TLS_CERT_FILE exclude each other: choose one")
    if settings.environment != PRODUCTION:
        return
    if settings.tls_self_signed:
        raise SystemExit("HUB_TLS_SELF_SIGNED is for the sandbox: production needs a certificate parties can verify")
    if not settings.tls_cert_file and not settings.tls_terminated_by_proxy:
        raise SystemExit(
            "production serves HTTPS only: set HUB_TLS_CERT_FILE and HUB_TLS_KEY_FILE (PEM), "
            "or HUB_TLS_TERMINATED_BY_PROXY=1 when a proxy in front of the Hub terminates TLS"
        )
    if not settings.public_url.lower().startswith("https://"):
        raise SystemExit(
            f"HUB_PUBLIC_URL must be https in production (parties reach the Hub over TLS only), "
            f"not {settings.public_url!r}"
        )


def _log_format(environ: Mapping[str, str], environment: str) -> str:
    value = environ.get("HUB_LOG_FORMAT", "json" if environment == PRODUCTION else "text")
    if value not in ("json", "text"):
        raise SystemExit(f"HUB_LOG_FORMAT must be json or text, not {value!r}")
    return value
