"""HubClientInfo pushes (HUB-DIGEST §3.8): whenever a party's connection status changes, the Hub PUTs its
ClientInfo to every other connected platform, through the outbox, in the transaction of the change."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC

import asyncpg

from core.deliveries.model import Relay
from core.deliveries.repository import DeliveryRepository
from core.parties.model import Party, PartyKey, PartyState
from core.routing import policy

MODULE = "hubclientinfo"


def connection_status(party: Party) -> str:
    """OCPI ConnectionStatus. A party that left (credentials DELETE) or was revoked is SUSPENDED: it never comes back
    under that registration, and ClientInfo is never deleted (SUSPENDED is the invalidation)."""
    if party.suspended or party.state in (PartyState.UNREGISTERED, PartyState.REVOKED):
        return "SUSPENDED"
    if party.state is PartyState.INVITED:
        return "PLANNED"
    return "OFFLINE" if party.offline else "CONNECTED"


def client_info_json(party: Party) -> bytes:
    assert party.update_time is not None
    utc = party.update_time.astimezone(UTC)
    return json.dumps(
        {
            "party_id": party.key.party_id,
            "country_code": party.key.country_code,
            "role": str(party.key.role),
            "status": connection_status(party),
            "last_updated": utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z",
        },
        separators=(",", ":"),
    ).encode()


class ClientInfoAnnouncer:
    def __init__(self, hub: PartyKey) -> None:
        # The Hub is the sender: it owns HubClientInfo.
        self._hub = hub

    async def announce(self, conn: asyncpg.Connection, parties: Iterable[Party]) -> int:
        """Queues a PUT of each party's current ClientInfo to every other platform; returns how many were queued.

        Parties go in key order, so concurrent announcements take the per-object locks in the same order.
        """
        queued = 0
        deliveries = DeliveryRepository(conn)
        for party in sorted(parties, key=lambda p: (p.key.country_code, p.key.party_id, str(p.key.role))):
            receivers = await policy.platform_receivers(conn, MODULE, party.platform_id)
            key = party.key
            relay = Relay(
                module=MODULE,
                method="PUT",
                path=f"{key.country_code}/{key.party_id}",
                body=client_info_json(party),
                sender=self._hub,
                correlation_id=str(uuid.uuid4()),
                # One queue per party role: its status changes reach each platform in order.
                object_key=f"{MODULE}/{key.country_code}/{key.party_id}/{key.role}",
            )
            queued += await deliveries.enqueue(relay, receivers)
        return queued
