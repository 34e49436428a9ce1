"""gRPC servicers of ocpihub.parties.v1: validate the request shape, call the domain, convert the answer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
from google.protobuf import duration_pb2

from core.errors import InvalidArgument
from core.parties import convert
from core.parties.auth_changes import AuthChanges, AuthEvent
from core.parties.model import PartyKey, TokenKind
from core.parties.service import PartiesService
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from ocpihub.parties.v1 import parties_service_pb2_grpc as rpc_grpc


def _page_token(token: str) -> tuple[str, str, str] | None:
    if not token:
        return None
    parts = token.split("/")
    if len(parts) != 3:
        raise InvalidArgument([("page_token", "is not a token this service issued")])
    return parts[0], parts[1], parts[2]


def _platform_id(name: str, field: str = "name") -> uuid.UUID:
    try:
        return uuid.UUID(name.removeprefix("platforms/"))
    except ValueError:
        raise InvalidArgument([(field, f"{name!r} is not of the form platforms/{{id}}")]) from None


def _duration(value: timedelta) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromTimedelta(max(value, timedelta(0)))
    return duration


class PartiesServicer(rpc_grpc.PartiesServiceServicer):
    def __init__(self, service: PartiesService) -> None:
        self._service = service

    async def InviteParty(
        self, request: rpc.InvitePartyRequest, context: grpc.aio.ServicerContext
    ) -> rpc.InvitePartyResponse:
        key = PartyKey(request.country_code.upper(), request.party_id.upper(), convert.role_from_pb(request.role))
        party, token_a = await self._service.invite(
            key,
            request.display_name,
            convert.environment_from_pb(request.environment),
            convert.duration(request.expires_in, request.HasField("expires_in")),
        )
        return rpc.InvitePartyResponse(party=convert.party_to_pb(party), token_a=token_a)

    async def RotateInvite(
        self, request: rpc.RotateInviteRequest, context: grpc.aio.ServicerContext
    ) -> rpc.RotateInviteResponse:
        party, token_a = await self._service.rotate_invite(
            convert.party_key_from_name(request.name),
            convert.duration(request.expires_in, request.HasField("expires_in")),
        )
        return rpc.RotateInviteResponse(party=convert.party_to_pb(party), token_a=token_a)

    async def GetParty(self, request: rpc.GetPartyRequest, context: grpc.aio.ServicerContext) -> rpc.GetPartyResponse:
        party = await self._service.get_party(convert.party_key_from_name(request.name))
        return rpc.GetPartyResponse(party=convert.party_to_pb(party))

    async def ListParties(
        self, request: rpc.ListPartiesRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListPartiesResponse:
        if request.page_size < 0:
            raise InvalidArgument([("page_size", "must not be negative")])
        if request.state not in pb.PartyState.values():
            raise InvalidArgument([("state", f"{request.state} is not a known party state")])
        parties, last = await self._service.list_parties(
            request.page_size,
            _page_token(request.page_token),
            country_code=request.country_code,
            party_id=request.party_id,
            role=str(convert.role_from_pb(request.role)) if request.role else "",
            state=pb.PartyState.Name(request.state).removeprefix("PARTY_STATE_") if request.state else "",
        )
        return rpc.ListPartiesResponse(
            parties=[convert.party_to_pb(p) for p in parties], next_page_token="/".join(last) if last else ""
        )

    async def SuspendParty(
        self, request: rpc.SuspendPartyRequest, context: grpc.aio.ServicerContext
    ) -> rpc.SuspendPartyResponse:
        party = await self._service.set_suspended(convert.party_key_from_name(request.name), True)
        return rpc.SuspendPartyResponse(party=convert.party_to_pb(party))

    async def ReinstateParty(
        self, request: rpc.ReinstatePartyRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ReinstatePartyResponse:
        party = await self._service.set_suspended(convert.party_key_from_name(request.name), False)
        return rpc.ReinstatePartyResponse(party=convert.party_to_pb(party))

    async def GetPlatform(
        self, request: rpc.GetPlatformRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetPlatformResponse:
        platform = await self._service.get_platform(_platform_id(request.name))
        return rpc.GetPlatformResponse(platform=convert.platform_to_pb(platform))

    async def GetPartyLimits(
        self, request: rpc.GetPartyLimitsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetPartyLimitsResponse:
        limits = await self._service.get_limits(*convert.limits_party_from_pb(request.party))
        return rpc.GetPartyLimitsResponse(limits=convert.limits_to_pb(limits))

    async def SetPartyLimits(
        self, request: rpc.SetPartyLimitsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.SetPartyLimitsResponse:
        limits = await self._service.set_limits(convert.limits_from_pb(request.limits))
        return rpc.SetPartyLimitsResponse(limits=convert.limits_to_pb(limits))

    async def RevokeParty(
        self, request: rpc.RevokePartyRequest, context: grpc.aio.ServicerContext
    ) -> rpc.RevokePartyResponse:
        party, dead = await self._service.offboarding.revoke(convert.party_key_from_name(request.name), request.reason)
        return rpc.RevokePartyResponse(party=convert.party_to_pb(party), dead_lettered=dead)

    async def UnregisterParty(
        self, request: rpc.UnregisterPartyRequest, context: grpc.aio.ServicerContext
    ) -> rpc.UnregisterPartyResponse:
        party, dead = await self._service.offboarding.unregister(convert.party_key_from_name(request.name))
        return rpc.UnregisterPartyResponse(party=convert.party_to_pb(party), dead_lettered=dead)

    async def ReencryptTokens(
        self, request: rpc.ReencryptTokensRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ReencryptTokensResponse:
        platforms, qr_api_keys = await self._service.reencrypt_tokens()
        return rpc.ReencryptTokensResponse(platforms=platforms, qr_api_keys=qr_api_keys)


def peer_host(peer: str | None) -> str:
    """ "ipv4:127.0.0.1:53211" → "127.0.0.1": a caller that did not say where its request came from is the source."""
    if not peer:
        return ""
    address = peer.split(":", 1)[-1]
    return address.rsplit(":", 1)[0].strip("[]") if address.count(":") >= 1 else address


class CredentialsServicer(rpc_grpc.CredentialsServiceServicer):
    def __init__(self, service: PartiesService, auth_changes: AuthChanges) -> None:
        self._service = service
        self._auth_changes = auth_changes

    async def AuthenticateToken(
        self, request: rpc.AuthenticateTokenRequest, context: grpc.aio.ServicerContext
    ) -> rpc.AuthenticateTokenResponse:
        remote_address = request.remote_address or peer_host(context.peer())
        auth = await self._service.authenticate(list(request.candidates), remote_address)
        kind = rpc.TOKEN_KIND_REGISTRATION if auth.kind is TokenKind.REGISTRATION else rpc.TOKEN_KIND_CREDENTIALS
        return rpc.AuthenticateTokenResponse(
            kind=kind,
            token=auth.token,
            parties=[convert.party_to_pb(p) for p in auth.parties],
            platform=convert.platform_to_pb(auth.platform) if auth.platform else None,
            limits=[convert.limits_to_pb(limits) for limits in auth.limits],
            valid_for=_duration(auth.valid_for) if auth.valid_for is not None else None,
        )

    async def WatchAuthChanges(
        self, request: rpc.WatchAuthChangesRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[rpc.WatchAuthChangesResponse]:
        if not self._auth_changes.listening:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the core cannot watch for changes right now")
        ready, changed = rpc.WatchAuthChangesResponse.KIND_READY, rpc.WatchAuthChangesResponse.KIND_CHANGED
        async for event in self._auth_changes.watch():
            yield rpc.WatchAuthChangesResponse(kind=ready if event is AuthEvent.READY else changed)

    async def RegisterPlatform(
        self, request: rpc.RegisterPlatformRequest, context: grpc.aio.ServicerContext
    ) -> rpc.RegisterPlatformResponse:
        registration = convert.registration_from_pb(request.token_b, request.platform)
        platform, token_c = await self._service.register(
            request.token_a, registration, validate_only=request.validate_only
        )
        return rpc.RegisterPlatformResponse(platform=convert.platform_to_pb(platform), token_c=token_c)

    async def UpdatePlatformCredentials(
        self, request: rpc.UpdatePlatformCredentialsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.UpdatePlatformCredentialsResponse:
        registration = convert.registration_from_pb(request.token_b, request.platform)
        platform, token_c = await self._service.update_credentials(
            request.token, registration, validate_only=request.validate_only
        )
        return rpc.UpdatePlatformCredentialsResponse(platform=convert.platform_to_pb(platform), token_c=token_c)

    async def ClaimAliveChecks(
        self, request: rpc.ClaimAliveChecksRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ClaimAliveChecksResponse:
        quiet_period = request.quiet_period.ToTimedelta()
        if quiet_period <= timedelta(0):
            raise InvalidArgument([("quiet_period", "must be positive")])
        if request.max_checks < 0:
            raise InvalidArgument([("max_checks", "must not be negative")])
        claimed = await self._service.liveness.claim(quiet_period, request.max_checks)
        return rpc.ClaimAliveChecksResponse(checks=[convert.alive_check_to_pb(c, token) for c, token in claimed])

    async def ReportAliveCheck(
        self, request: rpc.ReportAliveCheckRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ReportAliveCheckResponse:
        platform = await self._service.liveness.report(
            _platform_id(request.platform, "platform"), reachable=request.reachable, detail=request.detail
        )
        return rpc.ReportAliveCheckResponse(platform=convert.platform_to_pb(platform))

    async def ClaimTokenRotations(
        self, request: rpc.ClaimTokenRotationsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ClaimTokenRotationsResponse:
        if request.max_rotations < 0:
            raise InvalidArgument([("max_rotations", "must not be negative")])
        claimed = await self._service.rotation.claim(request.max_rotations)
        return rpc.ClaimTokenRotationsResponse(
            rotations=[convert.token_rotation_to_pb(r, token_b, token_c) for r, token_b, token_c in claimed]
        )

    async def ReportTokenRotation(
        self, request: rpc.ReportTokenRotationRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ReportTokenRotationResponse:
        platform = await self._service.rotation.report(
            _platform_id(request.platform, "platform"),
            request.token_c,
            accepted=request.accepted,
            token_b=request.token_b,
            detail=request.detail,
        )
        return rpc.ReportTokenRotationResponse(platform=convert.platform_to_pb(platform))

    async def UnregisterPlatform(
        self, request: rpc.UnregisterPlatformRequest, context: grpc.aio.ServicerContext
    ) -> rpc.UnregisterPlatformResponse:
        platform = await self._service.unregister(request.token)
        return rpc.UnregisterPlatformResponse(platform=convert.platform_to_pb(platform))
