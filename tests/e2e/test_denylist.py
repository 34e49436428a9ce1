"""hubctl denylist: a range an operator denies is refused by every facade within moments, until it is removed."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.e2e.conftest import Hub, Network

hubctl = test_hubctl.hubctl
PULL = "/ocpi/2.2.1/sender/locations"


async def statuses(hub_http: Hub, network: Network, count: int) -> list[int]:
    """HTTP statuses of `count` pulls (through nginx in the scaled pass: they alternate between both facades)."""
    return [(await hub_http.http.get(PULL, headers=network.emsp_headers())).status_code for _ in range(count)]


async def until_status(hub_http: Hub, network: Network, status: int) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        response = await hub_http.http.get(PULL, headers=network.emsp_headers())
        if response.status_code == status:
            return response
        assert asyncio.get_running_loop().time() < deadline, f"still {response.status_code}, not {status}"
        await asyncio.sleep(0.05)


async def test_a_denied_range_is_refused_by_every_replica_until_removed(
    hub_http: Hub, network: Network, hubctl: Hubctl, db: asyncpg.Pool
) -> None:
    assert await statuses(hub_http, network, 4) == [200] * 4  # and the eMSP's token check is now cached
    added = await hubctl("--as", "lan@hub.vn", "denylist", "add", "127.0.0.0/8", "--reason", "abuse drill")
    assert added.code == 0, added.stderr

    refused = await until_status(hub_http, network, 403)
    assert refused.json()["status_code"] == 2000
    assert "refused by the Hub's operator" in refused.json()["status_message"]
    assert await statuses(hub_http, network, 10) == [403] * 10
    listed = (await hubctl("denylist", "list", "--json")).json()
    assert [(d["network"], d["reason"], d["created_by"]) for d in listed] == [
        ("127.0.0.0/8", "abuse drill", "lan@hub.vn")
    ]
    audited = await db.fetchval("SELECT detail->>'network' FROM security_events WHERE kind = 'NETWORK_DENIED'")
    assert audited == "127.0.0.0/8"

    assert (await hubctl("denylist", "remove", "127.0.0.0/8")).code == 0
    await until_status(hub_http, network, 200)
    assert await statuses(hub_http, network, 10) == [200] * 10


async def test_a_range_outside_the_callers_address_changes_nothing(
    hub_http: Hub, network: Network, hubctl: Hubctl
) -> None:
    assert (await hubctl("denylist", "add", "203.0.113.0/24")).code == 0
    assert (await hubctl("denylist", "add", "2001:db8::/32")).code == 0
    # The core announced the change (the other test shows replicas follow within moments); nothing here is refused.
    assert await statuses(hub_http, network, 6) == [200] * 6


async def test_an_address_with_host_bits_or_no_address_is_refused_by_hubctl(hubctl: Hubctl, db: asyncpg.Pool) -> None:
    for bad in ("10.0.0.1/8", "not-an-address", ""):
        result = await hubctl("denylist", "add", bad)
        assert result.code == 1, bad
        assert "network" in result.stderr, result.stderr
    assert await db.fetchval("SELECT count(*) FROM denied_networks") == 0
    missing = await hubctl("denylist", "remove", "198.51.100.0/24")
    assert missing.code == 1 and "not on the denylist" in missing.stderr
