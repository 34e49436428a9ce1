"""gRPC servicer of ocpihub.sessions.v1."""

from __future__ import annotations

import grpc

from core.errors import InvalidArgument
from core.names import page_offset, party_pair, split_name
from core.sessions.repository import SessionFilter
from core.sessions.service import SessionsService
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.sessions.v1 import sessions_service_pb2 as rpc
from ocpihub.sessions.v1 import sessions_service_pb2_grpc as rpc_grpc


class SessionsServicer(rpc_grpc.SessionsServiceServicer):
    def __init__(self, service: SessionsService) -> None:
        self._service = service

    async def GetSession(
        self, request: rpc.GetSessionRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetSessionResponse:
        session, flags = await self._service.get(*split_name(request.name, "sessions", 3))
        return rpc.GetSessionResponse(session=session, flags=flags)

    async def ListSessions(
        self, request: rpc.ListSessionsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListSessionsResponse:
        owner = party_pair(request.token_owner, "token_owner")
        f = SessionFilter(
            country_code=request.country_code.upper(),
            party_id=request.party_id.upper(),
            last_updated_from=request.last_updated_from.ToDatetime() if request.HasField("last_updated_from") else None,
            last_updated_to=request.last_updated_to.ToDatetime() if request.HasField("last_updated_to") else None,
            token_owner=owner,
            location_id=request.location_id,
            status=sessions_pb2.SessionStatus.Name(request.status).removeprefix("SESSION_STATUS_")
            if request.status
            else "",
        )
        offset = page_offset(request.page_token, request.skip)
        sessions, total = await self._service.list_sessions(f, offset=offset, limit=request.page_size or 100)
        more = offset + len(sessions) < total
        return rpc.ListSessionsResponse(
            sessions=sessions, total_size=total, next_page_token=str(offset + len(sessions)) if more else ""
        )

    async def UpdateSession(
        self, request: rpc.UpdateSessionRequest, context: grpc.aio.ServicerContext
    ) -> rpc.UpdateSessionResponse:
        if not request.caller_platform:
            raise InvalidArgument([("caller_platform", "is required")])
        mask = request.update_mask if request.HasField("update_mask") and request.update_mask.paths else None
        if mask is not None and "last_updated" not in mask.paths:
            raise InvalidArgument([("update_mask", "a PATCH must carry last_updated")])
        written = await self._service.update(
            request.session, mask, request.allow_missing, request.caller_platform, request.relay
        )
        return rpc.UpdateSessionResponse(
            session=written.session,
            result=written.result,
            deliveries=written.queued.count,
            forward_delivery=written.queued.forward_delivery,
            flags=written.flags,
        )
