"""PostgreSQL access: the asyncpg pool and forward-only migrations. Repositories take a connection."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import asyncpg

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any constant works; it only has to be the same for every replica so migrations run once.
_MIGRATION_LOCK = 0x0C917B


# What PostgreSQL being down or restarting looks like to asyncpg: the caller should retry later (gRPC UNAVAILABLE),
# not be told the Hub is broken.
UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, UNAVAILABLE):
        return True
    # A pooled connection PostgreSQL closed under it ("connection is closed").
    return isinstance(error, asyncpg.InterfaceError) and "connection" in str(error) and "closed" in str(error)


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection in a transaction, for work whose commit must not be undone by what comes after it.

    Handing the connection back resets it; when PostgreSQL is going down that reset may fail after the COMMIT went
    through. `async with pool.acquire()` would then raise and the caller would report a committed lease or batch as
    failed (a lease lost until it expires, a batch applied twice). The pool drops the broken connection either way.
    """
    conn = await pool.acquire()
    try:
        async with conn.transaction():
            yield conn
    finally:
        try:
            await pool.release(conn)
        except Exception as exc:  # the connection is dropped; what committed stays committed
            log.warning("a database connection broke on its way back to the pool: %s", type(exc).__name__)


async def create_pool(database_url: str, *, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=max_size, command_timeout=30)
    assert pool is not None
    return pool


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every migration shipped with the core, in order."""
    found = []
    for entry in resources.files("core.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, … without gaps; found {versions}")
    return found


async def migrate(pool: asyncpg.Pool) -> int:
    """Applies pending migrations, each in its own transaction. Returns the schema version.

    Refuses a database whose schema is newer than this code knows: an old replica must not write to it.
    """
    known = migrations()
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            current = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
            if current > len(known):
                raise RuntimeError(
                    f"database schema is at version {current}, newer than this Hub knows ({len(known)}); "
                    "upgrade the Hub instead"
                )
            for version, name, sql in known[current:]:
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name)
                log.info("applied migration %s", name)
            return len(known)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
