"""Dashboard accounts: hubctl operator add|list|disable run as a real subprocess against the real core, and the
dashboard's sign-in check (VerifyOperatorPassword) called with the dashboard's own certificate, as it will be."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import asyncpg
import grpc
import pytest

from hubclient import HubClient, HubError
from ocpihub.operators.v1 import operators_pb2 as pb
from tests import internal_tls
from tests.clients.test_hubctl import Result

PASSWORD = "correct horse battery"


async def hubctl(core_address: str, *args: str, stdin: str = "", role: str = "operator") -> Result:
    """hubctl with `stdin` piped in (a pipe, not a terminal: the password is read as one line)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")} | internal_tls.client_env(
        internal_tls.session_dir(), role
    )
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "hubctl", "--core", core_address, *args),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
    )
    async with asyncio.timeout(60):
        stdout, stderr = await process.communicate(stdin.encode())
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())


def dashboard(core_address: str, person: str = "", acting_role: str = "") -> HubClient:
    tls = internal_tls.session_client("dashboard")
    return HubClient(core_address, tls=tls, timeout=10.0, person=person, acting_role=acting_role)


async def sign_in(core_address: str, email: str, password: str) -> HubError | pb.Operator:
    async with dashboard(core_address) as hub:
        try:
            return await hub.verify_operator_password(email, password, "198.51.100.7")
        except HubError as error:
            return error


async def events(db: asyncpg.Pool, prefix: str = "OPERATOR_") -> list[tuple[str, dict[str, str]]]:
    rows = await db.fetch("SELECT kind, detail FROM security_events WHERE kind LIKE $1 ORDER BY id", prefix + "%")
    return [(row["kind"], json.loads(row["detail"])) for row in rows]


async def test_an_admin_adds_lists_and_disables_accounts_and_the_password_is_only_ever_an_argon2id_hash(
    core_address: str, db: asyncpg.Pool
) -> None:
    added = await hubctl(
        core_address, "--as", "lan@hub.vn", "operator", "add", "Minh@Hub.VN", "--role", "analyst", stdin=PASSWORD + "\n"
    )
    assert added.code == 0, added.stderr
    assert added.stdout.strip() == "minh@hub.vn may sign in to the dashboard as analyst"
    stored = await db.fetchval("SELECT password_hash FROM operators WHERE email = 'minh@hub.vn'")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    listed = (await hubctl(core_address, "operator", "list", "--json")).json()
    assert [(a["email"], a["role"], a["disabled"], a["created_by"]) for a in listed] == [
        ("minh@hub.vn", "analyst", False, "lan@hub.vn")
    ]
    again = await hubctl(core_address, "operator", "add", "minh@hub.vn", "--role", "admin", stdin=PASSWORD + "\n")
    assert again.code == 1 and "already has an account" in again.stderr

    disabled = await hubctl(core_address, "--as", "lan@hub.vn", "operator", "disable", "minh@hub.vn")
    assert disabled.code == 0, disabled.stderr
    table = (await hubctl(core_address, "operator", "list")).stdout
    assert "minh@hub.vn" in table and "disabled" in table
    assert await events(db) == [
        ("OPERATOR_ADDED", {"email": "minh@hub.vn", "role": "analyst", "by": "lan@hub.vn"}),
        ("OPERATOR_DISABLED", {"email": "minh@hub.vn", "by": "lan@hub.vn"}),
    ]
    # Nowhere in the audit log, in clear.
    assert not await db.fetchval("SELECT count(*) FROM security_events WHERE detail::text LIKE $1", f"%{PASSWORD}%")


@pytest.mark.parametrize(
    ("args", "stdin", "error"),
    [
        (("--role", "admin"), "short pass\n", "12 characters at least"),
        (("--role", "admin"), "", "12 characters at least"),
        (("--role", "root"), PASSWORD + "\n", "invalid choice"),
    ],
)
async def test_a_short_password_or_an_unknown_role_adds_nothing(
    core_address: str, db: asyncpg.Pool, args: tuple[str, ...], stdin: str, error: str
) -> None:
    refused = await hubctl(core_address, "operator", "add", "lan@hub.vn", *args, stdin=stdin)
    assert refused.code != 0
    assert error in refused.stderr
    assert await db.fetchval("SELECT count(*) FROM operators") == 0


