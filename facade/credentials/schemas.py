"""Wire shapes of the credentials module (OCPI 2.2.1 credentials.asciidoc), and parsing with field-named errors."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import msgspec
from litestar.status_codes import HTTP_400_BAD_REQUEST

from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus

Role = Literal["CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class Image(msgspec.Struct):
    url: Url
    category: Literal["CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER"]
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=4)]
    thumbnail: Url | None = None
    width: Annotated[int, msgspec.Meta(ge=0, le=99999)] | None = None
    height: Annotated[int, msgspec.Meta(ge=0, le=99999)] | None = None


class BusinessDetails(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    website: Url | None = None
    logo: Image | None = None


class CredentialsRole(msgspec.Struct):
    role: Role
    business_details: BusinessDetails
    party_id: Annotated[str, msgspec.Meta(min_length=1, max_length=3)]
    country_code: Annotated[str, msgspec.Meta(min_length=2, max_length=2)]


class Credentials(msgspec.Struct):
    # Printable, non-whitespace ASCII: the token is never encoded in the body.
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
    url: Url
    roles: Annotated[list[CredentialsRole], msgspec.Meta(min_length=1)]


def parse_credentials(body: bytes) -> Credentials:
    """Bad JSON → HTTP 400; JSON of the wrong shape → OCPI 2001 naming the field (HUB-DIGEST §1.4)."""
    try:
        data: Any = json.loads(body)
    except ValueError as exc:
        raise OcpiError(
            OcpiStatus.CLIENT_ERROR, f"request body is not valid JSON: {exc}", HTTP_400_BAD_REQUEST
        ) from None
    except RecursionError:
        raise OcpiError(OcpiStatus.CLIENT_ERROR, "request body is nested too deeply", HTTP_400_BAD_REQUEST) from None
    try:
        return msgspec.convert(data, Credentials)
    except msgspec.ValidationError as exc:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"invalid credentials: {exc}") from None


def version_list(data: Any) -> dict[str, str]:
    """`{version: url}` from a versions endpoint's data, skipping entries that are not Version objects."""
    if not isinstance(data, list):
        return {}
    return {
        str(item["version"]): str(item["url"])
        for item in data
        if isinstance(item, dict) and isinstance(item.get("version"), str) and isinstance(item.get("url"), str)
    }


class Endpoint(msgspec.Struct):
    identifier: Annotated[str, msgspec.Meta(min_length=1)]
    role: Literal["SENDER", "RECEIVER"]
    url: Url


class VersionDetails(msgspec.Struct):
    version: str
    endpoints: Annotated[list[Endpoint], msgspec.Meta(min_length=1)]
