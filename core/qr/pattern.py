"""Placeholder until the pattern engine lands (being written now)."""

from __future__ import annotations

from dataclasses import dataclass


class PatternError(ValueError):
    pass


@dataclass(frozen=True)
class PatternTarget:
    location_id: str
    evse_uid: str
    connector_id: str


class QrPattern:
    name: str = ""
    examples_checked: int = 0

    @classmethod
    def from_yaml(cls, text: str, country_code: str, party_id: str) -> QrPattern:
        raise PatternError("pattern specs are not supported yet")

    def resolve(self, code: str) -> PatternTarget | None:
        return None

    def code_for(self, target: PatternTarget) -> str | None:
        return None
