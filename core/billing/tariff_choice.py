"""Which tariff prices each charging period (issue 16, point 6).

A period that names a tariff (ChargingPeriod.tariff_id, mod_cdrs/mod_sessions) is priced with it: the copy embedded
in the CDR when it carries one, else the one the CPO pushed. A period that names none is priced with the tariff the
session calls for among the connector's tariff_ids (mod_locations Connector: one active tariff per Tariff.type):
AD_HOC_PAYMENT for an ad-hoc token (CdrToken.type AD_HOC_USER), PROFILE_CHEAP/FAST/GREEN for the token's charging
preference (Token.default_profile_type: the Hub does not relay Set Charging Preferences, so the default is what it
knows), REGULAR otherwise; a tariff without a type is valid for all sessions (mod_tariffs Tariff.type), and REGULAR
stands in for a profile or ad-hoc tariff the connector does not have. Among equals, a tariff addressed to the
session's eMSP is preferred.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.tariffs.v1 import tariffs_pb2 as pb
from ocpihub.tokens.v1 import tokens_pb2
from ocpihub.types.v1 import types_pb2

_PROFILES = {
    tokens_pb2.PROFILE_TYPE_CHEAP: pb.TARIFF_TYPE_PROFILE_CHEAP,
    tokens_pb2.PROFILE_TYPE_FAST: pb.TARIFF_TYPE_PROFILE_FAST,
    tokens_pb2.PROFILE_TYPE_GREEN: pb.TARIFF_TYPE_PROFILE_GREEN,
}


def type_name(value: pb.TariffType.ValueType) -> str:
    return pb.TariffType.Name(value).removeprefix("TARIFF_TYPE_") if value else ""


def wanted_type(
    token_type: types_pb2.TokenType.ValueType, profile: tokens_pb2.ProfileType.ValueType
) -> pb.TariffType.ValueType:
    """The Tariff.type a session calls for: ad-hoc payment, the driver's charging profile, else REGULAR."""
    if token_type == types_pb2.TOKEN_TYPE_AD_HOC_USER:
        return pb.TARIFF_TYPE_AD_HOC_PAYMENT
    return _PROFILES.get(profile, pb.TARIFF_TYPE_REGULAR)


@dataclass(frozen=True, slots=True)
class Candidate:
    tariff: pb.Tariff
    embedded: bool = False  # carried in the CDR, not the copy pushed to the Hub
    # Pushed by the CPO to the session's eMSP only (OCPI-to naming it), not broadcast.
    directed: bool = False

    @property
    def name(self) -> str:
        return f"tariffs/{self.tariff.country_code}/{self.tariff.party_id}/{self.tariff.id}"


def active_at(tariff: pb.Tariff, moment: datetime) -> bool:
    if tariff.HasField("start_date_time") and moment < tariff.start_date_time.ToDatetime(tzinfo=UTC):
        return False
    return not (tariff.HasField("end_date_time") and moment > tariff.end_date_time.ToDatetime(tzinfo=UTC))


def choose(
    candidates: Sequence[Candidate], wanted: pb.TariffType.ValueType, start: datetime
) -> tuple[Candidate | None, str]:
    """The tariff of `wanted` type active at the session start, else an untyped one, else REGULAR; the one addressed
    to the session's eMSP first, then the connector's order. Returns it and a note when it is not of `wanted` type."""
    active = [c for c in candidates if active_at(c.tariff, start)]
    for kind in dict.fromkeys((wanted, pb.TARIFF_TYPE_UNSPECIFIED, pb.TARIFF_TYPE_REGULAR)):
        matching = sorted((c for c in active if c.tariff.type == kind), key=lambda c: not c.directed)
        if matching:
            chosen = matching[0]
            if kind == wanted or kind == pb.TARIFF_TYPE_UNSPECIFIED:
                return chosen, ""
            return chosen, f"no {type_name(wanted)} tariff among {_ids(candidates)}: {chosen.tariff.id} (REGULAR) used"
    if candidates:
        return None, f"no tariff among {_ids(candidates)} is active at the session start for {type_name(wanted)}"
    return None, "the periods name no tariff and the connector lists none"


def _ids(candidates: Sequence[Candidate]) -> str:
    return ", ".join(c.tariff.id for c in candidates)


@dataclass(frozen=True, slots=True)
class PeriodChoice:
    """Per charging period (in the order sent): the tariff that prices it (None: none) and how it was found."""

    tariffs: tuple[pb.Tariff | None, ...]
    described: tuple[cdrs_pb2.PeriodTariff, ...]
    notes: tuple[str, ...]

    @property
    def session_tariff(self) -> cdrs_pb2.PeriodTariff | None:
        """The first priced period's: it bounds the total (min_price/max_price) and names the pricing in summaries."""
        return next((d for d in self.described if d.tariff), None)


def per_period(
    periods: Sequence[sessions_pb2.ChargingPeriod],
    named: Callable[[str], Candidate | None],
    by_type: Callable[[], tuple[Candidate | None, str, pb.TariffType.ValueType]],
) -> PeriodChoice:
    """`named(tariff_id)` finds a named tariff; `by_type()` (asked once, only if a period names none) chooses for the
    rest and says what type it looked for."""
    tariffs: list[pb.Tariff | None] = []
    described: list[cdrs_pb2.PeriodTariff] = []
    notes: list[str] = []
    fallback: tuple[Candidate | None, str, pb.TariffType.ValueType] | None = None
    for index, period in enumerate(periods):
        entry = cdrs_pb2.PeriodTariff(period_index=index)
        if period.tariff_id:
            found = named(period.tariff_id)
            entry.choice = cdrs_pb2.TARIFF_CHOICE_NAMED
            if found is None:
                notes.append(f"period {index} names tariff {period.tariff_id!r}, which the Hub does not hold")
                entry.choice = cdrs_pb2.TARIFF_CHOICE_NONE
        else:
            if fallback is None:
                fallback = by_type()
                if fallback[1]:
                    notes.append(fallback[1])
            found = fallback[0]
            entry.choice = cdrs_pb2.TARIFF_CHOICE_BY_TYPE if found else cdrs_pb2.TARIFF_CHOICE_NONE
            entry.wanted_type = type_name(fallback[2])
        if found is not None:
            entry.tariff, entry.embedded = found.name, found.embedded
        tariffs.append(found.tariff if found else None)
        described.append(entry)
    return PeriodChoice(tuple(tariffs), tuple(described), tuple(notes))
