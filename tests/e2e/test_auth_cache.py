"""The facade reuses token checks (facade/ocpi/auth_cache.py), and never one that a change has made wrong.

Each change below is made the way it happens in production — an operator's RPC, another replica's SQL, a partner's
own credentials call — and the next requests must see it within moments, not after the cache's 30 s.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
from prometheus_client import REGISTRY

from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.types.v1 import types_pb2
from tests.e2e.conftest import Hub, Network, token_header

AUTHENTICATE = "parties.v1.CredentialsService/AuthenticateToken"
LOCATIONS = "/ocpi/2.2.1/sender/locations"
# Notifications travel PostgreSQL → core → facade: a few milliseconds normally, seconds on a loaded machine. A third of
# the cache's 30 s: a change that did not propagate would only apply when the cached check expires.
PROPAGATION_SECONDS = 10.0


def core_authentications() -> float:
    return sum(
        REGISTRY.get_sample_value("ocpihub_grpc_server_duration_seconds_count", {"method": AUTHENTICATE, "code": c})
        or 0
        for c in ("OK", "UNAUTHENTICATED")
    )


async def status_of(hub: Hub, headers: dict[str, str]) -> int:
    response = await hub.http.get(LOCATIONS, headers=headers)
    return response.status_code


async def refused_within(hub: Hub, headers: dict[str, str], seconds: float = PROPAGATION_SECONDS) -> float:
    """How long until the Hub refuses these credentials (fails the test if it never does)."""
    start = time.monotonic()
    while (status := await status_of(hub, headers)) != 401:
        assert status == 200, status
        assert time.monotonic() - start < seconds, f"still accepted after {seconds} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def test_a_busy_partner_costs_the_core_one_token_check_not_one_per_request(
    hub_http: Hub, network: Network
) -> None:
    headers = network.emsp_headers()
    assert await status_of(hub_http, headers) == 200  # the first one asks the core (per facade replica)
    before = core_authentications()
    for _ in range(30):
        assert await status_of(hub_http, headers) == 200
    # At most one more per facade replica (two behind nginx in the scaled pass), not thirty.
    assert core_authentications() - before <= 2


async def test_an_operator_suspension_stops_a_cached_token_at_once(hub_http: Hub, network: Network) -> None:
    headers = network.cpo_headers()
    for _ in range(3):
        assert await status_of(hub_http, headers) == 200
    await hub_http.core.suspend_party("parties/VN/CPA/CPO")
    await refused_within(hub_http, headers)
    await hub_http.core.reinstate_party("parties/VN/CPA/CPO")
    start = time.monotonic()
    while await status_of(hub_http, headers) != 200:
        assert time.monotonic() - start < PROPAGATION_SECONDS
        await asyncio.sleep(0.01)


async def test_a_change_made_in_the_database_by_another_replica_reaches_every_facade(
    hub_http: Hub, network: Network, db: asyncpg.Pool
) -> None:
    headers = network.emsp_headers(2)
    for _ in range(3):
        assert await status_of(hub_http, headers) == 200
    await db.execute("UPDATE hub_tokens SET revoke_time = now() WHERE kind = 'C' AND revoke_time IS NULL")
    await refused_within(hub_http, headers)


async def test_new_limits_apply_to_a_cached_caller_at_once(hub_http: Hub, network: Network) -> None:
    headers = network.emsp_headers()
    assert await status_of(hub_http, headers) == 200
    em1 = types_pb2.PartyRef(country_code="VN", party_id="EM1")
    await hub_http.core.set_party_limits(pb.PartyLimits(party=em1, allowed_cidrs=["192.0.2.0/24"]))
    start = time.monotonic()
    while (response := await hub_http.http.get(LOCATIONS, headers=headers)).status_code == 200:
        assert time.monotonic() - start < PROPAGATION_SECONDS, "the allow-list never applied"
        await asyncio.sleep(0.01)
    assert response.status_code == 403, response.text


async def test_an_unregistered_platform_is_refused_although_its_token_was_cached(
    hub_http: Hub, network: Network
) -> None:
    headers = token_header(network.emsp2_token)
    assert await status_of(hub_http, headers) == 200
    response = await hub_http.http.delete(hub_http.credentials_url, headers=headers)
    assert response.json()["status_code"] == 1000, response.text
    # Unregistration is answered by the replica that did it; every other replica learns it from the watch.
    await refused_within(hub_http, headers)
