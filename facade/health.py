"""GET /health: plain JSON for load balancers and operators (facade up, core reachable, database reachable)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from hubclient import HubClient, HubError

# The core reports PostgreSQL under this health service name (core.server.DATABASE_HEALTH).
DATABASE_HEALTH = "postgresql"


@get("/health")
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    hub: HubClient = request.app.state.hub
    checks = {"facade": True, "core": False, "database": False}
    try:
        checks["core"] = await hub.health()
        checks["database"] = await hub.health(DATABASE_HEALTH)
    except HubError:
        pass
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "degraded", **checks}
    return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)
