"""A lean HTTP/1.1 load generator on keep-alive connections, so the load itself costs little CPU on a 2-core machine.

httpx spends ~0.3-0.5 ms of CPU per request: at 1,500 req/s that is most of a core taken from the Hub it measures. This
client writes pre-encoded requests and reads Content-Length framed answers (what uvicorn sends), ~10x cheaper.
Closed loop: N clients back to back. Open loop: requests leave on schedule whether or not earlier ones came back.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

# Under uvicorn's keep-alive timeout (5 s): an idle connection is dropped before the server can close it under us.
IDLE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    seconds: float


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False
        self.idle_since = time.monotonic()
        self._head: tuple[int, int, int] | None = None  # status, header end, body length

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but they have the same methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self._head is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).split(b"\r\n")
            length = next(
                (int(h.split(b":", 1)[1]) for h in head[1:] if h[:15].lower() == b"content-length:"),
                None,
            )
            if length is None:
                self._fail(ConnectionError(f"answer without Content-Length: {head[0]!r}"))
                return
            self._head = (int(head[0].split()[1]), end + 4, length)
        status, start, length = self._head
        if len(self.buffer) < start + length:
            return
        body = bytes(self.buffer[start : start + length])
        del self.buffer[: start + length]
        self._head = None
        self.idle_since = time.monotonic()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, body))
        self.waiter = None

    def _fail(self, exc: Exception) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError("connection closed by the server"))


class Client:
    """Keep-alive connections to one server; each request takes an idle connection or opens one."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()

    async def _connection(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and now - conn.idle_since < IDLE_SECONDS:
                return conn
            conn._fail(ConnectionError("idle"))
            self._all.discard(conn)
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Connection, self.host, self.port)
        self._all.add(conn)
        return conn

    def encode(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
        """The request bytes; encode once and send many times where the request does not change."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        if body:
            lines.append("Content-Type: application/json")
        lines.extend(f"{k}: {v}" for k, v in (headers or {}).items())
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def send(self, raw: bytes) -> Answer:
        conn = await self._connection()
        loop = asyncio.get_running_loop()
        conn.waiter = loop.create_future()
        started = time.perf_counter()
        assert conn.transport is not None
        conn.transport.write(raw)
        try:
            status, body = await conn.waiter
        except BaseException:
            conn._fail(ConnectionError("request abandoned"))
            self._all.discard(conn)
            raise
        self._idle.append(conn)
        return Answer(status, body, time.perf_counter() - started)

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
        return await self.send(self.encode(method, path, body, headers))

    def close(self) -> None:
        for conn in self._all:
            if conn.transport is not None:
                conn.transport.close()
        self._all.clear()
        self._idle.clear()


@dataclass
class Run:
    """What a load run measured: each successful request's latency (ms), failures and the wall time."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0
    wall_seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.count / self.wall_seconds if self.wall_seconds else math.nan

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# A call does one request and says whether it succeeded, with its latency in seconds.
Call = Callable[[int], Awaitable[tuple[bool, float]]]


async def closed_loop(call: Call, *, count: int, concurrency: int, seconds: float) -> Run:
    """`concurrency` clients back to back until `count` requests are done or `seconds` have passed."""
    run, numbers = Run(), iter(range(count))
    deadline = time.monotonic() + seconds

    async def client() -> None:
        for n in numbers:
            if time.monotonic() > deadline:
                return
            ok, latency = await call(n)
            if ok:
                run.latencies_ms.append(latency * 1000)
            else:
                run.failures += 1

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(client() for _ in range(concurrency))), seconds + 30)
    run.wall_seconds = time.monotonic() - started
    return run


async def open_loop(call: Call, *, rate: float, seconds: float) -> Run:
    """`rate` requests a second for `seconds`, each sent on schedule (latency includes any queueing at the server)."""
    run, tasks = Run(), []

    async def one(n: int) -> None:
        try:
            ok, latency = await call(n)
        except (OSError, ConnectionError):
            ok, latency = False, 0.0
        if ok:
            run.latencies_ms.append(latency * 1000)
        else:
            run.failures += 1

    started = time.monotonic()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    run.wall_seconds = time.monotonic() - started
    return run
