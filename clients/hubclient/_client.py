"""A small typed async client for the core's gRPC services (used by the facade, hubctl and internal tools)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hubclient._errors import HubUnavailable, from_rpc_error
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from ocpihub.parties.v1 import parties_service_pb2_grpc as rpc_grpc

Response = TypeVar("Response")

DEFAULT_ADDRESS = "127.0.0.1:50051"
_RETRY_DELAYS = (0.05, 0.2, 0.5)


class HubClient:
    """Async client of the core. Use as `async with HubClient(address) as hub:`.

    Read-only RPCs are retried on UNAVAILABLE; writes never are (the caller decides).
    """

    def __init__(self, address: str = DEFAULT_ADDRESS, *, timeout: float = 10.0) -> None:
        self.address = address
        self._timeout = timeout
        self._channel = grpc.aio.insecure_channel(address)
        self._parties = rpc_grpc.PartiesServiceStub(self._channel)
        self._credentials = rpc_grpc.CredentialsServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    async def __aenter__(self) -> HubClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._channel.close()

    async def _call(self, call: Callable[[], Awaitable[Response]], *, idempotent: bool) -> Response:
        delays = _RETRY_DELAYS if idempotent else ()
        for attempt in range(len(delays) + 1):
            try:
                return await call()
            except grpc.aio.AioRpcError as error:
                converted = from_rpc_error(error)
                if not isinstance(converted, HubUnavailable) or attempt == len(delays):
                    raise converted from None
                await asyncio.sleep(delays[attempt])
        raise AssertionError("unreachable")

    # Health

    async def health(self, service: str = "") -> bool:
        """True when the core reports `service` ("" = the core itself) as SERVING."""
        request = health_pb2.HealthCheckRequest(service=service)
        response = await self._call(lambda: self._health.Check(request, timeout=self._timeout), idempotent=True)
        return response.status == health_pb2.HealthCheckResponse.SERVING

    # Parties (operators)

    async def invite_party(self, request: rpc.InvitePartyRequest) -> rpc.InvitePartyResponse:
        return await self._call(lambda: self._parties.InviteParty(request, timeout=self._timeout), idempotent=False)

    async def rotate_invite(self, request: rpc.RotateInviteRequest) -> rpc.RotateInviteResponse:
        return await self._call(lambda: self._parties.RotateInvite(request, timeout=self._timeout), idempotent=False)

    async def get_party(self, name: str) -> pb.Party:
        request = rpc.GetPartyRequest(name=name)
        response = await self._call(lambda: self._parties.GetParty(request, timeout=self._timeout), idempotent=True)
        return response.party

    async def list_parties(self, request: rpc.ListPartiesRequest | None = None) -> AsyncIterator[pb.Party]:
        """Every party matching the request's filters, page after page."""
        page = rpc.ListPartiesRequest()
        if request is not None:
            page.CopyFrom(request)
        while True:
            response = await self._call(lambda: self._parties.ListParties(page, timeout=self._timeout), idempotent=True)
            for party in response.parties:
                yield party
            if not response.next_page_token:
                return
            page.page_token = response.next_page_token

    async def suspend_party(self, name: str) -> pb.Party:
        request = rpc.SuspendPartyRequest(name=name)
        response = await self._call(lambda: self._parties.SuspendParty(request, timeout=self._timeout), idempotent=True)
        return response.party

    async def reinstate_party(self, name: str) -> pb.Party:
        request = rpc.ReinstatePartyRequest(name=name)
        response = await self._call(
            lambda: self._parties.ReinstateParty(request, timeout=self._timeout), idempotent=True
        )
        return response.party

    async def get_platform(self, name: str) -> pb.Platform:
        request = rpc.GetPlatformRequest(name=name)
        response = await self._call(lambda: self._parties.GetPlatform(request, timeout=self._timeout), idempotent=True)
        return response.platform

    # Credentials (the OCPI facade)

    async def authenticate_token(self, candidates: list[str]) -> rpc.AuthenticateTokenResponse:
        request = rpc.AuthenticateTokenRequest(candidates=candidates)
        return await self._call(
            lambda: self._credentials.AuthenticateToken(request, timeout=self._timeout), idempotent=True
        )

    async def register_platform(self, request: rpc.RegisterPlatformRequest) -> rpc.RegisterPlatformResponse:
        return await self._call(
            lambda: self._credentials.RegisterPlatform(request, timeout=self._timeout), idempotent=False
        )

    async def update_platform_credentials(
        self, request: rpc.UpdatePlatformCredentialsRequest
    ) -> rpc.UpdatePlatformCredentialsResponse:
        return await self._call(
            lambda: self._credentials.UpdatePlatformCredentials(request, timeout=self._timeout), idempotent=False
        )

    async def unregister_platform(self, token: str) -> rpc.UnregisterPlatformResponse:
        request = rpc.UnregisterPlatformRequest(token=token)
        return await self._call(
            lambda: self._credentials.UnregisterPlatform(request, timeout=self._timeout), idempotent=False
        )
