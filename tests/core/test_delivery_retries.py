"""The retry schedule of deliveries (R10.4, then patience): quick attempts, slower ones, then a dead letter."""

from __future__ import annotations

from datetime import timedelta

from core.deliveries.model import MAX_ATTEMPTS, SLOW_RETRY_CAP, retry_delay

DAY = timedelta(days=1)


def test_five_quick_attempts_at_0_1_2_4_8_seconds() -> None:
    waits = [retry_delay(n, timedelta(seconds=n), DAY) for n in range(1, MAX_ATTEMPTS)]
    assert waits == [timedelta(seconds=s) for s in (1, 2, 4, 8)]


def test_then_slower_and_slower_up_to_five_minutes_while_the_hub_is_patient() -> None:
    waits = [retry_delay(n, timedelta(minutes=30), DAY) for n in range(MAX_ATTEMPTS, 12)]
    assert waits == [timedelta(seconds=s) for s in (16, 32, 64, 128, 256)] + [SLOW_RETRY_CAP] * 2
    # An hour-long outage costs about a dozen attempts, not thousands.
    assert retry_delay(40, timedelta(hours=1), DAY) == SLOW_RETRY_CAP


def test_dead_once_older_than_the_patience() -> None:
    assert retry_delay(MAX_ATTEMPTS, DAY, DAY) is None
    assert retry_delay(MAX_ATTEMPTS, timedelta(0), timedelta(0)) is None
    # The quick attempts always happen, however short the patience.
    assert retry_delay(1, DAY, timedelta(0)) == timedelta(seconds=1)
