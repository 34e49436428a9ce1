"""Locations module: the Receiver interface CPOs push to, and the Sender interface eMSPs pull from (GET All)."""

from __future__ import annotations

from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask
from litestar import Controller, Request, Response, get, patch, put
from litestar.di import NamedDependency, Provide
from litestar.status_codes import HTTP_404_NOT_FOUND

from facade.locations import schemas
from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller, authenticate_registered
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.proto_json import from_proto, to_proto_with_fields
from facade.ocpi.status import OcpiStatus
from facade.relay import push as pushes
from facade.relay.pull import page_response, read_pull
from hubclient import HubClient, HubError
from ocpihub.locations.v1 import locations_pb2 as pb
from ocpihub.locations.v1 import locations_service_pb2 as rpc

MODULE = "locations"
LOCATION = "/{country_code:str}/{party_id:str}/{location_id:str}"
EVSE = LOCATION + "/{evse_uid:str}"
CONNECTOR = EVSE + "/{connector_id:str}"


def _name(push: pushes.Push, request: Request[Any, Any, Any]) -> str:
    return f"locations/{push.owner.country_code}/{push.owner.party_id}/{request.path_params['location_id']}"


async def _receive(request: Request[Any, Any, Any], caller: Caller, level: str) -> Response[bytes]:
    push = await pushes.read_push(request, caller, MODULE)
    is_patch = request.method == "PATCH"
    parser = {
        ("location", False): schemas.parse_location,
        ("location", True): schemas.parse_location_patch,
        ("evse", False): schemas.parse_evse,
        ("evse", True): schemas.parse_evse_patch,
        ("connector", False): schemas.parse_connector,
        ("connector", True): schemas.parse_connector_patch,
    }[(level, is_patch)]
    _, raw = parser(push.body)
    params = request.path_params
    id_field = {"location": ("id", "location_id"), "evse": ("uid", "evse_uid"), "connector": ("id", "connector_id")}
    body_field, url_field = id_field[level]
    pushes.same_id(body_field, params[url_field], raw.get(body_field))
    if level == "location":
        pushes.same_id("country_code", push.owner.country_code, raw.get("country_code"))
        pushes.same_id("party_id", push.owner.party_id, raw.get("party_id"))
    relay = push.relay(MODULE, request.method, pushes.correlation_id(request))
    platform = caller.platform.name if caller.platform else ""
    hub: HubClient = request.app.state.hub
    location_name = _name(push, request)
    # Addressed to one party: kept for it alone, then forwarded.
    forwarding = (request, push, MODULE)

    def mask_of(fields: list[str]) -> FieldMask | None:
        # A PATCH also merges the fields OCPI does not define (extensions_json).
        return FieldMask(paths=[*fields, "extensions_json"]) if is_patch else None

    if level == "location":
        location, fields = to_proto_with_fields(raw, pb.Location)
        # A PATCH may leave the ids out: the URL names the object.
        location.id, location.country_code, location.party_id = (
            params["location_id"],
            push.owner.country_code,
            push.owner.party_id,
        )
        return await pushes.answer_write(
            hub.update_location(
                rpc.UpdateLocationRequest(
                    location=location,
                    update_mask=mask_of(fields),
                    allow_missing=not is_patch,
                    caller_platform=platform,
                    relay=relay,
                )
            ),
            forwarding,
        )
    if level == "evse":
        evse, fields = to_proto_with_fields(raw, pb.Evse)
        evse.uid = params["evse_uid"]
        return await pushes.answer_write(
            hub.update_evse(
                rpc.UpdateEvseRequest(
                    parent=location_name,
                    evse=evse,
                    update_mask=mask_of(fields),
                    allow_missing=not is_patch,
                    caller_platform=platform,
                    relay=relay,
                )
            ),
            forwarding,
        )
    connector, fields = to_proto_with_fields(raw, pb.Connector)
    connector.id = params["connector_id"]
    return await pushes.answer_write(
        hub.update_connector(
            rpc.UpdateConnectorRequest(
                parent=f"{location_name}/evses/{params['evse_uid']}",
                connector=connector,
                update_mask=mask_of(fields),
                allow_missing=not is_patch,
                caller_platform=platform,
                relay=relay,
            )
        ),
        forwarding,
    )


