"""Settings.from_env: HTTPS settings and what production refuses to start with (no files are read)."""

from __future__ import annotations

import pytest

from facade.settings import Settings

CERT = {"HUB_TLS_CERT_FILE": "/etc/hub/cert.pem", "HUB_TLS_KEY_FILE": "/etc/hub/key.pem"}
PRODUCTION = {"HUB_ENV": "production", "HUB_PUBLIC_URL": "https://hub.example.com"}


def refusal(environ: dict[str, str]) -> str:
    with pytest.raises(SystemExit) as excinfo:
        Settings.from_env(environ)
    return str(excinfo.value)


def test_sandbox_default_is_plain_http_on_loopback() -> None:
    settings = Settings.from_env({})

    assert not settings.serves_tls
    assert settings.public_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize("environ", [CERT, {"HUB_TLS_SELF_SIGNED": "1"}])
def test_serving_tls_makes_the_default_public_url_https(environ: dict[str, str]) -> None:
    settings = Settings.from_env({**environ, "HUB_HTTP_PORT": "8443"})

    assert settings.serves_tls
    assert settings.public_url == "https://127.0.0.1:8443"


def test_production_with_a_certificate_and_https_public_url_starts() -> None:
    settings = Settings.from_env({**PRODUCTION, **CERT})

    assert (settings.tls_cert_file, settings.tls_key_file) == ("/etc/hub/cert.pem", "/etc/hub/key.pem")


def test_production_without_a_certificate_refuses_to_start() -> None:
    message = refusal(PRODUCTION)

    assert "HUB_TLS_CERT_FILE" in message
    assert "HUB_TLS_TERMINATED_BY_PROXY" in message


def test_production_behind_a_tls_proxy_starts_without_a_certificate() -> None:
    settings = Settings.from_env({**PRODUCTION, "HUB_TLS_TERMINATED_BY_PROXY": "1"})

    assert settings.tls_terminated_by_proxy
    assert not settings.serves_tls


@pytest.mark.parametrize("extra", [CERT, {"HUB_TLS_TERMINATED_BY_PROXY": "1"}])
@pytest.mark.parametrize("public_url", ["http://hub.example.com", "ftp://hub.example.com"])
def test_production_with_a_non_https_public_url_refuses_to_start(extra: dict[str, str], public_url: str) -> None:
    message = refusal({**PRODUCTION, **extra, "HUB_PUBLIC_URL": public_url})

    assert "HUB_PUBLIC_URL must be https" in message


def test_production_without_a_public_url_refuses_to_start() -> None:
    assert "HUB_PUBLIC_URL must be set" in refusal({"HUB_ENV": "production", **CERT})


def test_production_refuses_a_self_signed_certificate() -> None:
    assert "sandbox" in refusal({**PRODUCTION, "HUB_TLS_SELF_SIGNED": "1"})


@pytest.mark.parametrize("half", [{"HUB_TLS_CERT_FILE": "/c.pem"}, {"HUB_TLS_KEY_FILE": "/k.pem"}])
def test_a_certificate_without_its_key_or_the_reverse_is_refused(half: dict[str, str]) -> None:
    assert "go together" in refusal(half)


def test_self_signed_and_a_certificate_exclude_each_other() -> None:
    assert "choose one" in refusal({**CERT, "HUB_TLS_SELF_SIGNED": "1"})


def test_rate_limits_default_to_the_seeds_100_per_second_in_bursts_of_200() -> None:
    settings = Settings.from_env({})
    assert (settings.rate_limit_per_second, settings.rate_limit_burst) == (100, 200)
