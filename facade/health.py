"""GET /health (liveness) and GET /ready (readiness): plain JSON for load balancers, orchestrators and operators.

/health answers as long as the facade process serves HTTP and asks nothing of anyone: restart the facade when it
fails. /ready checks what a request needs (the core answers, the core reaches PostgreSQL): take the replica out of
rotation while it fails. Redis, when configured, is reported but does not make the Hub unready: it only holds what
may be lost.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as redis
from litestar import Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from hubclient import HubClient, HubError

# The core reports PostgreSQL under this health service name (core.server.DATABASE_HEALTH).
DATABASE_HEALTH = "postgresql"


async def _redis_answers(client: redis.Redis) -> bool:
    # Twice: the first ping may land on a pooled connection the server closed while it sat idle.
    for _ in range(2):
        try:
            async with asyncio.timeout(1.0):
                return bool(await client.ping())
        except (redis.RedisError, OSError, TimeoutError):
            continue
    return False


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready")
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    hub: HubClient = request.app.state.hub
    checks = {"facade": True, "core": False, "database": False}
    try:
        checks["core"] = await hub.health()
        checks["database"] = await hub.health(DATABASE_HEALTH)
    except HubError:
        pass
    healthy = all(checks.values())
    body: dict[str, Any] = {"status": "ready" if healthy else "unready", **checks}
    cache: redis.Redis | None = request.app.state.redis
    if cache is not None:
        body["redis"] = await _redis_answers(cache)
    return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)
