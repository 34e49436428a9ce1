"""A CPO's own QR mapping API (seed §5.6.9 option 1) on a real HTTP server: it knows some codes, and can be slow,
down, or answer garbage on purpose."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Request, Response, post


@dataclass
class QrApiSimulator:
    api_key: str = "cpo-secret-key"
    # code → the seed's `data` object.
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    delay: float = 0.0
    fail_with: int | None = None
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    base_url: str = ""

    @property
    def url(self) -> str:
        return f"{self.base_url}/api/v1/qr-resolve"

    def app(self) -> Litestar:
        sim = self

        @post("/api/v1/qr-resolve", status_code=200)
        async def resolve(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
            body = await request.json()
            sim.received.append(({k.lower(): v for k, v in request.headers.items()}, body))
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if sim.delay:
                await asyncio.sleep(sim.delay)
            if request.headers.get("authorization") != f"Bearer {sim.api_key}":
                return Response({"status": "error", "error_code": "UNAUTHORIZED", "timestamp": now}, status_code=401)
            if sim.fail_with:
                return Response(
                    {"status": "error", "error_code": "INTERNAL", "timestamp": now}, status_code=sim.fail_with
                )
            data = sim.codes.get(body.get("qr_data", ""))
            if data is None:
                return Response(
                    {"status": "error", "error_code": "QR_NOT_FOUND", "message": "QR code not found", "timestamp": now},
                    status_code=404,
                )
            return Response({"status": "success", "data": data, "timestamp": now})

        return Litestar(route_handlers=[resolve])
