"""The Litestar application: OCPI routes under /ocpi (OCPI envelopes), /health, /ready, /metrics and OpenAPI."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

import httpx
import redis.asyncio as redis
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from facade import tls
from facade.cdrs.routes import CdrsReceiver, CdrsSender
from facade.chargingprofiles.routes import ChargingProfilesReceiver, ChargingProfilesSender
from facade.commands.issued import IssuedCommandSender
from facade.commands.routes import CommandsReceiver, CommandsSender
from facade.credentials.rotation import CredentialsRotator
from facade.credentials.routes import CredentialsController
from facade.health import health, ready
from facade.hubclientinfo.alive import AliveChecker
from facade.hubclientinfo.routes import HubClientInfoController
from facade.limits.denylist import Denylist
from facade.limits.guard import RateLimits
from facade.limits.policy import Defaults
from facade.limits.token_bucket import TokenBuckets
from facade.locations.routes import LocationsReceiver, LocationsSender
from facade.metrics import metrics, metrics_middleware, observe_certificate
from facade.ocpi.auth_cache import AuthCache
from facade.ocpi.errors import OCPI_EXCEPTION_HANDLERS, http_exception_handler
from facade.ocpi.request_ids import request_ids_middleware
from facade.peers.client import PeerClient
from facade.qr.routes import charge_page, qr_resolve
from facade.relay.deliveries import DeliveryWorker
from facade.relay.push import delivery_lease, hub_party
from facade.sessions.routes import SessionsReceiver, SessionsSender
from facade.settings import Settings
from facade.tariffs.routes import TariffsReceiver, TariffsSender
from facade.tokens.routes import TokensReceiver, TokensSender
from facade.versions.routes import versions_router
from hubclient import HubClient


def alive_checker(settings: Settings, hub: HubClient, peers: PeerClient) -> AliveChecker | None:
    if settings.alive_check_seconds <= 0:
        return None
    return AliveChecker(
        hub,
        peers,
        quiet_period=timedelta(seconds=settings.alive_check_seconds),
        interval=settings.alive_check_interval_seconds,
    )


def rate_limits(settings: Settings, cache: redis.Redis | None) -> RateLimits:
    defaults = Defaults(settings.rate_limit_per_second, settings.rate_limit_burst, settings.qr_rate_limit)
    return RateLimits(TokenBuckets(cache), defaults, settings.refused_tokens_per_minute)


# Outbound connections per pool: calls made while a partner waits (commands, authorization, handshakes), and each
# delivery worker's sends.
_INTERACTIVE_CONNECTIONS = 64
DELIVERY_CONNECTIONS = 16


def peer_http(timeout: httpx.Timeout, connections: int, verify: ssl.SSLContext) -> httpx.AsyncClient:
    # Idle connections to parties are dropped before common keep-alive timeouts (uvicorn's 5 s) would close them
    # under a request: a relayed command cannot be retried blindly.
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2.0)
    return httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False, verify=verify)


def create_app(settings: Settings, hub: HubClient | None = None) -> Litestar:
    """`hub` lets tests share a client; otherwise the app connects to settings.core_address and owns the client."""
    if settings.tls_cert_file:  # a self-signed sandbox pair or a proxy's certificate is not the facade's to watch
        observe_certificate(settings.tls_cert_file)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        client = hub or HubClient(settings.core_address)
        timeout = httpx.Timeout(settings.peer_timeout_seconds, connect=min(5.0, settings.peer_timeout_seconds))
        cache = redis.from_url(settings.redis_url) if settings.redis_url else None
        async with AsyncExitStack() as clients:
            verify = tls.peer_context(settings.peer_ca_file)
            http = await clients.enter_async_context(peer_http(timeout, _INTERACTIVE_CONNECTIONS, verify))

            def peer_client(connections: int) -> PeerClient:
                peers = PeerClient(http, connections=connections, tls=verify)
                clients.push_async_callback(peers.close)
                return peers

            app.state.hub = client
            app.state.peers = peer_client(_INTERACTIVE_CONNECTIONS)
            app.state.redis = cache
            app.state.qr_http = http
            app.state.rate_limits = rate_limits(settings, cache)
            app.state.auth_cache = AuthCache(settings.auth_cache_seconds)
            workers = [
                DeliveryWorker(
                    client,
                    # Each worker its own connection pool, so one busy worker never queues another's sends.
                    peer_client(DELIVERY_CONNECTIONS),
                    hub_party(settings),
                    lease=delivery_lease(settings),
                    batch=DELIVERY_CONNECTIONS * 2,
                )
                for _ in range(settings.delivery_workers)
            ]
            tasks = [asyncio.create_task(worker.run(), name="delivery-worker") for worker in workers]
            # The watch runs even with caching off (HUB_AUTH_CACHE_SECONDS=0): the denylist follows it too.
            app.state.denylist = Denylist()
            watches = [
                asyncio.create_task(app.state.auth_cache.follow(client), name="auth-watch"),
                asyncio.create_task(app.state.denylist.follow(client, app.state.auth_cache), name="denylist"),
            ]
            checker = alive_checker(settings, client, app.state.peers)
            if checker is not None:
                tasks.append(asyncio.create_task(checker.run(), name="alive-checker"))
            rotator = (
                CredentialsRotator(client, app.state.peers, settings, interval=settings.token_rotation_interval_seconds)
                if settings.token_rotation_interval_seconds > 0
                else None
            )
            if rotator is not None:
                tasks.append(asyncio.create_task(rotator.run(), name="credentials-rotator"))
            issued = (
                IssuedCommandSender(
                    client, app.state.peers, settings.public_url, interval=settings.issued_command_interval_seconds
                )
                if settings.issued_command_interval_seconds > 0
                else None
            )
            if issued is not None:
                tasks.append(asyncio.create_task(issued.run(), name="issued-commands"))
            try:
                yield
            finally:
                for worker in workers:
                    worker.stop()
                if checker is not None:
                    checker.stop()
                if rotator is not None:
                    rotator.stop()
                if issued is not None:
                    issued.stop()
                for watch in watches:
                    watch.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watch
                # Sends in flight finish (each is bounded by the peer timeout); then nothing is left running.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*tasks), settings.peer_timeout_seconds + 5)
                if cache is not None:
                    await cache.aclose()
                if hub is None:
                    await client.close()

    ocpi = Router(
        path="/ocpi",
        route_handlers=[
            versions_router,
            CredentialsController,
            LocationsReceiver,
            LocationsSender,
            TariffsReceiver,
            TariffsSender,
            SessionsReceiver,
            SessionsSender,
            CdrsReceiver,
            CdrsSender,
            TokensReceiver,
            TokensSender,
            CommandsReceiver,
            CommandsSender,
            ChargingProfilesReceiver,
            ChargingProfilesSender,
            HubClientInfoController,
        ],
        exception_handlers=OCPI_EXCEPTION_HANDLERS,  # type: ignore[arg-type]
    )
    app = Litestar(
        route_handlers=[ocpi, health, ready, metrics, qr_resolve, charge_page],
        lifespan=[lifespan],
        # Unknown paths and methods never reach a router: answer them here (OCPI envelope under /ocpi).
        exception_handlers={HTTPException: http_exception_handler},
        # The process configures logging (facade.logs via uvicorn's log_config): Litestar's default would replace the
        # root handlers with its own plain-text ones.
        logging_config=None,
        state=State({"settings": settings}),
        openapi_config=OpenAPIConfig(
            title="OCPI Hub",
            version="2.2.1",
            description="Central OCPI 2.2.1 roaming Hub: the OCPI facade. Every /ocpi response is an OCPI envelope.",
            path="/openapi",
            # Only the JSON document: the HTML viewers load their assets from CDNs, which offline hosts cannot reach.
            render_plugins=[JsonRenderPlugin()],
        ),
    )
    # Around the whole app, not in its middleware list (which Litestar runs only once a route matched): unknown paths
    # get request ids and are counted too. Request ids outermost, so every log line of the request carries them.
    app.asgi_handler = request_ids_middleware(metrics_middleware(app.asgi_handler))
    return app
