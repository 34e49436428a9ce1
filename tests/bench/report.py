"""The figures of one bench run: issue 8's targets, the JSON written to bench/results/ and the table printed at the end.

Pure data and text: no I/O, so tests/bench/test_runner.py checks it from fake figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Target:
    """One line of issue 8's target table, checked against one figure of one scenario."""

    scenario: str
    figure: str
    label: str
    op: Literal[">=", "<"]
    threshold: float

    def met(self, value: float | None) -> bool | None:
        if value is None or math.isnan(value):
            return None
        return value >= self.threshold if self.op == ">=" else value < self.threshold


TARGETS = (
    Target("status_storm", "accepted_per_s", ">= 1,500 PATCH/s", ">=", 1500),
    Target("status_storm", "request_p99_ms", "p99 < 100 ms", "<", 100),
    Target("steady_freshness", "lag_p99_ms", "lag p99 < 1 s", "<", 1000),
    Target("steady_freshness", "lag_max_ms", "lag max < 5 s", "<", 5000),
    Target("location_pushes", "per_s", ">= 800 PUT/s", ">=", 800),
    Target("pulls", "pages_per_s", ">= 200 pages/s", ">=", 200),
    Target("commands", "hub_added_p50_ms", "Hub-added p50 < 5 ms", "<", 5),
    Target("commands", "hub_added_p99_ms", "Hub-added p99 < 25 ms", "<", 25),
    Target("qr_resolve", "p95_at_rate_ms", "p95 < 20 ms at 100/s", "<", 20),
    Target("qr_resolve", "saturation_per_s", ">= 1,500 req/s", ">=", 1500),
    Target("baselines", "hub_put_vs_library", ">= 2x library PUT/s", ">=", 2),
    Target("memory", "facade_rss_mb", "< 300 MB", "<", 300),
    Target("memory", "core_rss_mb", "< 300 MB", "<", 300),
)
CPU_PROCESSES = ("facade", "core", "postgres", "bench")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | None
    unit: str = ""


@dataclass
class ScenarioResult:
    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    # CPU seconds each process (tree) used while the scenario ran; "postgres" sums the cluster's backends.
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    # Set when the scenario failed or ran out of time: its figures are then partial or missing.
    error: str | None = None

    def add(self, key: str, label: str, value: float | None, unit: str = "") -> None:
        self.figures.append(Figure(key, label, value, unit))

    def value(self, key: str) -> float | None:
        return next((f.value for f in self.figures if f.key == key), None)


def results_json(machine: dict[str, Any], scenarios: list[ScenarioResult]) -> dict[str, Any]:
    """The whole run as JSON-ready data: figures per scenario and each target with its verdict."""
    by_name = {s.name: s for s in scenarios}
    targets = []
    for target in TARGETS:
        scenario = by_name.get(target.scenario)
        value = scenario.value(target.figure) if scenario else None
        targets.append(
            {
                "scenario": target.scenario,
                "figure": target.figure,
                "target": target.label,
                "measured": _number(value),
                "met": target.met(value),
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "machine": machine,
        "scenarios": [
            {
                "name": s.name,
                "title": s.title,
                "wall_seconds": round(s.wall_seconds, 2),
                "cpu_seconds": {k: round(v, 2) for k, v in s.cpu_seconds.items()},
                "error": s.error,
                "figures": {f.key: _number(f.value) for f in s.figures},
                "labels": {f.key: [f.label, f.unit] for f in s.figures},
            }
            for s in scenarios
        ],
        "targets": targets,
    }


def _number(value: float | None) -> float | None:
    """JSON has no NaN: a figure that could not be measured is null."""
    if value is None or math.isnan(value):
        return None
    return round(value, 3)


def validate(doc: dict[str, Any]) -> None:
    """Raises ValueError when `doc` is not what results_json writes (a guard for whoever reads old results)."""
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"schema_version {doc.get('schema_version')!r}, expected {SCHEMA_VERSION}")
    for key in ("cores", "python", "git_commit", "date_utc"):
        if key not in doc.get("machine", {}):
            raise ValueError(f"machine.{key} missing")
    for scenario in doc["scenarios"]:
        for key, kind in (("name", str), ("title", str), ("wall_seconds", float | int), ("figures", dict)):
            if not isinstance(scenario.get(key), kind):
                raise ValueError(f"scenario {scenario.get('name')!r}: {key} missing or not {kind}")
        for value in scenario["figures"].values():
            if value is not None and not isinstance(value, float | int):
                raise ValueError(f"scenario {scenario['name']!r}: figure {value!r} is not a number")
        if set(scenario["labels"]) != set(scenario["figures"]):
            raise ValueError(f"scenario {scenario['name']!r}: labels and figures disagree")
    for target in doc["targets"]:
        if target["met"] not in (True, False, None):
            raise ValueError(f"target {target['target']!r}: met is {target['met']!r}")


def render_table(doc: dict[str, Any]) -> str:
    """One table: every figure of every scenario, each target next to the figure it judges, and the CPU it cost."""
    verdicts = {(t["scenario"], t["figure"]): t for t in doc["targets"]}
    rows: list[tuple[str, str, str, str, str]] = []
    for scenario in doc["scenarios"]:
        title = f"{scenario['title']} ({scenario['wall_seconds']:.0f} s)"
        for key, value in scenario["figures"].items():
            label, unit = scenario["labels"][key]
            target = verdicts.get((scenario["name"], key))
            verdict = "" if target is None else {True: "met", False: "MISSED", None: "n/a"}[target["met"]]
            rows.append((title, label, _format(value, unit), target["target"] if target else "", verdict))
            title = ""
        cpu = scenario.get("cpu_seconds") or {}
        if cpu:
            measured = " / ".join(f"{cpu.get(p, 0):.1f}" for p in CPU_PROCESSES)
            rows.append((title, "CPU s facade/core/PG/bench", measured, "", ""))
            title = ""
        if scenario.get("error"):
            rows.append((title, "error", scenario["error"][:60], "", ""))
    header = ("scenario", "figure", "measured", "target", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    rule = "-+-".join("-" * w for w in widths)

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2])]
        return " | ".join([*cells, row[3].ljust(widths[3]), row[4].ljust(widths[4])]).rstrip()

    machine = doc["machine"]
    met = sum(t["met"] is True for t in doc["targets"])
    summary = (
        f"{met}/{len(doc['targets'])} targets met · {machine['cores']} cores · Python {machine['python']} · "
        f"{machine['git_commit'][:10]} · {machine['date_utc']}"
    )
    return "\n".join([line(header), rule, *(line(r) for r in rows), rule, summary])


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return f"{text} {unit}".rstrip()
