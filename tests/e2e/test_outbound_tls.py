"""The Hub's own calls to parties over HTTPS verify the party's certificate: a certificate from a CA the Hub does not
trust, for another host or out of date is refused with an error that says so (the credentials handshake answers
3001, a delivery records why and is not sent), and one from a trusted CA works for handshakes and deliveries alike.

The CAs and certificates are made here; the Hub is told to trust one CA with HUB_PEER_CA_FILE (settings.peer_ca_file).
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from facade.app import create_app
from facade.settings import Settings
from hubclient import HubClient
from simulators import loopback
from simulators.party import EMSP_MODULES, PartySimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, token_header

NOW = datetime.datetime.now(datetime.UTC)
LOC1 = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"


@dataclass
class Authority:
    """A CA of the test's own."""

    name: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, name: str) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(name, key, certificate)

    def write(self, directory: Path) -> Path:
        path = directory / f"{self.name}.pem"
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return path

    def issue(self, directory: Path, name: str, *, host: str = "127.0.0.1", expired: bool = False) -> tuple[Path, Path]:
        """A server certificate for `host` (an IP address or a DNS name) and its key, as PEM files."""
        key = ec.generate_private_key(ec.SECP256R1())
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alt = x509.DNSName(host)
        end = NOW - datetime.timedelta(hours=1) if expired else NOW + datetime.timedelta(days=7)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=2))
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cert_file, key_file


@dataclass
class Pki:
    trusted: Authority
    trusted_file: Path
    rogue: Authority
    directory: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    trusted = Authority.create("Partner CA")
    return Pki(trusted, trusted.write(directory), Authority.create("Rogue CA"), directory)


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


@asynccontextmanager
async def hub_trusting(
    core_address: str, redis_url: str, ca_file: Path | None, *, delivery_workers: int = 0
) -> AsyncIterator[Hub]:
    """A facade of its own (handshakes, deliveries) trusting `ca_file`'s CAs, or the default ones when None."""
    sock = loopback.bind_loopback()
    url = loopback.url_of(sock)
    settings = Settings(
        environment="sandbox",
        core_address=core_address,
        public_url=url,
        redis_url=redis_url,
        peer_timeout_seconds=3.0,
        delivery_workers=delivery_workers,
        delivery_lease_seconds=5.0,
        alive_check_seconds=0,
        refused_tokens_per_minute=0,
        peer_ca_file=str(ca_file) if ca_file else None,
    )
    async with (
        HubClient(core_address) as client,
        loopback.serve(create_app(settings, client), sock),
        httpx.AsyncClient(base_url=url, timeout=15.0) as http,
    ):
        yield Hub(url, http, client)


async def https_party(stack: AsyncExitStack, files: tuple[Path, Path], **options: Any) -> PartySimulator:
    """A simulated platform served over HTTPS with the given certificate and key."""
    sim = PartySimulator(**options)
    sock = loopback.bind_loopback()
    sim.base_url = loopback.url_of(sock, "https")
    await stack.enter_async_context(loopback.serve(sim.app(), sock, tls_files=files))
    return sim


def emsp(**options: Any) -> dict[str, Any]:
    return {"party_id": "EM1", "role": "EMSP", "name": "eMobility One", "modules": list(EMSP_MODULES), **options}


async def test_a_party_with_a_certificate_from_a_trusted_ca_registers_and_gets_deliveries_over_https(
    hub_http: Hub,
    pki: Pki,
    stack: AsyncExitStack,
    start_party: Callable[..., Awaitable[PartySimulator]],
    core_address: str,
    redis_url: str,
) -> None:
    party = await https_party(stack, pki.trusted.issue(pki.directory, "em1-good"), **emsp())
    cpo = await start_party(party_id="CPA", name="CP Alpha")
    async with hub_trusting(core_address, redis_url, pki.trusted_file, delivery_workers=1) as hub:
        await hub.register(party)  # the handshake called its versions and details over verified HTTPS
        assert [r.path for r in party.received] == ["/ocpi/versions", "/ocpi/2.2.1"]
        cpo_headers = {
            **token_header(await hub.register(cpo)),
            "OCPI-to-country-code": "VN",
            "OCPI-to-party-id": "HUB",
        }
        answer = await hub.http.put(LOC1, json=samples.location(), headers=cpo_headers)
        assert answer.json()["status_code"] == 1000
        await party.wait_for(lambda: len(party.pushes("locations")) == 1)
    assert party.pushes("locations")[0].path == "/ocpi/2.2.1/locations/VN/CPA/LOC1"


