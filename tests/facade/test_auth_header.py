"""The `Authorization: Token …` rule (facade/ocpi/auth.py, HUB-DIGEST §1.1) and Caller: pure, no core."""

from __future__ import annotations

import base64
import uuid

import pytest

from facade.ocpi.auth import AuthorizationHeaderError, Caller, token_candidates
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc

UUID_TOKEN = "ebf3b399-779f-4497-9b9d-ac6ad3cc44d2"


def b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


# Accepted headers


def test_base64_token_decoded_first_raw_second() -> None:
    encoded = b64(UUID_TOKEN)

    assert token_candidates(f"Token {encoded}") == [UUID_TOKEN, encoded]


def test_raw_uuid_token_that_is_not_base64_gives_only_itself() -> None:
    assert token_candidates(f"Token {UUID_TOKEN}") == [UUID_TOKEN]


@pytest.mark.parametrize("token", [str(uuid.UUID(int=n * 0x0123_4567_89AB_CDEF + 7, version=4)) for n in range(5)])
def test_uuid_tokens_raw_and_encoded(token: str) -> None:
    assert token_candidates(f"Token {token}") == [token]
    assert token_candidates(f"Token {b64(token)}") == [token, b64(token)]


def test_spec_example_with_trailing_newline_is_stripped() -> None:
    # The spec's example is `echo example-token | base64`: it encodes a trailing "\n".
    assert base64.b64decode("ZXhhbXBsZS10b2tlbgo=") == b"example-token\n"

    assert token_candidates("Token ZXhhbXBsZS10b2tlbgo=") == ["example-token", "ZXhhbXBsZS10b2tlbgo="]


def test_spec_uuid_example_with_trailing_newline() -> None:
    header = "Token ZWJmM2IzOTktNzc5Zi00NDk3LTliOWQtYWM2YWQzY2M0NGQyCg=="

    assert token_candidates(header)[0] == UUID_TOKEN


def test_trailing_crlf_is_stripped() -> None:
    encoded = b64("example-token\r\n")

    assert token_candidates(f"Token {encoded}") == ["example-token", encoded]


def test_correct_encoding_without_newline() -> None:
    assert token_candidates("Token ZXhhbXBsZS10b2tlbg==") == ["example-token", "ZXhhbXBsZS10b2tlbg=="]


@pytest.mark.parametrize("scheme", ["Token", "token", "TOKEN", "tOkEn"])
def test_scheme_is_case_insensitive(scheme: str) -> None:
    assert token_candidates(f"{scheme} x") == ["x"]


def test_surrounding_whitespace_is_tolerated() -> None:
    assert token_candidates("  Token x  ") == ["x"]


def test_raw_token_that_happens_to_be_valid_base64_yields_both() -> None:
    # "YWJj" is someone's raw token, but also base64 of "abc": the core decides which one it issued.
    assert token_candidates("Token YWJj") == ["abc", "YWJj"]


@pytest.mark.parametrize(
    "decoded",
    [
        b"\x00\x01abc",  # control bytes
        b"\xff\xfe\xfd",  # not ASCII at all
        "tokén".encode(),  # non-ASCII UTF-8: a token is printable ASCII only
        b"a b",  # inner whitespace
        b"a\nb",  # inner newline
        b"\t token",  # leading whitespace
        b"\n",  # nothing left after stripping the newline
    ],
)
def test_base64_of_non_printable_bytes_is_not_a_candidate(decoded: bytes) -> None:
    encoded = b64(decoded)

    assert token_candidates(f"Token {encoded}") == [encoded]


@pytest.mark.parametrize("encoded", ["ZXhhbXBsZS10b2tlbg", "ZXhhbXBsZS10b2tlbg=", "YW-j", "YW_j"])
def test_unpadded_or_urlsafe_base64_is_only_a_raw_candidate(encoded: str) -> None:
    assert token_candidates(f"Token {encoded}") == [encoded]


def test_candidates_are_printable_ascii_without_whitespace() -> None:
    for header in ["Token YWJj", f"Token {b64(UUID_TOKEN)}", "Token ZXhhbXBsZS10b2tlbgo=", f"Token {UUID_TOKEN}"]:
        for candidate in token_candidates(header):
            assert candidate
            assert all(0x21 <= ord(char) <= 0x7E for char in candidate), candidate


# Refused headers


@pytest.mark.parametrize("header", [None, ""])
def test_missing_header_is_refused_with_a_hint(header: str | None) -> None:
    with pytest.raises(AuthorizationHeaderError) as excinfo:
        token_candidates(header)

    message = str(excinfo.value)
    assert "missing" in message.lower()
    assert "Authorization" in message
    assert "Token" in message


@pytest.mark.parametrize(
    "header",
    [
        "Bearer x",
        "Basic dXNlcjpwdw==",
        "Token",
        "Token ",
        "   ",
        "Token  a b",
        "Token a b",
        "Token\tx",
        "Tokenx",
        "x",
        "Token tokén",
    ],
)
def test_malformed_header_is_refused_with_a_hint(header: str) -> None:
    with pytest.raises(AuthorizationHeaderError) as excinfo:
        token_candidates(header)

    message = str(excinfo.value)
    assert "Authorization" in message or "header" in message
    assert "Token <" in message


def test_authorization_header_error_is_a_value_error() -> None:
    assert issubclass(AuthorizationHeaderError, ValueError)


@pytest.mark.parametrize("header", ["Token \u212a", "Token \u017f", "To\u212aen x"])
def test_non_ascii_lookalikes_are_refused(header: str) -> None:
    with pytest.raises(AuthorizationHeaderError):
        token_candidates(header)


# Caller


def party(environment: pb.Environment.ValueType) -> pb.Party:
    return pb.Party(name="parties/NL-ABC-CPO", country_code="NL", party_id="ABC", environment=environment)


def test_token_a_caller_is_not_registered_and_has_no_platform() -> None:
    response = rpc.AuthenticateTokenResponse(
        kind=rpc.TOKEN_KIND_REGISTRATION, token="token-a", parties=[party(pb.ENVIRONMENT_SANDBOX)]
    )

    caller = Caller.from_response(response)

    assert caller.token == "token-a"
    assert not caller.registered
    assert caller.platform is None
    assert [p.party_id for p in caller.parties] == ["ABC"]
    assert caller.sandbox


def test_token_a_caller_in_production() -> None:
    response = rpc.AuthenticateTokenResponse(
        kind=rpc.TOKEN_KIND_REGISTRATION, token="token-a", parties=[party(pb.ENVIRONMENT_PRODUCTION)]
    )

    assert not Caller.from_response(response).sandbox


@pytest.mark.parametrize(
    ("environment", "sandbox"), [(pb.ENVIRONMENT_SANDBOX, True), (pb.ENVIRONMENT_PRODUCTION, False)]
)
def test_token_c_caller_takes_environment_from_the_platform(
    environment: pb.Environment.ValueType, sandbox: bool
) -> None:
    other = pb.ENVIRONMENT_PRODUCTION if sandbox else pb.ENVIRONMENT_SANDBOX
    response = rpc.AuthenticateTokenResponse(
        kind=rpc.TOKEN_KIND_CREDENTIALS,
        token="token-c",
        parties=[party(other)],
        platform=pb.Platform(name="platforms/1", environment=environment),
    )

    caller = Caller.from_response(response)

    assert caller.registered
    assert caller.platform is not None
    assert caller.platform.name == "platforms/1"
    assert caller.sandbox is sandbox
