"""The `Authorization: Token …` rule (HUB-DIGEST §1.1) and who the caller is.

OCPI 2.2.1 says the header carries base64(token); many 2.1.1/2.2 peers send the raw token. We accept both: the
candidates are the raw value and its base64 decoding (a trailing CR/LF stripped, as the spec's own examples encode
one), and the core says which, if any, is a token it issued.

The core's answer carries the limits set for the caller's parties, so the IP allow-list and the rate limit are
checked here, for every authenticated request, without another call (`facade.limits`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import grpc
from litestar import Request
from litestar.status_codes import HTTP_401_UNAUTHORIZED

from facade.limits.denylist import Denylist
from facade.limits.guard import RateLimits
from facade.limits.policy import module_of
from facade.metrics import PARTY_STATE_KEY
from facade.ocpi.auth_cache import AuthCache
from facade.ocpi.errors import OcpiError, from_hub_error
from facade.ocpi.status import OcpiStatus
from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc

# Scheme is case-insensitive (RFC 9110); exactly one token after it.
_HEADER = re.compile(r"^Token ([\x21-\x7e]+)$", re.IGNORECASE | re.ASCII)


class AuthorizationHeaderError(ValueError):
    pass


def token_candidates(header: str | None) -> list[str]:
    """The tokens a header value may stand for, most likely first. Raises on a missing or malformed header."""
    if not header:
        raise AuthorizationHeaderError("missing Authorization header; expected 'Authorization: Token <base64 token>'")
    match = _HEADER.match(header.strip())
    if not match:
        raise AuthorizationHeaderError("malformed Authorization header; expected 'Token <base64 token>'")
    raw = match.group(1)
    candidates = []
    try:
        decoded = base64.b64decode(raw, validate=True).decode("ascii").rstrip("\r\n")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if decoded and all(0x21 <= ord(char) <= 0x7E for char in decoded):
        candidates.append(decoded)
    candidates.append(raw)
    return candidates


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated platform (TOKEN_C) or invited party (TOKEN_A)."""

    token: str
    registered: bool
    parties: list[pb.Party]
    platform: pb.Platform | None
    # Set for some of `parties` (per country_code/party_id); the others have the Hub's defaults.
    limits: list[pb.PartyLimits]

    @classmethod
    def from_response(cls, response: rpc.AuthenticateTokenResponse) -> Caller:
        registered = response.kind == rpc.TOKEN_KIND_CREDENTIALS
        return cls(
            token=response.token,
            registered=registered,
            parties=list(response.parties),
            platform=response.platform if registered else None,
            limits=list(response.limits),
        )

    def sending_party(self, request: Request[Any, Any, Any]) -> tuple[str, str]:
        """The party a request counts against: OCPI-from-* when it names one of ours, else our first party."""
        sender = (
            request.headers.get("OCPI-from-country-code", "").strip().upper(),
            request.headers.get("OCPI-from-party-id", "").strip().upper(),
        )
        own = [(p.country_code, p.party_id) for p in self.parties]
        return sender if sender in own else own[0]

    @property
    def sandbox(self) -> bool:
        environment = self.platform.environment if self.platform else self.parties[0].environment
        return environment == pb.ENVIRONMENT_SANDBOX


async def authenticate(request: Request[Any, Any, Any]) -> Caller:
    """Dependency for versions and credentials: TOKEN_A or TOKEN_C."""
    hub: HubClient = request.app.state.hub
    denylist: Denylist = request.app.state.denylist
    denylist.check(request.client.host if request.client else None)
    try:
        candidates = token_candidates(request.headers.get("authorization"))
    except AuthorizationHeaderError as exc:
        raise OcpiError(OcpiStatus.CLIENT_ERROR, str(exc), HTTP_401_UNAUTHORIZED) from None
    remote_address = request.client.host if request.client else ""
    cache: AuthCache = request.app.state.auth_cache
    rate_limits: RateLimits = request.app.state.rate_limits

    async def ask_core(candidates: list[str], address: str) -> rpc.AuthenticateTokenResponse:
        await rate_limits.refused_tokens.check(address)
        try:
            return await hub.authenticate_token(candidates, address)
        except HubError as exc:
            if exc.code == grpc.StatusCode.UNAUTHENTICATED:
                await rate_limits.refused_tokens.refused(address)
            raise

    try:
        response = await cache.authenticate(ask_core, candidates, remote_address)
    except HubError as exc:
        raise from_hub_error(exc) from None
    caller = Caller.from_response(response)
    # For the per-party request metrics: the middleware reads it from the scope once the response is sent.
    request.scope.setdefault("state", {})[PARTY_STATE_KEY] = caller_party(caller, request.headers)
    address = request.client.host if request.client else None
    await rate_limits.check(module_of(request.url.path), caller.sending_party(request), caller.limits, address)
    return caller


def caller_party(caller: Caller, headers: Any) -> str:
    """ "CC/PID" of the caller: the OCPI-from party when the platform hosts it, else its first party."""
    sent = (headers.get("ocpi-from-country-code", "").upper(), headers.get("ocpi-from-party-id", "").upper())
    hosted = [(party.country_code, party.party_id) for party in caller.parties]
    country_code, party_id = sent if sent in hosted else hosted[0] if hosted else ("", "")
    return f"{country_code}/{party_id}" if country_code else "anonymous"


async def authenticate_registered(request: Request[Any, Any, Any]) -> Caller:
    """Dependency for every functional module: TOKEN_C only."""
    caller = await authenticate(request)
    if not caller.registered:
        raise OcpiError(
            OcpiStatus.CLIENT_ERROR,
            "TOKEN_A only opens versions and credentials; register first (POST credentials) and use TOKEN_C",
            HTTP_401_UNAUTHORIZED,
        )
    return caller
