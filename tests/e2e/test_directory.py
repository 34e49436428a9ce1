"""The core remembers who owns pushed objects and who receives them (core/directory.py) — never past a change.

Changes made through this core apply to the very next push; a change made elsewhere (another replica, SQL) within
moments, through PostgreSQL's notification.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import asyncpg

from tests.e2e import samples
from tests.e2e.conftest import Hub, Network
from tests.simulators.party import EMSP_MODULES, PartySimulator

LOCATION = "/ocpi/2.2.1/receiver/locations/VN/CPA/{id}"


async def push(hub: Hub, network: Network, location_id: str) -> tuple[int, int]:
    response = await hub.http.put(
        LOCATION.format(id=location_id), json=samples.location(location_id), headers=network.cpo_headers()
    )
    return response.status_code, response.json()["status_code"]


async def test_a_party_registered_while_pushes_flow_gets_the_very_next_one(
    hub_http: Hub, network: Network, delivering: None, start_party: Callable[..., Awaitable[PartySimulator]]
) -> None:
    assert await push(hub_http, network, "LOC1") == (201, 1000)  # the audience (EM1, EM2) is now remembered
    emsp3 = await start_party(party_id="EM3", role="EMSP", name="eMobility Three", modules=list(EMSP_MODULES))
    await hub_http.register(emsp3)
    assert await push(hub_http, network, "LOC2") == (201, 1000)
    await emsp3.wait_for(lambda: any(r.path.endswith("/LOC2") for r in emsp3.pushes("locations")))
    assert not any(r.path.endswith("/LOC1") for r in emsp3.pushes("locations"))


async def test_a_cpo_suspended_by_sql_cannot_push_within_moments(
    hub_http: Hub, network: Network, db: asyncpg.Pool
) -> None:
    assert await push(hub_http, network, "LOC1") == (201, 1000)
    # As another replica or an operator's SQL would: only PostgreSQL's notification tells this core.
    await db.execute("UPDATE parties SET suspend_time = now() WHERE country_code = 'VN' AND party_id = 'CPA'")
    start = time.monotonic()
    while (answer := await push(hub_http, network, "LOC2"))[0] != 401:
        assert answer == (201, 1000) or answer == (200, 1000), answer
        assert time.monotonic() - start < 2.0, "the suspension never applied"
        await asyncio.sleep(0.01)
    assert await db.fetchval("SELECT count(*) FROM locations WHERE id_key = 'LOC2'") <= 1
