"""The restore drill (issue 15): a Hub's database dumped with pg_dump -Fc and restored with pg_restore into a fresh
database serves the same parties, locations and CDRs, and the parties' tokens work as before (README: Backup).

pg_dump/pg_restore are the server's own major version (Debian's /usr/lib/postgresql/N/bin, the embedded server's
binaries, or PATH); the test fails, naming what it looked for, when none matches.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from core.server import create_server
from core.settings import Settings as CoreSettings
from facade.app import create_app
from facade.settings import Settings
from hubclient import HubClient
from ocpihub.cdrs.v1 import cdrs_service_pb2 as cdrs_rpc
from ocpihub.locations.v1 import locations_service_pb2 as locations_rpc
from simulators import loopback
from tests import internal_tls, services
from tests.conftest import TOKEN_KEY
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

CPO_PUSH = "/ocpi/2.2.1/receiver"


async def _server_major(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SHOW server_version_num")) // 10000
    finally:
        await conn.close()


def pg_tool(name: str, major: int) -> str:
    """The `name` binary (pg_dump, pg_restore) of PostgreSQL `major`: a dump is read and written by its own major."""
    candidates = [f"/usr/lib/postgresql/{major}/bin/{name}"]
    with contextlib.suppress(ImportError):
        import pgserver

        candidates.append(str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name))
    candidates.append(shutil.which(name) or "")
    for candidate in filter(None, candidates):
        if not Path(candidate).is_file():
            continue
        version = subprocess.run([candidate, "--version"], capture_output=True, check=False).stdout  # noqa: S603
        found = re.search(rb"\(PostgreSQL\) (\d+)", version)
        if found and int(found.group(1)) == major:
            return candidate
    pytest.fail(f"no {name} of PostgreSQL {major} (the server's major version) among {list(filter(None, candidates))}")


async def run(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(*command, stderr=asyncio.subprocess.PIPE)
    _, stderr = await process.communicate()
    assert process.returncode == 0, f"{Path(command[0]).name} failed: {stderr.decode()}"


@contextlib.asynccontextmanager
async def restored_hub(database_url: str, redis_url: str) -> AsyncIterator[tuple[Hub, HubClient]]:
    """A new core (same HUB_TOKEN_KEYS) and facade with its delivery workers on the restored database; the Hub's
    operator client beside it."""
    tls = internal_tls.session_dir()
    core, port = await create_server(
        CoreSettings(**internal_tls.core_settings(tls), database_url=database_url, grpc_port=0, token_keys=(TOKEN_KEY,))
    )
    await core.start()
    sock = loopback.bind_loopback()
    url = loopback.url_of(sock)
    address = f"127.0.0.1:{port}"
    settings = Settings(core_address=address, public_url=url, redis_url=redis_url, peer_timeout_seconds=2.0)
    try:
        async with (
            HubClient(address, timeout=5.0, tls=internal_tls.session_client("facade")) as facade_client,
            HubClient(address, timeout=5.0) as operator,
            loopback.serve(create_app(settings, facade_client), sock),
            httpx.AsyncClient(base_url=url, timeout=10.0) as http,
        ):
            yield Hub(url, http, facade_client), operator
    finally:
        await core.stop(grace=0.5)


async def served(hub: Hub, operator: HubClient, network: Network) -> dict[str, Any]:
    """What parties see over OCPI and operators over gRPC: parties, locations, CDRs."""
    answers: dict[str, Any] = {}
    for name, path, headers in [
        ("locations", "/ocpi/2.2.1/sender/locations", network.emsp_headers(1)),
        ("cdrs", "/ocpi/2.2.1/sender/cdrs", network.emsp_headers(1)),
        ("hubclientinfo", "/ocpi/2.2.1/hubclientinfo", network.cpo_headers()),
        ("cpo's location", f"{CPO_PUSH}/locations/VN/CPA/LOC2", network.cpo_headers()),
    ]:
        response = await hub.http.get(path, headers=headers)
        assert (response.status_code, response.json()["status_code"]) == (200, 1000), (name, response.json())
        answers[name] = response.json()["data"]
    answers["parties"] = sorted([p.SerializeToString(deterministic=True) async for p in operator.list_parties()])
    located = await operator.list_locations(locations_rpc.ListLocationsRequest(page_size=100))
    answers["grpc locations"] = [loc.SerializeToString(deterministic=True) for loc in located.locations]
    cdrs = await operator.list_cdrs(cdrs_rpc.ListCdrsRequest(page_size=100))
    answers["grpc cdrs"] = [cdr.SerializeToString(deterministic=True) for cdr in cdrs.cdrs]
    verification = (await operator.get_cdr("cdrs/VN/CPA/CDR1")).verification
    answers["cdr verification"] = verification.SerializeToString(deterministic=True)
    return answers


async def test_a_restored_backup_serves_the_same_parties_locations_and_cdrs(
    hub_http: Hub, network: Network, database_url: str, postgres_server_url: str, redis_url: str, tmp_path: Path
) -> None:
    headers = network.cpo_headers()
    for location_id in ("LOC1", "LOC2"):
        put = await hub_http.http.put(
            f"{CPO_PUSH}/locations/VN/CPA/{location_id}", json=samples.location(location_id), headers=headers
        )
        assert put.json()["status_code"] == 1000
    await hub_http.http.put(f"{CPO_PUSH}/tariffs/VN/CPA/TARIFF-AC", json=samples.time_based_tariff(), headers=headers)
    posted = await hub_http.http.post(f"{CPO_PUSH}/cdrs", json=samples.cdr(), headers=headers)
    assert posted.json()["status_code"] == 1000
    before = await served(hub_http, hub_http.core, network)  # the session's client: an operator
    assert len(before["locations"]) == 2 and len(before["cdrs"]) == 1 and len(before["parties"]) == 3

    major = await _server_major(database_url)
    dump = tmp_path / "hub.dump"
    await run(pg_tool("pg_dump", major), "--format=custom", f"--file={dump}", f"--dbname={database_url}")
    restored_url = await services.create_database(postgres_server_url)
    try:
        await run(pg_tool("pg_restore", major), "--no-owner", "--exit-on-error", f"--dbname={restored_url}", str(dump))
        async with restored_hub(restored_url, redis_url) as (restored, operator):
            assert await served(restored, operator, network) == before

            # The CPO's TOKEN_C still opens the Hub, and the Hub still reaches the eMSP with the TOKEN_B it restored
            # (decrypted with the same HUB_TOKEN_KEYS): a new location is stored and delivered.
            network.emsp1.received.clear()
            put = await restored.http.put(
                f"{CPO_PUSH}/locations/VN/CPA/LOC3", json=samples.location("LOC3"), headers=headers
            )
            assert (put.status_code, put.json()["status_code"]) == (201, 1000), put.json()
            await network.emsp1.wait_for(lambda: bool(network.emsp1.requests_to("/ocpi/2.2.1/locations/VN/CPA/LOC3")))
            conn = await asyncpg.connect(restored_url)
            try:
                deadline = asyncio.get_running_loop().time() + 15
                while (
                    await conn.fetchval(
                        "SELECT state FROM deliveries WHERE path LIKE '%/LOC3' AND receiver_party_id = 'EM1'"
                    )
                    != "DELIVERED"
                ):
                    assert asyncio.get_running_loop().time() < deadline, "the eMSP did not accept the delivery"
                    await asyncio.sleep(0.05)
            finally:
                await conn.close()
    finally:
        await services.drop_database(postgres_server_url, restored_url)
