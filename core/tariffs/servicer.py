"""gRPC servicer of ocpihub.tariffs.v1."""

from __future__ import annotations

import grpc

from core.errors import InvalidArgument
from core.names import page_offset, split_name
from core.tariffs.service import TariffsService
from ocpihub.tariffs.v1 import tariffs_service_pb2 as rpc
from ocpihub.tariffs.v1 import tariffs_service_pb2_grpc as rpc_grpc


class TariffsServicer(rpc_grpc.TariffsServiceServicer):
    def __init__(self, service: TariffsService) -> None:
        self._service = service

    async def GetTariff(
        self, request: rpc.GetTariffRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetTariffResponse:
        return rpc.GetTariffResponse(tariff=await self._service.get(*split_name(request.name, "tariffs", 3)))

    async def ListTariffs(
        self, request: rpc.ListTariffsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListTariffsResponse:
        offset = page_offset(request.page_token, request.skip)
        tariffs, total = await self._service.list(
            country_code=request.country_code,
            party_id=request.party_id,
            last_updated_from=request.last_updated_from.ToDatetime() if request.HasField("last_updated_from") else None,
            last_updated_to=request.last_updated_to.ToDatetime() if request.HasField("last_updated_to") else None,
            offset=offset,
            limit=request.page_size or 100,
            viewer=request.viewer,
        )
        more = offset + len(tariffs) < total
        return rpc.ListTariffsResponse(
            tariffs=tariffs, total_size=total, next_page_token=str(offset + len(tariffs)) if more else ""
        )

    async def UpdateTariff(
        self, request: rpc.UpdateTariffRequest, context: grpc.aio.ServicerContext
    ) -> rpc.UpdateTariffResponse:
        if not request.caller_platform:
            raise InvalidArgument([("caller_platform", "is required")])
        written = await self._service.put(request.tariff, request.caller_platform, request.relay)
        return rpc.UpdateTariffResponse(
            tariff=written.tariff,
            result=written.result,
            deliveries=written.queued.count,
            forward_delivery=written.queued.forward_delivery,
        )

    async def DeleteTariff(
        self, request: rpc.DeleteTariffRequest, context: grpc.aio.ServicerContext
    ) -> rpc.DeleteTariffResponse:
        if not request.caller_platform:
            raise InvalidArgument([("caller_platform", "is required")])
        country_code, party_id, tariff_id = split_name(request.name, "tariffs", 3)
        queued = await self._service.delete(country_code, party_id, tariff_id, request.caller_platform, request.relay)
        return rpc.DeleteTariffResponse(deliveries=queued.count, forward_delivery=queued.forward_delivery)
