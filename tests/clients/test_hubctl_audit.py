"""hubctl audit list against the real core: what an operator sees of auth failures and suspensions."""

from __future__ import annotations

import pytest

from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl

hubctl = test_hubctl.hubctl
pytestmark = pytest.mark.usefixtures("security_log")


async def test_audit_list_shows_auth_failures_and_suspensions_newest_first(hubctl: Hubctl, hub: HubClient) -> None:
    invited = await hub.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="AUD", role=pb.ROLE_CPO, display_name="Audited")
    )
    with pytest.raises(HubError):
        await hub.authenticate_token(["no-such-token"], "192.0.2.10")
    await hub.suspend_party(invited.party.name)

    everything = (await hubctl("audit", "list", "--since", "1h", "--json")).json()["events"]
    assert [(e["log"], e["kind"]) for e in everything][:3] == [
        ("security", "ADMIN_ACTION"),
        ("security", "PARTY_SUSPENDED"),
        ("credentials", "SUSPENDED"),
    ]
    [failure] = (await hubctl("audit", "list", "--kind", "auth_failed", "--json")).json()["events"]
    assert (failure["remote_address"], failure["detail"]["reason"], failure["occurrences"]) == (
        "192.0.2.10",
        "TOKEN_UNKNOWN",
        1,
    )
    text = await hubctl("audit", "list", "--log", "security")
    assert text.code == 0
    assert text.stdout.splitlines()[0].split() == ["TIME", "LOG", "KIND", "PARTY/PLATFORM", "FROM", "COUNT", "DETAIL"]
    assert "VN/AUD/CPO" in text.stdout and "no-such-token" not in text.stdout
    assert (await hubctl("audit", "list", "--since", "yesterday")).code == 2


async def test_an_operator_named_with_as_is_who_the_audit_log_records(hubctl: Hubctl, hub: HubClient) -> None:
    await hub.invite_party(
        rpc.InvitePartyRequest(country_code="VN", party_id="AUD", role=pb.ROLE_CPO, display_name="Audited")
    )
    assert (await hubctl("--as", "lan@hub.vn", "party", "suspend", "VN/AUD")).code == 0
    assert (await hubctl("party", "reinstate", "VN/AUD", env={"HUB_PERSON": "minh@hub.vn"})).code == 0
    actions = (await hubctl("audit", "list", "--kind", "admin_action", "--json")).json()["events"]
    assert [(e["detail"]["actor"], e["detail"]["method"].rsplit("/", 1)[1]) for e in actions][:2] == [
        ("minh@hub.vn", "ReinstateParty"),
        ("lan@hub.vn", "SuspendParty"),
    ]
