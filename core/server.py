"""The core's gRPC server: factory apart from the process (`create_server`), `serve()` for `python -m core`."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIServer

import asyncpg
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from core import db, metrics
from core.access import AccessInterceptor
from core.analytics.service import AnalyticsService
from core.analytics.servicer import AnalyticsServicer
from core.audit.auth_failures import AuthFailures
from core.audit.service import AuditService
from core.audit.servicer import AuditServicer
from core.billing.service import BillingService
from core.billing.servicer import BillingServicer
from core.cdrs.service import CdrsService
from core.cdrs.servicer import CdrsServicer
from core.clock import Clock
from core.commands.service import CommandsService
from core.commands.servicer import CommandsServicer
from core.deliveries.retention import DeliveryPurger
from core.deliveries.service import DeliveriesService
from core.deliveries.servicer import DeliveriesServicer
from core.denylist.service import DenylistService
from core.denylist.servicer import DenylistServicer
from core.directory import Directory
from core.events.service import EventsService
from core.events.servicer import EventsServicer
from core.interceptors import DomainErrorInterceptor, ObservabilityInterceptor
from core.locations.service import LocationsService
from core.locations.servicer import LocationsServicer
from core.operators.service import OperatorsService
from core.operators.servicer import OperatorsServicer
from core.parties.auth_changes import AuthChanges
from core.parties.model import Environment
from core.parties.secrets import TokenVault
from core.parties.service import PartiesService, PartyPolicy
from core.parties.servicer import CredentialsServicer, PartiesServicer
from core.qr.service import QrService
from core.qr.servicer import QrServicer
from core.qr.sticker_service import StickersService
from core.routing.service import RoutingService
from core.routing.servicer import RoutingServicer
from core.sessions.service import SessionsService
from core.sessions.servicer import SessionsServicer
from core.settings import Settings
from core.tariffs.service import TariffsService
from core.tariffs.servicer import TariffsServicer
from core.tokens.service import TokensService
from core.tokens.servicer import TokensServicer
from ocpihub.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc
from ocpihub.audit.v1 import audit_service_pb2, audit_service_pb2_grpc
from ocpihub.billing.v1 import billing_service_pb2, billing_service_pb2_grpc
from ocpihub.cdrs.v1 import cdrs_service_pb2, cdrs_service_pb2_grpc
from ocpihub.commands.v1 import commands_service_pb2, commands_service_pb2_grpc
from ocpihub.deliveries.v1 import deliveries_service_pb2, deliveries_service_pb2_grpc
from ocpihub.denylist.v1 import denylist_service_pb2, denylist_service_pb2_grpc
from ocpihub.events.v1 import events_service_pb2, events_service_pb2_grpc
from ocpihub.locations.v1 import locations_service_pb2, locations_service_pb2_grpc
from ocpihub.operators.v1 import operators_service_pb2, operators_service_pb2_grpc
from ocpihub.parties.v1 import parties_service_pb2, parties_service_pb2_grpc
from ocpihub.qr.v1 import qr_service_pb2, qr_service_pb2_grpc
from ocpihub.routing.v1 import routing_service_pb2, routing_service_pb2_grpc
from ocpihub.sessions.v1 import sessions_service_pb2, sessions_service_pb2_grpc
from ocpihub.tariffs.v1 import tariffs_service_pb2, tariffs_service_pb2_grpc
from ocpihub.tokens.v1 import tokens_service_pb2, tokens_service_pb2_grpc

log = logging.getLogger(__name__)

# Health service name the facade checks to report "database reachable".
DATABASE_HEALTH = "postgresql"
_DATABASE_PROBE_SECONDS = 5.0
# Auth failures counted in memory reach their security_events row this often.
_AUTH_FAILURE_FLUSH_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Services:
    """The services whose background work the server runs."""

    deliveries: DeliveriesService
    commands: CommandsService
    auth_failures: AuthFailures
    audit: AuditService
    auth_changes: AuthChanges
    delivery_purger: DeliveryPurger
    events: EventsService


class CoreServer:
    """A started-or-startable grpc.aio server that also owns the database pool and background tasks."""

    def __init__(
        self,
        server: grpc.aio.Server,
        pool: asyncpg.Pool,
        health_servicer: health.aio.HealthServicer,
        services: Services,
        settings: Settings,
        clock: Clock,
        health_server: grpc.aio.Server | None = None,
    ) -> None:
        self.grpc = server
        self._health_server = health_server
        self.clock = clock
        self.auth_failures = services.auth_failures
        self.audit = services.audit
        self.delivery_purger = services.delivery_purger
        # Set once started with a metrics port: where /metrics answers.
        self.metrics_port: int | None = None
        self._pool = pool
        self._health = health_servicer
        self._deliveries = services.deliveries
        # Public for tests: they run a sweep at the simulated time they choose instead of waiting for one.
        self.commands = services.commands
        self._auth_changes = services.auth_changes
        self.events = services.events
        self._settings = settings
        self._metrics_server: WSGIServer | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self._deliveries.start()
        await self._auth_changes.start()
        await self.events.start()
        await self.grpc.start()
        if self._health_server is not None:
            await self._health_server.start()
        settings = self._settings
        self._background(self._watch_database(), "database-probe")
        # Every core replica sweeps; SKIP LOCKED gives each overdue command to one of them.
        self._background(self.commands.run_sweeper(), "command-timeouts")
        self._background(self._flush_auth_failures(), "auth-failure-flush")
        self._background(self.audit.run_purger(settings.audit_purge_interval_seconds), "audit-purge")
        self._background(self.delivery_purger.run(settings.delivery_purge_interval_seconds), "delivery-purge")
        self._background(self.events.run_purger(settings.event_purge_interval_seconds), "event-purge")
        if settings.metrics_port:
            self._metrics_server, self.metrics_port = metrics.serve_metrics(settings.grpc_host, settings.metrics_port)
            if settings.grpc_tls_cert_file:
                metrics.observe_certificate(settings.grpc_tls_cert_file)
            self._background(
                metrics.run_delivery_gauges(self._pool, settings.metrics_refresh_seconds), "delivery-gauges"
            )
            log.info("core serving metrics on %s:%d/metrics", settings.grpc_host, self.metrics_port)

    def _background(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    async def stop(self, grace: float | None = 5.0) -> None:
        await self._health.enter_graceful_shutdown()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # cancelled mid-query, asyncpg may raise its own error: the stop goes on
                log.warning("background task %s ended with %s while stopping", task.get_name(), type(exc).__name__)
        await self.auth_failures.flush(final=True)
        if self._metrics_server is not None:
            await asyncio.to_thread(self._metrics_server.shutdown)
            self._metrics_server.server_close()
        await self._deliveries.close()
        # Ends the watch streams, which would otherwise hold the graceful stop for its whole grace period.
        await self._auth_changes.close()
        await self.events.close()
        await self.grpc.stop(grace)
        if self._health_server is not None:
            await self._health_server.stop(None)
        await self._pool.close()

    async def wait_for_termination(self) -> None:
        await self.grpc.wait_for_termination()

    async def _watch_database(self) -> None:
        while True:
            try:
                async with asyncio.timeout(_DATABASE_PROBE_SECONDS):
                    await self._pool.fetchval("SELECT 1")
                status = health_pb2.HealthCheckResponse.SERVING
            except Exception:  # any failure means "not reachable"; the reason is in the database's own log
                status = health_pb2.HealthCheckResponse.NOT_SERVING
            await self._health.set(DATABASE_HEALTH, status)
            await asyncio.sleep(_DATABASE_PROBE_SECONDS)

    async def _flush_auth_failures(self) -> None:
        while True:
            await asyncio.sleep(_AUTH_FAILURE_FLUSH_SECONDS)
            await self.auth_failures.flush()


async def create_server(settings: Settings, clock: Clock | None = None) -> tuple[CoreServer, int]:
    """Builds the core (pool, migrations, services) and binds its port; port 0 picks a free one."""
    clock = clock or Clock()
    pool = await db.create_pool(settings.database_url, max_size=settings.db_pool_max)
    try:
        await db.migrate(pool)
    except BaseException:
        await pool.close()
        raise
    vault = TokenVault(settings.token_keys)
    auth_changes = AuthChanges(settings.database_url)
    directory = Directory(auth_changes)
    parties = PartiesService(
        pool,
        vault,
        PartyPolicy(
            hub_country_code=settings.hub_country_code,
            hub_party_id=settings.hub_party_id,
            hub_environment=Environment(settings.environment.upper()),
            invite_ttl=settings.invite_ttl,
            rotation_grace=settings.rotation_grace,
            token_max_age=settings.token_max_age,
            rotation_retry=settings.token_rotation_retry,
        ),
        changed=auth_changes.changed,
    )
    deliveries = DeliveriesService(pool, settings.database_url, settings.delivery_patience, clock)
    commands = CommandsService(
        pool, vault, clock, settings.command_response_wait, (settings.hub_country_code, settings.hub_party_id)
    )
    audit = AuditService(pool, settings.audit_retention)
    events = EventsService(pool, settings.database_url, settings.event_retention)
    # so_reuseport=0: a second core on the same port must fail, not silently share the traffic.
    # The observability interceptor is outermost: it sees the status code the others decided, refusals included.
    access = AccessInterceptor(audit.record_admin_action, tls=settings.grpc_tls)
    server = grpc.aio.server(
        interceptors=[ObservabilityInterceptor(), DomainErrorInterceptor(), access],
        options=[("grpc.so_reuseport", 0)],
    )
    parties_service_pb2_grpc.add_PartiesServiceServicer_to_server(PartiesServicer(parties), server)
    parties_service_pb2_grpc.add_CredentialsServiceServicer_to_server(
        CredentialsServicer(parties, auth_changes), server
    )
    routing_service_pb2_grpc.add_RoutingServiceServicer_to_server(RoutingServicer(RoutingService(pool, vault)), server)
    locations_service_pb2_grpc.add_LocationsServiceServicer_to_server(
        LocationsServicer(LocationsService(pool, directory)), server
    )
    tariffs_service_pb2_grpc.add_TariffsServiceServicer_to_server(
        TariffsServicer(TariffsService(pool, directory)), server
    )
    sessions_service_pb2_grpc.add_SessionsServiceServicer_to_server(
        SessionsServicer(SessionsService(pool, directory)), server
    )
    tokens_service_pb2_grpc.add_TokensServiceServicer_to_server(TokensServicer(TokensService(pool, directory)), server)
    analytics_service_pb2_grpc.add_AnalyticsServiceServicer_to_server(
        AnalyticsServicer(AnalyticsService(pool), settings.time_zone), server
    )
    billing_service_pb2_grpc.add_BillingServiceServicer_to_server(
        BillingServicer(
            BillingService(
                pool,
                f"{settings.hub_country_code}/{settings.hub_party_id}",
                settings.revenue_share,
                settings.time_zone,
                settings.fee_vat_percent,
            )
        ),
        server,
    )
    cdrs_service_pb2_grpc.add_CdrsServiceServicer_to_server(
        CdrsServicer(CdrsService(pool, directory, settings.cdr_mismatch_policy, clock)), server
    )
    deliveries_service_pb2_grpc.add_DeliveriesServiceServicer_to_server(DeliveriesServicer(deliveries, vault), server)
    commands_service_pb2_grpc.add_CommandsServiceServicer_to_server(CommandsServicer(commands), server)
    audit_service_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(audit), server)
    denylist_service_pb2_grpc.add_DenylistServiceServicer_to_server(DenylistServicer(DenylistService(pool)), server)
    operators_service_pb2_grpc.add_OperatorsServiceServicer_to_server(OperatorsServicer(OperatorsService(pool)), server)
    events_service_pb2_grpc.add_EventsServiceServicer_to_server(EventsServicer(events), server)
    qr = QrService(pool, vault, settings.hub_country_code, settings.qr_api_deadline, settings.qr_hosts)
    qr_service_pb2_grpc.add_QrServiceServicer_to_server(QrServicer(qr, StickersService(pool)), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    services = [
        service.full_name
        for module in (
            parties_service_pb2,
            routing_service_pb2,
            locations_service_pb2,
            tariffs_service_pb2,
            sessions_service_pb2,
            cdrs_service_pb2,
            billing_service_pb2,
            analytics_service_pb2,
            tokens_service_pb2,
            deliveries_service_pb2,
            commands_service_pb2,
            qr_service_pb2,
            audit_service_pb2,
            denylist_service_pb2,
            operators_service_pb2,
            events_service_pb2,
        )
        for service in module.DESCRIPTOR.services_by_name.values()
    ]
    for name in ["", *services]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    await health_servicer.set(DATABASE_HEALTH, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection([*services, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    try:
        port = _bind(server, settings)
        health_server = _health_only_server(health_servicer, settings)
    except SystemExit:
        await pool.close()
        raise
    purger = DeliveryPurger(pool, settings.delivery_retention)
    background = Services(deliveries, commands, parties.auth_failures, audit, auth_changes, purger, events)
    return CoreServer(server, pool, health_servicer, background, settings, clock, health_server), port


def _bind(server: grpc.aio.Server, settings: Settings) -> int:
    """Mutual TLS when configured (a caller without a certificate from the client CA cannot connect), else plain."""
    address = f"{settings.grpc_host}:{settings.grpc_port}"
    try:
        if not settings.grpc_tls:
            log.warning(
                "the core's port %s is plain text: anyone who reaches it is an operator (sandbox only)", address
            )
            return server.add_insecure_port(address)
        credentials = grpc.ssl_server_credentials(
            [(_read(settings.grpc_tls_key_file), _read(settings.grpc_tls_cert_file))],
            root_certificates=_read(settings.grpc_client_ca_file),
            require_client_auth=True,
        )
        return server.add_secure_port(address, credentials)
    except (RuntimeError, OSError) as exc:
        raise SystemExit(f"cannot bind the core's gRPC port {address}: {exc}") from exc


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _health_only_server(health_servicer: health.aio.HealthServicer, settings: Settings) -> grpc.aio.Server | None:
    """The gRPC health service alone, in plain text, so probes need no client certificate."""
    if not settings.grpc_health_port:
        return None
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"{settings.grpc_host}:{settings.grpc_health_port}"
    try:
        server.add_insecure_port(address)
    except RuntimeError as exc:
        raise SystemExit(f"cannot bind the core's health port {address}: {exc}") from exc
    return server


async def serve(settings: Settings) -> None:
    core, port = await create_server(settings)
    await core.start()
    log.info(
        "core serving gRPC on %s:%d (%s, %s)",
        settings.grpc_host,
        port,
        settings.environment,
        "mutual TLS" if settings.grpc_tls else "plain text",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("core shutting down")
    await core.stop(grace=5.0)
