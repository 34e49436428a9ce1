"""Debian's nginx as a reverse proxy on loopback, round-robin over facade replicas (the scale-out tests)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def config(port: int, upstreams: list[int], prefix: Path) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstreams)
    return textwrap.dedent(
        f"""\
        worker_processes 1;
        pid {prefix}/nginx.pid;
        error_log {prefix}/error.log warn;
        events {{ worker_connections 512; }}
        http {{
            access_log off;
            client_body_temp_path {prefix}/body;
            proxy_temp_path {prefix}/proxy;
            fastcgi_temp_path {prefix}/fastcgi;
            uwsgi_temp_path {prefix}/uwsgi;
            scgi_temp_path {prefix}/scgi;
            upstream hub {{
        {servers}
                keepalive 32;
            }}
            server {{
                listen 127.0.0.1:{port};
                location / {{
                    proxy_pass http://hub;
                    proxy_set_header Host $host:$server_port;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_next_upstream off;
                }}
            }}
        }}
        """
    )


def _workdir() -> Path:
    """nginx's pid, log and temp files; its workers may run as another user."""
    prefix = Path(tempfile.mkdtemp(prefix="nginx"))
    prefix.chmod(0o777)
    return prefix


@contextlib.asynccontextmanager
async def nginx(port: int, upstreams: list[int]) -> AsyncIterator[str]:
    """Serves http://127.0.0.1:{port} in front of the upstream ports until the block ends; yields its URL."""
    prefix = _workdir()
    await asyncio.to_thread((prefix / "nginx.conf").write_text, config(port, upstreams, prefix))
    process = await asyncio.create_subprocess_exec(
        NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    await http.get(f"{url}/health")
                    break
                assert process.returncode is None, "nginx did not start (is it installed? make test installs it)"
                await asyncio.sleep(0.05)
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        shutil.rmtree(prefix, ignore_errors=True)
