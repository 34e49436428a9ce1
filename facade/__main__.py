"""`python -m facade`: the OCPI HTTP facade under uvicorn (uvloop + httptools) on HUB_HTTP_PORT; HTTPS if configured."""

import logging
import ssl

import uvicorn

from facade import logs, tls
from facade.settings import Settings

settings = Settings.from_env()
files = tls.certificate_files(settings)
if files is not None:
    # Load once here so a missing or mismatched certificate stops the start with one line, not a worker traceback.
    try:
        tls.server_context(*files)
    except (OSError, ssl.SSLError) as error:
        raise SystemExit(f"cannot serve HTTPS with certificate {files[0]} and key {files[1]}: {error}") from error
    logging.getLogger("facade").info("serving HTTPS (TLS 1.2+) with certificate %s", files[0])
uvicorn.run(
    "facade.main:app",
    host=settings.http_host,
    port=settings.http_port,
    workers=settings.workers,
    loop="uvloop",
    http="httptools",
    # uvicorn's access log prints request lines only (never headers), so no token reaches it.
    access_log=True,
    ssl_certfile=files[0] if files else None,
    ssl_keyfile=files[1] if files else None,
    ssl_context_factory=tls.uvicorn_ssl_context if files else None,
    log_config=logs.logging_config(settings.log_format),
)
