"""Routing (HUB-DIGEST §1.9): direct to one party, broadcast via the Hub, open routing, and the 4xxx answers."""

from __future__ import annotations

import json

import asyncpg

from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators import loopback
from simulators.party import EMSP_MODULES, PartySimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

LOC1 = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"


async def test_direct_push_goes_only_to_the_named_party_and_its_answer_comes_back(
    hub_http: Hub, network: Network, db: asyncpg.Pool
) -> None:
    sent = json.dumps(samples.location()).encode()
    headers = network.cpo_headers(to=("VN", "EM1"), **{"X-Request-ID": "cpo-req-7", "X-Correlation-ID": "corr-7"})
    response = await hub_http.http.put(LOC1, content=sent, headers=headers)

    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    # The answer is EM1's, addressed back to the CPO, with the CPO's own request id.
    assert (response.headers["ocpi-from-country-code"], response.headers["ocpi-from-party-id"]) == ("VN", "EM1")
    assert (response.headers["ocpi-to-country-code"], response.headers["ocpi-to-party-id"]) == ("VN", "CPA")
    assert response.headers["x-request-id"] == "cpo-req-7"
    [got] = network.emsp1.pushes("locations")
    assert (got.method, got.path, got.body) == ("PUT", "/ocpi/2.2.1/locations/VN/CPA/LOC1", sent)
    assert (got.headers["ocpi-from-country-code"], got.headers["ocpi-from-party-id"]) == ("VN", "CPA")
    assert (got.headers["ocpi-to-country-code"], got.headers["ocpi-to-party-id"]) == ("VN", "EM1")
    assert got.headers["x-correlation-id"] == "corr-7"
    assert got.headers["x-request-id"] != "cpo-req-7"
    # Pushed to one party only: kept (issue 16), but neither relayed to nor pulled by anyone else.
    assert network.emsp2.pushes("locations") == []
    assert await db.fetchval("SELECT count(*) FROM locations") == 1
    pulled = await hub_http.http.get("/ocpi/2.2.1/sender/locations", headers=network.emsp_headers(which=2))
    assert pulled.json()["data"] == []
    mine = await hub_http.http.get("/ocpi/2.2.1/sender/locations/LOC1", headers=network.emsp_headers(which=1))
    theirs = await hub_http.http.get("/ocpi/2.2.1/sender/locations/LOC1", headers=network.emsp_headers(which=2))
    assert (mine.json()["data"]["id"], theirs.status_code) == ("LOC1", 404)


async def test_receiver_errors_are_passed_back_unchanged(hub_http: Hub, network: Network) -> None:
    network.emsp1.ocpi_status = 2001
    response = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers(to=("VN", "EM1")))
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)


async def test_without_to_headers_a_location_is_broadcast(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    response = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers(to=None))
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    for emsp in (network.emsp1, network.emsp2):
        await emsp.wait_for(lambda e=emsp: len(e.pushes("locations")) == 1)
    assert await db.fetchval("SELECT count(*) FROM locations") == 1


async def test_unknown_receiver_is_4001(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    response = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers(to=("VN", "ZZZ")))
    assert (response.status_code, response.json()["status_code"]) == (200, 4001)
    assert "VN/ZZZ" in response.json()["status_message"]
    assert await db.fetchval("SELECT count(*) FROM locations") == 0


async def test_invited_but_unregistered_receiver_is_4003(hub_http: Hub, network: Network) -> None:
    await hub_http.core.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="EM3", role=pb.ROLE_EMSP, display_name="Not yet")
    )
    response = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers(to=("VN", "EM3")))
    assert (response.status_code, response.json()["status_code"]) == (200, 4003)


async def test_receiver_that_cannot_be_reached_is_4003(hub_http: Hub, network: Network) -> None:
    gone = PartySimulator(party_id="EM4", role="EMSP", modules=list(EMSP_MODULES))
    sock = loopback.bind_loopback()
    gone.base_url = loopback.url_of(sock)
    async with loopback.serve(gone.app(), sock):
        await hub_http.register(gone)
    # Its server has stopped: connections are refused.
    response = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers(to=("VN", "EM4")))
    assert (response.status_code, response.json()["status_code"]) == (200, 4003)


async def test_receiver_that_answers_too_late_is_4002(hub_http: Hub, network: Network) -> None:
    network.emsp1.delay = 3.0  # the e2e Hub waits 2 s for a party
    response = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers(to=("VN", "EM1")))
    assert (response.status_code, response.json()["status_code"]) == (200, 4002)


async def test_from_header_must_be_one_of_the_callers_parties(hub_http: Hub, network: Network) -> None:
    headers = network.cpo_headers(**{"OCPI-from-party-id": "EM1"})
    response = await hub_http.http.put(LOC1, json=samples.location(), headers=headers)
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert "OCPI-from" in response.json()["status_message"]


async def test_get_all_with_to_hub_is_never_fanned_out(hub_http: Hub, network: Network) -> None:
    await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    pulled = await hub_http.http.get("/ocpi/2.2.1/sender/locations", headers=network.emsp_headers())
    assert [loc["id"] for loc in pulled.json()["data"]] == ["LOC1"]
    # Served from the Hub's store: no party was asked.
    assert not any(r.method == "GET" for sim in (network.cpo, network.emsp2) for r in sim.received)
