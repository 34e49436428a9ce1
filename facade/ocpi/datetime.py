"""OCPI 2.2.1 DateTime (types.asciidoc): UTC, `Z` optional, fractional seconds optional, no offsets."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

import msgspec

# [0-9], not \d: \d also matches non-ASCII digits. \Z, not $: $ lets a trailing newline through.
# "+00:00 is not the same as UTC", so offsets are refused. The spec's examples show up to 3 fraction digits; we take
# up to 9 because .NET (7) and Java (9) peers send more. That breaks the spec's string(25) by at most 5 characters.
_PATTERN = (
    r"^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(?:\.([0-9]{1,9}))?Z?\Z"
)
_REGEX = re.compile(_PATTERN)

# Keeps the wire string: the pattern checks the shape; parse_ocpi_datetime() checks the calendar (30 February).
OcpiDateTime = Annotated[str, msgspec.Meta(max_length=30, pattern=_PATTERN)]


def parse_ocpi_datetime(value: str) -> datetime:
    """The aware UTC datetime of an OCPI DateTime; fractions beyond microseconds are truncated."""
    match = _REGEX.match(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not an OCPI DateTime: expected YYYY-MM-DDTHH:MM:SS[.fraction][Z] in UTC, without offset"
        )
    year, month, day, hour, minute, second, fraction = match.groups()
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an OCPI DateTime: {exc}") from None


def ocpi_datetime(moment: datetime) -> str:
    """OCPI DateTime for output: UTC, millisecond precision, `Z` designator (string(25))."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
