from __future__ import annotations

import httpx

from tests.e2e.conftest import Hub


async def test_health_is_liveness_only(hub_http: Hub) -> None:
    response = await hub_http.http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_facade_core_database_and_redis(hub_http: Hub) -> None:
    response = await hub_http.http.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "facade": True, "core": True, "database": True, "redis": True}


async def test_openapi_document_is_served_without_external_assets(hub_http: Hub) -> None:
    response = await hub_http.http.get("/openapi/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert {"/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials", "/health", "/ready"} <= set(document["paths"])
    assert "cdn" not in response.text.lower()


async def test_ready_says_unready_when_the_core_is_gone(core_address: str) -> None:
    import socket

    from facade.app import create_app
    from facade.settings import Settings
    from simulators import loopback

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_core = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    async with loopback.serve(create_app(Settings(core_address=dead_core))) as url, httpx.AsyncClient() as http:
        live = await http.get(f"{url}/health")
        response = await http.get(f"{url}/ready")
    assert live.status_code == 200  # the facade itself is alive: restarting it would not bring the core back
    assert response.status_code == 503
    assert response.json() == {"status": "unready", "facade": True, "core": False, "database": False}
