"""A CPO built from the seed posts its CommandResult in the seed's words (issue 16, point 3): `"result": "SUCCESS"`
with a plain-text message. The eMSP gets the outcome in OCPI's words; the operator sees the translation counted in
`ocpihub_command_result_translations_total` and named in `hubctl commands`, to ask the CPO to fix it."""

from __future__ import annotations

import json

from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.e2e import samples, test_commands
from tests.e2e.conftest import Hub, Network
from tests.e2e.test_commands import APP_URL, COMMANDS, post_result, relayed, results_at, start_session
from tests.e2e.test_observability import delta, scrape

hubctl = test_hubctl.hubctl
located = test_commands.located

TRANSLATIONS = "ocpihub_command_result_translations_total"

# The seed's START_SESSION and STOP_SESSION results, verbatim (its §5.5 examples).
SEED_STARTED = b"""{
  "result": "SUCCESS",
  "message": "Charging session started successfully",
  "session_id": "SESSION-67890",
  "connector_id": "1",
  "timestamp": "2025-12-28T10:30:45Z"
}"""
SEED_STOPPED = b"""{
  "result": "SUCCESS",
  "message": "Charging session stopped successfully",
  "session_id": "SESSION-67890",
  "final_kwh": 25.8,
  "final_cost": 90300.00,
  "timestamp": "2025-12-28T11:45:22Z"
}"""
SEED_FAILED = b"""{
  "result": "FAILED",
  "message": "Connector is currently in use by another vehicle",
  "timestamp": "2025-12-28T10:30:45Z"
}"""


async def _start(hub_http: Hub, network: Network, ref: str) -> str:
    """An eMSP's START_SESSION through the Hub; the Hub's response_url the CPO got with it."""
    body = start_session(network, ref)
    answer = await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=body, headers=network.emsp_headers())
    assert answer.json()["status_code"] == 1000, answer.json()
    url: str = relayed(network.cpo, "START_SESSION")[-1]["response_url"]
    return url


async def _post_raw(hub_http: Hub, network: Network, url: str, body: bytes) -> int:
    headers = {**network.cpo_headers(to=("VN", "EM1")), "Content-Type": "application/json"}
    answer = await hub_http.http.post(url, content=body, headers=headers)
    status: int = answer.json()["status_code"]
    return status


async def test_the_seeds_success_reaches_the_emsp_as_accepted_and_is_counted_and_shown(
    hub_http: Hub, located: Network, delivering: None, hubctl: Hubctl
) -> None:
    network = located
    url = await _start(hub_http, network, "seed-1")
    before = await scrape(hub_http)

    assert await _post_raw(hub_http, network, url, SEED_STARTED) == 1000

    await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "seed-1")) == 1)
    [delivered] = results_at(network.emsp1, "seed-1")
    assert json.loads(delivered.body) == {
        "result": "ACCEPTED",
        "message": [{"language": "en", "text": "Charging session started successfully"}],
        "session_id": "SESSION-67890",
        "connector_id": "1",
        "timestamp": "2025-12-28T10:30:45Z",
    }
    after = await scrape(hub_http)
    assert delta(before, after, TRANSLATIONS, party="VN/CPA", **{"from": "SUCCESS"}) == 1

    listed = await hubctl("commands", "list", "--party", "VN/CPA")
    assert listed.code == 0, listed.stderr
    assert "ACCEPTED (CPO sent SUCCESS)" in listed.stdout
    [entry] = json.loads((await hubctl("commands", "list", "--json")).stdout)["commands"]
    assert (entry["result"], entry["result_sent_as"]) == ("ACCEPTED", "SUCCESS")
    shown = await hubctl("commands", "show", entry["name"])
    assert "SUCCESS" in shown.stdout


async def test_the_seeds_stop_result_keeps_its_numbers_digit_for_digit(
    hub_http: Hub, located: Network, delivering: None
) -> None:
    network = located
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", json=samples.session(), headers=network.cpo_headers()
    )
    stop = {"response_url": f"{network.emsp1.base_url}{APP_URL}/seed-stop", "session_id": "S1"}
    answer = await hub_http.http.post(f"{COMMANDS}/STOP_SESSION", json=stop, headers=network.emsp_headers())
    assert answer.json()["status_code"] == 1000, answer.json()
    [sent] = relayed(network.cpo, "STOP_SESSION")

    assert await _post_raw(hub_http, network, sent["response_url"], SEED_STOPPED) == 1000

    await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "seed-stop")) == 1)
    [delivered] = results_at(network.emsp1, "seed-stop")
    assert json.loads(delivered.body)["result"] == "ACCEPTED"
    assert b'"final_cost":90300.00' in delivered.body and b'"final_kwh":25.8' in delivered.body


async def test_the_seeds_failed_with_a_plain_message_reaches_the_emsp_as_ocpi(
    hub_http: Hub, located: Network, delivering: None
) -> None:
    network = located
    url = await _start(hub_http, network, "seed-failed")
    before = await scrape(hub_http)

    assert await _post_raw(hub_http, network, url, SEED_FAILED) == 1000

    await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "seed-failed")) == 1)
    [delivered] = results_at(network.emsp1, "seed-failed")
    assert json.loads(delivered.body) == {
        "result": "FAILED",
        "message": [{"language": "en", "text": "Connector is currently in use by another vehicle"}],
        "timestamp": "2025-12-28T10:30:45Z",
    }
    assert delta(before, await scrape(hub_http), TRANSLATIONS, party="VN/CPA", **{"from": "FAILED"}) == 1


async def test_ocpi_results_are_relayed_byte_for_byte_and_not_counted(
    hub_http: Hub, located: Network, delivering: None, hubctl: Hubctl
) -> None:
    network = located
    url = await _start(hub_http, network, "ocpi-1")
    before = await scrape(hub_http)
    body = b'{"result": "FAILED", "message": [{"language": "vi", "text": "C\xc3\xb3 xe \xc4\x91ang s\xe1\xba\xa1c"}]}'

    assert await _post_raw(hub_http, network, url, body) == 1000

    await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "ocpi-1")) == 1)
    assert results_at(network.emsp1, "ocpi-1")[0].body == body
    after = await scrape(hub_http)
    assert all(delta(before, after, TRANSLATIONS, party="VN/CPA", **{"from": w}) == 0 for w in ("SUCCESS", "FAILED"))
    [entry] = json.loads((await hubctl("commands", "list", "--json")).stdout)["commands"]
    assert (entry["result"], entry["result_sent_as"]) == ("FAILED", None)


async def test_words_of_neither_ocpi_nor_the_seed_are_still_refused(hub_http: Hub, located: Network) -> None:
    network = located
    url = await _start(hub_http, network, "bad-1")
    for body in (b'{"result": "DONE"}', b'{"result": "success"}', b'{"result": "ACCEPTED", "message": "ok"}'):
        posted = await post_result(hub_http, network, url, json.loads(body))
        assert (posted.status_code, posted.json()["status_code"]) == (200, 2001), body
        assert "command result" in posted.json()["status_message"]
    assert results_at(network.emsp1, "bad-1") == []
