"""Location pushes: a CPO PUTs full locations (3 EVSEs x 2 connectors, ~3.5 KB) as fast as the Hub takes them; each
new location is stored and queued for both subscribed eMSPs."""

from __future__ import annotations

import json

from tests.bench import loadgen, payloads
from tests.bench.fixture import LOCATIONS_PATH, Bench
from tests.bench.report import ScenarioResult


def location_body(n: int) -> bytes:
    return payloads.encode(payloads.full_location(f"PUSH{n:05d}"))


async def run(bench: Bench, result: ScenarioResult, *, count: int, concurrency: int, seconds: float) -> None:
    bodies = [location_body(n) for n in range(count)]
    arrivals = bench.arrivals()

    async def put(n: int) -> tuple[bool, float]:
        answer = await bench.load.request("PUT", f"{LOCATIONS_PATH}/PUSH{n:05d}", bodies[n], bench.cpo_headers)
        return answer.status in (200, 201) and json.loads(answer.body)["status_code"] == 1000, answer.seconds

    run = await loadgen.closed_loop(put, count=count, concurrency=concurrency, seconds=seconds)
    result.add("per_s", f"PUT/s ({len(bodies[0]) / 1024:.1f} KB, {concurrency} clients)", run.per_second, "/s")
    result.add("p50_ms", "request p50", run.percentile(0.5), "ms")
    result.add("p99_ms", "request p99", run.percentile(0.99), "ms")
    result.add("failed", "failed PUTs", run.failures)
    # The broadcasts go out before the next scenario starts, so they do not load it.
    drain = await arrivals.wait({f"PUSH{n:05d}" for n in range(run.count)}, 60)
    result.add("drain_s", "eMSPs caught up after the last", drain, "s")
