"""Seed scenario 9: token validation. eMSPs push tokens; CPOs get them and ask the Hub to authorize a card."""

from __future__ import annotations

import json

import asyncpg

from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

T1 = "/ocpi/2.2.1/receiver/tokens/VN/EM1/RFID-0001"
AUTHORIZE = "/ocpi/2.2.1/sender/tokens/RFID-0001/authorize"


async def push(hub_http: Hub, network: Network, **fields: object) -> None:
    response = await hub_http.http.put(T1, json=samples.token(**fields), headers=network.emsp_headers())  # type: ignore[arg-type]
    assert response.json()["status_code"] == 1000, response.json()


async def test_tokens_are_stored_and_broadcast_to_cpos_only(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    body = json.dumps(samples.token()).encode()
    response = await hub_http.http.put(T1, content=body, headers=network.emsp_headers())
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    await network.cpo.wait_for(lambda: len(network.cpo.pushes("tokens")) == 1)
    [got] = network.cpo.pushes("tokens")
    assert (got.method, got.path, got.body) == ("PUT", "/ocpi/2.2.1/tokens/VN/EM1/RFID-0001", body)
    assert network.emsp2.pushes("tokens") == []
    pulled = await hub_http.http.get("/ocpi/2.2.1/sender/tokens", headers=network.cpo_headers())
    assert [t["uid"] for t in pulled.json()["data"]] == ["RFID-0001"]


async def test_a_type_makes_a_different_token(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    await push(hub_http, network)
    app_user = samples.token(type="APP_USER")
    response = await hub_http.http.put(f"{T1}?type=APP_USER", json=app_user, headers=network.emsp_headers())
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    assert await db.fetchval("SELECT count(*) FROM tokens") == 2
    wrong = await hub_http.http.put(f"{T1}?type=APP_USER", json=samples.token(), headers=network.emsp_headers())
    assert wrong.json()["status_code"] == 2001  # body says RFID, URL says APP_USER


async def test_whitelisted_token_is_authorized_from_the_hubs_copy(hub_http: Hub, network: Network) -> None:
    await push(hub_http, network, whitelist="ALWAYS")
    references = {"location_id": "LOC1", "evse_uids": ["LOC1-E1"]}
    response = await hub_http.http.post(AUTHORIZE, json=references, headers=network.cpo_headers(to=None))
    info = response.json()["data"]
    assert (response.status_code, response.json()["status_code"], info["allowed"]) == (200, 1000, "ALLOWED")
    assert info["token"]["uid"] == "RFID-0001"
    assert info["location"] == references
    assert (response.headers["ocpi-from-party-id"], response.headers["ocpi-to-party-id"]) == ("EM1", "CPA")
    assert not any(r.path.endswith("/authorize") for r in network.emsp1.received)


async def test_an_invalid_whitelisted_token_is_blocked(hub_http: Hub, network: Network) -> None:
    await push(hub_http, network, valid=False)
    response = await hub_http.http.post(AUTHORIZE, headers=network.cpo_headers(to=None))
    assert response.json()["data"]["allowed"] == "BLOCKED"


async def test_a_token_needing_real_time_authorization_is_asked_of_its_emsp(hub_http: Hub, network: Network) -> None:
    await push(hub_http, network, whitelist="NEVER")
    network.emsp1.authorization = {"allowed": "NO_CREDIT", "authorization_reference": "EM1-777"}
    response = await hub_http.http.post(AUTHORIZE, json={"location_id": "LOC1"}, headers=network.cpo_headers(to=None))
    assert response.json()["data"] == {"allowed": "NO_CREDIT", "authorization_reference": "EM1-777"}
    [asked] = [r for r in network.emsp1.received if r.path.endswith("/authorize")]
    assert (asked.method, asked.path) == ("POST", "/ocpi/2.2.1/tokens/RFID-0001/authorize")
    assert json.loads(asked.body) == {"location_id": "LOC1"}
    assert (asked.headers["ocpi-from-party-id"], asked.headers["ocpi-to-party-id"]) == ("CPA", "EM1")


async def test_allowed_offline_uses_the_copy_only_when_the_emsp_cannot_answer(hub_http: Hub, network: Network) -> None:
    await push(hub_http, network, whitelist="ALLOWED_OFFLINE")
    network.emsp1.delay = 3.0  # longer than the Hub waits
    response = await hub_http.http.post(AUTHORIZE, headers=network.cpo_headers(to=None))
    assert response.json()["data"]["allowed"] == "ALLOWED"
    network.emsp1.delay = 0
    network.emsp1.authorization = {"allowed": "EXPIRED"}
    online = await hub_http.http.post(AUTHORIZE, headers=network.cpo_headers(to=None))
    assert online.json()["data"]["allowed"] == "EXPIRED"


async def test_an_emsp_that_is_down_gets_its_error_relayed(hub_http: Hub, network: Network) -> None:
    """NEVER-whitelisted: only the eMSP may decide, so its failure is the CPO's answer (no guess from the copy)."""
    await push(hub_http, network, whitelist="NEVER")
    network.emsp1.fail_with = 503
    down = await hub_http.http.post(AUTHORIZE, headers=network.cpo_headers(to=None))
    assert (down.status_code, down.json()["status_code"]) == (503, 3000)
    assert (down.headers["ocpi-from-party-id"], down.headers["ocpi-to-party-id"]) == ("EM1", "CPA")
    network.emsp1.fail_with = None
    network.emsp1.delay = 3.0  # longer than the Hub waits
    slow = await hub_http.http.post(AUTHORIZE, headers=network.cpo_headers(to=None))
    assert (slow.status_code, slow.json()["status_code"]) == (200, 4002)


async def test_an_unknown_token_is_404_and_2004_without_data(hub_http: Hub, network: Network) -> None:
    response = await hub_http.http.post(AUTHORIZE, headers=network.cpo_headers(to=None))
    assert response.status_code == 404
    assert response.json()["status_code"] == 2004
    assert "data" not in response.json()


async def test_a_token_under_another_emsps_id_is_404(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    response = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tokens/VN/EM2/RFID-0001", json=samples.token(emsp="EM2"), headers=network.emsp_headers()
    )
    assert response.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM tokens") == 0
