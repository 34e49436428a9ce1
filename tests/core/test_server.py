"""The core's gRPC server as a client sees it: health, reflection, one server per port, graceful stop."""

from __future__ import annotations

import dataclasses

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from core.server import DATABASE_HEALTH, CoreServer, create_server
from core.settings import Settings
from tests import internal_tls


def channel(address: str, role: str = "operator") -> grpc.aio.Channel:
    """A channel that presents `role`'s certificate, as every caller of the core must."""
    return grpc.aio.secure_channel(address, internal_tls.session_client(role).channel_credentials())


@pytest.mark.parametrize("service", ["", "ocpihub.parties.v1.PartiesService", DATABASE_HEALTH])
async def test_health_reports_serving(core_address: str, service: str) -> None:
    async with channel(core_address) as chan:
        response = await health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(service=service))
    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_services(core_address: str) -> None:
    async with channel(core_address) as chan:
        stub = reflection_pb2_grpc.ServerReflectionStub(chan)
        responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name async for r in responses for s in r.list_services_response.service}
    assert {"ocpihub.parties.v1.PartiesService", "ocpihub.parties.v1.CredentialsService"} <= names


async def test_a_second_core_on_the_same_port_fails_instead_of_sharing_it(
    core: tuple[CoreServer, int], core_settings: Settings
) -> None:
    with pytest.raises(SystemExit, match="cannot bind"):
        await create_server(dataclasses.replace(core_settings, grpc_port=core[1]))


async def test_stop_is_graceful_and_final(core_settings: Settings) -> None:
    server, port = await create_server(core_settings)
    await server.start()
    async with channel(f"127.0.0.1:{port}") as chan:
        health = health_pb2_grpc.HealthStub(chan)
        assert (await health.Check(health_pb2.HealthCheckRequest())).status == health_pb2.HealthCheckResponse.SERVING
        await server.stop(grace=0.5)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
    assert refused.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
