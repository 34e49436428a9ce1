"""ChargingProfiles through the Hub: SET (PUT), GET and CLEAR (DELETE) with the Hub's response_url in the body or
the query string; results relayed to the requester's URL; the CPO's ActiveChargingProfile updates reach the setter."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from simulators.party import PartySimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

PROFILES = "/ocpi/2.2.1/receiver/chargingprofiles"
APP_URL = "/ocpi/2.2.1/chargingprofiles/callbacks"
PROFILE = {
    "charging_rate_unit": "W",
    "min_charging_rate": 1500.5,
    "charging_profile_period": [{"start_period": 0, "limit": 11000.0}, {"start_period": 1800, "limit": 7400.5}],
}


@pytest.fixture
async def charging(hub_http: Hub, network: Network) -> Network:
    """EM1's session S1 is ACTIVE at CPO VN/CPA."""
    answer = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", json=samples.session(), headers=network.cpo_headers()
    )
    assert answer.json()["status_code"] == 1000
    return network


def at_cpo(cpo: PartySimulator, method: str) -> list[Any]:
    return [r for r in cpo.received if r.path == "/ocpi/2.2.1/chargingprofiles/S1" and r.method == method]


async def deliver_result(hub_http: Hub, network: Network, hub_url: str, result: dict[str, Any], ref: str) -> bytes:
    posted = await hub_http.http.post(hub_url, json=result, headers=network.cpo_headers(to=("VN", "EM1")))
    assert posted.json()["status_code"] == 1000, posted.json()
    await network.emsp1.wait_for(lambda: len(network.emsp1.requests_to(f"{APP_URL}/{ref}")) == 1)
    [delivered] = network.emsp1.requests_to(f"{APP_URL}/{ref}")
    assert (delivered.headers["ocpi-from-party-id"], delivered.headers["ocpi-to-party-id"]) == ("CPA", "EM1")
    return delivered.body


async def test_set_get_and_clear_a_profile_round_trip(hub_http: Hub, charging: Network, delivering: None) -> None:
    network = charging
    base = network.emsp1.base_url
    body = {"charging_profile": PROFILE, "response_url": f"{base}{APP_URL}/set"}
    answer = await hub_http.http.put(f"{PROFILES}/S1", json=body, headers=network.emsp_headers(to=None))
    assert answer.json()["data"] == {"result": "ACCEPTED", "timeout": 30}
    [put] = at_cpo(network.cpo, "PUT")
    sent = json.loads(put.body)
    assert sent["charging_profile"] == PROFILE  # numbers exact, untouched
    assert sent["response_url"].startswith(f"{hub_http.url}/ocpi/2.2.1/sender/chargingprofiles/results/")
    assert json.loads(await deliver_result(hub_http, network, sent["response_url"], {"result": "ACCEPTED"}, "set")) == {
        "result": "ACCEPTED"
    }

    wanted = f"{base}{APP_URL}/get"
    answer = await hub_http.http.get(
        f"{PROFILES}/S1", params={"duration": "900", "response_url": wanted}, headers=network.emsp_headers(to=None)
    )
    assert answer.json()["data"]["result"] == "ACCEPTED"
    query = parse_qs(got_query(network.cpo))
    assert query["duration"] == ["900"]
    assert query["response_url"][0].startswith(f"{hub_http.url}/ocpi/2.2.1/sender/chargingprofiles/results/")
    active = {"result": "ACCEPTED", "profile": {"start_date_time": "2026-11-01T08:00:00Z", "charging_profile": PROFILE}}
    assert json.loads(await deliver_result(hub_http, network, query["response_url"][0], active, "get")) == active

    answer = await hub_http.http.delete(
        f"{PROFILES}/S1", params={"response_url": f"{base}{APP_URL}/clear"}, headers=network.emsp_headers(to=None)
    )
    assert answer.json()["data"]["result"] == "ACCEPTED"
    cleared_url = parse_qs(got_query(network.cpo, "DELETE"))["response_url"][0]
    assert json.loads(await deliver_result(hub_http, network, cleared_url, {"result": "ACCEPTED"}, "clear")) == {
        "result": "ACCEPTED"
    }


def got_query(cpo: PartySimulator, method: str = "GET") -> str:
    [request] = at_cpo(cpo, method)
    return request.query


async def test_cpo_profile_updates_go_to_the_party_that_set_one(
    hub_http: Hub, charging: Network, delivering: None
) -> None:
    network = charging
    body = {"charging_profile": PROFILE, "response_url": f"{network.emsp1.base_url}{APP_URL}/set"}
    await hub_http.http.put(f"{PROFILES}/S1", json=body, headers=network.emsp_headers(to=None))
    update = {"start_date_time": "2026-11-01T08:30:00Z", "charging_profile": PROFILE}
    answer = await hub_http.http.put(
        "/ocpi/2.2.1/sender/chargingprofiles/S1", json=update, headers=network.cpo_headers(to=None)
    )
    assert answer.json()["status_code"] == 1000, answer.json()
    [pushed] = network.emsp1.requests_to("/ocpi/2.2.1/chargingprofiles/S1")
    assert (pushed.method, json.loads(pushed.body)) == ("PUT", update)
    assert network.emsp2.requests_to("/ocpi/2.2.1/chargingprofiles/S1") == []


async def test_profile_requests_the_hub_refuses(hub_http: Hub, charging: Network) -> None:
    network = charging
    # EM2 has no session S1: the Hub answers for the CPO.
    body = {"charging_profile": PROFILE, "response_url": f"{network.emsp2.base_url}{APP_URL}/x"}
    answer = await hub_http.http.put(f"{PROFILES}/S1", json=body, headers=network.emsp_headers(2, to=None))
    assert (answer.json()["status_code"], answer.json()["data"]["result"]) == (1000, "UNKNOWN_SESSION")
    no_url = await hub_http.http.delete(f"{PROFILES}/S1", headers=network.emsp_headers(to=None))
    assert (no_url.json()["status_code"], "response_url" in no_url.json()["status_message"]) == (2001, True)
    no_duration = await hub_http.http.get(
        f"{PROFILES}/S1", params={"response_url": f"{network.emsp1.base_url}/x"}, headers=network.emsp_headers(to=None)
    )
    assert no_duration.json()["status_code"] == 2001
    bad_unit = {"charging_profile": {**PROFILE, "charging_rate_unit": "kW"}, "response_url": body["response_url"]}
    bad = await hub_http.http.put(f"{PROFILES}/S1", json=bad_unit, headers=network.emsp_headers(to=None))
    assert (bad.json()["status_code"], "charging_rate_unit" in bad.json()["status_message"]) == (2001, True)
    assert network.cpo.received == []


async def test_a_body_nested_too_deeply_is_http_400(hub_http: Hub, network: Network) -> None:
    # Found by tests/fuzz: was HTTP 500 (RecursionError while decoding).
    answer = await hub_http.http.put(
        f"{PROFILES}/S1", content=b"[" * 100_000 + b"]" * 100_000, headers=network.emsp_headers()
    )
    assert answer.status_code == 400
    assert answer.json()["status_code"] == 2000
    assert answer.json()["status_message"] == "request body is nested too deeply"
