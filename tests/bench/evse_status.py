"""EVSE status PATCH through facade → core → PostgreSQL (with an outbox row per subscribed eMSP), and the lag until
both eMSP simulators have it.

Status storm: closed loop, as fast as the Hub accepts them. Steady freshness: open loop at a fixed rate. The lag of a
PATCH is from the moment the CPO sends it until an eMSP simulator receives it (each eMSP counts once).
"""

from __future__ import annotations

import json
import math
import time

from tests.bench import loadgen
from tests.bench.fixture import LOCATIONS_PATH, STORM_EVSES, STORM_LOCATIONS, Bench
from tests.bench.report import ScenarioResult


def evse_path(n: int) -> str:
    """Consecutive PATCHes go to different locations, as a CPO's traffic does (a location's EVSEs share a row lock)."""
    location, evse = n % STORM_LOCATIONS, (n // STORM_LOCATIONS) % STORM_EVSES
    return f"{LOCATIONS_PATH}/LOC{location}/LOC{location}-E{evse + 1}"


class _Patches:
    """Sends status PATCHes, remembering when each left and which the Hub applied (a stale one is not relayed)."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.sent_at: dict[str, float] = {}
        self.applied: set[str] = set()

    async def __call__(self, n: int) -> tuple[bool, float]:
        stamp = self.bench.clock.next()
        body = json.dumps({"status": "CHARGING" if n % 2 else "AVAILABLE", "last_updated": stamp}).encode()
        self.sent_at[stamp] = time.monotonic()
        answer = await self.bench.load.request("PATCH", evse_path(n), body, self.bench.cpo_headers)
        envelope = json.loads(answer.body) if answer.status == 200 else {}
        if envelope.get("status_message") == "Success":
            self.applied.add(stamp)
        return envelope.get("status_code") == 1000, answer.seconds


async def storm(bench: Bench, result: ScenarioResult, *, patches: int, concurrency: int, seconds: float) -> None:
    sender, arrivals = _Patches(bench), bench.arrivals()
    run = await loadgen.closed_loop(sender, count=patches, concurrency=concurrency, seconds=seconds)
    result.add("accepted_per_s", f"accepted PATCH/s ({concurrency} clients)", run.per_second, "/s")
    for fraction, name in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        result.add(f"request_{name}_ms", f"request {name}", run.percentile(fraction), "ms")
    result.add("failed", "failed PATCHes", run.failures)
    drain = await arrivals.wait(sender.applied, 60)
    lags = arrivals.lags_ms(sender.sent_at)
    result.add("relayed_share", "relayed to both eMSPs", _share(len(lags), 2 * len(sender.applied)), "%")
    result.add("drain_s", "eMSPs caught up after the last", drain, "s")
    result.add("lag_p50_ms", "delivery lag p50", loadgen.percentile(lags, 0.5), "ms")
    result.add("lag_p99_ms", "delivery lag p99", loadgen.percentile(lags, 0.99), "ms")


async def steady(bench: Bench, result: ScenarioResult, *, rate: int, seconds: float) -> None:
    sender, arrivals = _Patches(bench), bench.arrivals()
    run = await loadgen.open_loop(sender, rate=rate, seconds=seconds)
    result.add("sent", f"PATCHes sent at {rate}/s", run.count + run.failures)
    result.add("request_p99_ms", "request p99", run.percentile(0.99), "ms")
    await arrivals.wait(sender.applied, 60)
    lags = arrivals.lags_ms(sender.sent_at)
    result.add("relayed_share", "relayed to both eMSPs", _share(len(lags), 2 * len(sender.applied)), "%")
    result.add("lag_p50_ms", "delivery lag p50", loadgen.percentile(lags, 0.5), "ms")
    result.add("lag_p99_ms", "delivery lag p99", loadgen.percentile(lags, 0.99), "ms")
    result.add("lag_max_ms", "delivery lag max", max(lags, default=math.nan), "ms")


def _share(part: int, whole: int) -> float:
    return 100 * part / whole if whole else math.nan
