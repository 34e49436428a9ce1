"""gRPC servicer of ocpihub.analytics.v1."""

from __future__ import annotations

from datetime import UTC

import grpc

from core.analytics.service import AnalyticsService, Usage
from core.errors import InvalidArgument
from ocpihub.analytics.v1 import analytics_service_pb2 as rpc
from ocpihub.analytics.v1 import analytics_service_pb2_grpc as rpc_grpc

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"


def _row(usage: Usage) -> rpc.UsageRow:
    utilisation = usage.utilisation
    return rpc.UsageRow(
        key=usage.key,
        sessions=usage.sessions,
        energy=str(usage.energy),
        revenue=[rpc.Revenue(currency=c, amount=str(a)) for c, a in sorted(usage.revenue.items())],
        average_duration_hours=str(usage.average_hours),
        utilisation="" if utilisation is None else str(utilisation),
    )


class AnalyticsServicer(rpc_grpc.AnalyticsServiceServicer):
    def __init__(self, service: AnalyticsService) -> None:
        self._service = service

    async def GetUsage(self, request: rpc.GetUsageRequest, context: grpc.aio.ServicerContext) -> rpc.GetUsageResponse:
        if not (request.HasField("from") and request.HasField("to")):
            raise InvalidArgument([("from", "from and to are required")])
        grouping = rpc.Grouping.Name(request.group_by or rpc.GROUPING_PARTY).removeprefix("GROUPING_")
        rows, total = await self._service.usage(
            grouping,
            getattr(request, "from").ToDatetime(tzinfo=UTC),
            request.to.ToDatetime(tzinfo=UTC),
            request.party,
            request.time_zone or DEFAULT_TIME_ZONE,
        )
        return rpc.GetUsageResponse(rows=[_row(r) for r in rows], total=_row(total))
