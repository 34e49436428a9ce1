"""QR resolution (seed §5.6.9-5.6.10): an eMSP app sends what the driver scanned; the Hub answers with the connector,
its live availability, or one of the seed's error codes. Legacy codes come from a registry, a CPO's mapping API
(real HTTP simulator) with fallback to cached answers, or a pattern."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from facade.app import create_app
from facade.settings import Settings
from hubclient import HubClient
from ocpihub.qr.v1 import qr_pb2
from ocpihub.qr.v1 import qr_service_pb2 as qr_rpc
from ocpihub.types.v1 import types_pb2
from simulators import loopback
from simulators.qr_api import QrApiSimulator
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, token_header
from tests.e2e.test_observability import value

LOC1 = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"
hubctl = test_hubctl.hubctl
CPA = types_pb2.PartyRef(country_code="VN", party_id="CPA", role="CPO")
EXPECTED = {
    "country_code": "VN",
    "party_id": "CPA",
    "location_id": "LOC1",
    "evse_uid": "LOC1-E1",
    "connector_id": "1",
    "location_name": "Vincom Center Ba Trieu",
    "connector_type": "IEC_62196_T2",
    "power_kw": 22,
    "availability": "AVAILABLE",
}


@pytest.fixture
async def located(hub_http: Hub, network: Network) -> Network:
    answer = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    assert answer.json()["status_code"] == 1000
    return network


async def resolve(hub_http: Hub, network: Network, qr_data: str, **fields: Any) -> httpx.Response:
    body = {"qr_data": qr_data, "scanned_at": "2026-11-28T10:00:00Z", "app_id": "em1-app", **fields}
    return await hub_http.http.post("/api/v1/qr-resolve", json=body, headers=token_header(network.emsp1_token))


def error_of(answer: httpx.Response) -> tuple[int, str]:
    body = answer.json()
    assert body["status"] == "error" and body["message"] and body["timestamp"].endswith("Z"), body
    return answer.status_code, body["error_code"]


async def test_standard_and_https_codes_resolve_with_live_availability(hub_http: Hub, located: Network) -> None:
    answer = await resolve(hub_http, located, "evcharge://VN/CPA/LOC1/LOC1-E1/1?network=hub")
    assert answer.status_code == 200
    assert answer.json()["status"] == "success"
    assert answer.json()["data"] == EXPECTED
    https = await resolve(hub_http, located, f"{hub_http.url}/charge?cpo=CPA&loc=LOC1&evse=LOC1-E1&conn=1")
    assert https.json()["data"] == EXPECTED

    # The driver's neighbour starts charging: the same code now says the connector is busy.
    patch = {"status": "CHARGING", "last_updated": "2026-11-28T10:00:00Z"}
    await hub_http.http.patch(f"{LOC1}/LOC1-E1", json=patch, headers=located.cpo_headers())
    busy = await resolve(hub_http, located, "evcharge://VN/CPA/LOC1/LOC1-E1/1")
    assert error_of(busy) == (409, "CONNECTOR_UNAVAILABLE")
    assert busy.json()["data"]["availability"] == "CHARGING"
    patch = {"status": "AVAILABLE", "last_updated": "2026-11-28T10:20:00Z"}
    await hub_http.http.patch(f"{LOC1}/LOC1-E1", json=patch, headers=located.cpo_headers())
    assert (await resolve(hub_http, located, "evcharge://VN/CPA/LOC1/LOC1-E1/1")).status_code == 200


@pytest.mark.parametrize(
    ("qr_data", "expected"),
    [
        ("evcharge://VN/CPA/LOC1/LOC1-E1", (400, "QR_INVALID_FORMAT")),
        ("evcharge://VN/CPA/LOC1/LOC1-E9/1", (404, "EVSE_NOT_FOUND")),
        ("evcharge://VN/CPA/LOC1/LOC1-E1/7", (404, "EVSE_NOT_FOUND")),
        ("evcharge://VN/CPA/NOWHERE/E1/1", (404, "EVSE_NOT_FOUND")),
        ("SOMEONE-ELSES-CODE-42", (404, "QR_NOT_FOUND")),
        ("x" * 257, (400, "QR_INVALID_FORMAT")),
    ],
)
async def test_error_codes(hub_http: Hub, located: Network, qr_data: str, expected: tuple[int, str]) -> None:
    assert error_of(await resolve(hub_http, located, qr_data)) == expected


async def test_bad_requests_and_callers(hub_http: Hub, located: Network) -> None:
    no_time = await hub_http.http.post(
        "/api/v1/qr-resolve",
        json={"qr_data": "evcharge://VN/CPA/LOC1/LOC1-E1/1"},
        headers=token_header(located.emsp1_token),
    )
    assert error_of(no_time) == (400, "QR_INVALID_FORMAT")
    assert "scanned_at" in no_time.json()["message"]
    anonymous = await hub_http.http.post(
        "/api/v1/qr-resolve", json={"qr_data": "x", "scanned_at": "2026-11-28T10:00:00Z"}
    )
    assert error_of(anonymous) == (401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    "body",
    [
        b'{"qr_data":"\xffhttps://hub.example/charge?cpo=VN*CPA&loc=LOC1","scanned_at":"2026-11-01T08:00:00Z"}',
        b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
)
async def test_bodies_that_are_no_json_are_invalid_format(hub_http: Hub, located: Network, body: bytes) -> None:
    # Found by tests/fuzz: bytes that are not UTF-8, and nesting past the recursion limit, were HTTP 500.
    answer = await hub_http.http.post("/api/v1/qr-resolve", content=body, headers=token_header(located.emsp1_token))
    assert error_of(answer) == (400, "QR_INVALID_FORMAT")


async def test_rate_limit_per_caller(hub_http: Hub, located: Network, core_address: str, redis_url: str) -> None:
    rate = 2  # a bucket of 2, refilled 2 a second
    settings = Settings(environment="sandbox", core_address=core_address, redis_url=redis_url, qr_rate_limit=rate)
    body = {"qr_data": "evcharge://VN/CPA/LOC1/LOC1-E1/1", "scanned_at": "2026-11-28T10:00:00Z"}
    async with (
        HubClient(core_address) as client,
        loopback.serve(create_app(settings, client)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        started = time.monotonic()
        answers = await asyncio.gather(
            *(http.post("/api/v1/qr-resolve", json=body, headers=token_header(located.emsp1_token)) for _ in range(20))
        )
        elapsed = time.monotonic() - started
        # Another caller draws on its own bucket, however empty EM1's is.
        other = await http.post("/api/v1/qr-resolve", json=body, headers=token_header(located.emsp2_token))
    statuses = [a.status_code for a in answers]
    assert set(statuses) == {200, 429}, statuses
    # However slow the machine, no more got through than the bucket held plus what it refilled meanwhile.
    assert statuses.count(200) <= rate + rate * elapsed, (statuses, elapsed)
    refused = next(a for a in answers if a.status_code == 429)
    assert error_of(refused) == (429, "RATE_LIMIT_EXCEEDED")
    assert refused.headers["retry-after"] == "1"
    assert other.status_code == 200, other.text


def registry_csv(*rows: tuple[str, ...]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "qr_code",
            "country_code",
            "party_id",
            "location_id",
            "evse_uid",
            "connector_id",
            "location_name",
            "power_kw",
            "connector_type",
        ]
    )
    writer.writerows(rows)
    return out.getvalue().encode()


async def test_registry_import_is_all_or_nothing(hub_http: Hub, located: Network) -> None:
    good = ("CPA-0001", "VN", "CPA", "LOC1", "LOC1-E1", "1", "Trạm CPA 1", "22.0", "IEC_62196_T2")
    bad = registry_csv(
        good,
        ("CPA-0002", "VN", "CPA", "LOC1", "LOC1-E9", "1", "", "", ""),
        ("CPA-0003", "VN", "XYZ", "LOC1", "LOC1-E2", "1", "", "", ""),
        ("CPA-0001", "VN", "CPA", "LOC1", "LOC1-E2", "1", "", "", ""),
        ("CPA-0004", "VN", "CPA", "LOC1", "LOC1-E2", "1", "", "fast", ""),
    )
    refused = await hub_http.core.import_qr_registry(
        qr_rpc.ImportQrRegistryRequest(cpo=CPA, format=qr_rpc.REGISTRY_FORMAT_CSV, content=bad)
    )
    assert refused.imported == 0
    assert [(p.row, p.qr_code) for p in refused.problems] == [
        (2, "CPA-0002"),
        (3, "CPA-0003"),
        (4, "CPA-0001"),
        (5, "CPA-0004"),
    ]
    assert "no EVSE LOC1-E9" in refused.problems[0].problem
    assert error_of(await resolve(hub_http, located, "CPA-0001")) == (404, "QR_NOT_FOUND")  # nothing half-imported

    accepted = await hub_http.core.import_qr_registry(
        qr_rpc.ImportQrRegistryRequest(cpo=CPA, format=qr_rpc.REGISTRY_FORMAT_CSV, content=registry_csv(good))
    )
    assert (accepted.imported, list(accepted.problems)) == (1, [])
    answer = await resolve(hub_http, located, "CPA-0001")
    assert answer.json()["data"] == EXPECTED

    document = {
        "qr_registry": [
            {
                "qr_code": "CPA-JSON-2",
                "ocpi": {
                    "country_code": "VN",
                    "party_id": "CPA",
                    "location_id": "LOC1",
                    "evse_uid": "LOC1-E2",
                    "connector_id": "1",
                },
                "metadata": {"location_name": "Trạm CPA 1", "power_kw": 22.0, "connector_type": "IEC_62196_T2"},
            }
        ]
    }
    replaced = await hub_http.core.import_qr_registry(
        qr_rpc.ImportQrRegistryRequest(
            cpo=CPA, format=qr_rpc.REGISTRY_FORMAT_JSON, content=json.dumps(document).encode()
        )
    )
    assert replaced.imported == 1
    assert (await resolve(hub_http, located, "CPA-JSON-2")).json()["data"]["evse_uid"] == "LOC1-E2"
    # An import replaces the CPO's registry.
    assert error_of(await resolve(hub_http, located, "CPA-0001")) == (404, "QR_NOT_FOUND")


@pytest.fixture
async def qr_api(hub_http: Hub) -> AsyncIterator[QrApiSimulator]:
    sim = QrApiSimulator()
    sock = loopback.bind_loopback()
    sim.base_url = loopback.url_of(sock)
    async with loopback.serve(sim.app(), sock):
        await hub_http.core.set_qr_mapping_api(
            qr_rpc.SetQrMappingApiRequest(cpo=CPA, url=sim.url, api_key=sim.api_key, code_prefix="CPA-")
        )
        yield sim


def api_data(evse_uid: str = "LOC1-E1") -> dict[str, Any]:
    return {
        "country_code": "VN",
        "party_id": "CPA",
        "location_id": "LOC1",
        "evse_uid": evse_uid,
        "connector_id": "1",
        "location_name": "Trạm CPA 1",
        "connector_type": "IEC_62196_T2",
        "power_kw": 22.0,
        "availability": "AVAILABLE",
    }


async def test_mapping_api_answers_and_is_cached_for_when_it_is_down(
    hub_http: Hub, located: Network, qr_api: QrApiSimulator
) -> None:
    outcomes = ("answered", "timeout", "error", "not_found")
    before = [value("ocpihub_qr_mapping_api_calls_total", party="VN/CPA", outcome=o) for o in outcomes]
    timed_before = value("ocpihub_qr_mapping_api_duration_seconds_count", party="VN/CPA")
    qr_api.codes["CPA-STATION-1-A"] = api_data()
    answer = await resolve(hub_http, located, "CPA-STATION-1-A")
    assert answer.json()["data"] == EXPECTED  # names and status from Locations, ids from the CPO's API
    headers, body = qr_api.received[0]
    assert headers["authorization"] == "Bearer cpo-secret-key"
    assert body == {"qr_data": "CPA-STATION-1-A", "scanned_at": "2026-11-28T10:00:00Z", "app_id": "em1-app"}

    qr_api.delay = 1.0  # longer than the Hub waits (0.5 s in tests)
    cached = await resolve(hub_http, located, "CPA-STATION-1-A")
    assert cached.json()["data"] == EXPECTED
    assert error_of(await resolve(hub_http, located, "CPA-NEVER-SEEN")) == (504, "API_TIMEOUT")

    qr_api.delay, qr_api.fail_with = 0, 503
    assert (await resolve(hub_http, located, "CPA-STATION-1-A")).status_code == 200
    qr_api.fail_with = None
    assert error_of(await resolve(hub_http, located, "CPA-UNKNOWN")) == (404, "QR_NOT_FOUND")

    # Each call counted by outcome (what the availability alert divides) and timed (the p95 alert's histogram).
    after = [value("ocpihub_qr_mapping_api_calls_total", party="VN/CPA", outcome=o) for o in outcomes]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 2, 1, 1]
    assert value("ocpihub_qr_mapping_api_duration_seconds_count", party="VN/CPA") - timed_before == 5


async def test_mapping_api_answer_must_exist_in_locations(
    hub_http: Hub, located: Network, qr_api: QrApiSimulator
) -> None:
    qr_api.codes["CPA-GHOST"] = api_data(evse_uid="LOC1-E77")
    assert error_of(await resolve(hub_http, located, "CPA-GHOST")) == (404, "EVSE_NOT_FOUND")
    found = await hub_http.core.resolve_qr(qr_rpc.ResolveQrRequest(qr_data="evcharge://VN/CPA/LOC1/LOC1-E2/1"))
    assert found.resolution.source == qr_pb2.QR_SOURCE_STANDARD


async def test_charge_page_for_https_codes(hub_http: Hub, located: Network) -> None:
    page = await hub_http.http.get("/charge", params={"cpo": "CPA", "loc": "LOC1", "evse": "LOC1-E1", "conn": "1"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Vincom Center Ba Trieu" in page.text
    assert "Sẵn sàng / Available" in page.text
    assert 'href="evcharge://VN/CPA/LOC1/LOC1-E1/1"' in page.text
    missing = await hub_http.http.get("/charge", params={"cpo": "CPA", "loc": "LOC1", "evse": "NOPE", "conn": "1"})
    assert missing.status_code == 404
    assert "no EVSE NOPE" in missing.text
    broken = await hub_http.http.get("/charge", params={"cpo": "CPA", "loc": "<script>"})
    assert broken.status_code == 400
    assert "<script>" not in broken.text


SEED_PATTERN = """
cpo_qr_format:
  name: "CPA QR Code Format"
  version: "1.0"
  pattern: "{prefix}-{station_code}-{port_id}"
  components:
    prefix:
      description: "CPO identifier"
      value: "CPO-CPA"
      fixed: true
    station_code:
      description: "Station identifier"
      format: "STATION-{nnn}"
      example: "STATION-001"
      mapping:
        field: "location_id"
        ocpi_format: "{station_code}"
    port_id:
      description: "Port/Connector identifier"
      format: "PORT-{A-Z}"
      example: "PORT-A"
      mapping:
        evse_uid: "EVSE-{port_letter}"
        connector_id: "1"
  examples:
    - qr_code: "CPO-CPA-STATION-001-PORT-A"
      ocpi_mapping:
        {country_code: "VN", party_id: "CPA", location_id: "STATION-001", evse_uid: "EVSE-A", connector_id: "1"}
