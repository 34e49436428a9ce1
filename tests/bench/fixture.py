"""What every scenario shares: the registered parties, the locations they work on, and what reached the eMSPs.

Order matters. The pull store (10,000 locations, through the core's UpdateLocation) is loaded while no party with a
locations Receiver endpoint is registered, so it queues no deliveries; the puller is an eMSP without one. Then the two
subscribed eMSPs register and the CPO pushes the status-storm locations over HTTP (broadcast to both).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from facade.ocpi.proto_json import to_proto_with_fields
from ocpihub.locations.v1 import locations_pb2 as pb
from ocpihub.locations.v1 import locations_service_pb2 as rpc
from simulators import loopback
from simulators.party import EMSP_MODULES, PartySimulator
from tests.bench import loadgen, payloads
from tests.bench.harness import BenchHub, token_header

STORM_LOCATIONS, STORM_EVSES = 50, 20
LOCATIONS_PATH = "/ocpi/2.2.1/receiver/locations/VN/CPA"


@dataclass
class Bench:
    hub: BenchHub
    load: loadgen.Client
    cpo: PartySimulator
    emsps: list[PartySimulator]
    cpo_headers: dict[str, str]
    emsp_headers: dict[str, str]
    puller_headers: dict[str, str]
    clock: payloads.Clock = field(default_factory=payloads.Clock)

    def arrivals(self) -> Arrivals:
        return Arrivals(self.emsps)


class Arrivals:
    """Location pushes the eMSP simulators got from now on, by key: a PATCH's last_updated, a PUT's location id."""

    def __init__(self, emsps: list[PartySimulator]) -> None:
        self.emsps = emsps
        self._seen = [len(e.received) for e in emsps]
        self.at: list[dict[str, float]] = [{} for _ in emsps]

    def poll(self) -> None:
        for i, emsp in enumerate(self.emsps):
            for received in emsp.received[self._seen[i] :]:
                if not received.path.startswith("/ocpi/2.2.1/locations/"):
                    continue
                if received.method == "PATCH":
                    self.at[i][json.loads(received.body)["last_updated"]] = received.at
                elif received.method == "PUT":
                    self.at[i][received.path.rsplit("/", 1)[1]] = received.at
            self._seen[i] = len(emsp.received)

    def missing(self, keys: set[str]) -> int:
        self.poll()
        return sum(len(keys - at.keys()) for at in self.at)

    async def wait(self, keys: set[str], seconds: float) -> float:
        """Waits until every eMSP has every key, or `seconds`; returns how long it waited."""
        started = time.monotonic()
        while self.missing(keys) and time.monotonic() - started < seconds:  # noqa: ASYNC110 — no event to wait on
            await asyncio.sleep(0.05)
        return time.monotonic() - started

    def lags_ms(self, sent_at: dict[str, float]) -> list[float]:
        self.poll()
        return [(at[key] - sent_at[key]) * 1000 for at in self.at for key in at.keys() & sent_at.keys()]


async def _serve(stack: AsyncExitStack, sim: PartySimulator) -> PartySimulator:
    sock = loopback.bind_loopback()
    sim.base_url = loopback.url_of(sock)
    await stack.enter_async_context(loopback.serve(sim.app(), sock))
    return sim


async def load_pull_store(hub: BenchHub, count: int, concurrency: int = 16) -> None:
    """`count` full locations straight into the core (no HTTP): the store eMSPs pull pages from."""
    platform = (await hub.core.get_party("parties/VN/CPA/CPO")).platform
    numbers = iter(range(count))

    async def writer() -> None:
        for n in numbers:
            location, _ = to_proto_with_fields(payloads.full_location(f"PULL{n:05d}"), pb.Location)
            await hub.core.update_location(
                rpc.UpdateLocationRequest(location=location, allow_missing=True, caller_platform=platform)
            )

    await asyncio.wait_for(asyncio.gather(*(writer() for _ in range(concurrency))), 120)


@asynccontextmanager
async def prepared(hub: BenchHub, *, pull_store: int) -> AsyncIterator[Bench]:
    async with AsyncExitStack() as stack:
        cpo = await _serve(stack, PartySimulator(party_id="CPA", name="Bench CPO"))
        # An eMSP that pulls: it has a functional module (tokens) but no locations Receiver endpoint.
        puller_modules = [("credentials", "SENDER"), ("tokens", "SENDER")]
        puller = await _serve(stack, PartySimulator(party_id="EMP", role="EMSP", name="Puller", modules=puller_modules))
        cpo_token = await hub.register(cpo)
        puller_token = await hub.register(puller)
        await load_pull_store(hub, pull_store)
        emsps = [
            await _serve(
                stack,
                PartySimulator(party_id=f"EM{n}", role="EMSP", name=f"Bench eMSP {n}", modules=list(EMSP_MODULES)),
            )
            for n in (1, 2)
        ]
        emsp_token = (await asyncio.gather(*(hub.register(e) for e in emsps)))[0]
        load = loadgen.Client(hub.url)
        stack.callback(load.close)
        bench = Bench(
            hub,
            load,
            cpo,
            emsps,
            cpo_headers={**token_header(cpo_token), "OCPI-to-country-code": "VN", "OCPI-to-party-id": "HUB"},
            emsp_headers={**token_header(emsp_token), "OCPI-from-country-code": "VN", "OCPI-from-party-id": "EM1"},
            puller_headers=token_header(puller_token),
        )
        arrivals = bench.arrivals()
        for n in range(STORM_LOCATIONS):
            body = payloads.encode(payloads.full_location(f"LOC{n}", evses=STORM_EVSES))
            answer = await load.request("PUT", f"{LOCATIONS_PATH}/LOC{n}", body, bench.cpo_headers)
            assert json.loads(answer.body)["status_code"] == 1000, answer.body
        await arrivals.wait({f"LOC{n}" for n in range(STORM_LOCATIONS)}, 30)
        yield bench
