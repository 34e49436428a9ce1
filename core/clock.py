"""The core's sense of time where business rules depend on it (command deadlines, reservation ends).

Deadlines are computed from this clock and passed to SQL, never from the database's now(), so tests can move time
forward (a 15-minute reservation, a CPO that never answers) without sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, by: timedelta) -> None:
        """Simulated time (tests): everything the core decides from now on sees the clock `by` later."""
        self._offset += by

    def reset(self) -> None:
        self._offset = timedelta(0)
