"""The core down while the facade is up: OCPI pushes get HTTP 503 with an OCPI 3000 envelope (never a 500, never a
hang), nothing of them is stored (not even half: an object without its queued deliveries), and the facade serves
again by itself once the core is back.

The core is a real `python -m core` process on the session's database, killed with SIGKILL as a crash would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from facade.app import create_app
from facade.settings import Settings
from hubclient import HubClient
from simulators import loopback
from tests import internal_tls
from tests.conftest import TOKEN_KEY
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

pytestmark = pytest.mark.slow

RECEIVER = "/ocpi/2.2.1/receiver"
LOC1 = f"{RECEIVER}/locations/VN/CPA/LOC1"
LOC2 = f"{RECEIVER}/locations/VN/CPA/LOC2"


class CoreProcess:
    """`python -m core` on a fixed port, so it comes back where the facade looks for it."""

    def __init__(self, database_url: str) -> None:
        self.port = loopback.free_port()
        self._env = {
            **os.environ,
            "HUB_DATABASE_URL": database_url,
            "HUB_TOKEN_KEYS": TOKEN_KEY,
            "HUB_GRPC_PORT": str(self.port),
            "HUB_CORE_METRICS_PORT": "0",
            "HUB_GRPC_HEALTH_PORT": "0",
            **internal_tls.core_env(internal_tls.session_dir()),
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "core", env=self._env, stdout=asyncio.subprocess.DEVNULL
        )

    async def kill(self) -> None:
        assert self.process
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def ready(http: httpx.AsyncClient, within: float = 60.0) -> None:
    """Until the facade finds the core answering (a restarted core is found again within gRPC's reconnect backoff)."""
    deadline = asyncio.get_running_loop().time() + within
    while (await http.get("/ready")).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, "the facade never found the core again"
        await asyncio.sleep(0.2)


@pytest.fixture
async def core_process(database_url: str, db: asyncpg.Pool) -> AsyncIterator[CoreProcess]:
    core = CoreProcess(database_url)
    await core.start()
    try:
        yield core
    finally:
        await core.stop()


@pytest.fixture
async def facade(core_process: CoreProcess, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A facade of its own in this process, on the core process; it stays up throughout."""
    address = f"127.0.0.1:{core_process.port}"
    settings = Settings(environment="sandbox", core_address=address, redis_url=redis_url, delivery_workers=0)
    async with (
        HubClient(address) as client,
        loopback.serve(create_app(settings, client)) as url,
        httpx.AsyncClient(base_url=url, timeout=30.0) as http,
    ):
        await ready(http)
        yield http


def assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert set(body) >= {"status_code", "status_message", "timestamp"}
    assert body["status_code"] == 3000
    assert body["status_message"] == "the Hub is temporarily unavailable"
    assert body["timestamp"].endswith("Z")


async def stored(db: asyncpg.Pool) -> dict[str, Any]:
    """Everything the pushes below could have written."""
    return {
        "locations": [tuple(r) for r in await db.fetch("SELECT id_key, last_updated FROM locations ORDER BY id_key")],
        "tariffs": await db.fetchval("SELECT count(*) FROM tariffs"),
        "tokens": await db.fetchval("SELECT count(*) FROM tokens"),
        "deliveries": await db.fetchval("SELECT count(*) FROM deliveries"),
    }


async def test_pushes_while_the_core_is_down_get_503_3000_and_store_nothing(
    hub_http: Hub, network: Network, core_process: CoreProcess, facade: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    cpo, emsp = network.cpo_headers(), network.emsp_headers(1)
    assert (await facade.put(LOC1, json=samples.location(), headers=cpo)).json()["status_code"] == 1000
    before = await stored(db)
    pushes = [
        ("PUT", LOC2, samples.location("LOC2"), cpo),
        ("PATCH", f"{LOC1}/LOC1-E1", {"status": "CHARGING", "last_updated": "2026-11-01T09:00:00Z"}, cpo),
        ("PUT", f"{RECEIVER}/tariffs/VN/CPA/TARIFF-AC", samples.time_based_tariff(), cpo),
        ("PUT", f"{RECEIVER}/tokens/VN/EM1/RFID-0001", samples.token(), emsp),
    ]

    await core_process.kill()
    for method, path, body, headers in pushes:
        assert_unavailable(await facade.request(method, path, json=body, headers=headers))
    # Liveness stays (the facade itself is fine); readiness says why it cannot serve.
    assert (await facade.get("/health")).status_code == 200
    assert (await facade.get("/ready")).status_code == 503

    await core_process.start()
    await ready(facade)
    assert await stored(db) == before
    # Back by itself: the same pushes go through now.
    for method, path, body, headers in pushes:
        answer = await facade.request(method, path, json=body, headers=headers)
        assert answer.json()["status_code"] == 1000, (path, answer.json())


async def test_a_core_killed_in_the_middle_of_a_push_leaves_nothing_half_written(
    hub_http: Hub, network: Network, core_process: CoreProcess, facade: httpx.AsyncClient, db: asyncpg.Pool
) -> None:
    """The core has written the location and is queueing its deliveries when it dies: the CPO gets 503 + 3000, and
    neither the location nor any of its deliveries is there afterwards (the CPO's retry then stores both)."""
    assert (await facade.put(LOC1, json=samples.location(), headers=network.cpo_headers())).status_code in (200, 201)
    before = await stored(db)
    async with db.acquire() as blocker:
        blocking = blocker.transaction()
        await blocking.start()
        # The outbox is locked: the core's push transaction stops at its enqueue, after the location's upsert.
        await blocker.execute("LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE")
        push = asyncio.create_task(facade.put(LOC2, json=samples.location("LOC2"), headers=network.cpo_headers()))
        try:
            for _ in range(600):
                waiting = await db.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'deliveries'::regclass"
                )
                if waiting:
                    break
                await asyncio.sleep(0.05)
            assert waiting, "the push never reached its enqueue"
            await core_process.kill()
            assert_unavailable(await push)
        finally:
            await blocking.rollback()
            with contextlib.suppress(Exception):
                await push

    await core_process.start()
    await ready(facade)
    # The dead core's transaction rolled back when PostgreSQL lost its connection: give it the moment it takes.
    for _ in range(200):
        if not await db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"):
            break
        await asyncio.sleep(0.05)
    assert await stored(db) == before
    retried = await facade.put(LOC2, json=samples.location("LOC2"), headers=network.cpo_headers())
    assert retried.json()["status_code"] == 1000
    after = await stored(db)
    assert [key for key, _ in after["locations"]] == ["LOC1", "LOC2"]
    assert after["deliveries"] == before["deliveries"] + 2  # one for each eMSP
