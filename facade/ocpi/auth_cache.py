"""Authentication answers kept for a few seconds, so a busy partner costs one core call per token per `ttl`, not
one per request.

Safe only while the core says what changed: a background task holds CredentialsService.WatchAuthChanges open, and
answers are reused only while that stream is up. CHANGED (a token revoked or rotated, a party suspended, a limit
set — by any core replica or by SQL) drops them all; so does the stream ending. An answer fetched while a change was
being announced is not kept (the generation check), and none outlives its token's own expiry.

Only successful TOKEN_C answers are kept: a refusal must reach the core, which audits it, and TOKEN_A opens nothing
but the handshake.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable

from facade.metrics import AUTH_CACHE
from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_service_pb2 as rpc

log = logging.getLogger(__name__)

MAX_ENTRIES = 10_000
_RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0)

Authenticate = Callable[[list[str], str], Awaitable[rpc.AuthenticateTokenResponse]]


def _key(candidates: list[str]) -> bytes:
    # The header's candidates, hashed: the cache never holds a token as its key.
    return hashlib.sha256("\n".join(candidates).encode()).digest()


class AuthCache:
    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._entries: dict[bytes, tuple[float, rpc.AuthenticateTokenResponse]] = {}
        self._generation = 0
        self.watching = False
        # Set on every announcement (READY included), for others who follow the same changes (the denylist).
        self.changed = asyncio.Event()

    async def authenticate(
        self, authenticate: Authenticate, candidates: list[str], remote_address: str
    ) -> rpc.AuthenticateTokenResponse:
        key = _key(candidates)
        if self.watching and (entry := self._entries.get(key)) is not None:
            if entry[0] > time.monotonic():
                AUTH_CACHE.labels("hit").inc()
                return entry[1]
            del self._entries[key]
        AUTH_CACHE.labels("miss").inc()
        generation = self._generation
        answer = await authenticate(candidates, remote_address)
        if (
            self._ttl > 0
            and self.watching
            and generation == self._generation
            and answer.kind == rpc.TOKEN_KIND_CREDENTIALS
        ):
            self._keep(key, answer)
        return answer

    def _keep(self, key: bytes, answer: rpc.AuthenticateTokenResponse) -> None:
        lifetime = self._ttl
        if answer.HasField("valid_for"):
            lifetime = min(lifetime, answer.valid_for.ToTimedelta().total_seconds())
        if lifetime <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + lifetime, answer)

    def invalidate(self) -> None:
        self._generation += 1
        self._entries.clear()

    async def follow(self, hub: HubClient) -> None:
        """Runs until cancelled: keeps the watch open, and the cache usable only while it is."""
        failures = 0
        while True:
            try:
                async for kind in hub.watch_auth_changes():
                    self.invalidate()
                    self.changed.set()
                    if kind == rpc.WatchAuthChangesResponse.KIND_READY:
                        self.watching, failures = True, 0
                log.info("the core ended the authentication watch; not caching until it is back")
            except HubError as exc:
                log.info("authentication watch unavailable (%s); not caching until it is back", exc.code.name)
            finally:
                self.watching = False
                self.invalidate()
                self.changed.set()
            await asyncio.sleep(_RETRY_SECONDS[min(failures, len(_RETRY_SECONDS) - 1)])
            failures += 1
