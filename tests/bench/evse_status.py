"""EVSE status PATCH through facade → core → PostgreSQL (with outbox rows), and the lag to the eMSPs.

    python -m tests.bench.evse_status [--patches 2000] [--concurrency 32] [--rates 100,200] [--seconds 10]

1. Throughput: `--patches` PATCHes as fast as `--concurrency` clients can send them (closed loop).
2. Lag: PATCHes at each steady rate in `--rates` per second for `--seconds` (open loop); for each, the time from the CPO
   sending it to each eMSP simulator receiving it. Prints p50/p95/p99/max.
Everything runs on loopback and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import httpx
import uvloop

from tests.bench.harness import BenchHub, parties, running_hub, token_header
from tests.e2e import samples
from tests.simulators.party import PartySimulator

LOCATIONS, EVSES_PER_LOCATION = 20, 10


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Clock:
    """Strictly increasing last_updated values, so no PATCH is refused as stale."""

    def __init__(self) -> None:
        self._base = datetime(2026, 11, 2, tzinfo=UTC)  # after the pushed locations: nothing is stale
        self._n = 0

    def next(self) -> str:
        self._n += 1
        return (self._base + timedelta(milliseconds=self._n)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def evse_path(n: int) -> str:
    location, evse = divmod(n % (LOCATIONS * EVSES_PER_LOCATION), EVSES_PER_LOCATION)
    return f"/ocpi/2.2.1/receiver/locations/VN/CPA/LOC{location}/LOC{location}-E{evse + 1}"


async def setup(hub: BenchHub, cpo: PartySimulator, emsps: list[PartySimulator]) -> dict[str, str]:
    token = await hub.register(cpo)
    for emsp in emsps:
        await hub.register(emsp)
    headers = {**token_header(token), "OCPI-to-country-code": "VN", "OCPI-to-party-id": "HUB"}
    for n in range(LOCATIONS):
        data = samples.location(f"LOC{n}", evses=EVSES_PER_LOCATION)
        data["party_id"] = "CPA"
        answer = await hub.http.put(
            f"{hub.url}/ocpi/2.2.1/receiver/locations/VN/CPA/LOC{n}", json=data, headers=headers
        )
        assert answer.json()["status_code"] == 1000, answer.text
    return headers


async def drain(emsps: list[PartySimulator], expected: int, deadline: float) -> None:
    """Polls the simulators' records (they have no event to wait on) until each eMSP has `expected` pushes."""
    while time.monotonic() < deadline and any(len(e.pushes("locations")) < expected for e in emsps):  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def throughput(hub: BenchHub, headers: dict[str, str], clock: Clock, patches: int, concurrency: int) -> None:
    queue = iter(range(patches))
    failures = 0

    async def client() -> None:
        nonlocal failures
        for n in queue:
            body = {"status": "CHARGING" if n % 2 else "AVAILABLE", "last_updated": clock.next()}
            answer = await hub.http.patch(f"{hub.url}{evse_path(n)}", json=body, headers=headers)
            failures += answer.status_code != 200 or answer.json()["status_code"] != 1000

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    print(
        f"throughput: {patches} EVSE status PATCHes in {elapsed:.2f} s = {patches / elapsed:.0f} PATCH/s "
        f"({concurrency} concurrent clients, {failures} failed; each stored with 2 outbox rows)"
    )


async def lag(
    hub: BenchHub, headers: dict[str, str], clock: Clock, emsps: list[PartySimulator], rate: int, seconds: int
) -> None:
    sent_at: dict[str, float] = {}
    accepted: set[str] = set()
    before = [len(e.pushes("locations")) for e in emsps]
    total = rate * seconds
    failures = 0
    started = time.monotonic()

    async def one(n: int) -> None:
        nonlocal failures
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        stamp = clock.next()
        sent_at[stamp] = time.monotonic()
        path = f"{hub.url}{evse_path(n)}"
        try:
            answer = await hub.http.patch(path, json={"status": "CHARGING", "last_updated": stamp}, headers=headers)
        except httpx.HTTPError:
            failures += 1
            return
        # Concurrent PATCHes of one EVSE may arrive out of order: the older is then stale and not relayed.
        if answer.status_code == 200 and answer.json().get("status_message") == "Success":
            accepted.add(stamp)

    await asyncio.gather(*(one(n) for n in range(total)))
    send_seconds = time.monotonic() - started

    def all_relayed() -> bool:
        return all(
            sum(json.loads(r.body)["last_updated"] in accepted for r in e.pushes("locations")[skip:]) >= len(accepted)
            for e, skip in zip(emsps, before, strict=True)
        )

    deadline = time.monotonic() + 60
    while not all_relayed() and time.monotonic() < deadline:  # noqa: ASYNC110 — the simulators have no event to wait on
        await asyncio.sleep(0.1)
    lags = []
    for emsp, skip in zip(emsps, before, strict=True):
        for received in emsp.pushes("locations")[skip:]:
            stamp = json.loads(received.body)["last_updated"]
            if stamp in accepted:
                lags.append((received.at - sent_at[stamp]) * 1000)
    print(
        f"lag at {rate} PATCH/s for {seconds} s: {total} sent in {send_seconds:.1f} s, {len(accepted)} applied, "
        f"{failures} failed, {len(lags)}/{len(accepted) * len(emsps)} relayed: p50 {percentile(lags, 0.5):.0f} ms, "
        f"p95 {percentile(lags, 0.95):.0f} ms, p99 {percentile(lags, 0.99):.0f} ms, max {max(lags, default=0):.0f} ms"
    )


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rates", default="100,200", help="steady PATCH rates to measure the lag at")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    async with running_hub() as hub, parties(count_emsps=2) as (cpo, emsps):
        headers = await setup(hub, cpo, emsps)
        await drain(emsps, LOCATIONS, time.monotonic() + 30)
        clock = Clock()
        await throughput(hub, headers, clock, args.patches, args.concurrency)
        started = time.monotonic()
        await drain(emsps, LOCATIONS + args.patches, time.monotonic() + 120)
        got = min(len(e.pushes("locations")) for e in emsps) - LOCATIONS
        drained = time.monotonic() - started
        print(f"relayed: {got}/{args.patches} PATCHes reached both eMSPs {drained:.2f} s after the last was accepted")
        for rate in (int(r) for r in args.rates.split(",")):
            await lag(hub, headers, clock, emsps, rate, args.seconds)


if __name__ == "__main__":
    uvloop.run(main())
