"""OCPI-from-* / OCPI-to-* headers (HUB-DIGEST §1.9): which routing scenario a functional-module request is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from litestar import Request

from facade.ocpi.auth import Caller
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from ocpihub.parties.v1 import parties_pb2 as pb

TO_COUNTRY_CODE = "OCPI-to-country-code"
TO_PARTY_ID = "OCPI-to-party-id"
FROM_COUNTRY_CODE = "OCPI-from-country-code"
FROM_PARTY_ID = "OCPI-from-party-id"


class Scenario(Enum):
    # TO names the Hub: broadcast push, or GET All from the Hub's store.
    HUB = "hub"
    # TO names another party: forward to it.
    DIRECT = "direct"
    # No TO: the Hub decides from the content (open routing).
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class Party:
    country_code: str
    party_id: str

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}"


@dataclass(frozen=True, slots=True)
class Routing:
    scenario: Scenario
    sender: Party
    to: Party | None


def _pair(request: Request[Any, Any, Any], cc_header: str, pid_header: str) -> Party | None:
    country_code = request.headers.get(cc_header, "").strip().upper()
    party_id = request.headers.get(pid_header, "").strip().upper()
    if not country_code and not party_id:
        return None
    if not (len(country_code) == 2 and 1 <= len(party_id) <= 3):
        raise OcpiError(
            OcpiStatus.INVALID_PARAMETERS, f"{cc_header} / {pid_header} must both be set (CiString(2) / CiString(3))"
        )
    return Party(country_code, party_id)


def caller_parties(caller: Caller) -> set[Party]:
    return {Party(p.country_code, p.party_id) for p in caller.parties if p.state == pb.PARTY_STATE_REGISTERED}


def read_routing(request: Request[Any, Any, Any], caller: Caller, hub: Party, default_sender: Party | None) -> Routing:
    """The sender must be one of the caller's parties: by default the object's owner, else the caller's only one."""
    mine = caller_parties(caller)
    sender = _pair(request, FROM_COUNTRY_CODE, FROM_PARTY_ID) or default_sender
    if sender is None and len(mine) == 1:
        sender = next(iter(mine))
    if sender is None or sender not in mine:
        raise OcpiError(
            OcpiStatus.INVALID_PARAMETERS,
            f"OCPI-from-* ({sender or 'missing'}) must name one of your parties: {', '.join(sorted(map(str, mine)))}",
        )
    to = _pair(request, TO_COUNTRY_CODE, TO_PARTY_ID)
    if to is None:
        return Routing(Scenario.OPEN, sender, None)
    return Routing(Scenario.HUB if to == hub else Scenario.DIRECT, sender, to)
