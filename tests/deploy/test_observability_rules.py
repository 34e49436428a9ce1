"""The alert rules and Grafana dashboards under deploy/ hold together: promtool (Debian's `prometheus` package, which
`make test` installs when missing) checks the rules and runs their unit tests, and every metric a rule or a panel
reads is one the Hub exports (read from the metrics modules' source, as a reviewer would)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARDS = sorted((ROOT / "deploy" / "grafana").glob("*.json"))
# Where metrics are declared: any module of the core or the facade that builds a prometheus_client metric.
_DECLARED = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*(?:#[^\n]*\n\s*)*\"(ocpihub_[a-z0-9_]+)\"")
_REFERENCED = re.compile(r"\bocpihub_[a-z0-9_]+")
_SERIES = {"Histogram": ("_bucket", "_count", "_sum"), "Summary": ("_count", "_sum"), "Counter": ("",), "Gauge": ("",)}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is missing: `make test` installs it (apt-get install prometheus)")
    return subprocess.run(  # noqa: S603 — promtool with this file's own arguments
        [binary, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60, check=False
    )


def exported() -> set[str]:
    """Every series name the Hub's processes export (a Histogram's _bucket, _count and _sum)."""
    names: set[str] = set()
    for module in [*ROOT.glob("core/**/*.py"), *ROOT.glob("facade/**/*.py")]:
        for kind, name in _DECLARED.findall(module.read_text()):
            names.update(name + suffix for suffix in _SERIES[kind])
    return names


def rule_expressions() -> list[str]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def panel_expressions(path: Path) -> list[str]:
    return [target["expr"] for panel in json.loads(path.read_text())["panels"] for target in panel["targets"]]


def test_promtool_accepts_the_rules() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout


def test_each_alert_fires_on_what_it_is_for_in_promtools_unit_tests() -> None:
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    alerts = {
        rule["alert"]
        for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    }
    fired = {case["alertname"] for test in tests for case in test["alert_rule_test"] if case["exp_alerts"]}
    assert fired == alerts  # every rule has a case where it fires


def test_the_metrics_the_issue_names_are_exported() -> None:
    assert {
        "ocpihub_session_duration_seconds_bucket",
        "ocpihub_qr_mapping_api_duration_seconds_bucket",
        "ocpihub_qr_mapping_api_calls_total",
        "ocpihub_grpc_certificate_expiry_timestamp_seconds",
        "ocpihub_https_certificate_expiry_timestamp_seconds",
        "ocpihub_party_offline",
    } <= exported()


@pytest.mark.parametrize("source", ["alerts.yml", *(path.name for path in DASHBOARDS)])
def test_every_metric_a_rule_or_a_panel_reads_is_exported(source: str) -> None:
    if source == "alerts.yml":
        expressions = rule_expressions()
    else:
        expressions = panel_expressions(ROOT / "deploy" / "grafana" / source)
    assert expressions
    referenced = {name for expression in expressions for name in _REFERENCED.findall(expression)}
    assert referenced - exported() == set()


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_dashboards_are_importable_grafana_json(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    # The Prometheus data source is chosen at import (a variable), never a uid of some other Grafana.
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {"${datasource}"}
