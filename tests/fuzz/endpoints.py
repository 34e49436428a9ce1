"""Every HTTP endpoint of the facade, read from its own OpenAPI document, grouped into families (one OCPI module, or
one non-OCPI endpoint). A new route joins its family's fuzz test without anyone listing it here."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from facade.app import create_app
from facade.settings import Settings

METHODS = ("get", "put", "patch", "post", "delete")
# The document describes the API; fuzzing its own route tells nothing about the Hub.
NOT_FUZZED = ("/openapi",)


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    template: str  # "/ocpi/2.2.1/receiver/tariffs/{country_code}/{party_id}/{tariff_id}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.template)


def family_of(path: str) -> str:
    """The OCPI module (receiver and sender together), "versions", or the first segment of a non-OCPI path."""
    if path in ("/ocpi/versions", "/ocpi/2.2.1"):
        return "versions"
    match = re.match(r"^/ocpi/2\.2\.1/(?:sender/|receiver/)?([a-z]+)", path)
    if match:
        return match.group(1)
    return path.rstrip("/").rsplit("/", 1)[-1]


def endpoints_by_family() -> dict[str, list[Endpoint]]:
    # Building the app does no I/O (the lifespan never runs): this is the route table as deployed.
    document = create_app(Settings()).openapi_schema.to_schema()
    families: dict[str, list[Endpoint]] = defaultdict(list)
    for path, operations in sorted(document["paths"].items()):
        if path.startswith(NOT_FUZZED):
            continue
        for method in METHODS:
            if method in operations:
                families[family_of(path)].append(Endpoint(method.upper(), path))
    return dict(families)
