"""The facade over HTTPS on loopback (uvicorn with facade.tls, as `python -m facade` runs it): TLS 1.2 and 1.3 are
served, 1.3 is what a default client gets, TLS 1.1 is refused by the server."""

from __future__ import annotations

import asyncio
import ssl
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from facade.app import create_app
from facade.settings import Settings
from facade.tls import ensure_self_signed
from hubclient import HubClient
from simulators import loopback


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return ensure_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
async def https_hub(core_address: str, tls_files: tuple[Path, Path]) -> AsyncIterator[str]:
    settings = Settings(core_address=core_address, delivery_workers=0, alive_check_seconds=0)
    async with HubClient(core_address) as core, loopback.serve(create_app(settings, core), tls_files=tls_files) as url:
        yield url


def client_context(cert_file: Path, version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """Verifies the Hub against its self-signed certificate; pinned to one TLS version when given."""
    context = ssl.create_default_context(cafile=str(cert_file))
    if version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Python deprecates naming TLS 1.0/1.1 at all
            context.minimum_version = context.maximum_version = version
        # OpenSSL's default security level would keep the client itself from offering TLS 1.1.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


async def handshake(url: str, context: ssl.SSLContext) -> str:
    """The TLS version a bare handshake with the server at `url` settles on."""
    host, port = url.removeprefix("https://").split(":")
    _, writer = await asyncio.open_connection(host, int(port), ssl=context, server_hostname=host)
    try:
        version = writer.get_extra_info("ssl_object").version()
        assert isinstance(version, str)
        return version
    finally:
        writer.close()


@pytest.fixture(scope="module")
async def lenient_server(tls_files: tuple[Path, Path]) -> AsyncIterator[str]:
    """A plain TLS server that still accepts TLS 1.1: proves the TLS 1.1 client really offers it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.load_cert_chain(*tls_files)

    async def close(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(close, "127.0.0.1", 0, ssl=context)
    async with server:
        yield f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_tls_1_1_is_refused_by_the_hub(https_hub: str, lenient_server: str, tls_files: tuple[Path, Path]) -> None:
    tls_1_1 = client_context(tls_files[0], ssl.TLSVersion.TLSv1_1)
    assert await handshake(lenient_server, tls_1_1) == "TLSv1.1"

    with pytest.raises((ssl.SSLError, ConnectionError)):
        await handshake(https_hub, tls_1_1)


@pytest.mark.parametrize(
    ("version", "name"), [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3"), (None, "TLSv1.3")]
)
async def test_tls_1_2_and_1_3_are_served_and_1_3_is_preferred(
    https_hub: str, tls_files: tuple[Path, Path], version: ssl.TLSVersion | None, name: str
) -> None:
    async with httpx.AsyncClient(verify=client_context(tls_files[0], version), trust_env=False) as http:
        response = await http.get(f"{https_hub}/ready")

    assert response.status_code == 200
    assert response.json()["core"] is True
    assert response.extensions["network_stream"].get_extra_info("ssl_object").version() == name


async def test_plain_http_gets_no_answer_from_the_https_port(https_hub: str) -> None:
    with pytest.raises(httpx.TransportError):
        async with httpx.AsyncClient(trust_env=False) as http:
            await http.get(https_hub.replace("https://", "http://") + "/health")
