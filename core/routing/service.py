"""Routing use cases exposed over gRPC (the broadcast audience is used inside other aggregates' transactions)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from core.parties.secrets import TokenVault
from core.routing import policy


@dataclass(frozen=True, slots=True)
class ResolvedRoute:
    route: policy.Route
    token: str


class RoutingService:
    def __init__(self, pool: asyncpg.Pool, vault: TokenVault) -> None:
        self._pool = pool
        self._vault = vault

    async def resolve_receiver(
        self, module: str, interface_role: str, country_code: str, party_id: str
    ) -> ResolvedRoute:
        async with self._pool.acquire() as conn:
            route = await policy.resolve(conn, module, interface_role, country_code, party_id)
        return ResolvedRoute(route, self._vault.decrypt(route.token_b_encrypted))
