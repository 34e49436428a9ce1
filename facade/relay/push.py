"""What every client-owned push (PUT/PATCH/DELETE on a Receiver interface) shares: whose object it is, who sent it,
where it goes. Modules add only their wire shapes and the core RPC that stores them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Request, Response
from litestar.status_codes import HTTP_201_CREATED, HTTP_404_NOT_FOUND

from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.status import OcpiStatus
from facade.relay.forward import forward
from facade.settings import Settings
from hubclient import HubError
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.routing.v1 import routing_service_pb2 as routing_rpc
from ocpihub.types.v1 import types_pb2


@dataclass(frozen=True, slots=True)
class Push:
    owner: rh.Party
    routing: rh.Routing
    # Path below the module's URL, as the client wrote it ("VN/ABC/LOC1/EVSE1").
    path: str
    body: bytes
    forward_lease: timedelta

    def relay(self, module: str, method: str, correlation_id: str) -> deliveries_pb2.Message:
        """The request as the core keeps and queues it. Addressed to one party (OCPI-to-*), the core queues it for
        that party alone and leases the delivery to this facade, which forwards it at once."""
        message = deliveries_pb2.Message(
            module=module,
            method=method,
            path=self.path,
            body=self.body,
            sender=types_pb2.PartyRef(country_code=self.owner.country_code, party_id=self.owner.party_id),
            correlation_id=correlation_id,
        )
        if self.routing.scenario is rh.Scenario.DIRECT and self.routing.to is not None:
            message.to.country_code, message.to.party_id = self.routing.to.country_code, self.routing.to.party_id
            message.forward_lease.FromTimedelta(self.forward_lease)
        return message


def delivery_lease(settings: Settings) -> timedelta:
    """How long a facade holds a delivery it sends (a worker's lease, or a forward's): longer than the wait for the
    party, so two never send one message at once."""
    return timedelta(seconds=max(settings.delivery_lease_seconds, settings.peer_timeout_seconds + 1))


async def answer_write(
    call: Awaitable[Any], forwarding: tuple[Request[Any, Any, Any], Push, str] | None = None
) -> Response[bytes]:
    """The answer to a stored write: 201 when it created the object, 200 otherwise (HUB-DIGEST §1.4); a write older
    than what the Hub holds is acknowledged but says it was not applied. With `forwarding` (the request, the push
    and its module), a write addressed to one party is forwarded once kept, and that party's answer is the answer."""
    try:
        answer = await call
    except HubError as exc:
        raise from_hub_error(exc) from None
    if forwarding is not None and forwarding[1].routing.scenario is rh.Scenario.DIRECT:
        request, push, module = forwarding
        return await forward_kept(request, push, module, answer.forward_delivery)
    if answer.result == types_pb2.WRITE_RESULT_STALE:
        return ocpi_response(message="not applied: the Hub holds a newer version (last_updated)")
    created = answer.result == types_pb2.WRITE_RESULT_CREATED
    return ocpi_response(http_status=HTTP_201_CREATED if created else 200)


def own_party(request: Request[Any, Any, Any], caller: Caller) -> rh.Party:
    """The URL's country_code/party_id, which must be one of the caller's parties (else HTTP 404)."""
    owner = rh.Party(request.path_params["country_code"].upper(), request.path_params["party_id"].upper())
    if owner not in rh.caller_parties(caller):
        raise OcpiError(OcpiStatus.CLIENT_ERROR, f"{owner} is not one of your parties", HTTP_404_NOT_FOUND)
    return owner


def hub_party(settings: Settings) -> rh.Party:
    return rh.Party(settings.hub_country_code, settings.hub_party_id)


async def read_push(request: Request[Any, Any, Any], caller: Caller, module: str) -> Push:
    """The URL's country_code/party_id must be one of the caller's parties (else HTTP 404, HUB-DIGEST §1.7)."""
    owner = rh.Party(request.path_params["country_code"].upper(), request.path_params["party_id"].upper())
    if owner not in rh.caller_parties(caller):
        raise OcpiError(
            OcpiStatus.CLIENT_ERROR,
            f"{owner} is not one of your parties: push only your own objects",
            HTTP_404_NOT_FOUND,
        )
    routing = rh.read_routing(request, caller, hub_party(request.app.state.settings), default_sender=owner)
    prefix = f"/ocpi/2.2.1/receiver/{module}/"
    path = request.url.path.split(prefix, 1)[1]
    return Push(owner, routing, path, await request.body(), delivery_lease(request.app.state.settings))


def correlation_id(request: Request[Any, Any, Any]) -> str:
    value: str = request.scope["state"]["ocpi_ids"][1]
    return value


def same_id(field: str, url_value: str, body_value: object) -> None:
    """URL ids and body ids must agree (CiString: case-insensitively), else 2001."""
    if body_value is None or body_value is Ellipsis:
        return
    if not isinstance(body_value, str) or body_value.upper() != url_value.upper():
        raise OcpiError(
            OcpiStatus.INVALID_PARAMETERS, f"{field} in the body ({body_value!r}) differs from the URL ({url_value!r})"
        )


async def forward_kept(request: Request[Any, Any, Any], push: Push, module: str, delivery: str) -> Response[bytes]:
    """A write addressed to one party, kept by the core: forwarded at once and the party's answer relayed (OCPI); the
    send is the first attempt of the core's `delivery`, so what the party did not take the outbox delivers later."""
    return await forward(
        request,
        push.routing,
        module=module,
        interface_role=routing_rpc.INTERFACE_ROLE_RECEIVER,
        path=push.path,
        body=push.body if request.method != "DELETE" else None,
        delivery=delivery,
    )
