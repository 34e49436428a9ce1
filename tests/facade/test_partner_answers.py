"""What a partner answers the Hub is read defensively: a body nested absurdly deep is just not an OCPI answer."""

from __future__ import annotations

from facade.peers.client import PeerAnswer
from facade.relay.callbacks import read_answer
from facade.relay.deliveries import classify
from ocpihub.deliveries.v1 import deliveries_service_pb2 as rpc

DEEP = b"[" * 100_000 + b"]" * 100_000


def test_a_command_answer_nested_too_deep_is_not_a_command_response() -> None:
    assert read_answer(PeerAnswer(200, {}, DEEP)) == ("", 0, "not an OCPI envelope")


def test_a_delivery_answer_nested_too_deep_counts_as_taken() -> None:
    outcome, detail, _ = classify(PeerAnswer(200, {}, DEEP))
    assert (outcome, detail) == (rpc.OUTCOME_DELIVERED, "HTTP 200 without an OCPI envelope")
