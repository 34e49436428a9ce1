"""Field rules for a party's rate limits and IP allow-list (R10.1). Returns violations; raising is the caller's."""

from __future__ import annotations

import dataclasses
import ipaddress

from core.parties.model import PartyLimits
from core.parties.validation import Violations

# What a module limit may name: the OCPI modules the facade serves (as their URLs spell them) and the QR API.
MODULES = frozenset(
    [
        "cdrs",
        "chargingprofiles",
        "commands",
        "credentials",
        "hubclientinfo",
        "locations",
        "qr",
        "sessions",
        "tariffs",
        "tokens",
        "versions",
    ]
)
# Far above what one party may sensibly send, low enough that a typo (an extra zero or three) is caught.
MAX_RATE = 100_000
MAX_CIDRS = 100


def _number_violations(field: str, value: int) -> Violations:
    if not 0 <= value <= MAX_RATE:
        return [(field, f"must be between 0 (the Hub's default) and {MAX_RATE}")]
    return []


def normalised(limits: PartyLimits) -> tuple[PartyLimits, Violations]:
    """The limits with CIDRs in canonical form and modules sorted, and what is wrong with them."""
    violations = _number_violations("rate_per_second", limits.rate_per_second)
    violations += _number_violations("burst", limits.burst)
    seen: set[str] = set()
    for index, module in enumerate(limits.module_limits):
        field = f"module_limits[{index}]"
        if module.module not in MODULES:
            violations.append((f"{field}.module", f"{module.module!r} is not one of {', '.join(sorted(MODULES))}"))
        elif module.module in seen:
            violations.append((f"{field}.module", f"{module.module!r} is listed twice"))
        seen.add(module.module)
        if module.rate_per_second < 1:
            violations.append((f"{field}.rate_per_second", "must be at least 1 (leave the module out for the default)"))
        violations += _number_violations(f"{field}.rate_per_second", module.rate_per_second)
        violations += _number_violations(f"{field}.burst", module.burst)
    cidrs: list[str] = []
    if len(limits.allowed_cidrs) > MAX_CIDRS:
        violations.append(("allowed_cidrs", f"at most {MAX_CIDRS} entries"))
    for index, cidr in enumerate(limits.allowed_cidrs):
        try:
            # Host bits are dropped: "10.1.2.3/8" is read as 10.0.0.0/8, shown back that way.
            network = str(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            violations.append((f"allowed_cidrs[{index}]", f"{cidr!r} is not an IP address or CIDR like 10.0.0.0/8"))
            continue
        if network not in cidrs:
            cidrs.append(network)
    result = dataclasses.replace(
        limits,
        module_limits=tuple(sorted(limits.module_limits, key=lambda m: m.module)),
        allowed_cidrs=tuple(cidrs),
    )
    return result, violations
