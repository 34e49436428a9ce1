"""`python -m tests.bench` (`make bench`): one Hub, every scenario in order, one table, the same figures as JSON.

Starts core and facade as processes on a fresh database, the party simulators and the baseline servers, then runs
each scenario bounded in count and time, with the CPU seconds facade, core and PostgreSQL used during it. Everything
stops by itself, also on errors and Ctrl-C. `--quick` shrinks every count for a trial run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench import baselines, commands, evse_status, location_push, procstat, pulls, qr_resolve
from tests.bench.fixture import Bench, prepared
from tests.bench.harness import BenchHub, running_hub
from tests.bench.report import ScenarioResult, render_table, results_json, validate

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("bench")


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="small counts and short runs (a trial, not a measurement)")
    add("--concurrency", type=int, default=32, help="closed-loop clients (storm, pushes, QR, baselines)")
    add("--storm-patches", type=int, default=8000)
    add("--storm-seconds", type=float, default=15)
    add("--steady-rate", type=int, default=200)
    add("--steady-seconds", type=float, default=30)
    add("--push-count", type=int, default=4000)
    add("--push-seconds", type=float, default=10)
    add("--pull-store", type=int, default=10_000)
    add("--pull-pages", type=int, default=1000)
    add("--pull-seconds", type=float, default=10)
    add("--commands", type=int, default=2000)
    add("--command-seconds", type=float, default=8)
    add("--qr-rate", type=int, default=100)
    add("--qr-seconds", type=float, default=10)
    add("--qr-requests", type=int, default=8000)
    add("--baseline-count", type=int, default=30_000)
    add("--baseline-seconds", type=float, default=8)
    add("--budget", type=float, default=270, help="seconds for the whole run; later scenarios are skipped past it")
    add("--profile", choices=["facade", "core"], help="run that process under pyinstrument during the status storm")
    add("--library-python", default=str(ROOT / ".venv-bench-ocpi" / "bin" / "python"))
    add("--results", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.storm_patches, args.storm_seconds, args.steady_seconds = 1000, 5, 3
        args.push_count, args.push_seconds, args.pull_store, args.pull_pages, args.pull_seconds = 300, 5, 1000, 50, 5
        args.commands, args.command_seconds, args.qr_seconds, args.qr_requests = 300, 5, 2, 500
        args.baseline_count, args.baseline_seconds = 2000, 3
    return args


def _git(*args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 — fixed arguments
            ["git", "-C", str(ROOT), *args],  # noqa: S607 — whichever git is on PATH
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def machine() -> dict[str, Any]:
    commit = _git("rev-parse", "HEAD") or "unknown"
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "git_commit": commit + ("+dirty" if dirty else ""),
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


class Measure:
    """Runs scenarios one by one with a deadline each and the CPU each process spent meanwhile."""

    def __init__(self, hub: BenchHub, budget: float) -> None:
        self.hub = hub
        self.ends = time.monotonic() + budget
        self.results: list[ScenarioResult] = []

    def _cpu(self) -> dict[str, float]:
        return {
            "facade": procstat.tree_cpu_seconds(self.hub.pids["facade"]),
            "core": procstat.tree_cpu_seconds(self.hub.pids["core"]),
            "postgres": procstat.postgres_cpu_seconds(),
            "postgres_hub_db": procstat.postgres_cpu_seconds(self.hub.database),
            # This process: the load generator and the party simulators receiving the Hub's deliveries.
            "bench": sum(os.times()[:2]),
        }

    async def __call__(
        self, name: str, title: str, seconds: float, scenario: Callable[[ScenarioResult], Awaitable[None]]
    ) -> ScenarioResult:
        result = ScenarioResult(name, title)
        self.results.append(result)
        if time.monotonic() + seconds / 3 > self.ends:
            result.error = "skipped: the run's time budget is spent"
            return result
        print(f"· {title} …", flush=True)
        before, started = self._cpu(), time.monotonic()
        try:
            await asyncio.wait_for(scenario(result), min(seconds, self.ends - time.monotonic()))
        except TimeoutError:
            result.error = f"stopped after {time.monotonic() - started:.0f} s (deadline)"
        except Exception as exc:  # one broken scenario must not cost the others their figures
            log.debug("%s failed", name, exc_info=True)
            result.error = f"{type(exc).__name__}: {exc}"[:200]
            traceback.print_exc()
        result.wall_seconds = time.monotonic() - started
        after = self._cpu()
        result.cpu_seconds = {k: after[k] - before[k] for k in before}
        return result


async def run_all(args: argparse.Namespace) -> list[ScenarioResult]:
    profile_prefix = args.results.parent / f"profile-{args.profile}" if args.profile else None
    async with AsyncExitStack() as stack:
        print("· starting the Hub, the simulators and the baselines …", flush=True)
        hub = await stack.enter_async_context(
            running_hub(env={"HUB_QR_RATE_LIMIT": "0"}, profile=args.profile, profile_prefix=profile_prefix)
        )
        servers = await stack.enter_async_context(baselines.servers(args.library_python))
        measure = Measure(hub, args.budget)
        setup_started = time.monotonic()
        bench: Bench = await asyncio.wait_for(stack.enter_async_context(prepared(hub, pull_store=args.pull_store)), 120)
        print(f"· set up in {time.monotonic() - setup_started:.0f} s ({args.pull_store} locations in the store)")
        c = args.concurrency

        async def storm(r: ScenarioResult) -> None:
            hub.profile_start()
            try:
                await evse_status.storm(bench, r, patches=args.storm_patches, concurrency=c, seconds=args.storm_seconds)
            finally:
                report = await hub.profile_stop()
                if report:
                    print(f"· profile of the {args.profile} during the storm: {report.with_suffix('.html')}")

        storm_result = await measure("status_storm", "1 status storm", args.storm_seconds + 90, storm)
        await measure(
            "steady_freshness",
            f"2 steady {args.steady_rate}/s",
            args.steady_seconds + 90,
            lambda r: evse_status.steady(bench, r, rate=args.steady_rate, seconds=args.steady_seconds),
        )
        push_result = await measure(
            "location_pushes",
            "3 location pushes",
            args.push_seconds + 90,
            lambda r: location_push.run(bench, r, count=args.push_count, concurrency=c, seconds=args.push_seconds),
        )
        await measure(
            "pulls",
            "4 pulls",
            args.pull_seconds + 40,
            lambda r: pulls.run(
                bench, r, store=args.pull_store, pages=args.pull_pages, concurrency=8, seconds=args.pull_seconds
            ),
        )
        await measure(
            "commands",
            "5 commands",
            2 * args.command_seconds + 40,
            lambda r: commands.run(bench, r, count=args.commands, in_flight=50, seconds=args.command_seconds),
        )
        await measure(
            "qr_resolve",
            "6 QR resolve",
            2 * args.qr_seconds + 40,
            lambda r: qr_resolve.run(
                bench, r, rate=args.qr_rate, seconds=args.qr_seconds, requests=args.qr_requests, concurrency=c
            ),
        )
        await measure(
            "baselines",
            "7 baselines",
            2 * args.baseline_seconds + 40,
            lambda r: baselines.run(
                servers,
                r,
                hub_patch_per_s=storm_result.value("accepted_per_s"),
                hub_put_per_s=push_result.value("per_s"),
                count=args.baseline_count,
                concurrency=c,
                seconds=args.baseline_seconds,
            ),
        )
        memory = ScenarioResult("memory", "8 memory at the end")
        memory.add("facade_rss_mb", "facade RSS", procstat.rss_mb(hub.pids["facade"]), "MB")
        memory.add("core_rss_mb", "core RSS", procstat.rss_mb(hub.pids["core"]), "MB")
        measure.results.append(memory)
        print("· stopping …", flush=True)
        return measure.results


def main(argv: list[str] | None = None) -> None:
    import uvloop

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = options(argv)
    started, info = time.monotonic(), machine()
    results: list[ScenarioResult] = []
    try:
        results = uvloop.run(run_all(args))
    finally:
        doc = results_json(info | {"run_seconds": round(time.monotonic() - started, 1), "quick": args.quick}, results)
        validate(doc)
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        if results:
            print()
            print(render_table(doc))
            print(f"\nfigures: {args.results} · run took {time.monotonic() - started:.0f} s")
