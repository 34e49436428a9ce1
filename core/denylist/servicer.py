"""gRPC servicer of ocpihub.denylist.v1."""

from __future__ import annotations

import grpc

from core.denylist.repository import DeniedNetwork
from core.denylist.service import DenylistService
from ocpihub.denylist.v1 import denylist_pb2 as pb
from ocpihub.denylist.v1 import denylist_service_pb2 as rpc
from ocpihub.denylist.v1 import denylist_service_pb2_grpc as rpc_grpc


def _to_pb(denied: DeniedNetwork) -> pb.DeniedNetwork:
    message = pb.DeniedNetwork(network=denied.network, reason=denied.reason, created_by=denied.created_by)
    message.create_time.FromDatetime(denied.create_time)
    return message


class DenylistServicer(rpc_grpc.DenylistServiceServicer):
    def __init__(self, service: DenylistService) -> None:
        self._service = service

    async def AddDeniedNetwork(
        self, request: rpc.AddDeniedNetworkRequest, context: grpc.aio.ServicerContext
    ) -> rpc.AddDeniedNetworkResponse:
        denied = await self._service.add(request.network, request.reason)
        return rpc.AddDeniedNetworkResponse(denied_network=_to_pb(denied))

    async def ListDeniedNetworks(
        self, request: rpc.ListDeniedNetworksRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListDeniedNetworksResponse:
        return rpc.ListDeniedNetworksResponse(denied_networks=[_to_pb(d) for d in await self._service.list()])

    async def RemoveDeniedNetwork(
        self, request: rpc.RemoveDeniedNetworkRequest, context: grpc.aio.ServicerContext
    ) -> rpc.RemoveDeniedNetworkResponse:
        await self._service.remove(request.network)
        return rpc.RemoveDeniedNetworkResponse()
