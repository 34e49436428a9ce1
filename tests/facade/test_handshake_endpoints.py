"""What the Hub requires of a party's version details (facade/credentials/handshake.py, HUB-DIGEST §1.4, §2.4).

Only the pure checks: _check_endpoints and check_party_url; no peer is called.
"""

from __future__ import annotations

from typing import Literal

import pytest
from litestar.status_codes import HTTP_200_OK

from facade.credentials.handshake import FUNCTIONAL_MODULES, _check_endpoints, check_party_url
from facade.credentials.schemas import Endpoint
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus

BASE = "https://ocpi.example.com/ocpi/2.2.1"


def endpoint(identifier: str, role: Literal["SENDER", "RECEIVER"] = "RECEIVER", url: str | None = None) -> Endpoint:
    return Endpoint(identifier=identifier, role=role, url=url or f"{BASE}/{identifier}")


def ok_set() -> list[Endpoint]:
    return [
        endpoint("credentials", "SENDER"),
        endpoint("locations", "RECEIVER"),
        endpoint("locations", "SENDER"),
        endpoint("hubclientinfo", "RECEIVER"),
    ]


def check_error(endpoints: list[Endpoint], *, sandbox: bool) -> OcpiError:
    with pytest.raises(OcpiError) as excinfo:
        _check_endpoints(endpoints, sandbox=sandbox)
    return excinfo.value


@pytest.mark.parametrize("sandbox", [True, False])
def test_ok_set_passes(sandbox: bool) -> None:
    _check_endpoints(ok_set(), sandbox=sandbox)


@pytest.mark.parametrize("module", sorted(FUNCTIONAL_MODULES))
def test_credentials_and_any_one_functional_module_pass(module: str) -> None:
    _check_endpoints([endpoint("credentials", "SENDER"), endpoint(module, "SENDER")], sandbox=False)


def test_credentials_role_is_irrelevant() -> None:
    _check_endpoints([endpoint("credentials", "RECEIVER"), endpoint("tokens", "RECEIVER")], sandbox=False)


def test_sandbox_accepts_loopback_http_endpoints() -> None:
    endpoints = [
        endpoint("credentials", "SENDER", "http://127.0.0.1:9001/ocpi/2.2.1/credentials"),
        endpoint("sessions", "RECEIVER", "http://localhost:9001/ocpi/2.2.1/sessions"),
    ]

    _check_endpoints(endpoints, sandbox=True)


@pytest.mark.parametrize("sandbox", [True, False])
def test_missing_credentials_is_3003(sandbox: bool) -> None:
    endpoints = [e for e in ok_set() if e.identifier != "credentials"]

    error = check_error(endpoints, sandbox=sandbox)

    assert error.status == OcpiStatus.NO_MATCHING_ENDPOINTS
    assert int(error.status) == 3003
    assert error.http_status == HTTP_200_OK
    assert "credentials" in error.message


@pytest.mark.parametrize(
    "endpoints",
    [
        [endpoint("credentials", "SENDER")],
        [endpoint("credentials", "SENDER"), endpoint("hubclientinfo", "RECEIVER")],
        [endpoint("credentials", "SENDER"), endpoint("nltnm-tokens", "RECEIVER")],
    ],
    ids=["only-credentials", "credentials-and-hubclientinfo", "credentials-and-custom-module"],
)
def test_no_functional_module_is_3003(endpoints: list[Endpoint]) -> None:
    error = check_error(endpoints, sandbox=False)

    assert error.status == OcpiStatus.NO_MATCHING_ENDPOINTS
    assert error.http_status == HTTP_200_OK
    assert "functional module" in error.message
    assert "locations" in error.message


def test_internal_endpoint_in_production_is_3001_naming_the_endpoint() -> None:
    endpoints = [*ok_set(), endpoint("cdrs", "RECEIVER", "http://10.0.0.1/ocpi/2.2.1/cdrs")]

    error = check_error(endpoints, sandbox=False)

    assert error.status == OcpiStatus.UNABLE_TO_USE_CLIENT_API
    assert int(error.status) == 3001
    assert error.http_status == HTTP_200_OK
    assert "cdrs" in error.message
    assert "RECEIVER" in error.message
    assert "10.0.0.1" in error.message


@pytest.mark.parametrize(
    "url",
    [
        "http://ocpi.example.com/ocpi/2.2.1/tariffs",
        "https://192.168.1.1/ocpi/2.2.1/tariffs",
        "https://localhost/ocpi/2.2.1/tariffs",
        "https://user:pw@ocpi.example.com/ocpi/2.2.1/tariffs",
    ],
)
def test_endpoint_refused_by_the_url_policy_in_production_is_3001(url: str) -> None:
    error = check_error([*ok_set(), endpoint("tariffs", "SENDER", url)], sandbox=False)

    assert error.status == OcpiStatus.UNABLE_TO_USE_CLIENT_API


def test_http_endpoint_off_loopback_in_sandbox_is_3001() -> None:
    error = check_error([*ok_set(), endpoint("tokens", "SENDER", "http://10.0.0.1/tokens")], sandbox=True)

    assert error.status == OcpiStatus.UNABLE_TO_USE_CLIENT_API
    assert "tokens SENDER" in error.message


def test_missing_modules_are_reported_before_bad_urls() -> None:
    error = check_error([endpoint("locations", "SENDER", "http://10.0.0.1/locations")], sandbox=False)

    assert error.status == OcpiStatus.NO_MATCHING_ENDPOINTS


# check_party_url: the `url` of a POSTed/PUT credentials object


@pytest.mark.parametrize(
    ("url", "sandbox"),
    [("https://ocpi.example.com/versions", False), ("http://127.0.0.1:9001/versions", True)],
)
def test_party_url_allowed(url: str, sandbox: bool) -> None:
    check_party_url(url, sandbox=sandbox)


@pytest.mark.parametrize(
    ("url", "sandbox"),
    [
        ("http://127.0.0.1:9001/versions", False),
        ("https://10.0.0.1/versions", False),
        ("http://example.com/versions", True),
        ("/versions", True),
    ],
)
def test_party_url_refused_is_2001_naming_url(url: str, sandbox: bool) -> None:
    with pytest.raises(OcpiError) as excinfo:
        check_party_url(url, sandbox=sandbox)

    assert excinfo.value.status == OcpiStatus.INVALID_PARAMETERS
    assert excinfo.value.http_status == HTTP_200_OK
    assert excinfo.value.message.startswith("url: ")
