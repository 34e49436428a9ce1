"""A simulated OCPI 2.2.1 platform (a CPO or eMSP) on a real HTTP server: versions, version details, credentials.

It records every request it receives, so tests assert on what the Hub really sent.
"""

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Request, Response, route
from litestar.params import FromPath


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PartySimulator:
    """Behaviour switches let tests break the simulator on purpose (old versions, missing endpoints, raw tokens)."""

    country_code: str = "VN"
    party_id: str = "ABC"
    role: str = "CPO"
    name: str = "ABC Charging"
    token_b: str = field(default_factory=lambda: str(uuid.uuid4()))
    # False: like many 2.1.1/2.2 peers, accepts only the raw token in Authorization.
    accepts_base64: bool = True
    versions: list[str] = field(default_factory=lambda: ["2.1.1", "2.2.1"])
    modules: list[tuple[str, str]] = field(
        default_factory=lambda: [("credentials", "SENDER"), ("locations", "SENDER"), ("tariffs", "SENDER")]
    )
    base_url: str = ""
    received: list[Received] = field(default_factory=list)

    def credentials(
        self, *, url: str | None = None, token: str | None = None, roles: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The credentials body this platform POSTs/PUTs to the Hub."""
        return {
            "token": token or self.token_b,
            "url": url or f"{self.base_url}/ocpi/versions",
            "roles": roles
            or [
                {
                    "role": self.role,
                    "business_details": {"name": self.name},
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                }
            ],
        }

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Token "):
            return False
        value = header.removeprefix("Token ")
        if value == self.token_b:
            return True
        return self.accepts_base64 and value == base64.b64encode(self.token_b.encode()).decode()

    def app(self) -> Litestar:
        sim = self

        def envelope(data: Any) -> dict[str, Any]:
            return {"data": data, "status_code": 1000, "timestamp": datetime.now(UTC).isoformat()[:23] + "Z"}

        def unauthorized() -> Response[dict[str, Any]]:
            return Response(
                {"status_code": 2000, "status_message": "Unauthorized", "timestamp": datetime.now(UTC).isoformat()},
                status_code=401,
            )

        @route("/{path:path}", http_method=["GET", "POST", "PUT", "PATCH", "DELETE"], status_code=200)
        async def anything(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[dict[str, Any]]:
            sim.received.append(
                Received(request.method, path, {k.lower(): v for k, v in request.headers.items()}, await request.body())
            )
            if not sim._authorized(request.headers.get("authorization")):
                return unauthorized()
            if request.method == "GET" and path == "/ocpi/versions":
                return Response(envelope([{"version": v, "url": f"{sim.base_url}/ocpi/{v}"} for v in sim.versions]))
            if request.method == "GET" and path.startswith("/ocpi/") and path.removeprefix("/ocpi/") in sim.versions:
                version = path.removeprefix("/ocpi/")
                endpoints = [
                    {"identifier": m, "role": r, "url": f"{sim.base_url}/ocpi/{version}/{m}"} for m, r in sim.modules
                ]
                return Response(envelope({"version": version, "endpoints": endpoints}))
            return Response({"status_code": 2000, "status_message": "not simulated", "timestamp": ""}, status_code=404)

        return Litestar(route_handlers=[anything])

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]
