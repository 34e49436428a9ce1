"""HubClientInfo GET (checklist 72): the connection status of every party, paginated, without routing headers."""

from __future__ import annotations

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