async def test_the_core_refuses_a_short_password_and_a_malformed_email_itself(
    core_address: str, db: asyncpg.Pool
) -> None:
    async with HubClient(core_address) as hub:
        with pytest.raises(HubError) as short:
            await hub.add_operator("lan@hub.vn", pb.OPERATOR_ROLE_ADMIN, "too short")
        with pytest.raises(HubError) as malformed:
            await hub.add_operator("lan at hub", pb.OPERATOR_ROLE_ADMIN, PASSWORD)
    assert [f for f, _ in short.value.field_violations] == ["password"]
    assert [f for f, _ in malformed.value.field_violations] == ["email"]
    assert await db.fetchval("SELECT count(*) FROM operators") == 0


async def test_the_dashboard_signs_a_person_in_with_the_accounts_role_and_nothing_else(
    core_address: str, db: asyncpg.Pool
) -> None:
    assert (await hubctl(core_address, "operator", "add", "an@hub.vn", "--role", "analyst", stdin=PASSWORD)).code == 0
    assert (await hubctl(core_address, "operator", "add", "off@hub.vn", "--role", "admin", stdin=PASSWORD)).code == 0
    assert (await hubctl(core_address, "operator", "disable", "off@hub.vn")).code == 0

    signed_in = await sign_in(core_address, "AN@hub.vn", PASSWORD)
    assert isinstance(signed_in, pb.Operator) and signed_in.role == pb.OPERATOR_ROLE_ANALYST
    for email, password in (("an@hub.vn", PASSWORD + "!"), ("nobody@hub.vn", PASSWORD), ("off@hub.vn", PASSWORD)):
        refused = await sign_in(core_address, email, password)
        assert isinstance(refused, HubError), email
        assert (refused.code, refused.reason, refused.message) == (
            grpc.StatusCode.UNAUTHENTICATED,
            "SIGN_IN_FAILED",
            "wrong e-mail or password",
        )
    assert [(kind, d.get("email"), d.get("why")) for kind, d in await events(db, "OPERATOR_SIGN")] == [
        ("OPERATOR_SIGNED_IN", "an@hub.vn", None),
        ("OPERATOR_SIGN_IN_FAILED", "an@hub.vn", "wrong password"),
        ("OPERATOR_SIGN_IN_FAILED", "nobody@hub.vn", "unknown account"),
        ("OPERATOR_SIGN_IN_FAILED", "off@hub.vn", "disabled"),
    ]
    assert await db.fetchval("SELECT last_sign_in_time IS NOT NULL FROM operators WHERE email = 'an@hub.vn'")
    listed = (await hubctl(core_address, "operator", "list", "--json")).json()
    assert [a["last_sign_in_time"] is not None for a in listed] == [True, False]


async def test_five_failures_lock_the_email_even_for_the_right_password_until_the_lock_ends(
    core_address: str, db: asyncpg.Pool
) -> None:
    assert (await hubctl(core_address, "operator", "add", "op@hub.vn", "--role", "operator", stdin=PASSWORD)).code == 0
    for attempt in range(5):
        refused = await sign_in(core_address, "op@hub.vn", f"guess number {attempt}")
        assert isinstance(refused, HubError) and refused.reason == "SIGN_IN_FAILED", attempt
    locked = await sign_in(core_address, "op@hub.vn", PASSWORD)
    assert isinstance(locked, HubError)
    assert (locked.code, locked.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "SIGN_IN_LOCKED")
    assert "try again after" in locked.message
    kinds = [kind for kind, _ in await events(db)]
    assert kinds[-3:] == ["OPERATOR_SIGN_IN_FAILED", "OPERATOR_LOCKED_OUT", "OPERATOR_SIGN_IN_LOCKED"]

    # Fifteen minutes later (the lock's end, moved back rather than waited for): the right password signs in, and
    # the count starts again from zero.
    await db.execute("UPDATE operator_sign_in_attempts SET locked_until = now() - interval '1 second'")
    assert isinstance(await sign_in(core_address, "op@hub.vn", PASSWORD), pb.Operator)
    assert await db.fetchval("SELECT count(*) FROM operator_sign_in_attempts") == 0


