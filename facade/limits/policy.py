"""Which limits apply to a request: the caller's party, the URL's module, the party's overrides, the Hub's defaults."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from facade.limits.token_bucket import Limit
from ocpihub.parties.v1 import parties_pb2 as pb

QR = "qr"
VERSIONS = "versions"
# The first path segment after /ocpi/2.2.1[/sender|/receiver] that names a module.
_MODULES = frozenset(
    [
        "cdrs",
        "chargingprofiles",
        "commands",
        "credentials",
        "hubclientinfo",
        "locations",
        "sessions",
        "tariffs",
        "tokens",
    ]
)


def module_of(path: str) -> str:
    """The OCPI module a request addresses (versions for the version list and details), or "qr" for the QR API."""
    if path.startswith("/api/v1/qr-resolve"):
        return QR
    for segment in path.split("/")[3:5]:  # "", "ocpi", "2.2.1", then "sender"/"receiver" or the module
        if segment in _MODULES:
            return segment
    return VERSIONS


@dataclass(frozen=True, slots=True)
class Defaults:
    """The Hub's own limits (settings); rate 0 means no limit unless a party has its own."""

    rate: int
    burst: int
    # The QR API's rate; its burst is one second's worth.
    qr_rate: int

    def burst_for(self, rate: int) -> int:
        """A burst nobody set: the Hub's burst scaled to this rate (the same seconds' worth), at least 1."""
        if self.rate <= 0:
            return rate
        return max(1, round(rate * self.burst / self.rate))


def limit_for(module: str, limits: pb.PartyLimits | None, defaults: Defaults) -> Limit | None:
    """The bucket a party's requests to `module` draw on; None when nothing limits them."""
    if limits is not None:
        for override in limits.module_limits:
            if override.module == module:
                return Limit(override.rate_per_second, override.burst or defaults.burst_for(override.rate_per_second))
        if limits.rate_per_second and module != QR:
            return Limit(limits.rate_per_second, limits.burst or defaults.burst_for(limits.rate_per_second))
    if module == QR:
        return Limit(defaults.qr_rate, defaults.qr_rate) if defaults.qr_rate > 0 else None
    if defaults.rate <= 0:
        return None
    burst = (limits.burst if limits is not None else 0) or defaults.burst
    return Limit(defaults.rate, burst)


@functools.lru_cache(maxsize=1024)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def address_allowed(address: str | None, allowed_cidrs: Sequence[str]) -> bool:
    """Whether `address` (as uvicorn reports the client) is in one of the CIDRs; any address when there are none."""
    if not allowed_cidrs:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(tuple(allowed_cidrs)))
