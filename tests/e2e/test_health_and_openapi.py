from __future__ import annotations

from tests.e2e.conftest import Hub


async def test_health_reports_facade_core_and_database(hub_http: Hub) -> None:
    response = await hub_http.http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "facade": True, "core": True, "database": True}


async def test_openapi_document_is_served_without_external_assets(hub_http: Hub) -> None:
    response = await hub_http.http.get("/openapi/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert {"/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials", "/health"} <= set(document["paths"])
    assert "cdn" not in response.text.lower()
