"""`python -m core`: the gRPC core on HUB_GRPC_PORT."""

import logging

import uvloop

from core.server import serve
from core.settings import Settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
uvloop.run(serve(Settings.from_env()))
