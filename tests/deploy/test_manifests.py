"""The Kubernetes manifests (deploy/kubernetes) hold together: no cluster runs here, so the test reads them the way a
reviewer would: every command, setting, probe, port, selector and scale target points at something that exists."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.server import DATABASE_HEALTH
from facade.app import create_app
from facade.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
SETTINGS_SOURCES = [ROOT / "core" / "settings.py", ROOT / "facade" / "settings.py", ROOT / "core" / "migrate.py"]


def documents() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in documents() if doc["kind"] == kind]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    return list(spec["containers"])


def test_every_kind_a_deployment_needs_is_there() -> None:
    kinds = {doc["kind"] for doc in documents()}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "Job", "ConfigMap", "Secret"} <= kinds
    assert {d["metadata"]["name"] for d in of_kind("Deployment")} == {"ocpihub-core", "ocpihub-facade"}


def test_commands_run_modules_that_exist() -> None:
    for workload in of_kind("Deployment") + of_kind("Job"):
        for container in containers(workload):
            command = container["command"]
            assert command[:2] == ["python", "-m"], command
            assert importlib.util.find_spec(command[2]) is not None, command


def test_every_setting_is_one_the_hub_reads() -> None:
    source = "\n".join(path.read_text() for path in SETTINGS_SOURCES)
    for doc in of_kind("ConfigMap"):
        for name in doc["data"]:
            assert f'"{name}"' in source, f"{name} is not read by any settings module"
    for doc in of_kind("Secret"):
        for name in doc["stringData"]:
            assert f'"{name}"' in source, name
    for workload in of_kind("Deployment") + of_kind("Job"):
        for container in containers(workload):
            refs = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]}
            assert refs <= {"ocpihub"}


def test_probes_hit_real_endpoints_and_ports() -> None:
    app = create_app(Settings())
    paths = {route.path for route in app.routes}
    config = of_kind("ConfigMap")[0]["data"]
    for workload in of_kind("Deployment"):
        for container in containers(workload):
            ports = {port["name"]: port["containerPort"] for port in container["ports"]}
            for probe in (container["readinessProbe"], container["livenessProbe"]):
                if "httpGet" in probe:
                    assert probe["httpGet"]["path"] in paths, probe
                    assert probe["httpGet"]["port"] in ports
                    assert ports[probe["httpGet"]["port"]] == int(config["HUB_HTTP_PORT"])
                else:
                    assert probe["grpc"]["port"] == int(config["HUB_GRPC_PORT"])
                    assert probe["grpc"].get("service", DATABASE_HEALTH) in ("", DATABASE_HEALTH)


def test_services_and_autoscalers_point_at_the_deployments() -> None:
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    for service in of_kind("Service"):
        selector = service["spec"]["selector"]
        matching = [
            d for d in deployments.values() if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matching) == 1, service["metadata"]["name"]
        port_names = {p["name"] for c in containers(matching[0]) for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    for hpa in of_kind("HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    address = of_kind("ConfigMap")[0]["data"]["HUB_CORE_ADDRESS"]
    assert address.split(":")[0] in {s["metadata"]["name"] for s in of_kind("Service")}


@pytest.mark.parametrize(
    "line", [ln for ln in (ROOT / "deploy" / "Dockerfile").read_text().splitlines() if ln.startswith("COPY")]
)
def test_the_image_copies_what_exists(line: str) -> None:
    for source in re.split(r"\s+", line)[1:-1]:
        assert (ROOT / source).exists(), source
