"""`python -m core.migrate`: apply the database migrations and exit (a deployment's migration job).

Every core also migrates at start (under an advisory lock, so replicas never race); running this first lets a rollout
fail on a bad migration before any new replica takes traffic.
"""

import asyncio
import logging
import os

from core import db


async def main() -> None:
    database_url = os.environ.get("HUB_DATABASE_URL")
    if not database_url:
        raise SystemExit("HUB_DATABASE_URL is not set")
    pool = await db.create_pool(database_url, max_size=1)
    try:
        version = await db.migrate(pool)
    finally:
        await pool.close()
    logging.getLogger("core.migrate").info("database schema at version %d", version)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(main())
