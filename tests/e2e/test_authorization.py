"""The Authorization header as real peers send it, and the envelope on every refusal (checklist 1-12)."""

from __future__ import annotations

import base64
import re
from typing import Any

import asyncpg
import pytest

from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators.party import PartySimulator
from tests.e2e.conftest import Hub, token_header

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "missing"),
        ("Bearer {b64}", "malformed"),
        ("Token", "malformed"),
        ("Token{b64}", "malformed"),
        ("Token {b64} extra", "malformed"),
        ("Token bm90LWEtdG9rZW4=", "unknown"),
    ],
)
async def test_refused_headers_get_401_in_an_ocpi_envelope(
    hub_http: Hub, cpo: PartySimulator, header: str | None, why: str
) -> None:
    token_a = await hub_http.invite(cpo)
    b64 = base64.b64encode(token_a.encode()).decode()
    headers = {"Authorization": header.format(b64=b64)} if header else {}
    response = await hub_http.http.get("/ocpi/versions", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == 2000
    assert TIMESTAMP.match(body["timestamp"])
    assert why in body["status_message"].lower()


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: base64.b64encode(t.encode()).decode(),  # OCPI 2.2.1
        lambda t: t,  # 2.1.1 / 2.2 peers
        lambda t: base64.b64encode((t + "\n").encode()).decode(),  # `echo token | base64`, as the spec's examples
    ],
    ids=["base64", "raw", "base64-with-newline"],
)
async def test_accepted_header_forms(hub_http: Hub, cpo: PartySimulator, encode: object) -> None:
    token_a = await hub_http.invite(cpo)
    response = await hub_http.http.get("/ocpi/versions", headers={"Authorization": f"Token {encode(token_a)}"})  # type: ignore[operator]
    assert response.status_code == 200
    assert response.json()["status_code"] == 1000


async def test_request_and_correlation_ids_are_echoed_or_made(hub_http: Hub, cpo: PartySimulator) -> None:
    token_a = await hub_http.invite(cpo)
    given = await hub_http.http.get(
        "/ocpi/2.2.1", headers={**token_header(token_a), "X-Request-ID": "r-42", "X-Correlation-ID": "c-42"}
    )
    assert (given.headers["x-request-id"], given.headers["x-correlation-id"]) == ("r-42", "c-42")
    refused = await hub_http.http.get("/ocpi/versions", headers={"X-Request-ID": "r-43", "X-Correlation-ID": "c-43"})
    assert (refused.headers["x-request-id"], refused.headers["x-correlation-id"]) == ("r-43", "c-43")
    made = await hub_http.http.get("/ocpi/versions", headers=token_header(token_a))
    assert made.headers["x-request-id"] and made.headers["x-correlation-id"]


async def test_expired_token_a_is_401(hub_http: Hub, cpo: PartySimulator, db: asyncpg.Pool) -> None:
    token_a = await hub_http.invite(cpo)
    await db.execute("UPDATE hub_tokens SET expire_time = now() - interval '1 second'")
    response = await hub_http.http.get("/ocpi/versions", headers=token_header(token_a))
    assert response.status_code == 401
    assert "expired" in response.json()["status_message"]
    post = await hub_http.http.post(hub_http.credentials_url, json=cpo.credentials(), headers=token_header(token_a))
    assert post.status_code == 401
    assert cpo.received == []


async def test_a_suspended_party_is_refused_until_reinstated(hub_http: Hub, cpo: PartySimulator) -> None:
    token_c = await hub_http.register(cpo)
    await hub_http.core.suspend_party("parties/VN/ABC/CPO")
    refused = await hub_http.http.get("/ocpi/versions", headers=token_header(token_c))
    assert refused.status_code == 401
    assert "suspended" in refused.json()["status_message"]
    await hub_http.core.reinstate_party("parties/VN/ABC/CPO")
    assert (await hub_http.http.get("/ocpi/versions", headers=token_header(token_c))).status_code == 200


async def test_version_details_list_only_what_the_hub_implements(hub_http: Hub, cpo: PartySimulator) -> None:
    token_c = await hub_http.register(cpo)
    details = (await hub_http.http.get("/ocpi/2.2.1", headers=token_header(token_c))).json()["data"]
    assert details["version"] == "2.2.1"
    advertised = {(e["identifier"], e["role"]) for e in details["endpoints"]}
    assert advertised == {
        ("cdrs", "SENDER"),
        ("cdrs", "RECEIVER"),
        ("chargingprofiles", "SENDER"),
        ("chargingprofiles", "RECEIVER"),
        ("commands", "SENDER"),
        ("commands", "RECEIVER"),
        ("credentials", "SENDER"),
        ("hubclientinfo", "SENDER"),
        ("locations", "SENDER"),
        ("locations", "RECEIVER"),
        ("sessions", "SENDER"),
        ("sessions", "RECEIVER"),
        ("tariffs", "SENDER"),
        ("tariffs", "RECEIVER"),
        ("tokens", "SENDER"),
        ("tokens", "RECEIVER"),
    }
    for endpoint in details["endpoints"]:
        assert set(endpoint) == {"identifier", "role", "url"}
        assert endpoint["url"].startswith(f"{hub_http.url}/ocpi/2.2.1/")
        if endpoint["role"] == "SENDER":
            # Every advertised pull endpoint answers the registered party; commands and charging profiles have no
            # pull: their Sender interface takes only the results POSTed to the response_urls the Hub hands out.
            route = endpoint["url"].removeprefix(hub_http.url)
            answer = await hub_http.http.get(route, headers=token_header(token_c))
            pull = endpoint["identifier"] not in ("commands", "chargingprofiles")
            if pull:
                assert answer.status_code == 200, route
            else:
                assert (answer.status_code, answer.json()["status_code"]) == (404, 2000), route


async def test_token_a_opens_only_versions_and_credentials(hub_http: Hub, start_party: Any) -> None:
    newcomer = await start_party(party_id="NEW")
    token_a = await hub_http.invite(newcomer)
    for path in (
        "/ocpi/2.2.1/sender/locations",
        "/ocpi/2.2.1/sender/tariffs",
        "/ocpi/2.2.1/receiver/locations/VN/NEW/L1",
    ):
        response = await hub_http.http.get(path, headers=token_header(token_a))
        assert response.status_code == 401, path
        assert "TOKEN_A" in response.json()["status_message"]
    assert (await hub_http.http.get(hub_http.credentials_url, headers=token_header(token_a))).status_code == 200


async def test_unknown_ocpi_path_is_404_in_an_envelope(hub_http: Hub, cpo: PartySimulator) -> None:
    token_a = await hub_http.invite(cpo)
    response = await hub_http.http.get("/ocpi/2.2.1/nothing-here", headers=token_header(token_a))
    assert response.status_code == 404
    assert response.json()["status_code"] == 2000


async def test_invite_via_core_then_token_scope(hub_http: Hub) -> None:
    invite = await hub_http.core.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="EM1", role=2, display_name="EM One")
    )
    assert (await hub_http.http.get("/ocpi/versions", headers=token_header(invite.token_a))).status_code == 200
