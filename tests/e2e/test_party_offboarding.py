"""Operators end a party: `hubctl party revoke` (for good, with a reason) and `hubctl party unregister` (it may
register again with a new TOKEN_A). Run scaled out (HUB_E2E_SCALED=1), the revocation must hold on both facades,
each on its own core, from the moment the operator's call returns plus the change stream's few milliseconds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators.party import EMSP_MODULES, PartySimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, delivery_workers, token_header
from tests.e2e.test_auth_cache import refused_within, status_of

HCI = ("hubclientinfo", "RECEIVER")
# More than one round of nginx's round robin over the two facades.
EVERY_REPLICA = 6


async def test_a_revoked_party_is_refused_everywhere_its_deliveries_stop_and_the_others_are_told(
    hub_http: Hub,
    network: Network,
    start_party: Callable[..., Awaitable[PartySimulator]],
    db: asyncpg.Pool,
    core_address: str,
    security_log: None,
) -> None:
    watcher = await start_party(party_id="WAT", role="EMSP", name="Watcher", modules=[*EMSP_MODULES, HCI])
    await hub_http.register(watcher)
    # A message for the CPO waits in the queue (no delivery workers yet).
    pushed = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tokens/VN/EM1/RFID-0001", json=samples.token(), headers=network.emsp_headers()
    )
    assert pushed.json()["status_code"] == 1000
    headers = network.cpo_headers()
    for _ in range(EVERY_REPLICA):  # every facade has the CPO's token check cached
        assert await status_of(hub_http, headers) == 200

    async with HubClient(core_address, person="lan@hub.vn") as operator:
        revoked = await operator.revoke_party("parties/VN/CPA/CPO", "cloned RFID cards charged to eMSPs")
    assert revoked.party.state == pb.PARTY_STATE_REVOKED
    assert revoked.dead_lettered == 1

    await refused_within(hub_http, headers)
    for _ in range(EVERY_REPLICA):
        assert await status_of(hub_http, headers) == 401
    # The queued message is dead, with the reason, and never sent; the other platforms learn the CPO is gone.
    rows = await db.fetch("SELECT state, last_error FROM deliveries WHERE receiver_party_id = 'CPA'")
    assert [(r["state"], r["last_error"]) for r in rows] == [
        ("DEAD", "the receiver was revoked: cloned RFID cards charged to eMSPs")
    ]
    async with delivery_workers(core_address):

        def told() -> bool:
            return any(
                p.path == "/ocpi/2.2.1/hubclientinfo/VN/CPA" and json.loads(p.body)["status"] == "SUSPENDED"
                for p in watcher.pushes("hubclientinfo")
            )

        await watcher.wait_for(told)
    assert network.cpo.pushes("tokens") == []
    listed = await hub_http.http.get("/ocpi/2.2.1/hubclientinfo", headers=token_header(network.emsp1_token))
    assert {(i["party_id"], i["status"]) for i in listed.json()["data"]} >= {("CPA", "SUSPENDED")}
    # Who and why, in the party's own security event.
    [event] = await db.fetch("SELECT * FROM security_events WHERE kind = 'PARTY_REVOKED'")
    assert (event["country_code"], event["party_id"], event["role"]) == ("VN", "CPA", "CPO")
    detail = json.loads(event["detail"])
    assert detail["reason"] == "cloned RFID cards charged to eMSPs"
    assert detail["by"] == "lan@hub.vn"

    # For good: reinstating and a new invitation are refused; the other parties carry on.
    with pytest.raises(HubError, match="revoked for good"):
        await hub_http.core.reinstate_party("parties/VN/CPA/CPO")
    with pytest.raises(HubError, match="revoked for good"):
        await hub_http.core.rotate_invite(rpc.RotateInviteRequest(name="parties/VN/CPA/CPO"))
    assert await status_of(hub_http, network.emsp_headers()) == 200


async def test_an_unregistered_party_may_register_again_with_a_new_token_a(
    hub_http: Hub, start_party: Callable[..., Awaitable[PartySimulator]], db: asyncpg.Pool
) -> None:
    cpo = await start_party(party_id="CPX", name="CP Ex")
    token_c = await hub_http.register(cpo)
    headers = {**token_header(token_c), "OCPI-from-country-code": "VN", "OCPI-from-party-id": "CPX"}
    for _ in range(EVERY_REPLICA):
        assert await status_of(hub_http, headers) == 200

    unregistered = await hub_http.core.unregister_party("parties/VN/CPX/CPO")
    assert unregistered.party.state == pb.PARTY_STATE_UNREGISTERED
    await refused_within(hub_http, headers)
    for _ in range(EVERY_REPLICA):
        assert await status_of(hub_http, headers) == 401

    # `hubctl party rotate-invite` gives it a new TOKEN_A; the old TOKEN_C stays dead.
    invite = await hub_http.core.rotate_invite(rpc.RotateInviteRequest(name="parties/VN/CPX/CPO"))
    cpo.token_b = "cpx-second-token-b"
    response = await hub_http.http.post(
        hub_http.credentials_url, json=cpo.credentials(), headers=token_header(invite.token_a)
    )
    assert response.json()["status_code"] == 1000, response.json()
    token_c2 = response.json()["data"]["token"]
    assert (await hub_http.core.get_party("parties/VN/CPX/CPO")).state == pb.PARTY_STATE_REGISTERED
    assert await status_of(hub_http, {**headers, **token_header(token_c2)}) == 200
    assert await status_of(hub_http, headers) == 401


async def test_a_message_queued_for_a_party_while_it_was_revoked_is_never_sent(
    hub_http: Hub, start_party: Callable[..., Awaitable[PartySimulator]], db: asyncpg.Pool, core_address: str
) -> None:
    # One platform hosting two CPOs: revoking one leaves the platform registered, for the other.
    sim = await start_party(party_id="CPB", name="CP Bravo")
    roles = []
    for party_id in ("CPB", "CPC"):
        sim.party_id = party_id
        token_a = await hub_http.invite(sim)
        roles += sim.credentials()["roles"]
    registered = await hub_http.http.post(
        hub_http.credentials_url, json=sim.credentials(roles=roles), headers=token_header(token_a)
    )
    assert registered.json()["status_code"] == 1000, registered.json()
    await hub_http.core.revoke_party("parties/VN/CPB/CPO", "contract ended")
    # A push that read the receivers just before the revocation committed queues its message after it: as here.
    await db.execute(
        "INSERT INTO deliveries (receiver_platform_id, receiver_country_code, receiver_party_id, receiver_role, module,"
        " method, path, body, sender_country_code, sender_party_id, sender_role, correlation_id, object_key, is_head)"
        " SELECT platform_id, 'VN', 'CPB', 'CPO', 'tokens', 'PUT', 'VN/EM1/RFID-0001', '{}', 'VN', 'EM1', 'EMSP',"
        " 'c-1', 'tokens/VN/EM1/RFID-0001', true FROM parties WHERE party_id = 'CPB'"
    )

    async def outcome() -> asyncpg.Record:
        return await db.fetchrow("SELECT state, last_error FROM deliveries WHERE receiver_party_id = 'CPB'")

    async with delivery_workers(core_address):
        deadline = asyncio.get_running_loop().time() + 10
        while (await outcome())["state"] == "PENDING":
            assert asyncio.get_running_loop().time() < deadline, "the message to the revoked party is still queued"
            await asyncio.sleep(0.05)
    assert tuple(await outcome()) == ("DEAD", "the receiver is no longer registered")
    assert sim.pushes("tokens") == []
    assert (await hub_http.core.get_party("parties/VN/CPC/CPO")).state == pb.PARTY_STATE_REGISTERED
