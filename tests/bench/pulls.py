"""Pulls: an eMSP GETs pages of 100 locations (OCPI offset/limit) from the Hub's store of 10,000+ full locations."""

from __future__ import annotations

import json
import random

from tests.bench import loadgen
from tests.bench.fixture import Bench
from tests.bench.report import ScenarioResult

PAGE = 100


async def run(
    bench: Bench, result: ScenarioResult, *, store: int, pages: int, concurrency: int, seconds: float
) -> None:
    offsets = random.Random(8).choices(range(0, max(1, store - PAGE)), k=pages)
    sizes: list[int] = []

    async def get_page(n: int) -> tuple[bool, float]:
        path = f"/ocpi/2.2.1/sender/locations?offset={offsets[n]}&limit={PAGE}"
        answer = await bench.load.request("GET", path, headers=bench.puller_headers)
        ok = answer.status == 200 and len(json.loads(answer.body)["data"]) == PAGE
        sizes.append(len(answer.body))
        return ok, answer.seconds

    run = await loadgen.closed_loop(get_page, count=pages, concurrency=concurrency, seconds=seconds)
    kb = sum(sizes) / len(sizes) / 1024 if sizes else 0
    result.add("pages_per_s", f"pages/s ({PAGE} locations, {kb:.0f} KB)", run.per_second, "/s")
    result.add("p50_ms", "request p50", run.percentile(0.5), "ms")
    result.add("p99_ms", "request p99", run.percentile(0.99), "ms")
    result.add("failed", "failed pages", run.failures)
