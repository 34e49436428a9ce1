"""Token buckets: `rate` tokens a second refill a bucket of `burst`; a request takes one or is refused.

Buckets live in Redis when the Hub has one, so every facade replica draws on the same bucket: one atomic Lua script
per request (EVALSHA; EVAL when Redis lost its script cache), with Redis's own clock so replicas need not agree on
the time. Without Redis, or while it does not answer, each replica keeps its own buckets: a party may then get up to
its limit times the replicas, which is better than refusing everyone or nobody being limited.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as redis
from redis.exceptions import NoScriptError

log = logging.getLogger(__name__)

# KEYS[1] bucket; ARGV rate (tokens/s), burst, ttl (ms), cost (1 takes a token, 0 only looks). Returns {1 if there
# was a token else 0, ms until there is one}.
# A missing key is a full bucket, so the key may expire once a bucket would have refilled (the TTL).
_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'time')
local tokens = tonumber(state[1]) or burst
local last = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local taken = 0
local wait_ms = 0
if tokens >= 1 then
  tokens = tokens - tonumber(ARGV[4])
  taken = 1
else
  wait_ms = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'time', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {taken, wait_ms}
"""
_SHA = hashlib.sha1(_SCRIPT.encode()).hexdigest()  # noqa: S324 — the script's name in Redis, not a security hash
KEY_PREFIX = "ocpihub:ratelimit:"
# After Redis failed, requests do not wait on it again for this long (a hung Redis would slow every request).
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Limit:
    rate: float  # tokens per second
    burst: int  # bucket size

    @property
    def ttl_ms(self) -> int:
        """How long until an untouched bucket is full again (a missing bucket is full), plus a second."""
        return math.ceil(self.burst / self.rate * 1000) + 1000


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    # Seconds until a token is there (0 when allowed).
    wait: float

    @property
    def retry_after(self) -> int:
        """For the Retry-After header: whole seconds, rounded up, at least 1."""
        return max(1, math.ceil(self.wait))


class _LocalBuckets:
    """This replica's own buckets (key → tokens, time)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, limit: Limit, cost: int = 1) -> Decision:
        now = self._clock()
        tokens, last = self._buckets.get(key, (float(limit.burst), now))
        tokens = min(limit.burst, tokens + max(0.0, now - last) * limit.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - cost, now)
            return Decision(True, 0.0)
        self._buckets[key] = (tokens, now)
        return Decision(False, (1 - tokens) / limit.rate)


class TokenBuckets:
    def __init__(self, cache: redis.Redis | None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._cache = cache
        self._clock = clock
        self._local = _LocalBuckets(clock)
        self._redis_retry_at = 0.0
        self._redis_down = False

    async def take(self, key: str, limit: Limit, *, cost: int = 1) -> Decision:
        """Takes a token from bucket `key` (e.g. "VN/ABC:locations") if it has one; cost 0 only looks."""
        if self._cache is not None and self._clock() >= self._redis_retry_at:
            try:
                async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                    taken, wait_ms = await self._run_script(self._cache, KEY_PREFIX + key, limit, cost)
            except (redis.RedisError, OSError, TimeoutError) as exc:
                self._redis_failed(exc)
            else:
                if self._redis_down:
                    self._redis_down = False
                    log.warning("rate limits: Redis answers again; buckets are shared by every replica again")
                return Decision(bool(taken), int(wait_ms) / 1000)
        return self._local.take(key, limit, cost)

    async def _run_script(self, cache: redis.Redis, key: str, limit: Limit, cost: int) -> list[int]:
        args = (key, repr(limit.rate), limit.burst, limit.ttl_ms, cost)
        try:
            answer: list[int] = await cache.evalsha(_SHA, 1, *args)
        except NoScriptError:
            # Redis restarted or flushed its scripts: EVAL runs it and caches it for the next EVALSHA.
            answer = await cache.eval(_SCRIPT, 1, *args)
        return answer

    def _redis_failed(self, exc: BaseException) -> None:
        self._redis_retry_at = self._clock() + REDIS_RETRY_SECONDS
        if not self._redis_down:
            # Once per outage, not per request.
            self._redis_down = True
            log.warning("rate limits: Redis does not answer (%s); counting in this replica until it does", exc)
