"""Credentials wire shapes and parsing (facade/credentials/schemas.py, HUB-DIGEST §1.4, §2.1-2.2): no I/O."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from facade.credentials.schemas import (
    BusinessDetails,
    Credentials,
    CredentialsRole,
    Endpoint,
    VersionDetails,
    parse_credentials,
    version_list,
)
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus

VALID: dict[str, Any] = {
    "token": "ebf3b399-779f-4497-9b9d-ac6ad3cc44d2",
    "url": "https://ocpi.example.com/versions",
    "roles": [
        {
            "role": "CPO",
            "business_details": {
                "name": "Example Operator",
                "website": "https://example.com",
                "logo": {
                    "url": "https://example.com/logo.png",
                    "category": "OPERATOR",
                    "type": "png",
                    "width": 512,
                    "height": 512,
                },
            },
            "party_id": "EXA",
            "country_code": "NL",
        },
        {"role": "EMSP", "business_details": {"name": "Example MSP"}, "party_id": "EXM", "country_code": "NL"},
    ],
}


def body(mutate: Callable[[dict[str, Any]], None] | None = None) -> bytes:
    data = copy.deepcopy(VALID)
    if mutate:
        mutate(data)
    return json.dumps(data).encode()


def parse_error(raw: bytes) -> OcpiError:
    with pytest.raises(OcpiError) as excinfo:
        parse_credentials(raw)
    return excinfo.value


# Valid bodies


def test_valid_body_gives_credentials() -> None:
    credentials = parse_credentials(body())

    assert isinstance(credentials, Credentials)
    assert credentials.token == VALID["token"]
    assert credentials.url == "https://ocpi.example.com/versions"
    assert [(r.role, r.country_code, r.party_id) for r in credentials.roles] == [
        ("CPO", "NL", "EXA"),
        ("EMSP", "NL", "EXM"),
    ]
    first = credentials.roles[0]
    assert isinstance(first, CredentialsRole)
    assert isinstance(first.business_details, BusinessDetails)
    assert first.business_details.name == "Example Operator"
    assert first.business_details.logo is not None
    assert first.business_details.logo.category == "OPERATOR"
    assert credentials.roles[1].business_details.website is None
    assert credentials.roles[1].business_details.logo is None


def test_minimal_body_is_accepted() -> None:
    raw = json.dumps(
        {
            "token": "t",
            "url": "https://x/v",
            "roles": [{"role": "HUB", "business_details": {"name": "H"}, "party_id": "H", "country_code": "DE"}],
        }
    ).encode()

    assert parse_credentials(raw).roles[0].role == "HUB"


@pytest.mark.parametrize("role", ["CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"])
def test_every_ocpi_role_is_accepted(role: str) -> None:
    def set_role(data: dict[str, Any]) -> None:
        data["roles"][0]["role"] = role

    assert parse_credentials(body(set_role)).roles[0].role == role


def test_unknown_fields_are_ignored() -> None:
    def add_extras(data: dict[str, Any]) -> None:
        data["hub_party_id"] = "x"
        data["roles"][0]["extra"] = 1
        data["roles"][0]["business_details"]["extra"] = True

    assert parse_credentials(body(add_extras)).token == VALID["token"]


def test_optional_fields_may_be_null() -> None:
    def nulls(data: dict[str, Any]) -> None:
        data["roles"][0]["business_details"]["website"] = None
        data["roles"][0]["business_details"]["logo"] = None

    assert parse_credentials(body(nulls)).roles[0].business_details.website is None


def test_64_character_printable_token_is_accepted() -> None:
    token = "".join(chr(c) for c in range(0x21, 0x7F))[:64]

    def set_token(data: dict[str, Any]) -> None:
        data["token"] = token

    assert parse_credentials(body(set_token)).token == token


def test_255_character_url_is_accepted() -> None:
    url = "https://ocpi.example.com/" + "v" * (255 - len("https://ocpi.example.com/"))

    def set_url(data: dict[str, Any]) -> None:
        data["url"] = url

    assert parse_credentials(body(set_url)).url == url


# Not JSON: HTTP 400


@pytest.mark.parametrize("raw", [b"{", b"", b"not json", b'{"token": "x",}', b"\xe9\xe9", b"{'token': 'x'}"])
def test_malformed_json_is_http_400(raw: bytes) -> None:
    error = parse_error(raw)

    assert error.http_status == HTTP_400_BAD_REQUEST
    assert error.status == OcpiStatus.CLIENT_ERROR
    assert "JSON" in error.message


def test_json_nested_too_deeply_is_http_400() -> None:
    # Found by tests/fuzz: json.loads raises RecursionError (not a ValueError) past Python's recursion limit.
    error = parse_error(b"[" * 100_000 + b"]" * 100_000)

    assert error.http_status == HTTP_400_BAD_REQUEST
    assert error.message == "request body is nested too deeply"


# JSON of the wrong shape: HTTP 200 + OCPI 2001 naming the field


def _delete(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _set(value: Any, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_delete("url"), "url"),
        (_delete("token"), "token"),
        (_delete("roles"), "roles"),
        (_set("a b", "token"), "token"),
        (_set("x" * 65, "token"), "token"),
        (_set("", "token"), "token"),
        (_set("tokén", "token"), "token"),
        (_set(123, "token"), "token"),
        (_set("", "url"), "url"),
        (_set("https://example.com/" + "x" * 240, "url"), "url"),
        (_set([], "roles"), "roles"),
        (_set(None, "roles"), "roles"),
        (_set({"role": "CPO"}, "roles"), "roles"),
        (_set("ABCD", "roles", 0, "party_id"), "party_id"),
        (_set("", "roles", 0, "party_id"), "party_id"),
        (_set("VNM", "roles", 0, "country_code"), "country_code"),
        (_set("N", "roles", 0, "country_code"), "country_code"),
        (_set("FOO", "roles", 0, "role"), "role"),
        (_set("cpo", "roles", 0, "role"), "role"),
        (_set({}, "roles", 1, "business_details"), "business_details"),
        (_set("", "roles", 0, "business_details", "name"), "name"),
        (_set("x" * 101, "roles", 0, "business_details", "name"), "name"),
        (_delete("roles", 0, "business_details"), "business_details"),
        (_set("SVG", "roles", 0, "business_details", "logo", "category"), "category"),
    ],
    ids=[
        "missing-url",
        "missing-token",
        "missing-roles",
        "token-with-space",
        "token-65-chars",
        "token-empty",
        "token-non-ascii",
        "token-not-a-string",
        "url-empty",
        "url-over-255",
        "roles-empty",
        "roles-null",
        "roles-not-a-list",
        "party-id-4-chars",
        "party-id-empty",
        "country-code-3-chars",
        "country-code-1-char",
        "role-unknown",
        "role-lowercase",
        "business-details-without-name",
        "name-empty",
        "name-101-chars",
        "business-details-missing",
        "logo-category-unknown",
    ],
)
def test_wrong_shape_is_2001_naming_the_field(mutate: Callable[[dict[str, Any]], None], field: str) -> None:
    error = parse_error(body(mutate))

    assert error.status == OcpiStatus.INVALID_PARAMETERS
    assert int(error.status) == 2001
    assert error.http_status == HTTP_200_OK
    assert field in error.message


def test_error_message_gives_the_json_path_of_a_nested_field() -> None:
    error = parse_error(body(_set("ABCD", "roles", 1, "party_id")))

    assert "roles[1].party_id" in error.message


@pytest.mark.parametrize("raw", [b"null", b"[]", b'"credentials"', b"42", b"true"])
def test_json_that_is_not_an_object_is_2001(raw: bytes) -> None:
    error = parse_error(raw)

    assert error.status == OcpiStatus.INVALID_PARAMETERS
    assert error.http_status == HTTP_200_OK


# version_list


def test_version_list_maps_versions_to_urls() -> None:
    data = [
        {"version": "2.1.1", "url": "https://ocpi.example.com/2.1.1"},
        {"version": "2.2.1", "url": "https://ocpi.example.com/2.2.1"},
    ]

    assert version_list(data) == {
        "2.1.1": "https://ocpi.example.com/2.1.1",
        "2.2.1": "https://ocpi.example.com/2.2.1",
    }


def test_version_list_skips_junk_entries() -> None:
    data = [
        None,
        42,
        "2.2.1",
        ["2.2.1", "https://x"],
        {"version": 2.2, "url": "https://x/2.2"},
        {"version": "2.1.1"},
        {"url": "https://x/none"},
        {"version": "2.2", "url": None},
        {"version": "2.2.1", "url": "https://x/2.2.1", "extra": True},
    ]

    assert version_list(data) == {"2.2.1": "https://x/2.2.1"}


@pytest.mark.parametrize("data", [None, {}, {"version": "2.2.1", "url": "https://x"}, "2.2.1", 7, []])
def test_version_list_of_something_that_is_not_a_list_is_empty(data: Any) -> None:
    assert version_list(data) == {}


# VersionDetails


def test_version_details_convert() -> None:
    data = {
        "version": "2.2.1",
        "endpoints": [
            {"identifier": "credentials", "role": "SENDER", "url": "https://x/credentials"},
            {"identifier": "locations", "role": "RECEIVER", "url": "https://x/locations", "extra": 1},
        ],
    }

    details = msgspec.convert(data, VersionDetails)

    assert details.version == "2.2.1"
    assert details.endpoints == [
        Endpoint("credentials", "SENDER", "https://x/credentials"),
        Endpoint("locations", "RECEIVER", "https://x/locations"),
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"version": "2.2.1"}, "endpoints"),
        ({"version": "2.2.1", "endpoints": []}, "endpoints"),
        ({"endpoints": [{"identifier": "credentials", "role": "SENDER", "url": "https://x"}]}, "version"),
        (
            {"version": "2.2.1", "endpoints": [{"identifier": "credentials", "role": "BOTH", "url": "https://x"}]},
            "role",
        ),
        ({"version": "2.2.1", "endpoints": [{"identifier": "", "role": "SENDER", "url": "https://x"}]}, "identifier"),
        ({"version": "2.2.1", "endpoints": [{"identifier": "cdrs", "role": "SENDER"}]}, "url"),
        ({"version": "2.2.1", "endpoints": [{"identifier": "cdrs", "role": "SENDER", "url": "x" * 256}]}, "url"),
    ],
)
def test_invalid_version_details_are_refused_naming_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(msgspec.ValidationError) as excinfo:
        msgspec.convert(data, VersionDetails)

    assert field in str(excinfo.value)
