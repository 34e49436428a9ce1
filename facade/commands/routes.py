"""Commands module: eMSPs send commands to CPOs through the Hub; CPOs post the results to the Hub's response_url,
which the Hub relays (durably) to the eMSP's own. The Hub answers a command itself only when it knows it cannot go
anywhere: unknown location (2003), unknown session, a token of another eMSP.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.status_codes import HTTP_404_NOT_FOUND

from facade.commands.schemas import COMMAND_SHAPES, COMMAND_TYPES, CommandResult
from facade.commands.seed_words import in_ocpi_words
from facade.locations.schemas import parse_object
from facade.metrics import COMMAND_RESULT_TRANSLATIONS
from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller, authenticate_registered
from facade.ocpi.datetime import parse_ocpi_datetime
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.status import OcpiStatus
from facade.peers.url_policy import UrlNotAllowed, check_url
from facade.relay import push as pushes
from facade.relay.callbacks import results_url, send_to_cpo
from hubclient import HubClient, HubError
from ocpihub.commands.v1 import commands_pb2 as pb
from ocpihub.commands.v1 import commands_service_pb2 as rpc
from ocpihub.types.v1 import types_pb2

MODULE = "commands"

# Core refusals the Hub answers with a CommandResponse, as the CPO would have: (OCPI status, response type).
_HUB_ANSWERS: dict[str, tuple[OcpiStatus, str]] = {
    "UNKNOWN_LOCATION": (OcpiStatus.UNKNOWN_LOCATION, "REJECTED"),
    "UNKNOWN_SESSION": (OcpiStatus.SUCCESS, "UNKNOWN_SESSION"),
    "UNKNOWN_RESERVATION": (OcpiStatus.SUCCESS, "REJECTED"),
    "FOREIGN_TOKEN": (OcpiStatus.INVALID_PARAMETERS, "REJECTED"),
    "NOT_OWNER": (OcpiStatus.INVALID_PARAMETERS, "REJECTED"),
}


def command_type(request: Request[Any, Any, Any]) -> str:
    value: str = request.path_params["command"].upper()
    if value not in COMMAND_TYPES:
        raise OcpiError(
            OcpiStatus.CLIENT_ERROR, f"unknown command {value!r}: one of {', '.join(COMMAND_TYPES)}", HTTP_404_NOT_FOUND
        )
    return value


def requester_response_url(request: Request[Any, Any, Any], url: str) -> str:
    """The URL the Hub will POST results to must pass the same policy as a registered endpoint (no SSRF)."""
    try:
        check_url(url, sandbox=request.app.state.settings.environment == "sandbox")
    except UrlNotAllowed as exc:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"response_url: {exc}") from None
    return url


def hub_answer(exc: HubError, requester: rh.Party) -> Response[bytes]:
    """A refusal answered on the CPO's behalf: a CommandResponse, so the eMSP handles it like any other."""
    if exc.reason not in _HUB_ANSWERS:
        raise from_hub_error(exc) from None
    status, result = _HUB_ANSWERS[exc.reason]
    return ocpi_response(
        {"result": result, "timeout": 0, "message": [{"language": "en", "text": exc.message}]},
        status=status,
        message=exc.message,
        headers={rh.TO_COUNTRY_CODE: requester.country_code, rh.TO_PARTY_ID: requester.party_id},
    )


