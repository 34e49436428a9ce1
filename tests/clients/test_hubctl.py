"""hubctl run as a real subprocess against the real core (and PostgreSQL), as an operator would run it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import sys
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import asyncpg
import pytest

from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from tests import internal_tls


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)


class Hubctl(Protocol):
    def __call__(self, *args: str, core: str | None = ..., env: dict[str, str] | None = ...) -> Awaitable[Result]: ...


@pytest.fixture
def hubctl(core_address: str) -> Hubctl:
    async def run(*args: str, core: str | None = core_address, env: dict[str, str] | None = None) -> Result:
        # Only what the test says: no HUB_* variable of the developer's shell leaks into the CLI. It acts as an
        # operator (the session CA's operator pair) unless the test says otherwise.
        environ = (
            {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
            | internal_tls.client_env(internal_tls.session_dir(), "operator")
            | (env or {})
        )
        command = [sys.executable, "-m", "hubctl", *(["--core", core] if core else []), *args]
        # Not subprocess.run: the core serves on this very event loop and must keep running meanwhile.
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environ
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return Result(process.returncode, stdout.decode(), stderr.decode())

    return run


async def invite(
    hub: HubClient, name: str, role: pb.Role.ValueType = pb.ROLE_CPO, display_name: str = "ABC Charging"
) -> str:
    country_code, party_id = name.split("/")
    response = await hub.invite_party(
        rpc.InvitePartyRequest(country_code=country_code, party_id=party_id, role=role, display_name=display_name)
    )
    return response.token_a


def printed_token(stdout: str) -> str:
    match = re.search(r"TOKEN_A:\s+(\S+)", stdout)
    assert match, stdout
    return match.group(1)


async def refusal(hub: HubClient, token: str) -> str:
    with pytest.raises(HubError) as refused:
        await hub.authenticate_token([token])
    return refused.value.reason


INVITE_ABC = ("party", "invite", "--country-code", "VN", "--party-id", "ABC", "--role", "CPO", "--name", "ABC Charging")


# invite


async def test_invite_json_gives_a_working_token_a_stored_only_as_its_hash(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    result = await hubctl(
        "party", "invite", "--country-code", "vn", "--party-id", "abc", "--role", "cpo", "--name", "ABC Charging",
        "--expires-in", "24h", "--json",
        env={"HUB_PUBLIC_URL": "https://hub.example.com/"},
    )  # fmt: skip

    output = result.json()
    token = output["token_a"]
    assert output["versions_url"] == "https://hub.example.com/ocpi/versions"
    assert output["party"]["name"] == "parties/VN/ABC/CPO"
    auth = await hub.authenticate_token([token])
    assert auth.kind == rpc.TOKEN_KIND_REGISTRATION
    assert [p.name for p in auth.parties] == ["parties/VN/ABC/CPO"]

    stored = await db.fetch("SELECT token_hash, expire_time - create_time AS lifetime FROM hub_tokens")
    assert [(r["token_hash"], r["lifetime"]) for r in stored] == [
        (hashlib.sha256(token.encode()).digest(), timedelta(hours=24))
    ]
    assert [r["event"] for r in await db.fetch("SELECT event FROM credential_events")] == ["INVITED"]
    tables = [r["tablename"] for r in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    assert {"hub_tokens", "credential_events"} <= set(tables)
    for table in tables:
        dump = await db.fetchval(f"SELECT string_agg(row_to_json(t)::text, '') FROM {table} t")
        assert token not in (dump or ""), table
    assert token not in result.stderr


async def test_invite_prints_token_versions_url_and_what_to_do(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    result = await hubctl(
        "party", "invite", "--country-code", "DE", "--party-id", "x1", "--role", "emsp", "--name", "X One",
        "--environment", "production", "--public-url", "https://ocpi.example.org",
    )  # fmt: skip

    assert result.code == 0, result.stderr
    token = printed_token(result.stdout)
    assert (await hub.authenticate_token([token])).parties[0].name == "parties/DE/X1/EMSP"
    assert "https://ocpi.example.org/ocpi/versions" in result.stdout
    assert "DE/X1 EMSP" in result.stdout
    assert "production" in result.stdout
    assert "Authorization: Token <base64 of TOKEN_A>" in result.stdout
    assert token not in result.stderr


async def test_duplicate_invite_fails_and_keeps_the_first_token(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    first = (await hubctl(*INVITE_ABC, "--json")).json()["token_a"]

    again = await hubctl(*INVITE_ABC, "--json")

    assert again.code == 1
    assert again.stdout == ""
    assert "already known" in again.stderr
    assert "rotate-invite" in again.stderr
    assert (await hub.authenticate_token([first])).kind == rpc.TOKEN_KIND_REGISTRATION
    assert await db.fetchval("SELECT count(*) FROM hub_tokens") == 1


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--country-code", "XX", "country_code"),
        ("--party-id", "ABCD", "party_id"),
        ("--expires-in", "40d", "expires_in"),
    ],
)
async def test_invalid_invite_exits_1_naming_the_field(
    hubctl: Hubctl, db: asyncpg.Pool, option: str, value: str, field: str
) -> None:
    args = dict(zip(INVITE_ABC[2::2], INVITE_ABC[3::2], strict=True)) | {option: value}

    result = await hubctl("party", "invite", *(item for pair in args.items() for item in pair))

    assert result.code == 1
    assert re.search(rf"^\s*{field}: ", result.stderr, re.MULTILINE), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert await db.fetchval("SELECT count(*) FROM parties") == 0


@pytest.mark.parametrize(
    "args",
    [
        (*INVITE_ABC[:-4], "--role", "HUB", "--name", "ABC Charging"),
        (*INVITE_ABC, "--expires-in", "7w"),
        (*INVITE_ABC, "--environment", "staging"),
        ("party", "show", "VNABC"),
    ],
    ids=["hub-role", "bad-duration", "bad-environment", "bad-party"],
)
async def test_usage_errors_exit_2_before_calling_the_hub(
    hubctl: Hubctl, db: asyncpg.Pool, args: tuple[str, ...]
) -> None:
    result = await hubctl(*args)

    assert result.code == 2
    assert "usage: hubctl party" in result.stderr
    assert await db.fetchval("SELECT count(*) FROM parties") == 0


# list / show


async def test_list_filters_and_prints_a_table(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    await invite(hub, "VN/ABC", pb.ROLE_CPO)
    await invite(hub, "VN/ABC", pb.ROLE_EMSP)
    await invite(hub, "DE/XYZ", pb.ROLE_CPO, "XYZ Mobility")
    await hub.suspend_party("parties/DE/XYZ/CPO")

    everything = (await hubctl("party", "list", "--json")).json()
    suspended = (await hubctl("party", "list", "--state", "SUSPENDED", "--json")).json()
    vn_cpo = (await hubctl("party", "list", "--role", "cpo", "--country-code", "vn", "--json")).json()
    table = await hubctl("party", "list")
    none = await hubctl("party", "list", "--state", "registered")

    assert [(p["name"], p["state"]) for p in everything] == [
        ("parties/DE/XYZ/CPO", "suspended"),
        ("parties/VN/ABC/CPO", "invited"),
        ("parties/VN/ABC/EMSP", "invited"),
    ]
    assert [p["name"] for p in suspended] == ["parties/DE/XYZ/CPO"]
    assert [p["name"] for p in vn_cpo] == ["parties/VN/ABC/CPO"]
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["PARTY", "ROLE", "STATE", "ENV", "NAME", "PLATFORM/INVITE", "EXPIRY"]
    assert len(rows) == 3
    assert re.fullmatch(r"VN/ABC\s+EMSP\s+invited\s+sandbox\s+ABC Charging\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows[2])
    assert none.code == 0
    assert none.stdout == ""
    assert "no parties" in none.stderr


async def test_core_address_defaults_to_hub_core_address(
    hubctl: Hubctl, core_address: str, hub: HubClient, db: asyncpg.Pool
) -> None:
    await invite(hub, "VN/ABC")

    result = await hubctl("party", "list", "--json", core=None, env={"HUB_CORE_ADDRESS": core_address})

    assert [p["name"] for p in result.json()] == ["parties/VN/ABC/CPO"]


async def test_show_lists_every_role_with_the_platform_of_registered_ones(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    token_a = await invite(hub, "VN/ABC", pb.ROLE_CPO)
    await invite(hub, "VN/ABC", pb.ROLE_EMSP)
    locations = "https://cpo.example.com/ocpi/2.2.1/locations"
    await hub.register_platform(
        rpc.RegisterPlatformRequest(
            token_a=token_a,
            token_b="token-b-of-abc",
            platform=pb.Platform(
                versions_url="https://cpo.example.com/ocpi/versions",
                version="2.2.1",
                endpoints=[pb.Endpoint(identifier="locations", role=pb.INTERFACE_ROLE_SENDER, url=locations)],
                roles=[
                    pb.CredentialsRole(
                        role=pb.ROLE_CPO,
                        country_code="VN",
                        party_id="ABC",
                        business_details=pb.BusinessDetails(name="ABC Charging"),
                    )
                ],
                encode_auth_token=True,
            ),
        )
    )

    shown = (await hubctl("party", "show", "vn/abc", "--json")).json()
    text = await hubctl("party", "show", "VN/ABC")
    only_emsp = (await hubctl("party", "show", "VN/ABC", "--role", "emsp", "--json")).json()
    unknown = await hubctl("party", "show", "VN/ZZZ")

    cpo, emsp = shown
    assert (cpo["party"]["role"], cpo["party"]["state"]) == ("CPO", "registered")
    assert cpo["platform"]["name"] == cpo["party"]["platform"]
    assert cpo["platform"]["versions_url"] == "https://cpo.example.com/ocpi/versions"
    assert cpo["platform"]["version"] == "2.2.1"
    assert cpo["platform"]["endpoints"] == [{"identifier": "locations", "role": "SENDER", "url": locations}]
    assert cpo["platform"]["encode_auth_token"] is True
    assert (emsp["party"]["role"], emsp["party"]["state"], emsp["platform"]) == ("EMSP", "invited", None)
    assert emsp["party"]["invite_expire_time"]
    assert text.code == 0, text.stderr
    for shown_text in ("VN/ABC CPO: registered", "https://cpo.example.com/ocpi/versions", locations, "VN/ABC EMSP"):
        assert shown_text in text.stdout
    assert [entry["party"]["name"] for entry in only_emsp] == ["parties/VN/ABC/EMSP"]
    assert unknown.code == 1
    assert "error: no party VN/ZZZ" in unknown.stderr


# suspend / reinstate / rotate-invite


async def test_suspend_refuses_every_role_and_reinstate_restores_one(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    cpo = await invite(hub, "VN/ABC", pb.ROLE_CPO)
    emsp = await invite(hub, "VN/ABC", pb.ROLE_EMSP)

    suspended = await hubctl("party", "suspend", "vn/abc")
    assert suspended.code == 0, suspended.stderr
    assert suspended.stdout.splitlines() == ["VN/ABC CPO: suspended", "VN/ABC EMSP: suspended"]
    assert await refusal(hub, cpo) == "PARTY_SUSPENDED"
    assert await refusal(hub, emsp) == "PARTY_SUSPENDED"

    reinstated = await hubctl("party", "reinstate", "VN/ABC", "--role", "CPO")
    assert reinstated.stdout.splitlines() == ["VN/ABC CPO: invited"]
    assert (await hub.authenticate_token([cpo])).kind == rpc.TOKEN_KIND_REGISTRATION
    assert await refusal(hub, emsp) == "PARTY_SUSPENDED"

    missing = await hubctl("party", "suspend", "VN/ABC", "--role", "NSP")
    assert missing.code == 1
    assert "no party VN/ABC with role NSP" in missing.stderr


async def test_rotate_invite_replaces_the_token(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    old = await invite(hub, "VN/ABC")

    rotated = (await hubctl("party", "rotate-invite", "vn/abc", "--expires-in", "2d", "--json")).json()
    new = rotated["token_a"]
    assert new != old
    assert rotated["versions_url"] == "http://127.0.0.1:8080/ocpi/versions"
    assert (await hub.authenticate_token([new])).kind == rpc.TOKEN_KIND_REGISTRATION
    assert await refusal(hub, old) == "TOKEN_REVOKED"

    text = await hubctl("party", "rotate-invite", "VN/ABC")
    assert text.code == 0, text.stderr
    newest = printed_token(text.stdout)
    assert "http://127.0.0.1:8080/ocpi/versions" in text.stdout
    assert (await hub.authenticate_token([newest])).kind == rpc.TOKEN_KIND_REGISTRATION
    assert await refusal(hub, new) == "TOKEN_REVOKED"


async def test_rotate_invite_needs_role_when_the_party_has_several(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    cpo = await invite(hub, "VN/ABC", pb.ROLE_CPO)
    emsp = await invite(hub, "VN/ABC", pb.ROLE_EMSP)

    ambiguous = await hubctl("party", "rotate-invite", "VN/ABC")
    assert ambiguous.code == 1
    assert ambiguous.stdout == ""
    assert "several roles (CPO, EMSP)" in ambiguous.stderr
    assert "--role" in ambiguous.stderr
    for token in (cpo, emsp):
        assert (await hub.authenticate_token([token])).kind == rpc.TOKEN_KIND_REGISTRATION

    chosen = (await hubctl("party", "rotate-invite", "VN/ABC", "--role", "emsp", "--json")).json()
    assert chosen["party"]["name"] == "parties/VN/ABC/EMSP"
    assert await refusal(hub, emsp) == "TOKEN_REVOKED"
    assert (await hub.authenticate_token([cpo])).kind == rpc.TOKEN_KIND_REGISTRATION


# the core cannot be reached


async def test_unreachable_core_is_reported_by_address(hubctl: Hubctl, db: asyncpg.Pool) -> None:
    result = await hubctl("party", "list", core="127.0.0.1:1")

    assert result.code == 1
    assert result.stderr.startswith("error: cannot reach the Hub core at 127.0.0.1:1")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
