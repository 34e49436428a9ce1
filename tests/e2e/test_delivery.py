"""Durable delivery: retries with backoff, 429 Retry-After, order per object, dead letters, re-drive, restarts."""

from __future__ import annotations

import dataclasses
import itertools
import json

import asyncpg
import pytest

from core.server import create_server
from core.settings import Settings
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.deliveries.v1 import deliveries_service_pb2 as rpc
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, delivery_workers
from tests.waiting import eventually

LOC1 = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"


async def push_three_changes(hub_http: Hub, network: Network) -> list[bytes]:
    """A location, then two EVSE status changes: they must arrive in this order."""
    bodies = [
        json.dumps(samples.location()).encode(),
        json.dumps({"status": "CHARGING", "last_updated": "2026-11-01T09:00:00Z"}).encode(),
        json.dumps({"status": "AVAILABLE", "last_updated": "2026-11-01T09:30:00Z"}).encode(),
    ]
    await hub_http.http.put(LOC1, content=bodies[0], headers=network.cpo_headers())
    await hub_http.http.patch(f"{LOC1}/LOC1-E1", content=bodies[1], headers=network.cpo_headers())
    await hub_http.http.patch(f"{LOC1}/LOC1-E1", content=bodies[2], headers=network.cpo_headers())
    return bodies


async def delivery_state(db: asyncpg.Pool, where: str, state: str) -> bool:
    """Whether the one delivery `where` selects is in `state` (workers record outcomes in batches, a moment after
    the receiver answered)."""
    found: str | None = await db.fetchval(f"SELECT state FROM deliveries WHERE {where}")
    return found == state


def delivered_bodies(pushes: list) -> list[bytes]:  # type: ignore[type-arg]
    return [p.body for p in pushes]


async def test_an_emsp_down_for_a_while_gets_everything_in_order(
    hub_http: Hub, network: Network, delivering: None
) -> None:
    network.emsp1.fail_with = 503
    bodies = await push_three_changes(hub_http, network)
    await network.emsp2.wait_for(lambda: len(network.emsp2.pushes("locations")) == 3)
    assert delivered_bodies(network.emsp2.pushes("locations")) == bodies  # the healthy eMSP is not held up
    # EM1 refuses the first attempt and its retry.
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) >= 2)
    failed = len(network.emsp1.pushes("locations"))
    network.emsp1.fail_with = None
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == failed + 3, within=15)
    # Each refused attempt was retried; what got through came in the order it was sent.
    assert delivered_bodies(network.emsp1.pushes("locations")[failed:]) == bodies


async def test_an_emsp_found_offline_waits_without_losing_attempts_and_gets_everything_in_order(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    """A party the still-alive check found unreachable is not hammered: its messages wait (for an hour if need be) and
    go, in order, the moment it is back."""
    em1 = str(await db.fetchval("SELECT platform_id FROM parties WHERE party_id = 'EM1'"))
    await hub_http.core.report_alive_check(f"platforms/{em1}", reachable=False, detail="versions timed out")
    bodies = await push_three_changes(hub_http, network)
    await network.emsp2.wait_for(lambda: len(network.emsp2.pushes("locations")) == 3)
    # Workers lease due deliveries oldest first, and EM1's first was queued with EM2's first: once EM2 has the last
    # one, EM1's would have been leased (attempts counted at lease) had the Hub not held it back.
    assert network.emsp1.pushes("locations") == []
    waiting = await db.fetch("SELECT state, attempts FROM deliveries WHERE receiver_party_id = 'EM1'")
    assert [(r["state"], r["attempts"]) for r in waiting] == [("PENDING", 0)] * 3

    await hub_http.core.report_alive_check(f"platforms/{em1}", reachable=True, detail="versions answered")
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 3)
    assert delivered_bodies(network.emsp1.pushes("locations")) == bodies


async def test_429_retry_after_is_honoured(hub_http: Hub, network: Network, delivering: None) -> None:
    network.emsp1.fail_with, network.emsp1.retry_after = 429, "3"
    await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 1)
    network.emsp1.fail_with = None
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 2, within=10)
    first, second = network.emsp1.pushes("locations")
    # The plain backoff would have retried after 1 s; the eMSP asked for 3.
    assert second.at - first.at >= 2.9


async def test_refused_delivery_is_dead_and_an_operator_can_re_drive_it(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    network.emsp1.ocpi_status = 2001  # the eMSP refuses the object: retrying would not help
    await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 1)
    dead: list[deliveries_pb2.Delivery] = []

    async def dead_letters() -> bool:  # outcomes are recorded in batches, just after the eMSP answered
        request = rpc.ListDeliveriesRequest(state=deliveries_pb2.DELIVERY_STATE_DEAD)
        dead[:] = [d async for d in hub_http.core.list_deliveries(request)]
        return bool(dead)

    await eventually(dead_letters, "the refused delivery was never recorded dead")
    [letter] = dead
    assert letter.receiver.party_id == "EM1"
    assert "2001" in letter.last_error
    assert letter.attempts == 1

    network.emsp1.ocpi_status = 1000
    await hub_http.core.retry_delivery(letter.name)
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 2)
    delivery_id = int(letter.name.split("/")[1])
    await eventually(
        lambda: delivery_state(db, f"id = {delivery_id}", "DELIVERED"), "the re-driven delivery never became DELIVERED"
    )


@pytest.mark.slow  # 15 s of backoff by design
async def test_after_five_failed_attempts_a_delivery_is_dead(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    network.emsp1.fail_with = 500
    await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    # Attempts at 0, +1, +2, +4, +8 s (R10.4), then it is dead. (15 s of backoff; a loaded machine adds to it.)
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 5, within=60)
    await eventually(
        lambda: delivery_state(db, "receiver_party_id = 'EM1'", "DEAD"), "the 5th failure did not make it dead"
    )
    attempts = network.emsp1.pushes("locations")
    assert len(attempts) == 5
    # Each retry waited at least its backoff after the failure before it (a slow machine only adds to a gap; 10 ms
    # for the two clocks: the simulator's monotonic one, PostgreSQL's now() that schedules the retry).
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert all(gap >= backoff - 0.01 for gap, backoff in zip(gaps, [1, 2, 4, 8], strict=True)), gaps


async def test_a_hub_restart_in_the_middle_of_deliveries_loses_nothing(
    hub_http: Hub, network: Network, core_settings: Settings, db: asyncpg.Pool
) -> None:
    network.emsp1.fail_with = 503
    bodies = await push_three_changes(hub_http, network)

    # A second Hub (core + delivery workers) on the same database starts delivering, then is stopped mid-way.
    first_core, port = await create_server(dataclasses.replace(core_settings, grpc_port=0))
    await first_core.start()
    async with delivery_workers(f"127.0.0.1:{port}"):
        await network.emsp2.wait_for(lambda: len(network.emsp2.pushes("locations")) == 3)
        await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) >= 1)
    await first_core.stop(grace=0.5)
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'PENDING'") == 3

    network.emsp1.fail_with = None
    refused = len(network.emsp1.pushes("locations"))
    second_core, port = await create_server(dataclasses.replace(core_settings, grpc_port=0))
    await second_core.start()
    try:
        async with delivery_workers(f"127.0.0.1:{port}"):
            await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == refused + 3, within=20)
    finally:
        await second_core.stop(grace=0.5)
    assert delivered_bodies(network.emsp1.pushes("locations")[refused:]) == bodies
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'DELIVERED'") == 6
