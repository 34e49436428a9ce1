"""Seed test scenario 1: a CPO registers with the Hub over real HTTP (HUB-DIGEST §2.4)."""

from __future__ import annotations

from typing import Any

import asyncpg

from simulators.party import PartySimulator
from tests.e2e.conftest import Hub, token_header


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


async def test_get_credentials_returns_the_hubs_credentials_with_the_callers_token(
    hub_http: Hub, cpo: PartySimulator
) -> None:
    token_a = await hub_http.invite(cpo)
    before = await hub_http.http.get(hub_http.credentials_url, headers=token_header(token_a))
    assert before.status_code == 200
    assert before.json()["data"]["token"] == token_a
    token_c = (
        await hub_http.http.post(hub_http.credentials_url, json=cpo.credentials(), headers=token_header(token_a))
    ).json()["data"]["token"]
    after = await hub_http.http.get(hub_http.credentials_url, headers=token_header(token_c))
    assert after.json()["data"]["token"] == token_c
    assert after.json()["data"]["roles"][0]["role"] == "HUB"


async def test_a_party_that_only_takes_raw_tokens_is_learned_and_remembered(
    hub_http: Hub, start_party: Any, db: asyncpg.Pool
) -> None:
    legacy = await start_party(accepts_base64=False)
    await hub_http.register(legacy)
    versions_calls = legacy.requests_to("/ocpi/versions")
    # First the 2.2.1 form (base64), refused; then the raw token, accepted; details straight away in raw form.
    assert [r.headers["authorization"] for r in versions_calls] == [
        token_header(legacy.token_b)["Authorization"],
        f"Token {legacy.token_b}",
    ]
    assert legacy.requests_to("/ocpi/2.2.1")[0].headers["authorization"] == f"Token {legacy.token_b}"
    assert await db.fetchval("SELECT encode_auth_token FROM platforms") is False


async def test_the_party_is_called_back_with_the_same_correlation_id_and_a_new_request_id(
    hub_http: Hub, cpo: PartySimulator
) -> None:
    token_a = await hub_http.invite(cpo)
    headers = {**token_header(token_a), "X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
    response = await hub_http.http.post(hub_http.credentials_url, json=cpo.credentials(), headers=headers)
    assert response.headers["x-request-id"] == "req-1"
    assert response.headers["x-correlation-id"] == "corr-1"
    callback = cpo.requests_to("/ocpi/versions")[0]
    assert callback.headers["x-correlation-id"] == "corr-1"
    assert callback.headers["x-request-id"] not in ("", "req-1")
    # Configuration modules carry no routing headers.
    assert not any(name.startswith("ocpi-") for name in callback.headers)


async def test_a_platform_hosting_a_cpo_and_an_emsp_registers_both_roles(
    hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool
) -> None:
    token_a = await hub_http.invite(cpo)
    emsp = PartySimulator(country_code="VN", party_id="ABC", role="EMSP", name="ABC Mobility")
    await hub_http.invite(emsp)
    roles = cpo.credentials()["roles"] + emsp.credentials()["roles"]
    response = await hub_http.http.post(
        hub_http.credentials_url, json=cpo.credentials(roles=roles), headers=token_header(token_a)
    )
    assert response.json()["status_code"] == 1000, response.json()
    states = await db.fetch("SELECT role, state, platform_id IS NOT NULL AS bound FROM parties ORDER BY role")
    assert [(r["role"], r["state"], r["bound"]) for r in states] == [
        ("CPO", "REGISTERED", True),
        ("EMSP", "REGISTERED", True),
    ]
