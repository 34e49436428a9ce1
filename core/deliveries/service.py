"""Outbox use cases: lease (long-poll), complete (retry schedule, dead letters), list and re-drive."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import asyncpg

from core import db
from core.clock import Clock
from core.deliveries.model import Delivery, retry_delay
from core.deliveries.repository import CHANNEL, DeliveryRepository, Outcome, delivery_event
from core.errors import FailedPrecondition, NotFound
from core.events.model import Kind
from core.events.repository import EventRepository
from core.metrics import DELIVERY_DEAD_LETTERS, DELIVERY_RETRIES
from core.parties.model import PartyState
from core.parties.repository import PartyRepository
from core.pg_listener import PgListener
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason

log = logging.getLogger(__name__)

PENDING, DELIVERED, DEAD = "PENDING", "DELIVERED", "DEAD"
_MAX_PAGE_SIZE = 500
GATHER_SECONDS = 0.005
_SUPERSEDING = {PENDING: "pending for", DELIVERED: "delivered to"}


class DeliveriesService:
    def __init__(self, pool: asyncpg.Pool, database_url: str, patience: timedelta, clock: Clock) -> None:
        self._pool = pool
        # Retry times and a delivery's age are the core's clock (tests move it past hours of slow retries).
        self._clock = clock
        # How long a delivery keeps being retried (slowly, after its 5 quick attempts) before it is dead.
        self._patience = patience
        self._listener = PgListener(database_url, CHANNEL, self._notified, on_restored=self._notified)
        # Replaced on every notification: whoever waited on the old one wakes up.
        self._wakeup = asyncio.Event()

    async def start(self) -> None:
        """Listens for new deliveries so waiting leases answer at once instead of polling."""
        await self._listener.start()

    async def close(self) -> None:
        await self._listener.close()
        self._notified()

    def _notified(self, *_: object) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def lease(self, limit: int, wait: timedelta, lease: timedelta) -> list[Delivery]:
        deadline = asyncio.get_running_loop().time() + wait.total_seconds()
        while True:
            wakeup = self._wakeup
            async with db.transaction(self._pool) as conn:
                repo = DeliveryRepository(conn)
                deliveries = await self._sendable(repo, await repo.lease(limit, lease, self._clock.now()))
                next_due = None if deliveries else await repo.time_to_next_due(self._clock.now())
            remaining = deadline - asyncio.get_running_loop().time()
            if deliveries or remaining <= 0:
                return deliveries
            if next_due is not None:
                remaining = min(remaining, max(0.01, next_due.total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), remaining)
                # Woken by new work: a moment's wait lets a burst go out in one lease rather than one lease each
                # (at 200 pushes/s, leasing them one by one cost more CPU than the pushes themselves).
                await asyncio.sleep(GATHER_SECONDS)

    @staticmethod
    async def _sendable(repo: DeliveryRepository, deliveries: list[Delivery]) -> list[Delivery]:
        """Dead-letters what can no longer go anywhere (receiver unregistered, or dropped the endpoint)."""
        sendable = []
        for delivery in deliveries:
            if delivery.endpoint_url and delivery.token_b_encrypted:
                sendable.append(delivery)
                continue
            reason = (
                "the receiver is no longer registered"
                if not delivery.token_b_encrypted
                else (f"the receiver has no {delivery.relay.module} RECEIVER endpoint any more")
            )
            await repo.finish(delivery, DEAD, reason, None)
            DELIVERY_DEAD_LETTERS.inc()
        return sendable

    async def complete(self, delivery_id: int, outcome: str, detail: str, retry_after: timedelta | None) -> Delivery:
        async with self._pool.acquire() as conn, conn.transaction():
            repo = DeliveryRepository(conn)
            delivery = await self._get(repo, delivery_id, for_update=True)
            if delivery.state != PENDING:
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_WRONG_STATE, f"{delivery.name} is {delivery.state.lower()}, not pending"
                )
            await repo.finish_many([self._decide(delivery, outcome, detail, retry_after)])
            return await self._get(repo, delivery_id)

    async def complete_many(self, outcomes: list[tuple[int, str, str, timedelta | None]]) -> int:
        """Records many outcomes in one transaction; skips deliveries that are no longer pending."""
        async with db.transaction(self._pool) as conn:
            repo = DeliveryRepository(conn)
            deliveries = await repo.get_many([delivery_id for delivery_id, *_ in outcomes], for_update=True)
            decided = [
                self._decide(delivery, outcome, detail, retry_after)
                for delivery_id, outcome, detail, retry_after in outcomes
                if (delivery := deliveries.get(delivery_id)) is not None and delivery.state == PENDING
            ]
            await repo.finish_many(decided)
            return len(decided)

    def _decide(self, delivery: Delivery, outcome: str, detail: str, retry_after: timedelta | None) -> Outcome:
        if outcome == DELIVERED:
            return Outcome(delivery, DELIVERED, detail, None)
        now = self._clock.now()
        age = now - delivery.create_time
        delay = retry_delay(delivery.attempts, age, self._patience) if outcome == "RETRY" else None
        if delay is None:
            log.warning(
                "%s to %s is dead after %d attempts: %s", delivery.name, delivery.receiver, delivery.attempts, detail
            )
            DELIVERY_DEAD_LETTERS.inc()
            return Outcome(delivery, DEAD, detail, None)
        DELIVERY_RETRIES.inc()
        return Outcome(delivery, PENDING, detail, now + max(delay, retry_after or timedelta(0)))

    async def list(
        self, page_size: int, after_id: int, state: str, receiver: tuple[str, str] | None
    ) -> tuple[list[Delivery], int | None]:
        limit = min(page_size or 100, _MAX_PAGE_SIZE)
        async with self._pool.acquire() as conn:
            deliveries = await DeliveryRepository(conn).list(
                after_id=after_id, limit=limit + 1, state=state, receiver=receiver
            )
        if len(deliveries) <= limit:
            return deliveries, None
        return deliveries[:limit], deliveries[limit - 1].id

    async def retry(self, delivery_id: int) -> Delivery:
        async with self._pool.acquire() as conn, conn.transaction():
            repo = DeliveryRepository(conn)
            delivery = await self._get(repo, delivery_id, for_update=True)
            if delivery.state != DEAD:
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_WRONG_STATE,
                    f"{delivery.name} is {delivery.state.lower()}; only dead deliveries are re-driven",
                )
            receiver = await PartyRepository(conn).get_party(delivery.receiver)
            if receiver is None or receiver.state is not PartyState.REGISTERED:
                state = receiver.state.lower() if receiver else "unknown"
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_WRONG_STATE,
                    f"{delivery.name} cannot be re-driven: its receiver {delivery.receiver} is {state}",
                )
            # Sent now, an old message would take the receiver back to older state than it has (or is about to get):
            # it would land after what came since. Re-driving dead letters oldest first keeps their order.
            await repo.lock_objects([delivery.relay.object_key])
            if newer := await repo.later_in_queue(delivery):
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_WRONG_STATE,
                    f"{delivery.name} is superseded: {newer.name}, a newer message for the same object, is"
                    f" {_SUPERSEDING[newer.state]} {delivery.receiver.country_code}/{delivery.receiver.party_id};"
                    " re-driving the old one would overwrite that with older state",
                )
            await repo.redrive(delivery)
            await EventRepository(conn).record([delivery_event(Kind.DELIVERY_REDRIVEN, delivery)])
            log.info("%s re-driven by an operator", delivery.name)
            return await self._get(repo, delivery_id)

    async def discard(self, delivery_id: int) -> Delivery:
        async with self._pool.acquire() as conn, conn.transaction():
            repo = DeliveryRepository(conn)
            delivery = await self._get(repo, delivery_id, for_update=True)
            if delivery.state != DEAD:
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_WRONG_STATE,
                    f"{delivery.name} is {delivery.state.lower()}; only dead deliveries are discarded",
                )
            await repo.discard(delivery)
            log.info("%s discarded by an operator", delivery.name)
            return await self._get(repo, delivery_id)

    @staticmethod
    async def _get(repo: DeliveryRepository, delivery_id: int, *, for_update: bool = False) -> Delivery:
        delivery = await repo.get(delivery_id, for_update=for_update)
        if delivery is None:
            raise NotFound(ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"no delivery {delivery_id}")
        return delivery
