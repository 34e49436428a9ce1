"""What the Hub does with a party's credentials before answering POST/PUT (HUB-DIGEST §2.4 step 4):
GET the party's versions and 2.2.1 details with TOKEN_B and keep its endpoints.

Failures map to 3001 (cannot use the party's API), 3002 (no 2.2.1) and 3003 (required endpoints missing).
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from facade.credentials.schemas import Endpoint, VersionDetails, version_list
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from facade.peers.client import PeerCallError, PeerClient
from facade.peers.url_policy import UrlNotAllowed, check_url
from facade.versions.routes import OCPI_VERSION

FUNCTIONAL_MODULES = frozenset({"cdrs", "chargingprofiles", "commands", "locations", "sessions", "tariffs", "tokens"})


@dataclass(frozen=True, slots=True)
class Discovery:
    version: str
    endpoints: list[Endpoint]
    encode_auth_token: bool


def check_party_url(url: str, *, sandbox: bool) -> None:
    try:
        check_url(url, sandbox=sandbox)
    except UrlNotAllowed as exc:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"url: {exc}") from None


async def discover(
    peers: PeerClient, versions_url: str, token_b: str, *, sandbox: bool, correlation_id: str
) -> Discovery:
    try:
        versions = await peers.get(versions_url, token_b, sandbox=sandbox, correlation_id=correlation_id)
    except (PeerCallError, UrlNotAllowed) as exc:
        raise OcpiError(OcpiStatus.UNABLE_TO_USE_CLIENT_API, f"cannot use your versions endpoint: {exc}") from None
    offered = version_list(versions.data)
    if OCPI_VERSION not in offered:
        raise OcpiError(
            OcpiStatus.UNSUPPORTED_VERSION,
            f"your versions endpoint offers {sorted(offered) or 'no version'}; the Hub speaks {OCPI_VERSION} only",
        )
    details_url = offered[OCPI_VERSION]
    try:
        response = await peers.get(
            details_url, token_b, sandbox=sandbox, encode=versions.encoded_token, correlation_id=correlation_id
        )
        details = msgspec.convert(response.data, VersionDetails)
    except (PeerCallError, UrlNotAllowed) as exc:
        raise OcpiError(OcpiStatus.UNABLE_TO_USE_CLIENT_API, f"cannot use your version details: {exc}") from None
    except msgspec.ValidationError as exc:
        raise OcpiError(
            OcpiStatus.UNABLE_TO_USE_CLIENT_API, f"your version details at {details_url} are not valid: {exc}"
        ) from None
    if details.version != OCPI_VERSION:
        raise OcpiError(
            OcpiStatus.UNSUPPORTED_VERSION, f"{details_url} describes version {details.version}, not {OCPI_VERSION}"
        )
    _check_endpoints(details.endpoints, sandbox=sandbox)
    return Discovery(OCPI_VERSION, details.endpoints, versions.encoded_token)


def _check_endpoints(endpoints: list[Endpoint], *, sandbox: bool) -> None:
    modules = {endpoint.identifier for endpoint in endpoints}
    if "credentials" not in modules:
        raise OcpiError(OcpiStatus.NO_MATCHING_ENDPOINTS, "your version details list no credentials endpoint")
    if not modules & FUNCTIONAL_MODULES:
        raise OcpiError(
            OcpiStatus.NO_MATCHING_ENDPOINTS,
            f"your version details list no functional module (one of {', '.join(sorted(FUNCTIONAL_MODULES))})",
        )
    for endpoint in endpoints:
        try:
            check_url(endpoint.url, sandbox=sandbox)
        except UrlNotAllowed as exc:
            raise OcpiError(
                OcpiStatus.UNABLE_TO_USE_CLIENT_API, f"endpoint {endpoint.identifier} {endpoint.role}: {exc}"
            ) from None
