"""gRPC servicer of ocpihub.cdrs.v1."""

from __future__ import annotations

import grpc

from core.cdrs.repository import CdrFilter
from core.cdrs.service import CdrsService
from core.errors import InvalidArgument
from core.names import page_offset, party_pair, split_name
from ocpihub.cdrs.v1 import cdrs_pb2 as pb
from ocpihub.cdrs.v1 import cdrs_service_pb2 as rpc
from ocpihub.cdrs.v1 import cdrs_service_pb2_grpc as rpc_grpc


class CdrsServicer(rpc_grpc.CdrsServiceServicer):
    def __init__(self, service: CdrsService) -> None:
        self._service = service

    async def CreateCdr(
        self, request: rpc.CreateCdrRequest, context: grpc.aio.ServicerContext
    ) -> rpc.CreateCdrResponse:
        if not request.caller_platform:
            raise InvalidArgument([("caller_platform", "is required")])
        cdr, created, verification, queued = await self._service.create(
            request.cdr, request.caller_platform, request.relay
        )
        return rpc.CreateCdrResponse(
            cdr=cdr,
            created=created,
            verification=verification,
            deliveries=queued.count,
            forward_delivery=queued.forward_delivery,
        )

    async def GetCdr(self, request: rpc.GetCdrRequest, context: grpc.aio.ServicerContext) -> rpc.GetCdrResponse:
        cdr, verification = await self._service.get(*split_name(request.name, "cdrs", 3))
        return rpc.GetCdrResponse(cdr=cdr, verification=verification)

    async def ListCdrs(self, request: rpc.ListCdrsRequest, context: grpc.aio.ServicerContext) -> rpc.ListCdrsResponse:
        owner = party_pair(request.token_owner, "token_owner")
        state = (
            pb.VerificationState.Name(request.verification_state).removeprefix("VERIFICATION_STATE_")
            if request.verification_state
            else ""
        )
        f = CdrFilter(
            country_code=request.country_code.upper(),
            party_id=request.party_id.upper(),
            last_updated_from=request.last_updated_from.ToDatetime() if request.HasField("last_updated_from") else None,
            last_updated_to=request.last_updated_to.ToDatetime() if request.HasField("last_updated_to") else None,
            token_owner=owner,
            verification_state=state,
        )
        offset = page_offset(request.page_token, request.skip)
        cdrs, total = await self._service.list_cdrs(f, offset=offset, limit=request.page_size or 100)
        more = offset + len(cdrs) < total
        return rpc.ListCdrsResponse(
            cdrs=cdrs, total_size=total, next_page_token=str(offset + len(cdrs)) if more else ""
        )
