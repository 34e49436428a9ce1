"""Seed test scenario 1: a CPO registers with the Hub over real HTTP (HUB-DIGEST §2.4)."""

from __future__ import annotations

import base64

import asyncpg

from tests.e2e.conftest import Hub
from tests.simulators.party import PartySimulator


def token_header(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


async def test_cpo_registers_and_token_c_replaces_token_a(hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool) -> None:
    token_a = await hub_http.invite(cpo)

    versions = await hub_http.http.get("/ocpi/versions", headers=token_header(token_a))
    assert versions.status_code == 200
    assert versions.json()["data"] == [{"version": "2.2.1", "url": f"{hub_http.url}/ocpi/2.2.1"}]
    details = await hub_http.http.get("/ocpi/2.2.1", headers=token_header(token_a))
    endpoints = details.json()["data"]["endpoints"]
    assert {"identifier": "credentials", "role": "SENDER", "url": hub_http.credentials_url} in endpoints

    response = await hub_http.http.post(hub_http.credentials_url, json=cpo.credentials(), headers=token_header(token_a))
    body = response.json()
    assert response.status_code == 200, body
    assert body["status_code"] == 1000, body
    token_c = body["data"]["token"]
    assert token_c not in (token_a, cpo.token_b)
    assert body["data"]["url"] == hub_http.versions_url
    assert body["data"]["roles"] == [
        {"role": "HUB", "business_details": {"name": "OCPI Hub"}, "party_id": "HUB", "country_code": "VN"}
    ]
    # The Hub called the CPO back with TOKEN_B (base64, OCPI 2.2.1) before answering.
    callbacks = cpo.requests_to("/ocpi/versions") + cpo.requests_to("/ocpi/2.2.1")
    assert [r.path for r in callbacks] == ["/ocpi/versions", "/ocpi/2.2.1"]
    assert all(r.headers["authorization"] == token_header(cpo.token_b)["Authorization"] for r in callbacks)

    assert (await hub_http.http.get("/ocpi/versions", headers=token_header(token_c))).status_code == 200
    refused = await hub_http.http.get("/ocpi/versions", headers=token_header(token_a))
    assert refused.status_code == 401
    assert refused.json()["status_code"] == 2000

    stored = await db.fetchrow("SELECT versions_url, endpoints FROM platforms")
    assert stored["versions_url"] == f"{cpo.base_url}/ocpi/versions"
