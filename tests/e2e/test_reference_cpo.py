"""The reference CPO (simulators.cpo, `make reference-cpo`) against the real Hub: it registers with a TOKEN_A,
pushes its network, and an eMSP starts and stops a charge through the Hub — the results, the metered session and a
CDR the Hub's tariff engine verifies as MATCH reach the eMSP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from hubclient import HubClient, HubError
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators import cpo_network as net
from simulators import loopback
from simulators.cpo import ReferenceCpo
from simulators.party import EMSP_MODULES, PartySimulator
from tests import internal_tls
from tests.e2e.conftest import Hub, token_header
from tests.waiting import eventually

COMMANDS = "/ocpi/2.2.1/receiver/commands"
APP = "/ocpi/2.2.1/app"  # where the eMSP wants its command results


@pytest.fixture
async def emsp(
    hub_http: Hub, start_party: Callable[..., Awaitable[PartySimulator]]
) -> tuple[PartySimulator, dict[str, str]]:
    """A simulated eMSP VN/EMR, registered; returns it and the headers it calls the Hub with (to VN/REF)."""
    sim = await start_party(party_id="EMR", role="EMSP", name="eMobility Reference", modules=list(EMSP_MODULES))
    token_c = await hub_http.register(sim)
    headers = {
        **token_header(token_c),
        "OCPI-from-country-code": "VN",
        "OCPI-from-party-id": "EMR",
        "OCPI-to-country-code": "VN",
        "OCPI-to-party-id": "REF",
    }
    return sim, headers


def token(uid: str = "REF-RFID-1", whitelist: str = "ALLOWED") -> dict[str, Any]:
    return {
        "country_code": "VN",
        "party_id": "EMR",
        "uid": uid,
        "type": "RFID",
        "contract_id": "VN-EMR-C1",
        "issuer": "eMobility Reference",
        "valid": True,
        "whitelist": whitelist,
        "last_updated": "2026-11-01T07:00:00Z",
    }


def bodies(sim: PartySimulator, path_prefix: str, method: str | None = None) -> list[dict[str, Any]]:
    return [
        json.loads(r.body)
        for r in sim.received
        if r.path.startswith(path_prefix) and (method is None or r.method == method) and r.body
    ]


async def test_reference_cpo_registers_and_its_network_reaches_the_hub(
    hub_http: Hub, reference_cpo: ReferenceCpo
) -> None:
    [party] = [
        p async for p in hub_http.core.list_parties(rpc.ListPartiesRequest(country_code="VN")) if p.party_id == "REF"
    ]
    assert party.state == pb.PARTY_STATE_REGISTERED
    for location_id in ("REF-HN", "REF-HCM"):
        location = await hub_http.core.get_location(f"locations/VN/REF/{location_id}")
        assert len(location.evses) == 2
        assert all(c.tariff_ids == [net.TARIFF_ID] for e in location.evses for c in e.connectors)
    # Its Sender interfaces answer whoever holds its token (the Hub, with the token the CPO gave it).
    async with httpx.AsyncClient(base_url=reference_cpo.base_url, headers=token_header(reference_cpo.token_b)) as http:
        connector = (await http.get("/ocpi/2.2.1/locations/REF-HN/REF-HN-E1/2")).json()["data"]
        assert (connector["power_type"], connector["tariff_ids"]) == ("DC", [net.TARIFF_ID])
        tariffs = await http.get("/ocpi/2.2.1/tariffs")
        assert [t["id"] for t in tariffs.json()["data"]] == [net.TARIFF_ID]
        assert tariffs.headers["X-Total-Count"] == "1"
        missing = await http.get("/ocpi/2.2.1/locations/REF-HN/NOPE")
        assert (missing.status_code, missing.json()["status_code"]) == (404, 2004)
        stranger = await http.get("/ocpi/2.2.1/locations", headers=token_header("not-the-token"))
        assert (stranger.status_code, stranger.json()["status_code"]) == (401, 2000)
    assert reference_cpo.errors == []


@pytest.mark.slow
async def test_emsp_starts_and_stops_a_charge_and_gets_a_verified_cdr(
    hub_http: Hub,
    reference_cpo: ReferenceCpo,
    emsp: tuple[PartySimulator, dict[str, str]],
    delivering: None,
) -> None:
    sim, headers = emsp
    start = {
        "response_url": f"{sim.base_url}{APP}/start",
        "token": token(),
        "location_id": "REF-HN",
        "evse_uid": "REF-HN-E1",
        "connector_id": "1",
    }
    answer = await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=start, headers=headers)
    assert (answer.json()["status_code"], answer.json()["data"]["result"]) == (1000, "ACCEPTED"), answer.json()

    await eventually(lambda: bodies(sim, f"{APP}/start") != [], "the eMSP got START_SESSION's result")
    assert bodies(sim, f"{APP}/start") == [{"result": "ACCEPTED"}]
    await eventually(lambda: bodies(sim, "/ocpi/2.2.1/sessions/", "PUT") != [], "the eMSP got the session")
    [session] = bodies(sim, "/ocpi/2.2.1/sessions/", "PUT")
    assert (session["status"], session["location_id"], session["cdr_token"]["uid"]) == (
        "ACTIVE",
        "REF-HN",
        "REF-RFID-1",
    )
    # The CPO meters the session: PATCHes with growing kWh, and the EVSE shows CHARGING.
    await eventually(
        lambda: any(p.get("kwh", 0) > 0 for p in bodies(sim, "/ocpi/2.2.1/sessions/", "PATCH")),
        "the eMSP got a session PATCH with energy",
    )
    assert {"status": "CHARGING"}.items() <= bodies(sim, "/ocpi/2.2.1/locations/", "PATCH")[-1].items()

    stop = {"response_url": f"{sim.base_url}{APP}/stop", "session_id": session["id"]}
    answer = await hub_http.http.post(f"{COMMANDS}/STOP_SESSION", json=stop, headers=headers)
    assert answer.json()["data"]["result"] == "ACCEPTED", answer.json()
    await eventually(lambda: bodies(sim, "/ocpi/2.2.1/cdrs", "POST") != [], "the eMSP got the CDR")
    assert bodies(sim, f"{APP}/stop") == [{"result": "ACCEPTED"}]
    completed = bodies(sim, "/ocpi/2.2.1/sessions/", "PUT")[-1]
    assert completed["status"] == "COMPLETED"
    [cdr] = bodies(sim, "/ocpi/2.2.1/cdrs", "POST")
    assert cdr["session_id"] == session["id"]

    # The Hub's tariff engine prices the session and the CDR as the CPO did.
    core: HubClient = hub_http.core
    verification = await core.verify_cdr(f"cdrs/VN/REF/{cdr['id']}")
    assert verification.state == cdrs_pb2.VERIFICATION_STATE_MATCH, verification
    assert list(verification.flags) == []
    quote = await core.quote_session(f"sessions/VN/REF/{session['id']}")
    assert Decimal(quote.total_cost.excl_vat) == Decimal(str(cdr["total_cost"]["excl_vat"]))
    assert Decimal(quote.total_cost.incl_vat) == Decimal(str(cdr["total_cost"]["incl_vat"]))
    assert reference_cpo.errors == []


async def test_a_never_whitelisted_token_is_authorized_by_its_emsp_in_real_time(
    hub_http: Hub,
    reference_cpo: ReferenceCpo,
    emsp: tuple[PartySimulator, dict[str, str]],
    delivering: None,
) -> None:
    sim, headers = emsp
    sim.authorization = {"allowed": "BLOCKED"}
    card = token("REF-RFID-NEVER", whitelist="NEVER")
    hub_headers = {**headers, "OCPI-to-party-id": "HUB"}
    pushed = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tokens/VN/EMR/REF-RFID-NEVER", json=card, headers=hub_headers
    )
    assert pushed.json()["status_code"] == 1000, pushed.json()
    await eventually(lambda: ("VN", "EMR", "REF-RFID-NEVER") in reference_cpo.tokens, "the CPO got the token")
    start = {
        "response_url": f"{sim.base_url}{APP}/blocked",
        "token": card,
        "location_id": "REF-HCM",
        "evse_uid": "REF-HCM-E2",
    }
    answer = await hub_http.http.post(f"{COMMANDS}/START_SESSION", json=start, headers=headers)
    assert answer.json()["data"]["result"] == "ACCEPTED", answer.json()
    await eventually(lambda: bodies(sim, f"{APP}/blocked") != [], "the eMSP got START_SESSION's result")
    [result] = bodies(sim, f"{APP}/blocked")
    assert result["result"] == "REJECTED"
    # The CPO asked the token's eMSP through the Hub, and started nothing.
    [asked] = [r for r in sim.received if r.path.endswith("/REF-RFID-NEVER/authorize")]
    assert json.loads(asked.body) == {"location_id": "REF-HCM", "evse_uids": ["REF-HCM-E2"]}
    assert reference_cpo.sessions == {}
    assert bodies(sim, "/ocpi/2.2.1/sessions/") == []
    assert reference_cpo.errors == []


async def test_reservation_and_unlock_commands_get_their_results(
    hub_http: Hub,
    reference_cpo: ReferenceCpo,
    emsp: tuple[PartySimulator, dict[str, str]],
    delivering: None,
) -> None:
    sim, headers = emsp
    commands = {
        "RESERVE_NOW": {
            "token": token(),
            "expiry_date": "2030-01-01T00:00:00Z",
            "reservation_id": "R1",
            "location_id": "REF-HN",
            "evse_uid": "REF-HN-E2",
        },
        "CANCEL_RESERVATION": {"reservation_id": "R1"},
        "UNLOCK_CONNECTOR": {"location_id": "REF-HN", "evse_uid": "REF-HN-E2", "connector_id": "1"},
    }
    for kind, body in commands.items():
        body["response_url"] = f"{sim.base_url}{APP}/{kind}"
        answer = await hub_http.http.post(f"{COMMANDS}/{kind}", json=body, headers=headers)
        assert answer.json()["data"]["result"] == "ACCEPTED", (kind, answer.json())
        await eventually(lambda kind=kind: bodies(sim, f"{APP}/{kind}") != [], f"the eMSP got {kind}'s result")
        assert bodies(sim, f"{APP}/{kind}") == [{"result": "ACCEPTED"}]
    # An unknown location or reservation is refused at once.
    nowhere = {**commands["RESERVE_NOW"], "location_id": "NOWHERE", "response_url": f"{sim.base_url}{APP}/nowhere"}
    answer = await hub_http.http.post(f"{COMMANDS}/RESERVE_NOW", json=nowhere, headers=headers)
    assert answer.json()["data"]["result"] == "REJECTED"
    unknown = {"reservation_id": "R404", "response_url": f"{sim.base_url}{APP}/unknown"}
    answer = await hub_http.http.post(f"{COMMANDS}/CANCEL_RESERVATION", json=unknown, headers=headers)
    assert answer.json()["data"]["result"] == "REJECTED"


async def registered_ref(hub: HubClient) -> list[pb.Party]:
    request = rpc.ListPartiesRequest(country_code="VN", state=pb.PARTY_STATE_REGISTERED)
    return [p async for p in hub.list_parties(request) if p.party_id == "REF"]


@pytest.mark.slow
async def test_make_reference_cpo_invites_itself_as_the_operator_and_registers_again_after_a_restart(
    hub_http: Hub, core_address: str
) -> None:
    """`python -m simulators.reference_cpo` without a TOKEN_A: it invites itself through the core with the operator's
    certificate, registers and pushes its network; run again, it takes VN/REF over with a fresh invitation."""
    env = {
        **os.environ,
        **internal_tls.client_env(internal_tls.session_dir(), "operator"),
        "HUB_PUBLIC_URL": hub_http.url,
        "HUB_CORE_ADDRESS": core_address,
    }
    env.pop("HUB_REFERENCE_CPO_TOKEN_A", None)
    platforms: list[str] = []  # each run registers as a new platform (a new credentials object)
    for run in (1, 2):
        port = loopback.free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulators.reference_cpo", "--port", str(port), env=env
        )
        try:

            async def registered_and_pushed(process: asyncio.subprocess.Process = process) -> bool:
                assert process.returncode is None, f"the reference CPO exited with {process.returncode}"
                parties = await registered_ref(hub_http.core)
                if not parties or parties[0].platform in platforms:
                    return False
                try:
                    await hub_http.core.get_location("locations/VN/REF/REF-HCM")
                except HubError:
                    return False
                platforms.append(parties[0].platform)
                return True

            await eventually(registered_and_pushed, f"run {run}: VN/REF registered, its network pushed", within=30)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
