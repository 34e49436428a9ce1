"""Seed scenario 7: the CPO posts a CDR; the Hub verifies its cost, keeps it, and relays it to the token's eMSP."""

from __future__ import annotations

import dataclasses
import json

import asyncpg
import pytest

from core.server import create_server
from core.settings import Settings
from facade.ocpi.proto_json import decode_json, to_proto
from hubclient import HubClient, HubError
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.cdrs.v1 import cdrs_service_pb2 as rpc
from ocpihub.deliveries.v1 import deliveries_pb2
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

CDRS = "/ocpi/2.2.1/receiver/cdrs"


@pytest.fixture
async def priced(hub_http: Hub, network: Network) -> Network:
    """The location (its time zone) and the tariff the CDR refers to are at the Hub."""
    await hub_http.http.put(
        f"{CDRS.replace('cdrs', 'locations')}/VN/CPA/LOC1", json=samples.location(), headers=network.cpo_headers()
    )
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC", json=samples.time_based_tariff(), headers=network.cpo_headers()
    )
    return network


async def test_cdr_is_verified_kept_and_relayed_to_the_token_owner_only(
    hub_http: Hub, priced: Network, delivering: None
) -> None:
    body = json.dumps(samples.cdr()).encode()
    response = await hub_http.http.post(CDRS, content=body, headers=priced.cpo_headers())
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    location = response.headers["location"]
    assert location == f"{hub_http.url}/ocpi/2.2.1/receiver/cdrs/VN/CPA/CDR1"

    fetched = await hub_http.http.get(location.removeprefix(hub_http.url), headers=priced.cpo_headers())
    assert fetched.json()["data"]["total_cost"] == {"excl_vat": 35000, "incl_vat": 38500}
    await priced.emsp1.wait_for(lambda: any(r.path == "/ocpi/2.2.1/cdrs" for r in priced.emsp1.received))
    [got] = [r for r in priced.emsp1.received if r.path == "/ocpi/2.2.1/cdrs"]
    assert (got.method, got.body) == ("POST", body)
    assert not any(r.path == "/ocpi/2.2.1/cdrs" for r in priced.emsp2.received)

    stored = await hub_http.core.get_cdr("cdrs/VN/CPA/CDR1")
    assert stored.verification.state == cdrs_pb2.VERIFICATION_STATE_MATCH, stored.verification
    assert stored.verification.tariff == "tariffs/VN/CPA/TARIFF-AC"
    assert (stored.verification.computed_total_cost.excl_vat, stored.verification.computed_total_cost.incl_vat) == (
        "35000.00",
        "38500.00",
    )


async def test_a_cdr_whose_cost_does_not_follow_from_its_tariff_is_kept_and_flagged(
    hub_http: Hub, priced: Network
) -> None:
    response = await hub_http.http.post(
        CDRS, json=samples.cdr(total_excl=40000, total_incl=44000), headers=priced.cpo_headers()
    )
    assert response.json()["status_code"] == 1000  # default policy: accept and flag
    flagged = await hub_http.core.list_cdrs(
        rpc.ListCdrsRequest(verification_state=cdrs_pb2.VERIFICATION_STATE_MISMATCH)
    )
    [cdr] = flagged.cdrs
    verification = (await hub_http.core.get_cdr("cdrs/VN/CPA/CDR1")).verification
    assert cdr.id == "CDR1"
    assert {d.field for d in verification.differences} >= {"total_cost.excl_vat", "total_cost.incl_vat"}


async def test_a_repeated_post_is_idempotent_and_a_changed_cdr_is_refused(
    hub_http: Hub, priced: Network, db: asyncpg.Pool
) -> None:
    body = json.dumps(samples.cdr()).encode()
    first = await hub_http.http.post(CDRS, content=body, headers=priced.cpo_headers())
    again = await hub_http.http.post(CDRS, content=body, headers=priced.cpo_headers())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status_code"] == 1000
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE module = 'cdrs'") == 1
    changed = samples.cdr(total_excl=1, total_incl=1)
    refused = await hub_http.http.post(CDRS, json=changed, headers=priced.cpo_headers())
    assert (refused.status_code, refused.json()["status_code"]) == (200, 2001)
    assert "cannot change" in refused.json()["status_message"]
    assert await db.fetchval("SELECT count(*) FROM cdrs") == 1


