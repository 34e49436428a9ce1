"""Issue 16, point 10: an https://{hub}/charge?… code is the Hub's only on a host in HUB_QR_HOSTS (default: the host
of HUB_PUBLIC_URL). The same URL on another host is some CPO's own sticker: resolved as such, or QR_NOT_FOUND."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from core.server import CoreServer, create_server
from core.settings import Settings as CoreSettings
from facade.app import create_app
from hubclient import HubClient
from ocpihub.qr.v1 import qr_service_pb2 as qr_rpc
from simulators import loopback
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, facade_settings, token_header
from tests.e2e.test_qr_resolve import CPA, LOC1, error_of, registry_csv, resolve

CHARGE = "/charge?cpo=CPA&loc=LOC1&evse=LOC1-E1&conn=1"


@pytest.fixture
async def located(hub_http: Hub, network: Network) -> Network:
    answer = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    assert answer.json()["status_code"] == 1000
    return network


async def test_an_https_code_on_another_host_is_not_the_hubs(hub_http: Hub, located: Network) -> None:
    # The tests' Hub is on 127.0.0.1, the host of its public URL.
    assert (await resolve(hub_http, located, hub_http.url + CHARGE)).status_code == 200
    foreign_hosts = (
        "https://cpo.example.com",
        "https://127.0.0.1.evil.example",
        "https://127.0.0.1@evil.example",
        "https://[127.0.0.1",  # not even a URL (an unclosed IPv6 bracket): was HTTP 500
    )
    for foreign in foreign_hosts:
        assert error_of(await resolve(hub_http, located, foreign + CHARGE)) == (404, "QR_NOT_FOUND")


async def test_a_cpos_own_https_stickers_resolve_through_its_registry(hub_http: Hub, located: Network) -> None:
    """A CPO whose old stickers happen to be https://…/charge?… URLs: its registry says where they lead, whatever
    their parameters name."""
    own = "https://qr.cpa.example" + CHARGE
    registry = registry_csv((own, "VN", "CPA", "LOC1", "LOC1-E2", "1", "", "", ""))
    imported = await hub_http.core.import_qr_registry(
        qr_rpc.ImportQrRegistryRequest(cpo=CPA, format=qr_rpc.REGISTRY_FORMAT_CSV, content=registry)
    )
    assert (imported.imported, list(imported.problems)) == (1, [])
    answer = await resolve(hub_http, located, own)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["data"]["evse_uid"] == "LOC1-E2"


@pytest.fixture
async def qr_host_hub(core_settings: CoreSettings, core: tuple[CoreServer, int], redis_url: str) -> AsyncIterator[str]:
    """A core and facade on the same database with HUB_QR_HOSTS=qr.hub.example; yields the facade's URL."""
    settings = dataclasses.replace(core_settings, grpc_port=0, qr_hosts=frozenset({"qr.hub.example"}))
    server, port = await create_server(settings, clock=core[0].clock)
    await server.start()
    try:
        sock = loopback.bind_loopback()
        url = loopback.url_of(sock)
        async with HubClient(f"127.0.0.1:{port}") as client:
            app = create_app(facade_settings(f"127.0.0.1:{port}", url, redis_url), client)
            async with loopback.serve(app, sock):
                yield url
    finally:
        await server.stop(grace=0.5)


async def test_only_the_hosts_in_hub_qr_hosts(hub_http: Hub, located: Network, qr_host_hub: str) -> None:
    body = {"scanned_at": "2026-11-28T10:00:00Z", "app_id": "em1-app"}
    async with httpx.AsyncClient(base_url=qr_host_hub, timeout=10.0) as http:

        async def scan(code: str) -> httpx.Response:
            return await http.post(
                "/api/v1/qr-resolve", json={"qr_data": code, **body}, headers=token_header(located.emsp1_token)
            )

        listed = await scan("https://qr.hub.example" + CHARGE)
        assert listed.status_code == 200
        assert listed.json()["data"]["evse_uid"] == "LOC1-E1"
        # Its public URL's host is no longer one of its QR hosts once HUB_QR_HOSTS is set.
        assert error_of(await scan(qr_host_hub + CHARGE)) == (404, "QR_NOT_FOUND")

        # A phone opening the code gets the page on a listed host only.
        page = await http.get(CHARGE, headers={"Host": "qr.hub.example"})
        assert page.status_code == 200
        assert 'href="evcharge://VN/CPA/LOC1/LOC1-E1/1"' in page.text
        assert (await http.get(CHARGE)).status_code == 404
