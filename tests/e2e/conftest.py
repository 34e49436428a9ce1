"""The real HTTP facade on loopback, talking to the session's real core, plus simulated parties."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

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


@pytest.fixture(scope="session")
async def hub_server(core_address: str) -> AsyncIterator[str]:
    sock = loopback.bind_loopback()
    url = loopback.url_of(sock)
    settings = Settings(environment="sandbox", core_address=core_address, public_url=url, peer_timeout_seconds=2.0)
    async with HubClient(core_address) as core_client, loopback.serve(create_app(settings, core_client), sock):
        yield url


@pytest.fixture
async def hub_http(hub_server: str, db: asyncpg.Pool, hub: HubClient) -> AsyncIterator[Hub]:
    async with httpx.AsyncClient(base_url=hub_server, timeout=10.0) as http:
        yield Hub(hub_server, http, hub)


@pytest.fixture
async def cpo() -> AsyncIterator[PartySimulator]:
    sim = PartySimulator()
    sock = loopback.bind_loopback()
    sim.base_url = loopback.url_of(sock)
    async with loopback.serve(sim.app(), sock):
        yield sim
