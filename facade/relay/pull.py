"""What every GET list on a Sender interface shares (GET All via the Hub, HUB-DIGEST §1.5 and §1.9): the page the
client asks for, turned into the core's list request, and the page it gets back with its pagination headers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from litestar import Request, Response

from facade.ocpi import routing_headers as rh
from facade.ocpi.auth import Caller
from facade.ocpi.envelope import ocpi_response
from facade.ocpi.pagination import Page, page_headers, read_page
from facade.ocpi.rendered import RENDERED
from facade.relay.push import hub_party


class ListQuery(Protocol):
    skip: int
    page_size: int
    country_code: str
    party_id: str

    @property
    def last_updated_from(self) -> Timestamp: ...

    @property
    def last_updated_to(self) -> Timestamp: ...


Query = TypeVar("Query", bound=ListQuery)


def read_pull(request: Request[Any, Any, Any], caller: Caller, query: Query) -> tuple[Query, Page]:
    """Fills `query` from the OCPI page; OCPI-to naming another party limits GET All to that party's objects."""
    settings = request.app.state.settings
    routing = rh.read_routing(request, caller, hub_party(settings), default_sender=None)
    page = read_page(request, settings.page_limit)
    query.skip, query.page_size = page.offset, page.limit
    if page.date_from:
        query.last_updated_from.FromDatetime(page.date_from)
    if page.date_to:
        query.last_updated_to.FromDatetime(page.date_to)
    # A pull addressed to the caller itself is addressed to the Hub (README, compatibility notes): the reference
    # ocpi-tool names its own party in OCPI-to-* as well as OCPI-from-*, and would otherwise see nothing.
    if routing.scenario is rh.Scenario.DIRECT and routing.to and routing.to != routing.sender:
        # The Hub holds everything that party broadcast: served from the store, no round trip to it.
        query.country_code, query.party_id = routing.to.country_code, routing.to.party_id
    return query, page


def page_response(
    request: Request[Any, Any, Any], module: str, page: Page, objects: Sequence[Message], total: int
) -> Response[bytes]:
    settings = request.app.state.settings
    base = f"{settings.public_url}/ocpi/2.2.1/sender/{module}"
    headers = page_headers(base, page, len(objects), total, settings.page_limit)
    return ocpi_response([RENDERED.render(item) for item in objects], headers=headers)
