"""gRPC servicer of ocpihub.qr.v1."""

from __future__ import annotations

import grpc

from core.errors import InvalidArgument
from core.qr.service import QrService
from core.qr.sticker_service import StickersService
from ocpihub.qr.v1 import qr_service_pb2 as rpc
from ocpihub.qr.v1 import qr_service_pb2_grpc as rpc_grpc
from ocpihub.types.v1 import types_pb2


def _cpo(ref: types_pb2.PartyRef) -> tuple[str, str]:
    if not (ref.country_code and ref.party_id):
        raise InvalidArgument([("cpo", "country_code and party_id are required")])
    return ref.country_code, ref.party_id


class QrServicer(rpc_grpc.QrServiceServicer):
    def __init__(self, service: QrService, stickers: StickersService) -> None:
        self._service = service
        self._stickers = stickers

    async def ResolveQr(
        self, request: rpc.ResolveQrRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ResolveQrResponse:
        return await self._service.resolve(request.qr_data)

    async def CompleteQrMapping(
        self, request: rpc.CompleteQrMappingRequest, context: grpc.aio.ServicerContext
    ) -> rpc.CompleteQrMappingResponse:
        _cpo(request.cpo)
        return rpc.CompleteQrMappingResponse(resolution=await self._service.complete_mapping(request))

    async def ImportQrRegistry(
        self, request: rpc.ImportQrRegistryRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ImportQrRegistryResponse:
        _cpo(request.cpo)
        if request.format == rpc.REGISTRY_FORMAT_UNSPECIFIED:
            raise InvalidArgument([("format", "is required: CSV or JSON")])
        return await self._service.import_registry(request)

    async def SetQrPattern(
        self, request: rpc.SetQrPatternRequest, context: grpc.aio.ServicerContext
    ) -> rpc.SetQrPatternResponse:
        checked = await self._service.set_pattern(*_cpo(request.cpo), request.spec_yaml)
        return rpc.SetQrPatternResponse(examples_checked=checked)

    async def SetQrMappingApi(
        self, request: rpc.SetQrMappingApiRequest, context: grpc.aio.ServicerContext
    ) -> rpc.SetQrMappingApiResponse:
        await self._service.set_api(*_cpo(request.cpo), request.url, request.api_key, request.code_prefix)
        return rpc.SetQrMappingApiResponse()

    async def CheckQrCodes(
        self, request: rpc.CheckQrCodesRequest, context: grpc.aio.ServicerContext
    ) -> rpc.CheckQrCodesResponse:
        return await self._service.check(*_cpo(request.cpo))

    async def RenderQrStickers(
        self, request: rpc.RenderQrStickersRequest, context: grpc.aio.ServicerContext
    ) -> rpc.RenderQrStickersResponse:
        _cpo(request.cpo)
        return await self._stickers.render(request)
