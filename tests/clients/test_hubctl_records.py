"""hubctl sessions|cdrs|tokens list and tokens show, run as a real subprocess against the real core (support work)."""

from __future__ import annotations

import asyncpg
import pytest

from hubclient import HubClient
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.sessions.v1 import sessions_service_pb2 as sessions_rpc
from ocpihub.tokens.v1 import tokens_pb2
from ocpihub.tokens.v1 import tokens_service_pb2 as tokens_rpc
from ocpihub.types.v1 import types_pb2
from tests.clients.test_hubctl import Hubctl, hubctl
from tests.clients.test_hubctl_network import register
from tests.core.test_billing_service import month, stamp

__all__ = ["hubctl", "month"]  # the fixtures


async def push_session(
    hub: HubClient, platform: str, session_id: str, location: str, status: sessions_pb2.SessionStatus.ValueType
) -> None:
    session = sessions_pb2.Session(
        country_code="VN",
        party_id="CPS",
        id=session_id,
        start_date_time=stamp("2026-11-01T08:00:00Z"),
        kwh="5",
        cdr_token=sessions_pb2.CdrToken(country_code="VN", party_id="EMS", uid="U1", contract_id="C1"),
        auth_method=sessions_pb2.AUTH_METHOD_WHITELIST,
        location_id=location,
        evse_uid="E1",
        connector_id="1",
        currency="VND",
        status=status,
        last_updated=stamp("2026-11-01T09:00:00Z"),
    )
    if status == sessions_pb2.SESSION_STATUS_COMPLETED:
        session.end_date_time.CopyFrom(stamp("2026-11-01T09:00:00Z"))
    relay = deliveries_pb2.Message(module="sessions", method="PUT", path=session_id, body=b"{}")
    await hub.update_session(
        sessions_rpc.UpdateSessionRequest(session=session, allow_missing=True, caller_platform=platform, relay=relay)
    )


async def test_sessions_list_filters_by_party_location_status_and_period(hubctl: Hubctl, hub: HubClient) -> None:
    cps = await register(hub, "CPS", pb.ROLE_CPO)
    await register(hub, "EMS", pb.ROLE_EMSP, "sessions")
    await push_session(hub, cps, "S1", "LOC1", sessions_pb2.SESSION_STATUS_ACTIVE)
    await push_session(hub, cps, "S2", "LOC2", sessions_pb2.SESSION_STATUS_COMPLETED)

    listed = (await hubctl("sessions", "list", "--party", "VN/CPS", "--json")).json()
    assert sorted(s["id"] for s in listed) == ["S1", "S2"]
    active = (await hubctl("sessions", "list", "--status", "active", "--json")).json()
    assert [s["id"] for s in active] == ["S1"]
    at_loc2 = (await hubctl("sessions", "list", "--location", "loc2", "--emsp", "VN/EMS", "--json")).json()
    assert [s["id"] for s in at_loc2] == ["S2"]
    later = (await hubctl("sessions", "list", "--from", "2026-11-02", "--json")).json()
    assert later == []
    table = await hubctl("sessions", "list", "--party", "VN/CPS")
    assert table.code == 0, table.stderr
    assert "VN/CPS/S1" in table.stdout and "ACTIVE" in table.stdout and "2 session(s)" in table.stdout


@pytest.mark.usefixtures("month")
async def test_cdrs_list_filters_by_party_location_and_verification(hubctl: Hubctl) -> None:
    cp1 = (await hubctl("cdrs", "list", "--party", "VN/CP1", "--json")).json()
    assert len(cp1) == 2 and {c["party_id"] for c in cp1} == {"CP1"}
    matched = (await hubctl("cdrs", "list", "--status", "match", "--location", "LOC1", "--json")).json()
    assert len(matched) == 4
    assert (await hubctl("cdrs", "list", "--status", "mismatch", "--json")).json() == []
    assert (await hubctl("cdrs", "list", "--location", "NOWHERE", "--json")).json() == []
    assert (await hubctl("cdrs", "list", "--emsp", "VN/EM2", "--to", "2026-10-01", "--json")).json() == []
    table = await hubctl("cdrs", "list", "--party", "VN/CP1")
    assert table.code == 0, table.stderr
    assert "2 CDR(s)" in table.stdout and "VND" in table.stdout


async def test_tokens_list_and_show(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    emt = await register(hub, "EMT", pb.ROLE_EMSP)
    for uid, valid in (("04A1", True), ("04B2", False)):
        token = tokens_pb2.Token(
            country_code="VN",
            party_id="EMT",
            uid=uid,
            type=types_pb2.TOKEN_TYPE_RFID,
            contract_id=f"VN-EMT-C{uid}",
            issuer="EMT Co",
            valid=valid,
            whitelist=tokens_pb2.WHITELIST_TYPE_ALWAYS,
            last_updated=stamp("2026-11-01T08:00:00Z"),
        )
        relay = deliveries_pb2.Message(module="tokens", method="PUT", path=uid, body=b"{}")
        await hub.update_token(
            tokens_rpc.UpdateTokenRequest(token=token, allow_missing=True, caller_platform=emt, relay=relay)
        )
    every = (await hubctl("tokens", "list", "--party", "VN/EMT", "--json")).json()
    assert sorted(t["uid"] for t in every) == ["04A1", "04B2"]
    invalid = (await hubctl("tokens", "list", "--status", "invalid", "--json")).json()
    assert [t["uid"] for t in invalid] == ["04B2"]
    shown = (await hubctl("tokens", "show", "VN/EMT/04A1", "--json")).json()
    assert (shown["contract_id"], shown["valid"]) == ("VN-EMT-C04A1", True)
    text = await hubctl("tokens", "show", "vn/emt/04A1", "--type", "rfid")
    assert text.code == 0, text.stderr
    assert "VN-EMT-C04A1" in text.stdout and "ALWAYS" in text.stdout
    missing = await hubctl("tokens", "show", "VN/EMT/NOPE")
    assert missing.code == 1
