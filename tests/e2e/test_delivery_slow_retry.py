"""The slow path of deliveries: after the 5 quick attempts (0, 1, 2, 4, 8 s) a receiver that keeps failing is
retried at most 5 minutes apart for HUB_DELIVERY_PATIENCE_SECONDS, then dead-lettered.

The session's core gives up at once (patience 0); these tests run the delivery workers against a core with an hour
of patience and move its clock forward instead of waiting the minutes out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core.clock import Clock
from core.deliveries.repository import CHANNEL
from core.server import CoreServer, create_server
from core.settings import Settings
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, delivery_workers

pytestmark = pytest.mark.slow

PATIENCE = timedelta(hours=1)
LOC1 = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"
# The waits after each failed attempt: the quick ones, then doubling up to the 5-minute cap.
SCHEDULE = [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


@dataclasses.dataclass
class PatientCore:
    server: CoreServer
    address: str

    @property
    def clock(self) -> Clock:
        return self.server.clock


@pytest.fixture
async def patient_core(core_settings: Settings, db: asyncpg.Pool) -> AsyncIterator[PatientCore]:
    settings = dataclasses.replace(core_settings, grpc_port=0, delivery_patience=PATIENCE)
    server, port = await create_server(settings, clock=Clock())
    await server.start()
    try:
        yield PatientCore(server, f"127.0.0.1:{port}")
    finally:
        await server.stop(grace=0.5)


async def recorded_attempt(db: asyncpg.Pool, attempts: int) -> asyncpg.Record:
    """EM1's delivery once the outcome of its `attempts`-th attempt is recorded (outcomes are recorded in batches
    just after the party answers)."""
    for _ in range(600):
        row = await db.fetchrow(
            "SELECT state, attempts, last_error, next_attempt_time, update_time FROM deliveries"
            " WHERE receiver_party_id = 'EM1' AND attempts = $1 AND lease_until IS NULL",
            attempts,
        )
        if row:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"attempt {attempts} to EM1 was never recorded")


async def next_attempt_due(core: PatientCore, db: asyncpg.Pool, row: asyncpg.Record) -> float:
    """Moves the core's clock to the next attempt and wakes the workers (as a new push would); returns the wait
    the core chose after the attempt, in seconds of its clock."""
    offset = core.clock.now() - datetime.now(UTC)  # the database stamps update_time in real time
    wait = row["next_attempt_time"] - (row["update_time"] + offset)
    core.clock.advance(max(row["next_attempt_time"] - core.clock.now(), timedelta(0)))
    await db.execute("SELECT pg_notify($1, '')", CHANNEL)
    return float(wait.total_seconds())


async def test_a_receiver_down_past_the_quick_attempts_is_retried_at_most_5_minutes_apart_and_gets_the_message(
    hub_http: Hub, network: Network, patient_core: PatientCore, db: asyncpg.Pool
) -> None:
    network.emsp1.fail_with = 503
    body = json.dumps(samples.location()).encode()
    await hub_http.http.put(LOC1, content=body, headers=network.cpo_headers())
    waits = []
    async with delivery_workers(patient_core.address):
        for attempt in range(1, len(SCHEDULE) + 1):
            row = await recorded_attempt(db, attempt)
            # Still pending after the 5th attempt: a party down for 20 minutes is not given up on.
            assert (row["state"], row["last_error"]) == ("PENDING", "HTTP 503"), (attempt, dict(row))
            waits.append(await next_attempt_due(patient_core, db, row))
        assert len(network.emsp1.pushes("locations")) == len(SCHEDULE)  # one send per scheduled attempt, no more

        network.emsp1.fail_with = None
        await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == len(SCHEDULE) + 1)
        for _ in range(600):
            if await db.fetchval("SELECT state FROM deliveries WHERE receiver_party_id = 'EM1'") == "DELIVERED":
                break
            await asyncio.sleep(0.05)
    # The wait the core chose is the schedule's (give or take the moment between its clock reading and the row's
    # stamp), and never more than 5 minutes.
    assert [int(w + 0.01) for w in waits] == SCHEDULE, waits
    assert max(waits) < 301
    assert network.emsp1.pushes("locations")[-1].body == body
    assert await db.fetchval("SELECT state FROM deliveries WHERE receiver_party_id = 'EM1'") == "DELIVERED"


async def test_a_receiver_still_failing_when_patience_runs_out_gets_a_dead_letter(
    hub_http: Hub, network: Network, patient_core: PatientCore, db: asyncpg.Pool
) -> None:
    network.emsp1.fail_with = 503
    await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    async with delivery_workers(patient_core.address):
        for attempt in range(1, 7):
            row = await recorded_attempt(db, attempt)
            assert row["state"] == "PENDING", attempt
            await next_attempt_due(patient_core, db, row)
        # An hour later the receiver still fails: that attempt is its last.
        row = await recorded_attempt(db, 7)
        assert row["state"] == "PENDING"
        patient_core.clock.advance(PATIENCE)
        await db.execute("SELECT pg_notify($1, '')", CHANNEL)
        row = await recorded_attempt(db, 8)
        assert (row["state"], row["last_error"]) == ("DEAD", "HTTP 503")
        sent = len(network.emsp1.pushes("locations"))
        assert sent == 8
        patient_core.clock.advance(timedelta(hours=1))
        await db.execute("SELECT pg_notify($1, '')", CHANNEL)
        await asyncio.sleep(0.5)  # a dead letter is not tried again: give a wrong attempt the time to show up
        assert len(network.emsp1.pushes("locations")) == sent
