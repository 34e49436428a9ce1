"""The Hub's session and CDR rules over HTTP (R4.2, R4.3, R5.1, R5.2): a violation is refused with 2001 naming the
rule, nothing is stored or relayed, and it is counted against the CPO; what OCPI allows but the Hub's rules narrow
(kWh with more than 2 decimals, a CDR more than 24 h after the session ended) is accepted, relayed as sent and
flagged where operators look."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from ocpihub.deliveries.v1 import deliveries_service_pb2 as deliveries_rpc
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

hubctl = test_hubctl.hubctl  # hubctl as a subprocess, as an operator runs it

S1 = "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1"
CDRS = "/ocpi/2.2.1/receiver/cdrs"
END = "2026-11-01T09:00:00Z"


def violations(rule: str) -> float:
    return REGISTRY.get_sample_value("ocpihub_rule_violations_total", {"party": "VN/CPA", "rule": rule}) or 0.0


def flagged(flag: str) -> float:
    return REGISTRY.get_sample_value("ocpihub_rule_flags_total", {"party": "VN/CPA", "flag": flag}) or 0.0


async def stored_session(hub: Hub, network: Network) -> dict[str, Any]:
    data: dict[str, Any] = (await hub.http.get(S1, headers=network.cpo_headers())).json()["data"]
    return data


async def refused(hub: Hub, network: Network, method: str, body: dict[str, Any], rule: str) -> str:
    """Sends the write and checks it was refused for `rule`, counted once and queued for nobody; returns the message."""
    before, queued = violations(rule), await _queued(hub)
    answer = await hub.http.request(method, S1, json=body, headers=network.cpo_headers())
    assert answer.status_code == 200
    assert answer.json()["status_code"] == 2001, answer.json()
    message: str = answer.json()["status_message"]
    assert f"(rule {rule})" in message, message
    assert violations(rule) == before + 1
    assert await _queued(hub) == queued
    return message


async def _queued(hub: Hub) -> int:
    """Messages the Hub has queued for eMSPs (the outbox): a refused write adds none."""
    return len([d async for d in hub.core.list_deliveries(deliveries_rpc.ListDeliveriesRequest())])


# (status stored, status PATCHed, allowed). end_date_time goes with COMPLETED and INVALID only.
MOVES = [
    ("PENDING", "ACTIVE", True),
    ("ACTIVE", "COMPLETED", True),
    ("RESERVATION", "ACTIVE", True),
    ("RESERVATION", "COMPLETED", True),
    ("PENDING", "INVALID", True),
    ("COMPLETED", "INVALID", True),
    ("ACTIVE", "PENDING", False),
    ("COMPLETED", "ACTIVE", False),
    ("INVALID", "COMPLETED", False),
    ("RESERVATION", "PENDING", False),
    ("PENDING", "RESERVATION", False),
]


def _ended(status: str) -> dict[str, str]:
    return {"end_date_time": END} if status in ("COMPLETED", "INVALID") else {}


@pytest.mark.parametrize(("before", "after", "allowed"), MOVES)
async def test_status_moves_forward_only(
    hub_http: Hub, network: Network, before: str, after: str, allowed: bool
) -> None:
    put = samples.session(status=before, **_ended(before))
    assert (await hub_http.http.put(S1, json=put, headers=network.cpo_headers())).json()["status_code"] == 1000
    patch = {"status": after, **_ended(after), "last_updated": "2026-11-01T09:00:05Z"}

    if allowed:
        answer = await hub_http.http.patch(S1, json=patch, headers=network.cpo_headers())
        assert answer.json()["status_code"] == 1000, answer.json()
        assert (await stored_session(hub_http, network))["status"] == after
        return
    message = await refused(hub_http, network, "PATCH", patch, "session_status_order")
    assert f"cannot go from {before} to {after}" in message
    assert (await stored_session(hub_http, network))["status"] == before


async def test_kwh_never_decreases(hub_http: Hub, network: Network) -> None:
    await hub_http.http.put(S1, json=samples.session(kwh=5), headers=network.cpo_headers())

    message = await refused(
        hub_http, network, "PATCH", {"kwh": 4.99, "last_updated": "2026-11-01T08:01:00Z"}, "session_kwh_decreased"
    )
    assert "4.99" in message and "5" in message
    lower = samples.session(kwh=1, last_updated="2026-11-01T08:01:00Z")
    await refused(hub_http, network, "PUT", lower, "session_kwh_decreased")  # a PUT replaces, the energy stays
    assert (await stored_session(hub_http, network))["kwh"] == 5
    same = await hub_http.http.patch(
        S1, json={"kwh": 5, "last_updated": "2026-11-01T08:02:00Z"}, headers=network.cpo_headers()
    )
    assert same.json()["status_code"] == 1000, same.json()


async def test_end_date_time_only_with_completed_or_invalid(hub_http: Hub, network: Network) -> None:
    rule = "session_end_date_time_status"
    await refused(hub_http, network, "PUT", samples.session(status="ACTIVE", end_date_time=END), rule)
    assert (await hub_http.http.get(S1, headers=network.cpo_headers())).status_code == 404  # nothing stored

    await hub_http.http.put(S1, json=samples.session(), headers=network.cpo_headers())
    message = await refused(
        hub_http, network, "PATCH", {"end_date_time": END, "last_updated": "2026-11-01T09:00:05Z"}, rule
    )
    assert "status is ACTIVE" in message
    assert "end_date_time" not in await stored_session(hub_http, network)


async def test_session_times_are_checked_against_the_stored_session(hub_http: Hub, network: Network) -> None:
    """A PATCH's periods are appended: the Hub checks them against the session's stored start."""
    await hub_http.http.put(S1, json=samples.session(), headers=network.cpo_headers())
    early = {
        "charging_periods": [samples.charging_period("2026-11-01T07:59:00Z", 1, 0.1)],
        "last_updated": "2026-11-01T08:01:00Z",
    }
    message = await refused(hub_http, network, "PATCH", early, "session_charging_period_outside_span")
    assert "charging_periods[0].start_date_time" in message
    assert (await stored_session(hub_http, network)).get("charging_periods") in (None, [])


def _cdr_periods(*starts: str) -> dict[str, Any]:
    cdr = samples.cdr()
    cdr["charging_periods"] = [cdr["charging_periods"][0] | {"start_date_time": start} for start in starts]
    return cdr


@pytest.mark.parametrize(
    ("cdr", "rule", "field"),
    [
        (_cdr_periods("2026-11-01T08:30:00Z", "2026-11-01T08:10:00Z"), "cdr_charging_periods_order", "[1]"),
        (_cdr_periods("2026-11-01T07:59:59Z"), "cdr_charging_period_outside_span", "[0]"),
        (_cdr_periods("2026-11-01T08:00:00Z", "2026-11-01T09:00:01Z"), "cdr_charging_period_outside_span", "[1]"),
        (samples.cdr() | {"end_date_time": "2026-11-01T07:00:00Z"}, "cdr_end_before_start", "end_date_time"),
    ],
)
async def test_cdr_periods_are_ordered_and_inside_its_span(
    hub_http: Hub, network: Network, cdr: dict[str, Any], rule: str, field: str
) -> None:
    before = violations(rule)
    answer = await hub_http.http.post(CDRS, json=cdr, headers=network.cpo_headers())

    assert answer.status_code == 200
    assert answer.json()["status_code"] == 2001, answer.json()
    assert f"(rule {rule})" in answer.json()["status_message"] and field in answer.json()["status_message"]
    assert violations(rule) == before + 1
    stored = await hub_http.http.get(f"{CDRS}/VN/CPA/CDR1", headers=network.cpo_headers())
    assert stored.status_code == 404


@pytest.mark.usefixtures("delivering")
async def test_kwh_with_more_than_2_decimals_is_relayed_as_sent_and_flagged(
    hub_http: Hub, network: Network, hubctl: Hubctl
) -> None:
    before = flagged("kwh_more_than_2_decimals")
    await hub_http.http.put(S1, json=samples.session(), headers=network.cpo_headers())
    assert (await hub_http.core.get_session("sessions/VN/CPA/S1")).flags == []

    body = b'{"kwh": 5.125, "last_updated": "2026-11-01T08:01:00Z"}'
    answer = await hub_http.http.patch(S1, content=body, headers=network.cpo_headers())

    assert answer.json()["status_code"] == 1000, answer.json()
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("sessions")) == 2)
    assert network.emsp1.pushes("sessions")[1].body == body
    assert (await stored_session(hub_http, network))["kwh"] == 5.125
    assert list((await hub_http.core.get_session("sessions/VN/CPA/S1")).flags) == ["kwh_more_than_2_decimals"]
    assert flagged("kwh_more_than_2_decimals") == before + 1
    shown = await hubctl("sessions", "show", "VN/CPA/S1")
    assert shown.code == 0, shown.stderr
    assert re.search(r"flags: +kwh_more_than_2_decimals", shown.stdout), shown.stdout
    # The flag stays with the session after writes without it.
    await hub_http.http.patch(
        S1, json={"kwh": 6, "last_updated": "2026-11-01T08:02:00Z"}, headers=network.cpo_headers()
    )
    assert list((await hub_http.core.get_session("sessions/VN/CPA/S1")).flags) == ["kwh_more_than_2_decimals"]


def _recent_cdr(now: datetime) -> dict[str, Any]:
    def iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    cdr = samples.cdr()
    cdr |= {
        "start_date_time": iso(now - timedelta(hours=2)),
        "end_date_time": iso(now - timedelta(hours=1)),
        "last_updated": iso(now),
    }
    cdr["charging_periods"][0]["start_date_time"] = cdr["start_date_time"]
    return cdr


@pytest.mark.usefixtures("delivering")
async def test_a_cdr_after_24_hours_is_relayed_as_sent_and_flagged(
    hub_http: Hub, network: Network, hubctl: Hubctl
) -> None:
    tariff = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC", json=samples.time_based_tariff(), headers=network.cpo_headers()
    )
    assert tariff.json()["status_code"] == 1000, tariff.json()
    before = flagged("cdr_after_24h")
    late = json.dumps(samples.cdr()).encode()  # the session ended on 2026-11-01, over a month before the test runs
    answer = await hub_http.http.post(CDRS, content=late, headers=network.cpo_headers())

    assert (answer.status_code, answer.json()["status_code"]) == (201, 1000), answer.json()
    await network.emsp1.wait_for(lambda: len(network.emsp1.requests_to("/ocpi/2.2.1/cdrs")) == 1)
    assert network.emsp1.requests_to("/ocpi/2.2.1/cdrs")[0].body == late
    verification = (await hub_http.core.get_cdr("cdrs/VN/CPA/CDR1")).verification
    assert list(verification.flags) == ["cdr_after_24h"]
    assert any(note.startswith("cdr_after_24h: received") for note in verification.notes), verification.notes
    assert flagged("cdr_after_24h") == before + 1
    shown = await hubctl("cdrs", "show", "VN/CPA/CDR1", "--json")
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout)["verification"]["flags"] == ["cdr_after_24h"]

    on_time = _recent_cdr(datetime.now(UTC)) | {"id": "CDR2"}
    answer = await hub_http.http.post(CDRS, json=on_time, headers=network.cpo_headers())
    assert answer.json()["status_code"] == 1000, answer.json()
    assert list((await hub_http.core.get_cdr("cdrs/VN/CPA/CDR2")).verification.flags) == []


async def test_the_rules_hold_for_pushes_addressed_to_the_emsp(hub_http: Hub, network: Network) -> None:
    """OCPI-to naming the token's eMSP is a direct request: forwarded at once, but checked and kept by the same rules,
    so a violation is refused, counted, and never reaches the eMSP."""
    to_emsp = network.cpo_headers(to=("VN", "EM1"))
    answer = await hub_http.http.put(S1, json=samples.session(kwh=5), headers=to_emsp)
    assert answer.json()["status_code"] == 1000, answer.json()
    forwarded = len(network.emsp1.received)
    before = violations("session_kwh_decreased")

    answer = await hub_http.http.patch(S1, json={"kwh": 4, "last_updated": "2026-11-01T08:01:00Z"}, headers=to_emsp)
    assert answer.json()["status_code"] == 2001, answer.json()
    assert "(rule session_kwh_decreased)" in answer.json()["status_message"]
    assert violations("session_kwh_decreased") == before + 1
    assert len(network.emsp1.received) == forwarded
    assert (await stored_session(hub_http, network))["kwh"] == 5

    cdr = _cdr_periods("2026-11-01T08:30:00Z", "2026-11-01T08:00:00Z")
    answer = await hub_http.http.post(CDRS, json=cdr, headers=to_emsp)
    assert answer.json()["status_code"] == 2001, answer.json()
    assert "(rule cdr_charging_periods_order)" in answer.json()["status_message"]
    assert len(network.emsp1.received) == forwarded
