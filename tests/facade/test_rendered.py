"""Pulled pages embed each object's OCPI JSON rendered once per version (facade/ocpi/rendered.py)."""

from __future__ import annotations

import msgspec

from facade.ocpi.proto_json import decode_json, encode_json, from_proto, to_proto_with_fields
from facade.ocpi.rendered import RenderCache
from ocpihub.locations.v1 import locations_pb2 as pb
from tests.bench.payloads import full_location


def location(location_id: str) -> pb.Location:
    message, _ = to_proto_with_fields(full_location(location_id), pb.Location)
    return message


def test_a_rendered_object_is_exactly_what_rendering_it_afresh_gives() -> None:
    cache = RenderCache()
    loc = location("LOC-1")
    first, again = cache.render(loc), cache.render(location("LOC-1"))
    assert bytes(first) == bytes(again) == encode_json(from_proto(loc))
    # Embedded in a page, the JSON is the same as the page built from dicts, exact decimals included.
    page = msgspec.json.encode({"data": [first]})
    assert decode_json(page) == decode_json(encode_json({"data": [from_proto(loc)]}))


def test_a_changed_object_is_rendered_anew() -> None:
    cache = RenderCache()
    loc = location("LOC-1")
    before = bytes(cache.render(loc))
    loc.evses[0].status = pb.EVSE_STATUS_CHARGING
    after = decode_json(bytes(cache.render(loc)))
    assert after["evses"][0]["status"] == "CHARGING"
    assert decode_json(before)["evses"][0]["status"] != "CHARGING"


def test_the_cache_stays_within_its_byte_budget() -> None:
    one = len(bytes(RenderCache().render(location("LOC-0"))))
    cache = RenderCache(max_bytes=one * 10)
    for n in range(100):
        cache.render(location(f"LOC-{n}"))
    assert cache.size_bytes <= one * 10 + 100
    assert len(bytes(cache.render(location("LOC-99")))) > 0
