"""The simulated eMSP VN/SIM (simulators.emsp) the Hub runs itself in sandbox: registered like any party and listed
in HubClientInfo, its test tokens reach CPOs, and it charges at the reference CPO with the ALLOWED token while the
BLOCKED one (whitelist NEVER) is refused after real-time authorization through the Hub."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hubclient import ClientTls, HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators import emsp, loopback
from simulators.cpo import ReferenceCpo
from simulators.emsp import SimulatedEmsp
from simulators.hub_link import HubLink
from tests import services
from tests.conftest import TOKEN_KEY
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


@pytest.mark.slow
async def test_make_run_starts_the_simulated_emsp_registered_beside_the_hub(
    postgres_server_url: str, tmp_path: Path
) -> None:
    """`make run` (python -m core.devhub) in sandbox: core, facade and VN/SIM, which invites itself with the
    operator's certificate of the Hub's own .hub/pki and registers."""
    database_url = await services.create_database(postgres_server_url)
    grpc_port = loopback.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_CLIENT_", "HUB_GRPC_"))}
    env |= {
        "HUB_ENV": "sandbox",
        "HUB_DATA_DIR": str(tmp_path),
        "HUB_DATABASE_URL": database_url,
        "HUB_TOKEN_KEYS": TOKEN_KEY,
        "HUB_GRPC_PORT": str(grpc_port),
        "HUB_GRPC_HEALTH_PORT": "0",
        "HUB_CORE_METRICS_PORT": str(loopback.free_port()),
        "HUB_HTTP_PORT": str(loopback.free_port()),
        "HUB_SIM_EMSP_PORT": str(loopback.free_port()),
    }
    devhub = await asyncio.create_subprocess_exec(sys.executable, "-m", "core.devhub", env=env)
    try:
        await eventually(lambda: (tmp_path / "pki" / "operator.crt").exists(), "make run made its PKI", within=30)
        async with HubClient(f"127.0.0.1:{grpc_port}", tls=ClientTls.from_pki(tmp_path / "pki", "operator")) as hub:

            async def sim_registered() -> bool:
                assert devhub.returncode is None, f"make run exited with {devhub.returncode}"
                try:
                    parties = [p async for p in hub.list_parties(rpc.ListPartiesRequest(country_code="VN"))]
                except HubError:
                    return False  # the core is still starting
                return any(p.party_id == "SIM" and p.state == pb.PARTY_STATE_REGISTERED for p in parties)

            await eventually(sim_registered, "VN/SIM registered under make run", within=60)
    finally:
        if devhub.returncode is None:
            devhub.send_signal(signal.SIGTERM)
        assert await devhub.wait() == 0
        await services.drop_database(postgres_server_url, database_url)
