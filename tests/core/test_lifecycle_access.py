"""Who may end parties, re-encrypt tokens and rotate the Hub's credentials (core/access.py), over real TLS calls."""

from __future__ import annotations

import asyncpg
import pytest

from hubclient import HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from tests.core.test_access import as_role, denied

INVITE = rpc.InvitePartyRequest(country_code="VN", party_id="LCA", role=pb.ROLE_CPO, display_name="Lifecycle CPO")


async def test_only_operators_revoke_unregister_and_reencrypt_while_the_facade_rotates(
    core_address: str, db: asyncpg.Pool
) -> None:
    async with as_role(core_address, "operator") as operator:
        await operator.invite_party(INVITE)
    for role in ("facade", "analyst", "billing"):
        async with as_role(core_address, role) as caller:
            for call in (
                caller.revoke_party("parties/VN/LCA/CPO", "a test"),
                caller.unregister_party("parties/VN/LCA/CPO"),
                caller.reencrypt_tokens(),
            ):
                with pytest.raises(HubError) as refused:
                    await call
                assert denied(refused.value), (role, refused.value)
    async with as_role(core_address, "facade") as facade:
        assert await facade.claim_token_rotations(10) == []  # granted (nothing is due)
    async with as_role(core_address, "analyst") as analyst:
        with pytest.raises(HubError) as refused:
            await analyst.claim_token_rotations(10)
        assert denied(refused.value)
    async with as_role(core_address, "operator") as operator:
        revoked = await operator.revoke_party("parties/VN/LCA/CPO", "a test")
    assert revoked.party.state == pb.PARTY_STATE_REVOKED
