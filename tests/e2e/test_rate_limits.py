"""Rate limits per party and module, and IP allow-lists (R10.1), through the real HTTP facade, core and Redis.

Each test runs its own facade with the limits it needs; buckets live in the session's Redis (or, when Redis does
not answer, in the facade), keyed by party and module.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

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
from simulators import loopback
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.e2e.conftest import Hub, Network, token_header
from tests.waiting import eventually

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
        await eventually(lambda: app.state.auth_cache.watching, "the facade never followed the core's changes")
        yield http


def statuses(answers: list[httpx.Response]) -> list[int]:
    return sorted(a.status_code for a in answers)


@dataclass
class Burst:
    answers: list[httpx.Response]
    seconds: float  # from the first request sent to the last answer

    @property
    def codes(self) -> list[int]:
        return statuses(self.answers)

    def assert_limited(self, rate: int, burst: int) -> None:
        """A full bucket of `burst` let through, then at most what `rate` refilled while the burst lasted (however
        slow the machine), and the rest refused."""
        ok = self.codes.count(200)
        assert set(self.codes) == {200, 429}, self.codes
        assert burst <= ok <= burst + rate * self.seconds, (self.codes, self.seconds)


async def burst(http: httpx.AsyncClient, headers: dict[str, str], count: int, path: str = LOCATIONS) -> Burst:
    started = time.monotonic()
    answers = list(await asyncio.gather(*(http.get(path, headers=headers) for _ in range(count))))
    return Burst(answers, time.monotonic() - started)


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
        sent = await burst(http, network.emsp_headers(1), 6)
        sent.assert_limited(rate=1, burst=3)
        retry_after = max(assert_rate_limited(a, 1, "locations") for a in sent.answers if a.status_code == 429)
        assert retry_after == 1
        # Another module has its own bucket.
        assert (await http.get("/ocpi/2.2.1/hubclientinfo", headers=network.emsp_headers(1))).status_code == 200
        await asyncio.sleep(retry_after)  # what a client is told to do: then a token is there (a lower bound)
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
        started = time.monotonic()
        together = await asyncio.gather(*(timed(which) for _ in range(20) for which in (1, 2)))
        seconds = time.monotonic() - started
    em1 = [status for status, _ in together[0::2]]
    em2 = together[1::2]
    assert set(em1) == {200, 429} and 2 <= em1.count(200) <= 2 + seconds, (em1, seconds)
    assert [status for status, _ in em2] == [200] * 20
    assert [status for status, _ in alone] == [200] * 20
    # Held behind EM1's bucket (1 req/s, 18 refused), EM2's requests would take many seconds; none waits for it.
    # (No ratio to the run alone: on a loaded machine either run may be the slow one.)
    assert max(seconds for _, seconds in em2) < 5.0


async def test_a_per_party_override_set_with_hubctl_takes_effect(
    hub_http: Hub, network: Network, hubctl: Hubctl, core_address: str, redis_url: str
) -> None:
    async with facade(core_address, redis_url, rate_limit_per_second=50, rate_limit_burst=100) as http:
        assert (await burst(http, network.emsp_headers(1), 4)).codes == [200] * 4
        result = await hubctl("party", "limits", "VN/EM1", "--module", "locations=1/2")
        assert result.code == 0, result.stderr
        assert "locations:" in result.stdout and "1 req/s, burst 2" in result.stdout
        sent = await burst(http, network.emsp_headers(1), 4)
        sent.assert_limited(rate=1, burst=2)
        assert_rate_limited(next(a for a in sent.answers if a.status_code == 429), 1, "locations")
        # Only EM1, only locations.
        assert (await burst(http, network.emsp_headers(2), 4)).codes == [200] * 4
        assert (await burst(http, network.emsp_headers(1), 4, "/ocpi/2.2.1/hubclientinfo")).codes == [200] * 4
        cleared = await hubctl("party", "limits", "VN/EM1", "--clear", "--json")
        assert cleared.json()["modules"] == {}
        assert (await burst(http, network.emsp_headers(1), 4)).codes == [200] * 4


async def test_without_redis_requests_are_served_and_limited_in_the_facade(
    hub_http: Hub, network: Network, core_address: str, caplog: pytest.LogCaptureFixture
) -> None:
    closed = loopback.bind_loopback()
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: every Redis call is refused
    caplog.set_level(logging.WARNING, logger="facade.limits.token_bucket")
    async with facade(core_address, f"redis://127.0.0.1:{port}/0", rate_limit_per_second=1, rate_limit_burst=3) as http:
        sent = await burst(http, network.emsp_headers(1), 6)
        sent.assert_limited(rate=1, burst=3)
        assert_rate_limited(next(a for a in sent.answers if a.status_code == 429), 1, "locations")
        assert (await burst(http, network.emsp_headers(2), 3)).codes == [200] * 3
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
