"""The client side of the core's mutual TLS: this caller's certificate and key, and the CA the core's chains to.

Every internal caller presents one (HUB_CLIENT_CERT_FILE, HUB_CLIENT_KEY_FILE, HUB_CLIENT_CA_FILE); the role it was
issued for decides what the core lets it call. `hubctl` run from a checkout finds the operator's pair that `make run`
wrote under .hub/pki without any of these set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

_VARIABLES = ("HUB_CLIENT_CERT_FILE", "HUB_CLIENT_KEY_FILE", "HUB_CLIENT_CA_FILE")


@dataclass(frozen=True, slots=True)
class ClientTls:
    cert: bytes
    key: bytes
    ca: bytes
    # The name the core's certificate must carry when the address does not say it (HUB_CORE_TLS_SERVER_NAME).
    server_name: str = ""

    @classmethod
    def from_files(cls, cert: str | Path, key: str | Path, ca: str | Path, server_name: str = "") -> ClientTls:
        return cls(Path(cert).read_bytes(), Path(key).read_bytes(), Path(ca).read_bytes(), server_name)

    @classmethod
    def from_pki(cls, directory: str | Path, role: str) -> ClientTls:
        """The pair `python -m core.pki init DIR` issued for `role`."""
        directory = Path(directory)
        return cls.from_files(directory / f"{role}.crt", directory / f"{role}.key", directory / "ca.crt")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ClientTls | None:
        files = [environ.get(name, "") for name in _VARIABLES]
        if not any(files):
            return None
        if not all(files):
            raise ValueError(f"{', '.join(_VARIABLES)} go together: set all three or none")
        cert, key, ca = files
        return cls.from_files(cert, key, ca, environ.get("HUB_CORE_TLS_SERVER_NAME", ""))

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca, private_key=self.key, certificate_chain=self.cert
        )
