"""QR resolve (POST /api/v1/qr-resolve) through facade → core → PostgreSQL: p95 at a steady rate (open loop) and the
most it sustains (closed loop). Codes are half standard (evcharge://) and half the CPO's registry codes, over 200
connectors of the pull store's locations (never PATCHed, so AVAILABLE: an occupied connector answers 409). The Hub
runs with HUB_QR_RATE_LIMIT=0 (the limit would cap saturation).
"""

from __future__ import annotations

import csv
import io
import json

from core.qr import registry
from ocpihub.qr.v1 import qr_service_pb2 as qr_rpc
from ocpihub.types.v1 import types_pb2
from tests.bench import loadgen
from tests.bench.fixture import Bench
from tests.bench.report import ScenarioResult

LOCATIONS, EVSES = 67, 3


async def import_codes(bench: Bench) -> list[str]:
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(registry.CSV_COLUMNS)
    codes = []
    for n in range(LOCATIONS):
        location = f"PULL{n:05d}"
        for e in range(1, EVSES + 1):
            codes.append(f"evcharge://VN/CPA/{location}/{location}-E{e}/1")
            codes.append(f"CPA-{n:03d}-{e:02d}")
            writer.writerow([codes[-1], "VN", "CPA", location, f"{location}-E{e}", "1", "", "22", "IEC_62196_T2"])
    imported = await bench.hub.core.import_qr_registry(
        qr_rpc.ImportQrRegistryRequest(
            cpo=types_pb2.PartyRef(country_code="VN", party_id="CPA"),
            format=qr_rpc.REGISTRY_FORMAT_CSV,
            content=rows.getvalue().encode(),
        )
    )
    assert imported.imported == LOCATIONS * EVSES, imported
    return codes


async def run(
    bench: Bench, result: ScenarioResult, *, rate: int, seconds: float, requests: int, concurrency: int
) -> None:
    codes = await import_codes(bench)
    headers = {"Authorization": bench.emsp_headers["Authorization"]}
    bodies = [
        json.dumps({"qr_data": code, "scanned_at": "2026-11-28T10:00:00Z", "app_id": "bench"}).encode()
        for code in codes
    ]

    async def resolve(n: int) -> tuple[bool, float]:
        answer = await bench.load.request("POST", "/api/v1/qr-resolve", bodies[n % len(bodies)], headers)
        return answer.status == 200, answer.seconds

    await loadgen.closed_loop(resolve, count=100, concurrency=4, seconds=10)  # warm-up
    steady = await loadgen.open_loop(resolve, rate=rate, seconds=seconds)
    result.add("p95_at_rate_ms", f"p95 at {rate} req/s", steady.percentile(0.95), "ms")
    saturated = await loadgen.closed_loop(resolve, count=requests, concurrency=concurrency, seconds=seconds)
    result.add("saturation_per_s", f"req/s at saturation ({concurrency} clients)", saturated.per_second, "/s")
    result.add("saturation_p95_ms", "p95 at saturation", saturated.percentile(0.95), "ms")
    result.add("failed", "not 200", steady.failures + saturated.failures)
