"""Tokens wire shapes and parsing (facade/tokens/schemas.py, mod_tokens.asciidoc, HUB-DIGEST §3.5): no I/O."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from facade.tokens.schemas import (
    LocationReferences,
    Token,
    parse_location_references,
    parse_token,
    parse_token_patch,
)

# ocpi/ocpi release-2.2.1-bugfixes examples/token_example_1_app_user.json, verbatim.
SPEC_TOKEN_APP_USER = b"""{
  "country_code": "DE",
  "party_id": "TNM",
  "uid": "bdf21bce-fc97-11e8-8eb2-f2801f1b9fd1",
  "type": "APP_USER",
  "contract_id": "DE8ACC12E46L89",
  "issuer": "TheNewMotion",
  "valid": true,
  "whitelist": "ALLOWED",
  "last_updated": "2018-12-10T17:16:15Z"
}"""

# examples/token_example_2_full_rfid.json, verbatim.
SPEC_TOKEN_FULL_RFID = b"""{
  "country_code": "DE",
  "party_id": "TNM",
  "uid": "12345678905880",
  "type": "RFID",
  "contract_id": "DE8ACC12E46L89",
  "visual_number": "DF000-2001-8999-1",
  "issuer": "TheNewMotion",
  "group_id": "DF000-2001-8999",
  "valid": true,
  "whitelist": "ALLOWED",
  "language": "it",
  "default_profile_type": "GREEN",
  "energy_contract": {
    "supplier_name": "Greenpeace Energy eG",
    "contract_id": "0123456789"
  },
  "last_updated": "2018-12-10T17:25:10Z"
}"""

# examples/token_put_example.json, verbatim.
SPEC_TOKEN_PUT = b"""{
  "country_code": "NL",
  "party_id": "TNM",
  "uid": "012345678",
  "type": "RFID",
  "contract_id": "NL8ACC12E46L89",
  "visual_number": "DF000-2001-8999-1",
  "issuer": "TheNewMotion",
  "group_id": "DF000-2001-8999",
  "valid": true,
  "whitelist": "ALWAYS",
  "last_updated": "2015-06-29T22:39:09Z"
}"""

# examples/token_patch_example.json, verbatim.
SPEC_TOKEN_PATCH = b"""{
  "valid": false,
  "last_updated": "2019-06-19T02:11:11Z"
}"""

Mutate = Callable[[dict[str, Any]], None]


def token(*mutations: Mutate, base: bytes = SPEC_TOKEN_FULL_RFID) -> bytes:
    data = json.loads(base)
    for mutate in mutations:
        mutate(data)
    return json.dumps(data).encode()


def _set(value: Any, *path: str | int) -> Mutate:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = copy.deepcopy(value)

    return mutate


def _delete(*path: str | int) -> Mutate:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def invalid(parse: Callable[[bytes], object], raw: bytes) -> str:
    """The message of the OCPI 2001 (HTTP 200) that `parse` answers `raw` with."""
    with pytest.raises(OcpiError) as excinfo:
        parse(raw)
    assert excinfo.value.status == OcpiStatus.INVALID_PARAMETERS
    assert excinfo.value.http_status == HTTP_200_OK
    return excinfo.value.message


# Valid bodies


def test_spec_example_of_an_app_user_token_parses() -> None:
    parsed, raw = parse_token(SPEC_TOKEN_APP_USER)

    assert isinstance(parsed, Token)
    assert (parsed.country_code, parsed.party_id, parsed.type, parsed.whitelist) == ("DE", "TNM", "APP_USER", "ALLOWED")
    assert parsed.uid == "bdf21bce-fc97-11e8-8eb2-f2801f1b9fd1" and parsed.valid is True
    assert parsed.visual_number is None and parsed.group_id is None and parsed.energy_contract is None
    assert parsed.language is None and parsed.default_profile_type is None
    assert raw == json.loads(SPEC_TOKEN_APP_USER)


def test_spec_example_of_a_full_rfid_token_parses() -> None:
    parsed, _ = parse_token(SPEC_TOKEN_FULL_RFID)

    assert (parsed.type, parsed.language, parsed.default_profile_type) == ("RFID", "it", "GREEN")
    assert (parsed.visual_number, parsed.group_id) == ("DF000-2001-8999-1", "DF000-2001-8999")
    assert parsed.energy_contract is not None
    assert parsed.energy_contract.supplier_name == "Greenpeace Energy eG"
    assert parsed.energy_contract.contract_id == "0123456789"


def test_spec_put_example_parses() -> None:
    parsed, _ = parse_token(SPEC_TOKEN_PUT)

    assert (parsed.country_code, parsed.uid, parsed.whitelist) == ("NL", "012345678", "ALWAYS")


@pytest.mark.parametrize("whitelist", ["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"])
def test_every_whitelist_type_parses(whitelist: str) -> None:
    parsed, _ = parse_token(token(_set(whitelist, "whitelist")))

    assert parsed.whitelist == whitelist


def test_energy_contract_without_contract_id_parses() -> None:
    parsed, _ = parse_token(token(_set({"supplier_name": "S" * 64}, "energy_contract")))

    assert parsed.energy_contract is not None and parsed.energy_contract.contract_id is None


def test_unknown_fields_are_accepted_and_kept_in_the_raw_dict() -> None:
    def extras(data: dict[str, Any]) -> None:
        data["x_vendor"] = {"a": 1}
        data["energy_contract"]["x_tariff"] = "night"

    parsed, raw = parse_token(token(extras))

    assert parsed.uid == "12345678905880"
    assert raw["x_vendor"] == {"a": 1}
    assert raw["energy_contract"]["x_tariff"] == "night"


# Shapes: each rule answers 2001 naming the field


def test_bad_whitelist_is_2001() -> None:
    assert "`$.whitelist`" in invalid(parse_token, token(_set("SOMETIMES", "whitelist")))


def test_uid_too_long_is_2001() -> None:
    assert "`$.uid`" in invalid(parse_token, token(_set("u" * 37, "uid")))


def test_uid_of_36_characters_parses() -> None:
    parsed, _ = parse_token(token(_set("u" * 36, "uid")))

    assert parsed.uid == "u" * 36


def test_missing_issuer_is_2001() -> None:
    assert "required field `issuer`" in invalid(parse_token, token(_delete("issuer")))


def test_three_letter_language_is_2001() -> None:
    assert "`$.language`" in invalid(parse_token, token(_set("vie", "language")))


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("type",), "CARD", "$.type"),
        (("contract_id",), "c" * 37, "$.contract_id"),
        (("group_id",), "g" * 37, "$.group_id"),
        (("uid",), "caf\u00e9", "$.uid"),  # CiString: ASCII only
        (("visual_number",), "v" * 65, "$.visual_number"),
        (("issuer",), "i" * 65, "$.issuer"),
        (("valid",), "true", "$.valid"),
        (("default_profile_type",), "SLOW", "$.default_profile_type"),
        (("energy_contract", "supplier_name"), "s" * 65, "$.energy_contract.supplier_name"),
        (("energy_contract", "contract_id"), "c" * 65, "$.energy_contract.contract_id"),
        (("party_id",), "TOOLONG", "$.party_id"),
        (("last_updated",), "2018-12-10T17:25:10+01:00", "$.last_updated"),
    ],
)
def test_fields_follow_the_spec_types(path: tuple[str | int, ...], value: Any, field: str) -> None:
    assert f"`{field}`" in invalid(parse_token, token(_set(value, *path)))


@pytest.mark.parametrize("name", ["country_code", "party_id", "uid", "type", "contract_id", "valid", "whitelist"])
def test_required_fields_are_required(name: str) -> None:
    assert f"required field `{name}`" in invalid(parse_token, token(_delete(name)))


def test_energy_contract_needs_a_supplier_name() -> None:
    message = invalid(parse_token, token(_delete("energy_contract", "supplier_name")))

    assert "required field `supplier_name`" in message and "`$.energy_contract`" in message


def test_last_updated_must_be_in_the_calendar() -> None:
    assert "`last_updated`" in invalid(parse_token, token(_set("2018-02-30T17:25:10Z", "last_updated")))


def test_malformed_json_is_http_400() -> None:
    with pytest.raises(OcpiError) as excinfo:
        parse_token(b'{"uid": ')

    assert excinfo.value.http_status == HTTP_400_BAD_REQUEST


# PATCH


def test_spec_patch_example_parses_and_leaves_the_rest_unset() -> None:
    parsed, raw = parse_token_patch(SPEC_TOKEN_PATCH)

    assert parsed.valid is False and parsed.last_updated == "2019-06-19T02:11:11Z"
    assert parsed.uid is msgspec.UNSET and parsed.whitelist is msgspec.UNSET and parsed.language is msgspec.UNSET
    assert raw == json.loads(SPEC_TOKEN_PATCH)


def test_patch_without_last_updated_is_2001() -> None:
    assert "required field `last_updated`" in invalid(parse_token_patch, b'{"valid": false}')


def test_patch_fields_follow_the_spec_types() -> None:
    body = json.dumps({"whitelist": "SOMETIMES", "last_updated": "2019-06-19T02:11:11Z"}).encode()

    assert "`$.whitelist`" in invalid(parse_token_patch, body)


def test_patch_may_null_optional_fields_but_not_required_ones() -> None:
    parsed, _ = parse_token_patch(b'{"group_id": null, "last_updated": "2019-06-19T02:11:11Z"}')

    assert parsed.group_id is None
    assert "`$.issuer`" in invalid(parse_token_patch, b'{"issuer": null, "last_updated": "2019-06-19T02:11:11Z"}')


# LocationReferences (authorize body)


@pytest.mark.parametrize("body", [b"", b"  \r\n"])
def test_empty_authorize_body_is_none(body: bytes) -> None:
    assert parse_location_references(body) == (None, None)


def test_location_references_parse_and_keep_unknown_fields() -> None:
    parsed, raw = parse_location_references(b'{"location_id": "LOC1", "evse_uids": ["3256", "3257"], "x_note": 1}')

    assert isinstance(parsed, LocationReferences)
    assert (parsed.location_id, parsed.evse_uids) == ("LOC1", ["3256", "3257"])
    assert raw is not None and raw["x_note"] == 1


def test_location_references_without_evse_uids_parse() -> None:
    parsed, _ = parse_location_references(b'{"location_id": "LOC1"}')

    assert parsed is not None and parsed.evse_uids is None


def test_location_references_need_a_location_id() -> None:
    assert "required field `location_id`" in invalid(parse_location_references, b'{"evse_uids": ["3256"]}')


def test_evse_uid_too_long_is_2001() -> None:
    body = json.dumps({"location_id": "LOC1", "evse_uids": ["e" * 37]}).encode()

    assert "`$.evse_uids[0]`" in invalid(parse_location_references, body)
