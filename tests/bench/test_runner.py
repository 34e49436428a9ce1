"""The bench's results JSON and table from fake figures (no Hub): what `make bench` writes stays readable."""

from __future__ import annotations

import json
import math

import pytest

from tests.bench import loadgen
from tests.bench.report import TARGETS, ScenarioResult, render_table, results_json, validate

MACHINE = {"cores": 2, "python": "3.11.7", "git_commit": "0123456789abcdef", "date_utc": "2026-11-28T10:00:00Z"}


def fake_results() -> list[ScenarioResult]:
    storm = ScenarioResult("status_storm", "1 status storm", wall_seconds=12.3)
    storm.add("accepted_per_s", "accepted PATCH/s", 1612.4, "/s")
    storm.add("request_p99_ms", "request p99", 140.0, "ms")
    storm.add("lag_p50_ms", "delivery lag p50", math.nan, "ms")
    storm.cpu_seconds = {"facade": 9.5, "core": 6.25, "postgres": 3.0, "bench": 2.0}
    qr = ScenarioResult("qr_resolve", "6 QR resolve", error="stopped after 40 s (deadline)")
    return [storm, qr]


def test_results_json_round_trips_and_judges_each_target() -> None:
    doc = json.loads(json.dumps(results_json(MACHINE, fake_results()), allow_nan=False))
    validate(doc)
    verdicts = {(t["scenario"], t["figure"]): t["met"] for t in doc["targets"]}
    assert len(verdicts) == len(TARGETS)
    assert verdicts[("status_storm", "accepted_per_s")] is True
    assert verdicts[("status_storm", "request_p99_ms")] is False
    assert verdicts[("pulls", "pages_per_s")] is None  # never measured
    assert doc["scenarios"][0]["figures"]["lag_p50_ms"] is None  # NaN is not JSON


def test_validate_refuses_a_figure_that_is_not_a_number() -> None:
    doc = results_json(MACHINE, fake_results())
    doc["scenarios"][0]["figures"]["accepted_per_s"] = "fast"
    with pytest.raises(ValueError, match="not a number"):
        validate(doc)


def test_table_puts_each_target_next_to_its_figure() -> None:
    table = render_table(results_json(MACHINE, fake_results()))
    lines = table.splitlines()
    storm = next(line for line in lines if "accepted PATCH/s" in line)
    assert "1,612 /s" in storm and ">= 1,500 PATCH/s" in storm and storm.endswith("met")
    assert next(line for line in lines if "request p99" in line).endswith("MISSED")
    assert any("9.5 / 6.2 / 3.0 / 2.0" in line for line in lines)
    assert any("stopped after 40 s" in line for line in lines)
    assert lines[-1].startswith("1/13 targets met · 2 cores")


def test_percentile_is_nearest_rank() -> None:
    assert loadgen.percentile([], 0.5) != loadgen.percentile([], 0.5)  # NaN
    assert loadgen.percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 3.0
    assert loadgen.percentile([float(n) for n in range(100)], 0.99) == 99.0
