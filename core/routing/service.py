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
        self, module: str, interface_role: str, to: tuple[str, str] | None, session: tuple[str, tuple[str, str]] | None
    ) -> ResolvedRoute:
        """The party named by `to`, or the CPO of `session` (its id and the requester) when it names none."""
        async with self._pool.acquire() as conn:
            if session is not None:
                to = await policy.session_owner(conn, *session, to)
            assert to is not None
            route = await policy.resolve(conn, module, interface_role, *to)
        return ResolvedRoute(route, self._vault.decrypt(route.token_b_encrypted))
