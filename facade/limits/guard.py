"""Enforcement for every authenticated request: the party's IP allow-list (HTTP 403), then its bucket for the
module (HTTP 429 with Retry-After). Both answer with an OCPI envelope, status 2000."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.status_codes import HTTP_403_FORBIDDEN, HTTP_429_TOO_MANY_REQUESTS

from facade.limits.policy import Defaults, address_allowed, limit_for
from facade.limits.token_bucket import TokenBuckets
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


class RateLimits:
    def __init__(self, buckets: TokenBuckets, defaults: Defaults) -> None:
        self._buckets = buckets
        self._defaults = defaults

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
