"""The outbox: a message for one receiver, and the retry schedule."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.parties.model import PartyKey
from ocpihub.deliveries.v1 import deliveries_pb2

# Waits before attempts 2..5 (attempt 1 goes at once): 0, 1, 2, 4, 8 s (R10.4).
RETRY_DELAYS = (timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=4), timedelta(seconds=8))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# After those, a receiver that is still failing is tried less and less often, at most this far apart, until the
# delivery is older than the Hub's patience (then it is dead): a party down for an hour gets its messages, in order.
SLOW_RETRY_CAP = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Relay:
    """An OCPI request to deliver, as the sender made it."""

    module: str
    method: str
    path: str
    body: bytes
    sender: PartyKey
    correlation_id: str
    object_key: str
    # Set: an absolute URL the sender gave (a command's response_url), sent to as is.
    url: str = ""
    # The sender addressed it to its receiver alone (OCPI-to-*): it goes out as the sender's, not as a broadcast.
    addressed: bool = False


@dataclass(slots=True)
class Delivery:
    id: int
    relay: Relay
    receiver_platform_id: uuid.UUID
    receiver: PartyKey
    state: str
    attempts: int
    last_error: str
    next_attempt_time: datetime
    create_time: datetime
    update_time: datetime
    # Filled when leased: where and how to send it.
    endpoint_url: str = ""
    token_b_encrypted: bytes = b""
    encode_auth_token: bool = True

    @property
    def name(self) -> str:
        return f"deliveries/{self.id}"


def retry_delay(attempts: int, age: timedelta, patience: timedelta) -> timedelta | None:
    """The wait after `attempts` failed attempts of a delivery this old, or None when it is time to give up."""
    if attempts < MAX_ATTEMPTS:
        return RETRY_DELAYS[attempts - 1]
    if age >= patience:
        return None
    return min(timedelta(seconds=2 ** (attempts - 1)), SLOW_RETRY_CAP)


def relay_from_pb(message: deliveries_pb2.Message, sender: PartyKey, object_key: str) -> Relay:
    """The core names the sender and the ordering key itself; the rest is the request as the facade got it."""
    return Relay(
        module=message.module,
        method=message.method,
        path=message.path,
        body=message.body,
        sender=sender,
        correlation_id=message.correlation_id,
        object_key=object_key,
        url=message.url,
        addressed=bool(message.to.country_code and message.to.party_id),
    )
