"""`python -m core`: the gRPC core on HUB_GRPC_PORT."""

import asyncio
import logging

from core.server import serve
from core.settings import Settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
asyncio.run(serve(Settings.from_env()))
