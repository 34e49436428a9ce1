"""TOKEN_A for a simulator the operator runs: invited through the core with the operator's certificate (.hub/pki of
the checkout, as hubctl finds it). A party left registered by an earlier run is unregistered and invited again:
simulators keep no state between runs, so their old credentials are gone anyway."""

from __future__ import annotations

import asyncio

import httpx

from hubclient import HubClient, HubError
from hubctl.cli import client_tls
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc


async def invite(core_address: str, country_code: str, party_id: str, role: str, name: str) -> str:
    role_value = pb.Role.Value(f"ROLE_{role}")
    async with HubClient(core_address, tls=client_tls()) as hub:
        try:
            response = await hub.invite_party(
                rpc.InvitePartyRequest(
                    country_code=country_code,
                    party_id=party_id,
                    role=role_value,
                    display_name=name,
                    environment=pb.ENVIRONMENT_SANDBOX,
                )
            )
            return response.token_a
        except HubError as exc:
            if exc.code.name != "ALREADY_EXISTS":
                raise
        request = rpc.ListPartiesRequest(country_code=country_code, role=role_value)
        [party] = [p async for p in hub.list_parties(request) if p.party_id == party_id]
        if party.state not in (pb.PARTY_STATE_INVITED, pb.PARTY_STATE_UNREGISTERED):
            await hub.unregister_party(party.name)
        rotated = await hub.rotate_invite(rpc.RotateInviteRequest(name=party.name))
        return rotated.token_a


async def wait_for_hub(http: httpx.AsyncClient, public_url: str, within: float = 30.0) -> None:
    """Until the Hub's OCPI port answers (it may still be starting next to us, as under `make run`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            await http.get(f"{public_url}/health")
            return
        except httpx.TransportError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)
