"""CPU seconds and resident memory of the Hub's processes and the PostgreSQL cluster, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
    text = (PROC / str(pid) / "stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process; 0 when it is gone."""
    try:
        fields = _stat_fields(pid)
    except (OSError, ValueError):
        return 0.0
    # After the name: state(0) ppid(1) ... utime(11) stime(12).
    return (int(fields[11]) + int(fields[12])) / TICKS


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn with several workers runs them as children)."""
    children: dict[int, list[int]] = {}
    for other in _pids():
        try:
            children.setdefault(int(_stat_fields(other)[1]), []).append(other)
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(p) for p in tree(pid))


def postgres_cpu_seconds(database: str | None = None) -> float:
    """The cluster's backend and auxiliary processes (cmdline "postgres: ..."); with `database`, only its backends."""
    total = 0.0
    for pid in _pids():
        try:
            cmdline = (PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"postgres:") and (database is None or f" {database} ".encode() in cmdline):
            total += cpu_seconds(pid)
    return total


def rss_mb(pid: int) -> float:
    """Resident set size (VmRSS) of the process tree, in MB."""
    total_kb = 0
    for member in tree(pid):
        try:
            for line in (PROC / str(member) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024
