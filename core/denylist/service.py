"""Use cases of the denylist: operators add and remove ranges (each change audited), facades read the whole list."""

from __future__ import annotations

import ipaddress

import asyncpg

from core.access import current_caller
from core.audit.repository import AuditRepository
from core.denylist.repository import DeniedNetwork, DenylistRepository
from core.errors import InvalidArgument, NotFound
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason


def canonical(network: str) -> str:
    """A CIDR (or one address) in canonical form; host bits set ("10.0.0.1/8") are refused, not silently widened."""
    try:
        return str(ipaddress.ip_network(network.strip(), strict=True))
    except ValueError as exc:
        raise InvalidArgument([("network", f"must be a CIDR or an IP address: {exc}")]) from None


class DenylistService:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def add(self, network: str, reason: str) -> DeniedNetwork:
        caller = current_caller.get()
        actor = caller.actor if caller else ""
        async with self._pool.acquire() as conn, conn.transaction():
            denied = await DenylistRepository(conn).put(canonical(network), reason, actor)
            await AuditRepository(conn).record("NETWORK_DENIED", detail={"network": denied.network, "reason": reason})
        return denied

    async def list(self) -> list[DeniedNetwork]:
        async with self._pool.acquire() as conn:
            return await DenylistRepository(conn).list()

    async def remove(self, network: str) -> None:
        network = canonical(network)
        async with self._pool.acquire() as conn, conn.transaction():
            if not await DenylistRepository(conn).delete(network):
                raise NotFound(ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"{network} is not on the denylist")
            await AuditRepository(conn).record("NETWORK_ALLOWED", detail={"network": network})