@pytest.mark.parametrize(
    ("certificate", "why"),
    [
        ("rogue", "unable to get local issuer certificate"),
        ("other-host", "mismatch"),
        ("expired", "certificate has expired"),
    ],
)
async def test_a_party_whose_certificate_does_not_verify_is_refused_at_registration_saying_why(
    hub_http: Hub,
    pki: Pki,
    stack: AsyncExitStack,
    core_address: str,
    redis_url: str,
    db: asyncpg.Pool,
    certificate: str,
    why: str,
) -> None:
    files = {
        "rogue": lambda: pki.rogue.issue(pki.directory, "em1-rogue"),
        "other-host": lambda: pki.trusted.issue(pki.directory, "em1-other", host="cpo.example.com"),
        "expired": lambda: pki.trusted.issue(pki.directory, "em1-expired", expired=True),
    }[certificate]()
    party = await https_party(stack, files, **emsp())
    async with hub_trusting(core_address, redis_url, pki.trusted_file) as hub:
        token_a = await hub.invite(party)
        answer = await hub.http.post(hub.credentials_url, json=party.credentials(), headers=token_header(token_a))
    body = answer.json()
    assert body["status_code"] == 3001, body
    message = body["status_message"]
    assert "TLS certificate is not trusted" in message and why in message, message
    assert party.received == []  # refused in the TLS handshake: not one request (nor its token) reached it
    # Nothing registered: TOKEN_A still works, no platform.
    assert await db.fetchval("SELECT count(*) FROM platforms") == 0


async def test_a_delivery_to_a_party_whose_certificate_is_not_trusted_is_not_sent_and_says_why(
    hub_http: Hub,
    pki: Pki,
    stack: AsyncExitStack,
    start_party: Callable[..., Awaitable[PartySimulator]],
    core_address: str,
    redis_url: str,
    db: asyncpg.Pool,
) -> None:
    """Registered through a replica that trusts its CA; delivered by one that does not (the default trust store):
    the delivery is refused in the TLS handshake, retried, and its last error names the certificate."""
    party = await https_party(stack, pki.trusted.issue(pki.directory, "em1-private"), **emsp())
    cpo = await start_party(party_id="CPA", name="CP Alpha")
    async with hub_trusting(core_address, redis_url, pki.trusted_file) as hub:
        await hub.register(party)
        cpo_headers = {
            **token_header(await hub.register(cpo)),
            "OCPI-to-country-code": "VN",
            "OCPI-to-party-id": "HUB",
        }
        assert (await hub.http.put(LOC1, json=samples.location(), headers=cpo_headers)).json()["status_code"] == 1000
    party.received.clear()
    async with hub_trusting(core_address, redis_url, None, delivery_workers=1):
        for _ in range(400):
            row = await db.fetchrow(
                "SELECT state, attempts, last_error FROM deliveries WHERE receiver_party_id = 'EM1'"
            )
            if row and row["last_error"]:
                break
            await asyncio.sleep(0.05)
    assert row is not None and row["last_error"], row
    assert row["state"] == "PENDING"  # retried: the party may fix its certificate
    assert row["last_error"].startswith("cannot connect: its TLS certificate is not trusted ("), row["last_error"]
    assert party.pushes("locations") == []


async def test_a_relay_to_a_party_goes_over_verified_https_and_is_4003_saying_why_when_not_trusted(
    hub_http: Hub,
    pki: Pki,
    stack: AsyncExitStack,
    start_party: Callable[..., Awaitable[PartySimulator]],
    core_address: str,
    redis_url: str,
) -> None:
    """A push with OCPI-to naming EM1 is forwarded to it at once: through a replica trusting its CA it arrives and
    EM1's answer comes back; through one that does not, the CPO gets 4003 naming the certificate and EM1 nothing."""
    party = await https_party(stack, pki.trusted.issue(pki.directory, "em1-relay"), **emsp())
    cpo = await start_party(party_id="CPA", name="CP Alpha")
    async with hub_trusting(core_address, redis_url, pki.trusted_file) as hub:
        await hub.register(party)
        to_em1 = {
            **token_header(await hub.register(cpo)),
            "OCPI-from-country-code": "VN",
            "OCPI-from-party-id": "CPA",
            "OCPI-to-country-code": "VN",
            "OCPI-to-party-id": "EM1",
        }
        relayed = await hub.http.put(LOC1, json=samples.location(), headers=to_em1)
        assert relayed.json()["status_code"] == 1000, relayed.json()
        assert (relayed.headers["ocpi-from-country-code"], relayed.headers["ocpi-from-party-id"]) == ("VN", "EM1")
    assert len(party.pushes("locations")) == 1
    async with hub_trusting(core_address, redis_url, None) as hub:
        refused = await hub.http.put(LOC1, json=samples.location(), headers=to_em1)
    body = refused.json()
    assert body["status_code"] == 4003, body
    assert body["status_message"].startswith("cannot reach VN/EM1: its TLS certificate is not trusted ("), body
    assert len(party.pushes("locations")) == 1