"""


def station(location_id: str = "STATION-001", ports: str = "AB") -> dict[str, Any]:
    data = samples.location(location_id, evses=len(ports))
    for evse, port in zip(data["evses"], ports, strict=True):
        evse["uid"] = f"EVSE-{port}"
    return data


async def test_pattern_codes_resolve_and_check(hub_http: Hub, network: Network, hubctl: Hubctl, tmp_path: Any) -> None:
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/locations/VN/CPA/STATION-001", json=station(), headers=network.cpo_headers()
    )
    spec = tmp_path / "cpa.yaml"
    spec.write_text(SEED_PATTERN, encoding="utf-8")
    stored = await hubctl("qr", "pattern", "VN/CPA", str(spec))
    assert stored.code == 0, stored.stderr
    assert "1 examples map" in stored.stdout

    answer = await resolve(hub_http, network, "CPO-CPA-STATION-001-PORT-B")
    assert answer.json()["data"]["evse_uid"] == "EVSE-B"
    assert error_of(await resolve(hub_http, network, "CPO-CPA-STATION-001-PORT-C")) == (404, "EVSE_NOT_FOUND")
    assert error_of(await resolve(hub_http, network, "CPO-CPA-STATION-1-PORT-A")) == (404, "QR_NOT_FOUND")

    # The pattern covers STATION-001's ports; a location outside it, and a registry row for a removed EVSE, do not.
    await hub_http.http.put(LOC1, json=samples.location(evses=1), headers=network.cpo_headers())
    registry = tmp_path / "cpa.csv"
    registry.write_bytes(registry_csv(("OLD-1", "VN", "CPA", "STATION-001", "EVSE-B", "1", "", "", "")))
    imported = await hubctl("qr", "import", "VN/CPA", str(registry))
    assert imported.code == 0, imported.stderr
    removed = {"status": "REMOVED", "last_updated": "2026-11-28T10:00:00Z"}
    await hub_http.http.patch(
        "/ocpi/2.2.1/receiver/locations/VN/CPA/STATION-001/EVSE-B", json=removed, headers=network.cpo_headers()
    )
    checked = await hubctl("qr", "check", "VN/CPA", "--json")
    assert checked.code == 0, checked.stderr
    assert json.loads(checked.stdout) == {
        "without_code": ["VN/CPA/LOC1/LOC1-E1/1"],
        "dangling": [{"code": "OLD-1", "target": "VN/CPA/STATION-001/EVSE-B/1", "source": "registry"}],
    }
    plain = await hubctl("qr", "check", "VN/CPA")
    assert "connectors without a code (1):" in plain.stdout
    assert "OLD-1" in plain.stdout


async def test_hubctl_refuses_bad_specs_and_registries(
    hub_http: Hub, network: Network, hubctl: Hubctl, tmp_path: Any
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        SEED_PATTERN.replace("{port_letter}", "{port_number}").replace('connector_id: "1"', "connector_id: 1")
    )
    refused = await hubctl("qr", "pattern", "VN/CPA", str(spec))
    assert refused.code == 1
    assert "spec_yaml" in refused.stderr
    registry = tmp_path / "cpa.csv"
    registry.write_bytes(registry_csv(("X-1", "VN", "CPA", "NOWHERE", "E1", "1", "", "", "")))
    rows = await hubctl("qr", "import", "VN/CPA", str(registry))
    assert rows.code == 1
    assert "NOWHERE" in rows.stdout and "nothing was imported" in rows.stderr
    resolved = await hubctl("qr", "resolve", "evcharge://VN/CPA/NOWHERE/E1/1")
    assert resolved.code == 1
    assert "not in Locations" in resolved.stderr
