"""The security audit log over the real core: auth failures (coalesced), suspensions, rotations, retention, listing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core.audit.service import AuditService
from core.server import CoreServer
from hubclient import HubClient, HubError
from ocpihub.audit.v1 import audit_pb2
from ocpihub.audit.v1 import audit_service_pb2 as audit_rpc
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc

BAD_TOKEN = "not-a-token-the-hub-issued-0001"
pytestmark = pytest.mark.usefixtures("security_log")


async def refused_token(hub: HubClient, token: str, remote_address: str) -> None:
    with pytest.raises(HubError):
        await hub.authenticate_token([token], remote_address)


async def security_events(db: asyncpg.Pool, kind: str) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM security_events WHERE kind = $1 ORDER BY id", kind)


async def test_an_unknown_token_is_an_auth_failure_from_its_address_without_the_token(
    hub: HubClient, db: asyncpg.Pool
) -> None:
    await refused_token(hub, BAD_TOKEN, "198.51.100.1")
    [event] = await security_events(db, "AUTH_FAILED")
    assert event["remote_address"] == "198.51.100.1"
    detail = json.loads(event["detail"])
    assert detail["reason"] == "TOKEN_UNKNOWN"
    assert len(detail["token_sha256_prefix"]) == 8
    stored = json.dumps({k: str(v) for k, v in dict(event).items()})
    assert BAD_TOKEN not in stored


async def test_a_caller_that_names_no_address_is_recorded_under_its_grpc_peer(hub: HubClient, db: asyncpg.Pool) -> None:
    await refused_token(hub, BAD_TOKEN, "")
    [event] = await security_events(db, "AUTH_FAILED")
    assert event["remote_address"] == "127.0.0.1"


async def test_a_flood_of_bad_tokens_is_one_row_that_counts_them(
    hub: HubClient, db: asyncpg.Pool, core: tuple[CoreServer, int]
) -> None:
    for n in range(40):
        await refused_token(hub, f"{BAD_TOKEN}-{n}", "198.51.100.2")
    await refused_token(hub, BAD_TOKEN, "198.51.100.3")
    await core[0].auth_failures.flush()
    events = await security_events(db, "AUTH_FAILED")
    by_address = {e["remote_address"]: e["occurrences"] for e in events}
    # Two rows (unless the minute turned during the flood: then one more for the new minute).
    assert sum(by_address.values()) == 41
    assert len(events) <= 3
    assert by_address["198.51.100.3"] == 1


async def test_suspension_and_reinstatement_are_security_events_and_so_is_the_refused_token(
    hub: HubClient, db: asyncpg.Pool
) -> None:
    invited = await hub.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="SUS", role=pb.ROLE_CPO, display_name="Suspended")
    )
    await hub.suspend_party(invited.party.name)
    await hub.suspend_party(invited.party.name)  # already suspended: no second event
    await refused_token(hub, invited.token_a, "198.51.100.4")
    await hub.reinstate_party(invited.party.name)

    kinds = [
        (r["kind"], r["country_code"], r["party_id"])
        for r in await db.fetch("SELECT * FROM security_events WHERE kind LIKE 'PARTY_%' ORDER BY id")
    ]
    assert kinds == [("PARTY_SUSPENDED", "VN", "SUS"), ("PARTY_REINSTATED", "VN", "SUS")]
    [failure] = await security_events(db, "AUTH_FAILED")
    assert json.loads(failure["detail"])["reason"] == "PARTY_SUSPENDED"
    assert invited.token_a not in failure["detail"]


async def test_rotating_an_invite_is_a_token_rotation(hub: HubClient, db: asyncpg.Pool) -> None:
    invited = await hub.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="ROT", role=pb.ROLE_EMSP, display_name="Rotated")
    )
    await hub.rotate_invite(rpc.RotateInviteRequest(name=invited.party.name))
    [event] = await security_events(db, "TOKEN_ROTATED")
    assert (event["party_id"], json.loads(event["detail"])) == ("ROT", {"token": "TOKEN_A"})


async def test_events_past_retention_are_purged_from_both_logs(db: asyncpg.Pool) -> None:
    old, recent = timedelta(days=400), timedelta(days=10)
    for age in (old, recent):
        await db.execute(
            "INSERT INTO security_events (kind, event_time) VALUES ('AUTH_FAILED', now() - $1::interval)", age
        )
        await db.execute(
            "INSERT INTO credential_events (event, event_time) VALUES ('INVITED', now() - $1::interval)", age
        )

    assert await AuditService(db, timedelta(days=365)).purge() == (1, 1)

    assert await db.fetchval("SELECT count(*) FROM security_events") == 1
    assert await db.fetchval("SELECT count(*) FROM credential_events") == 1
    assert await AuditService(db, timedelta(days=5)).purge() == (1, 1)


async def test_list_audit_events_merges_both_logs_newest_first_with_filters_and_pages(
    hub: HubClient, db: asyncpg.Pool
) -> None:
    invited = await hub.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="LST", role=pb.ROLE_CPO, display_name="Listed")
    )
    await hub.suspend_party(invited.party.name)
    await db.execute("INSERT INTO security_events (kind, event_time) VALUES ('AUTH_FAILED', now() - interval '3 days')")

    # The suspension wrote both rows in one transaction (same time): the security log's comes first. Each admin
    # call is then attributed in an ADMIN_ACTION of its own.
    everything = [e async for e in hub.list_audit_events(audit_rpc.ListAuditEventsRequest(page_size=1))]
    assert [(e.log, e.kind) for e in everything] == [
        (audit_pb2.AUDIT_LOG_SECURITY, "ADMIN_ACTION"),
        (audit_pb2.AUDIT_LOG_SECURITY, "PARTY_SUSPENDED"),
        (audit_pb2.AUDIT_LOG_CREDENTIALS, "SUSPENDED"),
        (audit_pb2.AUDIT_LOG_SECURITY, "ADMIN_ACTION"),
        (audit_pb2.AUDIT_LOG_CREDENTIALS, "INVITED"),
        (audit_pb2.AUDIT_LOG_SECURITY, "AUTH_FAILED"),
    ]
    assert everything[1].party == "parties/VN/LST/CPO"
    assert everything[0].detail["method"].endswith("/SuspendParty")

    since = audit_rpc.ListAuditEventsRequest(kind="auth_failed")
    since.since.FromDatetime(datetime.now(UTC) - timedelta(days=1))
    assert [e async for e in hub.list_audit_events(since)] == []
    security = audit_rpc.ListAuditEventsRequest(log=audit_pb2.AUDIT_LOG_SECURITY)
    assert {e.kind async for e in hub.list_audit_events(security)} == {"PARTY_SUSPENDED", "AUTH_FAILED", "ADMIN_ACTION"}
