"""Still-alive checks in the core (real gRPC core, real PostgreSQL): who is due, claims that never overlap, what
an outcome does to the parties' status and the HubClientInfo pushes queued."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import asyncpg

from hubclient import HubClient
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from tests.core.test_credentials_service import invite, platform

QUIET = timedelta(minutes=5)


async def register(hub: HubClient, party_id: str, *, hubclientinfo: bool = False) -> rpc.RegisterPlatformResponse:
    party = ("VN", party_id, pb.ROLE_CPO)
    registered = platform(party, versions_url=f"http://127.0.0.1:9001/{party_id}/versions")
    if hubclientinfo:
        registered.endpoints.append(
            pb.Endpoint(identifier="hubclientinfo", role=pb.INTERFACE_ROLE_RECEIVER, url="http://127.0.0.1:9001/hci")
        )
    request = rpc.RegisterPlatformRequest(
        token_a=await invite(hub, party), token_b=f"token-b-{party_id}", platform=registered
    )
    return await hub.register_platform(request)


async def quiet_for(db: asyncpg.Pool, period: timedelta) -> None:
    """Time travel for the test: every platform was last heard from `period` ago."""
    await db.execute("UPDATE platforms SET last_heard_time = now() - $1::interval", period)


async def test_only_platforms_quiet_for_the_period_are_due(hub: HubClient, db: asyncpg.Pool) -> None:
    await register(hub, "CP1")
    assert await hub.claim_alive_checks(QUIET, 10) == []
    await quiet_for(db, QUIET + timedelta(seconds=1))
    [check] = await hub.claim_alive_checks(QUIET, 10)
    assert (check.versions_url, check.token, check.environment) == (
        "http://127.0.0.1:9001/CP1/versions",
        "token-b-CP1",
        pb.ENVIRONMENT_SANDBOX,
    )
    # Claimed: not due again before another quiet period, whoever asks.
    assert await hub.claim_alive_checks(QUIET, 10) == []


async def test_concurrent_claims_never_hand_out_the_same_platform(hub: HubClient, db: asyncpg.Pool) -> None:
    for number in range(12):
        await register(hub, f"C{number:02d}")
    await quiet_for(db, QUIET + timedelta(seconds=1))
    claims = await asyncio.gather(*(hub.claim_alive_checks(QUIET, 3) for _ in range(8)))
    claimed = [check.platform for claim in claims for check in claim]
    assert len(claimed) == len(set(claimed)) == 12


async def test_an_authenticated_request_counts_as_heard_from(hub: HubClient, db: asyncpg.Pool) -> None:
    token_c = (await register(hub, "CP1")).token_c
    await quiet_for(db, QUIET + timedelta(seconds=1))
    await hub.authenticate_token([token_c])
    assert await hub.claim_alive_checks(QUIET, 10) == []


async def test_failed_and_passed_checks_move_the_parties_and_queue_pushes(hub: HubClient, db: asyncpg.Pool) -> None:
    checked = await register(hub, "CP1")
    await register(hub, "CP2", hubclientinfo=True)
    name = checked.platform.name

    offline = await hub.report_alive_check(name, reachable=False, detail="GET timed out")
    assert offline.HasField("offline_time")
    assert (await hub.get_party("parties/VN/CP1/CPO")).state == pb.PARTY_STATE_OFFLINE
    await hub.report_alive_check(name, reachable=False, detail="still down")  # no change, nothing more queued

    online = await hub.report_alive_check(name, reachable=True)
    assert not online.HasField("offline_time")
    assert (await hub.get_party("parties/VN/CP1/CPO")).state == pb.PARTY_STATE_REGISTERED

    rows = await db.fetch(
        "SELECT receiver_party_id, path, body, object_key FROM deliveries WHERE module = 'hubclientinfo' ORDER BY id"
    )
    # CP2 (registered after CP1) was told about CP1 going OFFLINE and back; CP1 has no hubclientinfo receiver.
    assert [(r["receiver_party_id"], r["path"], r["object_key"]) for r in rows] == [
        ("CP2", "VN/CP1", "hubclientinfo/VN/CP1/CPO")
    ] * 2
    assert [json.loads(r["body"])["status"] for r in rows] == ["OFFLINE", "CONNECTED"]


async def test_an_offline_platform_that_calls_in_is_connected_again(hub: HubClient, db: asyncpg.Pool) -> None:
    checked = await register(hub, "CP1")
    await hub.report_alive_check(checked.platform.name, reachable=False, detail="GET timed out")
    auth = await hub.authenticate_token([checked.token_c])
    assert [p.state for p in auth.parties] == [pb.PARTY_STATE_REGISTERED]
    assert (await hub.get_party("parties/VN/CP1/CPO")).state == pb.PARTY_STATE_REGISTERED
