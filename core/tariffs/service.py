"""Use cases of the tariffs store: CPO PUT/DELETE (stored, then relayed in the same transaction) and reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core import ownership
from core.deliveries.model import relay_from_pb
from core.directory import Directory
from core.errors import InvalidArgument, NotFound
from core.events.model import Kind, party_of
from core.events.repository import emit
from core.parties.model import PartyKey, Role
from core.routing import addressed
from core.tariffs.repository import TariffRepository
from core.writes import CREATED, STALE, UNCHANGED, UPDATED, is_stale
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason
from ocpihub.tariffs.v1 import tariffs_pb2 as pb
from ocpihub.types.v1 import types_pb2

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class TariffWrite:
    tariff: pb.Tariff
    result: types_pb2.WriteResult.ValueType
    queued: addressed.Queued


class TariffsService:
    def __init__(self, pool: asyncpg.Pool, directory: Directory) -> None:
        self._pool = pool
        self._directory = directory

    async def get(self, country_code: str, party_id: str, tariff_id: str) -> pb.Tariff:
        async with self._pool.acquire() as conn:
            tariff = await TariffRepository(conn).get(country_code.upper(), party_id.upper(), tariff_id)
        if tariff is None:
            raise NotFound(
                ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"no tariff {country_code}/{party_id}/{tariff_id}"
            )
        return tariff

    async def list(
        self,
        *,
        country_code: str,
        party_id: str,
        last_updated_from: datetime | None,
        last_updated_to: datetime | None,
        offset: int,
        limit: int,
        viewer: str = "",
    ) -> tuple[list[pb.Tariff], int]:
        async with self._pool.acquire() as conn:
            return await TariffRepository(conn).list(
                country_code=country_code.upper(),
                party_id=party_id.upper(),
                last_updated_from=last_updated_from,
                last_updated_to=last_updated_to,
                offset=offset,
                limit=min(limit, MAX_PAGE_SIZE),
                viewer=viewer.upper(),
            )

    async def put(self, tariff: pb.Tariff, caller_platform: str, relay: deliveries_pb2.Message) -> TariffWrite:
        if not tariff.id:
            raise InvalidArgument([("id", "is required")])
        owner = ownership.owner_key(tariff.country_code, tariff.party_id, Role.CPO)
        async with self._pool.acquire() as conn, conn.transaction():
            await self._directory.require_owner(conn, caller_platform, owner)
            repo = TariffRepository(conn)
            stored = await repo.get(owner.country_code, owner.party_id, tariff.id, for_update=True)
            if stored is not None and is_stale(stored, tariff):
                return TariffWrite(stored, STALE, addressed.Queued(0))
            if stored == tariff:
                return TariffWrite(stored, UNCHANGED, addressed.Queued(0))
            await repo.upsert(tariff, addressed.addressee(relay))
            queued = await self._relay(conn, owner, tariff.id, relay)
            result = CREATED if stored is None else UPDATED
            await _tell(conn, owner, tariff.id, types_pb2.WriteResult.Name(result).removeprefix("WRITE_RESULT_"))
            return TariffWrite(tariff, result, queued)

    async def delete(
        self, country_code: str, party_id: str, tariff_id: str, caller_platform: str, relay: deliveries_pb2.Message
    ) -> addressed.Queued:
        owner = ownership.owner_key(country_code, party_id, Role.CPO)
        async with self._pool.acquire() as conn, conn.transaction():
            await self._directory.require_owner(conn, caller_platform, owner)
            repo = TariffRepository(conn)
            if await repo.get(owner.country_code, owner.party_id, tariff_id, for_update=True) is None:
                raise NotFound(
                    ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND,
                    f"no tariff {owner.country_code}/{owner.party_id}/{tariff_id}",
                )
            await repo.delete(owner.country_code, owner.party_id, tariff_id)
            await _tell(conn, owner, tariff_id, "DELETED")
            return await self._relay(conn, owner, tariff_id, relay)

    async def _relay(
        self, conn: asyncpg.Connection, owner: PartyKey, tariff_id: str, relay: deliveries_pb2.Message
    ) -> addressed.Queued:
        object_key = f"tariffs/{owner.country_code}/{owner.party_id}/{tariff_id.upper()}"
        return await addressed.enqueue(
            conn,
            relay,
            relay_from_pb(relay, owner, object_key),
            lambda: self._directory.broadcast_receivers(conn, "tariffs", owner),
        )


async def _tell(conn: asyncpg.Connection, owner: PartyKey, tariff_id: str, result: str) -> None:
    party = party_of(owner.country_code, owner.party_id)
    await emit(conn, Kind.TARIFF_CHANGED, party, f"tariffs/{party}/{tariff_id}", tariff_id=tariff_id, result=result)
