"""QR resolve (POST /api/v1/qr-resolve) through facade → core → PostgreSQL: latency at a steady rate and the most it
sustains (seed §5.6.9: p95 < 500 ms, at least 100 req/s).

    python -m tests.bench.qr_resolve [--rate 100] [--seconds 10] [--requests 3000] [--concurrency 32]

Codes are half standard (evcharge://) and half a CPO's registry codes, over 200 connectors. Everything runs on
loopback and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import logging
import time

import uvloop

from core.qr import registry
from ocpihub.qr.v1 import qr_service_pb2 as qr_rpc
from ocpihub.types.v1 import types_pb2
from tests.bench.harness import BenchHub, parties, running_hub, token_header
from tests.e2e import samples

LOCATIONS, EVSES = 20, 10


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def setup(hub: BenchHub) -> tuple[dict[str, str], list[str]]:
    async with parties(count_emsps=1) as (cpo, [emsp]):
        cpo_token, emsp_token = await hub.register(cpo), await hub.register(emsp)
    headers = {**token_header(cpo_token), "OCPI-to-country-code": "VN", "OCPI-to-party-id": "HUB"}
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(registry.CSV_COLUMNS)
    codes = []
    for n in range(LOCATIONS):
        answer = await hub.http.put(
            f"{hub.url}/ocpi/2.2.1/receiver/locations/VN/CPA/LOC{n}",
            json=samples.location(f"LOC{n}", evses=EVSES),
            headers=headers,
        )
        assert answer.json()["status_code"] == 1000, answer.text
        for e in range(1, EVSES + 1):
            codes.append(f"evcharge://VN/CPA/LOC{n}/LOC{n}-E{e}/1")
            codes.append(f"CPA-{n:03d}-{e:02d}")
            writer.writerow([codes[-1], "VN", "CPA", f"LOC{n}", f"LOC{n}-E{e}", "1", "", "22", "IEC_62196_T2"])
    imported = await hub.core.import_qr_registry(
        qr_rpc.ImportQrRegistryRequest(
            cpo=types_pb2.PartyRef(country_code="VN", party_id="CPA"),
            format=qr_rpc.REGISTRY_FORMAT_CSV,
            content=rows.getvalue().encode(),
        )
    )
    assert imported.imported == LOCATIONS * EVSES, imported
    return token_header(emsp_token), codes


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    async with running_hub(env={"HUB_QR_RATE_LIMIT": "0"}) as hub:
        headers, codes = await setup(hub)
        url = f"{hub.url}/api/v1/qr-resolve"
        failures = 0

        async def one(n: int) -> float:
            nonlocal failures
            body = {"qr_data": codes[n % len(codes)], "scanned_at": "2026-11-28T10:00:00Z", "app_id": "bench"}
            started = time.perf_counter()
            answer = await hub.http.post(url, json=body, headers=headers)
            if answer.status_code != 200:
                failures += 1
            return time.perf_counter() - started

        for n in range(100):  # warm-up
            await one(n)
        # Open loop: requests leave on schedule whether or not earlier ones have come back.
        total, started = args.rate * args.seconds, time.monotonic()

        async def scheduled(n: int) -> float:
            await asyncio.sleep(max(0.0, started + n / args.rate - time.monotonic()))
            return await one(n)

        ms = [s * 1000 for s in await asyncio.wait_for(asyncio.gather(*(scheduled(n) for n in range(total))), 120)]
        print(
            f"QR resolve at {args.rate} req/s for {args.seconds} s: {len(ms)} sent, {failures} not 200;"
            f" p50 {percentile(ms, 0.5):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms,"
            f" max {max(ms):.1f} ms"
        )
        # Closed loop: as fast as `concurrency` clients can go.
        failures, next_n = 0, iter(range(args.requests))

        async def client() -> list[float]:
            return [await one(n) for n in next_n]

        started = time.monotonic()
        results = await asyncio.wait_for(asyncio.gather(*(client() for _ in range(args.concurrency))), 300)
        wall = time.monotonic() - started
        ms = [s * 1000 for batch in results for s in batch]
        print(
            f"QR resolve, {args.concurrency} clients: {len(ms) / wall:.0f} req/s sustained ({len(ms)} in {wall:.1f} s,"
            f" {failures} not 200); p50 {percentile(ms, 0.5):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms"
        )


if __name__ == "__main__":
    uvloop.run(main())
