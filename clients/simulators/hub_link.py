"""A platform's OCPI 2.2.1 client side towards the Hub: the credentials handshake with TOKEN_A, then every call with
the Hub's TOKEN_C, base64 in Authorization and the routing headers OCPI 2.2.1 wants."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx


class HubRefused(Exception):
    """The Hub answered a call with an error (HTTP status or OCPI status_code outside 1xxx)."""


def authorization(token: str) -> str:
    return "Token " + base64.b64encode(token.encode()).decode()


@dataclass
class HubLink:
    http: httpx.AsyncClient
    versions_url: str
    country_code: str
    party_id: str
    # The Hub's token for this platform (TOKEN_C after the handshake) and the Hub's own party.
    token: str = ""
    hub_party: tuple[str, str] = ("", "")
    # OCPI module identifier -> (interface role -> URL), from the Hub's version details.
    endpoints: dict[str, dict[str, str]] = field(default_factory=dict)

    def headers(self, to: tuple[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Authorization": authorization(self.token),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        to = to or self.hub_party
        if to[0]:  # known once registered: the handshake's calls carry no routing headers
            headers |= {
                "OCPI-from-country-code": self.country_code,
                "OCPI-from-party-id": self.party_id,
                "OCPI-to-country-code": to[0],
                "OCPI-to-party-id": to[1],
            }
        return headers

    async def call(
        self, method: str, url: str, body: Any = None, *, to: tuple[str, str] | None = None, params: Any = None
    ) -> Any:
        """One OCPI call; returns the envelope's data."""
        response = await self.http.request(method, url, json=body, headers=self.headers(to), params=params)
        try:
            envelope = response.json()
        except ValueError:
            raise HubRefused(f"{method} {url}: HTTP {response.status_code}, not an OCPI envelope") from None
        status = envelope.get("status_code") if isinstance(envelope, dict) else None
        if response.status_code >= 400 or not isinstance(status, int) or not 1000 <= status < 2000:
            raise HubRefused(f"{method} {url}: HTTP {response.status_code}, {envelope}")
        return envelope.get("data")

    def url(self, module: str, role: str = "RECEIVER") -> str:
        try:
            return self.endpoints[module][role]
        except KeyError:
            raise HubRefused(f"the Hub lists no {module} {role} endpoint") from None

    async def register(self, token_a: str, credentials: dict[str, Any]) -> None:
        """The credentials handshake (mod_credentials): versions and details with TOKEN_A, then POST our credentials;
        the Hub calls our versions endpoint back with our token and answers with TOKEN_C."""
        self.token = token_a
        versions = await self.call("GET", self.versions_url)
        version = next((v for v in versions if v["version"] == "2.2.1"), None)
        if version is None:
            raise HubRefused(f"the Hub offers no OCPI 2.2.1 at {self.versions_url}")
        details = await self.call("GET", version["url"])
        self.endpoints = {}
        for endpoint in details["endpoints"]:
            self.endpoints.setdefault(endpoint["identifier"], {})[endpoint["role"]] = endpoint["url"]
        credentials_url = next(iter(self.endpoints["credentials"].values()))
        answer = await self.call("POST", credentials_url, credentials)
        self.token = answer["token"]
        hub = next(r for r in answer["roles"] if r["role"] == "HUB")
        self.hub_party = (hub["country_code"], hub["party_id"])
