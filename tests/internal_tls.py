"""The core's mutual TLS in tests: one local CA per test session (core.pki); the core serves it and every client
presents the pair of its role, as in production. The session's environment holds the operator's pair, so a
HubClient or hubctl with no arguments is an operator; the facade and delivery workers get the facade's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hubclient import ClientTls


def core_settings(directory: Path) -> dict[str, Any]:
    """Keyword arguments of core.settings.Settings that make a core serve mutual TLS."""
    return {
        "grpc_tls_cert_file": str(directory / "core.crt"),
        "grpc_tls_key_file": str(directory / "core.key"),
        "grpc_client_ca_file": str(directory / "ca.crt"),
    }


def core_env(directory: Path) -> dict[str, str]:
    """The same for `python -m core`."""
    return {f"HUB_{key.upper()}": value for key, value in core_settings(directory).items()}


def client_env(directory: Path, role: str) -> dict[str, str]:
    """HUB_CLIENT_* naming `role`'s pair, for a process (facade, hubctl) or the tests' own environment."""
    return {
        "HUB_CLIENT_CERT_FILE": str(directory / f"{role}.crt"),
        "HUB_CLIENT_KEY_FILE": str(directory / f"{role}.key"),
        "HUB_CLIENT_CA_FILE": str(directory / "ca.crt"),
    }


def client(directory: Path, role: str) -> ClientTls:
    return ClientTls.from_pki(directory, role)


def session_dir() -> Path:
    """The session's CA directory (the one whose operator pair the environment holds)."""
    return Path(os.environ["HUB_CLIENT_CA_FILE"]).parent


def session_client(role: str) -> ClientTls:
    return client(session_dir(), role)
