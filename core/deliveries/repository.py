"""SQL of the outbox. `enqueue` runs inside the transaction of the change it relays (transactional outbox)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from core.deliveries.model import Delivery, Relay
from core.events.model import Kind, NewEvent, party_of
from core.events.repository import EventRepository
from core.parties.model import PartyKey, Role
from core.routing.policy import Receiver

# NOTIFY channel: wakes workers waiting for work as soon as a delivery is committed.
CHANNEL = "ocpihub_deliveries"

# Pending deliveries `e` in the same queue (receiver and object) as row `d`.
_SAME_QUEUE_AS_ROW = (
    "e.state = 'PENDING' AND e.receiver_platform_id = d.receiver_platform_id"
    " AND e.receiver_country_code = d.receiver_country_code AND e.receiver_party_id = d.receiver_party_id"
    " AND e.receiver_role = d.receiver_role AND e.object_key = d.object_key"
)

# A receiver the still-alive check found unreachable (OFFLINE) is not tried: its messages wait, attempts untouched,
# and go in order once it answers again.
_RECEIVER_ONLINE = "receiver_platform_id NOT IN (SELECT id FROM platforms WHERE offline_time IS NOT NULL)"

_COLUMNS = (
    "d.id, d.receiver_platform_id, d.receiver_country_code, d.receiver_party_id, d.receiver_role, d.module, d.method,"
    " d.path, d.body, d.sender_country_code, d.sender_party_id, d.sender_role, d.correlation_id, d.object_key,"
    " d.state, d.attempts, d.last_error, d.next_attempt_time, d.create_time, d.update_time, d.url, d.addressed"
)


def _from_row(row: asyncpg.Record) -> Delivery:
    return Delivery(
        id=row["id"],
        relay=Relay(
            module=row["module"],
            method=row["method"],
            path=row["path"],
            body=row["body"],
            sender=PartyKey(row["sender_country_code"], row["sender_party_id"], Role(row["sender_role"])),
            correlation_id=row["correlation_id"],
            object_key=row["object_key"],
            url=row["url"],
            addressed=row["addressed"],
        ),
        receiver_platform_id=row["receiver_platform_id"],
        receiver=PartyKey(row["receiver_country_code"], row["receiver_party_id"], Role(row["receiver_role"])),
        state=row["state"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt_time=row["next_attempt_time"],
        create_time=row["create_time"],
        update_time=row["update_time"],
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What becomes of a leased delivery: its new state, why, and when to try again (None: keep the time)."""

    delivery: Delivery
    state: str
    detail: str
    next_attempt_time: datetime | None


@dataclass(frozen=True, slots=True)
class QueueFigures:
    pending: int
    dead: int
    # How long the oldest pending delivery has waited (zero when none is pending).
    oldest_pending_age: timedelta


class DeliveryRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def enqueue(self, relay: Relay, receivers: Sequence[Receiver]) -> int:
        return await self.enqueue_many([(relay, receivers)])

    async def enqueue_many(self, items: Sequence[tuple[Relay, Sequence[Receiver]]]) -> int:
        """Messages (one push, or a batch of them), each to its receivers, in the order given."""
        items = [(relay, receivers) for relay, receivers in items if receivers]
        if not items:
            return 0
        await self.lock_objects(sorted({relay.object_key for relay, _ in items}))
        # One row per statement execution (pipelined by executemany): each sees the rows before it, so only the first
        # message of a queue in the batch can be its head.
        await self._conn.executemany(
            "INSERT INTO deliveries (receiver_platform_id, receiver_country_code, receiver_party_id, receiver_role,"
            " module, method, path, body, sender_country_code, sender_party_id, sender_role, correlation_id,"
            " object_key, url, is_head) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
            " NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'PENDING' AND e.receiver_platform_id = $1"
            " AND e.receiver_country_code = $2 AND e.receiver_party_id = $3 AND e.receiver_role = $4"
            " AND e.object_key = $13)",
            [
                (
                    r.platform_id,
                    r.party.country_code,
                    r.party.party_id,
                    str(r.party.role),
                    relay.module,
                    relay.method,
                    relay.path,
                    relay.body,
                    relay.sender.country_code,
                    relay.sender.party_id,
                    str(relay.sender.role),
                    relay.correlation_id,
                    relay.object_key,
                    relay.url,
                )
                for relay, receivers in items
                for r in receivers
            ],
        )
        await self._conn.execute("SELECT pg_notify($1, '')", CHANNEL)
        return sum(len(receivers) for _, receivers in items)

    async def enqueue_leased(self, relay: Relay, receiver: Receiver, lease: timedelta) -> int:
        """One message, already leased for `lease` to the caller, which sends it now (its first attempt) and reports
        the outcome; if it never does, the lease runs out and workers send it."""
        await self.lock_objects([relay.object_key])
        r = receiver
        delivery_id: int = await self._conn.fetchval(
            "INSERT INTO deliveries (receiver_platform_id, receiver_country_code, receiver_party_id, receiver_role,"
            " module, method, path, body, sender_country_code, sender_party_id, sender_role, correlation_id,"
            " object_key, url, addressed, attempts, lease_until, is_head)"
            " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, now() + $16,"
            " NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.state = 'PENDING' AND e.receiver_platform_id = $1"
            " AND e.receiver_country_code = $2 AND e.receiver_party_id = $3 AND e.receiver_role = $4"
            " AND e.object_key = $13) RETURNING id",
            r.platform_id,
            r.party.country_code,
            r.party.party_id,
            str(r.party.role),
            relay.module,
            relay.method,
            relay.path,
            relay.body,
            relay.sender.country_code,
            relay.sender.party_id,
            str(relay.sender.role),
            relay.correlation_id,
            relay.object_key,
            relay.url,
            relay.addressed,
            lease,
        )
        return delivery_id

    async def lock_objects(self, object_keys: list[str]) -> None:
        """Serializes queue changes of these objects (enqueue vs. handing the head on), so a queue never loses its
        head. In the order given (sorted by callers: concurrent lockers cannot deadlock). A statement of its own:
        what follows must see what committed while it waited."""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k", object_keys
        )

    async def lease(self, limit: int, lease: timedelta, now: datetime) -> list[Delivery]:
        """Queue heads due at `now` (the core's clock): at most one delivery per (receiver, object) is ever out, so
        order holds across workers. Leases run in real time (the database's): they measure how long a send takes,
        not when the business wants it sent."""
        rows = await self._conn.fetch(
            "WITH due AS ("
            "  SELECT id FROM deliveries WHERE state = 'PENDING' AND is_head AND next_attempt_time <= $3"
            f"    AND (lease_until IS NULL OR lease_until <= now()) AND {_RECEIVER_ONLINE}"
            "  ORDER BY next_attempt_time, id LIMIT $1 FOR UPDATE SKIP LOCKED)"
            " UPDATE deliveries d SET lease_until = now() + $2, attempts = d.attempts + 1, update_time = now()"
            f" FROM due WHERE d.id = due.id RETURNING {_COLUMNS}",
            limit,
            lease,
            now,
        )
        deliveries = sorted((_from_row(row) for row in rows), key=lambda d: d.id)
        platforms = await self._conn.fetch(
            "SELECT id, state, endpoints, token_b_encrypted, encode_auth_token FROM platforms"
            " WHERE id = ANY($1::uuid[])",
            list({d.receiver_platform_id for d in deliveries}),
        )
        by_id = {row["id"]: row for row in platforms}
        gone = await self._receivers_gone(deliveries)
        for delivery in deliveries:
            platform = by_id[delivery.receiver_platform_id]
            delivery.endpoint_url = delivery.relay.url or _receiver_url(platform["endpoints"], delivery.relay.module)
            registered = platform["state"] == "REGISTERED" and delivery.receiver not in gone
            delivery.token_b_encrypted = platform["token_b_encrypted"] if registered else b""
            delivery.encode_auth_token = platform["encode_auth_token"]
        return deliveries

    async def _receivers_gone(self, deliveries: Sequence[Delivery]) -> set[PartyKey]:
        """Receivers revoked or unregistered since their messages were queued (an operator's revocation dead-letters
        what is queued; this catches what a concurrent push queued meanwhile)."""
        if not deliveries:
            return set()
        keys = sorted({(d.receiver.country_code, d.receiver.party_id, str(d.receiver.role)) for d in deliveries})
        rows = await self._conn.fetch(
            "SELECT country_code, party_id, role FROM parties WHERE state <> 'REGISTERED'"
            " AND (country_code, party_id, role) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
        )
        return {PartyKey(row["country_code"], row["party_id"], Role(row["role"])) for row in rows}

    async def time_to_next_due(self, now: datetime) -> timedelta | None:
        """How long until a queue head is due (its attempt time on the core's clock, its lease in real time)."""
        value: timedelta | None = await self._conn.fetchval(
            "SELECT min(greatest(next_attempt_time - $1, lease_until - now(), interval '0'))"
            f" FROM deliveries WHERE state = 'PENDING' AND is_head AND {_RECEIVER_ONLINE}",
            now,
        )
        return value

    async def get(self, delivery_id: int, *, for_update: bool = False) -> Delivery | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(f"SELECT {_COLUMNS} FROM deliveries d WHERE d.id = $1{lock}", delivery_id)
        return _from_row(row) if row else None

    async def get_many(self, ids: list[int], *, for_update: bool = False) -> dict[int, Delivery]:
        lock = " FOR UPDATE" if for_update else ""
        rows = await self._conn.fetch(f"SELECT {_COLUMNS} FROM deliveries d WHERE d.id = ANY($1::bigint[]){lock}", ids)
        return {row["id"]: _from_row(row) for row in rows}

    async def finish(self, delivery: Delivery, state: str, detail: str, next_attempt_time: datetime | None) -> None:
        await self.finish_many([Outcome(delivery, state, detail, next_attempt_time)])

    async def finish_many(self, outcomes: Sequence[Outcome]) -> None:
        """Records outcomes, two statements however many there are. A delivery that leaves the queue hands the head
        on to the next one of its object, and waiting workers are woken (a retry is scheduled, or the object's next
        message may now go). Each outcome is of a different queue: only a queue's head is ever leased."""
        if not outcomes:
            return
        leaving = sorted({o.delivery.relay.object_key for o in outcomes if o.state != "PENDING"})
        if leaving:
            # Sorted, so concurrent completions take the locks in one order (no deadlock). A statement of its own:
            # the update below must see what was committed while it waited for them.
            await self.lock_objects(leaving)
        # The CTE's snapshot still shows every delivery here as pending, hence `e.id <> d.id`.
        await self._conn.execute(
            "WITH input AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[])"
            "  AS i(id, state, detail, next_attempt_time)),"
            " done AS ("
            "  UPDATE deliveries d SET state = i.state, last_error = i.detail, lease_until = NULL, update_time = now(),"
            "  is_head = d.is_head AND i.state = 'PENDING',"
            "  next_attempt_time = coalesce(i.next_attempt_time, d.next_attempt_time)"
            "  FROM input i WHERE d.id = i.id RETURNING d.id),"
            " next AS ("
            "  UPDATE deliveries SET is_head = true WHERE id IN ("
            "    SELECT (SELECT min(e.id) FROM deliveries e WHERE e.id <> d.id AND "
            f"{_SAME_QUEUE_AS_ROW})"
            "    FROM deliveries d JOIN input i ON i.id = d.id WHERE i.state <> 'PENDING')"
            "  RETURNING id)"
            " SELECT pg_notify($5, ''), (SELECT count(*) FROM done), (SELECT count(*) FROM next)",
            [o.delivery.id for o in outcomes],
            [o.state for o in outcomes],
            [o.detail for o in outcomes],
            [o.next_attempt_time for o in outcomes],
            CHANNEL,
        )
        dead = [
            delivery_event(Kind.DELIVERY_DEAD_LETTERED, o.delivery, last_error=o.detail)
            for o in outcomes
            if o.state == "DEAD"
        ]
        await EventRepository(self._conn).record(dead)

    async def queue_figures(self) -> QueueFigures:
        row = await self._conn.fetchrow(
            "SELECT count(*) FILTER (WHERE state = 'PENDING') AS pending,"
            " count(*) FILTER (WHERE state = 'DEAD') AS dead,"
            " coalesce(now() - min(create_time) FILTER (WHERE state = 'PENDING'), interval '0') AS age"
            " FROM deliveries WHERE state IN ('PENDING', 'DEAD')"
        )
        return QueueFigures(row["pending"], row["dead"], max(row["age"], timedelta(0)))

    async def release_receiver(self, platform_id: uuid.UUID) -> int:
        """A receiver is reachable again: its waiting deliveries are due now (in their order), not at their backoff."""
        released: int = await self._conn.fetchval(
            "WITH due AS (UPDATE deliveries SET next_attempt_time = now() WHERE receiver_platform_id = $1"
            " AND state = 'PENDING' AND next_attempt_time > now() RETURNING 1)"
            " SELECT count(*) FROM due",
            platform_id,
        )
        await self._conn.execute("SELECT pg_notify($1, '')", CHANNEL)
        return released

    async def later_in_queue(self, delivery: Delivery) -> Delivery | None:
        """The newest message of this delivery's queue (receiver and object) sent after it that has reached the
        receiver or is still on its way, if any. Call with the object locked (`lock_objects`)."""
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM deliveries d WHERE d.id = (SELECT max(e.id) FROM deliveries e, deliveries o"
            "  WHERE o.id = $1 AND e.id > o.id AND e.state IN ('PENDING', 'DELIVERED')"
            "  AND e.receiver_platform_id = o.receiver_platform_id"
            "  AND e.receiver_country_code = o.receiver_country_code AND e.receiver_party_id = o.receiver_party_id"
            "  AND e.receiver_role = o.receiver_role"
            "  AND e.object_key = o.object_key)",
            delivery.id,
        )
        return _from_row(row) if row else None

    async def dead_letter_receiver(self, receiver: PartyKey, detail: str) -> int:
        """Every pending delivery to `receiver` becomes DEAD (it left the Hub): kept for operators to see, never sent.
        Each of its queues ends with it, so no head is handed on."""
        count: int = await self._conn.fetchval(
            "WITH dead AS (UPDATE deliveries SET state = 'DEAD', last_error = $4, is_head = false, lease_until = NULL,"
            " update_time = now() WHERE state = 'PENDING' AND receiver_country_code = $1 AND receiver_party_id = $2"
            " AND receiver_role = $3 RETURNING 1) SELECT count(*) FROM dead",
            receiver.country_code,
            receiver.party_id,
            str(receiver.role),
            detail,
        )
        return count

    async def redrive(self, delivery: Delivery) -> None:
        await self.lock_objects([delivery.relay.object_key])
        await self._conn.execute(
            "UPDATE deliveries SET state = 'PENDING', attempts = 0, next_attempt_time = now(), lease_until = NULL,"
            " update_time = now(), is_head = NOT EXISTS ("
            f"  SELECT 1 FROM deliveries e, deliveries d WHERE d.id = $1 AND e.id <> d.id AND {_SAME_QUEUE_AS_ROW})"
            " WHERE id = $1",
            delivery.id,
        )
        await self._conn.execute("SELECT pg_notify($1, '')", CHANNEL)

    async def purge_delivered(self, before: datetime, limit: int, state: str = "DELIVERED") -> int:
        """Deletes at most `limit` deliveries delivered (or discarded: `state`) before `before` (oldest first);
        returns how many.

        One short statement on its own: DELIVERED and DISCARDED are final (nothing updates such a row again) and never
        a queue's head, and heads are handed on among pending rows only, so removing one changes no queue. SKIP LOCKED:
        racing replicas take different rows, and the purge never waits on a lock the delivery path holds. One state per
        statement, so each reads its own partial index."""
        assert state in ("DELIVERED", "DISCARDED")
        status: str = await self._conn.execute(
            "DELETE FROM deliveries WHERE id = ANY(ARRAY("
            f"  SELECT id FROM deliveries WHERE state = '{state}' AND update_time < $1"
            "  ORDER BY update_time LIMIT $2 FOR UPDATE SKIP LOCKED))",
            before,
            limit,
        )
        return int(status.split()[-1])

    async def discard(self, delivery: Delivery) -> None:
        """A dead letter becomes DISCARDED: it was never a queue's head, so no queue changes."""
        await self._conn.execute(
            "UPDATE deliveries SET state = 'DISCARDED', update_time = now() WHERE id = $1 AND state = 'DEAD'",
            delivery.id,
        )

    async def list(
        self, *, after_id: int, limit: int, state: str = "", receiver: tuple[str, str] | None = None
    ) -> list[Delivery]:
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM deliveries d WHERE d.id > $1 AND ($2 = '' OR d.state = $2)"
            " AND ($3::text IS NULL OR (d.receiver_country_code = $3 AND d.receiver_party_id = $4))"
            " ORDER BY d.id LIMIT $5",
            after_id,
            state,
            *(receiver or (None, None)),
            limit,
        )
        return [_from_row(row) for row in rows]


def _receiver_url(endpoints_json: str, module: str) -> str:
    for endpoint in json.loads(endpoints_json):
        if endpoint["identifier"] == module and endpoint["role"] == "RECEIVER":
            return str(endpoint["url"])
    return ""


def delivery_event(kind: Kind, delivery: Delivery, **data: object) -> NewEvent:
    """An event about a delivery belongs to its receiver."""
    party = party_of(delivery.receiver.country_code, delivery.receiver.party_id)
    facts = {"module": delivery.relay.module, "object": delivery.relay.object_key, "attempts": delivery.attempts}
    return NewEvent(kind, party, delivery.name, facts | data)
