"""`python -m facade`: the OCPI HTTP facade under uvicorn (uvloop + httptools) on HUB_HTTP_PORT."""

import uvicorn

from facade import logs
from facade.settings import Settings

settings = Settings.from_env()
uvicorn.run(
    "facade.main:app",
    host=settings.http_host,
    port=settings.http_port,
    workers=settings.workers,
    loop="uvloop",
    http="httptools",
    # uvicorn's access log prints request lines only (never headers), so no token reaches it.
    access_log=True,
    log_config=logs.logging_config(settings.log_format),
)
