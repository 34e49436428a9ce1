"""The core's settings, read once from the environment (HUB_* variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.billing.settlement import DEFAULT_SHARE, Share
from core.qr.uri import hub_hosts

SANDBOX = "sandbox"
PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    environment: str = SANDBOX
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    redis_url: str | None = None
    hub_country_code: str = "VN"
    hub_party_id: str = "HUB"
    # Fernet keys that encrypt the tokens the Hub presents to parties (TOKEN_B). The first encrypts; all decrypt,
    # so a key can be rotated in by putting the new one first.
    token_keys: tuple[str, ...] = ()
    invite_ttl: timedelta = timedelta(days=7)
    # How long a TOKEN_C keeps working after the platform rotated it (the seed's 24 h).
    rotation_grace: timedelta = timedelta(hours=24)
    # The Hub rotates a TOKEN_C it issued this long ago (PUT to the party's credentials endpoint; 90 days).
    token_max_age: timedelta = timedelta(days=90)
    # A failed rotation is tried again after this long, doubling per failure up to a day.
    token_rotation_retry: timedelta = timedelta(minutes=5)
    db_pool_max: int = 10
    # A CDR whose cost does not follow from its tariff: "accept" (kept, flagged for operators) or "reject" (2001).
    cdr_mismatch_policy: str = "accept"
    # Shares of each CDR's Hub-priced total: CPO / eMSP / Hub percent (R11.2).
    revenue_share: Share = DEFAULT_SHARE
    # Settlement periods are cut at midnight in this zone (HUB_TIME_ZONE); a run may name another.
    time_zone: str = "Asia/Ho_Chi_Minh"
    # VAT the Hub charges on its fee where no agreement says otherwise (HUB_FEE_VAT_PERCENT; Viet Nam's standard 10 %).
    fee_vat_percent: Decimal = Decimal(10)
    # How long a relayed command may wait for the CPO's synchronous answer before its requester is sent TIMEOUT.
    command_response_wait: timedelta = timedelta(seconds=120)
    # How long a delivery to a failing party keeps being retried (slowly, after 5 quick attempts) before it is dead.
    delivery_patience: timedelta = timedelta(hours=24)
    # How long a QR resolve waits for a CPO's mapping API before falling back to what the Hub has cached.
    qr_api_deadline: timedelta = timedelta(seconds=2)
    # Hosts whose https://{host}/charge?… codes are the Hub's (HUB_QR_HOSTS; default the host of HUB_PUBLIC_URL).
    qr_hosts: frozenset[str] = frozenset({"127.0.0.1"})
    # Prometheus /metrics of the core on this port (on grpc_host); 0: no metrics server.
    metrics_port: int = 0
    # How often the delivery queue gauges are read from the database (only while the metrics server runs).
    metrics_refresh_seconds: float = 5.0
    # Security and credential events older than this are purged (R10.5: 365 days).
    audit_retention: timedelta = timedelta(days=365)
    # How often a replica purges the audit logs.
    audit_purge_interval_seconds: float = 3600.0
    # Delivered outbox rows older than this (since delivery) are purged; dead letters stay until re-driven.
    delivery_retention: timedelta = timedelta(days=7)
    # How often a replica purges delivered outbox rows (each purge deletes in small batches until none is due).
    delivery_purge_interval_seconds: float = 300.0
    # Events of the stream older than this are purged (HUB_EVENT_RETENTION_SECONDS), by every replica this often.
    event_retention: timedelta = timedelta(days=7)
    event_purge_interval_seconds: float = 300.0
    # Mutual TLS on the gRPC port (core/access.py): the core's pair and the CA its callers' certificates must chain to.
    # Production refuses to start without them; a sandbox without them serves plain text to anyone who can reach it.
    grpc_tls_cert_file: str = ""
    grpc_tls_key_file: str = ""
    grpc_client_ca_file: str = ""
    # The gRPC health service alone, in plain text, for probes (0: not served).
    grpc_health_port: int = 0

    @property
    def grpc_tls(self) -> bool:
        return bool(self.grpc_tls_cert_file)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        database_url = environ.get("HUB_DATABASE_URL")
        if not database_url:
            raise SystemExit("HUB_DATABASE_URL is not set (make run starts an embedded PostgreSQL and sets it)")
        environment = environ.get("HUB_ENV", SANDBOX)
        if environment not in (SANDBOX, PRODUCTION):
            raise SystemExit(f"HUB_ENV must be {SANDBOX!r} or {PRODUCTION!r}, not {environment!r}")
        tls_names = ("HUB_GRPC_TLS_CERT_FILE", "HUB_GRPC_TLS_KEY_FILE", "HUB_GRPC_CLIENT_CA_FILE")
        tls_files = [environ.get(name, "") for name in tls_names]
        if any(tls_files) and not all(tls_files):
            raise SystemExit("HUB_GRPC_TLS_CERT_FILE, HUB_GRPC_TLS_KEY_FILE and HUB_GRPC_CLIENT_CA_FILE go together")
        if environment == PRODUCTION and not all(tls_files):
            raise SystemExit(
                "a production core serves mutual TLS only: set HUB_GRPC_TLS_CERT_FILE, HUB_GRPC_TLS_KEY_FILE and "
                "HUB_GRPC_CLIENT_CA_FILE (README: Operations)"
            )
        keys = tuple(k.strip() for k in environ.get("HUB_TOKEN_KEYS", "").split(",") if k.strip())
        if not keys:
            raise SystemExit("HUB_TOKEN_KEYS is not set: one or more Fernet keys, comma-separated, newest first")
        return cls(
            database_url=database_url,
            environment=environment,
            grpc_host=environ.get("HUB_GRPC_HOST", "127.0.0.1"),
            grpc_port=int(environ.get("HUB_GRPC_PORT", "50051")),
            redis_url=environ.get("HUB_REDIS_URL") or None,
            hub_country_code=environ.get("HUB_COUNTRY_CODE", "VN").upper(),
            hub_party_id=environ.get("HUB_PARTY_ID", "HUB").upper(),
            token_keys=keys,
            invite_ttl=timedelta(seconds=float(environ.get("HUB_INVITE_TTL_SECONDS", 7 * 86400))),
            rotation_grace=timedelta(seconds=float(environ.get("HUB_TOKEN_GRACE_SECONDS", 86400))),
            token_max_age=timedelta(seconds=float(environ.get("HUB_TOKEN_MAX_AGE_SECONDS", 7_776_000))),
            token_rotation_retry=timedelta(seconds=float(environ.get("HUB_TOKEN_ROTATION_RETRY_SECONDS", 300))),
            db_pool_max=int(environ.get("HUB_DB_POOL_MAX", "10")),
            cdr_mismatch_policy=_choice(environ, "HUB_CDR_MISMATCH_POLICY", ("accept", "reject")),
            revenue_share=_share(environ.get("HUB_REVENUE_SHARE", "70,20,10")),
            time_zone=_time_zone(environ.get("HUB_TIME_ZONE", "Asia/Ho_Chi_Minh")),
            fee_vat_percent=_percent("HUB_FEE_VAT_PERCENT", environ.get("HUB_FEE_VAT_PERCENT", "10")),
            command_response_wait=timedelta(seconds=float(environ.get("HUB_COMMAND_RESPONSE_WAIT_SECONDS", 120))),
            delivery_patience=timedelta(seconds=float(environ.get("HUB_DELIVERY_PATIENCE_SECONDS", 86400))),
            qr_api_deadline=timedelta(seconds=float(environ.get("HUB_QR_API_DEADLINE_SECONDS", 2))),
            qr_hosts=_qr_hosts(environ),
            metrics_port=int(environ.get("HUB_CORE_METRICS_PORT", "9464")),
            audit_retention=timedelta(days=float(environ.get("HUB_AUDIT_RETENTION_DAYS", 365))),
            delivery_retention=timedelta(seconds=float(environ.get("HUB_DELIVERY_RETENTION_SECONDS", 7 * 86400))),
            event_retention=timedelta(seconds=float(environ.get("HUB_EVENT_RETENTION_SECONDS", 7 * 86400))),
            grpc_tls_cert_file=tls_files[0],
            grpc_tls_key_file=tls_files[1],
            grpc_client_ca_file=tls_files[2],
            grpc_health_port=int(environ.get("HUB_GRPC_HEALTH_PORT", "50052")),
        )


def log_format(environ: Mapping[str, str] = os.environ) -> str:
    """HUB_LOG_FORMAT: json (one object per line, the production default) or text (the sandbox default)."""
    default = "json" if environ.get("HUB_ENV", SANDBOX) == PRODUCTION else "text"
    value = environ.get("HUB_LOG_FORMAT", default)
    if value not in ("json", "text"):
        raise SystemExit(f"HUB_LOG_FORMAT must be json or text, not {value!r}")
    return value


def _qr_hosts(environ: Mapping[str, str]) -> frozenset[str]:
    setting = environ.get("HUB_QR_HOSTS", "").strip()
    if not setting:
        # The facade's default public URL is on 127.0.0.1 (any port): the host the Hub's own codes then carry.
        setting = urlsplit(environ.get("HUB_PUBLIC_URL", "http://127.0.0.1:8080")).hostname or ""
    try:
        return hub_hosts(setting)
    except ValueError:
        raise SystemExit(f"HUB_QR_HOSTS must name the hosts of the Hub's https QR codes, not {setting!r}") from None


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = environ.get(name, allowed[0])
    if value not in allowed:
        raise SystemExit(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"HUB_TIME_ZONE must be an IANA time zone like Asia/Ho_Chi_Minh, not {value!r}") from None
    return value


def _percent(name: str, value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or not 0 <= number <= 100:
        raise SystemExit(f"{name} must be a percent from 0 to 100, not {value!r}")
    return number


def _share(value: str) -> Share:
    try:
        cpo, emsp, hub = (Decimal(part) for part in value.split(","))
        return Share(cpo, emsp, hub)
    except (InvalidOperation, ValueError):
        raise SystemExit(f"HUB_REVENUE_SHARE must be CPO,EMSP,HUB percents adding up to 100, not {value!r}") from None
