"""Which limit applies to a request, the allow-list match and the in-process bucket arithmetic (no I/O)."""

from __future__ import annotations

import pytest

from facade.limits.policy import Defaults, address_allowed, limit_for, module_of
from facade.limits.token_bucket import Decision, Limit, TokenBuckets
from ocpihub.parties.v1 import parties_pb2 as pb

DEFAULTS = Defaults(rate=50, burst=100, qr_rate=200)


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("/ocpi/versions", "versions"),
        ("/ocpi/2.2.1", "versions"),
        ("/ocpi/2.2.1/credentials", "credentials"),
        ("/ocpi/2.2.1/hubclientinfo", "hubclientinfo"),
        ("/ocpi/2.2.1/sender/locations/LOC1/E1", "locations"),
        ("/ocpi/2.2.1/receiver/locations/NL/ABC/LOC1", "locations"),
        ("/ocpi/2.2.1/receiver/chargingprofiles/S1", "chargingprofiles"),
        ("/ocpi/2.2.1/sender/tokens/T1/authorize", "tokens"),
        ("/ocpi/2.2.1/receiver/commands/START_SESSION", "commands"),
        ("/api/v1/qr-resolve", "qr"),
    ],
)
def test_the_module_is_the_urls(path: str, module: str) -> None:
    assert module_of(path) == module


def test_without_party_limits_the_hub_defaults_apply() -> None:
    assert limit_for("locations", None, DEFAULTS) == Limit(50, 100)
    assert limit_for("qr", None, DEFAULTS) == Limit(200, 200)
    assert limit_for("locations", None, Defaults(rate=0, burst=100, qr_rate=0)) is None
    assert limit_for("qr", None, Defaults(rate=0, burst=100, qr_rate=0)) is None


def test_a_partys_rate_and_module_overrides_win_and_an_unset_burst_scales_with_the_rate() -> None:
    limits = pb.PartyLimits(
        rate_per_second=5,
        module_limits=[
            pb.ModuleLimit(module="cdrs", rate_per_second=1, burst=7),
            pb.ModuleLimit(module="qr", rate_per_second=3),
        ],
    )
    assert limit_for("locations", limits, DEFAULTS) == Limit(5, 10)
    assert limit_for("cdrs", limits, DEFAULTS) == Limit(1, 7)
    assert limit_for("qr", limits, DEFAULTS) == Limit(3, 6)
    # The party's rate is for OCPI modules; the QR API keeps its own unless the party has a "qr" override.
    assert limit_for("qr", pb.PartyLimits(rate_per_second=5), DEFAULTS) == Limit(200, 200)
    # Only a burst: the Hub's rate with the party's bucket.
    assert limit_for("tokens", pb.PartyLimits(burst=3), DEFAULTS) == Limit(50, 3)


@pytest.mark.parametrize(
    ("address", "cidrs", "allowed"),
    [
        ("127.0.0.1", [], True),
        ("127.0.0.1", ["10.0.0.0/8"], False),
        ("127.0.0.1", ["10.0.0.0/8", "127.0.0.0/8"], True),
        ("::ffff:127.0.0.1", ["127.0.0.0/8"], True),
        ("2001:db8::5", ["2001:db8::/32"], True),
        (None, ["127.0.0.0/8"], False),
        ("not-an-address", ["0.0.0.0/0"], False),
    ],
)
def test_the_allow_list_matches_the_client_address(address: str | None, cidrs: list[str], allowed: bool) -> None:
    assert address_allowed(address, cidrs) is allowed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_bucket_gives_its_burst_then_one_token_per_interval() -> None:
    clock = Clock()
    buckets = TokenBuckets(None, clock=clock)
    limit = Limit(rate=2, burst=3)
    taken = [(await buckets.take("VN/ABC:locations", limit)).allowed for _ in range(4)]
    assert taken == [True, True, True, False]
    refused = await buckets.take("VN/ABC:locations", limit)
    assert refused == Decision(False, 0.5) and refused.retry_after == 1
    # Another party's bucket, and another module's, are untouched.
    assert (await buckets.take("VN/DEF:locations", limit)).allowed
    assert (await buckets.take("VN/ABC:tokens", limit)).allowed
    clock.now += 0.5
    assert (await buckets.take("VN/ABC:locations", limit)).allowed
    assert not (await buckets.take("VN/ABC:locations", limit)).allowed
    # A long pause refills the bucket to its burst, no further.
    clock.now += 60
    assert [(await buckets.take("VN/ABC:locations", limit)).allowed for _ in range(4)] == [True, True, True, False]


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert [Decision(False, wait).retry_after for wait in (0.001, 1.0, 1.2, 7.9)] == [1, 1, 2, 8]
