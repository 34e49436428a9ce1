"""HUB_QR_HOSTS: an https://{host}/charge?… code is the Hub's only on one of the Hub's hosts (issue 16, point 10)."""

from __future__ import annotations

import pytest

from core.qr.uri import ConnectorRef, QrFormatError, hub_hosts, parse_https, parse_standard
from core.settings import Settings

QUERY = "/charge?cpo=ABC&loc=LOC001&evse=EVSE-01&conn=1"
TARGET = ConnectorRef("VN", "ABC", "LOC001", "EVSE-01", "1")


@pytest.mark.parametrize(
    "url",
    ["https://hub.example.com", "https://HUB.example.com", "https://hub.example.com.", "https://qr.example.vn:8443"],
)
def test_codes_on_the_hubs_hosts_are_standard(url: str) -> None:
    hosts = hub_hosts("hub.example.com, qr.example.vn:8443")
    found = parse_standard(url + QUERY, "VN", hosts)
    assert found is not None and found.target == TARGET


@pytest.mark.parametrize(
    "url",
    [
        "https://cpo.example.com",
        "https://hub.example.com.evil.test",
        "https://hub.example.com@evil.test",
        "https://qr.example.vn",  # the entry names a port: only that one
        "https://qr.example.vn:9443",
        "https://hub.example.com:notaport",
        "https://[hub.example.com",  # urlsplit raises on it: was an INTERNAL error (HTTP 500)
    ],
)
def test_the_same_url_elsewhere_is_someone_elses_code(url: str) -> None:
    hosts = hub_hosts("hub.example.com, qr.example.vn:8443")
    assert parse_standard(url + QUERY, "VN", hosts) is None
    with pytest.raises(QrFormatError):
        parse_https(url + QUERY, "VN", hosts)


def test_the_setting_defaults_to_the_public_urls_host() -> None:
    base = {"HUB_DATABASE_URL": "postgresql://db/hub", "HUB_TOKEN_KEYS": "key"}
    assert Settings.from_env(base).qr_hosts == {"127.0.0.1"}
    public = Settings.from_env({**base, "HUB_PUBLIC_URL": "https://Hub.Example.com/"})
    assert public.qr_hosts == {"hub.example.com"}
    both = Settings.from_env({**base, "HUB_PUBLIC_URL": "https://a.vn", "HUB_QR_HOSTS": "qr.vn, Hub.vn:8443"})
    assert both.qr_hosts == {"qr.vn", "hub.vn:8443"}
    with pytest.raises(SystemExit, match="HUB_QR_HOSTS"):
        Settings.from_env({**base, "HUB_QR_HOSTS": " , "})
