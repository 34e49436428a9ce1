"""What every client-owned push (PUT/PATCH/DELETE on a Receiver interface) shares: whose object it is, who sent it,
where it goes. Modules add only their wire shapes and the core RPC that stores them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.status_codes import HTTP_201_CREATED, HTTP_404_NOT_FOUND

from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.status import OcpiStatus
from facade.settings import Settings
from hubclient import HubError
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.types.v1 import types_pb2


@dataclass(frozen=True, slots=True)
class Push:
    owner: rh.Party
    routing: rh.Routing
    # Path below the module's URL, as the client wrote it ("VN/ABC/LOC1/EVSE1").
    path: str
    body: bytes

    def relay(self, module: str, method: str, correlation_id: str) -> deliveries_pb2.Message:
        return deliveries_pb2.Message(
            module=module,
            method=method,
            path=self.path,
            body=self.body,
            sender=types_pb2.PartyRef(country_code=self.owner.country_code, party_id=self.owner.party_id),
            correlation_id=correlation_id,
        )


async def answer_write(call: Awaitable[Any]) -> Response[bytes]:
    """The answer to a stored write: 201 when it created the object, 200 otherwise (HUB-DIGEST §1.4); a write older
    than what the Hub holds is acknowledged but says it was not applied."""
    try:
        answer = await call
    except HubError as exc:
        raise from_hub_error(exc) from None
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
    return Push(owner, routing, path, await request.body())


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