class CommandsReceiver(Controller):
    """eMSPs send commands here (the Hub is their CPOs' commands Receiver)."""

    path = "/2.2.1/receiver/commands"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @post("/{command:str}", status_code=200)
    async def send_command(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        kind = command_type(request)
        shape, raw = parse_object(await request.body(), COMMAND_SHAPES[kind], kind)
        settings = request.app.state.settings
        routing = rh.read_routing(request, caller, pushes.hub_party(settings), default_sender=None)
        create = rpc.CreateCommandRequest(
            type=pb.CommandType.Value(f"COMMAND_TYPE_{kind}"),
            caller_platform=caller.platform.name if caller.platform else "",
            requester=types_pb2.PartyRef(country_code=routing.sender.country_code, party_id=routing.sender.party_id),
            response_url=requester_response_url(request, raw["response_url"]),
            correlation_id=pushes.correlation_id(request),
            # Only the caller's own X-Request-ID (not one the Hub made up) marks a retry.
            request_id=request.headers.get("x-request-id", "")[:255],
        )
        if routing.scenario is rh.Scenario.DIRECT and routing.to is not None:
            create.to.CopyFrom(types_pb2.PartyRef(country_code=routing.to.country_code, party_id=routing.to.party_id))
        for field in ("location_id", "evse_uid", "connector_id", "session_id", "reservation_id"):
            if getattr(shape, field, None):
                setattr(create, field, getattr(shape, field))
        token = getattr(shape, "token", None)
        if token is not None:
            create.token_owner.CopyFrom(types_pb2.PartyRef(country_code=token.country_code, party_id=token.party_id))
        expiry = getattr(shape, "expiry_date", None)
        if expiry is not None:
            stamp = Timestamp()
            stamp.FromDatetime(parse_ocpi_datetime(expiry))
            create.reservation_expiry.CopyFrom(stamp)
        hub: HubClient = request.app.state.hub
        try:
            created = await hub.create_command(create)
        except HubError as exc:
            return hub_answer(exc, routing.sender)
        command_id = created.command.name.removeprefix("commands/")
        return await send_to_cpo(
            request,
            created,
            method="POST",
            path=kind,
            body=raw,
            hub_response_url=results_url(request, MODULE, f"{kind}/{command_id}"),
        )


class CommandsSender(Controller):
    """CPOs post CommandResults here: the response_url the Hub put in each command it relayed."""

    path = "/2.2.1/sender/commands"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @post("/{command:str}/{command_id:str}", status_code=200)
    async def post_result(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        body, sent_as = in_ocpi_words(await request.body())
        result, _ = parse_object(body, CommandResult, "command result")
        return await record_result(
            request, caller, request.path_params["command_id"], result.result, body, sent_as=sent_as
        )


async def record_result(
    request: Request[Any, Any, Any], caller: Caller, command_id: str, result: str, body: bytes, *, sent_as: str = ""
) -> Response[bytes]:
    """Shared by Commands and ChargingProfiles results: recorded once, relayed to the requester's response_url."""
    hub: HubClient = request.app.state.hub
    try:
        recorded = await hub.record_command_result(
            rpc.RecordCommandResultRequest(
                name=f"commands/{command_id}",
                caller_platform=caller.platform.name if caller.platform else "",
                result=result,
                body=body,
                correlation_id=pushes.correlation_id(request),
                result_sent_as=sent_as,
            )
        )
    except HubError as exc:
        raise from_hub_error(exc, {"INVALID_FIELD": (HTTP_404_NOT_FOUND, OcpiStatus.CLIENT_ERROR)}) from None
    command = recorded.command
    if sent_as:
        party = f"{command.target.country_code}/{command.target.party_id}"
        COMMAND_RESULT_TRANSLATIONS.labels(party, sent_as).inc()
    notes = {
        rpc.RESULT_DISPOSITION_DUPLICATE: "already received: relayed once",
        rpc.RESULT_DISPOSITION_LATE: f"recorded, not relayed: the command is {_state(command)}",
    }
    return ocpi_response(
        message=notes.get(recorded.disposition),
        headers={
            rh.FROM_COUNTRY_CODE: command.requester.country_code,
            rh.FROM_PARTY_ID: command.requester.party_id,
            rh.TO_COUNTRY_CODE: command.target.country_code,
            rh.TO_PARTY_ID: command.target.party_id,
        },
    )


def _state(command: pb.Command) -> str:
    return pb.CommandState.Name(command.state).removeprefix("COMMAND_STATE_").lower().replace("_", " ")
