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
SETTINGS_SOURCES = [
    ROOT / "core" / "settings.py",
    ROOT / "facade" / "settings.py",
    ROOT / "core" / "migrate.py",
    ROOT / "clients" / "hubclient" / "_tls.py",
]


def documents() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in documents() if doc["kind"] == kind]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    return list(spec["containers"])


def test_every_kind_a_deployment_needs_is_there() -> None:
    kinds = {doc["kind"] for doc in documents()}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "Job", "ConfigMap", "Secret", "NetworkPolicy"} <= kinds
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
        if doc["metadata"]["name"] == "ocpihub":  # the others are certificate files, mounted
            for name in doc["stringData"]:
                assert f'"{name}"' in source, name
    for workload in of_kind("Deployment") + of_kind("Job"):
        for container in containers(workload):
            refs = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]}
            assert refs <= {"ocpihub"}
            for variable in container.get("env", []):
                assert f'"{variable["name"]}"' in source, variable["name"]


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
                else:  # the plain-text health port: the gRPC port wants a client certificate
                    assert probe["grpc"]["port"] == int(config["HUB_GRPC_HEALTH_PORT"])
                    assert ports["grpc-health"] == int(config["HUB_GRPC_HEALTH_PORT"])
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


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and the In / NotIn expressions the manifests use)."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        inside = labels.get(expression["key"]) in expression["values"]
        if inside != (expression["operator"] == "In"):
            return False
    return True


def workload_labels() -> dict[str, dict[str, str]]:
    return {
        w["metadata"]["name"]: w["spec"]["template"]["metadata"]["labels"]
        for w in of_kind("Deployment") + of_kind("Job")
    }


def test_only_the_facade_dashboard_and_operator_jobs_reach_the_cores_grpc_port() -> None:
    [policy] = [p for p in of_kind("NetworkPolicy") if p["metadata"]["name"] == "ocpihub-core-ingress"]
    labels = workload_labels()
    assert [name for name, lab in labels.items() if selects(policy["spec"]["podSelector"], lab)] == ["ocpihub-core"]
    [grpc_rule] = [rule for rule in policy["spec"]["ingress"] if {"port": "grpc", "protocol": "TCP"} in rule["ports"]]
    [peer] = grpc_rule["from"]
    admitted = {name for name, lab in labels.items() if selects(peer["podSelector"], lab)}
    assert admitted == {"ocpihub-facade"}  # of the workloads shipped here; a dashboard or operator job is let in too
    for component in ("dashboard", "operator"):
        assert selects(
            peer["podSelector"], {"app.kubernetes.io/name": "ocpihub", "app.kubernetes.io/component": component}
        )
    assert not selects(
        peer["podSelector"], {"app.kubernetes.io/name": "ocpihub", "app.kubernetes.io/component": "migrate"}
    )
    core_ports = {p["name"] for c in containers(of_kind("Deployment")[0]) for p in c["ports"]}
    assert {port["port"] for rule in policy["spec"]["ingress"] for port in rule["ports"]} <= core_ports | {"grpc"}


def test_only_the_core_and_the_migration_reach_postgresql() -> None:
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind("NetworkPolicy")}
    labels = workload_labels()
    [peer] = policies["ocpihub-postgresql-ingress"]["ingress"][0]["from"]
    assert {name for name, lab in labels.items() if selects(peer["podSelector"], lab)} == {
        "ocpihub-core",
        "ocpihub-migrate",
    }
    barred = {
        name for name, lab in labels.items() if selects(policies["ocpihub-no-database-egress"]["podSelector"], lab)
    }
    assert barred == set(labels) - {"ocpihub-core", "ocpihub-migrate"}
    [rule] = policies["ocpihub-no-database-egress"]["egress"]
    assert rule["to"][0]["ipBlock"]["except"]


def test_certificates_come_from_secrets_that_exist_and_the_files_named_are_mounted() -> None:
    secrets = {s["metadata"]["name"]: s for s in of_kind("Secret")}
    for workload in of_kind("Deployment"):
        spec = workload["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in spec["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            for variable in container.get("env", []):
                if not variable["name"].endswith("_FILE"):
                    continue
                directory, _, file = variable["value"].rpartition("/")
                secret = secrets[volumes[mounts[directory]]["secret"]["secretName"]]
                assert file in secret["stringData"], (variable, secret["metadata"]["name"])
    core = of_kind("Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    assert {v["name"] for v in core["env"]} >= {
        "HUB_GRPC_TLS_CERT_FILE",
        "HUB_GRPC_TLS_KEY_FILE",
        "HUB_GRPC_CLIENT_CA_FILE",
    }
