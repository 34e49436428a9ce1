"""CDRs module: CPOs POST CDRs to the Receiver interface; the Hub verifies, keeps and relays each to the eMSP that
owns its token only (or to the one party the CPO addressed it to); the `Location` header points at the Hub; eMSPs
pull their CDRs from the Sender interface."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.status_codes import HTTP_201_CREATED, HTTP_404_NOT_FOUND

from facade.cdrs.schemas import parse_cdr
from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller, authenticate_registered
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.proto_json import from_proto, to_proto
from facade.ocpi.status import OcpiStatus
from facade.relay import push as pushes
from facade.relay.pull import page_response, read_pull
from hubclient import HubClient, HubError
from ocpihub.cdrs.v1 import cdrs_pb2 as pb
from ocpihub.cdrs.v1 import cdrs_service_pb2 as rpc

MODULE = "cdrs"
CDR = "/{country_code:str}/{party_id:str}/{cdr_id:str}"


def _own(caller: Caller, country_code: str, party_id: str) -> rh.Party:
    owner = rh.Party(country_code.upper(), party_id.upper())
    if owner not in rh.caller_parties(caller):
        raise OcpiError(OcpiStatus.CLIENT_ERROR, f"{owner} is not one of your parties", HTTP_404_NOT_FOUND)
    return owner


class CdrsReceiver(Controller):
    path = "/2.2.1/receiver/cdrs"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @post("/", status_code=200)
    async def post_cdr(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        body = await request.body()
        _, raw = parse_cdr(body)
        owner = _own(caller, str(raw["country_code"]), str(raw["party_id"]))
        settings = request.app.state.settings
        routing = rh.read_routing(request, caller, pushes.hub_party(settings), default_sender=owner)
        cdr = to_proto(raw, pb.Cdr)
        cdr.country_code, cdr.party_id = owner.country_code, owner.party_id
        push = pushes.Push(owner, routing, "", body, pushes.delivery_lease(settings))
        relay = push.relay(MODULE, "POST", pushes.correlation_id(request))
        hub: HubClient = request.app.state.hub
        try:
            answer = await hub.create_cdr(
                rpc.CreateCdrRequest(
                    cdr=cdr, caller_platform=caller.platform.name if caller.platform else "", relay=relay
                )
            )
        except HubError as exc:
            raise from_hub_error(exc) from None
        if routing.scenario is rh.Scenario.DIRECT:
            # Verified and kept like any CDR, then forwarded at once: the eMSP's answer is the answer (OCPI).
            return await pushes.forward_kept(request, push, MODULE, answer.forward_delivery)
        # Where the CPO (or anyone it tells) can GET this CDR: at the Hub, which keeps it (HUB-DIGEST §1.9).
        location = f"{settings.public_url}/ocpi/2.2.1/receiver/cdrs/{owner.country_code}/{owner.party_id}/{cdr.id}"
        return ocpi_response(
            http_status=HTTP_201_CREATED if answer.created else 200,
            message=None if answer.created else "already received: this CDR was accepted before",
            headers={"Location": location},
        )

    @get(CDR)
    async def get_cdr(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        params = request.path_params
        owner = pushes.own_party(request, caller)
        hub: HubClient = request.app.state.hub
        try:
            found = await hub.get_cdr(f"cdrs/{owner.country_code}/{owner.party_id}/{params['cdr_id']}")
        except HubError as exc:
            raise from_hub_error(exc) from None
        return ocpi_response(from_proto(found.cdr))


class CdrsSender(Controller):
    """eMSPs pull the CDRs of their own tokens."""

    path = "/2.2.1/sender/cdrs"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @get("/")
    async def list_cdrs(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        query, page = read_pull(request, caller, rpc.ListCdrsRequest())
        settings = request.app.state.settings
        query.token_owner = str(
            rh.read_routing(request, caller, pushes.hub_party(settings), default_sender=None).sender
        )
        hub: HubClient = request.app.state.hub
        try:
            listing = await hub.list_cdrs(query)
        except HubError as exc:
            raise from_hub_error(exc) from None
        return page_response(request, MODULE, page, listing.cdrs, listing.total_size)
