"""`make soak`: a million deliveries through the outbox, then the purge; the table's size before and after.

What it does, exactly (one fresh database on HUB_TEST_DATABASE_URL's server, else the embedded PostgreSQL; loopback):

1. Fill. `--deliveries` (default 1,000,000) deliveries reach the outbox in rounds of 50,000. `--real-share` of them
   (default 20 %) take the Hub's own path: `DeliveryRepository.enqueue_many` (the transactional outbox insert, 500
   messages a transaction, each to 4 of 20 receivers, 5,000 objects so queues hold several messages and hand their
   head on), then `DeliveriesService.lease` (100 at a time, 4 workers) and `complete_many(DELIVERED)`. No HTTP is
   sent (`make bench` measures that): the receivers are platform rows. The rest is inserted by SQL in bulk, already
   delivered. The purge is off, so the table holds every delivery.
2. Purge under traffic. `DeliveryPurger` (the core's: 1,000 rows per DELETE, a pause between batches) deletes every
   delivered row, as it would once they are HUB_DELIVERY_RETENTION_SECONDS old (the soak's retention is 0), while
   the real path keeps delivering; the lease + complete cycle's latency is shown with and without the purge.
   VACUUM (ANALYZE) before it and after it: autovacuum's work, done then so the figures do not depend on its timing
   (the test servers run with autovacuum off).
3. Bounded. `--deliveries` more deliveries (same mix) with the purger running every second, as in a core, and a
   VACUUM after every round of 50,000 (autovacuum's work: the test servers run with autovacuum off, managed
   PostgreSQL with it on): the table's rows stay at what is delivered between purges and its size stops growing.

Prints rows and pg_total_relation_size (heap + indexes + TOAST) after each phase. Bounded in time by
`--max-seconds` (a phase that runs out stops pushing and says how far it got). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg

from core import db
from core.clock import Clock
from core.deliveries.model import Relay
from core.deliveries.repository import DeliveryRepository
from core.deliveries.retention import DeliveryPurger
from core.deliveries.service import DELIVERED, DeliveriesService
from core.parties.model import PartyKey, Role
from core.routing.policy import Receiver
from tests import services

ROUND = 50_000
RECEIVERS = 20
FAN_OUT = 4
OBJECTS = 5_000
ENQUEUE_BATCH = 500
LEASE_BATCH = 100
WORKERS = 4
# An EVSE status PATCH as CPOs send them, about the size the outbox mostly holds.
BODY = b'{"status": "CHARGING", "last_updated": "2026-12-04T10:00:00Z"}' + b" " * 200
SENDER = PartyKey("VN", "CPA", Role.CPO)


@dataclass
class Deadline:
    at: float

    @property
    def passed(self) -> bool:
        return time.monotonic() > self.at


@dataclass
class Cycles:
    """Latency of lease + complete cycles (seconds)."""

    seconds: list[float] = field(default_factory=list)

    def summary(self) -> str:
        if not self.seconds:
            return "no cycles"
        ordered = sorted(self.seconds)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"{len(ordered)} lease+complete cycles: p50 {statistics.median(ordered) * 1000:.1f} ms,"
            f" p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
        )


async def table_figures(pool: asyncpg.Pool) -> tuple[int, int]:
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM deliveries) AS n, pg_total_relation_size('deliveries') AS size"
    )
    return row["n"], row["size"]


def show(label: str, figures: tuple[int, int]) -> None:
    print(f"  {label:<44} rows {figures[0]:>9,}   pg_total_relation_size {figures[1] / 2**20:8.1f} MiB", flush=True)


async def seed_receivers(pool: asyncpg.Pool) -> list[Receiver]:
    receivers = []
    for n in range(RECEIVERS):
        platform_id = uuid.uuid4()
        endpoints = '[{"identifier": "locations", "role": "RECEIVER", "url": "http://127.0.0.1:9/locations"}]'
        await pool.execute(
            "INSERT INTO platforms (id, state, environment, versions_url, version, endpoints, roles,"
            " token_b_encrypted, encode_auth_token) VALUES ($1, 'REGISTERED', 'SANDBOX', 'http://127.0.0.1:9/v',"
            " '2.2.1', $2, '[]', 'token', true)",
            platform_id,
            endpoints,
        )
        receivers.append(Receiver(platform_id, PartyKey("VN", f"E{n:02d}", Role.EMSP)))
    return receivers


async def bulk_delivered(pool: asyncpg.Pool, receivers: list[Receiver], count: int, offset: int) -> None:
    """`count` deliveries inserted already delivered, spread over the receivers as broadcasts would be."""
    await pool.execute(
        "INSERT INTO deliveries (receiver_platform_id, receiver_country_code, receiver_party_id, receiver_role,"
        " module, method, path, body, sender_country_code, sender_party_id, sender_role, correlation_id, object_key,"
        " state, attempts, is_head)"
        " SELECT ($1::uuid[])[1 + n % $4], 'VN', ($2::text[])[1 + n % $4], 'EMSP', 'locations', 'PATCH',"
        " '/ocpi/2.2.1/locations/VN/CPA/L' || (n % $5), $6, 'VN', 'CPA', 'CPO', 'bulk-' || n,"
        " 'locations/VN/CPA/L' || (n % $5), 'DELIVERED', 1, false"
        " FROM generate_series($3::bigint, $3::bigint + $7 - 1) AS n",
        [r.platform_id for r in receivers],
        [r.party.party_id for r in receivers],
        offset,
        len(receivers),
        OBJECTS,
        BODY,
        count,
    )


class RealPath:
    """The Hub's outbox path: enqueue in transactions, lease and complete with several workers."""

    def __init__(self, pool: asyncpg.Pool, receivers: list[Receiver]) -> None:
        self._pool = pool
        self._receivers = receivers
        self._service = DeliveriesService(pool, "", timedelta(days=1), Clock())
        self._sequence = 0
        self.cycles = Cycles()

    async def enqueue(self, deliveries: int) -> None:
        messages = deliveries // FAN_OUT
        while messages > 0:
            batch = []
            for _ in range(min(ENQUEUE_BATCH, messages)):
                n = self._sequence
                self._sequence += 1
                receivers = [self._receivers[(n + k) % len(self._receivers)] for k in range(FAN_OUT)]
                relay = Relay(
                    "locations",
                    "PATCH",
                    f"/ocpi/2.2.1/locations/VN/CPA/L{n % OBJECTS}",
                    BODY,
                    SENDER,
                    f"real-{n}",
                    f"locations/VN/CPA/L{n % OBJECTS}",
                )
                batch.append((relay, receivers))
            async with db.transaction(self._pool) as conn:
                await DeliveryRepository(conn).enqueue_many(batch)
            messages -= len(batch)

    async def drain(self, deadline: Deadline) -> int:
        """Leases and completes until nothing is pending (or time is up); returns how many were delivered."""
        delivered = 0

        async def worker() -> None:
            nonlocal delivered
            idle = 0
            while not deadline.passed and idle < 3:
                started = time.perf_counter()
                leased = await self._service.lease(LEASE_BATCH, timedelta(0), timedelta(seconds=60))
                if not leased:
                    idle += 1
                    await asyncio.sleep(0.01)
                    continue
                idle = 0
                await self._service.complete_many([(d.id, DELIVERED, "", None) for d in leased])
                self.cycles.seconds.append(time.perf_counter() - started)
                delivered += len(leased)

        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        return delivered


