"""hubctl party revoke / unregister, keys reencrypt and a failing rotation in party show, run as a real subprocess
against the real core, as an operator would."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import asyncpg
import pytest
from cryptography.fernet import Fernet, InvalidToken

from core.server import CoreServer, create_server
from core.settings import Settings
from hubclient import HubClient
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from ocpihub.qr.v1 import qr_service_pb2 as qr_rpc
from ocpihub.types.v1 import types_pb2
from tests.clients.test_hubctl import Hubctl, hubctl, invite, refusal
from tests.conftest import TOKEN_KEY

__all__ = ["hubctl"]  # the fixture, shared with test_hubctl


async def register(hub: HubClient, name: str) -> str:
    """Invites a CPO and registers its platform (as the facade would after the handshake); returns TOKEN_C."""
    token_a = await invite(hub, name)
    country_code, party_id = name.split("/")
    url = "https://cpo.example.com/ocpi/2.2.1/credentials"
    response = await hub.register_platform(
        rpc.RegisterPlatformRequest(
            token_a=token_a,
            token_b="token-b-of-abc",
            platform=pb.Platform(
                versions_url="https://cpo.example.com/ocpi/versions",
                version="2.2.1",
                endpoints=[pb.Endpoint(identifier="credentials", role=pb.INTERFACE_ROLE_SENDER, url=url)],
                roles=[
                    pb.CredentialsRole(
                        role=pb.ROLE_CPO,
                        country_code=country_code,
                        party_id=party_id,
                        business_details=pb.BusinessDetails(name="ABC Charging"),
                    )
                ],
                encode_auth_token=True,
            ),
        )
    )
    return response.token_c


async def test_revoke_needs_a_reason_ends_every_role_for_good_and_records_who_and_why(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    token_c = await register(hub, "VN/ABC")
    token_a = await invite(hub, "VN/ABC", pb.ROLE_EMSP)

    no_reason = await hubctl("party", "revoke", "VN/ABC")
    assert no_reason.code == 2
    revoked = await hubctl("--as", "lan@hub.vn", "party", "revoke", "vn/abc", "--reason", "unpaid invoices since May")
    assert revoked.code == 0, revoked.stderr
    assert revoked.stdout.splitlines() == ["VN/ABC CPO: revoked", "VN/ABC EMSP: revoked"]
    assert await refusal(hub, token_c) == "TOKEN_REVOKED"
    assert await refusal(hub, token_a) == "TOKEN_REVOKED"

    listed = (await hubctl("party", "list", "--state", "revoked", "--json")).json()
    assert [p["name"] for p in listed] == ["parties/VN/ABC/CPO", "parties/VN/ABC/EMSP"]
    events = await db.fetch("SELECT role, detail FROM security_events WHERE kind = 'PARTY_REVOKED' ORDER BY role")
    assert [(e["role"], json.loads(e["detail"])["reason"], json.loads(e["detail"])["by"]) for e in events] == [
        ("CPO", "unpaid invoices since May", "lan@hub.vn"),
        ("EMSP", "unpaid invoices since May", "lan@hub.vn"),
    ]
    again = await hubctl("party", "reinstate", "VN/ABC", "--role", "CPO")
    assert again.code == 1
    assert "revoked for good" in again.stderr


async def test_unregister_ends_the_registration_and_rotate_invite_lets_the_party_back(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    token_c = await register(hub, "VN/ABC")

    unregistered = await hubctl("party", "unregister", "VN/ABC")
    assert unregistered.code == 0, unregistered.stderr
    assert unregistered.stdout.splitlines() == [
        "VN/ABC CPO: unregistered",
        "to let it register again: hubctl party rotate-invite VN/ABC",
    ]
    assert await refusal(hub, token_c) == "TOKEN_REVOKED"
    again = await hubctl("party", "rotate-invite", "VN/ABC", "--json")
    assert (await hub.authenticate_token([again.json()["token_a"]])).kind == rpc.TOKEN_KIND_REGISTRATION


async def test_show_tells_operators_when_the_hubs_rotation_of_its_credentials_fails(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    await register(hub, "VN/ABC")
    # As ReportTokenRotation leaves it after the party answered 405 twice.
    await db.execute(
        "UPDATE platforms SET rotation_attempts = 2, next_rotation_time = '2026-12-05T10:00:00Z',"
        " rotation_error = 'PUT https://cpo.example.com/ocpi/2.2.1/credentials answered HTTP 405'"
    )

    [shown] = (await hubctl("party", "show", "VN/ABC", "--json")).json()
    text = await hubctl("party", "show", "VN/ABC")

    assert shown["platform"]["credentials_issue_time"]
    assert shown["platform"]["rotation"] == {
        "failed_attempts": 2,
        "error": "PUT https://cpo.example.com/ocpi/2.2.1/credentials answered HTTP 405",
        "next_attempt_time": "2026-12-05T10:00:00Z",
    }
    assert "ROTATION FAILING:   2 attempts, next 2026-12-05T10:00:00Z: PUT https://cpo" in text.stdout


@pytest.fixture
async def core_with_new_key(
    core: tuple[CoreServer, int], core_settings: Settings, db: asyncpg.Pool
) -> AsyncIterator[tuple[str, str]]:
    """A second core on the same database whose HUB_TOKEN_KEYS put a new key before the session's: (address, key)."""
    new_key = Fernet.generate_key().decode()
    settings = dataclasses.replace(core_settings, grpc_port=0, token_keys=(new_key, TOKEN_KEY))
    server, port = await create_server(settings, clock=core[0].clock)
    await server.start()
    try:
        yield f"127.0.0.1:{port}", new_key
    finally:
        await server.stop(grace=0.5)


async def test_keys_reencrypt_puts_every_stored_party_token_under_the_newest_key(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool, core_with_new_key: tuple[str, str]
) -> None:
    await register(hub, "VN/ABC")
    await hub.set_qr_mapping_api(
        qr_rpc.SetQrMappingApiRequest(
            cpo=types_pb2.PartyRef(country_code="VN", party_id="ABC"),
            url="https://qr.example.com/api/v1/qr-resolve",
            api_key="qr-api-key-of-abc",
            code_prefix="ABC-",
        )
    )
    address, new_key = core_with_new_key

    done = await hubctl("keys", "reencrypt", "--json", core=address)

    assert done.json() == {"platforms": 1, "qr_api_keys": 1}
    token_b = await db.fetchval("SELECT token_b_encrypted FROM platforms")
    api_key = await db.fetchval("SELECT api_key_encrypted FROM qr_sources")
    assert Fernet(new_key.encode()).decrypt(token_b) == b"token-b-of-abc"
    assert Fernet(new_key.encode()).decrypt(api_key) == b"qr-api-key-of-abc"
    for ciphertext in (token_b, api_key):  # the old key may now leave HUB_TOKEN_KEYS
        with pytest.raises(InvalidToken):
            Fernet(TOKEN_KEY.encode()).decrypt(ciphertext)
