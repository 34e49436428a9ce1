"""Requests a sender addressed to one party (OCPI-to-*, HUB-DIGEST §1.9). The Hub keeps what they carry by the same
rules as what is sent to the Hub, shows it to the addressee alone, and gives the one delivery to the facade that
forwards the request at once: leased to it, so the outbox takes over whatever that forward could not deliver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from core.deliveries.model import Relay
from core.deliveries.repository import DeliveryRepository
from core.routing import policy
from core.routing.policy import Receiver
from ocpihub.deliveries.v1 import deliveries_pb2

# Used when the caller names no lease: longer than the facade's wait for the party (HUB_PEER_TIMEOUT_SECONDS).
DEFAULT_FORWARD_LEASE = timedelta(seconds=60)


def addressee(message: deliveries_pb2.Message) -> str | None:
    """The one party ("CC/PID") the request is addressed to, or None for a request to the Hub."""
    if not (message.to.country_code and message.to.party_id):
        return None
    return f"{message.to.country_code.upper()}/{message.to.party_id.upper()}"


@dataclass(frozen=True, slots=True)
class Queued:
    count: int
    # The delivery leased to the caller, which forwards it now ("" when the request was not addressed).
    forward_delivery: str = ""


async def enqueue(
    conn: asyncpg.Connection,
    message: deliveries_pb2.Message,
    relay: Relay,
    receivers: Callable[[], Awaitable[list[Receiver]]],
) -> Queued:
    """Queues `relay`: to its addressee alone (4001 unknown, 4003 not connected: the caller's transaction, and so
    the write, is undone), or to the `receivers` of a request to the Hub."""
    repo = DeliveryRepository(conn)
    if addressee(message) is None:
        return Queued(await repo.enqueue(relay, await receivers()))
    route = await policy.resolve(conn, relay.module, "RECEIVER", message.to.country_code, message.to.party_id)
    delivery_id = await repo.enqueue_leased(relay, route.receiver, forward_lease(message))
    return Queued(1, f"deliveries/{delivery_id}")


def forward_lease(message: deliveries_pb2.Message) -> timedelta:
    return message.forward_lease.ToTimedelta() if message.HasField("forward_lease") else DEFAULT_FORWARD_LEASE
