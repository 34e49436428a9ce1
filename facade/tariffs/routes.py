"""Tariffs module: the Receiver interface CPOs push to (PUT/DELETE) and the Sender interface eMSPs pull from."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, put
from litestar.di import NamedDependency, Provide

from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller, authenticate_registered
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.errors import from_hub_error
from facade.ocpi.proto_json import from_proto, to_proto
from facade.relay import push as pushes
from facade.relay.pull import page_response, read_pull
from facade.tariffs.schemas import parse_tariff
from hubclient import HubClient, HubError
from ocpihub.tariffs.v1 import tariffs_pb2 as pb
from ocpihub.tariffs.v1 import tariffs_service_pb2 as rpc

MODULE = "tariffs"
TARIFF = "/{country_code:str}/{party_id:str}/{tariff_id:str}"


def _name(push: pushes.Push, request: Request[Any, Any, Any]) -> str:
    return f"tariffs/{push.owner.country_code}/{push.owner.party_id}/{request.path_params['tariff_id']}"


class TariffsReceiver(Controller):
    path = "/2.2.1/receiver/tariffs"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @put(TARIFF, status_code=200)
    async def put_tariff(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        push = await pushes.read_push(request, caller, MODULE)
        _, raw = parse_tariff(push.body)
        pushes.same_id("id", request.path_params["tariff_id"], raw.get("id"))
        pushes.same_id("country_code", push.owner.country_code, raw.get("country_code"))
        pushes.same_id("party_id", push.owner.party_id, raw.get("party_id"))
        tariff = to_proto(raw, pb.Tariff)
        tariff.id = request.path_params["tariff_id"]
        tariff.country_code, tariff.party_id = push.owner.country_code, push.owner.party_id
        hub: HubClient = request.app.state.hub
        return await pushes.answer_write(
            hub.update_tariff(
                rpc.UpdateTariffRequest(
                    tariff=tariff,
                    caller_platform=caller.platform.name if caller.platform else "",
                    relay=push.relay(MODULE, "PUT", pushes.correlation_id(request)),
                )
            ),
            # Addressed to one eMSP (e.g. its own tariff): kept for it alone, then forwarded.
            forwarding=(request, push, MODULE),
        )

    @delete(TARIFF, status_code=200)
    async def delete_tariff(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        push = await pushes.read_push(request, caller, MODULE)
        hub: HubClient = request.app.state.hub
        try:
            deleted = await hub.delete_tariff(
                rpc.DeleteTariffRequest(
                    name=_name(push, request),
                    caller_platform=caller.platform.name if caller.platform else "",
                    relay=push.relay(MODULE, "DELETE", pushes.correlation_id(request)),
                )
            )
        except HubError as exc:
            raise from_hub_error(exc) from None
        if push.routing.scenario is rh.Scenario.DIRECT:
            # Deleted at the Hub by the same rules, then forwarded to the one eMSP it was addressed to.
            return await pushes.forward_kept(request, push, MODULE, deleted.forward_delivery)
        return ocpi_response()

    @get(TARIFF)
    async def get_stored(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        owner = pushes.own_party(request, caller)
        hub: HubClient = request.app.state.hub
        try:
            tariff = await hub.get_tariff(
                f"tariffs/{owner.country_code}/{owner.party_id}/{request.path_params['tariff_id']}"
            )
        except HubError as exc:
            raise from_hub_error(exc) from None
        return ocpi_response(from_proto(tariff))


class TariffsSender(Controller):
    path = "/2.2.1/sender/tariffs"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @get("/")
    async def list_tariffs(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        query, page = read_pull(request, caller, rpc.ListTariffsRequest())
        query.viewer = str(
            rh.read_routing(request, caller, pushes.hub_party(request.app.state.settings), default_sender=None).sender
        )
        hub: HubClient = request.app.state.hub
        try:
            listing = await hub.list_tariffs(query)
        except HubError as exc:
            raise from_hub_error(exc) from None
        return page_response(request, MODULE, page, listing.tariffs, listing.total_size)
