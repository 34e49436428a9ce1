"""Typed async client of the Hub's core. See `HubClient`; errors are `HubError` and `HubUnavailable`."""

from hubclient._client import DEFAULT_ADDRESS, HubClient
from hubclient._errors import HubError, HubUnavailable

__all__ = ["DEFAULT_ADDRESS", "HubClient", "HubError", "HubUnavailable"]
