"""The simulated eMSP the Hub runs itself in sandbox and staging (<HUB_COUNTRY_CODE>/SIM): a real OCPI 2.2.1 eMSP
that receives the CPOs' pushes (locations, tariffs, sessions, CDRs, HubClientInfo), owns test tokens, answers
real-time authorization for them, and sends commands to CPOs, collecting their results at its own response_url.

CPOs under test meet it like any eMSP: it registers with a TOKEN_A and is listed in HubClientInfo.
"""

from __future__ import annotations

import base64
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Request, Response, route
from litestar.params import FromPath

from simulators.cpo import envelope, not_found
from simulators.hub_link import HubLink

PARTY_ID = "SIM"
MODULES = [
    ("credentials", "SENDER"),
    ("locations", "RECEIVER"),
    ("tariffs", "RECEIVER"),
    ("sessions", "RECEIVER"),
    ("cdrs", "RECEIVER"),
    ("hubclientinfo", "RECEIVER"),
    ("tokens", "SENDER"),
    ("commands", "SENDER"),
]
# The test tokens: a card any CPO may accept from its whitelist, and one that must be authorized in real time,
# which this eMSP refuses (whitelist NEVER, answered BLOCKED).
ALLOWED_UID, BLOCKED_UID = "SIM-ALLOWED-1", "SIM-BLOCKED-1"


def test_tokens(country_code: str, last_updated: str) -> dict[str, dict[str, Any]]:
    def card(uid: str, contract: str, whitelist: str) -> dict[str, Any]:
        return {
            "country_code": country_code,
            "party_id": PARTY_ID,
            "uid": uid,
            "type": "RFID",
            "contract_id": f"{country_code}-{PARTY_ID}-{contract}",
            "issuer": "Hub simulated eMSP",
            "valid": True,
            "whitelist": whitelist,
            "language": "en",
            "last_updated": last_updated,
        }

    return {ALLOWED_UID: card(ALLOWED_UID, "C0001", "ALLOWED"), BLOCKED_UID: card(BLOCKED_UID, "C0002", "NEVER")}


@dataclass
class SimulatedEmsp:
    link: HubLink
    base_url: str = ""
    name: str = "Hub simulated eMSP"
    token_b: str = field(default_factory=lambda: str(uuid.uuid4()))
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What real-time authorization answers per token uid (mod_tokens AllowedType).
    allowed: dict[str, str] = field(default_factory=lambda: {ALLOWED_UID: "ALLOWED", BLOCKED_UID: "BLOCKED"})
    # Pushed objects by module, then by the path below the module (e.g. "VN/REF/REF-HN" or a CDR's id).
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Command results at our response_url, by the reference we gave the command.
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    hub_token: str = ""

    def __post_init__(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.tokens = test_tokens(self.link.country_code, stamp)

    def credentials(self) -> dict[str, Any]:
        return {
            "token": self.token_b,
            "url": f"{self.base_url}/ocpi/versions",
            "roles": [
                {
                    "role": "EMSP",
                    "business_details": {"name": self.name},
                    "party_id": self.link.party_id,
                    "country_code": self.link.country_code,
                }
            ],
        }

    async def start(self, token_a: str) -> None:
        """Registers with the Hub and pushes the test tokens (every CPO gets them)."""
        await self.link.register(token_a, self.credentials())
        for uid, token in self.tokens.items():
            url = f"{self.link.url('tokens')}/{self.link.country_code}/{self.link.party_id}/{uid}"
            await self.link.call("PUT", url, token, params={"type": token["type"]})

    async def command(self, kind: str, body: dict[str, Any], cpo: tuple[str, str]) -> tuple[str, dict[str, Any]]:
        """Sends a command to a CPO through the Hub; returns the reference its result will arrive under and the
        CPO's CommandResponse."""
        reference = uuid.uuid4().hex
        request = {**body, "response_url": f"{self.base_url}/ocpi/2.2.1/commands/{kind}/{reference}"}
        response = await self.link.call("POST", f"{self.link.url('commands')}/{kind}", request, to=cpo)
        return reference, response

    def token(self, uid: str) -> dict[str, Any]:
        return self.tokens[uid]

    # -- the OCPI server -----------------------------------------------------------------------------------------

    def _authorized(self, header: str | None) -> bool:
        value = (header or "").removeprefix("Token ")
        with contextlib.suppress(ValueError):
            value = base64.b64decode(value, validate=True).decode()
        return bool(value) and value == self.token_b

    def app(self) -> Litestar:
        emsp = self

        @route("/{path:path}", http_method=["GET", "POST", "PUT", "PATCH", "DELETE"], status_code=200)
        async def anything(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[dict[str, Any]]:
            if not emsp._authorized(request.headers.get("authorization")):
                return Response(envelope(status_code=2000, message="unknown token"), status_code=401)
            body = await request.json() if request.method in ("POST", "PUT", "PATCH") else None
            return emsp.handle(request.method, path.strip("/").split("/"), body)

        return Litestar(route_handlers=[anything])

    def handle(self, method: str, parts: list[str], body: Any) -> Response[dict[str, Any]]:
        if parts == ["ocpi", "versions"]:
            return Response(envelope([{"version": "2.2.1", "url": f"{self.base_url}/ocpi/2.2.1"}]))
        if parts[:2] != ["ocpi", "2.2.1"]:
            return not_found("no such endpoint")
        if len(parts) == 2:
            endpoints = [{"identifier": m, "role": r, "url": f"{self.base_url}/ocpi/2.2.1/{m}"} for m, r in MODULES]
            return Response(envelope({"version": "2.2.1", "endpoints": endpoints}))
        module, rest = parts[2], parts[3:]
        if module == "credentials":
            if method == "PUT":
                self.hub_token = body["token"]
            return Response(envelope(self.credentials() if method in ("GET", "PUT") else None))
        if module == "commands" and method == "POST" and len(rest) == 2:
            self.results[rest[1]] = body
            return Response(envelope())
        if module == "tokens":
            return self._tokens(method, rest)
        if module in ("locations", "tariffs", "sessions", "cdrs", "hubclientinfo"):
            return self._receive(module, method, rest, body)
        return not_found(f"no module {module}")

    def _tokens(self, method: str, rest: list[str]) -> Response[dict[str, Any]]:
        if method == "GET" and not rest:
            count = str(len(self.tokens))
            return Response(envelope(list(self.tokens.values())), headers={"X-Total-Count": count, "X-Limit": count})
        if method == "POST" and len(rest) == 2 and rest[1] == "authorize":
            token = self.tokens.get(rest[0])
            if token is None:
                return not_found("unknown token")
            return Response(envelope({"allowed": self.allowed.get(rest[0], "NOT_ALLOWED"), "token": token}))
        return not_found("no such tokens request")

    def _receive(self, module: str, method: str, rest: list[str], body: Any) -> Response[dict[str, Any]]:
        """Receiver interfaces: keep the latest state of every object pushed to us."""
        store = self.objects.setdefault(module, {})
        if method == "POST" and module == "cdrs":
            store[body["id"]] = body
            return Response(envelope(), headers={"Location": f"{self.base_url}/ocpi/2.2.1/cdrs/{body['id']}"})
        key = "/".join(rest)
        if method == "PUT":
            store[key] = body
        elif method == "PATCH":
            store.setdefault(key, {}).update(body)
        elif method == "GET":
            return Response(envelope(store[key])) if key in store else not_found(f"no {module} object {key}")
        return Response(envelope())
