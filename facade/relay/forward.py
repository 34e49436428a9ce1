"""Direct routing (OCPI-to-* names a party): forward the request, relay the party's answer (HUB-DIGEST §1.8-1.9).

The forwarded request gets a new X-Request-ID and keeps the X-Correlation-ID; the answer goes back with the
client's own X-Request-ID and swapped routing headers. No answer in time → 4002; cannot connect → 4003.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from litestar import Request, Response

from facade.ocpi import routing_headers as rh
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.status import OcpiStatus
from facade.peers.client import PeerClient, PeerTimeout, PeerUnreachable
from hubclient import HubClient, HubError
from ocpihub.routing.v1 import routing_service_pb2 as routing_rpc
from ocpihub.types.v1 import types_pb2

log = logging.getLogger(__name__)

# Headers of the party's answer worth passing on (pagination of a relayed GET list).
_PASSED_ON = ("X-Total-Count", "X-Limit", "Location")


async def forward(
    request: Request[Any, Any, Any],
    routing: rh.Routing,
    *,
    module: str,
    interface_role: routing_rpc.InterfaceRole.ValueType,
    path: str,
    body: bytes | None,
) -> Response[bytes]:
    assert routing.to is not None
    hub: HubClient = request.app.state.hub
    peers: PeerClient = request.app.state.peers
    try:
        route = await hub.resolve_receiver(
            routing_rpc.ResolveReceiverRequest(
                module=module,
                interface_role=interface_role,
                to=types_pb2.PartyRef(country_code=routing.to.country_code, party_id=routing.to.party_id),
            )
        )
    except HubError as exc:
        raise from_hub_error(exc) from None
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
        raise OcpiError(OcpiStatus.FORWARD_TIMEOUT, f"{routing.to} did not answer in time") from None
    except PeerUnreachable as exc:
        log.info("forward to %s failed: %s", routing.to, exc.reason)
        raise OcpiError(OcpiStatus.CONNECTION_PROBLEM, f"cannot reach {routing.to}: {exc.reason}") from None
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