async def push(
    pool: asyncpg.Pool,
    real: RealPath,
    receivers: list[Receiver],
    total: int,
    share: float,
    deadline: Deadline,
    *,
    vacuum: bool = False,
) -> tuple[int, int]:
    """`total` deliveries in rounds, each round VACUUMed when `vacuum`; returns (through the real path, in bulk)."""
    through_real = bulk = 0
    while through_real + bulk < total and not deadline.passed:
        size = min(ROUND, total - through_real - bulk)
        real_count = int(size * share) // FAN_OUT * FAN_OUT
        await real.enqueue(real_count)
        through_real += await real.drain(deadline)
        await bulk_delivered(pool, receivers, size - real_count, offset=1_000_000_000 + through_real + bulk)
        bulk += size - real_count
        if vacuum:
            await pool.execute("VACUUM deliveries")
        rows, size = await table_figures(pool)
        print(
            f"    {through_real + bulk:>9,} pushed ({through_real:,} leased and completed):"
            f" table rows {rows:>9,}, {size / 2**20:7.1f} MiB",
            flush=True,
        )
    return through_real, bulk


async def soak(database_url: str, args: argparse.Namespace) -> None:
    deadline = Deadline(time.monotonic() + args.max_seconds)
    pool = await db.create_pool(database_url, max_size=WORKERS + 4)
    try:
        await db.migrate(pool)
        receivers = await seed_receivers(pool)
        real = RealPath(pool, receivers)

        print(
            f"1. fill: {args.deliveries:,} deliveries, {args.real_share:.0%} through enqueue/lease/complete", flush=True
        )
        started = time.monotonic()
        through_real, bulk = await push(pool, real, receivers, args.deliveries, args.real_share, deadline)
        elapsed = time.monotonic() - started
        print(
            f"  {through_real:,} real + {bulk:,} bulk in {elapsed:.0f} s"
            f" (real path {through_real / max(elapsed, 1e-9):,.0f}/s of wall time incl. bulk inserts)"
        )
        print(f"  without purge: {real.cycles.summary()}")
        filled = await table_figures(pool)
        show("after the fill, before the purge", filled)
        # What autovacuum does after such a fill (the test servers run without it): statistics and dead row versions.
        await pool.execute("VACUUM (ANALYZE) deliveries")

        print("2. purge under traffic (retention 0: every delivered row is due)", flush=True)
        alone = await with_traffic(real, asyncio.sleep(args.baseline_seconds))
        print(f"  traffic alone (at least {args.baseline_seconds:.0f} s): {alone.summary()}")
        started = time.monotonic()
        purged = 0

        async def purge() -> None:
            nonlocal purged
            purged = await DeliveryPurger(pool, timedelta(0)).purge()

        during = await with_traffic(real, purge())
        purge_seconds = time.monotonic() - started
        print(f"  purged {purged:,} rows in {purge_seconds:.0f} s ({purged / max(purge_seconds, 1e-9):,.0f} rows/s)")
        # The traffic's own deliveries, delivered after that purge began, go in the next purge round.
        print(f"  then the traffic's {await DeliveryPurger(pool, timedelta(0)).purge():,} delivered during it")
        print(f"  traffic during the purge: {during.summary()}")
        show("after the purge", await table_figures(pool))
        await pool.execute("VACUUM deliveries")
        show("after the purge and VACUUM", await table_figures(pool))

        print(f"3. bounded: {args.deliveries:,} more, the purger running every second, VACUUM per round", flush=True)
        running = asyncio.create_task(DeliveryPurger(pool, timedelta(0)).run(1.0))
        sampler = PeakSampler(pool)
        sampling = asyncio.create_task(sampler.run())
        try:
            await push(pool, real, receivers, args.deliveries, args.real_share, deadline, vacuum=True)
        finally:
            for task in (running, sampling):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        show("most rows seen while pushing", sampler.peak_rows)
        show("largest size seen while pushing", sampler.peak_size)
        await DeliveryPurger(pool, timedelta(0)).purge()
        show("at the end (after a last purge)", await table_figures(pool))
        print(f"  (the fill's table, for comparison: {filled[1] / 2**20:.1f} MiB)")
        if deadline.passed:
            print(f"  (stopped by --max-seconds {args.max_seconds:.0f} before every delivery went through)")
    finally:
        await pool.close()


