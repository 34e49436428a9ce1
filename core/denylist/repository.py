"""SQL of the denylist: address ranges refused on every replica."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

_COLUMNS = "network::text AS network, reason, created_by, create_time"


@dataclass(frozen=True, slots=True)
class DeniedNetwork:
    network: str
    reason: str
    created_by: str
    create_time: datetime


def _from_row(row: asyncpg.Record) -> DeniedNetwork:
    return DeniedNetwork(row["network"], row["reason"], row["created_by"], row["create_time"])


class DenylistRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def put(self, network: str, reason: str, created_by: str) -> DeniedNetwork:
        row = await self._conn.fetchrow(
            "INSERT INTO denied_networks (network, reason, created_by) VALUES ($1::cidr, $2, $3)"
            " ON CONFLICT (network) DO UPDATE SET reason = EXCLUDED.reason, created_by = EXCLUDED.created_by,"
            f" create_time = now() RETURNING {_COLUMNS}",
            network,
            reason,
            created_by,
        )
        return _from_row(row)

    async def list(self) -> list[DeniedNetwork]:
        return [_from_row(row) for row in await self._conn.fetch(f"SELECT {_COLUMNS} FROM denied_networks ORDER BY 1")]

    async def delete(self, network: str) -> bool:
        return (
            str(await self._conn.execute("DELETE FROM denied_networks WHERE network = $1::cidr", network)) != "DELETE 0"
        )
