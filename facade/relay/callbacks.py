"""Requests whose outcome comes later (Commands, ChargingProfiles): relayed to the CPO with the Hub's own
response_url in place of the requester's, so the CPO's result comes back through the Hub (HUB-DIGEST §1.9).

The core has already recorded the command (and decided the CPO); here the request goes out, and the CPO's synchronous
answer goes back to the requester unchanged and is recorded, so the core knows how long to wait for the result.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response
from litestar.status_codes import HTTP_409_CONFLICT

from facade.ocpi import routing_headers as rh
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from facade.peers.client import PeerAnswer, PeerClient, PeerTimeout, PeerUnreachable
from facade.relay.push import correlation_id
from hubclient import HubClient, HubError
from ocpihub.commands.v1 import commands_pb2
from ocpihub.commands.v1 import commands_service_pb2 as rpc

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder(decimal_format="number")


def results_url(request: Request[Any, Any, Any], module: str, suffix: str) -> str:
    """The Hub's response_url for one command: on the Hub's `module` SENDER interface."""
    return f"{request.app.state.settings.public_url}/ocpi/2.2.1/sender/{module}/{suffix}"


async def send_to_cpo(
    request: Request[Any, Any, Any],
    created: rpc.CreateCommandResponse,
    *,
    method: str,
    path: str,
    hub_response_url: str,
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> Response[bytes]:
    """Sends the request with `hub_response_url` (in the body or the query) and relays the CPO's answer; a retry of
    an earlier request (same X-Request-ID) gets that request's answer again and nothing is sent."""
    hub: HubClient = request.app.state.hub
    peers: PeerClient = request.app.state.peers
    command = created.command
    if created.replayed:
        return _replay(created)
    url = created.endpoint_url.rstrip("/") + f"/{path}"
    if query is not None:
        url += "?" + urlencode({**query, "response_url": hub_response_url})
    content = _encoder.encode({**body, "response_url": hub_response_url}) if body is not None else None
    headers = {
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": correlation_id(request),
        rh.FROM_COUNTRY_CODE: command.requester.country_code,
        rh.FROM_PARTY_ID: command.requester.party_id,
        rh.TO_COUNTRY_CODE: command.target.country_code,
        rh.TO_PARTY_ID: command.target.party_id,
    }
    target = f"{command.target.country_code}/{command.target.party_id}"
    try:
        answer = await peers.send(
            method, url, created.token, encode=created.encode_auth_token, headers=headers, body=content
        )
    except PeerTimeout:
        await record_answer(hub, command.name, "", 0, "timed out")
        raise OcpiError(OcpiStatus.FORWARD_TIMEOUT, f"{target} did not answer in time") from None
    except PeerUnreachable as exc:
        await record_answer(hub, command.name, "", 0, f"cannot connect: {exc.reason}")
        raise OcpiError(OcpiStatus.CONNECTION_PROBLEM, f"cannot reach {target}") from None
    response, timeout, problem = read_answer(answer)
    await record_answer(hub, command.name, response, timeout, problem, (answer.status_code, answer.content))
    return _relayed(command, answer.status_code, answer.content)


def _relayed(command: commands_pb2.Command, status: int, content: bytes) -> Response[bytes]:
    return Response(
        content,
        status_code=status,
        media_type="application/json",
        headers={
            rh.FROM_COUNTRY_CODE: command.target.country_code,
            rh.FROM_PARTY_ID: command.target.party_id,
            rh.TO_COUNTRY_CODE: command.requester.country_code,
            rh.TO_PARTY_ID: command.requester.party_id,
        },
    )


def _replay(created: rpc.CreateCommandResponse) -> Response[bytes]:
    if not created.answer_status:
        raise OcpiError(
            OcpiStatus.CLIENT_ERROR,
            "a request with this X-Request-ID is still being relayed to the CPO; retry in a moment",
            HTTP_409_CONFLICT,
        )
    return _relayed(created.command, created.answer_status, created.answer_body)


def read_answer(answer: PeerAnswer) -> tuple[str, int, str]:
    """(response type, timeout seconds, problem): the CPO's CommandResponse / ChargingProfileResponse, if it is one."""
    if answer.status_code != 200:
        return "", 0, f"HTTP {answer.status_code}"
    try:
        envelope = json.loads(answer.content)
        data = envelope.get("data") or {}
        response, timeout = data.get("result"), data.get("timeout", 0)
    except (ValueError, AttributeError, RecursionError):  # RecursionError: JSON nested absurdly deep
        return "", 0, "not an OCPI envelope"
    if not isinstance(response, str) or not isinstance(timeout, int) or isinstance(timeout, bool):
        return "", 0, f"OCPI {envelope.get('status_code')} without a response"
    return response, timeout, ""


async def record_answer(
    hub: HubClient,
    name: str,
    response: str,
    timeout_seconds: int,
    problem: str,
    answer: tuple[int, bytes] = (0, b""),
) -> None:
    try:
        await hub.record_command_response(
            rpc.RecordCommandResponseRequest(
                name=name,
                response=response,
                timeout_seconds=timeout_seconds,
                unreachable_detail=problem,
                answer_status=answer[0],
                answer_body=answer[1],
            )
        )
    except HubError as exc:
        # The command keeps its creation deadline: the requester still gets TIMEOUT if no result comes.
        log.warning("cannot record the CPO's answer to %s: %s", name, exc)
