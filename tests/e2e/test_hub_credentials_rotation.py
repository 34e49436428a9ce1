"""The Hub rotates the credentials it issued once they are older than HUB_TOKEN_MAX_AGE_SECONDS (OCPI 2.2.1
credentials, the Hub as client): a PUT of the Hub's credentials with a new TOKEN_C to the party's real credentials
endpoint, made by the facade's rotator, and the party's answer stored.

A token is made old by moving its issue time back in the database, as 90 days would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest

from facade.credentials.rotation import CredentialsRotator
from facade.peers.client import PeerClient
from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from simulators.party import EMSP_MODULES, PartySimulator
from tests import internal_tls
from tests.e2e import samples
from tests.e2e.conftest import Hub, delivery_workers, facade_settings, token_header

CREDENTIALS = "/ocpi/2.2.1/credentials"
WITHIN = 10.0


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def _age(db: asyncpg.Pool, token_c: str) -> None:
    await db.execute(
        "UPDATE hub_tokens SET create_time = now() - interval '91 days' WHERE token_hash = $1", _hash(token_c)
    )


@asynccontextmanager
async def rotating(core_address: str, hub_url: str, redis_url: str) -> AsyncIterator[None]:
    """The facade's rotator, as `python -m facade` runs it (facade certificate), asking every 0.1 s."""
    async with (
        HubClient(core_address, tls=internal_tls.session_client("facade")) as client,
        httpx.AsyncClient(timeout=2.0, trust_env=False) as http,
    ):
        peers = PeerClient(http)
        rotator = CredentialsRotator(client, peers, facade_settings(core_address, hub_url, redis_url), interval=0.1)
        task = asyncio.create_task(rotator.run())
        try:
            yield
        finally:
            rotator.stop()
            await task
            await peers.close()


async def _until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not await condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def _platform(hub: Hub, name: str) -> pb.Platform:
    party = await hub.core.get_party(name)
    return await hub.core.get_platform(party.platform)


async def test_old_credentials_are_rotated_by_the_hub_and_the_partys_new_token_is_used_from_then_on(
    hub_http: Hub,
    start_party: Callable[..., Awaitable[PartySimulator]],
    db: asyncpg.Pool,
    core_address: str,
    redis_url: str,
) -> None:
    cpo = await start_party(party_id="CPR", name="CP Rotating")
    emsp = await start_party(party_id="EMR", role="EMSP", name="eMobility R", modules=list(EMSP_MODULES))
    old_token_c = await hub_http.register(cpo)
    emsp_token = await hub_http.register(emsp)
    old_token_b = cpo.token_b
    cpo.new_token_on_put = "cpo-token-b-after-rotation"
    await _age(db, old_token_c)
    before = await _platform(hub_http, "parties/VN/CPR/CPO")

    async with rotating(core_address, hub_http.url, redis_url):
        await cpo.wait_for(lambda: bool(cpo.hub_token), within=WITHIN)

    # The PUT: the Hub's credentials (new TOKEN_C, its versions URL, role HUB) with the party's token as it was.
    [put] = [r for r in cpo.requests_to(CREDENTIALS) if r.method == "PUT"]
    assert put.headers["authorization"] == "Token " + base64.b64encode(old_token_b.encode()).decode()
    sent = json.loads(put.body)
    assert sent["token"] == cpo.hub_token != old_token_c
    assert sent["url"] == hub_http.versions_url
    assert [r["role"] for r in sent["roles"]] == ["HUB"]

    # The new TOKEN_C opens the Hub and lasts; the old one lives out the grace period, then is refused.
    new = await hub_http.http.get(CREDENTIALS, headers=token_header(cpo.hub_token))
    assert new.json()["status_code"] == 1000
    assert await db.fetchval("SELECT expire_time FROM hub_tokens WHERE token_hash = $1", _hash(cpo.hub_token)) is None
    old_expiry = await db.fetchval("SELECT expire_time FROM hub_tokens WHERE token_hash = $1", _hash(old_token_c))
    assert old_expiry is not None

    async def old_refused() -> bool:
        response = await hub_http.http.get(CREDENTIALS, headers=token_header(old_token_c))
        return response.status_code == 401

    await _until(old_refused, "the old TOKEN_C still works after its grace period")
    after = await _platform(hub_http, "parties/VN/CPR/CPO")
    assert after.rotation_attempts == 0 and not after.rotation_error
    assert after.credentials_issue_time.ToDatetime() > before.credentials_issue_time.ToDatetime()

    # The party's answer carried a new token of its own: the Hub's deliveries to it use that one.
    async with delivery_workers(core_address):
        pushed = await hub_http.http.put(
            "/ocpi/2.2.1/receiver/tokens/VN/EMR/RFID-R1",
            json=samples.token("RFID-R1", emsp="EMR"),
            headers={**token_header(emsp_token), "OCPI-from-country-code": "VN", "OCPI-from-party-id": "EMR"},
        )
        assert pushed.json()["status_code"] == 1000, pushed.json()
        await cpo.wait_for(lambda: len(cpo.pushes("tokens")) == 1, within=WITHIN)
    [delivered] = cpo.pushes("tokens")
    assert delivered.headers["authorization"] == "Token " + base64.b64encode(b"cpo-token-b-after-rotation").decode()


