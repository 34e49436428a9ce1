"""Still-alive checks (HUB-DIGEST §2.1, §3.8): when each platform was last heard from, which ones a facade should
check (GET versions after a quiet period), and what an answer — or its absence — means for ClientInfo."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from core.deliveries.repository import DeliveryRepository
from core.errors import NotFound
from core.events.model import Kind, party_event
from core.events.repository import EventRepository
from core.parties.client_info import ClientInfoAnnouncer
from core.parties.model import AliveCheck, PartyState, Platform, PlatformState
from core.parties.repository import PartyRepository
from core.parties.secrets import TokenVault
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason

log = logging.getLogger(__name__)

# Authenticated requests refresh "last heard" at most this often: one cheap write a minute, not one a request.
HEARD_FROM_EVERY = timedelta(minutes=1)
_MAX_CLAIM = 100
_MAX_PARTIES = 500


class Liveness:
    def __init__(self, pool: asyncpg.Pool, vault: TokenVault, announcer: ClientInfoAnnouncer) -> None:
        self._pool = pool
        self._vault = vault
        self._announcer = announcer

    async def heard_from(self, platform: Platform) -> None:
        """The platform just made an authenticated request: it is alive (and CONNECTED again if it was OFFLINE)."""
        if platform.offline_time is not None:
            await self.report(platform.id, reachable=True, detail="it sent a request")
            return
        if platform.last_heard_time is None or datetime.now(UTC) - platform.last_heard_time >= HEARD_FROM_EVERY:
            async with self._pool.acquire() as conn:
                await PartyRepository(conn).touch_platform(platform.id, HEARD_FROM_EVERY)

    async def claim(self, quiet_period: timedelta, limit: int) -> list[tuple[AliveCheck, str]]:
        """Due checks with each platform's TOKEN_B in clear (the caller GETs versions with it)."""
        async with self._pool.acquire() as conn, conn.transaction():
            checks = await PartyRepository(conn).claim_alive_checks(quiet_period, min(limit or 10, _MAX_CLAIM))
        return [(check, self._vault.decrypt(check.token_b_encrypted)) for check in checks]

    async def report(self, platform_id: uuid.UUID, *, reachable: bool, detail: str) -> Platform:
        async with self._pool.acquire() as conn, conn.transaction():
            repo = PartyRepository(conn)
            platform = await repo.get_platform(platform_id, for_update=True)
            if platform is None:
                raise NotFound(ErrorReason.ERROR_REASON_PLATFORM_NOT_FOUND, f"no platform {platform_id}")
            # A platform that left has SUSPENDED parties, which says more than OFFLINE: leave it alone.
            if platform.state is PlatformState.REGISTERED:
                was_offline = platform.offline_time is not None
                if reachable == was_offline:
                    await self._change_status(repo, platform, reachable=reachable, detail=detail)
                elif reachable:
                    await repo.touch_platform(platform_id, timedelta(0))
            stored = await repo.get_platform(platform_id)
        assert stored
        return stored

    async def _change_status(self, repo: PartyRepository, platform: Platform, *, reachable: bool, detail: str) -> None:
        await repo.set_offline(platform.id, not reachable)
        await repo.record_event("ONLINE" if reachable else "OFFLINE", platform_id=platform.id)
        if reachable:
            released = await DeliveryRepository(repo.connection).release_receiver(platform.id)
            log.info("%s is reachable again (%s); %d waiting deliveries go now", platform.name, detail, released)
        else:
            log.warning("%s is unreachable, its parties are OFFLINE: %s", platform.name, detail)
        parties = await repo.list_parties(after=None, limit=_MAX_PARTIES, platform_id=platform.id)
        active = [p for p in parties if p.state is PartyState.REGISTERED and not p.suspended]
        await self._announcer.announce(repo.connection, active)
        if not reachable:
            await EventRepository(repo.connection).record([party_event(Kind.PARTY_UNREACHABLE, p.key) for p in active])
