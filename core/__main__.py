"""`python -m core`: the gRPC core on HUB_GRPC_PORT."""

import uvloop

from core import logs
from core.server import serve
from core.settings import Settings, log_format

logs.configure(log_format())
uvloop.run(serve(Settings.from_env()))
