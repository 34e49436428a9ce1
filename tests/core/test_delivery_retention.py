"""Retention of the outbox (issue 15, R10.5): delivered rows go after HUB_DELIVERY_RETENTION_SECONDS, in bounded
batches; pending messages and dead letters stay, and every queue keeps its order. Rows are seeded by SQL."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from prometheus_client import REGISTRY

from core.deliveries.repository import DeliveryRepository, Outcome
from core.deliveries.retention import DeliveryPurger
from core.server import create_server
from core.settings import Settings

DAY = timedelta(days=1)
# Older than a day (the retention these tests give their purger) yet younger than the session core's 7 days, so the
# session core's own purger never races a test for these rows.
OLD = timedelta(days=2)


async def _platform(db: asyncpg.Pool) -> uuid.UUID:
    platform_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO platforms (id, state, environment, versions_url, version, endpoints, roles, token_b_encrypted,"
        " encode_auth_token) VALUES ($1, 'REGISTERED', 'SANDBOX', 'http://127.0.0.1:9/versions', '2.2.1', '[]',"
        " '[]', '\\x00', true)",
        platform_id,
    )
    return platform_id


async def _seed(
    db: asyncpg.Pool,
    platform_id: uuid.UUID,
    count: int,
    *,
    state: str,
    age: timedelta,
    object_key: str = "",
    is_head: bool = False,
) -> list[int]:
    """`count` deliveries in `state`, last changed `age` ago; each of its own object unless `object_key` is given."""
    rows = await db.fetch(
        "INSERT INTO deliveries (receiver_platform_id, receiver_country_code, receiver_party_id, receiver_role,"
        " module, method, path, body, sender_country_code, sender_party_id, sender_role, correlation_id, object_key,"
        " state, is_head, create_time, update_time)"
        " SELECT $1, 'VN', 'EM1', 'EMSP', 'locations', 'PUT', '/ocpi/2.2.1/locations/VN/CPA/L' || n, '{}', 'VN',"
        " 'CPA', 'CPO', 'c-' || n, CASE WHEN $5 = '' THEN 'locations/VN/CPA/L' || n || '/' || $2 ELSE $5 END, $2,"
        " $6, now() - $3::interval - interval '1 hour', now() - $3::interval"
        " FROM generate_series(1, $4) AS n ORDER BY n RETURNING id",
        platform_id,
        state,
        age,
        count,
        object_key,
        is_head,
    )
    return [row["id"] for row in rows]


def _purged_metric() -> float:
    return REGISTRY.get_sample_value("ocpihub_delivery_purged_total") or 0.0


async def _states(db: asyncpg.Pool) -> dict[str, int]:
    rows = await db.fetch("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
    return {row["state"]: row["n"] for row in rows}


async def test_old_delivered_rows_go_recent_pending_and_dead_ones_stay(db: asyncpg.Pool) -> None:
    platform = await _platform(db)
    await _seed(db, platform, 2500, state="DELIVERED", age=OLD)
    recent = await _seed(db, platform, 30, state="DELIVERED", age=timedelta(hours=1))
    # A dead letter and a waiting queue (one object, head first), all older than the retention.
    dead = await _seed(db, platform, 20, state="DEAD", age=OLD)
    queue = "locations/VN/CPA/QUEUED"
    head = await _seed(db, platform, 1, state="PENDING", age=OLD, object_key=queue, is_head=True)
    behind = await _seed(db, platform, 1, state="PENDING", age=OLD, object_key=queue)
    purged_before = _purged_metric()

    assert await DeliveryPurger(db, DAY).purge(pause=0) == 2500

    assert await _states(db) == {"DELIVERED": 30, "DEAD": 20, "PENDING": 2}
    left = {row["id"] for row in await db.fetch("SELECT id FROM deliveries")}
    assert left == {*recent, *dead, *head, *behind}
    assert _purged_metric() - purged_before == 2500
    # Nothing left is due: a second purge (another replica's, or the next round) deletes nothing.
    assert await DeliveryPurger(db, DAY).purge(pause=0) == 0

    # The waiting queue still goes in order: its head alone is leased, and once delivered the next one follows.
    async with db.acquire() as conn:
        repo = DeliveryRepository(conn)
        [first] = await repo.lease(10, timedelta(seconds=30), datetime.now(UTC))
        assert first.id == head[0]
        await repo.finish_many([Outcome(first, "DELIVERED", "", None)])
        [second] = await repo.lease(10, timedelta(seconds=30), datetime.now(UTC))
        assert second.id == behind[0]


async def test_one_purge_statement_deletes_at_most_a_batch_oldest_first(db: asyncpg.Pool) -> None:
    platform = await _platform(db)
    oldest = await _seed(db, platform, 1000, state="DELIVERED", age=timedelta(days=3))
    await _seed(db, platform, 1500, state="DELIVERED", age=OLD)
    before = await db.fetchval("SELECT now() - interval '1 day'")

    async with db.acquire() as conn:
        assert await DeliveryRepository(conn).purge_delivered(before, 1000) == 1000

    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE id = ANY($1::bigint[])", oldest) == 0
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 1500


async def test_replicas_purging_at_once_delete_every_row_once(db: asyncpg.Pool) -> None:
    platform = await _platform(db)
    await _seed(db, platform, 3000, state="DELIVERED", age=OLD)

    replicas = [DeliveryPurger(db, DAY, batch=100) for _ in range(3)]
    deleted = await asyncio.gather(*(replica.purge(pause=0) for replica in replicas))

    assert sum(deleted) == 3000
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 0


async def test_a_running_core_purges_by_itself(db: asyncpg.Pool, core_settings: Settings) -> None:
    platform = await _platform(db)
    await _seed(db, platform, 50, state="DELIVERED", age=OLD)
    await _seed(db, platform, 5, state="DELIVERED", age=timedelta(hours=1))
    settings = dataclasses.replace(
        core_settings, delivery_retention=DAY, delivery_purge_interval_seconds=0.2, metrics_port=0
    )
    server, _ = await create_server(settings)
    await server.start()
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while await db.fetchval("SELECT count(*) FROM deliveries") != 5:
            assert asyncio.get_running_loop().time() < deadline, "the core did not purge old delivered rows"
            await asyncio.sleep(0.05)
    finally:
        await server.stop(grace=0.5)


def test_retention_comes_from_hub_delivery_retention_seconds() -> None:
    base = {"HUB_DATABASE_URL": "postgresql://x/y", "HUB_TOKEN_KEYS": "k"}
    assert Settings.from_env(base).delivery_retention == timedelta(days=7)
    assert Settings.from_env(base | {"HUB_DELIVERY_RETENTION_SECONDS": "3600"}).delivery_retention == timedelta(hours=1)


async def test_a_discarded_dead_letter_is_purged_after_the_retention_counted_from_the_discard(
    db: asyncpg.Pool,
) -> None:
    platform = await _platform(db)
    old_discards = await _seed(db, platform, 3, state="DISCARDED", age=OLD)
    recent_discard = await _seed(db, platform, 1, state="DISCARDED", age=timedelta(hours=1))
    dead = await _seed(db, platform, 2, state="DEAD", age=OLD)

    assert await DeliveryPurger(db, DAY).purge(pause=0) == len(old_discards)

    left = {row["id"] for row in await db.fetch("SELECT id FROM deliveries")}
    assert left == {*recent_discard, *dead}
