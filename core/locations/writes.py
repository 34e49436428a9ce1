"""Concurrent location pushes share one transaction (group commit).

A status storm is many small writes, and each cost a transaction of its own: BEGIN, lock and read the location, write
it back, lock its delivery queue, queue the deliveries, COMMIT. Writes that arrive while a batch commits wait for the
next one and go together, one statement per step for the whole batch. Writes to one location apply in arrival
order, each seeing the ones before it. A write refused on its own merits (unknown EVSE, not the caller's) is refused
alone; if the batch's transaction fails, each write is tried again in a transaction of its own, so one bad write
cannot fail the others.

A write addressed to one party (OCPI-to-*) is kept the same way, shown to that party alone, and queued for it alone,
leased to the facade that forwards it (core/routing/addressed.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta

import asyncpg

from core import db
from core.deliveries.model import Relay, relay_from_pb
from core.deliveries.repository import DeliveryRepository
from core.directory import Directory
from core.errors import DomainError, NotFound
from core.events.model import NewEvent
from core.events.repository import EventRepository
from core.locations.events import location_events
from core.locations.repository import LocationRepository, StatusRow
from core.parties.model import PartyKey
from core.routing import addressed, policy
from core.routing.policy import Receiver
from core.writes import CREATED, UNCHANGED, UPDATED
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason
from ocpihub.locations.v1 import locations_pb2 as pb
from ocpihub.types.v1 import types_pb2

MAX_BATCH = 64

Change = Callable[[pb.Location | None], pb.Location | types_pb2.WriteResult.ValueType]
Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    location: pb.Location
    result: types_pb2.WriteResult.ValueType
    deliveries: int
    # The delivery to the party the write was addressed to, leased to the caller that forwards it.
    forward_delivery: str = ""


@dataclass(slots=True)
class LocationWrite:
    """One push: which location, who sends it (platform), how it changes the stored one, and what to relay."""

    owner: PartyKey
    location_id: str
    caller_platform: str
    relay: deliveries_pb2.Message
    change: Change
    # Whether the write may create the location (a PUT of the location itself).
    creates: bool
    # Set by `change` when it added the EVSE or connector that the URL names.
    created: list[bool] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return (self.owner.country_code, self.owner.party_id, self.location_id.upper())


class LocationWrites:
    def __init__(self, pool: asyncpg.Pool, directory: Directory) -> None:
        self._pool = pool
        self._directory = directory
        self._queue: list[tuple[LocationWrite, asyncio.Future[WriteOutcome]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, write: LocationWrite) -> WriteOutcome:
        outcome: asyncio.Future[WriteOutcome] = asyncio.get_running_loop().create_future()
        self._queue.append((write, outcome))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="location-writes")
        return await outcome

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                answers = await self._commit([write for write, _ in batch])
            except Exception as exc:  # the batch rolled back: each write gets a transaction of its own
                if len(batch) == 1:
                    _settle(batch[0][1], exc)
                    continue
                for write, outcome in batch:
                    try:
                        [answer] = await self._commit([write])
                    except Exception as alone:  # this write's own failure, reported to its caller
                        answer = alone
                    _settle(outcome, answer)
                continue
            for (_, outcome), answer in zip(batch, answers, strict=True):
                _settle(outcome, answer)

    async def _commit(self, writes: list[LocationWrite]) -> list[WriteOutcome | Exception]:
        answers: list[WriteOutcome | Exception] = []
        async with db.transaction(self._pool) as conn:
            repo = LocationRepository(conn)
            refusals: dict[int, Exception] = {}
            for index, write in enumerate(writes):
                try:
                    await self._directory.require_owner(conn, write.caller_platform, write.owner)
                except DomainError as exc:
                    refusals[index] = exc
            # Locked in key order, as every batch does: concurrent batches cannot deadlock.
            keys = sorted({write.key for index, write in enumerate(writes) if index not in refusals})
            current = await repo.get_many(keys)
            changed: dict[Key, pb.Location] = {}
            audiences: dict[Key, list[str] | None] = {}
            relays: list[tuple[int, Relay, list[Receiver], timedelta | None]] = []
            history: list[StatusRow] = []
            events: list[NewEvent] = []
            for index, write in enumerate(writes):
                if index in refusals:
                    answers.append(refusals[index])
                    continue
                try:
                    answers.append(
                        await self._apply(
                            conn, write, len(answers), current, changed, audiences, relays, history, events
                        )
                    )
                except DomainError as exc:
                    answers.append(exc)
            await repo.upsert_many([(location, audiences[key]) for key, location in changed.items()])
            await repo.record_statuses(history)
            await EventRepository(conn).record(events)  # the whole batch's events in one statement
            for index, name in await _enqueue(conn, relays):
                answer = answers[index]
                assert isinstance(answer, WriteOutcome)
                answers[index] = dataclasses.replace(answer, forward_delivery=name)
        return answers

    async def _apply(
        self,
        conn: asyncpg.Connection,
        write: LocationWrite,
        answer_index: int,
        current: dict[Key, pb.Location],
        changed: dict[Key, pb.Location],
        audiences: dict[Key, list[str] | None],
        relays: list[tuple[int, Relay, list[Receiver], timedelta | None]],
        history: list[StatusRow],
        events: list[NewEvent],
    ) -> WriteOutcome:
        before = current.get(write.key)
        if before is None and not write.creates:
            raise unknown("location", "/".join(write.key[:2]) + f"/{write.location_id}")
        after = write.change(before)
        if not isinstance(after, pb.Location):
            assert before is not None
            return WriteOutcome(before, after, 0)
        if before is not None and after == before:
            return WriteOutcome(before, UNCHANGED, 0)
        to = addressed.addressee(write.relay)
        lease: timedelta | None = None
        if to is None:
            receivers = await self._directory.broadcast_receivers(conn, "locations", write.owner)
        else:
            # Unknown (4001) or unconnected (4003) addressee: refused before anything of it is kept.
            target = write.relay.to
            receivers = [
                (await policy.resolve(conn, "locations", "RECEIVER", target.country_code, target.party_id)).receiver
            ]
            lease = addressed.forward_lease(write.relay)
        current[write.key] = changed[write.key] = after
        history.extend(status_changes(write.key, before, after))
        # Anyone's once one write of the batch was sent to the Hub; else the addressees so far.
        shown_to = audiences.get(write.key, [])
        audiences[write.key] = None if to is None or shown_to is None else sorted({*shown_to, to})
        object_key = f"locations/{write.owner.country_code}/{write.owner.party_id}/{write.location_id.upper()}"
        relays.append((answer_index, relay_from_pb(write.relay, write.owner, object_key), receivers, lease))
        events.extend(location_events(before, after))
        return WriteOutcome(after, CREATED if before is None or write.created else UPDATED, len(receivers))


async def _enqueue(
    conn: asyncpg.Connection, relays: list[tuple[int, Relay, list[Receiver], timedelta | None]]
) -> list[tuple[int, str]]:
    """Queues the batch's messages in write order; returns the leased deliveries of addressed writes by answer index.
    Every object is locked first, in one sorted statement: locking them one by one could deadlock with a worker."""
    repo = DeliveryRepository(conn)
    await repo.lock_objects(sorted({relay.object_key for _, relay, receivers, _ in relays if receivers}))
    leased: list[tuple[int, str]] = []
    run: list[tuple[Relay, list[Receiver]]] = []
    for index, relay, receivers, lease in relays:
        if lease is None:
            run.append((relay, receivers))
            continue
        await repo.enqueue_many(run)
        run = []
        leased.append((index, f"deliveries/{await repo.enqueue_leased(relay, receivers[0], lease)}"))
    await repo.enqueue_many(run)
    return leased


def status_changes(key: Key, before: pb.Location | None, after: pb.Location) -> list[StatusRow]:
    """The EVSEs whose status this write changed (or that it added), with the time the CPO says it changed."""
    was = {evse.uid: evse.status for evse in before.evses} if before is not None else {}
    rows = []
    for evse in after.evses:
        if was.get(evse.uid) != evse.status:
            stamp = evse.last_updated if evse.HasField("last_updated") else after.last_updated
            rows.append(
                (
                    *key,
                    evse.uid,
                    pb.EvseStatus.Name(evse.status).removeprefix("EVSE_STATUS_"),
                    stamp.ToDatetime(tzinfo=UTC),
                )
            )
    return rows


def unknown(kind: str, what: str) -> NotFound:
    return NotFound(ErrorReason.ERROR_REASON_UNKNOWN_LOCATION, f"unknown {kind} {what}: PUT it before updating it")


def _settle(outcome: asyncio.Future[WriteOutcome], answer: WriteOutcome | BaseException) -> None:
    # The caller may have gone (its RPC cancelled): its write stands, there is just nobody to tell.
    with contextlib.suppress(asyncio.InvalidStateError):
        if isinstance(answer, BaseException):
            outcome.set_exception(answer)
        else:
            outcome.set_result(answer)
