"""Seed test scenarios 2 and 3 end to end: a CPO pushes a location and flips an EVSE; every eMSP gets it."""

from __future__ import annotations

import asyncio
import json
import time

import asyncpg
import grpc
import pytest

from facade.ocpi.proto_json import to_proto_with_fields
from hubclient import HubError
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.locations.v1 import locations_pb2
from ocpihub.locations.v1 import locations_service_pb2 as locations_rpc
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network
from tests.waiting import eventually

LOC1 = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"


def body(data: object) -> bytes:
    return json.dumps(data).encode()


async def test_location_with_two_evses_is_stored_and_reaches_both_emsps(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    sent = body(samples.location(evses=2))
    response = await hub_http.http.put(
        LOC1, content=sent, headers={**network.cpo_headers(), "X-Correlation-ID": "corr-loc1", "X-Request-ID": "r-1"}
    )
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    assert response.headers["x-request-id"] == "r-1"

    for emsp in (network.emsp1, network.emsp2):
        await emsp.wait_for(lambda e=emsp: len(e.pushes("locations")) == 1)
        got = emsp.pushes("locations")[0]
        assert (got.method, got.path) == ("PUT", "/ocpi/2.2.1/locations/VN/CPA/LOC1")
        assert got.body == sent  # relayed byte for byte
        assert got.headers["x-correlation-id"] == "corr-loc1"
        assert got.headers["x-request-id"] != "r-1"
        assert (got.headers["ocpi-from-country-code"], got.headers["ocpi-from-party-id"]) == ("VN", "HUB")
        assert (got.headers["ocpi-to-country-code"], got.headers["ocpi-to-party-id"]) == ("VN", emsp.party_id)
    # The CPO's own platform is not sent its own data.
    assert network.cpo.pushes("locations") == []
    pulled = await hub_http.http.get("/ocpi/2.2.1/sender/locations", headers=network.emsp_headers())
    assert [loc["id"] for loc in pulled.json()["data"]] == ["LOC1"]
    assert len(pulled.json()["data"][0]["evses"]) == 2

    async def both_delivered() -> bool:  # workers record outcomes in batches, a moment after the eMSP answered
        return await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'DELIVERED'") == 2

    await eventually(both_delivered, "the two deliveries were not recorded DELIVERED")


async def test_evse_status_patch_reaches_emsps_and_updates_parents(
    hub_http: Hub, network: Network, delivering: None
) -> None:
    await hub_http.http.put(LOC1, content=body(samples.location()), headers=network.cpo_headers())
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 1)

    patch = {"status": "CHARGING", "last_updated": "2026-11-01T09:15:00Z"}
    started = time.monotonic()
    response = await hub_http.http.patch(f"{LOC1}/LOC1-E1", json=patch, headers=network.cpo_headers())
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 2)
    got = network.emsp1.pushes("locations")[1]
    lag = got.at - started
    assert (got.method, got.path) == ("PATCH", "/ocpi/2.2.1/locations/VN/CPA/LOC1/LOC1-E1")
    assert json.loads(got.body) == patch
    assert lag < 5.0, f"EVSE status reached the eMSP after {lag:.3f}s"

    stored = (await hub_http.http.get(f"{LOC1}", headers=network.cpo_headers())).json()["data"]
    assert stored["evses"][0]["status"] == "CHARGING"
    assert stored["evses"][0]["last_updated"] == "2026-11-01T09:15:00.000Z"
    assert stored["last_updated"] == "2026-11-01T09:15:00.000Z"  # the parent follows its child
    assert stored["evses"][1]["status"] == "AVAILABLE"
    one = await hub_http.http.get("/ocpi/2.2.1/sender/locations/LOC1/LOC1-E1", headers=network.emsp_headers())
    assert one.json()["data"]["status"] == "CHARGING"


async def test_connector_put_updates_evse_and_location_last_updated(hub_http: Hub, network: Network) -> None:
    await hub_http.http.put(LOC1, content=body(samples.location()), headers=network.cpo_headers())
    new = samples.connector("2", last_updated="2026-11-02T10:00:00Z")
    response = await hub_http.http.put(f"{LOC1}/LOC1-E2/2", json=new, headers=network.cpo_headers())
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    stored = (await hub_http.http.get(LOC1, headers=network.cpo_headers())).json()["data"]
    assert [c["id"] for c in stored["evses"][1]["connectors"]] == ["1", "2"]
    assert stored["evses"][1]["last_updated"] == stored["last_updated"] == "2026-11-02T10:00:00.000Z"


