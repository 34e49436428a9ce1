"""START_SESSION through the Hub: the latency the Hub adds to a command relay at 50 in flight.

Direct: the eMSP calls the CPO simulator itself (HTTP + the simulator's own time). Via the Hub: eMSP → Hub (checks,
command record, response_url rewrite) → CPO simulator → Hub (answer recorded) → eMSP. Hub-added = via Hub minus direct,
per percentile.
"""

from __future__ import annotations

import json

from tests.bench import loadgen
from tests.bench.fixture import STORM_EVSES, Bench
from tests.bench.harness import token_header
from tests.bench.report import ScenarioResult
from tests.e2e import samples


def start_session(bench: Bench, n: int) -> bytes:
    return json.dumps(
        {
            "response_url": f"{bench.emsps[0].base_url}/ocpi/2.2.1/commands/results/{n}",
            "token": samples.token(),
            "location_id": "LOC1",
            "evse_uid": f"LOC1-E{n % STORM_EVSES + 1}",
            "connector_id": "1",
        }
    ).encode()


async def run(bench: Bench, result: ScenarioResult, *, count: int, in_flight: int, seconds: float) -> None:
    direct = loadgen.Client(bench.cpo.base_url)
    cpo_auth = token_header(bench.cpo.token_b)

    def caller(client: loadgen.Client, path: str, headers: dict[str, str]) -> loadgen.Call:
        async def call(n: int) -> tuple[bool, float]:
            answer = await client.request("POST", path, start_session(bench, n), headers)
            ok = answer.status == 200 and json.loads(answer.body)["data"]["result"] == "ACCEPTED"
            return ok, answer.seconds

        return call

    try:
        to_cpo = caller(direct, "/ocpi/2.2.1/commands/START_SESSION", cpo_auth)
        via_hub = caller(bench.load, "/ocpi/2.2.1/receiver/commands/START_SESSION", bench.emsp_headers)
        await loadgen.closed_loop(via_hub, count=50, concurrency=10, seconds=10)  # warm-up: connections, caches
        base = await loadgen.closed_loop(to_cpo, count=count, concurrency=in_flight, seconds=seconds)
        hub = await loadgen.closed_loop(via_hub, count=count, concurrency=in_flight, seconds=seconds)
    finally:
        direct.close()
    result.add("per_s", f"relayed/s ({in_flight} in flight)", hub.per_second, "/s")
    result.add("via_hub_p50_ms", "via the Hub p50", hub.percentile(0.5), "ms")
    result.add("direct_p50_ms", "direct to the CPO p50", base.percentile(0.5), "ms")
    result.add("hub_added_p50_ms", "Hub-added p50", hub.percentile(0.5) - base.percentile(0.5), "ms")
    result.add("hub_added_p99_ms", "Hub-added p99", hub.percentile(0.99) - base.percentile(0.99), "ms")
    result.add("failed", "failed commands", hub.failures + base.failures)
