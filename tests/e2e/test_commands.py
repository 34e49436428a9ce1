"""Seed scenarios 5, 7, 9, 10: an eMSP app starts, stops and reserves through the Hub; the CPO's asynchronous results
come back through the Hub's own response_url to the eMSP's (HUB-DIGEST §3.6)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from core.clock import Clock
from core.server import CoreServer, create_server
from core.settings import Settings as CoreSettings
from facade.app import create_app
from facade.settings import Settings
from hubclient import HubClient
from ocpihub.commands.v1 import commands_pb2
from ocpihub.commands.v1 import commands_service_pb2 as rpc
from simulators import loopback
from simulators.party import PartySimulator, Received
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, token_header

COMMANDS = "/ocpi/2.2.1/receiver/commands"
APP_URL = "/ocpi/2.2.1/commands/callbacks"  # where the eMSP simulator wants its results
hubctl = test_hubctl.hubctl


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


async def queued_results(db: asyncpg.Pool, ref: str) -> int:
    """Results queued for the eMSP's response_url `ref`. Every result goes out through the outbox, in the transaction
    that decided it, so this counts what will ever reach the eMSP without waiting to see whether more arrives."""
    count: int = await db.fetchval("SELECT count(*) FROM deliveries WHERE url LIKE $1", f"%{APP_URL}/{ref}")
    return count


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

    [command] = [c async for c in hub_http.core.list_commands(rpc.ListCommandsRequest())]
    assert (command.target.party_id, command.requester.party_id, command.result) == ("CPA", "EM1", "ACCEPTED")
    assert command.response_url == body["response_url"]


async def only_command(hub_http: Hub) -> commands_pb2.Command:
    [command] = [c async for c in hub_http.core.list_commands(rpc.ListCommandsRequest())]
    return command


async def test_stop_session_is_routed_by_the_session_and_ends_with_a_cdr(
    hub_http: Hub, located: Network, delivering: None
) -> None:
    network = located
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", json=samples.session(), headers=network.cpo_headers()
    )
    stop = {"response_url": f"{network.emsp1.base_url}{APP_URL}/stop-1", "session_id": "S1"}
    # No OCPI-to: the Hub finds the CPO from the session (open routing).
    answer = await hub_http.http.post(f"{COMMANDS}/STOP_SESSION", json=stop, headers=network.emsp_headers(to=None))
    assert answer.json()["data"]["result"] == "ACCEPTED"
    [sent] = relayed(network.cpo, "STOP_SESSION")
    assert sent["session_id"] == "S1"
    await post_result(hub_http, network, sent["response_url"], {"result": "ACCEPTED"})
    await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "stop-1")) == 1)

    done = samples.session(
        status="COMPLETED", kwh=10, end_date_time="2026-11-01T09:00:00Z", last_updated="2026-11-01T09:00:05Z"
    )
    await hub_http.http.put("/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", json=done, headers=network.cpo_headers())
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC", json=samples.time_based_tariff(), headers=network.cpo_headers()
    )
    cdr = await hub_http.http.post("/ocpi/2.2.1/receiver/cdrs", json=samples.cdr(), headers=network.cpo_headers())
    assert cdr.json()["status_code"] == 1000, cdr.json()
    await network.emsp1.wait_for(lambda: any(r.path == "/ocpi/2.2.1/cdrs" for r in network.emsp1.received))
    assert (await only_command(hub_http)).state == commands_pb2.COMMAND_STATE_COMPLETED


async def test_two_starts_in_flight_each_get_their_own_result(
    hub_http: Hub, located: Network, delivering: None
) -> None:
    network = located
    network.cpo.delay = 0.3  # both commands are at the CPO at the same time
    answers = await asyncio.gather(
        hub_http.http.post(
            f"{COMMANDS}/START_SESSION", json=start_session(network, "left"), headers=network.emsp_headers()
        ),
        hub_http.http.post(
            f"{COMMANDS}/START_SESSION",
            json=start_session(network, "right", evse_uid="LOC1-E2"),
            headers=network.emsp_headers(),
        ),
    )
    assert [a.json()["data"]["result"] for a in answers] == ["ACCEPTED", "ACCEPTED"]
    network.cpo.delay = 0
    by_evse = {body["evse_uid"]: body["response_url"] for body in relayed(network.cpo, "START_SESSION")}
    assert len(set(by_evse.values())) == 2
    # Results come back in the other order, with different outcomes.
    await post_result(hub_http, network, by_evse["LOC1-E2"], {"result": "EVSE_OCCUPIED"})
    await post_result(hub_http, network, by_evse["LOC1-E1"], {"result": "ACCEPTED"})
    await network.emsp1.wait_for(
        lambda: len(results_at(network.emsp1, "left")) + len(results_at(network.emsp1, "right")) == 2
    )
    assert json.loads(results_at(network.emsp1, "left")[0].body)["result"] == "ACCEPTED"
    assert json.loads(results_at(network.emsp1, "right")[0].body)["result"] == "EVSE_OCCUPIED"


async def test_cpo_that_never_posts_a_result_gets_the_emsp_a_timeout(
    hub_http: Hub, located: Network, delivering: None, clock: Clock, core: tuple[CoreServer, int], db: asyncpg.Pool
) -> None:
    network = located
    answer = await hub_http.http.post(
        f"{COMMANDS}/START_SESSION", json=start_session(network, "slow"), headers=network.emsp_headers()
    )
    assert answer.json()["data"]["timeout"] == 30
    clock.advance(timedelta(seconds=29))
    await core[0].commands.sweep()  # a sweep one second before the deadline: not yet
    assert await queued_results(db, "slow") == 0
    clock.advance(timedelta(seconds=2))
    await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "slow")) == 1)
    [timeout] = results_at(network.emsp1, "slow")
    assert json.loads(timeout.body)["result"] == "TIMEOUT"
    assert (timeout.headers["ocpi-from-party-id"], timeout.headers["ocpi-to-party-id"]) == ("CPA", "EM1")
    assert (await only_command(hub_http)).state == commands_pb2.COMMAND_STATE_TIMED_OUT

    # The CPO's result after the TIMEOUT is acknowledged and kept out of the eMSP's way.
    [sent] = relayed(network.cpo, "START_SESSION")
    late = await post_result(hub_http, network, sent["response_url"], {"result": "ACCEPTED"})
    assert late.json()["status_code"] == 1000
    assert "not relayed" in late.json()["status_message"]
    assert await queued_results(db, "slow") == 1


async def test_cpo_rejection_is_relayed_unchanged_and_no_timeout_follows(
    hub_http: Hub, located: Network, delivering: None, clock: Clock, core: tuple[CoreServer, int], db: asyncpg.Pool
) -> None:
    network = located
    refusal = {"result": "REJECTED", "timeout": 0, "message": [{"language": "en", "text": "EVSE reserved"}]}
    network.cpo.command_response = refusal
    answer = await hub_http.http.post(
        f"{COMMANDS}/START_SESSION", json=start_session(network, "no"), headers=network.emsp_headers()
    )
    assert (answer.json()["status_code"], answer.json()["data"]) == (1000, refusal)
    clock.advance(timedelta(minutes=10))
    await core[0].commands.sweep()
    assert await queued_results(db, "no") == 0
    command = await only_command(hub_http)
    assert (command.state, command.response) == (commands_pb2.COMMAND_STATE_DECLINED, "REJECTED")


async def test_unknown_session_is_answered_by_the_hub_or_by_the_named_cpo(
    hub_http: Hub, located: Network, delivering: None
) -> None:
    network = located
    stop = {"response_url": f"{network.emsp1.base_url}{APP_URL}/stop-x", "session_id": "NOPE"}
    answer = await hub_http.http.post(f"{COMMANDS}/STOP_SESSION", json=stop, headers=network.emsp_headers())
    assert (answer.json()["status_code"], answer.json()["data"]["result"]) == (1000, "UNKNOWN_SESSION")
    assert relayed(network.cpo, "STOP_SESSION") == []

    # Named with OCPI-to, the CPO decides (it may know sessions it never reported).
    network.cpo.command_response = {"result": "UNKNOWN_SESSION", "timeout": 0}
    answer = await hub_http.http.post(
        f"{COMMANDS}/STOP_SESSION", json=stop, headers=network.emsp_headers(to=("VN", "CPA"))
    )
    assert answer.json()["data"]["result"] == "UNKNOWN_SESSION"
    assert len(relayed(network.cpo, "STOP_SESSION")) == 1


async def test_reservation_url_stays_valid_until_the_reservation_ends(
    hub_http: Hub, located: Network, delivering: None, clock: Clock, db: asyncpg.Pool
) -> None:
    network = located
    expiry = (clock.now() + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    reserve = {
        "response_url": f"{network.emsp1.base_url}{APP_URL}/rsv",
        "token": samples.token(),
        "expiry_date": expiry,
        "reservation_id": "RSV-1",
        "location_id": "LOC1",
        "evse_uid": "LOC1-E2",
    }
    answer = await hub_http.http.post(f"{COMMANDS}/RESERVE_NOW", json=reserve, headers=network.emsp_headers())
    assert answer.json()["data"]["result"] == "ACCEPTED"
    [sent] = relayed(network.cpo, "RESERVE_NOW")
    await post_result(hub_http, network, sent["response_url"], {"result": "ACCEPTED"})

    clock.advance(timedelta(minutes=10))
    canceled = await post_result(hub_http, network, sent["response_url"], {"result": "CANCELED_RESERVATION"})
    assert (canceled.json()["status_code"], canceled.json()["status_message"]) == (1000, "Success")
    await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "rsv")) == 2)
    assert [json.loads(r.body)["result"] for r in results_at(network.emsp1, "rsv")] == [
        "ACCEPTED",
        "CANCELED_RESERVATION",
    ]

    clock.advance(timedelta(minutes=6))  # the reservation has ended
    after = await post_result(hub_http, network, sent["response_url"], {"result": "FAILED"})
    assert "not relayed" in after.json()["status_message"]
    assert await queued_results(db, "rsv") == 2

    # CANCEL_RESERVATION finds the CPO from the reservation.
    cancel = {"response_url": f"{network.emsp1.base_url}{APP_URL}/cancel", "reservation_id": "rsv-1"}
    answer = await hub_http.http.post(f"{COMMANDS}/CANCEL_RESERVATION", json=cancel, headers=network.emsp_headers())
    assert answer.json()["data"]["result"] == "ACCEPTED"
    assert relayed(network.cpo, "CANCEL_RESERVATION")[0]["reservation_id"] == "rsv-1"


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        ({"location_id": "LOC9"}, 2003, "unknown location LOC9"),
        ({"evse_uid": "LOC1-E9"}, 2003, "no EVSE LOC1-E9"),
        ({"connector_id": "7"}, 2003, "no connector 7"),
        ({"token": samples.token(emsp="EM2")}, 2001, "belongs to VN/EM2"),
        ({"response_url": "http://10.0.0.1/steal"}, 2001, "response_url"),
    ],
)
async def test_commands_the_hub_refuses_never_reach_the_cpo(
    hub_http: Hub, located: Network, change: dict[str, Any], status: int, text: str
) -> None:
    network = located
    answer = await hub_http.http.post(
        f"{COMMANDS}/START_SESSION", json=start_session(network, **change), headers=network.emsp_headers()
    )
    assert answer.status_code == 200
    assert answer.json()["status_code"] == status
    assert text in answer.json()["status_message"]
    if status == 2003:
        assert answer.json()["data"]["result"] == "REJECTED"
    assert relayed(network.cpo, "START_SESSION") == []


async def test_bad_command_bodies_and_names(hub_http: Hub, located: Network) -> None:
    network = located
    missing = {k: v for k, v in start_session(network).items() if k != "token"}
    answer = await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=missing, headers=network.emsp_headers())
    assert (answer.json()["status_code"], "token" in answer.json()["status_message"]) == (2001, True)
    unknown = await hub_http.http.post(f"{COMMANDS}/SELF_DESTRUCT", json={}, headers=network.emsp_headers())
    assert (unknown.status_code, unknown.json()["status_code"]) == (404, 2000)
    broken = await hub_http.http.post(f"{COMMANDS}/STOP_SESSION", content=b"{", headers=network.emsp_headers())
    assert broken.status_code == 400


async def test_unreachable_cpo_gives_4003_and_a_slow_one_4002(
    hub_http: Hub, located: Network, db: asyncpg.Pool
) -> None:
    network = located
    network.cpo.delay = 3  # longer than the Hub's peer timeout (2 s in tests)
    slow = await hub_http.http.post(
        f"{COMMANDS}/START_SESSION", json=start_session(network), headers=network.emsp_headers()
    )
    assert slow.json()["status_code"] == 4002
    network.cpo.delay = 0
    await db.execute(
        "UPDATE platforms SET endpoints = replace(endpoints::text, $1, 'http://127.0.0.1:9')::jsonb",
        network.cpo.base_url,
    )
    down = await hub_http.http.post(
        f"{COMMANDS}/START_SESSION", json=start_session(network), headers=network.emsp_headers()
    )
    assert down.json()["status_code"] == 4003
    states = [c.state async for c in hub_http.core.list_commands(rpc.ListCommandsRequest())]
    assert states == [commands_pb2.COMMAND_STATE_UNREACHABLE] * 2


async def test_only_the_commands_cpo_may_post_its_result(hub_http: Hub, located: Network) -> None:
    network = located
    await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=start_session(network), headers=network.emsp_headers())
    [sent] = relayed(network.cpo, "START_SESSION")
    intruder = await hub_http.http.post(
        sent["response_url"], json={"result": "ACCEPTED"}, headers=token_header(network.emsp2_token)
    )
    assert (intruder.status_code, intruder.json()["status_code"]) == (404, 2000)
    guessed = await hub_http.http.post(
        sent["response_url"][:-4] + "0000", json={"result": "ACCEPTED"}, headers=network.cpo_headers()
    )
    assert guessed.status_code == 404
    bad = await hub_http.http.post(sent["response_url"], json={"result": "MAYBE"}, headers=network.cpo_headers())
    assert bad.json()["status_code"] == 2001


async def test_result_posted_to_another_facade_replica_is_delivered_once(
    hub_http: Hub, located: Network, delivering: None, core_address: str, redis_url: str, db: asyncpg.Pool
) -> None:
    """Two facades (each with its own delivery workers) share one core and database: correlation is not in memory."""
    network = located
    sock = loopback.bind_loopback()
    replica_url = loopback.url_of(sock)
    settings = Settings(
        environment="sandbox",
        core_address=core_address,
        public_url=hub_http.url,  # replicas sit behind one public address
        redis_url=redis_url,
        peer_timeout_seconds=2.0,
        delivery_workers=2,
    )
    async with HubClient(core_address) as client, loopback.serve(create_app(settings, client), sock):
        await hub_http.http.post(
            f"{COMMANDS}/START_SESSION", json=start_session(network, "twice"), headers=network.emsp_headers()
        )
        [sent] = relayed(network.cpo, "START_SESSION")
        on_replica = sent["response_url"].replace(hub_http.url, replica_url)
        posted = await post_result(hub_http, network, on_replica, {"result": "ACCEPTED"})
        assert posted.json()["status_code"] == 1000
        # The CPO retries the same POST on the first replica (it never saw the answer): still one delivery.
        again = await post_result(hub_http, network, sent["response_url"], {"result": "ACCEPTED"})
        assert again.json()["status_message"] == "already received: relayed once"
        await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "twice")) == 1)
    assert await queued_results(db, "twice") == 1


async def test_a_restarted_core_still_times_out_a_pending_command(
    hub_http: Hub, located: Network, delivering: None, core_settings: CoreSettings
) -> None:
    """The timeout lives in PostgreSQL: a core that starts later (a restart, another replica) sends the TIMEOUT."""
    network = located
    await hub_http.http.post(
        f"{COMMANDS}/START_SESSION", json=start_session(network, "restart"), headers=network.emsp_headers()
    )
    later = Clock()
    later.advance(timedelta(seconds=31))  # the new core starts after the CPO's 30 s have passed
    server, _ = await create_server(core_settings, clock=later)
    await server.start()
    try:
        await network.emsp1.wait_for(lambda: len(results_at(network.emsp1, "restart")) == 1)
    finally:
        await server.stop(grace=0.5)
    assert json.loads(results_at(network.emsp1, "restart")[0].body)["result"] == "TIMEOUT"


async def test_hubctl_shows_the_command_log(hub_http: Hub, located: Network, delivering: None, hubctl: Hubctl) -> None:
    network = located
    await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=start_session(network), headers=network.emsp_headers())
    network.cpo.command_response = {"result": "NOT_SUPPORTED", "timeout": 0}
    unlock = {
        "response_url": f"{network.emsp1.base_url}{APP_URL}/u",
        "location_id": "LOC1",
        "evse_uid": "LOC1-E2",
        "connector_id": "1",
    }
    await hub_http.http.post(f"{COMMANDS}/UNLOCK_CONNECTOR", json=unlock, headers=network.emsp_headers())
    [sent] = relayed(network.cpo, "START_SESSION")
    await post_result(hub_http, network, sent["response_url"], {"result": "ACCEPTED"})

    listed = await hubctl("commands", "list", "--party", "VN/EM1")
    assert listed.code == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "TYPE", "STATE", "FROM", "TO", "FOR", "RESPONSE", "RESULT", "CREATED"]
    # Newest first.
    assert lines[1].split()[1:8] == [
        "UNLOCK_CONNECTOR",
        "declined",
        "VN/EM1",
        "VN/CPA",
        "LOC1/LOC1-E2/1",
        "NOT_SUPPORTED",
        "-",
    ]
    assert lines[2].split()[1:8] == [
        "START_SESSION",
        "completed",
        "VN/EM1",
        "VN/CPA",
        "LOC1/LOC1-E1/1",
        "ACCEPTED",
        "ACCEPTED",
    ]

    completed = await hubctl("commands", "list", "--state", "completed", "--json")
    [entry] = json.loads(completed.stdout)["commands"]
    shown = await hubctl("commands", "show", entry["name"].removeprefix("commands/"), "--json")
    detail = json.loads(shown.stdout)
    assert (detail["type"], detail["response_timeout_seconds"], detail["result_count"]) == ("START_SESSION", 30, 1)
    assert detail["response_url"] == f"{network.emsp1.base_url}{APP_URL}/app-1"
    missing = await hubctl("commands", "show", "nope")
    assert missing.code == 1
    assert "no command nope" in missing.stderr


async def test_a_retried_command_is_answered_again_and_sent_once(
    hub_http: Hub, located: Network, db: asyncpg.Pool
) -> None:
    """R10.6: an eMSP that lost the answer and retries with the same X-Request-ID does not start a second session."""
    network = located
    headers = {**network.emsp_headers(), "X-Request-ID": "em1-start-0001"}
    first = await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=start_session(network), headers=headers)
    again = await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=start_session(network), headers=headers)
    assert (again.status_code, again.json()["data"]) == (first.status_code, first.json()["data"])
    assert again.headers["ocpi-from-party-id"] == "CPA"
    assert len(relayed(network.cpo, "START_SESSION")) == 1
    assert await db.fetchval("SELECT count(*) FROM commands") == 1

    # Another X-Request-ID is another command; so is the same id from another eMSP.
    other = {**network.emsp_headers(), "X-Request-ID": "em1-start-0002"}
    await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=start_session(network), headers=other)
    em2 = {**network.emsp_headers(2), "X-Request-ID": "em1-start-0001"}
    body = {**start_session(network), "token": samples.token(emsp="EM2")}
    await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=body, headers=em2)
    assert len(relayed(network.cpo, "START_SESSION")) == 3


async def test_a_command_the_cpo_did_not_answer_may_be_retried(hub_http: Hub, located: Network) -> None:
    network = located
    headers = {**network.emsp_headers(), "X-Request-ID": "em1-start-slow"}
    network.cpo.delay = 3  # longer than the Hub waits
    timed_out = await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=start_session(network), headers=headers)
    assert timed_out.json()["status_code"] == 4002
    network.cpo.delay = 0
    retried = await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=start_session(network), headers=headers)
    assert retried.json()["data"]["result"] == "ACCEPTED"
    assert len(relayed(network.cpo, "START_SESSION")) == 2
