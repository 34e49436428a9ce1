"""Bad input, fuzzed: every endpoint family under malformed bodies, path segments, query strings and headers.

Never a 500, never a stack trace, the promised body shape, and nothing stored from a refused request (tests/fuzz/
conftest.py says exactly what is checked). Derandomized, so a run is repeatable; a failure prints the request.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Network
from tests.fuzz.conftest import Fuzzer
from tests.fuzz.endpoints import endpoints_by_family
from tests.fuzz.strategies import Party, requests

# 200 examples per endpoint family, 5-12 s each: `make test-quick` skips them.
pytestmark = pytest.mark.slow

FAMILIES = endpoints_by_family()
EXAMPLES = 200

FUZZ = settings(
    derandomize=True,
    database=None,
    max_examples=EXAMPLES,
    deadline=None,
    # One Hub and one registered network serve all examples of a test: each example checks its own before/after.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def parties(network: Network, family: str) -> dict[str, Party]:
    """Callers by role. Credentials requests may unregister or rotate their caller: only EM2 risks that."""
    if family == "credentials":
        emsp2 = Party(network.emsp2_token, "VN", "EM2")
        return {"CPO": emsp2, "EMSP": emsp2}
    return {"CPO": Party(network.cpo_token, "VN", "CPA"), "EMSP": Party(network.emsp1_token, "VN", "EM1")}


def test_every_endpoint_is_in_a_family() -> None:
    fuzzed = {endpoint.template for endpoints in FAMILIES.values() for endpoint in endpoints}
    assert {"/api/v1/qr-resolve", "/charge", "/ocpi/2.2.1/receiver/cdrs", "/ocpi/versions"} <= fuzzed
    assert len(FAMILIES) >= 13


@pytest.mark.parametrize("family", sorted(FAMILIES))
@FUZZ
@given(data=st.data())
async def test_fuzzed_requests_are_refused_cleanly(family: str, data: st.DataObject, fuzzer: Fuzzer) -> None:
    network: Network = fuzzer.network
    request = data.draw(requests(FAMILIES[family], parties(network, family)), label="request")
    await fuzzer.check(request)
