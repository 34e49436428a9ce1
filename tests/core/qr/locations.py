"""Locations as a CPO would have pushed them, stored straight through the repository (the sticker tests' input)."""

from __future__ import annotations

import asyncpg

from core.locations.repository import LocationRepository
from ocpihub.locations.v1 import locations_pb2 as loc

AC = loc.Connector(
    id="1",
    standard=loc.CONNECTOR_TYPE_IEC_62196_T2,
    power_type=loc.POWER_TYPE_AC_3_PHASE,
    max_voltage=400,
    max_amperage=32,
    max_electric_power=22000,
)
DC = loc.Connector(
    id="2", standard=loc.CONNECTOR_TYPE_IEC_62196_T2_COMBO, power_type=loc.POWER_TYPE_DC, max_electric_power=50000
)


def evse(uid: str, status: loc.EvseStatus.ValueType = loc.EVSE_STATUS_AVAILABLE, *plugs: loc.Connector) -> loc.Evse:
    return loc.Evse(uid=uid, status=status, connectors=plugs or (AC, DC))


async def store(pool: asyncpg.Pool, owner: str, location_id: str, name: str, *evses: loc.Evse) -> None:
    country_code, party_id = owner.split("/")
    location = loc.Location(country_code=country_code, party_id=party_id, id=location_id, name=name, evses=evses)
    async with pool.acquire() as conn:
        await LocationRepository(conn).upsert(location)


async def network(pool: asyncpg.Pool) -> None:
    """VN/ABC: LOC1 with EVSE-1 (AC + DC) and a REMOVED EVSE-9, LOC2 with EVSE-2 (AC + DC); VN/XYZ: LOC1 too."""
    await store(pool, "VN/ABC", "LOC1", "Vincom Bà Triệu", evse("EVSE-1"), evse("EVSE-9", loc.EVSE_STATUS_REMOVED))
    await store(pool, "VN/ABC", "LOC2", "Landmark 81", evse("EVSE-2", loc.EVSE_STATUS_CHARGING))
    await store(pool, "VN/XYZ", "LOC1", "Other CPO", evse("EVSE-1"))
