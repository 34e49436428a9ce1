"""facade/tls.py: the server's TLS context and the sandbox's self-signed certificate (files in tmp_path only)."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from prometheus_client import REGISTRY

from facade.app import create_app
from facade.settings import Settings
from facade.tls import certificate_files, ensure_self_signed, server_context


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return ensure_self_signed(tmp_path / "tls")


def test_server_context_speaks_tls_1_2_to_1_3_only(pair: tuple[Path, Path]) -> None:
    context = server_context(*pair)

    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.maximum_version == ssl.TLSVersion.TLSv1_3
    assert context.options & ssl.OP_NO_COMPRESSION
    assert context.options & ssl.OP_NO_RENEGOTIATION


def test_tls_1_2_ciphers_have_forward_secrecy_and_aead(pair: tuple[Path, Path]) -> None:
    tls12 = [c for c in server_context(*pair).get_ciphers() if c["protocol"] == "TLSv1.2"]

    assert tls12
    assert all(c["kea"] == "kx-ecdhe" and c["aead"] for c in tls12)


def test_self_signed_certificate_names_loopback_and_lasts_a_year(pair: tuple[Path, Path]) -> None:
    certificate = x509.load_pem_x509_certificate(pair[0].read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert 364 <= (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days <= 366


def test_self_signed_key_is_readable_by_its_owner_only(pair: tuple[Path, Path]) -> None:
    assert pair[1].stat().st_mode & 0o777 == 0o600


def test_self_signed_pair_is_reused_on_the_next_start(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    cert, key = pair[0].read_bytes(), pair[1].read_bytes()

    assert ensure_self_signed(tmp_path / "tls") == pair
    assert (pair[0].read_bytes(), pair[1].read_bytes()) == (cert, key)


def test_a_missing_key_makes_a_new_pair_with_a_private_key_file(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    cert = pair[0].read_bytes()
    pair[1].unlink()

    ensure_self_signed(tmp_path / "tls")

    assert pair[0].read_bytes() != cert
    assert pair[1].stat().st_mode & 0o777 == 0o600
    server_context(*pair)  # the new key matches the new certificate


def test_certificate_files_generate_in_the_data_dir_when_self_signed(tmp_path: Path) -> None:
    files = certificate_files(Settings(tls_self_signed=True, data_dir=str(tmp_path)))

    assert files == (tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem")


def test_certificate_files_are_the_configured_ones_or_none() -> None:
    configured = Settings(tls_cert_file="/c.pem", tls_key_file="/k.pem")

    assert certificate_files(configured) == (Path("/c.pem"), Path("/k.pem"))
    assert certificate_files(Settings()) is None


def test_the_facade_exports_when_its_own_certificate_expires(pair: tuple[Path, Path]) -> None:
    cert_file, key_file = pair
    create_app(Settings(tls_cert_file=str(cert_file), tls_key_file=str(key_file)))
    expiry = x509.load_pem_x509_certificate(cert_file.read_bytes()).not_valid_after_utc.timestamp()
    assert REGISTRY.get_sample_value("ocpihub_https_certificate_expiry_timestamp_seconds") == expiry
