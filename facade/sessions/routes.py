"""Sessions module: CPOs push to the Receiver interface; the Hub stores each session and relays it to the eMSP that
owns its token only (never broadcast); eMSPs pull their own sessions from the Sender interface."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from google.protobuf.field_mask_pb2 import FieldMask
from litestar import Controller, Request, Response, get, patch, put
from litestar.di import NamedDependency, Provide

from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller, authenticate_registered
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.proto_json import from_proto, to_proto_with_fields
from facade.ocpi.status import OcpiStatus
from facade.relay import push as pushes
from facade.relay.forward import forward
from facade.relay.pull import page_response, read_pull
from facade.sessions.schemas import parse_charging_preferences, parse_session, parse_session_patch
from hubclient import HubClient, HubError
from ocpihub.routing.v1 import routing_service_pb2 as routing_rpc
from ocpihub.sessions.v1 import sessions_pb2 as pb
from ocpihub.sessions.v1 import sessions_service_pb2 as rpc

MODULE = "sessions"
_SESSION_ID = re.compile(r"[\x20-\x7e]{1,36}")  # CiString(36)
SESSION = "/{country_code:str}/{party_id:str}/{session_id:str}"


class SessionsReceiver(Controller):
    path = "/2.2.1/receiver/sessions"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @put(SESSION, status_code=200)
    async def put_session(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _receive(request, caller)

    @patch(SESSION, status_code=200)
    async def patch_session(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _receive(request, caller)

    @get(SESSION)
    async def get_stored(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        owner = pushes.own_party(request, caller)
        hub: HubClient = request.app.state.hub
        try:
            found = await hub.get_session(
                f"sessions/{owner.country_code}/{owner.party_id}/{request.path_params['session_id']}"
            )
        except HubError as exc:
            raise from_hub_error(exc) from None
        return ocpi_response(from_proto(found.session))


async def _receive(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    push = await pushes.read_push(request, caller, MODULE)
    is_patch = request.method == "PATCH"
    _, raw = (parse_session_patch if is_patch else parse_session)(push.body)
    pushes.same_id("id", request.path_params["session_id"], raw.get("id"))
    pushes.same_id("country_code", push.owner.country_code, raw.get("country_code"))
    pushes.same_id("party_id", push.owner.party_id, raw.get("party_id"))
    # Sessions are never broadcast: the Hub stores each, and relays it to the token's owner, or to the one party the
    # CPO addressed it to (forwarded at once, its answer relayed; the outbox delivers what that could not).
    session, fields = to_proto_with_fields(raw, pb.Session)
    session.id, session.country_code, session.party_id = (
        request.path_params["session_id"],
        push.owner.country_code,
        push.owner.party_id,
    )
    hub: HubClient = request.app.state.hub
    return await pushes.answer_write(
        hub.update_session(
            rpc.UpdateSessionRequest(
                session=session,
                update_mask=FieldMask(paths=[*fields, "extensions_json"]) if is_patch else None,
                allow_missing=not is_patch,
                caller_platform=caller.platform.name if caller.platform else "",
                relay=push.relay(MODULE, request.method, pushes.correlation_id(request)),
            )
        ),
        forwarding=(request, push, MODULE),
    )


class SessionsSender(Controller):
    """eMSPs pull the sessions of their own tokens."""

    path = "/2.2.1/sender/sessions"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @get("/")
    async def list_sessions(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        # OCPI makes date_from mandatory for Sessions (HUB-DIGEST §3.2): a full history is not a routine pull.
        if not request.query_params.get("date_from"):
            raise OcpiError(OcpiStatus.INVALID_PARAMETERS, "date_from is required when pulling sessions")
        query, page = read_pull(request, caller, rpc.ListSessionsRequest())
        settings = request.app.state.settings
        receiver = rh.read_routing(request, caller, pushes.hub_party(settings), default_sender=None).sender
        query.token_owner = str(receiver)
        hub: HubClient = request.app.state.hub
        try:
            listing = await hub.list_sessions(query)
        except HubError as exc:
            raise from_hub_error(exc) from None
        return page_response(request, MODULE, page, listing.sessions, listing.total_size)

    @put("/{session_id:str}/charging_preferences", status_code=200)
    async def set_charging_preferences(
        self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]
    ) -> Response[bytes]:
        """The eMSP's ChargingPreferences go to the CPO of the session (named by OCPI-to-*, else found from the
        session, as for STOP_SESSION); the CPO's ChargingPreferencesResponse comes back as it answered."""
        session_id = request.path_params["session_id"]
        if not _SESSION_ID.fullmatch(session_id):
            raise OcpiError(OcpiStatus.INVALID_PARAMETERS, "session_id must be a CiString(36): printable ASCII")
        body = await request.body()
        parse_charging_preferences(body)
        settings = request.app.state.settings
        return await forward(
            request,
            rh.read_routing(request, caller, pushes.hub_party(settings), default_sender=None),
            module=MODULE,
            interface_role=routing_rpc.INTERFACE_ROLE_SENDER,
            path=f"{quote(session_id, safe='')}/charging_preferences",
            body=body,
            session_id=session_id,
        )
