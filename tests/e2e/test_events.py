"""The event stream tells what happened through the real facade: commands sent, answered and timed out, sessions
started and ended, tariffs, CDRs with their verification, suspensions, dead letters and their re-drive."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from core.clock import Clock
from hubclient import HubClient
from ocpihub.cdrs.v1 import cdrs_pb2 as cdrs_pb
from ocpihub.events.v1 import events_pb2 as pb
from ocpihub.events.v1 import events_service_pb2 as rpc
from tests.core.test_events import collect, kinds
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network
from tests.e2e.test_commands import COMMANDS, post_result, relayed, start_session
from tests.e2e.test_dead_letter_order import dead_first_version

LIFECYCLE = [
    pb.EVENT_KIND_COMMAND_SENT,
    pb.EVENT_KIND_COMMAND_ANSWERED,
    pb.EVENT_KIND_COMMAND_TIMED_OUT,
    pb.EVENT_KIND_SESSION_STARTED,
    pb.EVENT_KIND_SESSION_UPDATED,
    pb.EVENT_KIND_SESSION_ENDED,
    pb.EVENT_KIND_TARIFF_CHANGED,
    pb.EVENT_KIND_CDR_RECEIVED,
]


async def following(hub: HubClient, count: int, *only: pb.EventKind.ValueType) -> list[pb.Event]:
    return await collect(hub, lambda got: len(got) == count, rpc.StreamEventsRequest(kinds=list(only)))


async def test_a_charge_from_command_to_cdr_is_told_in_order(
    hub_http: Hub, network: Network, delivering: None, clock: Clock, db: asyncpg.Pool
) -> None:
    cpo = network.cpo_headers()
    await hub_http.http.put("/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1", json=samples.location(), headers=cpo)
    answer = await hub_http.http.post(
        f"{COMMANDS}/START_SESSION", json=start_session(network), headers=network.emsp_headers()
    )
    assert answer.json()["data"]["result"] == "ACCEPTED"
    [sent] = relayed(network.cpo, "START_SESSION")
    await post_result(hub_http, network, sent["response_url"], {"result": "ACCEPTED"})
    await hub_http.http.put("/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", json=samples.session(), headers=cpo)
    charging = samples.session(kwh=5, last_updated="2026-11-01T08:30:00Z")
    await hub_http.http.put("/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", json=charging, headers=cpo)
    done = samples.session(
        status="COMPLETED", kwh=10, end_date_time="2026-11-01T09:00:00Z", last_updated="2026-11-01T09:00:05Z"
    )
    await hub_http.http.put("/ocpi/2.2.1/receiver/sessions/VN/CPA/S1", json=done, headers=cpo)
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC", json=samples.time_based_tariff(), headers=cpo
    )
    cdr = await hub_http.http.post("/ocpi/2.2.1/receiver/cdrs", json=samples.cdr(), headers=cpo)
    assert cdr.json()["status_code"] == 1000, cdr.json()
    # A second start the CPO never answers: TIMEOUT once its 30 s are past on the core's clock.
    await hub_http.http.post(
        f"{COMMANDS}/START_SESSION", json=start_session(network, "slow"), headers=network.emsp_headers()
    )
    clock.advance(timedelta(seconds=31))

    events = await following(hub_http.core, 9, *LIFECYCLE)
    assert kinds(events) == [
        "COMMAND_SENT",
        "COMMAND_ANSWERED",
        "SESSION_STARTED",
        "SESSION_UPDATED",
        "SESSION_ENDED",
        "TARIFF_CHANGED",
        "CDR_RECEIVED",
        "COMMAND_SENT",
        "COMMAND_TIMED_OUT",
    ]
    command, answered = events[0], events[1]
    assert (command.party, command.environment, dict(command.data)) == (
        "VN/EM1",
        "SANDBOX",
        {"command": "START_SESSION", "cpo": "VN/CPA"},
    )
    assert answered.subject == command.subject and answered.data["result"] == "ACCEPTED"
    ended = events[4]
    assert (ended.party, ended.subject, ended.data["status"], ended.data["emsp"]) == (
        "VN/CPA",
        "sessions/VN/CPA/S1",
        "COMPLETED",
        "VN/EM1",
    )
    received = events[6]
    assert received.subject == f"cdrs/VN/CPA/{samples.cdr()['id']}"
    verification = (await hub_http.core.get_cdr(received.subject)).verification
    assert received.data["verification"] == cdrs_pb.VerificationState.Name(verification.state).removeprefix(
        "VERIFICATION_STATE_"
    )
    assert events[8].subject == events[7].subject != command.subject


async def test_suspensions_dead_letters_and_re_drives_are_told(
    hub_http: Hub, network: Network, delivering: None
) -> None:
    letter = await dead_first_version(hub_http, network)
    await hub_http.core.retry_delivery(letter.name)
    await hub_http.core.suspend_party("parties/VN/EM2/EMSP")
    dead, redriven, suspended = await following(
        hub_http.core,
        3,
        pb.EVENT_KIND_DELIVERY_DEAD_LETTERED,
        pb.EVENT_KIND_DELIVERY_REDRIVEN,
        pb.EVENT_KIND_PARTY_SUSPENDED,
    )
    assert (dead.kind, dead.party, dead.subject, dead.data["module"]) == (
        pb.EVENT_KIND_DELIVERY_DEAD_LETTERED,
        "VN/EM1",
        letter.name,
        "locations",
    )
    assert (redriven.kind, redriven.subject) == (pb.EVENT_KIND_DELIVERY_REDRIVEN, letter.name)
    assert (suspended.kind, suspended.party, suspended.subject) == (
        pb.EVENT_KIND_PARTY_SUSPENDED,
        "VN/EM2",
        "parties/VN/EM2/EMSP",
    )


async def test_a_command_the_cpo_refuses_is_answered_by_its_response(
    hub_http: Hub, network: Network, delivering: None
) -> None:
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1", json=samples.location(), headers=network.cpo_headers()
    )
    network.cpo.command_response = {"result": "REJECTED", "timeout": 0}
    await hub_http.http.post(
        f"{COMMANDS}/START_SESSION", json=start_session(network, "no"), headers=network.emsp_headers()
    )
    sent, answered = await following(hub_http.core, 2, pb.EVENT_KIND_COMMAND_SENT, pb.EVENT_KIND_COMMAND_ANSWERED)
    assert (answered.kind, answered.subject, answered.data["response"]) == (
        pb.EVENT_KIND_COMMAND_ANSWERED,
        sent.subject,
        "REJECTED",
    )