async def test_cdrs_cannot_be_changed_or_deleted(hub_http: Hub, priced: Network) -> None:
    await hub_http.http.post(CDRS, json=samples.cdr(), headers=priced.cpo_headers())
    for method in ("PUT", "PATCH", "DELETE"):
        response = await hub_http.http.request(
            method, f"{CDRS}/VN/CPA/CDR1", json=samples.cdr(), headers=priced.cpo_headers()
        )
        assert response.status_code == 405, method
        assert response.json()["status_code"] == 2000


async def test_emsps_pull_only_their_own_cdrs(hub_http: Hub, priced: Network) -> None:
    await hub_http.http.post(CDRS, json=samples.cdr(), headers=priced.cpo_headers())
    await hub_http.http.post(CDRS, json=samples.cdr("CDR2", emsp="EM2"), headers=priced.cpo_headers())
    one = await hub_http.http.get("/ocpi/2.2.1/sender/cdrs", headers=priced.emsp_headers(which=1))
    two = await hub_http.http.get("/ocpi/2.2.1/sender/cdrs", headers=priced.emsp_headers(which=2))
    assert [c["id"] for c in one.json()["data"]] == ["CDR1"]
    assert [c["id"] for c in two.json()["data"]] == ["CDR2"]


async def test_invalid_cdrs_are_2001_and_store_nothing(hub_http: Hub, priced: Network, db: asyncpg.Pool) -> None:
    cases = [
        (samples.cdr() | {"end_date_time": "2026-11-01T07:00:00Z"}, "end_date_time"),
        (samples.cdr() | {"total_energy": -1}, "total_energy"),
        (samples.cdr() | {"currency": "VN"}, "currency"),
        (samples.cdr() | {"charging_periods": []}, "charging_periods"),
    ]
    for body, field in cases:
        response = await hub_http.http.post(CDRS, json=body, headers=priced.cpo_headers())
        assert (response.status_code, response.json()["status_code"]) == (200, 2001), field
        assert field in response.json()["status_message"], field
    assert await db.fetchval("SELECT count(*) FROM cdrs") == 0


async def test_a_cdr_under_another_partys_id_is_404(hub_http: Hub, priced: Network) -> None:
    response = await hub_http.http.post(CDRS, json=samples.cdr() | {"party_id": "EM1"}, headers=priced.cpo_headers())
    assert response.status_code == 404


async def test_a_cdr_naming_an_unknown_tariff_is_2001(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    response = await hub_http.http.post(CDRS, json=samples.cdr(), headers=network.cpo_headers())  # no tariff pushed
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert "charging_periods[0].tariff_id" in response.json()["status_message"]
    assert await db.fetchval("SELECT count(*) FROM cdrs") == 0


async def test_with_the_reject_policy_a_mispriced_cdr_is_refused(
    hub_http: Hub, priced: Network, core_settings: Settings, db: asyncpg.Pool
) -> None:
    strict, port = await create_server(dataclasses.replace(core_settings, grpc_port=0, cdr_mismatch_policy="reject"))
    await strict.start()
    try:
        async with HubClient(f"127.0.0.1:{port}") as core:
            platform = await db.fetchval("SELECT platform_id FROM parties WHERE party_id = 'CPA'")
            cdr = to_proto(decode_json(json.dumps(samples.cdr(total_excl=1, total_incl=1.1)).encode()), cdrs_pb2.Cdr)
            with pytest.raises(HubError) as refused:
                await core.create_cdr(
                    rpc.CreateCdrRequest(
                        cdr=cdr,
                        caller_platform=f"platforms/{platform}",
                        relay=deliveries_pb2.Message(module="cdrs", method="POST", body=b"{}"),
                    )
                )
    finally:
        await strict.stop(grace=0.5)
    assert refused.value.reason == "COST_MISMATCH"
    assert "total_cost" in refused.value.message
    assert await db.fetchval("SELECT count(*) FROM cdrs") == 0
