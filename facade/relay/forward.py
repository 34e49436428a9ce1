"""Direct routing (OCPI-to-* names a party): forward the request, relay the party's answer (HUB-DIGEST §1.8-1.9).

The forwarded request gets a new X-Request-ID and keeps the X-Correlation-ID; the answer goes back with the
client's own X-Request-ID and swapped routing headers. No answer in time → 4002; cannot connect → 4003.

A forwarded write the core has kept comes with the outbox delivery the core queued for it, leased to this facade:
this send is that delivery's first attempt, so what the party did not take (4002, 4003, 5xx) the outbox retries.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from litestar import Request, Response
from litestar.status_codes import HTTP_404_NOT_FOUND

from facade.ocpi import routing_headers as rh
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.status import OcpiStatus
from facade.peers.client import PeerAnswer, PeerClient, PeerTimeout, PeerUnreachable
from facade.relay.deliveries import classify
from hubclient import HubClient, HubError
from ocpihub.deliveries.v1 import deliveries_service_pb2 as deliveries_rpc
from ocpihub.routing.v1 import routing_service_pb2 as routing_rpc
from ocpihub.types.v1 import types_pb2

log = logging.getLogger(__name__)

# Headers of the party's answer worth passing on (pagination of a relayed GET list).
_PASSED_ON = ("X-Total-Count", "X-Limit", "Location")
# A session the Hub cannot place is an unknown object named in the URL: HTTP 404, and 2001 as OCPI answers a
# charging_preferences PUT the EVSE cannot take (mod_sessions).
_SESSION_NOT_FOUND = {"UNKNOWN_SESSION": (HTTP_404_NOT_FOUND, OcpiStatus.INVALID_PARAMETERS)}


async def forward(
    request: Request[Any, Any, Any],
    routing: rh.Routing,
    *,
    module: str,
    interface_role: routing_rpc.InterfaceRole.ValueType,
    path: str,
    body: bytes | None,
    session_id: str = "",
    delivery: str = "",
) -> Response[bytes]:
    """To the party OCPI-to-* names; with `session_id` and no such party, to the CPO of the sender's session.
    `delivery` names the outbox delivery of this request leased to this facade (or is empty)."""
    hub: HubClient = request.app.state.hub
    peers: PeerClient = request.app.state.peers
    resolve = routing_rpc.ResolveReceiverRequest(module=module, interface_role=interface_role)
    if routing.scenario is rh.Scenario.DIRECT and routing.to is not None:
        resolve.to.CopyFrom(types_pb2.PartyRef(country_code=routing.to.country_code, party_id=routing.to.party_id))
    if session_id:
        resolve.session_id = session_id
        resolve.requester.CopyFrom(
            types_pb2.PartyRef(country_code=routing.sender.country_code, party_id=routing.sender.party_id)
        )
    try:
        route = await hub.resolve_receiver(resolve)
    except HubError as exc:
        await _settle(hub, delivery, None, "cannot resolve the receiver")
        raise from_hub_error(exc, _SESSION_NOT_FOUND) from None
    receiver = f"{route.receiver.country_code}/{route.receiver.party_id}"
    url = route.endpoint_url.rstrip("/") + (f"/{path}" if path else "")
    if request.url.query:
        url += f"?{request.url.query}"
    correlation_id = request.scope["state"]["ocpi_ids"][1]
    headers = {
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": correlation_id,
        rh.FROM_COUNTRY_CODE: routing.sender.country_code,
        rh.FROM_PARTY_ID: routing.sender.party_id,
        rh.TO_COUNTRY_CODE: route.receiver.country_code,
        rh.TO_PARTY_ID: route.receiver.party_id,
    }
    try:
        answer = await peers.send(
            request.method, url, route.token, encode=route.encode_auth_token, headers=headers, body=body
        )
    except PeerTimeout:
        await _settle(hub, delivery, None, "timed out")
        raise OcpiError(OcpiStatus.FORWARD_TIMEOUT, f"{receiver} did not answer in time") from None
    except PeerUnreachable as exc:
        log.info("forward to %s failed: %s", receiver, exc.reason)
        await _settle(hub, delivery, None, f"cannot connect: {exc.reason}")
        raise OcpiError(OcpiStatus.CONNECTION_PROBLEM, f"cannot reach {receiver}: {exc.reason}") from None
    await _settle(hub, delivery, answer, "")
    passed = {name: answer.headers[name] for name in _PASSED_ON if name in answer.headers}
    return Response(
        answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type", "application/json"),
        headers={
            **passed,
            rh.FROM_COUNTRY_CODE: route.receiver.country_code,
            rh.FROM_PARTY_ID: route.receiver.party_id,
            rh.TO_COUNTRY_CODE: routing.sender.country_code,
            rh.TO_PARTY_ID: routing.sender.party_id,
        },
    )


async def _settle(hub: HubClient, delivery: str, answer: PeerAnswer | None, failure: str) -> None:
    """Records the forward as the delivery's attempt, as a delivery worker would: taken, refused, or to retry."""
    if not delivery:
        return
    if answer is None:
        outcome, detail, wait = deliveries_rpc.OUTCOME_RETRY, failure, None
    else:
        outcome, detail, wait = classify(answer)
    complete = deliveries_rpc.CompleteDeliveryRequest(name=delivery, outcome=outcome, detail=detail)
    if wait is not None:
        complete.retry_after.FromTimedelta(wait)
    try:
        await hub.complete_delivery(complete)
    except HubError as exc:
        # Its lease runs out and a worker sends it again: at-least-once, receivers dedupe by object.
        log.warning("cannot record the outcome of %s: %s", delivery, exc)
