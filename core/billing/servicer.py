"""gRPC servicer of ocpihub.billing.v1."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import grpc

from core.billing.service import BillingService
from core.billing.settlement import Share
from core.errors import InvalidArgument
from core.names import split_name
from ocpihub.billing.v1 import billing_pb2 as pb
from ocpihub.billing.v1 import billing_service_pb2 as rpc
from ocpihub.billing.v1 import billing_service_pb2_grpc as rpc_grpc


def share_from_pb(share: pb.RevenueShare) -> Share:
    try:
        return Share(Decimal(share.cpo_percent), Decimal(share.emsp_percent), Decimal(share.hub_percent))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidArgument([("share", f"{exc or 'percents must be decimal numbers'}")]) from None


class BillingServicer(rpc_grpc.BillingServiceServicer):
    def __init__(self, service: BillingService) -> None:
        self._service = service

    async def QuoteSession(
        self, request: rpc.QuoteSessionRequest, context: grpc.aio.ServicerContext
    ) -> rpc.QuoteSessionResponse:
        return rpc.QuoteSessionResponse(
            quote=await self._service.quote_session(*split_name(request.session, "sessions", 3))
        )

    async def VerifyCdr(
        self, request: rpc.VerifyCdrRequest, context: grpc.aio.ServicerContext
    ) -> rpc.VerifyCdrResponse:
        return rpc.VerifyCdrResponse(verification=await self._service.verify_cdr(*split_name(request.cdr, "cdrs", 3)))

    async def GetStatement(
        self, request: rpc.GetStatementRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetStatementResponse:
        share = share_from_pb(request.share) if request.HasField("share") else None
        return rpc.GetStatementResponse(statement=await self._service.statement(request.period, request.party, share))

    async def CloseSettlementPeriod(
        self, request: rpc.CloseSettlementPeriodRequest, context: grpc.aio.ServicerContext
    ) -> rpc.CloseSettlementPeriodResponse:
        return rpc.CloseSettlementPeriodResponse(statement=await self._service.close(request.period))
