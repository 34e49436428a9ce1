"""OCPI 2.2.1 status codes (facade/ocpi/status.py) and core errors → (HTTP, OCPI) status (facade/ocpi/errors.py).

HUB-DIGEST §1.4. HubError values are built directly: no core, no gRPC channel.
"""

from __future__ import annotations

import json
import logging

import grpc
import pytest

from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.status import OcpiStatus
from hubclient import HubError, HubUnavailable


@pytest.mark.parametrize(
    ("status", "code", "phrase"),
    [
        (OcpiStatus.SUCCESS, 1000, "Success"),
        (OcpiStatus.CLIENT_ERROR, 2000, "Generic client error"),
        (OcpiStatus.INVALID_PARAMETERS, 2001, "Invalid or missing parameters"),
        (OcpiStatus.NOT_ENOUGH_INFORMATION, 2002, "Not enough information"),
        (OcpiStatus.UNKNOWN_LOCATION, 2003, "Unknown Location"),
        (OcpiStatus.UNKNOWN_TOKEN, 2004, "Unknown Token"),
        (OcpiStatus.SERVER_ERROR, 3000, "Generic server error"),
        (OcpiStatus.UNABLE_TO_USE_CLIENT_API, 3001, "Unable to use the client's API"),
        (OcpiStatus.UNSUPPORTED_VERSION, 3002, "Unsupported version"),
        (
            OcpiStatus.NO_MATCHING_ENDPOINTS,
            3003,
            "No matching endpoints or expected endpoints missing between parties",
        ),
        (OcpiStatus.HUB_ERROR, 4000, "Generic error"),
        (OcpiStatus.UNKNOWN_RECEIVER, 4001, "Unknown receiver (TO address is unknown)"),
        (
            OcpiStatus.FORWARD_TIMEOUT,
            4002,
            "Timeout on forwarded request (message is forwarded, but request times out)",
        ),
        (OcpiStatus.CONNECTION_PROBLEM, 4003, "Connection problem (receiving party is not connected)"),
    ],
)
def test_value_and_phrase(status: OcpiStatus, code: int, phrase: str) -> None:
    assert status == code
    assert status.value == code
    assert int(status) == code
    assert OcpiStatus(code) is status
    assert status.phrase == phrase


def test_is_success_only_for_1xxx() -> None:
    assert OcpiStatus.SUCCESS.is_success
    failures = [status for status in OcpiStatus if status is not OcpiStatus.SUCCESS]
    assert failures
    assert not any(status.is_success for status in failures)


def test_is_an_int_that_json_encodes_as_a_number() -> None:
    assert isinstance(OcpiStatus.UNKNOWN_TOKEN, int)
    assert json.dumps({"status_code": OcpiStatus.UNKNOWN_TOKEN}) == '{"status_code": 2004}'
    assert json.loads(json.dumps([OcpiStatus.CONNECTION_PROBLEM])) == [4003]


def test_codes_are_four_digits_and_unique() -> None:
    codes = [int(status) for status in OcpiStatus]
    assert len(codes) == len(set(codes))
    assert all(1000 <= code <= 4999 for code in codes)


def test_unknown_code_is_refused() -> None:
    with pytest.raises(ValueError):
        OcpiStatus(2999)


# OcpiError


def test_ocpi_error_defaults_to_http_200() -> None:
    error = OcpiError(OcpiStatus.INVALID_PARAMETERS, "roles: required")

    assert error.http_status == 200
    assert error.status is OcpiStatus.INVALID_PARAMETERS
    assert error.message == "roles: required"
    assert str(error) == "roles: required"


# from_hub_error


