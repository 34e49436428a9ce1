"""Every way a registration can fail leaves nothing half-stored, and says why (HUB-DIGEST §2.4, checklist 18-24)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from simulators import loopback
from simulators.party import PartySimulator
from tests.e2e.conftest import Hub, token_header


async def assert_nothing_registered(hub_http: Hub, db: asyncpg.Pool, token_a: str) -> None:
    assert await db.fetchval("SELECT count(*) FROM platforms") == 0
    assert await db.fetchval("SELECT count(*) FROM parties WHERE state <> 'INVITED'") == 0
    assert await db.fetchval("SELECT count(*) FROM hub_tokens WHERE kind = 'C'") == 0
    # The party can fix its side and try again with the same TOKEN_A.
    still = await hub_http.http.get("/ocpi/versions", headers=token_header(token_a))
    assert still.status_code == 200


async def post_credentials(hub_http: Hub, token: str, body: Any) -> tuple[int, dict[str, Any]]:
    response = await hub_http.http.post(hub_http.credentials_url, json=body, headers=token_header(token))
    return response.status_code, response.json()


async def test_unreachable_versions_endpoint_is_3001(hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool) -> None:
    token_a = await hub_http.invite(cpo)
    closed = loopback.bind_loopback()  # bound, never listening: connections are refused
    dead_url = f"{loopback.url_of(closed)}/ocpi/versions"
    closed.close()
    status, body = await post_credentials(hub_http, token_a, cpo.credentials(url=dead_url))
    assert (status, body["status_code"]) == (200, 3001)
    assert dead_url in body["status_message"]
    await assert_nothing_registered(hub_http, db, token_a)


async def test_wrong_token_b_is_3001(hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool) -> None:
    token_a = await hub_http.invite(cpo)
    status, body = await post_credentials(hub_http, token_a, cpo.credentials(token="not-the-cpos-token"))
    assert (status, body["status_code"]) == (200, 3001)
    assert "401" in body["status_message"]
    await assert_nothing_registered(hub_http, db, token_a)


async def test_party_without_2_2_1_is_3002(hub_http: Hub, start_party: Any, db: asyncpg.Pool) -> None:
    old = await start_party(versions=["2.1.1"])
    token_a = await hub_http.invite(old)
    status, body = await post_credentials(hub_http, token_a, old.credentials())
    assert (status, body["status_code"]) == (200, 3002)
    assert "2.1.1" in body["status_message"]
    await assert_nothing_registered(hub_http, db, token_a)


@pytest.mark.parametrize(
    ("modules", "missing"),
    [
        ([("locations", "SENDER")], "credentials"),
        ([("credentials", "SENDER")], "functional module"),
    ],
)
async def test_party_without_required_endpoints_is_3003(
    hub_http: Hub, start_party: Any, db: asyncpg.Pool, modules: list[tuple[str, str]], missing: str
) -> None:
    sim = await start_party(modules=modules)
    token_a = await hub_http.invite(sim)
    status, body = await post_credentials(hub_http, token_a, sim.credentials())
    assert (status, body["status_code"]) == (200, 3003)
    assert missing in body["status_message"]
    await assert_nothing_registered(hub_http, db, token_a)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("url"), "url"),
        (lambda b: b.update(token="has space"), "token"),
        (lambda b: b.update(token="x" * 65), "token"),
        (lambda b: b.update(roles=[]), "roles"),
        (lambda b: b["roles"][0].update(party_id="ABCD"), "party_id"),
        (lambda b: b["roles"][0].update(country_code="VNM"), "country_code"),
        (lambda b: b["roles"][0].update(role="PARKING"), "role"),
        (lambda b: b["roles"][0]["business_details"].pop("name"), "name"),
    ],
)
async def test_invalid_credentials_are_2001_naming_the_field(
    hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool, mutate: Any, field: str
) -> None:
    token_a = await hub_http.invite(cpo)
    body = cpo.credentials()
    mutate(body)
    status, answer = await post_credentials(hub_http, token_a, body)
    assert (status, answer["status_code"]) == (200, 2001)
    assert field in answer["status_message"]
    assert "data" not in answer
    assert cpo.received == []  # refused before calling the party
    await assert_nothing_registered(hub_http, db, token_a)


async def test_role_that_was_never_invited_is_2001(hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool) -> None:
    token_a = await hub_http.invite(cpo)
    stranger = {"role": "EMSP", "business_details": {"name": "X"}, "party_id": "XYZ", "country_code": "VN"}
    status, body = await post_credentials(
        hub_http, token_a, cpo.credentials(roles=[*cpo.credentials()["roles"], stranger])
    )
    assert (status, body["status_code"]) == (200, 2001)
    assert "VN/XYZ EMSP" in body["status_message"]
    await assert_nothing_registered(hub_http, db, token_a)


async def test_plain_http_off_loopback_is_refused_even_in_the_sandbox(
    hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool
) -> None:
    token_a = await hub_http.invite(cpo)
    status, body = await post_credentials(hub_http, token_a, cpo.credentials(url="http://example.com/ocpi/versions"))
    assert (status, body["status_code"]) == (200, 2001)
    assert "https" in body["status_message"]
    await assert_nothing_registered(hub_http, db, token_a)


async def test_malformed_json_is_http_400(hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool) -> None:
    token_a = await hub_http.invite(cpo)
    response = await hub_http.http.post(
        hub_http.credentials_url,
        content=b'{"token": ',
        headers={**token_header(token_a), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 2000
    await assert_nothing_registered(hub_http, db, token_a)


async def test_second_post_by_a_registered_platform_is_405(hub_http: Hub, cpo: PartySimulator) -> None:
    token_c = await hub_http.register(cpo)
    status, body = await post_credentials(hub_http, token_c, cpo.credentials())
    assert status == 405
    assert body["status_code"] == 2000
    assert "PUT" in body["status_message"]


async def test_put_and_delete_before_registration_are_405(hub_http: Hub, cpo: PartySimulator) -> None:
    token_a = await hub_http.invite(cpo)
    put = await hub_http.http.put(hub_http.credentials_url, json=cpo.credentials(), headers=token_header(token_a))
    delete = await hub_http.http.delete(hub_http.credentials_url, headers=token_header(token_a))
    assert (put.status_code, delete.status_code) == (405, 405)
    assert put.json()["status_code"] == delete.json()["status_code"] == 2000


async def test_credentials_with_an_unknown_token_are_401(hub_http: Hub, cpo: PartySimulator) -> None:
    for method in ("GET", "POST", "PUT", "DELETE"):
        response = await hub_http.http.request(
            method, hub_http.credentials_url, json=cpo.credentials(), headers=token_header("nobody-knows-me")
        )
        assert response.status_code == 401, method
        assert response.json()["status_code"] == 2000
