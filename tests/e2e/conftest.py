"""The real HTTP facade on loopback, talking to the session's real core, plus simulated parties."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from core.server import CoreServer, create_server
from core.settings import Settings as CoreSettings
from facade.app import create_app
from facade.ocpi.routing_headers import Party
from facade.peers.client import PeerClient
from facade.relay.deliveries import DeliveryWorker
from facade.settings import Settings
from hubclient import HubClient
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators import cpo_network, loopback, proxy
from simulators.cpo import ReferenceCpo
from simulators.hub_link import HubLink
from simulators.party import EMSP_MODULES, PartySimulator
from tests import internal_tls


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The scaled pass (HUB_E2E_SCALED=1) runs only tests that use the Hub it scales out: the others start a Hub of
    their own (scale-out, fault drills), and running them twice would prove nothing new and cost minutes."""
    if not os.environ.get("HUB_E2E_SCALED"):
        return
    own_hub = [item for item in items if "hub_server" not in getattr(item, "fixturenames", ())]
    if own_hub:
        config.hook.pytest_deselected(items=own_hub)
        items[:] = [item for item in items if item not in own_hub]


def facade_settings(core_address: str, public_url: str, redis_url: str) -> Settings:
    # Delivery workers run per test (the `delivering` fixture), so a test controls when deliveries happen.
    return Settings(
        environment="sandbox",
        core_address=core_address,
        public_url=public_url,
        redis_url=redis_url,
        peer_timeout_seconds=2.0,
        delivery_workers=0,
        page_limit=50,
        # Tests send refused tokens on purpose from one address; test_rate_limits checks this limit on its own.
        refused_tokens_per_minute=0,
    )


@pytest.fixture(scope="session")
async def hub_server(
    core: tuple[CoreServer, int], core_settings: CoreSettings, core_address: str, redis_url: str, pki_dir: Path
) -> AsyncIterator[str]:
    """The Hub's public URL. With HUB_E2E_SCALED=1 (the second pass of `make test`) that is nginx in front of two
    facades, each on its own core (the session's and a second one sharing its clock), one database: every e2e test
    then also proves the Hub behaves as one when scaled out."""
    if not os.environ.get("HUB_E2E_SCALED"):
        sock = loopback.bind_loopback()
        url = loopback.url_of(sock)
        settings = facade_settings(core_address, url, redis_url)
        facade = internal_tls.client(pki_dir, "facade")
        async with (
            HubClient(core_address, tls=facade) as core_client,
            loopback.serve(create_app(settings, core_client), sock),
        ):
            yield url
        return
    second, second_port = await create_server(dataclasses.replace(core_settings, grpc_port=0), clock=core[0].clock)
    await second.start()
    sockets = [loopback.bind_loopback(), loopback.bind_loopback()]
    proxy_port = loopback.free_port()
    url = f"http://127.0.0.1:{proxy_port}"
    addresses = [core_address, f"127.0.0.1:{second_port}"]
    try:
        async with AsyncExitStack() as stack:
            for sock, address in zip(sockets, addresses, strict=True):
                client = await stack.enter_async_context(HubClient(address, tls=internal_tls.client(pki_dir, "facade")))
                await stack.enter_async_context(
                    loopback.serve(create_app(facade_settings(address, url, redis_url), client), sock)
                )
            await stack.enter_async_context(proxy.nginx(proxy_port, [s.getsockname()[1] for s in sockets]))
            yield url
    finally:
        await second.stop(grace=0.5)


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


@asynccontextmanager
async def delivery_workers(core_address: str, count: int = 2) -> AsyncIterator[list[DeliveryWorker]]:
    """Facade delivery workers (as `python -m facade` runs them, with the facade's certificate) until the block ends."""
    async with (
        HubClient(core_address, tls=internal_tls.session_client("facade")) as client,
        httpx.AsyncClient(timeout=2.0, trust_env=False) as http,
    ):
        peers = [PeerClient(http, connections=16) for _ in range(count)]
        workers = [DeliveryWorker(client, p, Party("VN", "HUB"), lease=timedelta(seconds=5)) for p in peers]
        tasks = [asyncio.create_task(worker.run()) for worker in workers]
        try:
            yield workers
        finally:
            for worker in workers:
                worker.stop()  # graceful: sends in flight finish, as when the facade shuts down
            await asyncio.gather(*tasks)
            for p in peers:
                await p.close()


@pytest.fixture
async def delivering(core_address: str, hub_http: Hub) -> AsyncIterator[None]:
    async with delivery_workers(core_address):
        yield


@dataclass
class Network:
    """A registered CPO (VN/CPA) and two registered eMSPs (VN/EM1, VN/EM2) with locations/tariffs receivers."""

    cpo: PartySimulator
    cpo_token: str
    emsp1: PartySimulator
    emsp1_token: str
    emsp2: PartySimulator
    emsp2_token: str

    def cpo_headers(self, to: tuple[str, str] | None = ("VN", "HUB"), **extra: str) -> dict[str, str]:
        headers = {**token_header(self.cpo_token), "OCPI-from-country-code": "VN", "OCPI-from-party-id": "CPA", **extra}
        if to:
            headers |= {"OCPI-to-country-code": to[0], "OCPI-to-party-id": to[1]}
        return headers

    def emsp_headers(self, which: int = 1, to: tuple[str, str] | None = ("VN", "HUB")) -> dict[str, str]:
        token = self.emsp1_token if which == 1 else self.emsp2_token
        headers = {**token_header(token), "OCPI-from-country-code": "VN", "OCPI-from-party-id": f"EM{which}"}
        if to:
            headers |= {"OCPI-to-country-code": to[0], "OCPI-to-party-id": to[1]}
        return headers


@pytest.fixture
async def network(hub_http: Hub, start_party: Callable[..., Awaitable[PartySimulator]]) -> Network:
    cpo = await start_party(party_id="CPA", name="CP Alpha")
    emsp1 = await start_party(party_id="EM1", role="EMSP", name="eMobility One", modules=list(EMSP_MODULES))
    emsp2 = await start_party(party_id="EM2", role="EMSP", name="eMobility Two", modules=list(EMSP_MODULES))
    tokens = [await hub_http.register(sim) for sim in (cpo, emsp1, emsp2)]
    for sim in (cpo, emsp1, emsp2):
        sim.received.clear()
    return Network(cpo, tokens[0], emsp1, tokens[1], emsp2, tokens[2])


@pytest.fixture
async def reference_cpo(hub_http: Hub) -> AsyncIterator[ReferenceCpo]:
    """The reference CPO on a free port (not 9100), registered with the Hub: invited as the operator would."""
    invited = await hub_http.core.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="REF", role=pb.ROLE_CPO, display_name="Hub reference CPO")
    )
    sock = loopback.bind_loopback()
    async with httpx.AsyncClient(timeout=10.0, trust_env=False) as http:
        link = HubLink(http, hub_http.versions_url, cpo_network.COUNTRY_CODE, cpo_network.PARTY_ID)
        cpo = ReferenceCpo(link, base_url=loopback.url_of(sock), meter_interval=0.2)
        async with loopback.serve(cpo.app(), sock):
            try:
                await cpo.start(invited.token_a)
                yield cpo
            finally:
                await cpo.close()
