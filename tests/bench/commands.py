"""START_SESSION through the Hub: the latency the Hub adds to a command relay, and the CommandResult relay lag.

    python -m tests.bench.commands [--sequential 300] [--concurrent 1000] [--in-flight 50] [--results 200]

1. Direct: the eMSP calls the CPO simulator itself (the baseline: HTTP + the simulator's own time).
2. Via the Hub: eMSP → Hub (checks, command record, response_url rewrite) → CPO simulator → Hub (answer recorded)
   → eMSP, one at a time and then with `--in-flight` requests in flight. Hub-added = via Hub minus direct.
3. Result lag: the CPO posts each CommandResult to the Hub's response_url; the time until the eMSP simulator has it.
Everything runs on loopback (core and facade as real processes) and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable

import uvloop

from tests.bench.harness import BenchHub, parties, running_hub, token_header
from tests.e2e import samples
from tests.simulators.party import PartySimulator

EVSES = 10


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(label: str, seconds: list[float], wall: float | None = None) -> tuple[float, float]:
    ms = [s * 1000 for s in seconds]
    p50, p99 = percentile(ms, 0.50), percentile(ms, 0.99)
    rate = f", {len(ms) / wall:.0f}/s" if wall else ""
    print(f"{label:<44} n={len(ms):<5} p50 {p50:7.2f} ms  p95 {percentile(ms, 0.95):7.2f}  p99 {p99:7.2f}{rate}")
    return p50, p99


async def timed(count: int, in_flight: int, call: Callable[[int], Awaitable[None]]) -> tuple[list[float], float]:
    """Runs call(0..count-1) with at most `in_flight` at once; returns each call's duration and the wall time."""
    durations: list[float] = []
    next_n = iter(range(count))

    async def worker() -> None:
        for n in next_n:
            started = time.perf_counter()
            await call(n)
            durations.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(in_flight))), timeout=300)
    return durations, time.perf_counter() - started


async def arrival(sim: PartySimulator, index: int) -> float:
    """When the simulator received its `index`-th request (time.monotonic())."""
    await sim.wait_for(lambda: len(sim.received) > index)
    return sim.received[index].at


def start_session(emsp: PartySimulator, n: int) -> dict[str, object]:
    return {
        "response_url": f"{emsp.base_url}/ocpi/2.2.1/commands/results/{n}",
        "token": samples.token(),
        "location_id": "LOC1",
        "evse_uid": f"LOC1-E{n % EVSES + 1}",
        "connector_id": "1",
    }


async def setup(hub: BenchHub, cpo: PartySimulator, emsp: PartySimulator) -> tuple[dict[str, str], dict[str, str]]:
    cpo_token, emsp_token = await hub.register(cpo), await hub.register(emsp)
    cpo_headers = {**token_header(cpo_token), "OCPI-to-country-code": "VN", "OCPI-to-party-id": "HUB"}
    answer = await hub.http.put(
        f"{hub.url}/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1",
        json=samples.location("LOC1", evses=EVSES),
        headers=cpo_headers,
    )
    assert answer.json()["status_code"] == 1000, answer.text
    cpo_headers |= {"OCPI-to-country-code": "VN", "OCPI-to-party-id": "EM1"}
    emsp_headers = {**token_header(emsp_token), "OCPI-from-country-code": "VN", "OCPI-from-party-id": "EM1"}
    return cpo_headers, emsp_headers


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--concurrent", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--results", type=int, default=200)
    args = parser.parse_args()
    async with running_hub() as hub, parties(count_emsps=1) as (cpo, [emsp]):
        cpo_headers, emsp_headers = await setup(hub, cpo, emsp)
        direct_url = f"{cpo.base_url}/ocpi/2.2.1/commands/START_SESSION"
        hub_url = f"{hub.url}/ocpi/2.2.1/receiver/commands/START_SESSION"
        cpo_auth = token_header(cpo.token_b)

        async def direct(n: int) -> None:
            answer = await hub.http.post(direct_url, json=start_session(emsp, n), headers=cpo_auth)
            assert answer.json()["data"]["result"] == "ACCEPTED"

        async def via_hub(n: int) -> None:
            answer = await hub.http.post(hub_url, json=start_session(emsp, n), headers=emsp_headers)
            assert answer.json()["data"]["result"] == "ACCEPTED", answer.text

        await timed(50, 10, via_hub)  # warm-up: connections, caches
        print(
            f"START_SESSION relay (ms); CPO simulator answers ACCEPTED at once; {args.in_flight} in flight = concurrent"
        )
        base = report("direct to the CPO, sequential", (await timed(args.sequential, 1, direct))[0])
        hub_seq = report("via the Hub, sequential", (await timed(args.sequential, 1, via_hub))[0])
        base_c = report(
            f"direct to the CPO, {args.in_flight} in flight", *await timed(args.concurrent, args.in_flight, direct)
        )
        hub_c = report(
            f"via the Hub, {args.in_flight} in flight", *await timed(args.concurrent, args.in_flight, via_hub)
        )
        print(f"Hub-added, sequential:   p50 {hub_seq[0] - base[0]:.2f} ms, p99 {hub_seq[1] - base[1]:.2f} ms")
        added_p50, added_p99 = hub_c[0] - base_c[0], hub_c[1] - base_c[1]
        print(f"Hub-added, {args.in_flight} in flight: p50 {added_p50:.2f} ms, p99 {added_p99:.2f} ms")

        # Result lag: every command relayed so far has the Hub's response_url in the CPO simulator's log.
        sent = [json.loads(r.body)["response_url"] for r in cpo.received if r.path.endswith("/commands/START_SESSION")]
        hub_urls = [url for url in sent if url.startswith(hub.url)][: args.results]
        lags: list[float] = []
        for url in hub_urls:
            before = len(emsp.received)
            started = time.monotonic()  # the simulator stamps arrivals with the same clock
            answer = await hub.http.post(url, json={"result": "ACCEPTED"}, headers=cpo_headers)
            assert answer.json()["status_code"] == 1000, answer.text
            lags.append(await arrival(emsp, before) - started)
        report("CommandResult: CPO POST → eMSP has it", lags)


if __name__ == "__main__":
    uvloop.run(main())
