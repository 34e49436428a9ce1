"""The Hub's data rules for CDRs (R5.1, R5.2): its charging periods in order and inside its span (a violation is
refused, core/sessions/rules.py), and the flags of what OCPI allows but the seed narrows (accepted, relayed as sent,
kept in the CDR's verification)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.sessions.rules import KWH_DECIMALS, Flags, check_times, more_than_2_decimals
from ocpihub.cdrs.v1 import cdrs_pb2 as pb

# Flag: OCPI sets no deadline for a CDR; the seed (R5.1) wants it within 24 h of the session's end.
LATE_CDR = "cdr_after_24h"
LATE_AFTER = timedelta(hours=24)


def check_cdr(cdr: pb.Cdr, received: datetime) -> Flags:
    """Refuses a CDR that breaks a rule (RuleViolation); returns its flags. `received`: the core's clock, now."""
    check_times("cdr", cdr.start_date_time, cdr.end_date_time, cdr.charging_periods)
    found = Flags()
    if more_than_2_decimals(cdr.total_energy):
        found.add(KWH_DECIMALS, f"total_energy {cdr.total_energy} has more than 2 decimals (the Hub's rule: 2)")
    late = received - cdr.end_date_time.ToDatetime(tzinfo=UTC)
    if late > LATE_AFTER:
        found.add(
            LATE_CDR,
            f"received {late.total_seconds() / 3600:.1f} h after the session ended at"
            f" {cdr.end_date_time.ToJsonString()} (the Hub's rule: within 24 h)",
        )
    return found


def keep_flags(verification: pb.CdrVerification, flags: Flags) -> None:
    """A CDR's flags live in its verification, next to the Hub's price, where operators look."""
    verification.flags.extend(flags.flags)
    verification.notes.extend(flags.notes)
