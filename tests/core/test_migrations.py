from __future__ import annotations

import asyncpg
import pytest

from core import db
from core import db as db_module
from tests import services


async def test_migrations_apply_to_an_empty_database_and_are_idempotent(postgres_server_url: str) -> None:
    url = await services.create_database(postgres_server_url)
    try:
        pool = await db.create_pool(url)
        try:
            version = await db.migrate(pool)
            assert version == len(db.migrations()) >= 1
            assert await db.migrate(pool) == version
            tables = {
                r["tablename"] for r in await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            }
            assert {"parties", "platforms", "hub_tokens", "credential_events", "schema_migrations"} <= tables
        finally:
            await pool.close()
    finally:
        await services.drop_database(postgres_server_url, url)


async def test_a_database_newer_than_the_code_is_refused(postgres_server_url: str) -> None:
    url = await services.create_database(postgres_server_url)
    try:
        pool = await db.create_pool(url)
        try:
            await db.migrate(pool)
            await pool.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')")
            with pytest.raises(RuntimeError, match="newer than this Hub knows"):
                await db.migrate(pool)
        finally:
            await pool.close()
    finally:
        await services.drop_database(postgres_server_url, url)


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [version for version, _, _ in db.migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_the_core_migrates_its_database_at_start(db: asyncpg.Pool) -> None:
    # The session's core server migrated the shared test database when it started.
    assert await db.fetchval("SELECT max(version) FROM schema_migrations") == len(db_module.migrations())
