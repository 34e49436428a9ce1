"""Tokens module: eMSPs push tokens (stored, broadcast to CPOs); CPOs pull them and ask for real-time authorization,
answered from the Hub's copy when the token's whitelist allows it, else by the eMSP that owns the token."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask
from litestar import Controller, Request, Response, get, patch, post, put
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
from facade.tokens.schemas import parse_location_references, parse_token, parse_token_patch
from hubclient import HubClient, HubError
from ocpihub.routing.v1 import routing_service_pb2 as routing_rpc
from ocpihub.tokens.v1 import tokens_pb2 as pb
from ocpihub.tokens.v1 import tokens_service_pb2 as rpc
from ocpihub.types.v1 import types_pb2

MODULE = "tokens"
TOKEN = "/{country_code:str}/{party_id:str}/{uid:str}"  # noqa: S105 — a URL pattern, not a secret
TOKEN_TYPES = ("AD_HOC_USER", "APP_USER", "OTHER", "RFID")


def _token_type(request: Request[Any, Any, Any]) -> str:
    """`?type=` names the token type; without it, RFID (OCPI mod_tokens)."""
    token_type = request.query_params.get("type") or "RFID"
    if token_type not in TOKEN_TYPES:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"type must be one of {', '.join(TOKEN_TYPES)}")
    return token_type


class TokensReceiver(Controller):
    path = "/2.2.1/receiver/tokens"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @put(TOKEN, status_code=200)
    async def put_token(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _receive(request, caller)

    @patch(TOKEN, status_code=200)
    async def patch_token(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        return await _receive(request, caller)

    @get(TOKEN)
    async def get_stored(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        params = request.path_params
        owner = pushes.own_party(request, caller)
        hub: HubClient = request.app.state.hub
        try:
            token = await hub.get_token(
                f"tokens/{owner.country_code}/{owner.party_id}/{params['uid']}/{_token_type(request)}"
            )
        except HubError as exc:
            raise from_hub_error(exc) from None
        return ocpi_response(from_proto(token))


async def _receive(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    push = await pushes.read_push(request, caller, MODULE)
    token_type = _token_type(request)
    is_patch = request.method == "PATCH"
    _, raw = (parse_token_patch if is_patch else parse_token)(push.body)
    pushes.same_id("uid", request.path_params["uid"], raw.get("uid"))
    pushes.same_id("type", token_type, raw.get("type"))
    pushes.same_id("country_code", push.owner.country_code, raw.get("country_code"))
    pushes.same_id("party_id", push.owner.party_id, raw.get("party_id"))
    path = f"{push.path}?{request.url.query}" if request.url.query else push.path
    token, fields = to_proto_with_fields(raw, pb.Token)
    token.uid, token.country_code, token.party_id = (
        request.path_params["uid"],
        push.owner.country_code,
        push.owner.party_id,
    )
    token.type = types_pb2.TokenType.Value(f"TOKEN_TYPE_{token_type}")
    relay = dataclasses.replace(push, path=path).relay(MODULE, request.method, pushes.correlation_id(request))
    hub: HubClient = request.app.state.hub
    return await pushes.answer_write(
        hub.update_token(
            rpc.UpdateTokenRequest(
                token=token,
                update_mask=FieldMask(paths=[*fields, "extensions_json"]) if is_patch else None,
                allow_missing=not is_patch,
                caller_platform=caller.platform.name if caller.platform else "",
                relay=relay,
            )
        ),
        # Addressed to one CPO: kept for it alone, then forwarded (the query goes along with the request).
        forwarding=(request, push, MODULE),
    )


class TokensSender(Controller):
    """CPOs pull tokens and ask for real-time authorization here."""

    path = "/2.2.1/sender/tokens"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @get("/")
    async def list_tokens(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        query, page = read_pull(request, caller, rpc.ListTokensRequest())
        query.viewer = str(
            rh.read_routing(request, caller, pushes.hub_party(request.app.state.settings), default_sender=None).sender
        )
        hub: HubClient = request.app.state.hub
        try:
            listing = await hub.list_tokens(query)
        except HubError as exc:
            raise from_hub_error(exc) from None
        return page_response(request, MODULE, page, listing.tokens, listing.total_size)

    @post("/{uid:str}/authorize", status_code=200)
    async def authorize(self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> Response[bytes]:
        token_type = _token_type(request)
        body = await request.body()
        _, references = parse_location_references(body)
        settings = request.app.state.settings
        routing = rh.read_routing(request, caller, pushes.hub_party(settings), default_sender=None)
        hub: HubClient = request.app.state.hub
        uid = request.path_params["uid"]
        try:
            route = await hub.route_authorization(
                rpc.RouteAuthorizationRequest(
                    uid=uid, type=types_pb2.TokenType.Value(f"TOKEN_TYPE_{token_type}"), viewer=str(routing.sender)
                )
            )
        except HubError as exc:
            raise from_hub_error(exc) from None
        owner = rh.Party(route.owner.country_code, route.owner.party_id)
        if route.allowed:
            return _answer(route.token, route.allowed, references, owner, routing.sender)
        to_owner = rh.Routing(rh.Scenario.DIRECT, routing.sender, owner)
        try:
            return await forward(
                request,
                to_owner,
                module=MODULE,
                interface_role=routing_rpc.INTERFACE_ROLE_SENDER,
                path=f"{uid}/authorize",
                body=body or None,
            )
        except OcpiError as exc:
            # ALLOWED_OFFLINE: the whitelist may be used exactly when the eMSP cannot be reached (mod_tokens).
            reachable = exc.status not in (OcpiStatus.FORWARD_TIMEOUT, OcpiStatus.CONNECTION_PROBLEM)
            if reachable or route.token.whitelist != pb.WHITELIST_TYPE_ALLOWED_OFFLINE:
                raise
            allowed = pb.ALLOWED_TYPE_ALLOWED if route.token.valid else pb.ALLOWED_TYPE_BLOCKED
            return _answer(route.token, allowed, references, owner, routing.sender)


def _answer(
    token: pb.Token,
    allowed: pb.AllowedType.ValueType,
    references: dict[str, Any] | None,
    owner: rh.Party,
    requester: rh.Party,
) -> Response[bytes]:
    """AuthorizationInfo from the Hub's copy, sent on the owner's behalf."""
    info: dict[str, Any] = {
        "allowed": pb.AllowedType.Name(allowed).removeprefix("ALLOWED_TYPE_"),
        "token": from_proto(token),
        "authorization_reference": uuid.uuid4().hex[:36],
    }
    if references:
        info["location"] = references
    return ocpi_response(
        info,
        headers={
            rh.FROM_COUNTRY_CODE: owner.country_code,
            rh.FROM_PARTY_ID: owner.party_id,
            rh.TO_COUNTRY_CODE: requester.country_code,
            rh.TO_PARTY_ID: requester.party_id,
        },
    )