def _part(location: pb.Location, evse_uid: str | None, connector_id: str | None) -> Any:
    """The location, one of its EVSEs or one connector, as OCPI JSON; None when absent."""
    if evse_uid is None:
        return from_proto(location)
    evse = next((e for e in location.evses if e.uid.upper() == evse_uid.upper()), None)
    if evse is None or connector_id is None:
        return from_proto(evse) if evse else None
    connector = next((c for c in evse.connectors if c.id.upper() == connector_id.upper()), None)
    return from_proto(connector) if connector else None


def _viewer(request: Request[Any, Any, Any], caller: Caller) -> str:
    """Who pulls: locations addressed to other parties alone are not shown to it."""
    settings = request.app.state.settings
    return str(rh.read_routing(request, caller, pushes.hub_party(settings), default_sender=None).sender)


def _not_found(what: str) -> OcpiError:
    return OcpiError(OcpiStatus.CLIENT_ERROR, f"unknown {what}", HTTP_404_NOT_FOUND)


class LocationsReceiver(Controller):
    """CPOs push here (OCPI Receiver interface). Stored either way; TO = Hub or none: broadcast; TO = a party: shown
    to it alone and forwarded."""

    path = "/2.2.1/receiver/locations"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @put(LOCATION, status_code=200)
    async def put_location(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _receive(request, caller, "location")

    @put(EVSE, status_code=200)
    async def put_evse(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _receive(request, caller, "evse")

    @put(CONNECTOR, status_code=200)
    async def put_connector(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _receive(request, caller, "connector")

    @patch(LOCATION, status_code=200)
    async def patch_location(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _receive(request, caller, "location")

    @patch(EVSE, status_code=200)
    async def patch_evse(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _receive(request, caller, "evse")

    @patch(CONNECTOR, status_code=200)
    async def patch_connector(
        self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]
    ) -> Response[bytes]:
        return await _receive(request, caller, "connector")

    @get([LOCATION, EVSE, CONNECTOR])
    async def get_stored(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        """What the Hub holds of the caller's own object."""
        owner = pushes.own_party(request, caller)
        hub: HubClient = request.app.state.hub
        params = request.path_params
        try:
            location = await hub.get_location(
                f"locations/{owner.country_code}/{owner.party_id}/{params['location_id']}"
            )
        except HubError as exc:
            raise from_hub_error(exc) from None
        data = _part(location, params.get("evse_uid"), params.get("connector_id"))
        if data is None:
            raise _not_found("EVSE or connector")
        return ocpi_response(data)


class LocationsSender(Controller):
    """eMSPs pull here (OCPI Sender interface), served from the Hub's store of broadcast locations.

    Locations with `publish: false` are served too, as they were broadcast: OCPI 2.2.1 has the eMSP show such a
    location only to the tokens in its `publish_allowed_to`, so the eMSP needs it, and a pull must agree with the push.
    """

    path = "/2.2.1/sender/locations"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @get("/")
    async def list_locations(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        query, page = read_pull(request, caller, rpc.ListLocationsRequest())
        query.viewer = _viewer(request, caller)
        hub: HubClient = request.app.state.hub
        try:
            listing = await hub.list_locations(query)
        except HubError as exc:
            raise from_hub_error(exc) from None
        return page_response(request, MODULE, page, listing.locations, listing.total_size)

    @get(
        [
            "/{location_id:str}",
            "/{location_id:str}/{evse_uid:str}",
            "/{location_id:str}/{evse_uid:str}/{connector_id:str}",
        ]
    )
    async def get_object(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        """One object by id: from the CPO named in OCPI-to-*, else whichever CPO has that location id (open routing)."""
        settings = request.app.state.settings
        routing = rh.read_routing(request, caller, pushes.hub_party(settings), default_sender=None)
        params = request.path_params
        query = rpc.ListLocationsRequest(location_id=params["location_id"], page_size=2, viewer=str(routing.sender))
        if routing.scenario is rh.Scenario.DIRECT and routing.to:
            query.country_code, query.party_id = routing.to.country_code, routing.to.party_id
        hub: HubClient = request.app.state.hub
        try:
            found = (await hub.list_locations(query)).locations
        except HubError as exc:
            raise from_hub_error(exc) from None
        if len(found) > 1:
            raise OcpiError(
                OcpiStatus.INVALID_PARAMETERS,
                f"several CPOs have a location {params['location_id']!r}: name one with OCPI-to-country-code/-party-id",
            )
        data = _part(found[0], params.get("evse_uid"), params.get("connector_id")) if found else None
        if data is None:
            raise _not_found(f"location object {'/'.join(params.values())}")
        return ocpi_response(data)
