"""A whole Hub for measuring: PostgreSQL (configured or embedded), core and facade as real processes, simulated
parties in this process. Bounded: every wait has a deadline and everything stops when the block ends.

With `profile="facade"` or `"core"` that process runs under pyinstrument (tests/bench/profiled.py), recording only
between BenchHub.profile_start() and profile_stop().
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet

from hubclient import HubClient
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators import loopback
from simulators.party import EMSP_MODULES, PartySimulator
from tests import services


def token_header(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


@dataclass
class BenchHub:
    url: str
    core: HubClient
    http: httpx.AsyncClient
    # Process id of "core" and "facade", for their CPU time and memory.
    pids: dict[str, int] = field(default_factory=dict)
    database: str = ""
    profiled: str | None = None
    profile_prefix: Path | None = None

    def profile_start(self) -> None:
        if self.profiled:
            os.kill(self.pids[self.profiled], signal.SIGUSR1)

    async def profile_stop(self, within: float = 30.0) -> Path | None:
        """Stops the profiler and waits (bounded) for its text report."""
        if not self.profiled or self.profile_prefix is None:
            return None
        report = self.profile_prefix.with_suffix(".txt")
        report.unlink(missing_ok=True)
        os.kill(self.pids[self.profiled], signal.SIGUSR2)
        deadline = time.monotonic() + within
        while not report.exists() and time.monotonic() < deadline:  # noqa: ASYNC110 — another process writes it
            await asyncio.sleep(0.1)
        return report if report.exists() else None

    async def register(self, sim: PartySimulator) -> str:
        invite = await self.core.invite_party(
            rpc.InvitePartyRequest(
                country_code=sim.country_code,
                party_id=sim.party_id,
                role=pb.Role.Value(f"ROLE_{sim.role}"),
                display_name=sim.name,
            )
        )
        answer = await self.http.post(
            f"{self.url}/ocpi/2.2.1/credentials", json=sim.credentials(), headers=token_header(invite.token_a)
        )
        assert answer.json().get("status_code") == 1000, answer.text
        token: str = answer.json()["data"]["token"]
        return token


async def _wait_healthy(url: str, deadline: float, processes: list[asyncio.subprocess.Process]) -> None:
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if any(p.returncode is not None for p in processes):
                raise SystemExit("the core or the facade exited while starting (set HUB_BENCH_LOG=file to see why)")
            try:
                if (await http.get(f"{url}/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the Hub did not become healthy in time")


@asynccontextmanager
async def running_hub(
    *,
    delivery_workers: int = 2,
    env: dict[str, str] | None = None,
    profile: str | None = None,
    profile_prefix: Path | None = None,
) -> AsyncIterator[BenchHub]:
    async with AsyncExitStack() as stack:
        server_url = stack.enter_context(services.postgres_server_url())
        database_url = await services.create_database(server_url)
        stack.push_async_callback(services.drop_database, server_url, database_url)
        grpc_port, http_port = loopback.free_port(), loopback.free_port()
        url = f"http://127.0.0.1:{http_port}"
        env = {
            **os.environ,
            "HUB_DATABASE_URL": database_url,
            "HUB_TOKEN_KEYS": Fernet.generate_key().decode(),
            "HUB_ENV": "sandbox",
            "HUB_GRPC_PORT": str(grpc_port),
            "HUB_GRPC_HEALTH_PORT": "0",
            "HUB_HTTP_PORT": str(http_port),
            "HUB_CORE_ADDRESS": f"127.0.0.1:{grpc_port}",
            "HUB_PUBLIC_URL": url,
            "HUB_DELIVERY_WORKERS": str(delivery_workers),
            "HUB_DB_POOL_MAX": "20",
            # The figures are the Hub's capacity, not one party's rate limit (a bench CPO sends 100s of PATCH/s).
            "HUB_RATE_LIMIT_PER_SECOND": "0",
            "HUB_CORE_METRICS_PORT": str(loopback.free_port()),
            **(env or {}),
        }
        processes = []
        # The Hub's own log, for when a figure looks wrong.
        log = stack.enter_context(open(os.environ.get("HUB_BENCH_LOG", os.devnull), "ab"))  # noqa: SIM115, ASYNC230
        for module in ("core", "facade"):
            profiled = ["-m", "tests.bench.profiled", str(profile_prefix), module] if profile == module else []
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *(profiled or ["-m", module]),
                env=env,
                stdout=log,
                stderr=log,
            )
            processes.append(process)

        async def stop() -> None:
            for process in reversed(processes):
                if process.returncode is None:
                    process.terminate()
                    try:
                        await asyncio.wait_for(process.wait(), 15)
                    except TimeoutError:
                        process.kill()

        stack.push_async_callback(stop)
        await _wait_healthy(url, time.monotonic() + 60, processes)
        core = await stack.enter_async_context(HubClient(f"127.0.0.1:{grpc_port}"))
        # Idle connections go before the server's keep-alive timeout (uvicorn: 5 s) can close them under a request.
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256, keepalive_expiry=2.0)
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30, limits=limits))
        pids = {"core": processes[0].pid, "facade": processes[1].pid}
        database = urlsplit(database_url).path.lstrip("/")
        yield BenchHub(url, core, http, pids, database, profile, profile_prefix)


@asynccontextmanager
async def parties(count_emsps: int) -> AsyncIterator[tuple[PartySimulator, list[PartySimulator]]]:
    async with AsyncExitStack() as stack:
        sims = [PartySimulator(party_id="CPA", name="Bench CPO")] + [
            PartySimulator(party_id=f"EM{n + 1}", role="EMSP", name=f"Bench eMSP {n + 1}", modules=list(EMSP_MODULES))
            for n in range(count_emsps)
        ]
        for sim in sims:
            sock = loopback.bind_loopback()
            sim.base_url = loopback.url_of(sock)
            await stack.enter_async_context(loopback.serve(sim.app(), sock))
        yield sims[0], sims[1:]
