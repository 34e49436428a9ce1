"""The real HTTP facade on loopback, talking to the session's real core, plus simulated parties."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from facade.app import create_app
from facade.settings import Settings
from hubclient import HubClient
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from tests.simulators import loopback
from tests.simulators.party import PartySimulator


@dataclass
class Hub:
    url: str
    http: httpx.AsyncClient
    core: HubClient

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    @property
    def credentials_url(self) -> str:
        return f"{self.url}/ocpi/2.2.1/credentials"

    async def invite(self, sim: PartySimulator) -> str:
        response = await self.core.invite_party(
            rpc.InvitePartyRequest(
                country_code=sim.country_code,
                party_id=sim.party_id,
                role=pb.Role.Value(f"ROLE_{sim.role}"),
                display_name=sim.name,
            )
        )
        return response.token_a

    async def register(self, sim: PartySimulator) -> str:
        """Invite + credentials POST; returns TOKEN_C."""
        token_a = await self.invite(sim)
        response = await self.http.post(self.credentials_url, json=sim.credentials(), headers=token_header(token_a))
        assert response.json()["status_code"] == 1000, response.json()
        token_c: str = response.json()["data"]["token"]
        return token_c


def token_header(token: str, *, encode: bool = True) -> dict[str, str]:
    """Authorization as OCPI 2.2.1 wants it (base64 of the token), or raw as older peers send it."""
    return {"Authorization": "Token " + (base64.b64encode(token.encode()).decode() if encode else token)}


@pytest.fixture(scope="session")
async def hub_server(core_address: str, redis_url: str) -> AsyncIterator[str]:
    sock = loopback.bind_loopback()
    url = loopback.url_of(sock)
    settings = Settings(
        environment="sandbox", core_address=core_address, public_url=url, redis_url=redis_url, peer_timeout_seconds=2.0
    )
    async with HubClient(core_address) as core_client, loopback.serve(create_app(settings, core_client), sock):
        yield url


@pytest.fixture
async def hub_http(hub_server: str, db: asyncpg.Pool, hub: HubClient) -> AsyncIterator[Hub]:
    async with httpx.AsyncClient(base_url=hub_server, timeout=10.0) as http:
        yield Hub(hub_server, http, hub)


@pytest.fixture
async def start_party() -> AsyncIterator[Callable[..., Awaitable[PartySimulator]]]:
    """Starts simulated platforms (keyword arguments as for PartySimulator) until the test ends."""
    async with AsyncExitStack() as stack:

        async def start(**options: Any) -> PartySimulator:
            sim = PartySimulator(**options)
            sock = loopback.bind_loopback()
            sim.base_url = loopback.url_of(sock)
            await stack.enter_async_context(loopback.serve(sim.app(), sock))
            return sim

        yield start


@pytest.fixture
async def cpo(start_party: Callable[..., Awaitable[PartySimulator]]) -> PartySimulator:
    return await start_party()
