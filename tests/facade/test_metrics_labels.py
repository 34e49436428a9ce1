from __future__ import annotations

import pytest

from facade.metrics import module_of


@pytest.mark.parametrize(
    ("template", "module"),
    [
        ("/ocpi/versions", "versions"),
        ("/ocpi/2.2.1", "versions"),
        ("/ocpi/2.2.1/credentials", "credentials"),
        ("/ocpi/2.2.1/receiver/locations/{country_code:str}/{party_id:str}/{location_id:str}", "locations"),
        ("/ocpi/2.2.1/sender/tokens/{uid:str}/authorize", "tokens"),
        ("/ocpi/2.2.1/receiver/commands/{command:str}", "commands"),
        ("/ocpi/2.2.1/hubclientinfo", "hubclientinfo"),
        ("/api/v1/qr-resolve", "qr"),
        ("/charge", "qr"),
        ("/health", "health"),
        ("/ready", "ready"),
        ("/metrics", "metrics"),
        ("/openapi/openapi.json", "openapi"),
        (None, "unmatched"),
    ],
)
def test_the_module_label_comes_from_the_route_template(template: str | None, module: str) -> None:
    assert module_of(template) == module
