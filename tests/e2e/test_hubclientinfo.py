"""HubClientInfo (checklist 72-75): the paginated GET, pushes of every status change to the other platforms (no
routing headers), and still-alive checks that mark silent, unreachable platforms OFFLINE."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from facade.hubclientinfo.alive import AliveChecker
from facade.peers.client import PeerClient
from hubclient import HubClient
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators.party import EMSP_MODULES, PartySimulator
from tests.e2e.conftest import Hub, Network, token_header


async def test_every_party_with_its_connection_status(hub_http: Hub, network: Network) -> None:
    await hub_http.core.suspend_party("parties/VN/EM2/EMSP")
    response = await hub_http.http.get("/ocpi/2.2.1/hubclientinfo", headers=token_header(network.cpo_token))
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    statuses = {(i["country_code"], i["party_id"], i["role"]): i["status"] for i in response.json()["data"]}
    assert statuses == {
        ("VN", "CPA", "CPO"): "CONNECTED",
        ("VN", "EM1", "EMSP"): "CONNECTED",
        ("VN", "EM2", "EMSP"): "SUSPENDED",
    }
    assert response.headers["x-total-count"] == "3"
    assert not any(name.lower().startswith("ocpi-") for name in response.headers)


async def test_client_info_is_paginated(hub_http: Hub, network: Network) -> None:
    first = await hub_http.http.get("/ocpi/2.2.1/hubclientinfo?limit=2", headers=token_header(network.emsp1_token))
    assert len(first.json()["data"]) == 2
    assert 'rel="next"' in first.headers["link"]
    last = await hub_http.http.get(
        "/ocpi/2.2.1/hubclientinfo?limit=2&offset=2", headers=token_header(network.emsp1_token)
    )
    assert len(last.json()["data"]) == 1
    assert "link" not in last.headers


# Pushes (checklist 73, 74) and still-alive checks (75).

HCI = ("hubclientinfo", "RECEIVER")
LAST_UPDATED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def client_infos(sim: PartySimulator) -> list[tuple[str, dict[str, Any]]]:
    """(path below the module, ClientInfo) of each HubClientInfo PUT the party received, in order."""
    pushes = sim.pushes("hubclientinfo")
    assert all(p.method == "PUT" for p in pushes)
    return [(p.path.removeprefix("/ocpi/2.2.1/hubclientinfo/"), json.loads(p.body)) for p in pushes]


def statuses(sim: PartySimulator, path: str) -> list[str]:
    return [info["status"] for at, info in client_infos(sim) if at == path]


@asynccontextmanager
async def alive_checks(core_address: str, quiet_period: float) -> AsyncIterator[None]:
    """A facade's still-alive loop, with a quiet period short enough for a test, until the block ends."""
    async with HubClient(core_address) as client, httpx.AsyncClient(timeout=2.0, trust_env=False) as http:
        checker = AliveChecker(client, PeerClient(http), quiet_period=timedelta(seconds=quiet_period), interval=0.05)
        task = asyncio.create_task(checker.run())
        try:
            yield
        finally:
            checker.stop()
            await task


async def test_a_newcomer_is_announced_connected_for_each_role_to_the_others(
    hub_http: Hub, start_party: Callable[..., Awaitable[PartySimulator]], delivering: None, db: asyncpg.Pool
) -> None:
    listener = await start_party(party_id="EM1", role="EMSP", modules=[*EMSP_MODULES, HCI])
    deaf = await start_party(party_id="EM2", role="EMSP", modules=list(EMSP_MODULES))
    for sim in (listener, deaf):
        await hub_http.register(sim)
    await listener.wait_for(lambda: [path for path, _ in client_infos(listener)] == ["VN/EM2"])
    listener.received.clear()
    newcomer = await start_party(party_id="CPB", modules=[("credentials", "SENDER"), ("locations", "SENDER"), HCI])
    token_a = await hub_http.invite(newcomer)
    await hub_http.core.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="CPB", role=pb.ROLE_EMSP, display_name="CPB mobility")
    )
    roles = [
        {"role": role, "business_details": {"name": "CPB"}, "party_id": "CPB", "country_code": "VN"}
        for role in ("CPO", "EMSP")
    ]
    response = await hub_http.http.post(
        hub_http.credentials_url, json=newcomer.credentials(roles=roles), headers=token_header(token_a)
    )
    assert response.json()["status_code"] == 1000

    await listener.wait_for(lambda: len(listener.pushes("hubclientinfo")) == 2)
    infos = client_infos(listener)
    assert {(path, info["role"], info["status"]) for path, info in infos} == {
        ("VN/CPB", "CPO", "CONNECTED"),
        ("VN/CPB", "EMSP", "CONNECTED"),
    }
    for _, info in infos:
        assert set(info) == {"party_id", "country_code", "role", "status", "last_updated"}
        assert (info["country_code"], info["party_id"]) == ("VN", "CPB")
        assert LAST_UPDATED.match(info["last_updated"])
    # A configuration module: no routing headers (HUB-DIGEST §1.9).
    for push in listener.pushes("hubclientinfo"):
        assert not any(name.startswith("ocpi-") for name in push.headers)
        assert push.headers["content-type"] == "application/json"
    # Every push goes through the outbox, queued with the change: EM1's three (EM2's arrival, then CPB's two roles)
    # are all there is, so the newcomer is never told about itself and EM2 (no hubclientinfo receiver) gets nothing.
    queued = await db.fetch(
        "SELECT receiver_party_id, count(*) AS n FROM deliveries WHERE module = 'hubclientinfo' GROUP BY 1"
    )
    assert [(r["receiver_party_id"], r["n"]) for r in queued] == [("EM1", 3)]
    assert newcomer.pushes("hubclientinfo") == deaf.pushes("hubclientinfo") == []
    assert len(listener.pushes("hubclientinfo")) == 2


