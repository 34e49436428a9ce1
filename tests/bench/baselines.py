"""Baselines measured in the same run, so the Hub's figures become ratios that survive a noisy machine:

- a bare Litestar handler returning the same envelope (tests/bench/bare_litestar.py): the framework's ceiling;
- the same Location PUT against a public OCPI library's receiver (tests/bench/ocpi_library_receiver.py), in memory.

Each runs under uvicorn in its own process with the facade's settings (uvloop, httptools, one worker, access log).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from simulators import loopback
from tests.bench import loadgen, payloads, procstat
from tests.bench.report import ScenarioResult

HERE = Path(__file__).resolve().parent
LIBRARY_TOKEN = "bench-library-token"
UVICORN = ["-m", "uvicorn", "--host", "127.0.0.1", "--workers", "1", "--loop", "uvloop", "--http", "httptools"]


@dataclass
class Server:
    url: str
    pid: int


async def _start(stack: AsyncExitStack, python: str, app: str, *, app_dir: Path | None = None) -> Server:
    port = loopback.free_port()
    extra = ["--app-dir", str(app_dir)] if app_dir else []
    log = stack.enter_context(open(os.devnull, "ab"))  # noqa: SIM115, ASYNC230
    process = await asyncio.create_subprocess_exec(
        python, *UVICORN, "--port", str(port), *extra, app, stdout=log, stderr=log
    )

    async def stop() -> None:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()

    stack.push_async_callback(stop)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"{app} exited with {process.returncode} while starting")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return Server(f"http://127.0.0.1:{port}", process.pid)
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{app} did not listen within 30 s")


@dataclass
class Baselines:
    bare: Server | None
    library: Server | None
    library_error: str | None


@asynccontextmanager
async def servers(library_python: str | None) -> AsyncIterator[Baselines]:
    """Starts both baseline servers (the library's only when its virtualenv exists) and stops them at the end."""
    async with AsyncExitStack() as stack:
        bare = await _start(stack, sys.executable, "tests.bench.bare_litestar:app")
        library, error = None, None
        if library_python and os.path.exists(library_python):  # noqa: ASYNC240 — one stat at start-up
            try:
                library = await _start(stack, library_python, "ocpi_library_receiver:app", app_dir=HERE)
            except RuntimeError as exc:
                error = str(exc)
        else:
            error = f"no library virtualenv at {library_python!r} (make bench creates it)"
        yield Baselines(bare, library, error)


async def _measure(
    server: Server, call_path: str, method: str, body: bytes, headers: dict[str, str], **kw: float
) -> tuple[loadgen.Run, float]:
    client = loadgen.Client(server.url)
    raw = client.encode(method, call_path, body, headers)

    async def call(n: int) -> tuple[bool, float]:
        answer = await client.send(raw)
        return answer.status == 200 and json.loads(answer.body)["status_code"] == 1000, answer.seconds

    cpu = procstat.tree_cpu_seconds(server.pid)
    try:
        await loadgen.closed_loop(call, count=200, concurrency=8, seconds=5)  # warm-up
        cpu = procstat.tree_cpu_seconds(server.pid)
        run = await loadgen.closed_loop(
            call, count=int(kw["count"]), concurrency=int(kw["concurrency"]), seconds=kw["seconds"]
        )
    finally:
        client.close()
    return run, procstat.tree_cpu_seconds(server.pid) - cpu


async def run(
    baselines: Baselines,
    result: ScenarioResult,
    *,
    hub_patch_per_s: float | None,
    hub_put_per_s: float | None,
    count: int,
    concurrency: int,
    seconds: float,
) -> None:
    patch_body = json.dumps({"status": "CHARGING", "last_updated": "2026-11-02T00:00:00.001Z"}).encode()
    location = payloads.encode(payloads.full_location("BASE1"))
    if baselines.bare:
        path = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1/LOC1-E1"
        bare, cpu = await _measure(
            baselines.bare, path, "PATCH", patch_body, {}, count=count, concurrency=concurrency, seconds=seconds
        )
        result.add("bare_litestar_per_s", "bare Litestar handler req/s", bare.per_second, "/s")
        result.add("bare_litestar_cpu_ms", "its CPU per request", 1000 * cpu / max(1, bare.count), "ms")
        result.add("hub_patch_vs_bare", "Hub status PATCH/s ÷ bare", _ratio(hub_patch_per_s, bare.per_second), "x")
    if baselines.library:
        headers = {"Authorization": "Token " + base64.b64encode(LIBRARY_TOKEN.encode()).decode()}
        library, cpu = await _measure(
            baselines.library,
            "/ocpi/emsp/2.2.1/locations/VN/CPA/BASE1",
            "PUT",
            location,
            headers,
            count=count,
            concurrency=concurrency,
            seconds=seconds,
        )
        result.add("library_put_per_s", "extrawest-ocpi receiver PUT/s", library.per_second, "/s")
        result.add("library_cpu_ms", "its CPU per PUT", 1000 * cpu / max(1, library.count), "ms")
        result.add("hub_put_vs_library", "Hub PUT/s ÷ library PUT/s", _ratio(hub_put_per_s, library.per_second), "x")
    else:
        result.error = baselines.library_error


def _ratio(hub: float | None, baseline: float) -> float | None:
    return hub / baseline if hub and baseline else None
