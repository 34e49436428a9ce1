"""Scale-out (issue 7): two cores and two facades, each a real process, against one PostgreSQL, behind nginx (Debian's)
on loopback. Partners see one Hub: a command's result may land on either replica and reaches the eMSP once; a command
timeout fires once although both cores sweep; still-alive checks are not doubled although both facades check."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from hubclient import HubClient
from simulators import loopback, proxy
from simulators.party import EMSP_MODULES, PartySimulator
from tests import internal_tls, services
from tests.conftest import TOKEN_KEY
from tests.e2e import samples
from tests.e2e.conftest import Hub, token_header

QUIET = 2.0  # seconds without a request before a platform gets a still-alive check


@contextlib.asynccontextmanager
async def scaled_hub(database_url: str) -> AsyncIterator[tuple[str, list[str], list[int]]]:
    """nginx URL, the facades' own URLs, the cores' gRPC ports."""
    grpc_ports, http_ports, proxy_port = (
        [loopback.free_port(), loopback.free_port()],
        [loopback.free_port(), loopback.free_port()],
        loopback.free_port(),
    )
    public_url = f"http://127.0.0.1:{proxy_port}"
    started: list[asyncio.subprocess.Process] = []
    base = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_TOKEN_KEYS": TOKEN_KEY,
        "HUB_PUBLIC_URL": public_url,
        "HUB_PEER_TIMEOUT_SECONDS": "2",
        "HUB_DELIVERY_LEASE_SECONDS": "4",
        "HUB_ALIVE_CHECK_SECONDS": str(QUIET),
        "HUB_ALIVE_CHECK_INTERVAL_SECONDS": "0.2",
        "HUB_GRPC_HEALTH_PORT": "0",
        **internal_tls.core_env(internal_tls.session_dir()),
    }
    facade_tls = internal_tls.client_env(internal_tls.session_dir(), "facade")

    async def spawn(module: str, env: dict[str, str]) -> None:
        started.append(
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", module, env={**base, **env}, stdout=asyncio.subprocess.DEVNULL
            )
        )

    try:
        for grpc_port in grpc_ports:
            await spawn("core", {"HUB_GRPC_PORT": str(grpc_port), "HUB_CORE_METRICS_PORT": str(loopback.free_port())})
        for grpc_port, http_port in zip(grpc_ports, http_ports, strict=True):
            await spawn(
                "facade",
                {"HUB_HTTP_PORT": str(http_port), "HUB_CORE_ADDRESS": f"127.0.0.1:{grpc_port}", **facade_tls},
            )
        urls = [f"http://127.0.0.1:{p}" for p in http_ports]
        async with httpx.AsyncClient() as http:
            for url in urls:
                for _ in range(150):
                    with contextlib.suppress(httpx.HTTPError):
                        if (await http.get(f"{url}/health")).status_code == 200:
                            break
                    await asyncio.sleep(0.2)
                else:
                    raise AssertionError(f"{url} did not become healthy")
        async with proxy.nginx(proxy_port, http_ports):
            yield public_url, urls, grpc_ports
    finally:
        for process in reversed(started):
            if process.returncode is None:
                process.terminate()
                await process.wait()


# Four processes and nginx started (each up to 30 s to get healthy on a loaded machine), then ~10 s of scenarios.
@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_two_cores_two_facades_behind_nginx_act_as_one_hub(
    postgres_server_url: str, start_party: Callable[..., Awaitable[PartySimulator]]
) -> None:
    database_url = await services.create_database(postgres_server_url)
    cpo = await start_party(party_id="CPA")
    emsp = await start_party(party_id="EM1", role="EMSP", modules=list(EMSP_MODULES))
    try:
        async with (
            scaled_hub(database_url) as (public_url, facades, grpc_ports),
            HubClient(f"127.0.0.1:{grpc_ports[1]}") as core,
            httpx.AsyncClient(base_url=public_url, timeout=10) as http,
        ):
            hub = Hub(public_url, http, core)
            cpo_token, emsp_token = await hub.register(cpo), await hub.register(emsp)
            cpo_headers = {**token_header(cpo_token), "OCPI-to-country-code": "VN", "OCPI-to-party-id": "HUB"}
            emsp_headers = {**token_header(emsp_token), "OCPI-from-country-code": "VN", "OCPI-from-party-id": "EM1"}

            # Broadcast: stored once, delivered once, whichever facade's workers lease it.
            for n in range(10):
                answer = await http.put(
                    f"/ocpi/2.2.1/receiver/locations/VN/CPA/L{n}", json=samples.location(f"L{n}"), headers=cpo_headers
                )
                assert answer.json()["status_code"] == 1000
            await emsp.wait_for(lambda: len(emsp.pushes("locations")) >= 10)

            # A command through the proxy; its result posted straight to each facade in turn: relayed once each.
            for ref, facade in (("a", facades[0]), ("b", facades[1])):
                body = {
                    "response_url": f"{emsp.base_url}/ocpi/2.2.1/commands/cb/{ref}",
                    "token": samples.token(),
                    "location_id": "L0",
                    "evse_uid": "L0-E1",
                    "connector_id": "1",
                }
                answer = await http.post("/ocpi/2.2.1/receiver/commands/START_SESSION", json=body, headers=emsp_headers)
                assert answer.json()["data"]["result"] == "ACCEPTED", answer.text
                sent = json.loads(cpo.requests_to("/ocpi/2.2.1/commands/START_SESSION")[-1].body)["response_url"]
                result_url = sent.replace(public_url, facade)
                posted = await http.post(result_url, json={"result": "ACCEPTED"}, headers={**token_header(cpo_token)})
                assert posted.json()["status_code"] == 1000
            await emsp.wait_for(lambda: all(emsp.requests_to(f"/ocpi/2.2.1/commands/cb/{r}") for r in "ab"))

            # A CPO that never posts a result: both cores sweep, the eMSP gets one TIMEOUT.
            cpo.command_response = {"result": "ACCEPTED", "timeout": 5}
            body["response_url"] = f"{emsp.base_url}/ocpi/2.2.1/commands/cb/silent"
            await http.post("/ocpi/2.2.1/receiver/commands/START_SESSION", json=body, headers=emsp_headers)
            await emsp.wait_for(lambda: len(emsp.requests_to("/ocpi/2.2.1/commands/cb/silent")) == 1, within=15)

            # Still-alive checks: both facades check quiet platforms, yet each quiet period gets one check.
            emsp_checks_from = len(emsp.requests_to("/ocpi/versions"))
            await emsp.wait_for(lambda: len(emsp.requests_to("/ocpi/versions")) >= emsp_checks_from + 3, within=60)
            checks = emsp.requests_to("/ocpi/versions")[emsp_checks_from:]
            # A claim makes the next check due a quiet period later, so checks come about QUIET apart; one doubled by
            # the two facades would come at once. (Half of QUIET: a loaded machine delays some checks, not others.)
            gaps = [b.at - a.at for a, b in itertools.pairwise(checks)]
            assert all(gap > QUIET / 2 for gap in gaps), gaps

        # Nothing was relayed twice.
        assert len(emsp.requests_to("/ocpi/2.2.1/commands/cb/a")) == 1
        assert len(emsp.requests_to("/ocpi/2.2.1/commands/cb/b")) == 1
        assert len(emsp.requests_to("/ocpi/2.2.1/commands/cb/silent")) == 1
        assert sorted(p.path for p in emsp.pushes("locations")) == sorted(
            f"/ocpi/2.2.1/locations/VN/CPA/L{n}" for n in range(10)
        )
    finally:
        await services.drop_database(postgres_server_url, database_url)
