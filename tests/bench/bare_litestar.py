"""The framework's ceiling on this machine: a bare Litestar handler that answers an EVSE PATCH with the Hub's own
success envelope, nothing else (served by uvicorn in its own process like the facade: uvloop, httptools, 1 worker)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, patch, put

from facade.ocpi.envelope import ocpi_response

PATH = "/ocpi/2.2.1/receiver/locations/{country_code:str}/{party_id:str}/{location_id:str}"


@patch([PATH, PATH + "/{evse_uid:str}"], status_code=200)
async def patch_object(request: Request[Any, Any, Any]) -> Response[bytes]:
    await request.body()
    return ocpi_response()


@put(PATH, status_code=200)
async def put_location(request: Request[Any, Any, Any]) -> Response[bytes]:
    await request.body()
    return ocpi_response()


app = Litestar(route_handlers=[patch_object, put_location])
