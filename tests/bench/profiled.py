"""Runs a Hub process (`core` or `facade`) under pyinstrument, recording only between SIGUSR1 and SIGUSR2.

    python -m tests.bench.profiled bench/results/profile-facade facade

On SIGUSR2 it writes <prefix>.html (the interactive tree), <prefix>.txt (the call tree) and <prefix>.top.txt (the
functions with the most self time, idle excluded), then keeps serving. Only the main thread (the event loop) is sampled.
"""

from __future__ import annotations

import runpy
import signal
import sys
from collections import defaultdict
from pathlib import Path
from types import FrameType
from typing import Any

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer, HTMLRenderer

# Where the event loop waits for I/O (uvloop's C loop is sampled as the asyncio frame that started it): idle, not cost.
IDLE_FUNCTIONS = {"run_forever", "run_until_complete", "run", "select", "_run_once"}


def _idle(frame: Any) -> bool:
    path = frame.file_path or ""
    return frame.function in IDLE_FUNCTIONS and ("asyncio" in path or "uvloop" in path or "selectors" in path)


def top_self_time(session: Any, limit: int = 25) -> str:
    """Self time per function over the whole tree, largest first, as shares of the busy (non-idle) time."""
    totals: dict[str, float] = defaultdict(float)
    idle = 0.0
    root = session.root_frame()
    todo = [root] if root else []
    while todo:
        frame = todo.pop()
        # Synthetic children ([self], [await]) are already in their parent's total_self_time.
        todo.extend(child for child in frame.children if not child.is_synthetic)
        if _idle(frame):
            idle += frame.total_self_time
        elif frame.total_self_time:
            totals[f"{frame.function}  ({frame.file_path_short}:{frame.line_no})"] += frame.total_self_time
    busy = sum(totals.values())
    packages: dict[str, float] = defaultdict(float)
    for name, seconds in totals.items():
        where = name.split("  (", 1)[1]
        packages[where.split("/", 1)[0] if "/" in where else where.split(":", 1)[0]] += seconds
    shares = ", ".join(
        f"{p} {100 * t / busy:.0f}%" for t, p in sorted(((t, p) for p, t in packages.items()), reverse=True)
    )
    lines = [
        f"duration {session.duration:.1f} s, idle {idle:.1f} s, busy {busy:.1f} s",
        f"self time by package: {shares}",
        "self time per function:",
    ]
    ranked = sorted(((t, n) for n, t in totals.items()), reverse=True)
    for seconds, name in ranked[:limit]:
        lines.append(f"{100 * seconds / busy if busy else 0:5.1f}%  {seconds:6.2f} s  {name}")
    return "\n".join(lines) + "\n"


def main() -> None:
    prefix, module = Path(sys.argv[1]), sys.argv[2]
    profiler = Profiler(interval=0.001, async_mode="disabled")

    def start(signum: int, frame: FrameType | None) -> None:
        if not profiler.is_running:
            profiler.start()

    def stop(signum: int, frame: FrameType | None) -> None:
        if not profiler.is_running:
            return
        session = profiler.stop()
        prefix.parent.mkdir(parents=True, exist_ok=True)
        prefix.with_suffix(".html").write_text(HTMLRenderer().render(session))
        prefix.with_suffix(".top.txt").write_text(top_self_time(session))
        # Written last: the runner waits for this file.
        prefix.with_suffix(".txt").write_text(ConsoleRenderer(unicode=True, color=False).render(session))

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