async def test_a_refused_rotation_is_retried_shown_to_operators_and_leaves_the_old_token_working(
    hub_http: Hub,
    start_party: Callable[..., Awaitable[PartySimulator]],
    db: asyncpg.Pool,
    core_address: str,
    redis_url: str,
) -> None:
    cpo = await start_party(party_id="CPU", name="CP Unsure")
    token_c = await hub_http.register(cpo)
    cpo.unregistered = True  # answers the Hub's PUT with 405
    await _age(db, token_c)

    async def failing() -> bool:
        return (await _platform(hub_http, "parties/VN/CPU/CPO")).rotation_attempts >= 1

    async with rotating(core_address, hub_http.url, redis_url):
        await _until(failing, "the refused rotation was never reported")
    platform = await _platform(hub_http, "parties/VN/CPU/CPO")
    assert "405" in platform.rotation_error and "not registered" in platform.rotation_error
    assert platform.HasField("next_rotation_time")
    assert cpo.hub_token == ""
    # Nothing changed for the party: its token still works, and does not expire.
    still = await hub_http.http.get(CREDENTIALS, headers=token_header(token_c))
    assert still.json()["status_code"] == 1000
    assert await db.fetchval("SELECT expire_time FROM hub_tokens WHERE token_hash = $1", _hash(token_c)) is None

    # The party is fixed; when the retry is due (moved to now instead of waiting), the rotation goes through.
    cpo.unregistered = False
    await db.execute("UPDATE platforms SET next_rotation_time = now()")

    async def rotated() -> bool:
        return (await _platform(hub_http, "parties/VN/CPU/CPO")).rotation_attempts == 0

    async with rotating(core_address, hub_http.url, redis_url):
        await _until(rotated, "the retried rotation never succeeded")
    assert cpo.hub_token
    works = await hub_http.http.get(CREDENTIALS, headers=token_header(cpo.hub_token))
    assert works.json()["status_code"] == 1000


async def test_each_due_rotation_goes_to_one_claimer_and_its_token_works_before_the_party_answers(
    hub_http: Hub, start_party: Callable[..., Awaitable[PartySimulator]], db: asyncpg.Pool, core_address: str
) -> None:
    cpo = await start_party(party_id="CPO", name="CP Once")
    token_c = await hub_http.register(cpo)
    await _age(db, token_c)

    async with HubClient(core_address, tls=internal_tls.session_client("facade")) as facade:
        claims = await asyncio.gather(*(facade.claim_token_rotations(10) for _ in range(4)))
        [rotation] = [r for claim in claims for r in claim]
        assert rotation.credentials_url == f"{cpo.base_url}/ocpi/2.2.1/credentials"
        assert (rotation.token, rotation.attempt) == (cpo.token_b, 1)
        # The new TOKEN_C already opens the Hub (the party may use it before its answer reaches us).
        works = await hub_http.http.get(CREDENTIALS, headers=token_header(rotation.token_c))
        assert works.json()["status_code"] == 1000
        # A report must name the attempt's token: a stale or made-up one changes nothing.
        with pytest.raises(HubError, match="no rotation in flight"):
            await facade.report_token_rotation(rotation.platform, "not-the-token", accepted=True, token_b="x")
        assert await facade.claim_token_rotations(10) == []  # claimed: not handed out again meanwhile
