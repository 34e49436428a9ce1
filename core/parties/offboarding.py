"""Operators end a party: revocation (for good) and unregistration (it may come back with a new TOKEN_A).

Either stops the party's tokens (facades drop cached checks on the triggers' notification, on every replica), dead-
letters its queued deliveries and tells the other platforms (HubClientInfo SUSPENDED), in one transaction. Queued
deliveries are dead-lettered rather than dropped: nothing the Hub accepted vanishes without a record, operators see
what the party never got (`hubctl deliveries list --state dead`), and a re-drive is refused while it is not registered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg

from core.access import current_caller
from core.audit.repository import AuditRepository
from core.deliveries.repository import DeliveryRepository
from core.errors import FailedPrecondition, InvalidArgument, NotFound
from core.metrics import SECURITY_EVENTS
from core.parties.client_info import ClientInfoAnnouncer
from core.parties.model import Party, PartyKey, PartyState, PlatformState
from core.parties.repository import PartyRepository
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason

_MAX_PARTIES = 500
_MAX_REASON = 500


def _actor() -> str:
    caller = current_caller.get()
    return caller.actor if caller else "core"


class Offboarding:
    def __init__(self, pool: asyncpg.Pool, announcer: ClientInfoAnnouncer, changed: Callable[[], None]) -> None:
        self._pool = pool
        self._announcer = announcer
        self._changed = changed

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[PartyRepository]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield PartyRepository(conn)
        self._changed()

    async def revoke(self, key: PartyKey, reason: str) -> tuple[Party, int]:
        """Revokes the party for good; revoking a revoked party changes nothing (and records nothing)."""
        reason = reason.strip()
        if not reason:
            raise InvalidArgument([("reason", "say why the party is revoked (it goes to the audit log)")])
        if len(reason) > _MAX_REASON:
            raise InvalidArgument([("reason", f"at most {_MAX_REASON} characters")])
        async with self._transaction() as repo:
            party = await self._get(repo, key)
            if party.state is PartyState.REVOKED:
                return party, 0
            detail: dict[str, object] = {"reason": reason, "by": _actor(), "previous_state": str(party.state)}
            dead = await self._end(repo, party, PartyState.REVOKED, f"the receiver was revoked: {reason}")
            detail["dead_lettered"] = dead
            await repo.record_event("REVOKED", key=key, platform_id=party.platform_id, detail=detail)
            await AuditRepository(repo.connection).record(
                "PARTY_REVOKED", key=key, platform_id=party.platform_id, detail=detail
            )
            SECURITY_EVENTS.labels("PARTY_REVOKED").inc()
            return await self._get(repo, key), dead

    async def unregister(self, key: PartyKey) -> tuple[Party, int]:
        async with self._transaction() as repo:
            party = await self._get(repo, key)
            if party.state is not PartyState.REGISTERED:
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_WRONG_STATE,
                    f"{key} is {party.state.lower()}, not registered",
                    metadata={"party": key.name},
                )
            dead = await self._end(repo, party, PartyState.UNREGISTERED, "the receiver was unregistered by the Hub")
            detail = {"by": _actor(), "dead_lettered": dead}
            await repo.record_event("UNREGISTERED", key=key, platform_id=party.platform_id, detail=detail)
            return await self._get(repo, key), dead

    async def _end(self, repo: PartyRepository, party: Party, state: PartyState, why: str) -> int:
        """The party leaves: its TOKEN_A dies, its platform's TOKEN_C no longer speaks for it (and dies with the
        platform when it was the last party there), its deliveries are dead, the others are told."""
        await repo.revoke_registration_tokens(party.key)
        await repo.set_party_state(party.key, state, platform_id=party.platform_id)
        if party.platform_id is not None:
            others = await repo.list_parties(after=None, limit=_MAX_PARTIES, platform_id=party.platform_id)
            if not any(p.state is PartyState.REGISTERED for p in others):
                platform = await repo.get_platform(party.platform_id, for_update=True)
                if platform is not None and platform.state is PlatformState.REGISTERED:
                    platform.state = PlatformState.UNREGISTERED
                    await repo.update_platform(platform, None)
                    await repo.revoke_credentials_tokens(platform.id)
        dead = await DeliveryRepository(repo.connection).dead_letter_receiver(party.key, why)
        await self._announcer.announce(repo.connection, [await self._get(repo, party.key)])
        return dead

    @staticmethod
    async def _get(repo: PartyRepository, key: PartyKey) -> Party:
        party = await repo.get_party(key, for_update=True)
        if party is None:
            raise NotFound(ErrorReason.ERROR_REASON_PARTY_NOT_FOUND, f"no party {key}", metadata={"party": key.name})
        return party
