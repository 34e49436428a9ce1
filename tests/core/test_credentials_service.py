"""CredentialsService over the real gRPC core and PostgreSQL: token authentication and the credentials lifecycle."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Awaitable

import asyncpg
import grpc
import pytest
from cryptography.fernet import Fernet

from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from tests.conftest import ROTATION_GRACE, TOKEN_KEY
from tests.waiting import eventually

CPO, EMSP = pb.ROLE_CPO, pb.ROLE_EMSP
ABC_CPO = ("NL", "ABC", CPO)
ABC_EMSP = ("NL", "ABC", EMSP)
XYZ_CPO = ("DE", "XYZ", CPO)
PartyTuple = tuple[str, str, "pb.Role.ValueType"]

VERSIONS_URL = "http://127.0.0.1:9001/ocpi/versions"
BASE_URL = "http://127.0.0.1:9001/ocpi/2.2.1"


async def refused(call: Awaitable[object]) -> HubError:
    with pytest.raises(HubError) as info:
        await call
    return info.value


def name_of(party: PartyTuple) -> str:
    country_code, party_id, role = party
    return f"parties/{country_code}/{party_id}/{pb.Role.Name(role).removeprefix('ROLE_')}"


async def invite(hub: HubClient, party: PartyTuple = ABC_CPO) -> str:
    country_code, party_id, role = party
    request = rpc.InvitePartyRequest(
        country_code=country_code, party_id=party_id, role=role, display_name=f"Invited {party_id}"
    )
    return (await hub.invite_party(request)).token_a


def endpoints(base: str = BASE_URL) -> list[pb.Endpoint]:
    return [
        pb.Endpoint(identifier="credentials", role=pb.INTERFACE_ROLE_RECEIVER, url=f"{base}/credentials"),
        pb.Endpoint(identifier="locations", role=pb.INTERFACE_ROLE_SENDER, url=f"{base}/locations"),
    ]


def platform(*parties: PartyTuple, versions_url: str = VERSIONS_URL, base: str = BASE_URL) -> pb.Platform:
    return pb.Platform(
        versions_url=versions_url,
        version="2.2.1",
        endpoints=endpoints(base),
        roles=[
            pb.CredentialsRole(
                role=role,
                country_code=country_code,
                party_id=party_id,
                business_details=pb.BusinessDetails(name=f"{party_id} {pb.Role.Name(role)[5:]} B.V."),
            )
            for country_code, party_id, role in parties
        ],
        encode_auth_token=True,
    )


async def register(
    hub: HubClient, token_a: str, *parties: PartyTuple, token_b: str = "", validate_only: bool = False
) -> rpc.RegisterPlatformResponse:
    request = rpc.RegisterPlatformRequest(
        token_a=token_a,
        token_b=token_b or f"token-b-{uuid.uuid4()}",
        platform=platform(*(parties or (ABC_CPO,))),
        validate_only=validate_only,
    )
    return await hub.register_platform(request)


async def update(
    hub: HubClient, token: str, *parties: PartyTuple, token_b: str = "", base: str = BASE_URL, **kw: str
) -> rpc.UpdatePlatformCredentialsResponse:
    request = rpc.UpdatePlatformCredentialsRequest(
        token=token,
        token_b=token_b or f"token-b-{uuid.uuid4()}",
        platform=platform(*(parties or (ABC_CPO,)), base=base, **kw),
    )
    return await hub.update_platform_credentials(request)


async def stored_token_b(db: asyncpg.Pool, platform_name: str) -> bytes:
    platform_id = uuid.UUID(platform_name.removeprefix("platforms/"))
    value: bytes = await db.fetchval("SELECT token_b_encrypted FROM platforms WHERE id = $1", platform_id)
    return value


async def assert_unauthenticated(hub: HubClient, token: str, reason: str) -> None:
    error = await refused(hub.authenticate_token([token]))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, reason)


# AuthenticateToken


async def test_a_token_a_authenticates_as_registration_for_its_party(hub: HubClient) -> None:
    token_a = await invite(hub, ABC_CPO)
    auth = await hub.authenticate_token([token_a])
    assert auth.kind == rpc.TOKEN_KIND_REGISTRATION
    assert auth.token == token_a
    assert [p.name for p in auth.parties] == ["parties/NL/ABC/CPO"]
    assert auth.parties[0].state == pb.PARTY_STATE_INVITED
    assert not auth.HasField("platform")


@pytest.mark.parametrize("candidates", [[], [""], ["nope"], [str(uuid.uuid4()), "Token abc"]])
async def test_an_unknown_token_is_refused(hub: HubClient, candidates: list[str]) -> None:
    await invite(hub)
    error = await refused(hub.authenticate_token(candidates))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_UNKNOWN")


async def test_one_matching_candidate_is_enough_and_is_echoed(hub: HubClient) -> None:
    token_a = await invite(hub)
    encoded = base64.b64encode(token_a.encode()).decode()
    for candidates in ([encoded, token_a], [token_a, encoded], ["unknown", token_a, token_a]):
        auth = await hub.authenticate_token(candidates)
        assert auth.kind == rpc.TOKEN_KIND_REGISTRATION
        assert auth.token == token_a


async def test_a_live_candidate_wins_over_a_revoked_one(hub: HubClient) -> None:
    used = await invite(hub, ABC_CPO)
    await register(hub, used, ABC_CPO)
    live = await invite(hub, XYZ_CPO)
    auth = await hub.authenticate_token([used, live])
    assert auth.token == live
    assert [p.name for p in auth.parties] == ["parties/DE/XYZ/CPO"]


async def test_an_expired_token_a_is_refused(hub: HubClient, db: asyncpg.Pool) -> None:
    request = rpc.InvitePartyRequest(country_code="NL", party_id="ABC", role=CPO, display_name="ABC")
    request.expires_in.FromSeconds(60)
    token_a = (await hub.invite_party(request)).token_a
    assert (await hub.authenticate_token([token_a])).kind == rpc.TOKEN_KIND_REGISTRATION

    await db.execute("UPDATE hub_tokens SET expire_time = now() - interval '1 second' WHERE kind = 'A'")
    await assert_unauthenticated(hub, token_a, "TOKEN_EXPIRED")
    error = await refused(register(hub, token_a, ABC_CPO))
    assert error.reason == "TOKEN_EXPIRED"
    assert await db.fetchval("SELECT count(*) FROM platforms") == 0


async def test_a_suspended_partys_token_a_is_refused_until_reinstated(hub: HubClient) -> None:
    token_a = await invite(hub)
    await hub.suspend_party("parties/NL/ABC/CPO")
    await assert_unauthenticated(hub, token_a, "PARTY_SUSPENDED")
    error = await refused(register(hub, token_a, ABC_CPO))
    assert error.reason == "PARTY_SUSPENDED"
    await hub.reinstate_party("parties/NL/ABC/CPO")
    assert (await hub.authenticate_token([token_a])).kind == rpc.TOKEN_KIND_REGISTRATION
    assert (await register(hub, token_a, ABC_CPO)).token_c


async def test_a_token_c_serves_only_the_platforms_unsuspended_parties(hub: HubClient) -> None:
    token_a = await invite(hub, ABC_CPO)
    await invite(hub, ABC_EMSP)
    token_c = (await register(hub, token_a, ABC_CPO, ABC_EMSP)).token_c

    await hub.suspend_party("parties/NL/ABC/EMSP")
    auth = await hub.authenticate_token([token_c])
    assert [p.name for p in auth.parties] == ["parties/NL/ABC/CPO"]

    await hub.suspend_party("parties/NL/ABC/CPO")
    await assert_unauthenticated(hub, token_c, "PARTY_SUSPENDED")

    await hub.reinstate_party("parties/NL/ABC/CPO")
    await hub.reinstate_party("parties/NL/ABC/EMSP")
    auth = await hub.authenticate_token([token_c])
    assert [p.name for p in auth.parties] == ["parties/NL/ABC/CPO", "parties/NL/ABC/EMSP"]
    assert all(p.state == pb.PARTY_STATE_REGISTERED for p in auth.parties)


# RegisterPlatform


async def test_validate_only_checks_but_stores_nothing(hub: HubClient, db: asyncpg.Pool) -> None:
    token_a = await invite(hub)
    response = await register(hub, token_a, ABC_CPO, validate_only=True)
    assert response.token_c == ""
    assert response.platform.versions_url == VERSIONS_URL
    assert [r.party_id for r in response.platform.roles] == ["ABC"]

    assert await db.fetchval("SELECT count(*) FROM platforms") == 0
    assert await db.fetchval("SELECT count(*) FROM hub_tokens WHERE kind = 'C'") == 0
    assert (await hub.get_party("parties/NL/ABC/CPO")).state == pb.PARTY_STATE_INVITED
    assert (await hub.authenticate_token([token_a])).kind == rpc.TOKEN_KIND_REGISTRATION


async def test_validate_only_still_refuses_what_a_real_registration_would(hub: HubClient) -> None:
    token_a = await invite(hub)
    error = await refused(register(hub, token_a, ABC_CPO, ABC_EMSP, validate_only=True))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ROLE_NOT_INVITED")


async def test_registering_returns_a_token_c_and_registers_the_party(hub: HubClient, db: asyncpg.Pool) -> None:
    token_a = await invite(hub)
    request = rpc.RegisterPlatformRequest(token_a=token_a, token_b="token-b-of-abc", platform=platform(ABC_CPO))
    logo = {"url": "https://abc.example/logo.png", "category": "OPERATOR", "type": "png", "width": 512}
    request.platform.roles[0].business_details.website = "https://abc.example"
    request.platform.roles[0].business_details.logo_json = json.dumps(logo)
    response = await hub.register_platform(request)

    token_c = response.token_c
    assert str(uuid.UUID(token_c)) == token_c
    assert token_c != token_a
    registered = response.platform
    assert registered.name == f"platforms/{uuid.UUID(registered.name.removeprefix('platforms/'))}"
    assert registered.state == pb.PLATFORM_STATE_REGISTERED
    assert registered.environment == pb.ENVIRONMENT_SANDBOX
    assert (registered.versions_url, registered.version) == (VERSIONS_URL, "2.2.1")
    assert list(registered.endpoints) == endpoints()
    assert registered.encode_auth_token is True
    [role] = registered.roles
    assert (role.country_code, role.party_id, role.role) == ABC_CPO
    assert role.business_details.name == "ABC CPO B.V."
    assert role.business_details.website == "https://abc.example"
    assert json.loads(role.business_details.logo_json) == logo
    assert await hub.get_platform(registered.name) == registered

    party = await hub.get_party("parties/NL/ABC/CPO")
    assert party.state == pb.PARTY_STATE_REGISTERED
    assert party.platform == registered.name
    assert party.display_name == "ABC CPO B.V."
    assert not party.HasField("invite_expire_time")

    await assert_unauthenticated(hub, token_a, "TOKEN_REVOKED")
    auth = await hub.authenticate_token([token_c])
    assert auth.kind == rpc.TOKEN_KIND_CREDENTIALS
    assert auth.token == token_c
    assert auth.platform == registered
    assert [p.name for p in auth.parties] == ["parties/NL/ABC/CPO"]
    events = await db.fetch("SELECT event, platform_id FROM credential_events ORDER BY id")
    assert [(e["event"], e["platform_id"]) for e in events][-1] == (
        "REGISTERED",
        uuid.UUID(registered.name.removeprefix("platforms/")),
    )


async def test_token_b_is_stored_as_fernet_ciphertext_under_the_hubs_key(hub: HubClient, db: asyncpg.Pool) -> None:
    token_b = f"party-own-token-{uuid.uuid4()}"
    response = await register(hub, await invite(hub), ABC_CPO, token_b=token_b)
    ciphertext = await stored_token_b(db, response.platform.name)
    assert token_b.encode() not in ciphertext
    assert Fernet(TOKEN_KEY.encode()).decrypt(ciphertext).decode() == token_b
    assert base64.urlsafe_b64decode(ciphertext)[0] == 0x80  # Fernet version byte


async def test_no_hub_token_or_party_token_is_ever_stored_in_clear(hub: HubClient, db: asyncpg.Pool) -> None:
    token_a = await invite(hub)
    first_b, second_b = f"first-b-{uuid.uuid4()}", f"second-b-{uuid.uuid4()}"
    first_c = (await register(hub, token_a, ABC_CPO, token_b=first_b)).token_c
    second_c = (await update(hub, first_c, ABC_CPO, token_b=second_b)).token_c
    await hub.unregister_platform(second_c)
    token_a_again = (await hub.rotate_invite(rpc.RotateInviteRequest(name="parties/NL/ABC/CPO"))).token_a

    tokens = [token_a, first_c, second_c, token_a_again, first_b, second_b]
    columns = await db.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'bytea', 'jsonb', 'json')"
    )
    assert {(c["table_name"], c["column_name"]) for c in columns} >= {
        ("hub_tokens", "token_hash"),
        ("platforms", "token_b_encrypted"),
        ("platforms", "endpoints"),
        ("credential_events", "detail"),
    }
    for column in columns:
        table, name = column["table_name"], column["column_name"]
        values = await db.fetch(f'SELECT "{name}" AS v FROM "{table}" WHERE "{name}" IS NOT NULL')
        for value in (row["v"] for row in values):
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            for token in tokens:
                assert token not in text, f"a token is stored in clear in {table}.{name}"
    hashes = {bytes(r["token_hash"]) for r in await db.fetch("SELECT token_hash FROM hub_tokens")}
    assert hashes == {hashlib.sha256(t.encode()).digest() for t in (token_a, first_c, second_c, token_a_again)}


async def test_registering_a_role_never_invited_fails_and_stores_nothing(hub: HubClient, db: asyncpg.Pool) -> None:
    token_a = await invite(hub, ABC_CPO)
    error = await refused(register(hub, token_a, ABC_CPO, ABC_EMSP))
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == "ROLE_NOT_INVITED"
    assert error.metadata == {"party": "parties/NL/ABC/EMSP"}

    assert await db.fetchval("SELECT count(*) FROM platforms") == 0
    assert await db.fetchval("SELECT count(*) FROM parties") == 1
    assert (await hub.get_party("parties/NL/ABC/CPO")).state == pb.PARTY_STATE_INVITED
    assert (await hub.authenticate_token([token_a])).kind == rpc.TOKEN_KIND_REGISTRATION


async def test_a_role_of_another_platform_cannot_be_claimed(hub: HubClient) -> None:
    await register(hub, await invite(hub, XYZ_CPO), XYZ_CPO)
    token_a = await invite(hub, ABC_CPO)
    error = await refused(register(hub, token_a, ABC_CPO, XYZ_CPO))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ROLE_NOT_INVITED")
    assert (await hub.authenticate_token([token_a])).kind == rpc.TOKEN_KIND_REGISTRATION


async def test_two_invited_roles_register_as_one_platform_and_both_token_as_are_used(hub: HubClient) -> None:
    cpo_token_a = await invite(hub, ABC_CPO)
    emsp_token_a = await invite(hub, ABC_EMSP)
    response = await register(hub, emsp_token_a, ABC_CPO, ABC_EMSP)

    assert [(r.country_code, r.party_id, r.role) for r in response.platform.roles] == [ABC_CPO, ABC_EMSP]
    for party in (ABC_CPO, ABC_EMSP):
        stored = await hub.get_party(name_of(party))
        assert (stored.state, stored.platform) == (pb.PARTY_STATE_REGISTERED, response.platform.name)
    await assert_unauthenticated(hub, cpo_token_a, "TOKEN_REVOKED")
    await assert_unauthenticated(hub, emsp_token_a, "TOKEN_REVOKED")
    auth = await hub.authenticate_token([response.token_c])
    assert [p.name for p in auth.parties] == ["parties/NL/ABC/CPO", "parties/NL/ABC/EMSP"]


async def test_the_roles_must_list_the_party_the_token_a_was_issued_to(hub: HubClient, db: asyncpg.Pool) -> None:
    token_a = await invite(hub, ABC_CPO)
    await invite(hub, XYZ_CPO)
    error = await refused(register(hub, token_a, XYZ_CPO))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "INVALID_FIELD"
    assert [field for field, _ in error.field_violations] == ["roles"]
    assert await db.fetchval("SELECT count(*) FROM platforms") == 0


@pytest.mark.parametrize(
    ("edit", "bad_field"),
    [
        (lambda p: p.ClearField("roles"), "roles"),
        (lambda p: setattr(p.roles[0], "country_code", "XX"), "roles[0].country_code"),
        (lambda p: setattr(p.roles[0], "role", pb.ROLE_HUB), "roles[0].role"),
        (lambda p: setattr(p.roles[0], "role", pb.ROLE_UNSPECIFIED), "roles[0].role"),
        (lambda p: setattr(p.roles[0].business_details, "name", ""), "roles[0].business_details.name"),
        (lambda p: setattr(p.roles[0].business_details, "name", "ABC\n"), "roles[0].business_details.name"),
        (lambda p: p.roles.append(p.roles[0]), "roles[1]"),
        (lambda p: setattr(p.endpoints[1], "role", 7), "endpoints[1].role"),
    ],
    ids=[
        "no roles",
        "country not ISO",
        "role HUB",
        "role unspecified",
        "empty business name",
        "control character in business name",
        "role listed twice",
        "unknown endpoint role",
    ],
)
async def test_malformed_credentials_are_refused_field_by_field(
    hub: HubClient, db: asyncpg.Pool, edit: object, bad_field: str
) -> None:
    token_a = await invite(hub)
    request = rpc.RegisterPlatformRequest(token_a=token_a, token_b="token-b", platform=platform(ABC_CPO))
    edit(request.platform)  # type: ignore[operator]
    error = await refused(hub.register_platform(request))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert [field for field, _ in error.field_violations] == [bad_field]
    assert await db.fetchval("SELECT count(*) FROM platforms") == 0
    assert (await hub.authenticate_token([token_a])).kind == rpc.TOKEN_KIND_REGISTRATION


async def test_registering_again_is_refused(hub: HubClient, db: asyncpg.Pool) -> None:
    token_a = await invite(hub)
    token_c = (await register(hub, token_a, ABC_CPO)).token_c

    error = await refused(register(hub, token_c, ABC_CPO))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_REGISTERED")
    reused = await refused(register(hub, token_a, ABC_CPO))
    assert (reused.code, reused.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_REVOKED")
    assert await db.fetchval("SELECT count(*) FROM platforms") == 1
    assert (await hub.authenticate_token([token_c])).kind == rpc.TOKEN_KIND_CREDENTIALS


async def test_registering_with_an_unknown_token_is_unauthenticated(hub: HubClient) -> None:
    await invite(hub)
    error = await refused(register(hub, str(uuid.uuid4()), ABC_CPO))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_UNKNOWN")


async def test_registered_parties_are_listed_as_registered(hub: HubClient) -> None:
    await register(hub, await invite(hub, ABC_CPO), ABC_CPO)
    await invite(hub, XYZ_CPO)
    registered = [p.name async for p in hub.list_parties(rpc.ListPartiesRequest(state=pb.PARTY_STATE_REGISTERED))]
    invited = [p.name async for p in hub.list_parties(rpc.ListPartiesRequest(state=pb.PARTY_STATE_INVITED))]
    assert (registered, invited) == (["parties/NL/ABC/CPO"], ["parties/DE/XYZ/CPO"])


# UpdatePlatformCredentials


async def test_rotating_token_c_keeps_the_old_one_for_the_grace_period_only(hub: HubClient) -> None:
    old = (await register(hub, await invite(hub), ABC_CPO)).token_c
    rotated = time.monotonic()  # before the rotation: the grace period starts during it
    new = (await update(hub, old, ABC_CPO)).token_c
    assert str(uuid.UUID(new)) == new
    assert new != old

    for token in (old, new):
        auth = await hub.authenticate_token([token])
        assert (auth.kind, auth.token) == (rpc.TOKEN_KIND_CREDENTIALS, token)

    async def old_token_refused() -> bool:
        try:
            await hub.authenticate_token([old])
        except HubError as error:
            assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_EXPIRED")
            return True
        return False

    await eventually(old_token_refused, "the old TOKEN_C outlived its grace period")
    # It lived the whole grace period (2 s here; a slow machine only makes it look longer).
    assert time.monotonic() - rotated >= ROTATION_GRACE.total_seconds() - 0.01
    assert (await hub.authenticate_token([new])).kind == rpc.TOKEN_KIND_CREDENTIALS


async def test_updating_credentials_stores_the_new_token_b_and_endpoints(hub: HubClient, db: asyncpg.Pool) -> None:
    registered = await register(hub, await invite(hub), ABC_CPO, token_b="first-token-b")
    name = registered.platform.name
    new_base = "http://127.0.0.1:9002/ocpi/2.2.1"
    response = await update(
        hub,
        registered.token_c,
        ABC_CPO,
        token_b="second-token-b",
        base=new_base,
        versions_url="http://127.0.0.1:9002/ocpi/versions",
    )

    assert response.platform.name == name
    stored = await hub.get_platform(name)
    assert stored.versions_url == "http://127.0.0.1:9002/ocpi/versions"
    assert list(stored.endpoints) == endpoints(new_base)
    assert stored.create_time == registered.platform.create_time
    ciphertext = await stored_token_b(db, name)
    assert Fernet(TOKEN_KEY.encode()).decrypt(ciphertext) == b"second-token-b"
    assert b"second-token-b" not in ciphertext

    events = await db.fetch("SELECT event, platform_id, detail::text AS detail FROM credential_events ORDER BY id")
    assert [e["event"] for e in events] == ["INVITED", "REGISTERED", "ROTATED"]
    assert events[-1]["platform_id"] == uuid.UUID(name.removeprefix("platforms/"))
    assert "9002" in events[-1]["detail"]
    assert all(response.token_c not in e["detail"] and "token-b" not in e["detail"] for e in events)


async def test_updating_credentials_can_add_an_invited_role_and_drop_one(hub: HubClient) -> None:
    token_c = (await register(hub, await invite(hub, ABC_CPO), ABC_CPO)).token_c
    emsp_token_a = await invite(hub, ABC_EMSP)
    token_c = (await update(hub, token_c, ABC_CPO, ABC_EMSP)).token_c
    await assert_unauthenticated(hub, emsp_token_a, "TOKEN_REVOKED")
    auth = await hub.authenticate_token([token_c])
    assert [p.name for p in auth.parties] == ["parties/NL/ABC/CPO", "parties/NL/ABC/EMSP"]

    token_c = (await update(hub, token_c, ABC_EMSP)).token_c
    assert (await hub.get_party("parties/NL/ABC/CPO")).state == pb.PARTY_STATE_UNREGISTERED
    auth = await hub.authenticate_token([token_c])
    assert [p.name for p in auth.parties] == ["parties/NL/ABC/EMSP"]


async def test_updating_with_a_role_never_invited_changes_nothing(hub: HubClient, db: asyncpg.Pool) -> None:
    registered = await register(hub, await invite(hub), ABC_CPO, token_b="first-token-b")
    error = await refused(update(hub, registered.token_c, ABC_CPO, XYZ_CPO, token_b="second-token-b"))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ROLE_NOT_INVITED")
    ciphertext = await stored_token_b(db, registered.platform.name)
    assert Fernet(TOKEN_KEY.encode()).decrypt(ciphertext) == b"first-token-b"
    assert await hub.get_platform(registered.platform.name) == registered.platform
    assert await db.fetchval("SELECT count(*) FROM hub_tokens WHERE kind = 'C' AND expire_time IS NOT NULL") == 0


async def test_validate_only_update_rotates_nothing(hub: HubClient, db: asyncpg.Pool) -> None:
    registered = await register(hub, await invite(hub), ABC_CPO, token_b="first-token-b")
    request = rpc.UpdatePlatformCredentialsRequest(
        token=registered.token_c,
        token_b="second-token-b",
        platform=platform(ABC_CPO, base="http://x"),
        validate_only=True,
    )
    response = await hub.update_platform_credentials(request)
    assert response.token_c == ""
    assert await hub.get_platform(registered.platform.name) == registered.platform
    assert await db.fetchval("SELECT count(*) FROM hub_tokens WHERE kind = 'C'") == 1
    assert Fernet(TOKEN_KEY.encode()).decrypt(await stored_token_b(db, registered.platform.name)) == b"first-token-b"


async def test_updating_credentials_with_a_token_a_is_not_registered(hub: HubClient, db: asyncpg.Pool) -> None:
    token_a = await invite(hub)
    error = await refused(update(hub, token_a, ABC_CPO))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_REGISTERED")
    assert await db.fetchval("SELECT count(*) FROM platforms") == 0
    assert (await hub.authenticate_token([token_a])).kind == rpc.TOKEN_KIND_REGISTRATION


# UnregisterPlatform


async def test_unregistering_stops_every_token_c_at_once(hub: HubClient) -> None:
    cpo_token_a = await invite(hub, ABC_CPO)
    await invite(hub, ABC_EMSP)
    registered = await register(hub, cpo_token_a, ABC_CPO, ABC_EMSP)
    in_grace = registered.token_c
    current = (await update(hub, in_grace, ABC_CPO, ABC_EMSP)).token_c
    assert (await hub.authenticate_token([in_grace])).kind == rpc.TOKEN_KIND_CREDENTIALS

    response = await hub.unregister_platform(current)
    assert response.platform.name == registered.platform.name
    assert response.platform.state == pb.PLATFORM_STATE_UNREGISTERED

    for token in (current, in_grace):
        await assert_unauthenticated(hub, token, "TOKEN_REVOKED")
    for party in (ABC_CPO, ABC_EMSP):
        assert (await hub.get_party(name_of(party))).state == pb.PARTY_STATE_UNREGISTERED
    assert (await hub.get_platform(registered.platform.name)).state == pb.PLATFORM_STATE_UNREGISTERED
    again = await refused(hub.unregister_platform(current))
    assert (again.code, again.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_REVOKED")


async def test_unregistering_with_a_token_a_is_not_registered(hub: HubClient) -> None:
    token_a = await invite(hub)
    error = await refused(hub.unregister_platform(token_a))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_REGISTERED")
    assert (await hub.get_party("parties/NL/ABC/CPO")).state == pb.PARTY_STATE_INVITED


async def test_an_unregistered_party_comes_back_with_a_new_invite(hub: HubClient) -> None:
    first = await register(hub, await invite(hub), ABC_CPO)
    await hub.unregister_platform(first.token_c)

    rotated = await hub.rotate_invite(rpc.RotateInviteRequest(name="parties/NL/ABC/CPO"))
    assert rotated.party.state == pb.PARTY_STATE_INVITED
    assert rotated.party.platform == ""
    assert rotated.party.HasField("invite_expire_time")

    second = await register(hub, rotated.token_a, ABC_CPO)
    assert second.platform.name != first.platform.name
    party = await hub.get_party("parties/NL/ABC/CPO")
    assert (party.state, party.platform) == (pb.PARTY_STATE_REGISTERED, second.platform.name)
    assert (await hub.authenticate_token([second.token_c])).platform.name == second.platform.name
    await assert_unauthenticated(hub, first.token_c, "TOKEN_REVOKED")


async def test_the_invite_of_a_registered_party_cannot_be_rotated(hub: HubClient) -> None:
    token_c = (await register(hub, await invite(hub), ABC_CPO)).token_c
    error = await refused(hub.rotate_invite(rpc.RotateInviteRequest(name="parties/NL/ABC/CPO")))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "WRONG_STATE")
    assert error.metadata == {"party": "parties/NL/ABC/CPO"}
    assert (await hub.authenticate_token([token_c])).kind == rpc.TOKEN_KIND_CREDENTIALS


# Unexpected failures


async def test_a_nul_character_anywhere_is_refused_naming_the_field_and_stores_nothing(
    hub: HubClient, db: asyncpg.Pool
) -> None:
    # PostgreSQL text cannot hold U+0000; the core refuses it up front instead of failing inside the database.
    token_a = await invite(hub)
    request = rpc.RegisterPlatformRequest(
        token_a=token_a, token_b="secret-token-b", platform=platform(ABC_CPO, versions_url="http://a\x00b/versions")
    )
    error = await refused(hub.register_platform(request))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "INVALID_FIELD"
    assert error.field_violations == [("platform.versions_url", "must not contain NUL characters")]

    assert await db.fetchval("SELECT count(*) FROM platforms") == 0
    assert (await hub.get_party("parties/NL/ABC/CPO")).state == pb.PARTY_STATE_INVITED
    assert (await hub.authenticate_token([token_a])).kind == rpc.TOKEN_KIND_REGISTRATION
