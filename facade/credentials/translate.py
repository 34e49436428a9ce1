"""Between credentials JSON and the core's ocpihub.parties.v1 messages."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from facade.credentials.handshake import Discovery
from facade.credentials.schemas import Credentials
from facade.settings import Settings
from facade.versions.routes import versions_url
from ocpihub.parties.v1 import parties_pb2 as pb


def platform_pb(credentials: Credentials, discovery: Discovery | None) -> pb.Platform:
    """The platform as the party describes it; endpoints only once they were discovered."""
    roles = []
    for role in credentials.roles:
        details = role.business_details
        roles.append(
            pb.CredentialsRole(
                role=pb.Role.Value(f"ROLE_{role.role}"),
                country_code=role.country_code,
                party_id=role.party_id,
                business_details=pb.BusinessDetails(
                    name=details.name,
                    website=details.website or "",
                    logo_json=json.dumps(msgspec.to_builtins(details.logo)) if details.logo else "",
                ),
            )
        )
    platform = pb.Platform(versions_url=credentials.url, roles=roles)
    if discovery:
        platform.version = discovery.version
        platform.encode_auth_token = discovery.encode_auth_token
        platform.endpoints.extend(
            pb.Endpoint(identifier=e.identifier, role=pb.InterfaceRole.Value(f"INTERFACE_ROLE_{e.role}"), url=e.url)
            for e in discovery.endpoints
        )
    return platform


def hub_credentials(settings: Settings, token: str) -> dict[str, Any]:
    """The Hub's credentials object: one role, HUB (the parties behind it are announced via HubClientInfo)."""
    business_details: dict[str, Any] = {"name": settings.hub_name}
    if settings.hub_website:
        business_details["website"] = settings.hub_website
    return {
        "token": token,
        "url": versions_url(settings.public_url),
        "roles": [
            {
                "role": "HUB",
                "business_details": business_details,
                "party_id": settings.hub_party_id,
                "country_code": settings.hub_country_code,
            }
        ],
    }
