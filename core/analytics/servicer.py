"""gRPC servicer of ocpihub.analytics.v1."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import grpc

from core.analytics.service import AnalyticsService, Usage, Utilisation
from core.errors import InvalidArgument
from ocpihub.analytics.v1 import analytics_service_pb2 as rpc
from ocpihub.analytics.v1 import analytics_service_pb2_grpc as rpc_grpc

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"
_HOURS = Decimal("0.0001")


def _row(usage: Usage) -> rpc.UsageRow:
    utilisation = usage.utilisation
    verified = usage.verified
    verified_average = (verified.hours / usage.sessions).quantize(_HOURS) if usage.sessions else Decimal(0)
    return rpc.UsageRow(
        key=usage.key,
        sessions=usage.sessions,
        energy=str(usage.energy),
        revenue=[rpc.Revenue(currency=c, amount=str(a)) for c, a in sorted(usage.revenue.items())],
        average_duration_hours=str(usage.average_hours),
        utilisation="" if utilisation is None else str(utilisation),
        verified_energy=str(verified.energy),
        verified_revenue=[rpc.Revenue(currency=c, amount=str(a)) for c, a in sorted(verified.revenue.items())],
        verified_average_duration_hours=str(verified_average),
        mismatched_sessions=verified.mismatched,
        unverified_sessions=verified.unverified,
        energy_difference=str(verified.energy - usage.energy),
        revenue_difference=[
            rpc.Revenue(currency=c, amount=str(a - usage.revenue.get(c, 0)))
            for c, a in sorted(verified.revenue.items())
        ],
        average_duration_difference_hours=str(verified_average - usage.average_hours),
    )


def _utilisation_row(row: Utilisation) -> rpc.UtilisationRow:
    ratio = row.utilisation
    return rpc.UtilisationRow(
        key=row.key,
        charging_hours=str((row.charging_seconds / 3600).quantize(_HOURS)),
        usable_hours=str((row.usable_seconds / 3600).quantize(_HOURS)),
        utilisation="" if ratio is None else str(ratio),
    )


class AnalyticsServicer(rpc_grpc.AnalyticsServiceServicer):
    def __init__(self, service: AnalyticsService, time_zone: str = DEFAULT_TIME_ZONE) -> None:
        self._service = service
        self._time_zone = time_zone

    async def GetUsage(self, request: rpc.GetUsageRequest, context: grpc.aio.ServicerContext) -> rpc.GetUsageResponse:
        if not (request.HasField("from") and request.HasField("to")):
            raise InvalidArgument([("from", "from and to are required")])
        grouping = rpc.Grouping.Name(request.group_by or rpc.GROUPING_PARTY).removeprefix("GROUPING_")
        rows, total = await self._service.usage(
            grouping,
            getattr(request, "from").ToDatetime(tzinfo=UTC),
            request.to.ToDatetime(tzinfo=UTC),
            request.party,
            request.time_zone or self._time_zone,
        )
        return rpc.GetUsageResponse(rows=[_row(r) for r in rows], total=_row(total))

    async def GetUtilisation(
        self, request: rpc.GetUtilisationRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetUtilisationResponse:
        if not (request.HasField("from") and request.HasField("to")):
            raise InvalidArgument([("from", "from and to are required")])
        grouping = rpc.UtilisationGrouping.Name(request.group_by or rpc.UTILISATION_GROUPING_EVSE)
        rows, total = await self._service.utilisation(
            grouping.removeprefix("UTILISATION_GROUPING_"),
            getattr(request, "from").ToDatetime(tzinfo=UTC),
            request.to.ToDatetime(tzinfo=UTC),
            request.time_zone or self._time_zone,
            request.party,
            request.location,
        )
        return rpc.GetUtilisationResponse(rows=[_utilisation_row(r) for r in rows], total=_utilisation_row(total))
