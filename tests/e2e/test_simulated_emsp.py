"""The simulated eMSP VN/SIM (simulators.emsp) the Hub runs itself in sandbox: registered like any party and listed
in HubClientInfo, its test tokens reach CPOs, and it charges at the reference CPO with the ALLOWED token while the
BLOCKED one (whitelist NEVER) is refused after real-time authorization through the Hub."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators import emsp, loopback
from simulators.cpo import ReferenceCpo
from simulators.emsp import SimulatedEmsp
from simulators.hub_link import HubLink
from tests.e2e.conftest import Hub
from tests.waiting import eventually

REF = ("VN", "REF")


@pytest.fixture
async def simulated_emsp(hub_http: Hub) -> AsyncIterator[SimulatedEmsp]:
    invited = await hub_http.core.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="SIM", role=pb.ROLE_EMSP, display_name="Hub simulated eMSP")
    )
    sock = loopback.bind_loopback()
    async with httpx.AsyncClient(timeout=10.0, trust_env=False) as http:
        sim = SimulatedEmsp(HubLink(http, hub_http.versions_url, "VN", emsp.PARTY_ID), base_url=loopback.url_of(sock))
        async with loopback.serve(sim.app(), sock):
            await sim.start(invited.token_a)
            yield sim


async def test_simulated_emsp_is_listed_in_hubclientinfo_and_its_tokens_reach_cpos(
    hub_http: Hub, reference_cpo: ReferenceCpo, simulated_emsp: SimulatedEmsp, delivering: None
) -> None:
    listed = await reference_cpo.link.call("GET", f"{hub_http.url}/ocpi/2.2.1/hubclientinfo")
    [entry] = [e for e in listed if e["party_id"] == "SIM"]
    assert (entry["country_code"], entry["role"], entry["status"]) == ("VN", "EMSP", "CONNECTED")
    await eventually(
        lambda: {uid for (_, _, uid) in reference_cpo.tokens} == {emsp.ALLOWED_UID, emsp.BLOCKED_UID},
        "the reference CPO got both test tokens",
    )
    assert reference_cpo.tokens[("VN", "SIM", emsp.BLOCKED_UID)]["whitelist"] == "NEVER"


@pytest.mark.slow
async def test_simulated_emsp_charges_with_the_allowed_token_and_is_refused_with_the_blocked_one(
    hub_http: Hub, reference_cpo: ReferenceCpo, simulated_emsp: SimulatedEmsp, delivering: None
) -> None:
    sim = simulated_emsp
    where = {"location_id": "REF-HCM", "evse_uid": "REF-HCM-E1", "connector_id": "2"}
    blocked, answer = await sim.command("START_SESSION", {"token": sim.token(emsp.BLOCKED_UID), **where}, REF)
    assert answer["result"] == "ACCEPTED"
    await eventually(lambda: blocked in sim.results, "SIM got the result for the blocked token")
    assert sim.results[blocked]["result"] == "REJECTED"

    started, answer = await sim.command("START_SESSION", {"token": sim.token(emsp.ALLOWED_UID), **where}, REF)
    assert answer["result"] == "ACCEPTED"
    await eventually(lambda: started in sim.results, "SIM got the result for the allowed token")
    assert sim.results[started] == {"result": "ACCEPTED"}
    await eventually(lambda: bool(sim.objects.get("sessions")), "SIM got the session")
    [(key, session)] = sim.objects["sessions"].items()
    assert key == f"VN/REF/{session['id']}"
    assert session["cdr_token"]["uid"] == emsp.ALLOWED_UID

    stopped, answer = await sim.command("STOP_SESSION", {"session_id": session["id"]}, REF)
    assert answer["result"] == "ACCEPTED"
    await eventually(lambda: bool(sim.objects.get("cdrs")), "SIM got the CDR")
    assert sim.results[stopped] == {"result": "ACCEPTED"}
    assert sim.objects["sessions"][key]["status"] == "COMPLETED"
    [cdr] = sim.objects["cdrs"].values()
    assert cdr["session_id"] == session["id"]
    assert reference_cpo.errors == []
