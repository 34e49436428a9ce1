"""gRPC servicer of ocpihub.tokens.v1."""

from __future__ import annotations

import grpc

from core.errors import InvalidArgument
from core.names import page_offset
from core.tokens.repository import type_name
from core.tokens.service import TokensService
from ocpihub.tokens.v1 import tokens_service_pb2 as rpc
from ocpihub.tokens.v1 import tokens_service_pb2_grpc as rpc_grpc
from ocpihub.types.v1 import types_pb2


class TokensServicer(rpc_grpc.TokensServiceServicer):
    def __init__(self, service: TokensService) -> None:
        self._service = service

    async def GetToken(self, request: rpc.GetTokenRequest, context: grpc.aio.ServicerContext) -> rpc.GetTokenResponse:
        parts = request.name.split("/")
        if len(parts) != 5 or parts[0] != "tokens":
            raise InvalidArgument([("name", "must be tokens/{country_code}/{party_id}/{uid}/{type}")])
        return rpc.GetTokenResponse(token=await self._service.get(parts[1], parts[2], parts[3], parts[4]))

    async def ListTokens(
        self, request: rpc.ListTokensRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListTokensResponse:
        offset = page_offset(request.page_token, request.skip)
        tokens, total = await self._service.list_tokens(
            request.country_code,
            request.party_id,
            request.last_updated_from.ToDatetime() if request.HasField("last_updated_from") else None,
            request.last_updated_to.ToDatetime() if request.HasField("last_updated_to") else None,
            offset,
            request.page_size or 100,
            request.viewer,
        )
        more = offset + len(tokens) < total
        return rpc.ListTokensResponse(
            tokens=tokens, total_size=total, next_page_token=str(offset + len(tokens)) if more else ""
        )

    async def UpdateToken(
        self, request: rpc.UpdateTokenRequest, context: grpc.aio.ServicerContext
    ) -> rpc.UpdateTokenResponse:
        if not request.caller_platform:
            raise InvalidArgument([("caller_platform", "is required")])
        mask = request.update_mask if request.HasField("update_mask") and request.update_mask.paths else None
        if mask is not None and "last_updated" not in mask.paths:
            raise InvalidArgument([("update_mask", "a PATCH must carry last_updated")])
        token, result, queued = await self._service.update(
            request.token, mask, request.allow_missing, request.caller_platform, request.relay
        )
        return rpc.UpdateTokenResponse(
            token=token, result=result, deliveries=queued.count, forward_delivery=queued.forward_delivery
        )

    async def RouteAuthorization(
        self, request: rpc.RouteAuthorizationRequest, context: grpc.aio.ServicerContext
    ) -> rpc.RouteAuthorizationResponse:
        token_type = type_name(request.type or types_pb2.TOKEN_TYPE_RFID)
        token, allowed = await self._service.route_authorization(request.uid, token_type, request.viewer)
        response = rpc.RouteAuthorizationResponse(
            token=token,
            owner=types_pb2.PartyRef(country_code=token.country_code, party_id=token.party_id, role="EMSP"),
        )
        if allowed is not None:
            response.allowed = allowed
        return response
