"""The Hub rotates the credentials it issued (OCPI 2.2.1 credentials, the Hub as client): when a platform's TOKEN_C
is older than HUB_TOKEN_MAX_AGE_SECONDS, a facade claims the rotation, PUTs the Hub's credentials carrying a new
TOKEN_C to the party's credentials endpoint with TOKEN_B, and reports the party's answer here.

The new TOKEN_C works from the claim (the party may use it before its answer reaches us) but expires like a rotated
token unless the party accepts it, so a crash between claim and report leaves nothing alive for long. Accepted: the
old TOKEN_Cs live on for the grace period and the party's token in its answer becomes TOKEN_B. Refused or
unreachable: retried after HUB_TOKEN_ROTATION_RETRY_SECONDS, doubling up to a day, and shown in `hubctl party show`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from core.errors import FailedPrecondition, InvalidArgument, NotFound
from core.parties.model import Platform, PlatformState, TokenRotation
from core.parties.repository import PartyRepository
from core.parties.secrets import TokenVault, mint_token, token_hash
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason

log = logging.getLogger(__name__)

_MAX_CLAIM = 100
_MAX_DELAY = timedelta(days=1)
_MAX_DETAIL = 500


@dataclass(frozen=True, slots=True)
class RotationPolicy:
    # A TOKEN_C this old is rotated by the Hub.
    max_age: timedelta
    # First wait after a failed attempt (doubling per failure, at most a day); also how long a claim is held.
    retry: timedelta
    # How long replaced TOKEN_Cs keep working.
    grace: timedelta


def retry_delay(policy: RotationPolicy, failures: int) -> timedelta:
    return min(policy.retry * 2 ** max(failures - 1, 0), _MAX_DELAY)


class HubRotation:
    def __init__(
        self, pool: asyncpg.Pool, vault: TokenVault, policy: RotationPolicy, changed: Callable[[], None]
    ) -> None:
        self._pool = pool
        self._vault = vault
        self._policy = policy
        self._changed = changed

    async def claim(self, limit: int) -> list[tuple[TokenRotation, str, str]]:
        """Due rotations, each with TOKEN_B in clear and its new TOKEN_C (already accepted by the Hub)."""
        claimed = []
        async with self._pool.acquire() as conn, conn.transaction():
            repo = PartyRepository(conn)
            hold = self._policy.retry
            for rotation in await repo.claim_token_rotations(self._policy.max_age, hold, min(limit or 10, _MAX_CLAIM)):
                token_c = mint_token()
                # Dies like a replaced token unless the party accepts it (see the module's docstring).
                await repo.insert_credentials_token(
                    token_hash(token_c), rotation.platform_id, expire_time=await repo.now() + hold + self._policy.grace
                )
                await repo.set_rotation_token(rotation.platform_id, token_hash(token_c))
                claimed.append((rotation, self._vault.decrypt(rotation.token_b_encrypted), token_c))
        if claimed:
            self._changed()
        return claimed

    async def report(
        self, platform_id: uuid.UUID, token_c: str, *, accepted: bool, token_b: str, detail: str
    ) -> Platform:
        if accepted and not token_b:
            raise InvalidArgument([("token_b", "an accepted rotation carries the party's token from its answer")])
        async with self._pool.acquire() as conn, conn.transaction():
            repo = PartyRepository(conn)
            platform = await repo.get_platform(platform_id, for_update=True)
            if platform is None:
                raise NotFound(ErrorReason.ERROR_REASON_PLATFORM_NOT_FOUND, f"no platform {platform_id}")
            if await repo.rotation_token(platform_id) != token_hash(token_c):
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_WRONG_STATE, f"{platform.name} has no rotation in flight with this token"
                )
            if accepted and platform.state is PlatformState.REGISTERED:
                await self._accepted(repo, platform, token_c, token_b)
            else:
                why = detail[:_MAX_DETAIL] or "refused"
                if platform.state is not PlatformState.REGISTERED:
                    why = "the platform is no longer registered"
                await self._failed(repo, platform, why)
            stored = await repo.get_platform(platform_id)
        self._changed()
        assert stored
        return stored

    async def _accepted(self, repo: PartyRepository, platform: Platform, token_c: str, token_b: str) -> None:
        new_hash = token_hash(token_c)
        await repo.expire_credentials_tokens(platform.id, await repo.now() + self._policy.grace, keep=new_hash)
        await repo.keep_credentials_token(new_hash)
        await repo.finish_rotation(platform.id, failed=None, retry_in=None)
        # The party's answer may carry a new token of its own: ours to use from now on.
        if token_b:
            await repo.set_token_b(platform.id, self._vault.encrypt(token_b))
        await repo.record_event(
            "HUB_ROTATED", platform_id=platform.id, detail={"attempts": platform.rotation_attempts + 1}
        )
        log.info("%s accepted the Hub's new credentials", platform.name)

    async def _failed(self, repo: PartyRepository, platform: Platform, why: str) -> None:
        # The token may have reached the party (its answer lost): it lives out a grace period, as a replaced one does.
        await repo.expire_rotation_token(platform.id, await repo.now() + self._policy.grace)
        failures = platform.rotation_attempts + 1
        await repo.finish_rotation(platform.id, failed=why, retry_in=retry_delay(self._policy, failures))
        await repo.record_event(
            "HUB_ROTATION_FAILED", platform_id=platform.id, detail={"attempt": failures, "error": why}
        )
        log.warning("the Hub's rotation of its credentials at %s failed (attempt %d): %s", platform.name, failures, why)