@pytest.mark.parametrize(
    ("reason", "code", "http_status", "status"),
    [
        ("TOKEN_UNKNOWN", grpc.StatusCode.UNAUTHENTICATED, 401, OcpiStatus.CLIENT_ERROR),
        ("TOKEN_EXPIRED", grpc.StatusCode.UNAUTHENTICATED, 401, OcpiStatus.CLIENT_ERROR),
        ("TOKEN_REVOKED", grpc.StatusCode.UNAUTHENTICATED, 401, OcpiStatus.CLIENT_ERROR),
        ("PARTY_SUSPENDED", grpc.StatusCode.PERMISSION_DENIED, 401, OcpiStatus.CLIENT_ERROR),
        ("INVALID_FIELD", grpc.StatusCode.INVALID_ARGUMENT, 200, OcpiStatus.INVALID_PARAMETERS),
        ("ROLE_NOT_INVITED", grpc.StatusCode.FAILED_PRECONDITION, 200, OcpiStatus.INVALID_PARAMETERS),
        ("ALREADY_REGISTERED", grpc.StatusCode.FAILED_PRECONDITION, 405, OcpiStatus.CLIENT_ERROR),
        ("NOT_REGISTERED", grpc.StatusCode.FAILED_PRECONDITION, 405, OcpiStatus.CLIENT_ERROR),
        ("PARTY_NOT_FOUND", grpc.StatusCode.NOT_FOUND, 404, OcpiStatus.CLIENT_ERROR),
        ("PLATFORM_NOT_FOUND", grpc.StatusCode.NOT_FOUND, 404, OcpiStatus.CLIENT_ERROR),
    ],
)
def test_known_reasons_map_and_keep_the_core_message(
    reason: str, code: grpc.StatusCode, http_status: int, status: OcpiStatus
) -> None:
    error = from_hub_error(HubError(code=code, message=f"explanation for {reason}", reason=reason))

    assert isinstance(error, OcpiError)
    assert error.http_status == http_status
    assert error.status is status
    assert error.message == f"explanation for {reason}"


def test_invalid_field_is_http_200_ocpi_2001() -> None:
    error = from_hub_error(
        HubError(code=grpc.StatusCode.INVALID_ARGUMENT, message="roles[0].party_id: too long", reason="INVALID_FIELD")
    )

    assert (error.http_status, int(error.status)) == (200, 2001)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (grpc.StatusCode.INTERNAL, "SOMETHING_NEW"),
        (grpc.StatusCode.INTERNAL, ""),
        (grpc.StatusCode.UNKNOWN, ""),
        (grpc.StatusCode.INVALID_ARGUMENT, "token_unknown"),
    ],
)
def test_unknown_reason_is_500_3000_without_leaking_the_message(code: grpc.StatusCode, reason: str) -> None:
    secret = "duplicate key value violates unique constraint parties_pkey at 10.0.0.5:5432"

    error = from_hub_error(HubError(code=code, message=secret, reason=reason))

    assert error.http_status == 500
    assert error.status is OcpiStatus.SERVER_ERROR
    assert error.message == "internal error"
    assert secret not in str(error)


def test_unknown_reason_is_logged_without_the_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="facade.ocpi.errors"):
        from_hub_error(HubError(code=grpc.StatusCode.INTERNAL, message="s3cr3t detail", reason="SOMETHING_NEW"))

    assert "SOMETHING_NEW" in caplog.text
    assert "s3cr3t" not in caplog.text


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED])
def test_hub_unavailable_is_503_3000(code: grpc.StatusCode) -> None:
    error = from_hub_error(HubUnavailable(code=code, message="connect failed to core:50051", reason="TOKEN_UNKNOWN"))

    assert error.http_status == 503
    assert error.status is OcpiStatus.SERVER_ERROR
    assert "core:50051" not in error.message
    assert "unavailable" in error.message


def test_overrides_take_precedence_for_their_reason_only() -> None:
    overrides = {"PARTY_NOT_FOUND": (200, OcpiStatus.UNKNOWN_RECEIVER)}

    routed = from_hub_error(
        HubError(code=grpc.StatusCode.NOT_FOUND, message="no party NL-XYZ", reason="PARTY_NOT_FOUND"), overrides
    )
    other = from_hub_error(
        HubError(code=grpc.StatusCode.UNAUTHENTICATED, message="unknown token", reason="TOKEN_UNKNOWN"), overrides
    )

    assert (routed.http_status, routed.status) == (200, OcpiStatus.UNKNOWN_RECEIVER)
    assert routed.message == "no party NL-XYZ"
    assert (other.http_status, other.status) == (401, OcpiStatus.CLIENT_ERROR)


def test_overrides_can_map_a_reason_the_table_does_not_know() -> None:
    overrides = {"RECEIVER_OFFLINE": (200, OcpiStatus.CONNECTION_PROBLEM)}

    error = from_hub_error(
        HubError(code=grpc.StatusCode.FAILED_PRECONDITION, message="offline", reason="RECEIVER_OFFLINE"), overrides
    )

    assert (error.http_status, int(error.status)) == (200, 4003)
