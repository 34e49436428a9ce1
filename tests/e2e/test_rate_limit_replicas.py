"""Rate-limit buckets are shared by facade replicas through Redis: a party cannot get its limit once per replica by
spreading its requests over them (behind a load balancer it does so without even trying)."""

from __future__ import annotations

import math
import time
from contextlib import AsyncExitStack

import httpx

from tests.e2e.conftest import Hub, Network, token_header
from tests.e2e.test_rate_limits import LOCATIONS, assert_rate_limited, facade, fresh_buckets

__all__ = ["fresh_buckets"]  # the autouse fixture: every test here starts and ends with no buckets

RATE = 1
BURST = 10


async def two_replicas(
    stack: AsyncExitStack, core_address: str, redis_url: str, **limits: int
) -> list[httpx.AsyncClient]:
    return [await stack.enter_async_context(facade(core_address, redis_url, **limits)) for _ in range(2)]


async def test_a_partys_bucket_is_one_across_two_replicas(
    hub_http: Hub, network: Network, core_address: str, redis_url: str
) -> None:
    async with AsyncExitStack() as stack:
        first, second = await two_replicas(
            stack, core_address, redis_url, rate_limit_per_second=RATE, rate_limit_burst=BURST
        )
        headers = network.emsp_headers(1)
        start = time.monotonic()
        on_first = [await first.get(LOCATIONS, headers=headers) for _ in range(BURST)]
        on_second = [await second.get(LOCATIONS, headers=headers) for _ in range(BURST)]
        elapsed = time.monotonic() - start
        # The first replica had the whole (full) bucket.
        assert [a.status_code for a in on_first] == [200] * BURST
        # The second one draws on the same bucket: only what refilled meanwhile (RATE a second), not a bucket of its
        # own. (Per-replica buckets would have served all BURST here, unless the test took BURST seconds.)
        served = [a for a in on_second if a.status_code == 200]
        assert len(served) <= math.floor(elapsed * RATE), (len(served), elapsed)
        assert_rate_limited(next(a for a in on_second if a.status_code == 429), RATE, "locations")
        # Another party is not held back by it on either replica.
        for replica in (first, second):
            assert (await replica.get(LOCATIONS, headers=network.emsp_headers(2))).status_code == 200


async def test_refused_tokens_from_one_address_are_counted_across_replicas(
    hub_http: Hub, network: Network, core_address: str, redis_url: str
) -> None:
    """A guesser cannot double its guesses by alternating replicas: the refused-token bucket is shared too."""
    per_minute = 5
    async with AsyncExitStack() as stack:
        first, second = await two_replicas(stack, core_address, redis_url, refused_tokens_per_minute=per_minute)
        start = time.monotonic()
        guesses = [await first.get(LOCATIONS, headers=token_header(f"guess-{n}")) for n in range(per_minute)]
        assert [a.status_code for a in guesses] == [401] * per_minute
        held = await second.get(LOCATIONS, headers=token_header("guess-on-the-other-replica"))
        elapsed = time.monotonic() - start
        if elapsed < 60 / per_minute:  # no refused-token allowance has come back yet
            assert held.status_code == 429, held.json()
            assert "too many refused tokens" in held.json()["status_message"]
            assert held.json()["status_code"] == 2000
