"""The e2e Hub (real facade on loopback, real core) and what every fuzzed answer must satisfy."""

from __future__ import annotations

import json
import re
from typing import Any

import asyncpg
import httpx
import pytest

from ocpihub.parties.v1 import parties_service_pb2 as rpc
from tests.e2e import conftest as e2e
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network
from tests.fuzz.strategies import FuzzRequest

# The e2e fixtures: a Hub on loopback and a registered network (CPO VN/CPA, eMSPs VN/EM1 and VN/EM2).
hub_server, hub_http, start_party, network = e2e.hub_server, e2e.hub_http, e2e.start_party, e2e.network

# What a rejected request must leave untouched. Compared by content: a refused PATCH must not change a row either.
# Parties, platforms and the Hub's own tokens (TOKEN_A/TOKEN_C) too: a refused credentials request must not register,
# rotate or unregister anything. Left out: when the Hub last heard from a platform, which any request it answers moves.
STORED_TABLES = {
    **dict.fromkeys(("locations", "tariffs", "sessions", "cdrs", "tokens", "commands", "deliveries", "qr_codes"), ()),
    "parties": (),
    "platforms": ("last_heard_time", "next_alive_check_time"),
    "hub_tokens": (),
}


def _digest(table: str, ignored: tuple[str, ...]) -> str:
    row = "to_jsonb(t)" + "".join(f" - '{column}'" for column in ignored)
    return (
        f"(SELECT count(*) || ':' || md5(coalesce(string_agg(r, '|' ORDER BY r), ''))"
        f" FROM (SELECT ({row})::text AS r FROM {table} t) AS rows) AS {table}"
    )


_DIGEST = "SELECT " + ", ".join(_digest(table, ignored) for table, ignored in STORED_TABLES.items())
# Internals that must never reach a caller: tracebacks, source locations, dotted exception class names.
_LEAKS = re.compile(
    r"Traceback|File \"|<class '|\b(?:[a-z_][a-z0-9_]*\.)+[A-Z][A-Za-z0-9]*(?:Error|Exception|Exit|Interrupt)\b"
)


async def stored(db: asyncpg.Pool) -> dict[str, str]:
    row = await db.fetchrow(_DIGEST)
    return dict(row)


def ocpi_status(response: httpx.Response) -> Any:
    try:
        return response.json().get("status_code")
    except (ValueError, AttributeError):
        return None


def accepted(request: FuzzRequest, response: httpx.Response) -> bool:
    if response.status_code >= 400:
        return False
    if request.endpoint.template == "/api/v1/qr-resolve":
        return bool(response.json().get("status") == "success")
    return ocpi_status(response) == 1000


def check_answer(request: FuzzRequest, response: httpx.Response) -> None:
    """Never a 500, never internals, and the body each kind of endpoint promises."""
    assert response.status_code < 500, response.text[:2000]
    assert not _LEAKS.search(response.text), response.text[:2000]
    template = request.endpoint.template
    if template == "/charge":
        assert response.headers["content-type"].startswith("text/html"), response.headers
        assert response.text.startswith("<!doctype html>"), response.text[:200]
        return
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    if template.startswith("/ocpi"):
        assert isinstance(body.get("status_code"), int) and not isinstance(body["status_code"], bool), body
        assert isinstance(body.get("timestamp"), str), body
    elif template == "/api/v1/qr-resolve":
        assert body.get("status") in ("success", "error"), body
        if body["status"] == "error":
            assert isinstance(body.get("error_code"), str) and isinstance(body.get("message"), str), body


class Fuzzer:
    """Sends one fuzzed request to the Hub and checks the answer and what the Hub stored."""

    def __init__(self, hub: Hub, network: Network, db: asyncpg.Pool) -> None:
        self.hub, self.network, self.db = hub, network, db

    async def check(self, request: FuzzRequest) -> httpx.Response:
        writes = request.method != "GET"
        before = await stored(self.db) if writes else None
        response = await self.hub.http.request(
            request.method, request.url, headers=request.headers, content=request.body
        )
        check_answer(request, response)
        if before is not None and not accepted(request, response):
            assert await stored(self.db) == before, f"a refused request changed what the Hub stores: {response.text}"
        if request.endpoint.template.endswith("/credentials") and await self._em2_unregistered():
            await self._register_em2_again()
        return response

    async def _em2_unregistered(self) -> bool:
        state = await self.db.fetchval("SELECT state FROM parties WHERE country_code = 'VN' AND party_id = 'EM2'")
        return bool(state != "REGISTERED")

    async def _register_em2_again(self) -> None:
        """A fuzzed DELETE that was accepted unregistered EM2, the credentials family's caller: without this the rest
        of its examples would all be refused at the token, never reaching the body checks (nor the handshake)."""
        emsp2 = self.network.emsp2
        invite = await self.hub.core.rotate_invite(rpc.RotateInviteRequest(name="parties/VN/EM2/EMSP"))
        answer = await self.hub.http.post(
            self.hub.credentials_url, json=emsp2.credentials(), headers=e2e.token_header(invite.token_a)
        )
        assert answer.json()["status_code"] == 1000, answer.text
        self.network.emsp2_token = answer.json()["data"]["token"]


@pytest.fixture
async def fuzzer(hub_http: Hub, network: Network, db: asyncpg.Pool) -> Fuzzer:
    """The Hub holding one object of each kind, so fuzzed reads and PATCHes find something to break."""
    receiver = "/ocpi/2.2.1/receiver"
    for path, body, headers in [
        (f"{receiver}/tariffs/VN/CPA/TARIFF-AC", samples.time_based_tariff(), network.cpo_headers()),
        (f"{receiver}/locations/VN/CPA/LOC1", samples.location(), network.cpo_headers()),
        (f"{receiver}/tokens/VN/EM1/RFID-0001", samples.token(), network.emsp_headers()),
        (f"{receiver}/sessions/VN/CPA/S1", samples.session(), network.cpo_headers()),
    ]:
        answer = await hub_http.http.put(path, json=body, headers=headers)
        assert answer.json()["status_code"] == 1000, answer.text
    answer = await hub_http.http.post(f"{receiver}/cdrs", json=samples.cdr(), headers=network.cpo_headers())
    assert answer.json()["status_code"] == 1000, answer.text
    return Fuzzer(hub_http, network, db)
