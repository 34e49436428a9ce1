"""Rate limits per party and module, and IP allow-lists (R10.1), through the real HTTP facade, core and Redis.

Each test runs its own facade with the limits it needs; buckets live in the session's Redis (or, when Redis does
not answer, in the facade), keyed by party and module.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import redis.asyncio as redis
from prometheus_client import REGISTRY

from facade.app import create_app
from facade.limits.token_bucket import KEY_PREFIX
from facade.settings import Settings
from hubclient import HubClient
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.types.v1 import types_pb2
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.e2e.conftest import Hub, Network, token_header
from tests.simulators import loopback

hubctl = test_hubctl.hubctl
LOCATIONS = "/ocpi/2.2.1/sender/locations"


@pytest.fixture(autouse=True)
async def fresh_buckets(redis_url: str) -> AsyncIterator[None]:
    """Buckets outlive a facade (that is the point of Redis): each test starts, and leaves, with none."""

    async def drop() -> None:
        cache = redis.from_url(redis_url)
        try:
            keys = [key async for key in cache.scan_iter(match=f"{KEY_PREFIX}*")]
            if keys:
                await cache.delete(*keys)
        finally:
            await cache.aclose()

    await drop()
    yield
    await drop()


@asynccontextmanager
async def facade(core_address: str, redis_url: str | None, **limits: int) -> AsyncIterator[httpx.AsyncClient]:
    limits.setdefault("refused_tokens_per_minute", 0)  # each test's own guesses only where it asks for them
    settings = Settings(
        environment="sandbox", core_address=core_address, redis_url=redis_url, delivery_workers=0, **limits
    )
    app = create_app(settings, client := HubClient(core_address))
    async with client, loopback.serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10.0) as http:
        # Token checks are cached once the facade follows the core's changes; the tests below count on that.
        for _ in range(500):
            if app.state.auth_cache.watching:
                break
            await asyncio.sleep(0.01)
        yield http


async def burst(
    http: httpx.AsyncClient, headers: dict[str, str], count: int, path: str = LOCATIONS
) -> list[httpx.Response]:
    return list(await asyncio.gather(*(http.get(path, headers=headers) for _ in range(count))))


def statuses(answers: list[httpx.Response]) -> list[int]:
    return sorted(a.status_code for a in answers)


def assert_rate_limited(answer: httpx.Response, rate: int, module: str) -> int:
    """The 429 a limited party gets: Retry-After and an OCPI envelope saying which limit and how long to wait."""
    assert answer.status_code == 429
    retry_after = int(answer.headers["retry-after"])
    assert retry_after >= 1
    body = answer.json()
    assert body["status_code"] == 2000
    assert body["status_message"] == f"rate limit of {rate} req/s for {module} exceeded; retry after {retry_after} s"
    assert body["timestamp"].endswith("Z")
    return retry_after


async def test_a_party_over_its_limit_gets_429_with_retry_after_and_recovers(
    hub_http: Hub, network: Network, core_address: str, redis_url: str
) -> None:
    async with facade(core_address, redis_url, rate_limit_per_second=1, rate_limit_burst=3) as http:
        answers = await burst(http, network.emsp_headers(1), 6)
        assert statuses(answers) == [200, 200, 200, 429, 429, 429]
        retry_after = max(assert_rate_limited(a, 1, "locations") for a in answers if a.status_code == 429)
        assert retry_after == 1
        # Another module has its own bucket.
        assert (await http.get("/ocpi/2.2.1/hubclientinfo", headers=network.emsp_headers(1))).status_code == 200
        await asyncio.sleep(retry_after)
        recovered = await http.get(LOCATIONS, headers=network.emsp_headers(1))
        assert recovered.status_code == 200, recovered.json()
        assert recovered.json()["status_code"] == 1000


async def test_one_partys_burst_does_not_limit_or_slow_another(
    hub_http: Hub, network: Network, hub: HubClient, core_address: str, redis_url: str
) -> None:
    await hub.set_party_limits(
        pb.PartyLimits(party=types_pb2.PartyRef(country_code="VN", party_id="EM1"), rate_per_second=1, burst=2)
    )
    async with facade(core_address, redis_url, rate_limit_per_second=50, rate_limit_burst=100) as http:

        async def timed(which: int) -> tuple[int, float]:
            started = time.perf_counter()
            answer = await http.get(LOCATIONS, headers=network.emsp_headers(which))
            return answer.status_code, time.perf_counter() - started

        alone = await asyncio.gather(*(timed(2) for _ in range(20)))
        # EM1 bursts (and is refused) while EM2 sends as many requests, interleaved.
        together = await asyncio.gather(*(timed(which) for _ in range(20) for which in (1, 2)))
    em1 = [status for status, _ in together[0::2]]
    em2 = together[1::2]
    assert sorted(em1) == [200] * 2 + [429] * 18
    assert [status for status, _ in em2] == [200] * 20
    assert [status for status, _ in alone] == [200] * 20
    baseline = statistics.median(seconds for _, seconds in alone)
    assert statistics.median(seconds for _, seconds in em2) <= 3 * baseline + 0.05
    assert max(seconds for _, seconds in em2) < 2.0


async def test_a_per_party_override_set_with_hubctl_takes_effect(
    hub_http: Hub, network: Network, hubctl: Hubctl, core_address: str, redis_url: str
) -> None:
    async with facade(core_address, redis_url, rate_limit_per_second=50, rate_limit_burst=100) as http:
        assert statuses(await burst(http, network.emsp_headers(1), 4)) == [200] * 4
        result = await hubctl("party", "limits", "VN/EM1", "--module", "locations=1/2")
        assert result.code == 0, result.stderr
        assert "locations:" in result.stdout and "1 req/s, burst 2" in result.stdout
        answers = await burst(http, network.emsp_headers(1), 4)
        assert statuses(answers) == [200, 200, 429, 429]
        assert_rate_limited(next(a for a in answers if a.status_code == 429), 1, "locations")
        # Only EM1, only locations.
        assert statuses(await burst(http, network.emsp_headers(2), 4)) == [200] * 4
        assert statuses(await burst(http, network.emsp_headers(1), 4, "/ocpi/2.2.1/hubclientinfo")) == [200] * 4
        cleared = await hubctl("party", "limits", "VN/EM1", "--clear", "--json")
        assert cleared.json()["modules"] == {}
        assert statuses(await burst(http, network.emsp_headers(1), 4)) == [200] * 4


async def test_without_redis_requests_are_served_and_limited_in_the_facade(
    hub_http: Hub, network: Network, core_address: str, caplog: pytest.LogCaptureFixture
) -> None:
    closed = loopback.bind_loopback()
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: every Redis call is refused
    caplog.set_level(logging.WARNING, logger="facade.limits.token_bucket")
    async with facade(core_address, f"redis://127.0.0.1:{port}/0", rate_limit_per_second=1, rate_limit_burst=3) as http:
        answers = await burst(http, network.emsp_headers(1), 6)
        assert statuses(answers) == [200, 200, 200, 429, 429, 429]
        assert_rate_limited(next(a for a in answers if a.status_code == 429), 1, "locations")
        assert statuses(await burst(http, network.emsp_headers(2), 3)) == [200] * 3
    outage = [r for r in caplog.records if "Redis does not answer" in r.getMessage()]
    assert len(outage) == 1  # once per outage, not per request


async def test_an_ip_allow_list_refuses_other_addresses(
    hub_http: Hub, network: Network, hub: HubClient, core_address: str, redis_url: str
) -> None:
    em1 = types_pb2.PartyRef(country_code="VN", party_id="EM1")
    await hub.set_party_limits(pb.PartyLimits(party=em1, allowed_cidrs=["10.0.0.0/8"]))
    async with facade(core_address, redis_url) as http:
        refused = await http.get(LOCATIONS, headers=network.emsp_headers(1))
        assert refused.status_code == 403
        assert refused.json()["status_code"] == 2000
        assert "127.0.0.1" in refused.json()["status_message"]
        # Whatever the module, and with the raw token too: the allow-list is the token's.
        versions = await http.get("/ocpi/versions", headers=token_header(network.emsp1_token, encode=False))
        assert versions.status_code == 403
        assert (await http.get(LOCATIONS, headers=network.emsp_headers(2))).status_code == 200
        await hub.set_party_limits(pb.PartyLimits(party=em1, allowed_cidrs=["10.0.0.0/8", "127.0.0.0/8"]))
        served = await http.get(LOCATIONS, headers=network.emsp_headers(1))
        assert served.status_code == 200, served.json()


async def test_an_address_guessing_tokens_is_held_back_while_known_tokens_still_work(
    hub_http: Hub, network: Network, core_address: str, redis_url: str
) -> None:
    async with facade(core_address, redis_url, refused_tokens_per_minute=5) as http:
        known = network.emsp_headers(1)
        assert (await http.get(LOCATIONS, headers=known)).status_code == 200
        before = core_refusals()
        answers = [await http.get(LOCATIONS, headers=token_header(f"guess-{n}")) for n in range(8)]
        assert [a.status_code for a in answers] == [401] * 5 + [429] * 3
        held = answers[-1]
        assert held.json()["status_code"] == 2000
        assert "too many refused tokens" in held.json()["status_message"]
        assert 1 <= int(held.headers["retry-after"]) <= 12
        # The held-back guesses never reached the core (nor its audit log).
        assert core_refusals() - before == 5
        # The partner already checked is not held back with the guesser's address.
        assert (await http.get(LOCATIONS, headers=known)).status_code == 200


def core_refusals() -> float:
    return (
        REGISTRY.get_sample_value(
            "ocpihub_grpc_server_duration_seconds_count",
            {"method": "parties.v1.CredentialsService/AuthenticateToken", "code": "UNAUTHENTICATED"},
        )
        or 0
    )
