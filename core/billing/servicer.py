"""gRPC servicer of ocpihub.billing.v1."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import grpc

from core.access import current_caller
from core.billing.service import BillingService, agreement_pb
from core.billing.settlement import KINDS, Agreement, Share
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
        statement = await self._service.statement(request.period, request.party, share, request.time_zone)
        return rpc.GetStatementResponse(statement=statement)

    async def CloseSettlementPeriod(
        self, request: rpc.CloseSettlementPeriodRequest, context: grpc.aio.ServicerContext
    ) -> rpc.CloseSettlementPeriodResponse:
        return rpc.CloseSettlementPeriodResponse(statement=await self._service.close(request.period, request.time_zone))

    async def SetSettlementAgreement(
        self, request: rpc.SetSettlementAgreementRequest, context: grpc.aio.ServicerContext
    ) -> rpc.SetSettlementAgreementResponse:
        caller = current_caller.get()
        stored = await self._service.set_agreement(agreement_from_pb(request.agreement), caller.actor if caller else "")
        return rpc.SetSettlementAgreementResponse(agreement=agreement_pb(*stored))

    async def ListSettlementAgreements(
        self, request: rpc.ListSettlementAgreementsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListSettlementAgreementsResponse:
        cpo = ""
        if request.cpo:
            cpo = "/".join(_party(request.cpo, "cpo"))
        stored, default = await self._service.agreements(cpo)
        return rpc.ListSettlementAgreementsResponse(
            agreements=[agreement_pb(*entry) for entry in stored], hub_default=agreement_pb(default)
        )


def _party(value: str, field: str) -> tuple[str, str]:
    parts = value.strip().upper().split("/")
    if len(parts) != 2 or not re.fullmatch(r"[A-Z]{2}", parts[0]) or not re.fullmatch(r"[A-Z0-9]{3}", parts[1]):
        raise InvalidArgument([(field, f"{value!r} is not a party like VN/CP1 (country code / party id)")])
    return parts[0], parts[1]


def agreement_from_pb(message: pb.SettlementAgreement) -> Agreement:
    if not message.cpo:
        raise InvalidArgument([("agreement.cpo", "the CPO is required, e.g. VN/CP1")])
    cpo = "/".join(_party(message.cpo, "agreement.cpo"))
    emsp = "/".join(_party(message.emsp, "agreement.emsp")) if message.emsp else ""
    try:
        valid_from = date.fromisoformat(message.valid_from)
    except ValueError:
        raise InvalidArgument(
            [("agreement.valid_from", f"{message.valid_from!r} is not a date like 2026-11-01")]
        ) from None
    if message.period not in KINDS:
        raise InvalidArgument([("agreement.period", f"{message.period!r} is not one of {', '.join(KINDS)}")])
    try:
        vat = Decimal(message.vat_percent or "0")
    except InvalidOperation:
        vat = Decimal(-1)
    if not vat.is_finite() or vat < 0 or vat > 100:
        raise InvalidArgument([("agreement.vat_percent", f"{message.vat_percent!r} is not a percent from 0 to 100")])
    return Agreement(cpo, emsp, valid_from, share_from_pb(message.share), message.period, vat)
