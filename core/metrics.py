"""The core's Prometheus metrics, served on HUB_CORE_METRICS_PORT by prometheus_client's own HTTP thread.

Counters are counted where the core stores what they count (each replica its own; sum them in PromQL). The queue
gauges describe the shared database, so they are read from it: an asyncio task refreshes them every few seconds and
a scrape only reads the cached values (the HTTP thread never touches the event loop or the pool).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from wsgiref.simple_server import WSGIServer

import asyncpg
from cryptography import x509
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from core.deliveries.repository import DeliveryRepository
from core.errors import RuleViolation
from core.parties.model import PartyKey
from core.parties.repository import PartyRepository
from core.sessions.rules import Flags
from ocpihub.sessions.v1 import sessions_pb2 as pb

log = logging.getLogger(__name__)

GRPC_DURATION = Histogram(
    "ocpihub_grpc_server_duration_seconds",
    "Time the core took to answer an RPC, by method and gRPC status code.",
    ["method", "code"],
)
DELIVERY_QUEUE_DEPTH = Gauge(
    "ocpihub_delivery_queue_depth",
    "Deliveries in the outbox by state (PENDING: to send; DEAD: dead letters).",
    ["state"],
)
DELIVERY_LAG = Gauge("ocpihub_delivery_lag_seconds", "Age of the oldest pending delivery (0 when none is pending).")
DELIVERY_RETRIES = Counter("ocpihub_delivery_retries_total", "Delivery attempts that failed and were rescheduled.")
DELIVERY_DEAD_LETTERS = Counter("ocpihub_delivery_dead_letters_total", "Deliveries given up on (dead letters).")
DELIVERY_PURGED = Counter(
    "ocpihub_delivery_purged_total", "Delivered deliveries deleted past HUB_DELIVERY_RETENTION_SECONDS."
)
# A minute to a day: a fast top-up to a car left overnight.
SESSION_DURATION = Histogram(
    "ocpihub_session_duration_seconds",
    "Duration of charging sessions (end_date_time - start_date_time), observed once when a session becomes COMPLETED.",
    buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400),
)
SESSIONS_CREATED = Counter("ocpihub_sessions_created_total", "Charging sessions the core stored for the first time.")
CDRS_STORED = Counter("ocpihub_cdrs_stored_total", "CDRs the core stored.")
ENERGY = Counter("ocpihub_energy_kwh_total", "Energy charged, kWh: the total_energy of every CDR stored.")
REVENUE = Counter(
    "ocpihub_revenue_total",
    "Charged amounts excl. VAT: the total_cost of every CDR stored, per currency.",
    ["currency"],
)
RULE_VIOLATIONS = Counter(
    "ocpihub_rule_violations_total",
    "Writes refused for breaking a data rule (2001), by the sending party (CC/PID) and rule: who sends bad data.",
    ["party", "rule"],
)
RULE_FLAGS = Counter(
    "ocpihub_rule_flags_total",
    "Writes accepted but flagged (what OCPI allows and the Hub's rules narrow), by the sending party and flag.",
    ["party", "flag"],
)
PARTY_OFFLINE = Gauge(
    "ocpihub_party_offline",
    "1 per registered party (CC/PID, role) whose platform failed the still-alive check and is unreachable since.",
    ["party", "role"],
)
TLS_CERTIFICATE_EXPIRY = Gauge(
    # Its own name, not a label of one shared gauge: tests run core and facade in one process (one registry).
    "ocpihub_grpc_certificate_expiry_timestamp_seconds",
    "When the core's own gRPC TLS certificate expires, seconds since the epoch (alert 14 days before).",
)
SECURITY_EVENTS = Counter(
    "ocpihub_security_events_total", "Security events (auth failures, suspensions, rotations) by kind.", ["kind"]
)

# A slow database leaves the gauges at their last values rather than piling up queries.
_QUERY_SECONDS = 2.0


def _party(owner: PartyKey) -> str:
    return f"{owner.country_code}/{owner.party_id}"


def count_rules(owner: PartyKey, check: Callable[[], Flags]) -> Flags:
    """Runs the data rules on `owner`'s write and returns its flags; a violation is counted against the owner (so the
    operator sees which CPO sends bad data) and raised."""
    try:
        return check()
    except RuleViolation as exc:
        RULE_VIOLATIONS.labels(_party(owner), exc.rule).inc()
        raise


def count_flags(owner: PartyKey, flags: Flags) -> None:
    """Counted once the flagged write is stored."""
    for flag in flags.flags:
        RULE_FLAGS.labels(_party(owner), flag).inc()


def count_cdr(total_energy: str, currency: str, total_cost_excl_vat: str) -> None:
    CDRS_STORED.inc()
    try:
        energy, cost = Decimal(total_energy or "0"), Decimal(total_cost_excl_vat or "0")
    except InvalidOperation:  # validated before storing; a metric never fails a write
        return
    ENERGY.inc(float(energy))
    if currency:
        REVENUE.labels(currency.upper()).inc(float(cost))


def observe_session_end(before: pb.Session | None, after: pb.Session) -> None:
    """Counts a session's length once: on the write that makes it COMPLETED with both its times known."""
    ended = after.status == pb.SESSION_STATUS_COMPLETED and (
        before is None or before.status != pb.SESSION_STATUS_COMPLETED
    )
    if ended and after.HasField("start_date_time") and after.HasField("end_date_time"):
        seconds = after.end_date_time.ToSeconds() - after.start_date_time.ToSeconds()
        if seconds >= 0:  # a CPO's clock going backwards is no length worth a bucket
            SESSION_DURATION.observe(seconds)


def observe_certificate(cert_file: str) -> None:
    """Sets the expiry gauge from a PEM certificate (the first of a chain: the server's own)."""
    with open(cert_file, "rb") as pem:
        expiry = x509.load_pem_x509_certificate(pem.read()).not_valid_after_utc
    TLS_CERTIFICATE_EXPIRY.set(expiry.timestamp())


async def refresh_delivery_gauges(pool: asyncpg.Pool) -> None:
    async with asyncio.timeout(_QUERY_SECONDS), pool.acquire() as conn:
        queue = await DeliveryRepository(conn).queue_figures()
    DELIVERY_QUEUE_DEPTH.labels("PENDING").set(queue.pending)
    DELIVERY_QUEUE_DEPTH.labels("DEAD").set(queue.dead)
    DELIVERY_LAG.set(queue.oldest_pending_age.total_seconds())
    async with asyncio.timeout(_QUERY_SECONDS), pool.acquire() as conn:
        offline = await PartyRepository(conn).offline_parties()
    PARTY_OFFLINE.clear()  # a party back online leaves the gauge, not a stale 1
    for country_code, party_id, role in offline:
        PARTY_OFFLINE.labels(f"{country_code}/{party_id}", role).set(1)


async def run_delivery_gauges(pool: asyncpg.Pool, interval: float) -> None:
    while True:
        try:
            await refresh_delivery_gauges(pool)
        except Exception as exc:  # the gauges keep their last values; the next round tries again
            log.warning("cannot refresh the delivery queue gauges: %s", type(exc).__name__)
        await asyncio.sleep(interval)


def serve_metrics(host: str, port: int) -> tuple[WSGIServer, int]:
    """Starts the /metrics HTTP thread; port 0 picks a free port. Returns the server (for shutdown) and its port."""
    server, _ = start_http_server(port, addr=host)
    return server, server.server_port
