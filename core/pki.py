"""A local certificate authority for the core's port: the core's server certificate and its callers' certificates.

Each caller's certificate names the caller (subject CN) and its role (subject OU, one of `core.access.Role`): the
core reads both from the verified chain, so a role cannot be claimed, only issued. `make run` makes a CA and one
certificate per role under `.hub/pki/` on first run; production issues its own (README "Operations"):

    python -m core.pki init DIR                          # ca.crt/ca.key + core.crt/key + one pair per role
    python -m core.pki issue DIR --role operator --name alice [--days 90]    # another caller's pair
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROLES = ("facade", "operator", "analyst", "billing", "dashboard")
# The names a core's certificate answers to: loopback for `make run` and tests, `core` for the Kubernetes Service.
CORE_NAMES = ("localhost", "core", "127.0.0.1", "::1")
_CA_DAYS, _LEAF_DAYS = 3650, 825


@dataclass(frozen=True, slots=True)
class Pair:
    cert: Path
    key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write(pair: Pair, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pair:
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    pair.key.chmod(0o600)
    return pair


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def create_ca(directory: Path) -> Pair:
    directory.mkdir(parents=True, exist_ok=True)
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OCPI Hub internal CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return _write(Pair(directory / "ca.crt", directory / "ca.key"), cert, key)


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return cert, key


def _leaf(
    directory: Path, stem: str, subject: x509.Name, usage: x509.ObjectIdentifier, days: int, names: tuple[str, ...]
) -> Pair:
    ca_cert, ca_key = _load_ca(directory)
    key = _key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
    return _write(
        Pair(directory / f"{stem}.crt", directory / f"{stem}.key"), builder.sign(ca_key, hashes.SHA256()), key
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def issue_server(directory: Path, names: tuple[str, ...] = CORE_NAMES, days: int = _LEAF_DAYS) -> Pair:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "core")])
    return _leaf(directory, "core", subject, ExtendedKeyUsageOID.SERVER_AUTH, days, names)


def issue_client(directory: Path, role: str, name: str, days: int = _LEAF_DAYS, stem: str | None = None) -> Pair:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    return _leaf(directory, stem or role, subject, ExtendedKeyUsageOID.CLIENT_AUTH, days, ())


def init(directory: Path) -> None:
    """A CA, the core's pair and one pair per role (named after the role), unless the CA is already there."""
    if (directory / "ca.crt").exists():
        return
    create_ca(directory)
    issue_server(directory)
    for role in ROLES:
        issue_client(directory, role, role)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.pki", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    init_parser = commands.add_parser("init", help="a CA, the core's certificate and one per role")
    init_parser.add_argument("directory", type=Path)
    issue = commands.add_parser("issue", help="a caller's certificate signed by the CA in DIR")
    issue.add_argument("directory", type=Path)
    issue.add_argument("--role", required=True, choices=ROLES)
    issue.add_argument("--name", required=True, help="who the caller is (a service or a person's email)")
    issue.add_argument("--days", type=int, default=_LEAF_DAYS)
    server = commands.add_parser("server", help="a new certificate for the core (rotation)")
    server.add_argument("directory", type=Path)
    server.add_argument("--name", action="append", help="DNS name or IP the core answers to (repeatable)")
    server.add_argument("--days", type=int, default=_LEAF_DAYS)
    args = parser.parse_args(argv)
    if args.command == "init":
        init(args.directory)
    elif args.command == "issue":
        pair = issue_client(args.directory, args.role, args.name, args.days, stem=f"{args.role}-{args.name}")
        print(f"{pair.cert}\n{pair.key}")
    else:
        pair = issue_server(args.directory, tuple(args.name or CORE_NAMES), args.days)
        print(f"{pair.cert}\n{pair.key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
