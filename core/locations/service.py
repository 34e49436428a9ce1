"""Use cases of the locations store: CPO pushes (PUT/PATCH of location, EVSE, connector) and reads.

A write is checked (owner, parent exists, not stale), applied, stored and, in the same transaction, queued for
every party that should receive it (core/locations/writes.py: concurrent writes share a transaction). The Hub never
changes `last_updated`; a child's write sets its parents' to the child's value (OCPI: "the receiver SHALL also set
the parent's last_updated").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message

from core import ownership
from core.directory import Directory
from core.errors import InvalidArgument, NotFound
from core.locations.repository import LocationFilter, LocationRepository
from core.locations.writes import LocationWrite, LocationWrites, WriteOutcome, unknown
from core.parties.model import Role
from core.writes import STALE, apply, is_stale
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason
from ocpihub.locations.v1 import locations_pb2 as pb
from ocpihub.types.v1 import types_pb2

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Write:
    """A PUT (mask None) or PATCH (mask = the fields it carries) by the calling platform, and what to relay."""

    mask: FieldMask | None
    allow_missing: bool
    caller_platform: str
    relay: deliveries_pb2.Message


def _find(items: list[Message], key_field: str, key: str) -> int | None:
    for index, item in enumerate(items):
        if getattr(item, key_field).upper() == key.upper():
            return index
    return None


class LocationsService:
    def __init__(self, pool: asyncpg.Pool, directory: Directory) -> None:
        self._pool = pool
        self._writes = LocationWrites(pool, directory)

    async def get(self, country_code: str, party_id: str, location_id: str) -> pb.Location:
        async with self._pool.acquire() as conn:
            location = await LocationRepository(conn).get(country_code.upper(), party_id.upper(), location_id)
        if location is None:
            raise NotFound(
                ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND,
                f"no location {country_code.upper()}/{party_id.upper()}/{location_id}",
            )
        return location

    async def list_locations(self, f: LocationFilter, *, offset: int, limit: int) -> tuple[list[pb.Location], int]:
        async with self._pool.acquire() as conn:
            return await LocationRepository(conn).list(f, offset=offset, limit=min(limit, MAX_PAGE_SIZE))

    async def status_totals(self, f: LocationFilter) -> dict[str, int]:
        async with self._pool.acquire() as conn:
            return await LocationRepository(conn).status_totals(f)

    async def update_location(self, incoming: pb.Location, write: Write) -> WriteOutcome:
        def change(stored: pb.Location | None) -> pb.Location | types_pb2.WriteResult.ValueType:
            if stored is not None and is_stale(stored, incoming):
                return STALE
            return apply(stored, incoming, write.mask)

        return await self._write(incoming.country_code, incoming.party_id, incoming.id, write, change, creates=True)

    async def update_evse(self, parent: tuple[str, str, str], incoming: pb.Evse, write: Write) -> WriteOutcome:
        created: list[bool] = []  # set when the EVSE is new: the write created the object its URL names

        def change(stored: pb.Location | None) -> pb.Location | types_pb2.WriteResult.ValueType:
            assert stored is not None
            index = _find(list(stored.evses), "uid", incoming.uid)
            current = stored.evses[index] if index is not None else None
            if current is None and not write.allow_missing:
                raise unknown("EVSE", f"{parent[2]}/{incoming.uid}")
            if current is not None and is_stale(current, incoming):
                return STALE
            location = pb.Location()
            location.CopyFrom(stored)
            evse = apply(current, incoming, write.mask)
            if index is None:
                location.evses.append(evse)
                created.append(True)
            else:
                location.evses[index].CopyFrom(evse)
            location.last_updated.CopyFrom(incoming.last_updated)
            return location

        return await self._write(*parent, write, change, creates=False, created=created)

    async def update_connector(
        self, parent: tuple[str, str, str, str], incoming: pb.Connector, write: Write
    ) -> WriteOutcome:
        evse_uid = parent[3]
        created: list[bool] = []

        def change(stored: pb.Location | None) -> pb.Location | types_pb2.WriteResult.ValueType:
            assert stored is not None
            evse_index = _find(list(stored.evses), "uid", evse_uid)
            if evse_index is None:
                raise unknown("EVSE", f"{parent[2]}/{evse_uid}")
            evse = stored.evses[evse_index]
            index = _find(list(evse.connectors), "id", incoming.id)
            current = evse.connectors[index] if index is not None else None
            if current is None and not write.allow_missing:
                raise unknown("connector", f"{parent[2]}/{evse_uid}/{incoming.id}")
            if current is not None and is_stale(current, incoming):
                return STALE
            location = pb.Location()
            location.CopyFrom(stored)
            target = location.evses[evse_index]
            connector = apply(current, incoming, write.mask)
            if index is None:
                target.connectors.append(connector)
                created.append(True)
            else:
                target.connectors[index].CopyFrom(connector)
            target.last_updated.CopyFrom(incoming.last_updated)
            location.last_updated.CopyFrom(incoming.last_updated)
            return location

        return await self._write(*parent[:3], write, change, creates=False, created=created)

    async def _write(
        self,
        country_code: str,
        party_id: str,
        location_id: str,
        write: Write,
        change: Callable[[pb.Location | None], pb.Location | types_pb2.WriteResult.ValueType],
        *,
        creates: bool,
        created: list[bool] | None = None,
    ) -> WriteOutcome:
        if not location_id:
            raise InvalidArgument([("id", "is required")])
        return await self._writes.submit(
            LocationWrite(
                owner=ownership.owner_key(country_code, party_id, Role.CPO),
                location_id=location_id,
                caller_platform=write.caller_platform,
                relay=write.relay,
                change=change,
                creates=creates and write.allow_missing and write.mask is None,
                created=created if created is not None else [],
            )
        )
