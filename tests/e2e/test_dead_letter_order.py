"""A dead letter at the head of a party's queue: what comes after it still goes, in order, and re-driving it later
never takes the party back to older state than it already has (or is about to get)."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from hubclient import HubError
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.deliveries.v1 import deliveries_service_pb2 as rpc
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

LOC1 = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"


def location_version(name: str, last_updated: str) -> bytes:
    return json.dumps(samples.location(name=name, last_updated=last_updated)).encode()


async def dead_letters(hub_http: Hub) -> list[deliveries_pb2.Delivery]:
    request = rpc.ListDeliveriesRequest(state=deliveries_pb2.DELIVERY_STATE_DEAD)
    return [d async for d in hub_http.core.list_deliveries(request)]


async def wait_for_state(db: asyncpg.Pool, name: str, state: str) -> None:
    """Outcomes are recorded in batches just after the party answered: poll until this one is."""
    delivery_id = int(name.removeprefix("deliveries/"))
    for _ in range(400):
        if await db.fetchval("SELECT state FROM deliveries WHERE id = $1", delivery_id) == state:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never became {state}")


async def dead_first_version(hub_http: Hub, network: Network) -> deliveries_pb2.Delivery:
    """EM1 refuses LOC1's first version (OCPI 2001: dead at once), then accepts again."""
    network.emsp1.ocpi_status = 2001
    await hub_http.http.put(LOC1, content=location_version("v1", "2026-11-01T08:00:00Z"), headers=network.cpo_headers())
    for _ in range(400):
        if letters := await dead_letters(hub_http):
            break
        await asyncio.sleep(0.05)
    [letter] = letters
    network.emsp1.ocpi_status = 1000
    return letter


async def test_a_dead_letter_at_the_head_does_not_hold_up_the_object_and_is_not_re_driven_over_newer_state(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    letter = await dead_first_version(hub_http, network)
    newer = location_version("v2", "2026-11-01T09:00:00Z")
    await hub_http.http.put(LOC1, content=newer, headers=network.cpo_headers())
    # The dead first version does not block the queue of LOC1 to EM1: the newer one goes.
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 2)
    assert network.emsp1.pushes("locations")[-1].body == newer
    newest = await db.fetchval("SELECT max(id) FROM deliveries WHERE receiver_party_id = 'EM1'")
    await wait_for_state(db, f"deliveries/{newest}", "DELIVERED")

    # Re-driving the first version would put v1 over the v2 EM1 already has: the core says no and why.
    with pytest.raises(HubError) as refused:
        await hub_http.core.retry_delivery(letter.name)
    assert refused.value.code.name == "FAILED_PRECONDITION"
    assert "newer" in refused.value.message and "delivered" in refused.value.message, refused.value.message
    await asyncio.sleep(0.5)  # nothing may arrive: give a wrongly re-driven v1 the time to show up
    assert network.emsp1.pushes("locations")[-1].body == newer
    assert len(network.emsp1.pushes("locations")) == 2
    assert [d.name for d in await dead_letters(hub_http)] == [letter.name]  # still there, for the record


async def test_an_old_dead_letter_is_not_re_driven_behind_a_newer_message_still_waiting(
    hub_http: Hub, network: Network, delivering: None
) -> None:
    """The newer version is still being retried (EM1 down): a re-driven v1 would queue behind it and land last."""
    letter = await dead_first_version(hub_http, network)
    network.emsp1.fail_with = 503
    newer = location_version("v2", "2026-11-01T09:00:00Z")
    await hub_http.http.put(LOC1, content=newer, headers=network.cpo_headers())
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) >= 2)

    with pytest.raises(HubError) as refused:
        await hub_http.core.retry_delivery(letter.name)
    assert refused.value.code.name == "FAILED_PRECONDITION"
    assert "newer" in refused.value.message and "pending" in refused.value.message, refused.value.message

    network.emsp1.fail_with = None
    await network.emsp1.wait_for(lambda: network.emsp1.pushes("locations")[-1].body == newer, within=15)
    await asyncio.sleep(0.5)
    assert network.emsp1.pushes("locations")[-1].body == newer


async def test_dead_letters_re_driven_oldest_first_arrive_in_their_order(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    """Both versions refused: re-driving both (as `hubctl deliveries retry --all-dead` does, oldest first) delivers
    them in the order they were sent, so EM1 ends with the newest."""
    network.emsp1.ocpi_status = 2001
    bodies = [location_version("v1", "2026-11-01T08:00:00Z"), location_version("v2", "2026-11-01T09:00:00Z")]
    for body in bodies:
        await hub_http.http.put(LOC1, content=body, headers=network.cpo_headers())
    for _ in range(400):
        if len(letters := await dead_letters(hub_http)) == 2:
            break
        await asyncio.sleep(0.05)
    assert len(letters) == 2
    network.emsp1.ocpi_status = 1000
    refused = len(network.emsp1.pushes("locations"))

    for letter in letters:
        await hub_http.core.retry_delivery(letter.name)
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == refused + 2)
    assert [p.body for p in network.emsp1.pushes("locations")[refused:]] == bodies
    for letter in letters:
        await wait_for_state(db, letter.name, "DELIVERED")
