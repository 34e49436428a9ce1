"""Seed scenarios 5, 7, 9, 10: an eMSP app starts, stops and reserves through the Hub; the CPO's asynchronous results
come back through the Hub's own response_url to the eMSP's (HUB-DIGEST §3.6)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from core.clock import Clock
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network
from tests.simulators.party import PartySimulator, Received

COMMANDS = "/ocpi/2.2.1/receiver/commands"
APP_URL = "/ocpi/2.2.1/commands/callbacks"  # where the eMSP simulator wants its results


@pytest.fixture
async def located(hub_http: Hub, network: Network) -> Network:
    """The CPO's location LOC1 (EVSEs LOC1-E1 and LOC1-E2, connector 1 each) is at the Hub."""
    answer = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1", json=samples.location(), headers=network.cpo_headers()
    )
    assert answer.json()["status_code"] == 1000
    return network


def start_session(network: Network, ref: str = "app-1", **fields: Any) -> dict[str, Any]:
    return {
        "response_url": f"{network.emsp1.base_url}{APP_URL}/{ref}",
        "token": samples.token(),
        "location_id": "LOC1",
        "evse_uid": "LOC1-E1",
        "connector_id": "1",
        **fields,
    }


def relayed(cpo: PartySimulator, command: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in cpo.received if r.path == f"/ocpi/2.2.1/commands/{command}"]


def results_at(emsp: PartySimulator, ref: str) -> list[Received]:
    return emsp.requests_to(f"{APP_URL}/{ref}")


async def post_result(hub_http: Hub, network: Network, url: str, result: dict[str, Any]) -> httpx.Response:
    return await hub_http.http.post(url, json=result, headers=network.cpo_headers(to=("VN", "EM1")))


async def test_start_session_result_and_session_reach_the_emsp(
    hub_http: Hub, located: Network, delivering: None
) -> None:
    network = located
    body = start_session(network)
    answer = await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=body, headers=network.emsp_headers())

    # The CPO's CommandResponse comes back unchanged, from the CPO.
    assert answer.json()["status_code"] == 1000
    assert answer.json()["data"] == {"result": "ACCEPTED", "timeout": 30}
    assert (answer.headers["ocpi-from-party-id"], answer.headers["ocpi-to-party-id"]) == ("CPA", "EM1")
    [sent] = relayed(network.cpo, "START_SESSION")
    [request] = network.cpo.requests_to("/ocpi/2.2.1/commands/START_SESSION")
    assert (request.headers["ocpi-from-party-id"], request.headers["ocpi-to-party-id"]) == ("EM1", "CPA")
    # Everything but the response_url goes to the CPO as the eMSP sent it; the response_url is the Hub's.
    assert {k: v for k, v in sent.items() if k != "response_url"} == {
        k: v for k, v in body.items() if k != "response_url"
    }
    assert sent["response_url"].startswith(f"{hub_http.url}/ocpi/2.2.1/sender/commands/START_SESSION/")
    assert network.emsp1.base_url not in sent["response_url"]

    result = {"result": "ACCEPTED", "message": [{"language": "vi", "text": "Đã bắt đầu sạc"}]}
    posted = await post_result(hub_http, network, sent["response_url"], result)
    assert posted.json()["status_code"] == 1000
    await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "app-1")) == 1)
    [delivered] = results_at(network.emsp1, "app-1")
    assert delivered.method == "POST"
    assert json.loads(delivered.body) == result
    assert (delivered.headers["ocpi-from-party-id"], delivered.headers["ocpi-to-party-id"]) == ("CPA", "EM1")

    # The CPO starts charging and reports the session: it reaches the eMSP's app.
    put = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", json=samples.session(), headers=network.cpo_headers()
    )
    assert put.json()["status_code"] == 1000
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("sessions")) == 1)

    [command] = [c async for c in hub_http.core.list_commands(_list_request())]
    assert (command.target.party_id, command.requester.party_id, command.result) == ("CPA", "EM1", "ACCEPTED")
    assert command.response_url == body["response_url"]


def _list_request() -> Any:
    from ocpihub.commands.v1 import commands_service_pb2 as rpc

    return rpc.ListCommandsRequest()
