"""Run any ASGI app as a real HTTP server on 127.0.0.1 (a free port), inside the test's event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from litestar.types import ASGIApp

from facade import tls


def bind_loopback(port: int = 0) -> socket.socket:
    """127.0.0.1:`port` (0: a free port)."""
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and accepted sockets
    # copy it. With proto 0, Nagle and delayed ACKs held every response ~40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def free_port() -> int:
    """A port free right now on 127.0.0.1, for servers started as separate processes (they bind it themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def url_of(sock: socket.socket, scheme: str = "http") -> str:
    host, port = sock.getsockname()
    return f"{scheme}://{host}:{port}"


@asynccontextmanager
async def serve(
    app: ASGIApp, sock: socket.socket | None = None, *, tls_files: tuple[Path, Path] | None = None
) -> AsyncIterator[str]:
    """Serves `app` until the block ends (HTTPS as `python -m facade` serves it, given a certificate and key);
    yields its base URL."""
    sock = sock or bind_loopback()
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        ssl_certfile=tls_files[0] if tls_files else None,
        ssl_keyfile=tls_files[1] if tls_files else None,
        ssl_context_factory=tls.uvicorn_ssl_context if tls_files else None,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield url_of(sock, "https" if tls_files else "http")
    finally:
        server.should_exit = True
        await task
        sock.close()
