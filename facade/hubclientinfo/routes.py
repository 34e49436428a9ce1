"""HubClientInfo module (configuration module, no routing headers): the connection status of every party the Hub
knows, paginated (HUB-DIGEST §3.8). The core pushes status changes to the platforms (core/parties/client_info.py);
this GET is for start-up and resync."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide

from facade.ocpi.auth import Caller, authenticate_registered
from facade.ocpi.datetime import ocpi_datetime
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.errors import from_hub_error
from facade.ocpi.pagination import page_headers, read_page
from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb

# OCPI ConnectionStatus of each party state: invited parties are PLANNED; a party that left is SUSPENDED.
# Keep in step with core/parties/client_info.py, which builds the pushed ClientInfo.
STATUS = {
    pb.PARTY_STATE_INVITED: "PLANNED",
    pb.PARTY_STATE_REGISTERED: "CONNECTED",
    pb.PARTY_STATE_OFFLINE: "OFFLINE",
    pb.PARTY_STATE_SUSPENDED: "SUSPENDED",
    pb.PARTY_STATE_UNREGISTERED: "SUSPENDED",
    pb.PARTY_STATE_REVOKED: "SUSPENDED",
}


def client_info(party: pb.Party) -> dict[str, Any]:
    return {
        "party_id": party.party_id,
        "country_code": party.country_code,
        "role": pb.Role.Name(party.role).removeprefix("ROLE_"),
        "status": STATUS.get(party.state, "OFFLINE"),
        "last_updated": ocpi_datetime(party.update_time.ToDatetime(tzinfo=UTC)),
    }


class HubClientInfoController(Controller):
    path = "/2.2.1/hubclientinfo"
    dependencies = {"caller": Provide(authenticate_registered)}  # noqa: RUF012 — Litestar reads it from the class

    @get("/")
    async def list_client_info(
        self, request: Request[Any, Any, Any], caller: NamedDependency[Caller]
    ) -> Response[bytes]:
        settings = request.app.state.settings
        page = read_page(request, settings.page_limit)
        hub: HubClient = request.app.state.hub
        try:
            infos = [client_info(p) async for p in hub.list_parties()]
        except HubError as exc:
            raise from_hub_error(exc) from None
        if page.date_from or page.date_to:
            infos = [
                i
                for i in infos
                if (not page.date_from or i["last_updated"] >= ocpi_datetime(page.date_from))
                and (not page.date_to or i["last_updated"] < ocpi_datetime(page.date_to))
            ]
        chosen = infos[page.offset : page.offset + page.limit]
        base = f"{settings.public_url}/ocpi/2.2.1/hubclientinfo"
        return ocpi_response(chosen, headers=page_headers(base, page, len(chosen), len(infos), settings.page_limit))