class PeakSampler:
    """The most rows and the largest size the table had, read every second."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.peak_rows = (0, 0)
        self.peak_size = (0, 0)

    async def run(self) -> None:
        while True:
            figures = await table_figures(self._pool)
            self.peak_rows = max(self.peak_rows, figures, key=lambda f: f[0])
            self.peak_size = max(self.peak_size, figures, key=lambda f: f[1])
            await asyncio.sleep(1)


async def with_traffic(real: RealPath, work: Coroutine[Any, Any, None], *, min_rounds: int = 3) -> Cycles:
    """Runs `work` while the real path enqueues and delivers 2,000 at a time (at least `min_rounds` times); the
    cycles' latency meanwhile."""
    real.cycles = Cycles()
    stop = Deadline(float("inf"))

    async def traffic() -> None:
        rounds = 0
        while not stop.passed or rounds < min_rounds:
            await real.enqueue(2_000)
            await real.drain(Deadline(float("inf")))
            rounds += 1

    background = asyncio.create_task(traffic())
    await work
    stop.at = 0
    await background
    cycles, real.cycles = real.cycles, Cycles()
    await real.drain(Deadline(float("inf")))  # what the traffic left pending
    return cycles


async def main(args: argparse.Namespace) -> None:
    with services.postgres_server_url() as server_url:
        database_url = await services.create_database(server_url)
        try:
            await soak(database_url, args)
        finally:
            await services.drop_database(server_url, database_url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--real-share", type=float, default=0.2)
    parser.add_argument("--max-seconds", type=float, default=1200.0)
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    asyncio.run(main(parser.parse_args()))
