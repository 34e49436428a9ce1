"""ChargingProfiles module: eMSPs/SCSPs set, get and clear a session's charging profile at its CPO through the Hub.

Like Commands, each request gets the Hub's own response_url (in the PUT body, in the GET/DELETE query string) and
the CPO's asynchronous result is relayed to the requester's. A CPO's later ActiveChargingProfile updates go to the
party that set a profile on that session.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide

from facade.chargingprofiles.schemas import ActiveChargingProfile, ProfileResult, SetChargingProfile
from facade.commands.routes import record_result, requester_response_url
from facade.locations.schemas import parse_object
from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller, authenticate_registered
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.status import OcpiStatus
from facade.relay import push as pushes
from facade.relay.callbacks import results_url, send_to_cpo
from facade.relay.forward import forward
from hubclient import HubClient, HubError
from ocpihub.commands.v1 import commands_pb2 as pb
from ocpihub.commands.v1 import commands_service_pb2 as rpc
from ocpihub.routing.v1 import routing_service_pb2 as routing_rpc
from ocpihub.types.v1 import types_pb2

MODULE = "chargingprofiles"

# Core refusals the Hub answers with a ChargingProfileResponse, as the CPO would have.
_HUB_ANSWERS: dict[str, tuple[OcpiStatus, str]] = {
    "UNKNOWN_SESSION": (OcpiStatus.SUCCESS, "UNKNOWN_SESSION"),
    "NOT_OWNER": (OcpiStatus.INVALID_PARAMETERS, "REJECTED"),
}


async def _relay(
    request: Request[Any, Any, Any],
    caller: Caller,
    command_type: pb.CommandType.ValueType,
    response_url: str,
    *,
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> Response[bytes]:
    session_id = request.path_params["session_id"]
    routing = rh.read_routing(request, caller, pushes.hub_party(request.app.state.settings), default_sender=None)
    create = rpc.CreateCommandRequest(
        type=command_type,
        caller_platform=caller.platform.name if caller.platform else "",
        requester=types_pb2.PartyRef(country_code=routing.sender.country_code, party_id=routing.sender.party_id),
        session_id=session_id,
        response_url=requester_response_url(request, response_url),
        correlation_id=pushes.correlation_id(request),
        # Only the caller's own X-Request-ID (not one the Hub made up) marks a retry.
        request_id=request.headers.get("x-request-id", "")[:255],
    )
    if routing.scenario is rh.Scenario.DIRECT and routing.to is not None:
        create.to.CopyFrom(types_pb2.PartyRef(country_code=routing.to.country_code, party_id=routing.to.party_id))
    hub: HubClient = request.app.state.hub
    try:
        created = await hub.create_command(create)
    except HubError as exc:
        if exc.reason not in _HUB_ANSWERS:
            raise from_hub_error(exc) from None
        status, result = _HUB_ANSWERS[exc.reason]
        return ocpi_response({"result": result, "timeout": 0}, status=status, message=exc.message)
    command_id = created.command.name.removeprefix("commands/")
    return await send_to_cpo(
        request,
        created,
        method=request.method,
        path=session_id,
        body=body,
        query=query,
        hub_response_url=results_url(request, MODULE, f"results/{command_id}"),
    )


def _query_url(request: Request[Any, Any, Any]) -> str:
    url = request.query_params.get("response_url")
    if not url:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, "response_url (query parameter) is required")
    return url


class ChargingProfilesReceiver(Controller):
    """eMSPs/SCSPs reach their CPOs' chargingprofiles Receiver here."""

    path = "/2.2.1/receiver/chargingprofiles"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @put("/{session_id:str}", status_code=200)
    async def set_profile(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        shape, raw = parse_object(await request.body(), SetChargingProfile, "set charging profile")
        return await _relay(request, caller, pb.COMMAND_TYPE_SET_CHARGING_PROFILE, shape.response_url, body=raw)

    @get("/{session_id:str}")
    async def get_active(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        duration = request.query_params.get("duration", "")
        if not (duration.isascii() and duration.isdigit()):
            raise OcpiError(OcpiStatus.INVALID_PARAMETERS, "duration (seconds, a whole number) is required")
        return await _relay(
            request,
            caller,
            pb.COMMAND_TYPE_GET_ACTIVE_CHARGING_PROFILE,
            _query_url(request),
            query={"duration": duration},
        )

    @delete("/{session_id:str}", status_code=200)
    async def clear_profile(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _relay(request, caller, pb.COMMAND_TYPE_CLEAR_CHARGING_PROFILE, _query_url(request), query={})


class ChargingProfilesSender(Controller):
    """CPOs post profile results to the Hub's response_urls, and push ActiveChargingProfile updates."""

    path = "/2.2.1/sender/chargingprofiles"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @post("/results/{command_id:str}", status_code=200)
    async def post_result(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        body = await request.body()
        result, _ = parse_object(body, ProfileResult, "charging profile result")
        return await record_result(request, caller, request.path_params["command_id"], result.result, body)

    @put("/{session_id:str}", status_code=200)
    async def active_profile(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        """Goes to the party named by OCPI-to-*, else to whoever last set a profile on the session through the Hub."""
        body = await request.body()
        parse_object(body, ActiveChargingProfile, "active charging profile")
        settings = request.app.state.settings
        routing = rh.read_routing(request, caller, pushes.hub_party(settings), default_sender=None)
        session_id = request.path_params["session_id"]
        if routing.scenario is not rh.Scenario.DIRECT:
            owner = await _profile_setter(request, routing.sender, session_id)
            routing = rh.Routing(rh.Scenario.DIRECT, routing.sender, owner)
        return await forward(
            request,
            routing,
            module=MODULE,
            interface_role=routing_rpc.INTERFACE_ROLE_SENDER,
            path=session_id,
            body=body,
        )


async def _profile_setter(request: Request[Any, Any, Any], cpo: rh.Party, session_id: str) -> rh.Party:
    hub: HubClient = request.app.state.hub
    query = rpc.ListCommandsRequest(
        page_size=50, party=str(cpo), type=pb.COMMAND_TYPE_SET_CHARGING_PROFILE, session_id=session_id
    )
    try:
        async for command in hub.list_commands(query):
            if (command.target.country_code, command.target.party_id) == (cpo.country_code, cpo.party_id):
                return rh.Party(command.requester.country_code, command.requester.party_id)
    except HubError as exc:
        raise from_hub_error(exc) from None
    raise OcpiError(
        OcpiStatus.UNKNOWN_RECEIVER, f"nobody set a charging profile on session {session_id} through the Hub"
    )
