"""Requests per caller per second (seed §5.6.9: 100 req/s per API key at least). Counted in Redis when the Hub has
one, so every facade replica shares the count; else per replica."""

from __future__ import annotations

import logging
import time

import redis.asyncio as redis

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(self, per_second: int, cache: redis.Redis | None) -> None:
        self._per_second = per_second
        self._cache = cache
        self._local: dict[str, tuple[int, int]] = {}

    async def allow(self, key: str) -> bool:
        if self._per_second <= 0:
            return True
        second = int(time.time())
        if self._cache is not None:
            try:
                name = f"ocpihub:rate:{key}:{second}"
                async with self._cache.pipeline(transaction=False) as pipe:
                    pipe.incr(name)
                    pipe.expire(name, 2)
                    count, _ = await pipe.execute()
                return int(count) <= self._per_second
            except (redis.RedisError, OSError) as exc:
                # Redis only shares the count: without it each replica still limits on its own.
                log.warning("rate limit falls back to this replica's count: %s", exc)
        window, count = self._local.get(key, (second, 0))
        count = count + 1 if window == second else 1
        self._local[key] = (second, count)
        return count <= self._per_second
