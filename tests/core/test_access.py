"""The core's port is closed: mutual TLS, a role per caller from its certificate, attribution of admin calls."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import asyncpg
import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc

from core import pki
from core.server import CoreServer, create_server
from core.settings import Settings
from hubclient import ClientTls, HubClient, HubError, HubUnavailable
from ocpihub.analytics.v1 import analytics_service_pb2 as analytics_rpc
from ocpihub.billing.v1 import billing_service_pb2 as billing_rpc
from ocpihub.commands.v1 import commands_pb2
from ocpihub.commands.v1 import commands_service_pb2 as commands_rpc
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from ocpihub.parties.v1 import parties_service_pb2_grpc as rpc_grpc
from simulators import loopback
from tests import internal_tls

USAGE = analytics_rpc.GetUsageRequest(
    **{"from": Timestamp(seconds=1_790_000_000), "to": Timestamp(seconds=1_792_000_000)}
)
INVITE = rpc.InvitePartyRequest(country_code="VN", party_id="ACL", role=pb.ROLE_CPO, display_name="Access CPO")


def as_role(core_address: str, role: str, **options: str) -> HubClient:
    return HubClient(core_address, tls=internal_tls.session_client(role), timeout=5.0, **options)


def denied(error: HubError) -> bool:
    return error.code == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("call", ["ListParties", "InviteParty"])
async def test_a_plain_text_call_is_refused(core_address: str, db: asyncpg.Pool, call: str) -> None:
    async with grpc.aio.insecure_channel(core_address) as channel:
        stub = rpc_grpc.PartiesServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            if call == "ListParties":
                await stub.ListParties(rpc.ListPartiesRequest(), timeout=5)
            else:
                await stub.InviteParty(INVITE, timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert await db.fetchval("SELECT count(*) FROM parties") == 0


@pytest.mark.parametrize("call", ["ListParties", "InviteParty"])
async def test_a_call_without_a_client_certificate_cannot_connect(
    core_address: str, db: asyncpg.Pool, pki_dir: Path, call: str
) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=(pki_dir / "ca.crt").read_bytes())
    async with grpc.aio.secure_channel(core_address, credentials) as channel:
        stub = rpc_grpc.PartiesServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            if call == "ListParties":
                await stub.ListParties(rpc.ListPartiesRequest(), timeout=5)
            else:
                await stub.InviteParty(INVITE, timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert await db.fetchval("SELECT count(*) FROM parties") == 0


async def test_a_certificate_from_another_ca_cannot_connect(
    core_address: str, db: asyncpg.Pool, tmp_path: Path, pki_dir: Path
) -> None:
    pki.init(tmp_path)  # another CA with an "operator" of its own
    forged = dataclasses.replace(ClientTls.from_pki(tmp_path, "operator"), ca=(pki_dir / "ca.crt").read_bytes())
    async with HubClient(core_address, tls=forged, timeout=5.0) as hub:
        with pytest.raises(HubUnavailable):
            await hub.invite_party(INVITE)
    assert await db.fetchval("SELECT count(*) FROM parties") == 0


async def test_the_facade_makes_ocpi_calls_but_cannot_invite(core_address: str, db: asyncpg.Pool) -> None:
    async with as_role(core_address, "facade") as facade:
        assert [p async for p in facade.list_parties(rpc.ListPartiesRequest())] == []
        with pytest.raises(HubError) as refused:
            await facade.invite_party(INVITE)
    assert denied(refused.value), refused.value
    assert "may not call /ocpihub.parties.v1.PartiesService/InviteParty" in refused.value.message
    assert await db.fetchval("SELECT count(*) FROM parties") == 0


async def test_an_analyst_reads_analytics_and_billing_but_cannot_close_a_period(
    core_address: str, db: asyncpg.Pool
) -> None:
    async with as_role(core_address, "analyst") as analyst:
        await analyst.get_usage(USAGE)
        await analyst.get_statement(billing_rpc.GetStatementRequest(period="2026-11"))
        with pytest.raises(HubError) as refused:
            await analyst.close_settlement_period("2026-11")
    assert denied(refused.value)
    with pytest.raises(HubError) as refused_admin:
        async with as_role(core_address, "analyst") as analyst:
            await analyst.invite_party(INVITE)
    assert denied(refused_admin.value)


async def test_billing_closes_a_period_but_cannot_touch_parties(core_address: str, db: asyncpg.Pool) -> None:
    async with as_role(core_address, "billing") as billing:
        await billing.close_settlement_period("2026-10")
        with pytest.raises(HubError) as refused:
            await billing.suspend_party("parties/VN/ACL/CPO")
    assert denied(refused.value)


async def test_an_operator_invites_and_the_audit_log_names_the_person(core_address: str, db: asyncpg.Pool) -> None:
    async with as_role(core_address, "operator", person="lan@hub.vn") as operator:
        await operator.invite_party(INVITE)
    async with as_role(core_address, "operator") as unnamed:
        await unnamed.rotate_invite(rpc.RotateInviteRequest(name="parties/VN/ACL/CPO"))
        [p async for p in unnamed.list_parties(rpc.ListPartiesRequest())]  # a read is not an admin action
    rows = await db.fetch("SELECT detail FROM security_events WHERE kind = 'ADMIN_ACTION' ORDER BY id")
    details = [json.loads(row["detail"]) for row in rows]
    assert [(d["actor"], d["method"], d["outcome"]) for d in details] == [
        ("lan@hub.vn", "/ocpihub.parties.v1.PartiesService/InviteParty", "OK"),
        ("operator", "/ocpihub.parties.v1.PartiesService/RotateInvite", "OK"),
    ]
    assert details[0]["caller"] == "operator" and details[0]["role"] == "operator"


async def test_a_refused_admin_call_is_recorded_with_its_outcome(core_address: str, db: asyncpg.Pool) -> None:
    async with as_role(core_address, "operator", person="lan@hub.vn") as operator:
        with pytest.raises(HubError):
            await operator.suspend_party("parties/VN/NOP/CPO")
    detail = await db.fetchval("SELECT detail FROM security_events WHERE kind = 'ADMIN_ACTION'")
    assert '"outcome": "NOT_FOUND"' in detail or '"outcome": "INVALID_ARGUMENT"' in detail


async def test_only_operators_and_the_dashboard_may_speak_for_a_person(core_address: str, db: asyncpg.Pool) -> None:
    for role in ("facade", "analyst", "billing"):
        async with as_role(core_address, role, person="mallory@example.com") as caller:
            with pytest.raises(HubError) as refused:
                await caller.list_parties(rpc.ListPartiesRequest()).__anext__()
        assert denied(refused.value), role
        assert "may not speak for a person" in refused.value.message


async def test_the_dashboard_acts_with_the_signed_in_persons_role(core_address: str, db: asyncpg.Pool) -> None:
    async with as_role(core_address, "dashboard") as anonymous:
        with pytest.raises(HubError) as refused:
            await anonymous.get_usage(USAGE)
    assert denied(refused.value)
    async with as_role(core_address, "dashboard", person="an@hub.vn", acting_role="analyst") as analyst:
        await analyst.get_usage(USAGE)
        with pytest.raises(HubError) as refused:
            await analyst.invite_party(INVITE)
    assert denied(refused.value)
    async with as_role(core_address, "dashboard", person="op@hub.vn", acting_role="operator") as operator:
        await operator.invite_party(INVITE)
    rows = await db.fetch("SELECT detail FROM security_events WHERE kind = 'ADMIN_ACTION' ORDER BY id")
    actions = [(d["actor"], d["caller"], d["role"], d["outcome"]) for d in (json.loads(r["detail"]) for r in rows)]
    assert actions == [
        ("an@hub.vn", "dashboard", "analyst", "PERMISSION_DENIED"),
        ("op@hub.vn", "dashboard", "operator", "OK"),
    ]


async def test_probes_read_health_in_plain_text_on_the_health_port_and_nothing_else(core_settings: Settings) -> None:
    health_port = loopback.free_port()
    core, _ = await create_server(dataclasses.replace(core_settings, grpc_port=0, grpc_health_port=health_port))
    await core.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{health_port}") as channel:
            check = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""))
            assert check.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await rpc_grpc.PartiesServiceStub(channel).ListParties(rpc.ListPartiesRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await core.stop(grace=0.5)


def test_a_production_core_refuses_to_start_without_tls() -> None:
    environ = {"HUB_DATABASE_URL": "postgresql://x/y", "HUB_ENV": "production", "HUB_TOKEN_KEYS": "k"}
    with pytest.raises(SystemExit, match="mutual TLS"):
        Settings.from_env(environ)
    with pytest.raises(SystemExit, match="go together"):
        Settings.from_env(environ | {"HUB_GRPC_TLS_CERT_FILE": "core.crt"})


async def test_a_sandbox_core_without_tls_serves_plain_text(
    core: tuple[CoreServer, int], core_settings: Settings
) -> None:
    plain = dataclasses.replace(core_settings, grpc_port=0, grpc_tls_cert_file="", grpc_tls_key_file="")
    server, port = await create_server(plain)
    await server.start()
    try:
        async with HubClient(f"127.0.0.1:{port}", tls=None) as hub:
            assert await hub.health()
    finally:
        await server.stop(grace=0.5)


async def test_analysts_read_utilisation_and_only_operators_issue_commands(core_address: str, db: asyncpg.Pool) -> None:
    request = analytics_rpc.GetUtilisationRequest(to=USAGE.to)
    getattr(request, "from").CopyFrom(getattr(USAGE, "from"))
    async with as_role(core_address, "analyst") as analyst:
        assert (await analyst.get_utilisation(request)).total.utilisation == ""  # no EVSE has reported yet
    issue = commands_rpc.IssueCommandRequest(
        type=commands_pb2.COMMAND_TYPE_UNLOCK_CONNECTOR, location_id="LOC1", evse_uid="E1", connector_id="1"
    )
    for role in ("analyst", "facade"):
        with pytest.raises(HubError) as refused:
            async with as_role(core_address, role) as caller:
                await caller.issue_command(issue)
        assert denied(refused.value), (role, refused.value)
    async with as_role(core_address, "facade") as facade:
        assert list((await facade.claim_issued_commands(4)).commands) == []
    assert await db.fetchval("SELECT count(*) FROM commands") == 0
