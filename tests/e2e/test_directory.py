"""The core remembers who owns pushed objects and who receives them (core/directory.py) — never past a change.

Changes made through this core apply to the very next push; a change made elsewhere (another replica, SQL) within
moments, through PostgreSQL's notification.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import grpc

from facade.ocpi.proto_json import to_proto_with_fields
from hubclient import HubError
from ocpihub.locations.v1 import locations_pb2 as pb
from ocpihub.locations.v1 import locations_service_pb2 as rpc
from simulators.party import EMSP_MODULES, PartySimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network
from tests.waiting import eventually

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


async def core_push(hub: Hub, platform: str, location_id: str) -> None:
    """A location write straight to the core, as the facade makes it for the CPO's platform."""
    location, _ = to_proto_with_fields(samples.location(location_id), pb.Location)
    location.country_code, location.party_id = "VN", "CPA"
    await hub.core.update_location(
        rpc.UpdateLocationRequest(location=location, allow_missing=True, caller_platform=platform)
    )


async def test_a_cpo_suspended_by_sql_cannot_push_within_moments(
    hub_http: Hub, network: Network, db: asyncpg.Pool
) -> None:
    platform = "platforms/" + str(await db.fetchval("SELECT platform_id FROM parties WHERE party_id = 'CPA'"))
    # Straight to the core: through the facade, its own token check would refuse the suspended CPO even if the
    # core's directory went on answering "VN/CPA belongs to this platform" from memory.
    await core_push(hub_http, platform, "LOC1")  # the owner is now remembered
    # As another replica or an operator's SQL would: only PostgreSQL's notification tells this core.
    await db.execute("UPDATE parties SET suspend_time = now() WHERE country_code = 'VN' AND party_id = 'CPA'")

    async def core_refuses() -> bool:
        try:
            await core_push(hub_http, platform, "LOC2")
        except HubError as error:
            assert error.code == grpc.StatusCode.PERMISSION_DENIED, error
            return True
        return False

    await eventually(core_refuses, "the core kept taking the suspended CPO as the owner of its locations")

    async def facade_refuses() -> bool:
        answer = await push(hub_http, network, "LOC3")
        assert answer[0] == 401 or answer in ((201, 1000), (200, 1000)), answer
        return answer[0] == 401

    await eventually(facade_refuses, "the facade kept taking the suspended CPO's pushes")
    # Refused for good, and a refused push leaves nothing behind.
    assert (await push(hub_http, network, "LOC4"))[0] == 401
    assert await db.fetchval("SELECT count(*) FROM locations WHERE id_key = 'LOC4'") == 0
