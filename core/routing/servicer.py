"""gRPC servicer of ocpihub.routing.v1."""

from __future__ import annotations

import grpc

from core.errors import InvalidArgument
from core.routing.service import RoutingService
from ocpihub.routing.v1 import routing_service_pb2 as rpc
from ocpihub.routing.v1 import routing_service_pb2_grpc as rpc_grpc
from ocpihub.types.v1 import types_pb2


class RoutingServicer(rpc_grpc.RoutingServiceServicer):
    def __init__(self, service: RoutingService) -> None:
        self._service = service

    async def ResolveReceiver(
        self, request: rpc.ResolveReceiverRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ResolveReceiverResponse:
        violations = []
        if not request.module:
            violations.append(("module", "is required"))
        if request.interface_role == rpc.INTERFACE_ROLE_UNSPECIFIED:
            violations.append(("interface_role", "is required"))
        to = _pair(request.to)
        requester = _pair(request.requester)
        if to is None and not request.session_id:
            violations.append(("to", "country_code and party_id are required (or session_id and requester)"))
        if request.session_id and requester is None:
            violations.append(("requester", "country_code and party_id are required with session_id"))
        if violations:
            raise InvalidArgument(violations)
        role = rpc.InterfaceRole.Name(request.interface_role).removeprefix("INTERFACE_ROLE_")
        session = (request.session_id, requester) if request.session_id and requester else None
        resolved = await self._service.resolve_receiver(request.module, role, to, session)
        party = resolved.route.receiver.party
        return rpc.ResolveReceiverResponse(
            receiver=types_pb2.PartyRef(country_code=party.country_code, party_id=party.party_id, role=str(party.role)),
            endpoint_url=resolved.route.endpoint_url,
            token=resolved.token,
            encode_auth_token=resolved.route.encode_auth_token,
        )


def _pair(party: types_pb2.PartyRef) -> tuple[str, str] | None:
    if not (party.country_code and party.party_id):
        return None
    return party.country_code.upper(), party.party_id.upper()
