"""hubctl commands start-session|stop-session|reserve-now|cancel-reservation|unlock-connector (R6.1): the Hub issues
commands itself, through the real core, a real facade (its worker claims and sends them) and a simulated CPO over
HTTP; the CPO's answer and result are recorded in the command log and shown by hubctl commands show."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network
from tests.e2e.test_commands import located, relayed

hubctl = test_hubctl.hubctl
__all__ = ["located"]  # the fixture


async def put(hub_http: Hub, url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    answer = await hub_http.http.put(url, json=body, headers=headers)
    assert answer.json()["status_code"] == 1000, answer.text


async def test_start_session_on_behalf_of_an_emsp_records_answer_and_result(
    hubctl: Hubctl, hub_http: Hub, located: Network, db: asyncpg.Pool
) -> None:
    network = located
    await put(hub_http, "/ocpi/2.2.1/receiver/tokens/VN/EM1/RFID-0001", samples.token(), network.emsp_headers())
    issued = await hubctl(
        "commands", "start-session", "--on-behalf-of", "VN/EM1", "--token", "RFID-0001",
        "--location", "VN/CPA/LOC1", "--evse", "LOC1-E1", "--connector", "1", "--json",
    )  # fmt: skip
    command = issued.json()
    # The CPO's synchronous answer, recorded: hubctl waited for it.
    assert (command["state"], command["response"], command["requester"]) == ("accepted", "ACCEPTED", "VN/EM1")
    assert command["answer"]["status"] == 200 and command["answer"]["body"]["data"] == {
        "result": "ACCEPTED",
        "timeout": 30,
    }
    assert command["issued_by"]
    [sent] = relayed(network.cpo, "START_SESSION")
    [request] = network.cpo.requests_to("/ocpi/2.2.1/commands/START_SESSION")
    assert (request.headers["ocpi-from-party-id"], request.headers["ocpi-to-party-id"]) == ("EM1", "CPA")
    assert sent["token"]["uid"] == "RFID-0001" and sent["token"]["contract_id"] == "VN-EM1-C1"
    assert (sent["location_id"], sent["evse_uid"], sent["connector_id"]) == ("LOC1", "LOC1-E1", "1")
    assert sent["response_url"].startswith(f"{hub_http.url}/ocpi/2.2.1/sender/commands/START_SESSION/")

    result = {"result": "ACCEPTED", "message": [{"language": "en", "text": "charging"}]}
    posted = await hub_http.http.post(sent["response_url"], json=result, headers=network.cpo_headers(to=("VN", "EM1")))
    assert posted.json()["status_code"] == 1000
    shown = (await hubctl("commands", "show", command["name"], "--json")).json()
    assert (shown["state"], shown["result"], shown["last_result"]) == ("completed", "ACCEPTED", result)
    # The eMSP gave no response_url for a command it did not send: the result is recorded, not relayed to it.
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE object_key = $1", command["name"]) == 0
    text = await hubctl("commands", "show", command["name"])
    assert "ACCEPTED" in text.stdout and "charging" in text.stdout


async def test_stop_session_by_the_hub_itself(hubctl: Hubctl, hub_http: Hub, located: Network) -> None:
    network = located
    await put(hub_http, "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", samples.session(), network.cpo_headers())
    network.cpo.command_response = {"result": "REJECTED", "timeout": 0}
    command = (await hubctl("commands", "stop-session", "--session", "S1", "--json")).json()
    assert (command["state"], command["response"], command["requester"]) == ("declined", "REJECTED", "VN/HUB")
    [sent] = relayed(network.cpo, "STOP_SESSION")
    assert sent["session_id"] == "S1"
    [request] = network.cpo.requests_to("/ocpi/2.2.1/commands/STOP_SESSION")
    assert (request.headers["ocpi-from-party-id"], request.headers["ocpi-to-party-id"]) == ("HUB", "CPA")


@pytest.mark.parametrize(
    ("args", "kind", "expected"),
    [
        (
            ["reserve-now", "--token", "RFID-0001", "--location", "VN/CPA/LOC1", "--evse", "LOC1-E2",
             "--reservation", "R1", "--expiry", "2099-01-01T10:00:00Z"],
            "RESERVE_NOW",
            {"reservation_id": "R1", "evse_uid": "LOC1-E2", "expiry_date": "2099-01-01T10:00:00.000Z"},
        ),
        (["cancel-reservation", "--reservation", "R1", "--cpo", "VN/CPA"], "CANCEL_RESERVATION",
         {"reservation_id": "R1"}),
        (
            ["unlock-connector", "--location", "VN/CPA/LOC1", "--evse", "LOC1-E1", "--connector", "1"],
            "UNLOCK_CONNECTOR",
            {"location_id": "LOC1", "evse_uid": "LOC1-E1", "connector_id": "1"},
        ),
    ],
)  # fmt: skip
async def test_reserve_cancel_and_unlock_reach_the_cpo(
    hubctl: Hubctl, hub_http: Hub, located: Network, args: list[str], kind: str, expected: dict[str, str]
) -> None:
    network = located
    await put(hub_http, "/ocpi/2.2.1/receiver/tokens/VN/EM1/RFID-0001", samples.token(), network.emsp_headers())
    command = (await hubctl("commands", *args, "--json")).json()
    assert (command["state"], command["response"], command["type"]) == ("accepted", "ACCEPTED", kind)
    [sent] = relayed(network.cpo, kind)
    assert {k: sent[k] for k in expected} == expected
    if kind == "RESERVE_NOW":
        assert sent["token"]["uid"] == "RFID-0001"
    listed = await hubctl("commands", "list", "--type", kind, "--json")
    assert [c["name"] for c in listed.json()["commands"]] == [command["name"]]


async def test_refusals_name_what_is_wrong(hubctl: Hubctl, hub_http: Hub, located: Network) -> None:
    unknown = await hubctl("commands", "start-session", "--token", "NOPE", "--location", "VN/CPA/LOC1")
    assert unknown.code == 1 and "NOPE" in unknown.stderr
    not_emsp = await hubctl("commands", "unlock-connector", "--on-behalf-of", "VN/CPA", "--location", "VN/CPA/LOC1",
                            "--evse", "LOC1-E1", "--connector", "1")  # fmt: skip
    assert not_emsp.code == 1 and "not an active eMSP" in not_emsp.stderr
    no_evse = await hubctl(
        "commands", "unlock-connector", "--location", "VN/CPA/LOC1", "--evse", "X", "--connector", "1"
    )
    assert no_evse.code == 1 and "no EVSE X" in no_evse.stderr
    assert json.loads((await hubctl("commands", "list", "--json")).stdout)["commands"] == []