async def test_suspend_reinstate_and_unregister_are_pushed_in_order(
    hub_http: Hub, start_party: Callable[..., Awaitable[PartySimulator]], delivering: None
) -> None:
    listener = await start_party(party_id="EM1", role="EMSP", modules=[*EMSP_MODULES, HCI])
    cpo = await start_party(party_id="CPA", modules=[("credentials", "SENDER"), ("locations", "SENDER"), HCI])
    await hub_http.register(listener)
    cpo_token = await hub_http.register(cpo)
    await listener.wait_for(lambda: statuses(listener, "VN/CPA") == ["CONNECTED"])

    await hub_http.core.suspend_party("parties/VN/CPA/CPO")
    await hub_http.core.reinstate_party("parties/VN/CPA/CPO")
    await listener.wait_for(lambda: statuses(listener, "VN/CPA") == ["CONNECTED", "SUSPENDED", "CONNECTED"])

    response = await hub_http.http.delete(hub_http.credentials_url, headers=token_header(cpo_token))
    assert response.json()["status_code"] == 1000
    # ClientInfo is never deleted: SUSPENDED invalidates it (HUB-DIGEST §3.8).
    await listener.wait_for(lambda: statuses(listener, "VN/CPA")[-1:] == ["SUSPENDED"])
    assert all(push.method == "PUT" for push in listener.pushes("hubclientinfo"))
    assert cpo.pushes("hubclientinfo") == []


async def test_an_unreachable_platform_goes_offline_and_comes_back(
    hub_http: Hub, start_party: Callable[..., Awaitable[PartySimulator]], core_address: str, delivering: None
) -> None:
    listener = await start_party(party_id="EM1", role="EMSP", modules=[*EMSP_MODULES, HCI])
    cpo = await start_party(party_id="CPA", modules=[("credentials", "SENDER"), ("locations", "SENDER"), HCI])
    listener_token = await hub_http.register(listener)
    await hub_http.register(cpo)
    await listener.wait_for(lambda: statuses(listener, "VN/CPA") == ["CONNECTED"])
    cpo.down = True

    async with alive_checks(core_address, quiet_period=0.5):
        await listener.wait_for(lambda: statuses(listener, "VN/CPA") == ["CONNECTED", "OFFLINE"])
        response = await hub_http.http.get("/ocpi/2.2.1/hubclientinfo", headers=token_header(listener_token))
        shown = {i["party_id"]: i["status"] for i in response.json()["data"]}
        assert shown == {"EM1": "CONNECTED", "CPA": "OFFLINE"}

        cpo.down = False
        await listener.wait_for(lambda: statuses(listener, "VN/CPA") == ["CONNECTED", "OFFLINE", "CONNECTED"])
    # The check was a GET on the versions URL with the party's TOKEN_B (base64, as learned at registration).
    checks = cpo.requests_to("/ocpi/versions")
    assert all(c.method == "GET" for c in checks)
    assert checks[-1].headers["authorization"] == token_header(cpo.token_b)["Authorization"]
    response = await hub_http.http.get("/ocpi/2.2.1/hubclientinfo", headers=token_header(listener_token))
    assert {i["party_id"]: i["status"] for i in response.json()["data"]} == {"EM1": "CONNECTED", "CPA": "CONNECTED"}


async def test_platforms_heard_from_recently_are_not_checked(
    hub_http: Hub, start_party: Callable[..., Awaitable[PartySimulator]], core_address: str, db: asyncpg.Pool
) -> None:
    quiet = await start_party(party_id="CPA")
    fresh = await start_party(party_id="CPB")
    for sim in (quiet, fresh):
        await hub_http.register(sim)
    # CPA was last heard from an hour ago; CPB at its registration, moments ago however slow the machine.
    await db.execute(
        "UPDATE platforms SET last_heard_time = now() - interval '1 hour'"
        " WHERE id = (SELECT platform_id FROM parties WHERE party_id = 'CPA')"
    )
    handshake = len(fresh.requests_to("/ocpi/versions"))
    handshake_quiet = len(quiet.requests_to("/ocpi/versions"))

    async with alive_checks(core_address, quiet_period=60):
        await quiet.wait_for(lambda: len(quiet.requests_to("/ocpi/versions")) > handshake_quiet)
    # Leaving the block finished every check the loop had claimed (CPB would have been claimed with CPA).
    assert len(fresh.requests_to("/ocpi/versions")) == handshake
