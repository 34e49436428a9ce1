"""PartiesService over the real gRPC core and PostgreSQL: invites, rotation, listing, suspension, token storage."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from ocpihub.parties.v1 import parties_service_pb2_grpc as rpc_grpc
from tests.core.test_server import channel as channel_as

CPO, EMSP = pb.ROLE_CPO, pb.ROLE_EMSP


async def invite(
    hub: HubClient,
    country_code: str = "NL",
    party_id: str = "ABC",
    role: pb.Role.ValueType = CPO,
    display_name: str = "ABC Charging",
    **extra: object,
) -> rpc.InvitePartyResponse:
    request = rpc.InvitePartyRequest(
        country_code=country_code, party_id=party_id, role=role, display_name=display_name, **extra
    )
    return await hub.invite_party(request)


async def refused(call: Awaitable[object]) -> HubError:
    with pytest.raises(HubError) as info:
        await call
    return info.value


def seconds(value: float) -> Duration:
    duration = Duration()
    duration.FromTimedelta(timedelta(seconds=value))
    return duration


def utc(stamp: object) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)  # type: ignore[attr-defined]


async def find_in_database(db: asyncpg.Pool, needle: str) -> list[str]:
    """Every "table.column" whose stored text (or bytes) contains `needle`, over every table of the schema."""
    columns = await db.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'bytea', 'jsonb', 'json')"
    )
    assert {(c["table_name"], c["column_name"]) for c in columns} >= {
        ("hub_tokens", "token_hash"),
        ("platforms", "token_b_encrypted"),
        ("credential_events", "detail"),
        ("parties", "display_name"),
    }
    hits = []
    for column in columns:
        table, name = column["table_name"], column["column_name"]
        if column["data_type"] == "bytea":
            condition, value = f'position($1::bytea IN "{name}") > 0', needle.encode()
        else:
            condition, value = f'strpos("{name}"::text, $1) > 0', needle
        query = f'SELECT count(*) FROM "{table}" WHERE {condition}'
        if await db.fetchval(query, value):
            hits.append(f"{table}.{name}")
    return hits


# InviteParty


async def test_invite_creates_an_invited_party_with_a_token_a_valid_seven_days(hub: HubClient) -> None:
    before = datetime.now(UTC)
    response = await invite(hub, "NL", "ABC", CPO, "ABC Charging B.V.")
    party = response.party

    assert party.name == "parties/NL/ABC/CPO"
    assert (party.country_code, party.party_id, party.role) == ("NL", "ABC", CPO)
    assert party.display_name == "ABC Charging B.V."
    assert party.state == pb.PARTY_STATE_INVITED
    assert party.environment == pb.ENVIRONMENT_SANDBOX  # the Hub's own environment when unspecified
    assert party.platform == ""
    assert response.token_a
    expires = utc(party.invite_expire_time)
    assert (
        before + timedelta(days=7) - timedelta(seconds=5) <= expires <= datetime.now(UTC) + timedelta(days=7, seconds=5)
    )
    assert expires - utc(party.create_time) == timedelta(days=7)
    assert await hub.get_party("parties/NL/ABC/CPO") == party


async def test_invite_honours_a_custom_lifetime(hub: HubClient) -> None:
    party = (await invite(hub, expires_in=seconds(3600))).party
    assert utc(party.invite_expire_time) - utc(party.create_time) == timedelta(hours=1)


async def test_invite_trims_the_display_name(hub: HubClient) -> None:
    party = (await invite(hub, display_name="  ABC Charging  ")).party
    assert party.display_name == "ABC Charging"


async def test_invite_normalises_country_code_and_party_id_to_upper_case(hub: HubClient, db: asyncpg.Pool) -> None:
    party = (await invite(hub, "nl", "abc", EMSP)).party
    assert (party.name, party.country_code, party.party_id) == ("parties/NL/ABC/EMSP", "NL", "ABC")
    rows = await db.fetch("SELECT country_code, party_id, role FROM parties")
    assert [tuple(r) for r in rows] == [("NL", "ABC", "EMSP")]
    assert (await hub.get_party("parties/nl/abc/emsp")).name == "parties/NL/ABC/EMSP"


@pytest.mark.parametrize(
    ("overrides", "bad_field"),
    [
        ({"country_code": "XX"}, "country_code"),
        ({"country_code": "UK"}, "country_code"),
        ({"party_id": "ABCD"}, "party_id"),
        ({"party_id": "A-B"}, "party_id"),
        ({"party_id": "AB\n"}, "party_id"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"display_name": "ABC\x00"}, "display_name"),
        ({"role": pb.ROLE_HUB}, "role"),
        ({"role": pb.ROLE_UNSPECIFIED}, "role"),
        ({"role": 99}, "role"),
        ({"environment": 42}, "environment"),
        ({"expires_in": seconds(59)}, "expires_in"),
        ({"expires_in": seconds(0)}, "expires_in"),
        ({"expires_in": seconds(-3600)}, "expires_in"),
        ({"expires_in": seconds(30 * 86400 + 1)}, "expires_in"),
        ({"country_code": "VN", "party_id": "HUB"}, "party_id"),
        ({"country_code": "vn", "party_id": "hub", "role": EMSP}, "party_id"),
    ],
)
async def test_invalid_invites_are_refused_field_by_field_and_store_nothing(
    hub: HubClient, db: asyncpg.Pool, overrides: dict[str, object], bad_field: str
) -> None:
    fields: dict[str, object] = {"country_code": "NL", "party_id": "ABC", "role": CPO, "display_name": "ABC"}
    error = await refused(hub.invite_party(rpc.InvitePartyRequest(**(fields | overrides))))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "INVALID_FIELD"
    assert [field for field, _ in error.field_violations] == [bad_field]
    assert await db.fetchval("SELECT count(*) FROM parties") == 0
    assert await db.fetchval("SELECT count(*) FROM hub_tokens") == 0


async def test_every_bad_field_of_an_invite_is_named_at_once(hub: HubClient) -> None:
    request = rpc.InvitePartyRequest(
        country_code="XX", party_id="ABCD", role=pb.ROLE_HUB, display_name="", expires_in=seconds(30)
    )
    error = await refused(hub.invite_party(request))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "INVALID_FIELD"
    assert {field for field, _ in error.field_violations} == {
        "country_code",
        "party_id",
        "role",
        "display_name",
        "expires_in",
    }
    for _, description in error.field_violations:
        assert description


async def test_the_hubs_own_identity_cannot_be_invited(hub: HubClient) -> None:
    error = await refused(invite(hub, "VN", "HUB", CPO))
    assert error.reason == "INVALID_FIELD"
    assert error.field_violations == [("party_id", "VN/HUB is the Hub's own identity")]


async def test_inviting_the_same_party_twice_is_refused_and_keeps_the_first_token(hub: HubClient) -> None:
    first = await invite(hub, "NL", "ABC", CPO)
    for country_code, party_id in [("NL", "ABC"), ("nl", "abc")]:
        error = await refused(invite(hub, country_code, party_id, CPO, "Someone else"))
        assert error.code == grpc.StatusCode.ALREADY_EXISTS
        assert error.reason == "PARTY_EXISTS"
        assert error.metadata == {"party": "parties/NL/ABC/CPO"}
    assert (await hub.get_party("parties/NL/ABC/CPO")).display_name == "ABC Charging"
    auth = await hub.authenticate_token([first.token_a])
    assert [p.name for p in auth.parties] == ["parties/NL/ABC/CPO"]


async def test_the_same_party_may_be_invited_in_another_role(hub: HubClient) -> None:
    cpo = await invite(hub, "NL", "ABC", CPO)
    emsp = await invite(hub, "NL", "ABC", EMSP)
    assert cpo.token_a != emsp.token_a
    assert [p.name for p in (await hub.authenticate_token([emsp.token_a])).parties] == ["parties/NL/ABC/EMSP"]


# Token storage


async def test_a_token_a_is_stored_only_as_its_sha256_hash(hub: HubClient, db: asyncpg.Pool) -> None:
    token_a = (await invite(hub, "NL", "ABC", CPO, "ABC Charging")).token_a
    row = await db.fetchrow("SELECT token_hash, kind, country_code, party_id, role FROM hub_tokens")
    assert dict(row) == {
        "token_hash": hashlib.sha256(token_a.encode()).digest(),
        "kind": "A",
        "country_code": "NL",
        "party_id": "ABC",
        "role": "CPO",
    }
    assert await find_in_database(db, token_a) == []
    assert await find_in_database(db, token_a.upper()) == []
    # The scan does find what is stored in clear, so an empty answer above means something.
    assert await find_in_database(db, "ABC Charging") == ["parties.display_name"]


async def test_credential_events_record_invites_without_the_token(hub: HubClient, db: asyncpg.Pool) -> None:
    first = (await invite(hub)).token_a
    second = (await hub.rotate_invite(rpc.RotateInviteRequest(name="parties/NL/ABC/CPO"))).token_a
    events = await db.fetch("SELECT event, country_code, party_id, role, detail::text AS detail FROM credential_events")
    assert [(e["event"], e["country_code"], e["party_id"], e["role"]) for e in events] == [
        ("INVITED", "NL", "ABC", "CPO"),
        ("INVITE_ROTATED", "NL", "ABC", "CPO"),
    ]
    for token in (first, second):
        assert all(token not in e["detail"] for e in events)


# RotateInvite


async def test_rotating_an_invite_replaces_the_token_a_at_once(hub: HubClient) -> None:
    old = (await invite(hub)).token_a
    response = await hub.rotate_invite(
        rpc.RotateInviteRequest(name="parties/NL/ABC/CPO", expires_in=seconds(2 * 86400))
    )
    assert response.token_a not in ("", old)
    assert response.party.state == pb.PARTY_STATE_INVITED
    expires = utc(response.party.invite_expire_time)
    assert abs(expires - (datetime.now(UTC) + timedelta(days=2))) < timedelta(seconds=5)

    error = await refused(hub.authenticate_token([old]))
    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert error.reason == "TOKEN_REVOKED"
    auth = await hub.authenticate_token([response.token_a])
    assert auth.kind == rpc.TOKEN_KIND_REGISTRATION
    assert [p.name for p in auth.parties] == ["parties/NL/ABC/CPO"]


async def test_rotating_the_invite_of_an_unknown_party_is_not_found(hub: HubClient) -> None:
    error = await refused(hub.rotate_invite(rpc.RotateInviteRequest(name="parties/NL/ABC/CPO")))
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "PARTY_NOT_FOUND"


async def test_rotating_an_invite_checks_the_lifetime_and_keeps_the_old_token_on_refusal(hub: HubClient) -> None:
    old = (await invite(hub)).token_a
    error = await refused(hub.rotate_invite(rpc.RotateInviteRequest(name="parties/NL/ABC/CPO", expires_in=seconds(1))))
    assert error.reason == "INVALID_FIELD"
    assert [field for field, _ in error.field_violations] == ["expires_in"]
    assert (await hub.authenticate_token([old])).kind == rpc.TOKEN_KIND_REGISTRATION


# GetParty


async def test_get_party_of_an_unknown_party_is_not_found(hub: HubClient) -> None:
    error = await refused(hub.get_party("parties/NL/ABC/CPO"))
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "PARTY_NOT_FOUND"
    assert error.metadata == {"party": "parties/NL/ABC/CPO"}


@pytest.mark.parametrize("name", ["NL/ABC/CPO", "parties/NL/ABC", "parties/NL/ABC/CPO/x", "parties/NL/ABC/KING"])
async def test_get_party_with_a_malformed_name_is_invalid(hub: HubClient, name: str) -> None:
    error = await refused(hub.get_party(name))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in error.field_violations] == ["name"]


# ListParties

SEVEN = [
    ("NL", "ABC", "EMSP"),
    ("DE", "XYZ", "CPO"),
    ("NL", "ABC", "CPO"),
    ("BE", "AAA", "NSP"),
    ("FR", "Z", "OTHER"),
    ("DE", "XYZ", "EMSP"),
    ("NL", "AB", "CPO"),
]


async def invite_seven(hub: HubClient) -> None:
    for country_code, party_id, role in SEVEN:
        await invite(hub, country_code, party_id, pb.Role.Value(f"ROLE_{role}"), f"{party_id} {role}")


def key(party: pb.Party) -> tuple[str, str, str]:
    return party.country_code, party.party_id, pb.Role.Name(party.role).removeprefix("ROLE_")


async def test_the_pager_yields_every_party_in_order_across_pages(hub: HubClient) -> None:
    await invite_seven(hub)
    parties = [p async for p in hub.list_parties(rpc.ListPartiesRequest(page_size=3))]
    assert [key(p) for p in parties] == sorted(SEVEN)
    assert all(p.state == pb.PARTY_STATE_INVITED for p in parties)


async def test_list_parties_pages_hold_at_most_page_size(hub: HubClient, core_address: str) -> None:
    await invite_seven(hub)
    async with channel_as(core_address) as channel:
        stub = rpc_grpc.PartiesServiceStub(channel)
        pages: list[list[tuple[str, str, str]]] = []
        request = rpc.ListPartiesRequest(page_size=3)
        while True:
            response = await stub.ListParties(request)
            pages.append([key(p) for p in response.parties])
            if not response.next_page_token:
                break
            request.page_token = response.next_page_token
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [k for page in pages for k in page] == sorted(SEVEN)


async def test_list_parties_filters_by_state_role_and_country(hub: HubClient) -> None:
    await invite_seven(hub)
    await hub.suspend_party("parties/DE/XYZ/EMSP")

    async def listed(**filters: object) -> list[tuple[str, str, str]]:
        return [key(p) async for p in hub.list_parties(rpc.ListPartiesRequest(page_size=2, **filters))]

    assert await listed(state=pb.PARTY_STATE_SUSPENDED) == [("DE", "XYZ", "EMSP")]
    assert await listed(state=pb.PARTY_STATE_INVITED) == sorted(set(SEVEN) - {("DE", "XYZ", "EMSP")})
    assert await listed(state=pb.PARTY_STATE_REGISTERED) == []
    assert await listed(role=EMSP) == [("DE", "XYZ", "EMSP"), ("NL", "ABC", "EMSP")]
    assert await listed(role=EMSP, state=pb.PARTY_STATE_INVITED) == [("NL", "ABC", "EMSP")]
    assert await listed(country_code="nl") == [("NL", "AB", "CPO"), ("NL", "ABC", "CPO"), ("NL", "ABC", "EMSP")]
    assert await listed(country_code="NL", party_id="abc") == [("NL", "ABC", "CPO"), ("NL", "ABC", "EMSP")]


async def test_an_empty_list_has_no_next_page(hub: HubClient) -> None:
    assert [p async for p in hub.list_parties()] == []


@pytest.mark.parametrize(
    ("request_fields", "bad_field"),
    [
        ({"page_size": -1}, "page_size"),
        ({"page_token": "not-a-token"}, "page_token"),
        ({"role": 99}, "role"),
        ({"state": 42}, "state"),
    ],
)
async def test_list_parties_refuses_malformed_requests(
    hub: HubClient, request_fields: dict[str, object], bad_field: str
) -> None:
    error = await refused(anext(hub.list_parties(rpc.ListPartiesRequest(**request_fields))))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in error.field_violations] == [bad_field]


# SuspendParty / ReinstateParty


async def test_a_suspended_party_is_refused_until_reinstated(hub: HubClient, db: asyncpg.Pool) -> None:
    token_a = (await invite(hub)).token_a
    suspended = await hub.suspend_party("parties/NL/ABC/CPO")
    assert suspended.state == pb.PARTY_STATE_SUSPENDED
    assert (await hub.get_party("parties/NL/ABC/CPO")).state == pb.PARTY_STATE_SUSPENDED

    error = await refused(hub.authenticate_token([token_a]))
    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert error.reason == "PARTY_SUSPENDED"

    reinstated = await hub.reinstate_party("parties/NL/ABC/CPO")
    assert reinstated.state == pb.PARTY_STATE_INVITED
    assert (await hub.authenticate_token([token_a])).kind == rpc.TOKEN_KIND_REGISTRATION
    events = await db.fetch("SELECT event FROM credential_events ORDER BY id")
    assert [e["event"] for e in events] == ["INVITED", "SUSPENDED", "REINSTATED"]


async def test_suspending_an_unknown_party_is_not_found(hub: HubClient) -> None:
    error = await refused(hub.suspend_party("parties/NL/ABC/CPO"))
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "PARTY_NOT_FOUND"


# GetPlatform


async def test_get_platform_of_an_unknown_platform_is_not_found(hub: HubClient) -> None:
    error = await refused(hub.get_platform("platforms/00000000-0000-4000-8000-000000000000"))
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "PLATFORM_NOT_FOUND"
    malformed = await refused(hub.get_platform("platforms/not-a-uuid"))
    assert malformed.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in malformed.field_violations] == ["name"]
