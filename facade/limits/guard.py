"""Enforcement for every authenticated request: the party's IP allow-list (HTTP 403), then its bucket for the
module (HTTP 429 with Retry-After); and, before a token is checked at all, the bucket of refused tokens from the
caller's address (HTTP 429). All answer with an OCPI envelope, status 2000."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.status_codes import HTTP_403_FORBIDDEN, HTTP_429_TOO_MANY_REQUESTS

from facade.limits.policy import Defaults, address_allowed, limit_for
from facade.limits.token_bucket import Limit, TokenBuckets
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from ocpihub.parties.v1 import parties_pb2 as pb


class AddressRefused(OcpiError):
    def __init__(self, address: str | None) -> None:
        super().__init__(
            OcpiStatus.CLIENT_ERROR,
            f"this token is not accepted from {address or 'an unknown address'} (the party's IP allow-list)",
            HTTP_403_FORBIDDEN,
        )


class RateLimited(OcpiError):
    def __init__(self, rate: float, module: str, retry_after: int) -> None:
        super().__init__(
            OcpiStatus.CLIENT_ERROR,
            f"rate limit of {rate:g} req/s for {module} exceeded; retry after {retry_after} s",
            HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class TooManyRefusedTokens(OcpiError):
    def __init__(self, address: str | None, retry_after: int) -> None:
        super().__init__(
            OcpiStatus.CLIENT_ERROR,
            f"too many refused tokens from {address or 'an unknown address'}; retry after {retry_after} s",
            HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(retry_after)},
        )


class RefusedTokens:
    """Refused tokens per client address, shared by the replicas: whoever guesses tokens is slowed down, and stops
    costing the core a lookup (and an audit row) per guess. Only refusals count, so a busy partner is never held up;
    a valid token the facade already checked still works from an address that is held back."""

    def __init__(self, buckets: TokenBuckets, per_minute: int) -> None:
        self._buckets = buckets
        self._limit = Limit(rate=per_minute / 60, burst=per_minute) if per_minute > 0 else None

    async def check(self, address: str | None) -> None:
        if self._limit is None:
            return
        decision = await self._buckets.take(self._key(address), self._limit, cost=0)
        if not decision.allowed:
            raise TooManyRefusedTokens(address, decision.retry_after)

    async def refused(self, address: str | None) -> None:
        if self._limit is not None:
            await self._buckets.take(self._key(address), self._limit)

    @staticmethod
    def _key(address: str | None) -> str:
        return f"refused-tokens:{address or 'unknown'}"


class RateLimits:
    def __init__(self, buckets: TokenBuckets, defaults: Defaults, refused_tokens_per_minute: int = 0) -> None:
        self._buckets = buckets
        self._defaults = defaults
        self.refused_tokens = RefusedTokens(buckets, refused_tokens_per_minute)

    async def check(
        self, module: str, party: tuple[str, str], limits: Sequence[pb.PartyLimits], address: str | None
    ) -> None:
        """`party` sends the request; `limits` are those set for the token's parties (one token, every list)."""
        own: pb.PartyLimits | None = None
        for entry in limits:
            if not address_allowed(address, entry.allowed_cidrs):
                raise AddressRefused(address)
            if (entry.party.country_code, entry.party.party_id) == party:
                own = entry
        limit = limit_for(module, own, self._defaults)
        if limit is None:
            return
        decision = await self._buckets.take(f"{party[0]}/{party[1]}:{module}", limit)
        if not decision.allowed:
            raise RateLimited(limit.rate, module, decision.retry_after)
