"""Session-wide real servers (PostgreSQL, Redis, the gRPC core) and per-test clean state."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet

from core import pki
from core.clock import Clock
from core.server import CoreServer, create_server
from core.settings import Settings
from hubclient import HubClient
from tests import internal_tls, services

TOKEN_KEY = Fernet.generate_key().decode()
# Short enough to watch a rotated token die inside a test, long enough to use it first.
ROTATION_GRACE = timedelta(seconds=2)


@pytest.fixture(scope="session", autouse=True)
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's local CA and certificates; until the session ends, HubClient and hubctl default to the
    operator's pair (tests that act as another role pass theirs)."""
    directory = tmp_path_factory.mktemp("pki")
    pki.init(directory)
    saved = {key: os.environ.get(key) for key in internal_tls.client_env(directory, "operator")}
    os.environ.update(internal_tls.client_env(directory, "operator"))
    yield directory
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with services.postgres_server_url() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with services.redis_server_url() as url:
        yield url


@pytest.fixture(scope="session")
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    url = await services.create_database(postgres_server_url)
    yield url
    await services.drop_database(postgres_server_url, url)


@pytest.fixture(scope="session")
def core_settings(database_url: str, pki_dir: Path) -> Settings:
    return Settings(
        **internal_tls.core_settings(pki_dir),
        database_url=database_url,
        environment="sandbox",
        grpc_port=0,
        token_keys=(TOKEN_KEY,),
        rotation_grace=ROTATION_GRACE,
        # A CPO's QR API that is slower than this is "timed out" (tests need not wait the default 2 s).
        qr_api_deadline=timedelta(seconds=0.5),
        # Dead right after the 5 quick attempts, as R10.4 tests expect; the slow retries have their own tests.
        delivery_patience=timedelta(0),
    )


@pytest.fixture(scope="session")
async def core(core_settings: Settings) -> AsyncIterator[tuple[CoreServer, int]]:
    server, port = await create_server(core_settings)
    await server.start()
    yield server, port
    await server.stop(grace=1.0)


@pytest.fixture(scope="session")
def core_address(core: tuple[CoreServer, int]) -> str:
    return f"127.0.0.1:{core[1]}"


@pytest.fixture
def clock(core: tuple[CoreServer, int]) -> Iterator[Clock]:
    """The core's clock: a test moves it forward (a reservation's end, a CPO's timeout) instead of sleeping."""
    yield core[0].clock
    core[0].clock.reset()


@pytest.fixture(scope="session")
async def db(database_url: str, core: tuple[CoreServer, int]) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test database, for assertions on what is (and is not) stored. Core has migrated it."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    assert pool
    yield pool
    await pool.close()


@pytest.fixture(autouse=True)
async def clean_tables(request: pytest.FixtureRequest) -> None:
    """Every test that touches the database starts from empty tables (the schema stays)."""
    if "db" not in request.fixturenames:
        return
    pool: asyncpg.Pool = request.getfixturevalue("db")
    tables = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
    )
    if not tables:
        return
    # The core's background work (command sweeps, deliveries, audit) may hold a row lock on one table while wanting
    # another: PostgreSQL then picks one side of the deadlock to fail; when it picks the TRUNCATE, do it again.
    for attempt in range(5):
        try:
            await pool.execute(f"TRUNCATE {', '.join(t['tablename'] for t in tables)} CASCADE")
            return
        except asyncpg.DeadlockDetectedError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.05)


@pytest.fixture
async def security_log(core: tuple[CoreServer, int], db: asyncpg.Pool) -> None:
    """An empty security_events table and a core that has forgotten earlier tests' auth failures (which it coalesces
    in memory per address and minute, and would otherwise write here)."""
    await core[0].auth_failures.flush(final=True)
    await db.execute("TRUNCATE security_events")


@pytest.fixture
async def hub(core_address: str, db: asyncpg.Pool) -> AsyncIterator[HubClient]:
    async with HubClient(core_address) as client:
        yield client
