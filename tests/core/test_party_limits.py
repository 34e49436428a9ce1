"""Party limits over the real core and PostgreSQL: get/set, validation, and what AuthenticateToken carries."""

from __future__ import annotations

import asyncpg
import pytest

from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from ocpihub.types.v1 import types_pb2


def limits(country_code: str = "NL", party_id: str = "ABC", **fields: object) -> pb.PartyLimits:
    return pb.PartyLimits(party=types_pb2.PartyRef(country_code=country_code, party_id=party_id), **fields)


async def invite(hub: HubClient, party_id: str = "ABC", role: pb.Role.ValueType = pb.ROLE_CPO) -> str:
    request = rpc.InvitePartyRequest(country_code="NL", party_id=party_id, role=role, display_name="ABC Charging")
    return (await hub.invite_party(request)).token_a


async def test_a_party_without_limits_has_the_hub_defaults(hub: HubClient) -> None:
    await invite(hub)
    got = await hub.get_party_limits("nl", "abc")
    assert (got.party.country_code, got.party.party_id) == ("NL", "ABC")
    assert (got.rate_per_second, got.burst, list(got.module_limits), list(got.allowed_cidrs)) == (0, 0, [], [])


async def test_set_limits_are_stored_normalised_and_read_back(hub: HubClient, db: asyncpg.Pool) -> None:
    await invite(hub)
    stored = await hub.set_party_limits(
        limits(
            party_id="abc",
            rate_per_second=5,
            burst=20,
            module_limits=[
                pb.ModuleLimit(module="TOKENS", rate_per_second=2),
                pb.ModuleLimit(module="cdrs", rate_per_second=1, burst=3),
            ],
            allowed_cidrs=["10.1.2.3/8", "192.0.2.7", "2001:db8::/32"],
        )
    )
    assert stored == await hub.get_party_limits("NL", "ABC")
    assert (stored.rate_per_second, stored.burst) == (5, 20)
    assert [(m.module, m.rate_per_second, m.burst) for m in stored.module_limits] == [("cdrs", 1, 3), ("tokens", 2, 0)]
    assert list(stored.allowed_cidrs) == ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]
    assert stored.HasField("update_time")
    event = await db.fetchrow("SELECT event, detail FROM credential_events WHERE event = 'LIMITS_SET'")
    assert event is not None and '"NL/ABC"' in event["detail"]


async def test_setting_the_defaults_removes_the_row(hub: HubClient, db: asyncpg.Pool) -> None:
    await invite(hub)
    await hub.set_party_limits(limits(rate_per_second=5))
    assert await db.fetchval("SELECT count(*) FROM party_limits") == 1
    cleared = await hub.set_party_limits(limits())
    assert cleared.rate_per_second == 0
    assert await db.fetchval("SELECT count(*) FROM party_limits") == 0


async def test_limits_of_an_unknown_party_are_not_found(hub: HubClient) -> None:
    for call in (hub.get_party_limits("NL", "ZZZ"), hub.set_party_limits(limits(party_id="ZZZ", rate_per_second=1))):
        with pytest.raises(HubError) as info:
            await call
        assert info.value.reason == "PARTY_NOT_FOUND"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rate_per_second": -1}, "rate_per_second"),
        ({"burst": 1_000_000}, "burst"),
        ({"module_limits": [pb.ModuleLimit(module="telepathy", rate_per_second=1)]}, "module_limits[0].module"),
        ({"module_limits": [pb.ModuleLimit(module="cdrs")]}, "module_limits[0].rate_per_second"),
        (
            {"module_limits": [pb.ModuleLimit(module="cdrs", rate_per_second=1)] * 2},
            "module_limits[1].module",
        ),
        ({"allowed_cidrs": ["10.0.0.0/33"]}, "allowed_cidrs[0]"),
        ({"allowed_cidrs": ["anywhere"]}, "allowed_cidrs[0]"),
    ],
)
async def test_bad_limits_are_refused_field_by_field(hub: HubClient, fields: dict[str, object], field: str) -> None:
    await invite(hub)
    with pytest.raises(HubError) as info:
        await hub.set_party_limits(limits(**fields))
    assert [name for name, _ in info.value.field_violations] == [field]
    assert (await hub.get_party_limits("NL", "ABC")).rate_per_second == 0


async def test_authentication_carries_the_limits_of_the_callers_party(hub: HubClient) -> None:
    token_a = await invite(hub)
    await invite(hub, party_id="DEF")
    await hub.set_party_limits(limits(rate_per_second=7, allowed_cidrs=["127.0.0.0/8"]))
    await hub.set_party_limits(limits(party_id="DEF", rate_per_second=9))
    answer = await hub.authenticate_token([token_a])
    assert [(lim.party.party_id, lim.rate_per_second, list(lim.allowed_cidrs)) for lim in answer.limits] == [
        ("ABC", 7, ["127.0.0.0/8"])
    ]
