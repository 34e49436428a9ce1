"""Which party-supplied URLs the Hub will call (facade/peers/url_policy.py): string checks only, no DNS."""

from __future__ import annotations

import pytest

from facade.peers.url_policy import UrlNotAllowed, check_url

PUBLIC_HTTPS = [
    "https://ocpi.example.com/versions",
    "https://ocpi.example.com:8443/ocpi/2.2.1",
    "https://93.184.216.34/versions",
    "https://[2606:2800:220:1:248:1893:25c8:1946]/versions",
]

LOOPBACK_HTTP = [
    "http://127.0.0.1:8080/x",
    "http://localhost/x",
    "http://LOCALHOST:9000/x",
    "http://[::1]/x",
    "http://127.0.0.2/x",
    "http://sim.localhost/x",
]

INTERNAL_HTTPS = [
    "https://127.0.0.1/versions",
    "https://localhost/versions",
    "https://LocalHost/versions",
    "https://cpo.localhost/versions",
    "https://[::1]/versions",
    "https://10.1.2.3/versions",
    "https://172.16.0.1/versions",
    "https://192.168.1.1/versions",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/versions",
    "https://0.0.0.0/versions",
    "https://[::]/versions",
    "https://[::ffff:127.0.0.1]/versions",
    "https://[::ffff:10.0.0.1]/versions",
    "https://[fe80::1]/versions",
    "https://[fc00::1]/versions",
    "https://224.0.0.1/versions",
    "https://[ff02::1]/versions",
]

NOT_HTTP = [
    "ftp://example.com/versions",
    "file:///etc/passwd",
    "gopher://example.com/",
    "/ocpi/versions",
    "ocpi.example.com/versions",
    "//ocpi.example.com/versions",
    "",
    "https://",
    "https:///versions",
]

WITH_CREDENTIALS = [
    "https://user:pw@example.com/versions",
    "https://user@example.com/versions",
    "http://user:pw@localhost/versions",
]


def refused(url: str, *, sandbox: bool) -> str:
    with pytest.raises(UrlNotAllowed) as excinfo:
        check_url(url, sandbox=sandbox)
    return str(excinfo.value)


def too_long(url_start: str) -> str:
    return url_start + "a" * (256 - len(url_start))


# Sandbox


@pytest.mark.parametrize("url", LOOPBACK_HTTP)
def test_sandbox_allows_plain_http_on_loopback(url: str) -> None:
    check_url(url, sandbox=True)


@pytest.mark.parametrize("url", PUBLIC_HTTPS + INTERNAL_HTTPS)
def test_sandbox_allows_https_anywhere(url: str) -> None:
    check_url(url, sandbox=True)


@pytest.mark.parametrize(
    "url", ["http://example.com/versions", "http://10.0.0.1/versions", "http://192.168.1.1/", "http://[fe80::1]/"]
)
def test_sandbox_refuses_plain_http_off_loopback(url: str) -> None:
    message = refused(url, sandbox=True)

    assert "https" in message
    assert "loopback" in message


# Production


@pytest.mark.parametrize("url", PUBLIC_HTTPS)
def test_production_allows_public_https(url: str) -> None:
    check_url(url, sandbox=False)


@pytest.mark.parametrize("url", [*LOOPBACK_HTTP, "http://example.com/versions", "http://93.184.216.34/"])
def test_production_refuses_any_plain_http(url: str) -> None:
    assert "https" in refused(url, sandbox=False)


@pytest.mark.parametrize("url", INTERNAL_HTTPS)
def test_production_refuses_internal_addresses(url: str) -> None:
    assert "internal" in refused(url, sandbox=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.1/versions",
        "https://2130706433/versions",
        "https://0x7f.0.0.1/versions",
        "https://017700000001/versions",
        "https://0/versions",
    ],
)
def test_production_refuses_alternative_ipv4_notations_of_internal_addresses(url: str) -> None:
    refused(url, sandbox=False)


@pytest.mark.parametrize("url", ["https://localhost./versions", "https://cpo.localhost./versions"])
def test_production_refuses_fully_qualified_localhost(url: str) -> None:
    refused(url, sandbox=False)


# Both environments


@pytest.mark.parametrize("sandbox", [True, False])
@pytest.mark.parametrize("url", NOT_HTTP)
def test_non_http_or_relative_urls_are_refused(url: str, sandbox: bool) -> None:
    assert "absolute http(s) URL" in refused(url, sandbox=sandbox)


@pytest.mark.parametrize("sandbox", [True, False])
@pytest.mark.parametrize("url", WITH_CREDENTIALS)
def test_urls_with_credentials_are_refused(url: str, sandbox: bool) -> None:
    assert "credentials" in refused(url, sandbox=sandbox)


@pytest.mark.parametrize("sandbox", [True, False])
@pytest.mark.parametrize("start", ["https://ocpi.example.com/", "http://localhost/"])
def test_urls_longer_than_255_characters_are_refused(start: str, sandbox: bool) -> None:
    url = too_long(start)
    assert len(url) == 256

    assert "255" in refused(url, sandbox=sandbox)


@pytest.mark.parametrize("sandbox", [True, False])
def test_a_255_character_url_is_allowed(sandbox: bool) -> None:
    url = too_long("https://ocpi.example.com/")[:255]

    check_url(url, sandbox=sandbox)


def test_long_url_message_is_truncated() -> None:
    message = refused(too_long("https://ocpi.example.com/") + "b" * 1000, sandbox=False)

    assert len(message) < 200


def test_url_not_allowed_is_a_value_error() -> None:
    assert issubclass(UrlNotAllowed, ValueError)
