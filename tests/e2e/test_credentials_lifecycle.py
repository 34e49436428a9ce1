"""Rotation (PUT) with the seed's grace period, and unregistration (DELETE) that stops everything at once."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
from cryptography.fernet import Fernet

from simulators.party import PartySimulator
from tests.conftest import ROTATION_GRACE, TOKEN_KEY
from tests.e2e.conftest import Hub, token_header
from tests.waiting import eventually


async def versions_status(hub_http: Hub, token: str) -> int:
    return (await hub_http.http.get("/ocpi/versions", headers=token_header(token))).status_code


async def test_put_rotates_token_c_and_the_old_one_dies_after_the_grace_period(
    hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool
) -> None:
    old_token_c = await hub_http.register(cpo)
    cpo.received.clear()
    rotated = time.monotonic()  # before the PUT: the grace period starts during it
    cpo.token_b = "cpo-token-after-rotation"
    cpo.modules.append(("sessions", "SENDER"))

    response = await hub_http.http.put(
        hub_http.credentials_url, json=cpo.credentials(), headers=token_header(old_token_c)
    )
    body = response.json()
    assert (response.status_code, body["status_code"]) == (200, 1000), body
    new_token_c = body["data"]["token"]
    assert new_token_c != old_token_c
    # The Hub re-fetched versions and details with the new TOKEN_B, and keeps the new endpoints and token.
    assert [r.path for r in cpo.received] == ["/ocpi/versions", "/ocpi/2.2.1"]
    assert all(
        r.headers["authorization"] == token_header("cpo-token-after-rotation")["Authorization"] for r in cpo.received
    )
    row = await db.fetchrow("SELECT endpoints, token_b_encrypted FROM platforms")
    assert '"sessions"' in row["endpoints"]
    assert Fernet(TOKEN_KEY.encode()).decrypt(row["token_b_encrypted"]).decode() == "cpo-token-after-rotation"

    assert await versions_status(hub_http, new_token_c) == 200
    assert await versions_status(hub_http, old_token_c) == 200  # grace: a party that lost our answer can retry

    async def old_token_refused() -> bool:
        return await versions_status(hub_http, old_token_c) == 401

    await eventually(old_token_refused, "the old TOKEN_C outlived its grace period")
    # It lived the whole grace period (2 s here; a slow machine only makes it look longer).
    assert time.monotonic() - rotated >= ROTATION_GRACE.total_seconds() - 0.01
    assert await versions_status(hub_http, new_token_c) == 200
    events = [r["event"] for r in await db.fetch("SELECT event FROM credential_events ORDER BY id")]
    assert events == ["INVITED", "REGISTERED", "ROTATED"]


async def test_failed_put_changes_nothing(hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool) -> None:
    token_c = await hub_http.register(cpo)
    before = await db.fetchrow("SELECT versions_url, endpoints, token_b_encrypted FROM platforms")
    cpo.versions = ["2.1.1"]
    cpo.token_b = "new-token"
    response = await hub_http.http.put(
        hub_http.credentials_url, json=cpo.credentials(token="new-token"), headers=token_header(token_c)
    )
    assert response.json()["status_code"] == 3002
    assert await db.fetchrow("SELECT versions_url, endpoints, token_b_encrypted FROM platforms") == before
    assert await versions_status(hub_http, token_c) == 200
    assert await db.fetchval("SELECT count(*) FROM hub_tokens WHERE kind = 'C' AND expire_time IS NOT NULL") == 0


async def test_delete_stops_every_token_at_once(hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool) -> None:
    first = await hub_http.register(cpo)
    second = (
        await hub_http.http.put(hub_http.credentials_url, json=cpo.credentials(), headers=token_header(first))
    ).json()["data"]["token"]

    response = await hub_http.http.delete(hub_http.credentials_url, headers=token_header(second))
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    # Both the current token and the one still in its rotation grace stop immediately.
    assert await versions_status(hub_http, second) == 401
    assert await versions_status(hub_http, first) == 401
    assert await db.fetchval("SELECT state FROM parties") == "UNREGISTERED"
    again = await hub_http.http.delete(hub_http.credentials_url, headers=token_header(second))
    assert again.status_code == 401


async def test_an_unregistered_party_comes_back_with_a_new_invite(
    hub_http: Hub, cpo: PartySimulator, start_party: Any
) -> None:
    token_c = await hub_http.register(cpo)
    await hub_http.http.delete(hub_http.credentials_url, headers=token_header(token_c))
    from ocpihub.parties.v1 import parties_service_pb2 as rpc

    token_a = (await hub_http.core.rotate_invite(rpc.RotateInviteRequest(name="parties/VN/ABC/CPO"))).token_a
    response = await hub_http.http.post(hub_http.credentials_url, json=cpo.credentials(), headers=token_header(token_a))
    assert response.json()["status_code"] == 1000
