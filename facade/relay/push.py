"""What every client-owned push (PUT/PATCH/DELETE on a Receiver interface) shares: whose object it is, who sent it,
where it goes. Modules add only their wire shapes and the core RPC that stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.status_codes import HTTP_404_NOT_FOUND

from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from facade.settings import Settings
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
