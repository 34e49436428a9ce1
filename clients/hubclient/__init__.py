"""Typed async client of the Hub's core. See `HubClient`; errors are `HubError` and `HubUnavailable`."""

from hubclient._client import DEFAULT_ADDRESS, HubClient
from hubclient._errors import HubError, HubUnavailable
from hubclient._metadata import call_metadata
from hubclient._tls import ClientTls

__all__ = ["DEFAULT_ADDRESS", "ClientTls", "HubClient", "HubError", "HubUnavailable", "call_metadata"]