async def test_only_the_dashboard_certificate_may_check_a_password(core_address: str, db: asyncpg.Pool) -> None:
    assert (await hubctl(core_address, "operator", "add", "op@hub.vn", "--role", "operator", stdin=PASSWORD)).code == 0
    for role in ("operator", "analyst", "facade"):
        async with HubClient(core_address, tls=internal_tls.session_client(role), timeout=10.0) as hub:
            with pytest.raises(HubError) as refused:
                await hub.verify_operator_password("op@hub.vn", PASSWORD)
        assert refused.value.code == grpc.StatusCode.PERMISSION_DENIED, role
    # The dashboard's certificate may, whoever it speaks for at the moment: checking a password is its own call.
    async with dashboard(core_address, "op@hub.vn", "operator") as hub:
        assert (await hub.verify_operator_password("op@hub.vn", PASSWORD)).role == pb.OPERATOR_ROLE_OPERATOR


async def test_admin_alone_manages_accounts_through_the_dashboard(core_address: str, db: asyncpg.Pool) -> None:
    for email, role in (("boss@hub.vn", "admin"), ("op@hub.vn", "operator"), ("an@hub.vn", "analyst")):
        assert (await hubctl(core_address, "operator", "add", email, "--role", role, stdin=PASSWORD)).code == 0

    async with dashboard(core_address, "op@hub.vn", "operator") as operator:
        assert len(await operator.list_operators()) == 3
        with pytest.raises(HubError) as add:
            await operator.add_operator("new@hub.vn", pb.OPERATOR_ROLE_ADMIN, PASSWORD)
        with pytest.raises(HubError) as disable:
            await operator.disable_operator("boss@hub.vn")
    for refused in (add.value, disable.value):
        assert (refused.code, refused.reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_ADMIN")
    async with dashboard(core_address, "an@hub.vn", "analyst") as analyst:
        with pytest.raises(HubError) as read:
            await analyst.list_operators()
    assert read.value.code == grpc.StatusCode.PERMISSION_DENIED

    async with dashboard(core_address, "boss@hub.vn", "operator") as admin:
        await admin.add_operator("new@hub.vn", pb.OPERATOR_ROLE_OPERATOR, PASSWORD)
        await admin.disable_operator("op@hub.vn")
    states = {a.email: a.disabled for a in await HubClient(core_address).list_operators()}
    assert states == {"an@hub.vn": False, "boss@hub.vn": False, "new@hub.vn": False, "op@hub.vn": True}
    # A disabled admin is no admin: the dashboard's session of a person disabled meanwhile can do nothing more.
    async with HubClient(core_address) as console:
        await console.disable_operator("boss@hub.vn")
    async with dashboard(core_address, "boss@hub.vn", "operator") as former:
        with pytest.raises(HubError) as gone:
            await former.add_operator("other@hub.vn", pb.OPERATOR_ROLE_ANALYST, PASSWORD)
    assert gone.value.reason == "NOT_ADMIN"
    added_by = dict(await db.fetch("SELECT email, created_by FROM operators"))
    assert added_by["new@hub.vn"] == "boss@hub.vn"
    actions = [
        (d["actor"], d["method"].rsplit("/", 1)[1], d["outcome"])
        for _, d in await events(db, "ADMIN_ACTION")
        if d.get("caller") == "dashboard"
    ]
    assert ("op@hub.vn", "AddOperator", "PERMISSION_DENIED") in actions
    assert ("boss@hub.vn", "AddOperator", "OK") in actions