async def test_unknown_fields_are_kept_and_exact_numbers_survive(hub_http: Hub, network: Network) -> None:
    data = samples.location(x_vendor={"bay_count": 4, "ratio": 0.10})
    data["evses"][0]["x_vendor_evse"] = "kept"
    sent = body(data).replace(b'"ratio": 0.1}', b'"ratio": 0.10}')
    assert b"0.10}" in sent
    await hub_http.http.put(LOC1, content=sent, headers=network.cpo_headers())
    stored = await hub_http.http.get(LOC1, headers=network.cpo_headers())
    assert b'"x_vendor":{"bay_count":4,"ratio":0.10}' in stored.content
    assert stored.json()["data"]["evses"][0]["x_vendor_evse"] == "kept"


async def test_stale_writes_do_not_overwrite_newer_data(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    await hub_http.http.put(
        LOC1, content=body(samples.location(last_updated="2026-11-02T00:00:00Z")), headers=network.cpo_headers()
    )
    old = samples.location(last_updated="2026-11-01T00:00:00Z", name="Old name")
    response = await hub_http.http.put(LOC1, content=body(old), headers=network.cpo_headers())
    assert response.json()["status_code"] == 1000
    assert "newer" in response.json()["status_message"]
    stored = (await hub_http.http.get(LOC1, headers=network.cpo_headers())).json()["data"]
    assert stored["name"] == "Vincom Center Ba Trieu"
    stale_patch = {"status": "OUTOFORDER", "last_updated": "2026-10-01T00:00:00Z"}
    await hub_http.http.patch(f"{LOC1}/LOC1-E1", json=stale_patch, headers=network.cpo_headers())
    stored = (await hub_http.http.get(LOC1, headers=network.cpo_headers())).json()["data"]
    assert stored["evses"][0]["status"] == "AVAILABLE"
    # Only the first write was relayed.
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 2


async def test_repeated_put_is_idempotent(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    sent = body(samples.location())
    first = await hub_http.http.put(LOC1, content=sent, headers=network.cpo_headers())
    again = await hub_http.http.put(LOC1, content=sent, headers=network.cpo_headers())
    assert (first.status_code, again.status_code) == (201, 200)
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 2  # one per eMSP, not two


async def test_evse_set_to_removed_stays_retrievable(hub_http: Hub, network: Network) -> None:
    await hub_http.http.put(LOC1, content=body(samples.location()), headers=network.cpo_headers())
    await hub_http.http.patch(
        f"{LOC1}/LOC1-E2",
        json={"status": "REMOVED", "last_updated": "2026-11-03T00:00:00Z"},
        headers=network.cpo_headers(),
    )
    pulled = await hub_http.http.get("/ocpi/2.2.1/sender/locations", headers=network.emsp_headers())
    assert [e["status"] for e in pulled.json()["data"][0]["evses"]] == ["AVAILABLE", "REMOVED"]


async def test_case_insensitive_ids(hub_http: Hub, network: Network) -> None:
    await hub_http.http.put(LOC1, content=body(samples.location()), headers=network.cpo_headers())
    patch = {"status": "BLOCKED", "last_updated": "2026-11-03T00:00:00Z"}
    response = await hub_http.http.patch(
        "/ocpi/2.2.1/receiver/locations/vn/cpa/loc1/loc1-e1", json=patch, headers=network.cpo_headers()
    )
    assert response.json()["status_code"] == 1000
    stored = (await hub_http.http.get(LOC1, headers=network.cpo_headers())).json()["data"]
    assert stored["evses"][0]["status"] == "BLOCKED"


@pytest.mark.parametrize(
    ("path", "method", "payload", "expected_status", "names"),
    [
        (LOC1, "PUT", samples.location() | {"time_zone": None}, 2001, "time_zone"),
        (LOC1, "PUT", {k: v for k, v in samples.location().items() if k != "coordinates"}, 2001, "coordinates"),
        (LOC1, "PUT", samples.location() | {"time_zone": "Mars/Olympus"}, 2001, "time_zone"),
        (
            LOC1,
            "PUT",
            samples.location() | {"coordinates": {"latitude": "21.0115", "longitude": "105.8494"}},
            2001,
            "latitude",
        ),
        (LOC1, "PUT", samples.location() | {"address": "x" * 256}, 2001, "address"),
        (LOC1, "PUT", samples.location() | {"country": "VN"}, 2001, "country"),
        (LOC1, "PUT", samples.location() | {"id": "LOC2"}, 2001, "id"),
        (LOC1, "PUT", samples.location() | {"party_id": "CPB"}, 2001, "party_id"),
        ("/ocpi/2.2.1/receiver/locations/VN/CPA/" + "L" * 37, "PUT", samples.location("L" * 37), 2001, "id"),
        (LOC1 + "/LOC1-E1", "PUT", samples.evse("LOC1-E1") | {"status": "FREE"}, 2001, "status"),
        (LOC1 + "/LOC1-E1", "PUT", samples.evse("LOC1-E1") | {"connectors": []}, 2001, "connectors"),
        (LOC1 + "/LOC1-E1/1", "PUT", samples.connector() | {"standard": "TYPE2"}, 2001, "standard"),
        # Found by tests/fuzz: a valid OCPI int the Hub's int32 cannot hold was HTTP 500.
        (LOC1 + "/LOC1-E1/1", "PUT", samples.connector() | {"max_voltage": 99_999_999_999}, 2001, "max_voltage"),
        (LOC1 + "/LOC1-E1", "PATCH", {"status": "CHARGING"}, 2001, "last_updated"),
        (LOC1, "PATCH", {"name": "x", "last_updated": "2026-11-03T00:00:00+02:00"}, 2001, "last_updated"),
    ],
)
async def test_invalid_pushes_are_2001_naming_the_field_and_store_nothing(
    hub_http: Hub,
    network: Network,
    db: asyncpg.Pool,
    path: str,
    method: str,
    payload: object,
    expected_status: int,
    names: str,
) -> None:
    if "/LOC1-E1" in path or method == "PATCH":
        await hub_http.http.put(LOC1, content=body(samples.location()), headers=network.cpo_headers())
    before = await db.fetch("SELECT data FROM locations")
    deliveries = await db.fetchval("SELECT count(*) FROM deliveries")
    response = await hub_http.http.request(method, path, content=body(payload), headers=network.cpo_headers())
    assert response.status_code == 200
    assert response.json()["status_code"] == expected_status, response.json()
    assert names in response.json()["status_message"]
    assert await db.fetch("SELECT data FROM locations") == before
    assert await db.fetchval("SELECT count(*) FROM deliveries") == deliveries


async def test_pushing_under_another_partys_id_is_404(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    other = samples.location() | {"party_id": "EM1"}
    response = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/locations/VN/EM1/LOC1", content=body(other), headers=network.cpo_headers()
    )
    assert response.status_code == 404
    assert response.json()["status_code"] == 2000
    assert await db.fetchval("SELECT count(*) FROM locations") == 0


async def test_evse_under_an_unknown_location_is_2003(hub_http: Hub, network: Network) -> None:
    response = await hub_http.http.put(f"{LOC1}/LOC1-E1", json=samples.evse("LOC1-E1"), headers=network.cpo_headers())
    assert (response.status_code, response.json()["status_code"]) == (200, 2003)
    patch = await hub_http.http.patch(
        LOC1, json={"name": "n", "last_updated": "2026-11-03T00:00:00Z"}, headers=network.cpo_headers()
    )
    assert patch.json()["status_code"] == 2003


async def test_malformed_json_is_http_400(hub_http: Hub, network: Network) -> None:
    response = await hub_http.http.put(LOC1, content=b"{not json", headers=network.cpo_headers())
    assert response.status_code == 400


async def test_concurrent_patches_all_land_and_each_emsp_gets_them_in_order(
    hub_http: Hub, network: Network, delivering: None
) -> None:
    """A storm: the core commits concurrent writes together (core/locations/writes.py). Eight EVSEs of two locations
    change status six times each, all at once: every PATCH lands, each eMSP gets every one with each EVSE's in the
    order sent, the locations show the last, and a bad PATCH in the crowd is refused alone."""
    for n in (1, 2):
        put = await hub_http.http.put(
            f"/ocpi/2.2.1/receiver/locations/VN/CPA/LOC{n}",
            json=samples.location(f"LOC{n}", evses=4),
            headers=network.cpo_headers(),
        )
        assert put.json()["status_code"] == 1000
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 2)
    statuses = ["CHARGING", "AVAILABLE", "BLOCKED", "RESERVED", "OUTOFORDER", "AVAILABLE"]
    evses = [(f"LOC{n}", f"LOC{n}-E{e}") for n in (1, 2) for e in range(1, 5)]

    async def flip(location: str, evse: str) -> list[tuple[int, int]]:
        answers = []
        for step, status in enumerate(statuses):
            body = {"status": status, "last_updated": f"2026-11-01T09:10:{step:02d}Z"}
            response = await hub_http.http.patch(
                f"/ocpi/2.2.1/receiver/locations/VN/CPA/{location}/{evse}", json=body, headers=network.cpo_headers()
            )
            answers.append((response.status_code, response.json()["status_code"]))
        return answers

    async def bad() -> list[tuple[int, int]]:
        body = {"status": "CHARGING", "last_updated": "2026-11-01T09:30:00Z"}
        response = await hub_http.http.patch(f"{LOC1}/NO-SUCH-EVSE", json=body, headers=network.cpo_headers())
        return [(response.status_code, response.json()["status_code"])]

    *flipped, refused = await asyncio.gather(*(flip(*pair) for pair in evses), bad())
    assert all(answers == [(200, 1000)] * len(statuses) for answers in flipped), flipped
    assert refused == [(200, 2003)]
    for emsp in (network.emsp1, network.emsp2):
        await emsp.wait_for(lambda e=emsp: len(e.pushes("locations")) == 2 + len(evses) * len(statuses))
        for location, evse in evses:
            got = [r for r in emsp.pushes("locations") if r.path.endswith(f"/{location}/{evse}")]
            assert [json.loads(r.body)["status"] for r in got] == statuses, (emsp.party_id, evse)
    for location in ("LOC1", "LOC2"):
        stored = await hub_http.http.get(
            f"/ocpi/2.2.1/receiver/locations/VN/CPA/{location}", headers=network.cpo_headers()
        )
        assert [evse["status"] for evse in stored.json()["data"]["evses"]] == [statuses[-1]] * 4


async def test_a_write_that_breaks_its_shared_transaction_fails_alone(
    hub_http: Hub, network: Network, db: asyncpg.Pool
) -> None:
    """Writes committed together (core/locations/writes.py) do not share a failure: when one breaks the batch, the
    others are stored anyway and only the culprit fails. The facade never lets such a write through; here it goes to
    the core directly, as an internal tool might send it."""
    platform = await db.fetchval("SELECT platform_id FROM parties WHERE party_id = 'CPA'")

    def request(location_id: str, latitude: str) -> locations_rpc.UpdateLocationRequest:
        location, _ = to_proto_with_fields(samples.location(location_id), locations_pb2.Location)
        location.coordinates.latitude = latitude
        relay = deliveries_pb2.Message(module="locations", method="PUT", path=f"VN/CPA/{location_id}", body=b"{}")
        return locations_rpc.UpdateLocationRequest(
            location=location, allow_missing=True, caller_platform=f"platforms/{platform}", relay=relay
        )

    calls = [hub_http.core.update_location(request(f"OK{n}", "21.011570")) for n in range(12)]
    calls.append(hub_http.core.update_location(request("BROKEN", "not a number")))
    *good, broken = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(answer, locations_rpc.UpdateLocationResponse) for answer in good), good
    assert isinstance(broken, HubError) and broken.code == grpc.StatusCode.INTERNAL
    assert await db.fetchval("SELECT count(*) FROM locations WHERE id_key LIKE 'OK%'") == 12
    assert await db.fetchval("SELECT count(*) FROM locations WHERE id_key = 'BROKEN'") == 0
