"""OCPI 2.2.1 status codes (status_codes.asciidoc) as an enum with phrases."""

from __future__ import annotations

from enum import IntEnum


class OcpiStatus(IntEnum):
    phrase: str

    def __new__(cls, value: int, phrase: str) -> OcpiStatus:
        member = int.__new__(cls, value)
        member._value_ = value
        member.phrase = phrase
        return member

    SUCCESS = 1000, "Success"
    CLIENT_ERROR = 2000, "Generic client error"
    INVALID_PARAMETERS = 2001, "Invalid or missing parameters"
    NOT_ENOUGH_INFORMATION = 2002, "Not enough information"
    UNKNOWN_LOCATION = 2003, "Unknown Location"
    UNKNOWN_TOKEN = 2004, "Unknown Token"
    SERVER_ERROR = 3000, "Generic server error"
    UNABLE_TO_USE_CLIENT_API = 3001, "Unable to use the client's API"
    UNSUPPORTED_VERSION = 3002, "Unsupported version"
    NO_MATCHING_ENDPOINTS = 3003, "No matching endpoints or expected endpoints missing between parties"
    HUB_ERROR = 4000, "Generic error"
    UNKNOWN_RECEIVER = 4001, "Unknown receiver (TO address is unknown)"
    FORWARD_TIMEOUT = 4002, "Timeout on forwarded request (message is forwarded, but request times out)"
    CONNECTION_PROBLEM = 4003, "Connection problem (receiving party is not connected)"

    @property
    def is_success(self) -> bool:
        return 1000 <= self.value < 2000
