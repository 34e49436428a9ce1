"""Versions module: the version list and the 2.2.1 details, listing only the modules this Hub implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Router, get
from litestar.di import NamedDependency, Provide

from facade.ocpi.auth import Caller, authenticate
from facade.ocpi.envelope import envelope

OCPI_VERSION = "2.2.1"


@dataclass(frozen=True, slots=True)
class ModuleEndpoint:
    identifier: str
    role: str  # "SENDER" | "RECEIVER"
    path: str  # below /ocpi/2.2.1/


# The modules the Hub serves. A module joins this list in the same change that implements it.
IMPLEMENTED_MODULES: tuple[ModuleEndpoint, ...] = (
    # The spec advises publishing credentials as SENDER (its role has no meaning for this module).
    ModuleEndpoint("cdrs", "SENDER", "sender/cdrs"),
    ModuleEndpoint("cdrs", "RECEIVER", "receiver/cdrs"),
    ModuleEndpoint("chargingprofiles", "SENDER", "sender/chargingprofiles"),
    ModuleEndpoint("chargingprofiles", "RECEIVER", "receiver/chargingprofiles"),
    ModuleEndpoint("commands", "SENDER", "sender/commands"),
    ModuleEndpoint("commands", "RECEIVER", "receiver/commands"),
    ModuleEndpoint("credentials", "SENDER", "credentials"),
    ModuleEndpoint("hubclientinfo", "SENDER", "hubclientinfo"),
    ModuleEndpoint("locations", "SENDER", "sender/locations"),
    ModuleEndpoint("locations", "RECEIVER", "receiver/locations"),
    ModuleEndpoint("sessions", "SENDER", "sender/sessions"),
    ModuleEndpoint("sessions", "RECEIVER", "receiver/sessions"),
    ModuleEndpoint("tariffs", "SENDER", "sender/tariffs"),
    ModuleEndpoint("tariffs", "RECEIVER", "receiver/tariffs"),
    ModuleEndpoint("tokens", "SENDER", "sender/tokens"),
    ModuleEndpoint("tokens", "RECEIVER", "receiver/tokens"),
)


def versions_url(public_url: str) -> str:
    return f"{public_url}/ocpi/versions"


def version_details_url(public_url: str) -> str:
    return f"{public_url}/ocpi/{OCPI_VERSION}"


@get("/versions", dependencies={"caller": Provide(authenticate)})
async def list_versions(request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> dict[str, Any]:
    public_url = request.app.state.settings.public_url
    return envelope([{"version": OCPI_VERSION, "url": version_details_url(public_url)}])


@get(f"/{OCPI_VERSION}", dependencies={"caller": Provide(authenticate)})
async def version_details(request: Request[Any, Any, Any], caller: NamedDependency[Caller]) -> dict[str, Any]:
    base = version_details_url(request.app.state.settings.public_url)
    endpoints = [
        {"identifier": module.identifier, "role": module.role, "url": f"{base}/{module.path}"}
        for module in IMPLEMENTED_MODULES
    ]
    return envelope({"version": OCPI_VERSION, "endpoints": endpoints})


versions_router = Router(path="/", route_handlers=[list_versions, version_details])
