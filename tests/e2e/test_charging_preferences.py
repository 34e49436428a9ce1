"""Sessions' charging_preferences (issue 16, point 8): an eMSP PUTs a driver's ChargingPreferences to the Hub's
Sessions Sender interface; the Hub sends them to the CPO of the session and relays its ChargingPreferencesResponse
(mod_sessions: PUT {sessions}/{session_id}/charging_preferences on the CPO's Sender interface)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest

from simulators.party import PartySimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, token_header

PREFERENCES = "/ocpi/2.2.1/sender/sessions/{}/charging_preferences"
AT_CPO = "/ocpi/2.2.1/sessions/{}/charging_preferences"
BODY = b'{"profile_type": "FAST", "departure_time": "2026-11-01T10:00:00Z", "energy_need": 12.50}'


@pytest.fixture
async def smart_cpo(
    hub_http: Hub, network: Network, start_party: Callable[..., Awaitable[PartySimulator]]
) -> PartySimulator:
    """VN/CPB, whose Sessions Sender interface takes charging preferences; its session S1 is EM1's, S2 is EM2's."""
    cpo = await start_party(party_id="CPB", name="CP Bravo")
    cpo.modules = [*cpo.modules, ("sessions", "SENDER")]
    cpo.answers = {"/ocpi/2.2.1/sessions/": "ACCEPTED"}
    token = await hub_http.register(cpo)
    headers = {**token_header(token), "OCPI-from-country-code": "VN", "OCPI-from-party-id": "CPB"}
    for session_id, emsp in (("S1", "EM1"), ("S2", "EM2")):
        session = samples.session(session_id, emsp=emsp) | {"party_id": "CPB"}
        put = await hub_http.http.put(
            f"/ocpi/2.2.1/receiver/sessions/VN/CPB/{session_id}", json=session, headers=headers
        )
        assert put.json()["status_code"] == 1000, put.json()
    cpo.received.clear()
    return cpo


async def test_preferences_go_to_the_sessions_cpo_and_its_answer_comes_back(
    hub_http: Hub, network: Network, smart_cpo: PartySimulator
) -> None:
    # No OCPI-to: the Hub finds the CPO from the session, as for STOP_SESSION.
    answer = await hub_http.http.put(PREFERENCES.format("S1"), content=BODY, headers=network.emsp_headers(to=None))

    assert (answer.status_code, answer.json()["status_code"], answer.json()["data"]) == (200, 1000, "ACCEPTED")
    assert (answer.headers["ocpi-from-party-id"], answer.headers["ocpi-to-party-id"]) == ("CPB", "EM1")
    [sent] = smart_cpo.received
    assert (sent.method, sent.path, sent.body) == ("PUT", AT_CPO.format("S1"), BODY)
    assert (sent.headers["ocpi-from-party-id"], sent.headers["ocpi-to-party-id"]) == ("EM1", "CPB")
    assert sent.headers["authorization"].removeprefix("Token ") != network.emsp1_token  # the CPO's own TOKEN_B


async def test_the_cpos_refusal_is_relayed_as_it_answered(
    hub_http: Hub, network: Network, smart_cpo: PartySimulator
) -> None:
    smart_cpo.answers = {"/ocpi/2.2.1/sessions/": "DEPARTURE_REQUIRED"}
    # OCPI-to naming the Hub (GET All style headers) also lets the Hub find the CPO.
    answer = await hub_http.http.put(
        PREFERENCES.format("S1"), json={"profile_type": "GREEN"}, headers=network.emsp_headers()
    )
    assert (answer.json()["status_code"], answer.json()["data"]) == (1000, "DEPARTURE_REQUIRED")


async def test_an_unknown_session_or_another_emsps_is_404_and_2001(
    hub_http: Hub, network: Network, smart_cpo: PartySimulator
) -> None:
    for session_id in ("S9", "S2"):  # S2 is EM2's session
        answer = await hub_http.http.put(PREFERENCES.format(session_id), content=BODY, headers=network.emsp_headers())
        assert (answer.status_code, answer.json()["status_code"]) == (404, 2001), answer.json()
        assert session_id in answer.json()["status_message"]
    assert smart_cpo.received == []


async def test_ocpi_to_naming_the_cpo_forwards_even_a_session_the_hub_never_saw(
    hub_http: Hub, network: Network, smart_cpo: PartySimulator
) -> None:
    answer = await hub_http.http.put(
        PREFERENCES.format("LIVE-7"), content=BODY, headers=network.emsp_headers(to=("VN", "CPB"))
    )
    assert (answer.json()["status_code"], answer.json()["data"]) == (1000, "ACCEPTED")
    assert [r.path for r in smart_cpo.received] == [AT_CPO.format("LIVE-7")]


async def test_invalid_preferences_are_2001_and_go_nowhere(
    hub_http: Hub, network: Network, smart_cpo: PartySimulator
) -> None:
    for body in ({"profile_type": "TURBO"}, {"energy_need": 10}, {"profile_type": "FAST", "departure_time": "soon"}):
        answer = await hub_http.http.put(
            PREFERENCES.format("S1"), content=json.dumps(body), headers=network.emsp_headers()
        )
        assert (answer.status_code, answer.json()["status_code"]) == (200, 2001), body
        assert "charging preferences" in answer.json()["status_message"]
    assert smart_cpo.received == []


async def test_a_cpo_without_a_sessions_sender_endpoint_is_4003(hub_http: Hub, network: Network) -> None:
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", json=samples.session(), headers=network.cpo_headers()
    )
    answer = await hub_http.http.put(PREFERENCES.format("S1"), content=BODY, headers=network.emsp_headers())
    assert (answer.status_code, answer.json()["status_code"]) == (200, 4003)
    assert "sessions SENDER" in answer.json()["status_message"]
