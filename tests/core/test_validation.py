"""Field rules for parties and credentials roles (core/parties/validation.py): pure functions, no I/O."""

from __future__ import annotations

import pytest

from core.parties.model import CredentialsRole, PartyKey, Role
from core.parties.validation import (
    ISO_COUNTRY_CODES,
    credentials_roles_violations,
    display_name_violations,
    party_key_violations,
)


def fields(violations: list[tuple[str, str]]) -> list[str]:
    return [field for field, _ in violations]


def role(country_code: str = "NL", party_id: str = "ABC", kind: Role = Role.CPO, name: object = "ABC Charging"):
    details = {} if name is None else {"name": name}
    return CredentialsRole(PartyKey(country_code, party_id, kind), details)


# Party keys


@pytest.mark.parametrize(
    "key",
    [
        PartyKey("NL", "ABC", Role.CPO),
        PartyKey("VN", "A", Role.EMSP),
        PartyKey("DE", "1Z9", Role.NSP),
        PartyKey("US", "X1", Role.OTHER),
    ],
)
def test_a_well_formed_party_key_has_no_violation(key: PartyKey) -> None:
    assert party_key_violations(key) == []


@pytest.mark.parametrize("country_code", ["XX", "ZZ", "UK", "EU", "nl", "N", "NLD", ""])
def test_a_country_code_must_be_an_assigned_iso_3166_alpha_2_code(country_code: str) -> None:
    violations = party_key_violations(PartyKey(country_code, "ABC", Role.CPO))
    assert fields(violations) == ["country_code"]
    assert repr(country_code) in violations[0][1]


@pytest.mark.parametrize("party_id", ["", "ABCD", "abc", "A-C", "A C", "AB\n", "\nAB", "ÄBC"])
def test_a_party_id_is_one_to_three_upper_case_letters_or_digits(party_id: str) -> None:
    assert fields(party_key_violations(PartyKey("NL", party_id, Role.CPO))) == ["party_id"]


def test_no_party_can_take_the_hub_role() -> None:
    violations = party_key_violations(PartyKey("NL", "ABC", Role.HUB))
    assert fields(violations) == ["role"]
    assert "HUB" in violations[0][1]


def test_every_bad_part_of_a_key_is_reported_under_the_prefix() -> None:
    violations = party_key_violations(PartyKey("XX", "ABCD", Role.HUB), "roles[2].")
    assert fields(violations) == ["roles[2].country_code", "roles[2].party_id", "roles[2].role"]


def test_the_country_list_holds_exactly_the_assigned_two_letter_codes() -> None:
    assert all(len(code) == 2 and code.isascii() and code.isupper() for code in ISO_COUNTRY_CODES)
    assert {"VN", "NL", "DE", "FR", "GB", "US", "JP", "SS", "CW", "SX", "BQ"} <= ISO_COUNTRY_CODES
    # User-assigned / reserved / withdrawn codes are not countries.
    assert ISO_COUNTRY_CODES.isdisjoint({"XX", "XK", "ZZ", "UK", "EU", "AN", "YU", "QO"})
    assert len(ISO_COUNTRY_CODES) == 249


# Display names


@pytest.mark.parametrize("name", ["A", "ABC Charging B.V.", "Trạm sạc Việt Nam", "x" * 100, " padded "])
def test_an_ordinary_display_name_has_no_violation(name: str) -> None:
    assert display_name_violations(name) == []


@pytest.mark.parametrize("name", ["", " ", "\t \n"])
def test_a_display_name_must_not_be_blank(name: str) -> None:
    assert display_name_violations(name) == [("display_name", "must not be empty")]


def test_a_display_name_is_at_most_100_characters() -> None:
    violations = display_name_violations("x" * 101)
    assert fields(violations) == ["display_name"]
    assert "101" in violations[0][1]


@pytest.mark.parametrize("name", ["ABC\x00", "A\tB", "line\nbreak", "trailing newline\n", "bell\x07", "del\x7f"])
def test_a_display_name_must_not_contain_control_characters(name: str) -> None:
    assert display_name_violations(name) == [("display_name", "must not contain control characters")]


def test_the_field_name_of_a_display_name_violation_is_the_callers() -> None:
    assert fields(display_name_violations("", "roles[0].business_details.name")) == ["roles[0].business_details.name"]


# Credentials roles


def test_credentials_need_at_least_one_role() -> None:
    assert credentials_roles_violations([]) == [("roles", "at least one role is required")]


def test_well_formed_credentials_roles_have_no_violation() -> None:
    assert credentials_roles_violations([role(kind=Role.CPO), role(kind=Role.EMSP), role(party_id="XYZ")]) == []


def test_each_bad_role_is_reported_with_its_index() -> None:
    violations = credentials_roles_violations(
        [role(), role(country_code="XX"), role(party_id="ABCD", kind=Role.HUB), role(party_id="DEF", name="")]
    )
    assert fields(violations) == [
        "roles[1].country_code",
        "roles[2].party_id",
        "roles[2].role",
        "roles[3].business_details.name",
    ]


def test_a_role_without_a_business_name_is_refused() -> None:
    assert fields(credentials_roles_violations([role(name=None)])) == ["roles[0].business_details.name"]


def test_a_role_listed_twice_is_refused() -> None:
    violations = credentials_roles_violations([role(), role(kind=Role.EMSP), role(name="Other name")])
    assert fields(violations) == ["roles[2]"]
    assert "NL/ABC CPO" in violations[0][1]
