"""gRPC servicer of ocpihub.locations.v1."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import grpc

from core.errors import InvalidArgument
from core.locations.repository import LocationFilter, evse_statuses
from core.locations.service import LocationsService, Write
from core.names import page_offset, split_name
from ocpihub.locations.v1 import locations_pb2 as pb
from ocpihub.locations.v1 import locations_service_pb2 as rpc
from ocpihub.locations.v1 import locations_service_pb2_grpc as rpc_grpc


def location_filter(request: rpc.ListLocationsRequest) -> LocationFilter:
    bounds = None
    if request.HasField("bounds"):
        b = request.bounds
        try:
            bounds = (
                Decimal(b.min_latitude),
                Decimal(b.min_longitude),
                Decimal(b.max_latitude),
                Decimal(b.max_longitude),
            )
        except InvalidOperation:
            raise InvalidArgument([("bounds", "all four corners must be decimal degrees")]) from None
    return LocationFilter(
        country_code=request.country_code.upper(),
        party_id=request.party_id.upper(),
        last_updated_from=request.last_updated_from.ToDatetime() if request.HasField("last_updated_from") else None,
        last_updated_to=request.last_updated_to.ToDatetime() if request.HasField("last_updated_to") else None,
        evse_status=pb.EvseStatus.Name(request.evse_status).removeprefix("EVSE_STATUS_") if request.evse_status else "",
        city=request.city,
        country=request.country.upper(),
        bounds=bounds,
        published_only=request.published_only,
        location_id=request.location_id,
        viewer=request.viewer.upper(),
    )


def _write(request: rpc.UpdateLocationRequest | rpc.UpdateEvseRequest | rpc.UpdateConnectorRequest) -> Write:
    if not request.caller_platform:
        raise InvalidArgument([("caller_platform", "is required")])
    mask = request.update_mask if request.HasField("update_mask") and request.update_mask.paths else None
    if mask is not None and "last_updated" not in mask.paths:
        raise InvalidArgument([("update_mask", "a PATCH must carry last_updated")])
    return Write(mask, request.allow_missing, request.caller_platform, request.relay)


class LocationsServicer(rpc_grpc.LocationsServiceServicer):
    def __init__(self, service: LocationsService) -> None:
        self._service = service

    async def GetLocation(
        self, request: rpc.GetLocationRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetLocationResponse:
        country_code, party_id, location_id = split_name(request.name, "locations", 3)
        return rpc.GetLocationResponse(location=await self._service.get(country_code, party_id, location_id))

    async def ListLocations(
        self, request: rpc.ListLocationsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListLocationsResponse:
        offset = page_offset(request.page_token, request.skip)
        limit = request.page_size or 100
        locations, total = await self._service.list_locations(location_filter(request), offset=offset, limit=limit)
        more = offset + len(locations) < total
        return rpc.ListLocationsResponse(
            locations=locations, total_size=total, next_page_token=str(offset + len(locations)) if more else ""
        )

    async def UpdateLocation(
        self, request: rpc.UpdateLocationRequest, context: grpc.aio.ServicerContext
    ) -> rpc.UpdateLocationResponse:
        outcome = await self._service.update_location(request.location, _write(request))
        return rpc.UpdateLocationResponse(
            location=outcome.location,
            result=outcome.result,
            deliveries=outcome.deliveries,
            forward_delivery=outcome.forward_delivery,
        )

    async def UpdateEvse(
        self, request: rpc.UpdateEvseRequest, context: grpc.aio.ServicerContext
    ) -> rpc.UpdateEvseResponse:
        parent = split_name(request.parent, "locations", 3)
        outcome = await self._service.update_evse((parent[0], parent[1], parent[2]), request.evse, _write(request))
        return rpc.UpdateEvseResponse(
            location=outcome.location,
            result=outcome.result,
            deliveries=outcome.deliveries,
            forward_delivery=outcome.forward_delivery,
        )

    async def UpdateConnector(
        self, request: rpc.UpdateConnectorRequest, context: grpc.aio.ServicerContext
    ) -> rpc.UpdateConnectorResponse:
        parent = split_name(request.parent, "evses", 4)
        outcome = await self._service.update_connector(
            (parent[0], parent[1], parent[2], parent[3]), request.connector, _write(request)
        )
        return rpc.UpdateConnectorResponse(
            location=outcome.location,
            result=outcome.result,
            deliveries=outcome.deliveries,
            forward_delivery=outcome.forward_delivery,
        )

    async def SummarizeLocations(
        self, request: rpc.SummarizeLocationsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.SummarizeLocationsResponse:
        listing = await self.ListLocations(request.filter, context)
        summaries = []
        for location in listing.locations:
            counts: dict[str, int] = {}
            for status in evse_statuses(location):
                counts[status] = counts.get(status, 0) + 1
            summaries.append(
                rpc.LocationSummary(
                    name=f"locations/{location.country_code}/{location.party_id}/{location.id}",
                    location_name=location.name,
                    city=location.city,
                    country=location.country,
                    coordinates=location.coordinates,
                    evse_count=len(location.evses),
                    evse_status_counts=counts,
                    last_updated=location.last_updated,
                )
            )
        totals = await self._service.status_totals(location_filter(request.filter))
        return rpc.SummarizeLocationsResponse(
            summaries=summaries,
            next_page_token=listing.next_page_token,
            total_size=listing.total_size,
            evse_status_totals=totals,
        )
