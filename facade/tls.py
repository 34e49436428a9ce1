"""HTTPS for the facade: the server's TLS context (1.2 at least, 1.3 preferred), the sandbox's self-signed pair, and
what the Hub trusts when it calls parties.

uvicorn builds its own context from ssl_version/ssl_ciphers, which cannot set a minimum version; `ssl_context_factory`
hands it ours instead. The factory is a module-level function so that it survives pickling into worker processes.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from collections.abc import Callable
from pathlib import Path

import certifi
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from facade.settings import Settings

# TLS 1.2 suites: forward secrecy (ECDHE) and AEAD only, as Mozilla's "intermediate" profile. TLS 1.3 suites are
# all AEAD and not set here (OpenSSL configures them apart).
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL"
SELF_SIGNED_VALIDITY = datetime.timedelta(days=365)


def server_context(cert_file: str | os.PathLike[str], key_file: str | os.PathLike[str] | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.set_ciphers(TLS12_CIPHERS)
    # Compression opens CRIME; renegotiation is a DoS lever and never needed by OCPI clients.
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.load_cert_chain(cert_file, key_file)
    return context


def peer_context(ca_file: str | os.PathLike[str] | None = None) -> ssl.SSLContext:
    """How the Hub verifies parties' HTTPS (handshakes, still-alive checks, relays, deliveries, QR mapping APIs): one
    context for all, so a party is trusted for every call or for none. Certificates must chain to the system's CAs or
    certifi's (what browsers trust), or only to `ca_file`'s when one is given (HUB_PEER_CA_FILE: a private PKI), and
    name the host called; TLS 1.2 at least."""
    if ca_file:
        context = ssl.create_default_context(cafile=ca_file)
    else:
        context = ssl.create_default_context()
        context.load_verify_locations(certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def untrusted(error: BaseException) -> str:
    """Why a party's certificate was refused (OpenSSL's verify message), in words its operator can act on."""
    why = getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error)
    return f"its TLS certificate is not trusted ({why})"


def uvicorn_ssl_context(config: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's `ssl_context_factory`: our context from the config's certificate and key, never uvicorn's default."""
    assert config.ssl_certfile is not None
    return server_context(config.ssl_certfile, config.ssl_keyfile)


def certificate_files(settings: Settings) -> tuple[Path, Path] | None:
    """The certificate and key to serve HTTPS with (None: plain HTTP), generating the sandbox's pair when asked."""
    if settings.tls_self_signed:
        return ensure_self_signed(Path(settings.data_dir) / "tls")
    if settings.tls_cert_file and settings.tls_key_file:
        return Path(settings.tls_cert_file), Path(settings.tls_key_file)
    return None


def ensure_self_signed(directory: Path) -> tuple[Path, Path]:
    """cert.pem and key.pem in `directory` for 127.0.0.1/localhost, generated on first use and reused while valid."""
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    if key_file.exists() and cert_file.exists() and _still_valid(cert_file):
        return cert_file, key_file
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    # The key is born 0600 (no window where others may read it); chmod covers a pre-existing file with looser bits.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    key_file.chmod(0o600)
    cert_file.write_bytes(_self_signed_certificate(key).public_bytes(serialization.Encoding.PEM))
    return cert_file, key_file


def _still_valid(cert_file: Path) -> bool:
    try:
        certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
    except ValueError:
        return False
    return certificate.not_valid_after_utc > datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)


def _self_signed_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OCPI Hub sandbox")])
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
        x509.IPAddress(ipaddress.IPv6Address("::1")),
    ]
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # clocks of clients on the same machine drift too
        .not_valid_after(now + SELF_SIGNED_VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
