"""A simulated OCPI 2.2.1 platform (a CPO or eMSP) on a real HTTP server: versions, version details, credentials,
and module endpoints that take whatever the Hub pushes.

It records every request it receives, so tests assert on what the Hub really sent, and it can misbehave on
purpose (old versions, missing endpoints, raw tokens only, errors, 429, slowness).
"""

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Request, Response, route
from litestar.params import FromPath

EMSP_MODULES = [
    ("credentials", "SENDER"),
    ("locations", "RECEIVER"),
    ("tariffs", "RECEIVER"),
    ("sessions", "RECEIVER"),
    ("cdrs", "RECEIVER"),
    ("tokens", "SENDER"),
    ("commands", "SENDER"),
    ("chargingprofiles", "SENDER"),
]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    # time.monotonic() when it arrived.
    at: float = 0.0
    query: str = ""


@dataclass
class PartySimulator:
    country_code: str = "VN"
    party_id: str = "ABC"
    role: str = "CPO"
    name: str = "ABC Charging"
    token_b: str = field(default_factory=lambda: str(uuid.uuid4()))
    # False: like many 2.1.1/2.2 peers, accepts only the raw token in Authorization.
    accepts_base64: bool = True
    versions: list[str] = field(default_factory=lambda: ["2.1.1", "2.2.1"])
    modules: list[tuple[str, str]] = field(
        default_factory=lambda: [
            ("credentials", "SENDER"),
            ("locations", "SENDER"),
            ("tariffs", "SENDER"),
            ("tokens", "RECEIVER"),
            ("commands", "RECEIVER"),
            ("chargingprofiles", "RECEIVER"),
        ]
    )
    base_url: str = ""
    received: list[Received] = field(default_factory=list)
    # Module requests: answer with this HTTP status instead of 200/1000 (e.g. 503 while "down").
    fail_with: int | None = None
    # With fail_with=429: the Retry-After value to send.
    retry_after: str | None = None
    # Every request, versions included, answered HTTP 503: the platform is down (still-alive checks fail).
    down: bool = False
    # Module requests: wait this long before answering.
    delay: float = 0.0
    # Module requests: the OCPI status_code of the (HTTP 200) answer, e.g. 2001 to refuse an object.
    ocpi_status: int = 1000
    # What an eMSP answers to real-time authorization (AuthorizationInfo).
    authorization: dict[str, Any] = field(
        default_factory=lambda: {"allowed": "ALLOWED", "authorization_reference": "EMSP-REF-1"}
    )
    # What a CPO answers to commands and charging profile requests (CommandResponse / ChargingProfileResponse).
    command_response: dict[str, Any] = field(default_factory=lambda: {"result": "ACCEPTED", "timeout": 30})
    # Module requests whose path starts with a key: answered with its value as `data` (e.g. a CPO's
    # ChargingPreferencesResponse under "/ocpi/2.2.1/sessions/").
    answers: dict[str, Any] = field(default_factory=dict)
    # The Hub's token, as the Hub last PUT it to this platform's credentials endpoint (the Hub rotating its own).
    hub_token: str = ""
    # Answer the Hub's credentials PUT with this new token of ours, and take only it from then on.
    new_token_on_put: str | None = None
    # Answer the Hub's credentials PUT with 405, as a platform that thinks it is not registered does.
    unregistered: bool = False

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

        def envelope(data: Any = None, status_code: int = 1000) -> dict[str, Any]:
            body = {"status_code": status_code, "timestamp": datetime.now(UTC).isoformat()[:23] + "Z"}
            if data is not None:
                body["data"] = data
            return body

        @route("/{path:path}", http_method=["GET", "POST", "PUT", "PATCH", "DELETE"], status_code=200)
        async def anything(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[dict[str, Any]]:
            sim.received.append(
                Received(
                    request.method,
                    path,
                    {k.lower(): v for k, v in request.headers.items()},
                    await request.body(),
                    time.monotonic(),
                    request.url.query,
                )
            )
            if sim.down:
                return Response(envelope(status_code=3000), status_code=503)
            if not sim._authorized(request.headers.get("authorization")):
                return Response(envelope(status_code=2000), status_code=401)
            if request.method == "GET" and path == "/ocpi/versions":
                return Response(envelope([{"version": v, "url": f"{sim.base_url}/ocpi/{v}"} for v in sim.versions]))
            if request.method == "GET" and path.removeprefix("/ocpi/") in sim.versions:
                version = path.removeprefix("/ocpi/")
                endpoints = [
                    {"identifier": m, "role": r, "url": f"{sim.base_url}/ocpi/{version}/{m}"} for m, r in sim.modules
                ]
                return Response(envelope({"version": version, "endpoints": endpoints}))
            if sim.delay:
                await asyncio.sleep(sim.delay)
            if sim.fail_with is not None:
                headers = {"Retry-After": sim.retry_after} if sim.retry_after else {}
                return Response(envelope(status_code=3000), status_code=sim.fail_with, headers=headers)
            for prefix, data in sim.answers.items():
                if path.startswith(prefix):
                    return Response(envelope(data, status_code=sim.ocpi_status))
            if request.method == "PUT" and path == "/ocpi/2.2.1/credentials":
                return sim._credentials_put(await request.body(), envelope)
            if path.endswith("/authorize"):
                return Response(envelope(sim.authorization, status_code=sim.ocpi_status))
            if path.startswith(("/ocpi/2.2.1/commands/", "/ocpi/2.2.1/chargingprofiles/")) and sim.role == "CPO":
                return Response(envelope(sim.command_response, status_code=sim.ocpi_status))
            if path.startswith("/ocpi/2.2.1/"):
                return Response(envelope(status_code=sim.ocpi_status))
            return Response(envelope(status_code=2000), status_code=404)

        return Litestar(route_handlers=[anything])

    def _credentials_put(self, body: bytes, envelope: Callable[..., dict[str, Any]]) -> Response[dict[str, Any]]:
        """The Hub rotates its credentials: keep its new token, answer with ours (a new one when asked to)."""
        if self.unregistered:
            return Response(envelope(status_code=2000), status_code=405)
        self.hub_token = json.loads(body)["token"]
        if self.new_token_on_put:
            self.token_b, self.new_token_on_put = self.new_token_on_put, None
        return Response(envelope(self.credentials()))

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def pushes(self, module: str) -> list[Received]:
        """Requests the Hub made to this party's `module` endpoint."""
        prefix = f"/ocpi/2.2.1/{module}/"
        return [r for r in self.received if r.path.startswith(prefix)]

    async def wait_for(self, condition: Callable[[], bool], within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.country_code}/{self.party_id} did not get what was expected in {within}s")
            await asyncio.sleep(0.02)
