"""Credentials module (HUB-DIGEST §2.3-2.4): GET, POST (register), PUT (update/rotate), DELETE (unregister)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.status_codes import HTTP_200_OK, HTTP_405_METHOD_NOT_ALLOWED

from facade.credentials import handshake, translate
from facade.credentials.schemas import parse_credentials
from facade.ocpi.auth import Caller, authenticate
from facade.ocpi.envelope import envelope
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.status import OcpiStatus
from facade.peers.client import PeerClient
from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc

log = logging.getLogger(__name__)


def _not_allowed(message: str) -> OcpiError:
    return OcpiError(OcpiStatus.CLIENT_ERROR, message, HTTP_405_METHOD_NOT_ALLOWED)


class CredentialsController(Controller):
    path = "/2.2.1/credentials"
    dependencies = {"caller": Provide(authenticate)}  # noqa: RUF012 — Litestar reads it from the class

    @get("/")
    async def get_credentials(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> dict[str, Any]:
        # The token the caller authenticated with is the one it uses to reach us: echo it (we only keep its hash).
        return envelope(translate.hub_credentials(request.app.state.settings, caller.token))

    @post("/", status_code=HTTP_200_OK)
    async def register(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> dict[str, Any]:
        if caller.registered:
            raise _not_allowed("already registered: use PUT to update credentials, or DELETE to unregister")
        hub: HubClient = request.app.state.hub

        async def submit(token_b: str, platform: pb.Platform, validate_only: bool) -> tuple[pb.Platform, str]:
            response = await hub.register_platform(
                rpc.RegisterPlatformRequest(
                    token_a=caller.token, token_b=token_b, platform=platform, validate_only=validate_only
                )
            )
            return response.platform, response.token_c

        return await _exchange(request, caller, submit, "registered")

    @put("/")
    async def update(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> dict[str, Any]:
        if not caller.registered:
            raise _not_allowed("not registered: use POST to register first")
        hub: HubClient = request.app.state.hub

        async def submit(token_b: str, platform: pb.Platform, validate_only: bool) -> tuple[pb.Platform, str]:
            response = await hub.update_platform_credentials(
                rpc.UpdatePlatformCredentialsRequest(
                    token=caller.token, token_b=token_b, platform=platform, validate_only=validate_only
                )
            )
            return response.platform, response.token_c

        return await _exchange(request, caller, submit, "updated its credentials")

    @delete("/", status_code=HTTP_200_OK)
    async def unregister(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> dict[str, Any]:
        if not caller.registered:
            raise _not_allowed("not registered: nothing to delete")
        hub: HubClient = request.app.state.hub
        response = await _core(hub.unregister_platform(caller.token))
        # This replica drops its cached token checks now; the others on the core's change stream, moments later.
        request.app.state.auth_cache.invalidate()
        log.info("platform %s unregistered", response.platform.name)
        return envelope()


Submit = Callable[[str, pb.Platform, bool], Awaitable[tuple[pb.Platform, str]]]


async def _exchange(request: Request[Any, Any, Any], caller: Caller, submit: Submit, done: str) -> dict[str, Any]:
    """The handshake shared by POST and PUT (HUB-DIGEST §2.4 step 4), then the Hub's credentials with a new token."""
    credentials = parse_credentials(await request.body())
    # Refuse what the core would refuse (roles not invited, …) before calling the party back.
    await _core(submit(credentials.token, translate.platform_pb(credentials, None), True))
    handshake.check_party_url(credentials.url, sandbox=caller.sandbox)
    # Fetched on every PUT too, even when nothing changed: a PUT is how a party announces new endpoints.
    discovery = await handshake.discover(
        _peers(request), credentials.url, credentials.token, sandbox=caller.sandbox, correlation_id=_cid(request)
    )
    platform, token_c = await _core(submit(credentials.token, translate.platform_pb(credentials, discovery), False))
    request.app.state.auth_cache.invalidate()  # e.g. the old TOKEN_C's remaining life is now its grace period
    log.info("platform %s %s (%s)", platform.name, done, _roles(platform))
    return envelope(translate.hub_credentials(request.app.state.settings, token_c))


async def _core(call: Any) -> Any:
    try:
        return await call
    except HubError as exc:
        raise from_hub_error(exc) from None


def _peers(request: Request[Any, Any, Any]) -> PeerClient:
    peers: PeerClient = request.app.state.peers
    return peers


def _cid(request: Request[Any, Any, Any]) -> str:
    correlation_id: str = request.scope["state"]["ocpi_ids"][1]
    return correlation_id


def _roles(platform: Any) -> str:
    return ", ".join(f"{r.country_code}/{r.party_id}" for r in platform.roles)
