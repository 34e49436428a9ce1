"""`python -m facade`: the OCPI HTTP facade under uvicorn (uvloop + httptools) on HUB_HTTP_PORT."""

import logging

import uvicorn

from facade.settings import Settings

settings = Settings.from_env()
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
# httpx logs every outbound request at INFO: at hundreds of deliveries a second that is most of the log (and CPU).
logging.getLogger("httpx").setLevel(logging.WARNING)
uvicorn.run(
    "facade.main:app",
    host=settings.http_host,
    port=settings.http_port,
    workers=settings.workers,
    loop="uvloop",
    http="httptools",
    # uvicorn's access log prints request lines only (never headers), so no token reaches it.
    access_log=True,
)
