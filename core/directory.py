"""Who owns pushed objects and who receives them, remembered between changes to parties and platforms.

Every push asked PostgreSQL twice (is the object the caller's? who gets it?), yet the answers change only when a
party or platform does. They are kept while the core watches those tables (core/parties/auth_changes.py), dropped at
the first change from any replica, and not kept at all while the watch is lost. A lookup that overlapped a change is
used once and not kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

import asyncpg

from core import ownership
from core.parties.auth_changes import AuthChanges
from core.parties.model import PartyKey, Role
from core.routing import policy
from core.routing.policy import Receiver

T = TypeVar("T")
MAX_ENTRIES = 10_000


class Directory:
    def __init__(self, changes: AuthChanges | None) -> None:
        self._changes = changes
        self._answers: dict[Hashable, object] = {}
        self._generation = 0
        if changes is not None:
            changes.subscribe(self._forget)

    def _forget(self) -> None:
        self._generation += 1
        self._answers.clear()

    async def _remembered(self, key: Hashable, look_up: Callable[[], Awaitable[T]]) -> T:
        watching = self._changes is not None and self._changes.listening
        if watching and key in self._answers:
            return self._answers[key]  # type: ignore[return-value]
        generation = self._generation
        answer = await look_up()
        if watching and generation == self._generation:
            if len(self._answers) >= MAX_ENTRIES:
                self._answers.clear()
            self._answers[key] = answer
        return answer

    async def require_owner(self, conn: asyncpg.Connection, caller_platform: str, key: PartyKey) -> None:
        """Raises PermissionDenied unless `key` is an active party of the calling platform."""
        owned = await self._remembered(
            ("owner", caller_platform, key), lambda: ownership.is_owner(conn, caller_platform, key)
        )
        if not owned:
            raise ownership.not_owner(key)

    async def broadcast_receivers(self, conn: asyncpg.Connection, module: str, sender: PartyKey) -> list[Receiver]:
        return await self._remembered(
            ("broadcast", module, sender), lambda: policy.broadcast_receivers(conn, module, sender)
        )

    async def owner_receivers(
        self, conn: asyncpg.Connection, module: str, country_code: str, party_id: str, roles: tuple[Role, ...]
    ) -> list[Receiver]:
        key = ("owner_receivers", module, country_code.upper(), party_id.upper(), roles)
        return await self._remembered(key, lambda: policy.owner_receivers(conn, module, country_code, party_id, roles))
