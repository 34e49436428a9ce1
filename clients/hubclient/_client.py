"""A small typed async client for the core's gRPC services (used by the facade, hubctl and internal tools)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hubclient._errors import HubUnavailable, from_rpc_error
from hubclient._metadata import MetadataInterceptor, StreamMetadataInterceptor
from hubclient._tls import ClientTls
from ocpihub.analytics.v1 import analytics_service_pb2 as analytics_rpc
from ocpihub.analytics.v1 import analytics_service_pb2_grpc as analytics_grpc
from ocpihub.audit.v1 import audit_pb2
from ocpihub.audit.v1 import audit_service_pb2 as audit_rpc
from ocpihub.audit.v1 import audit_service_pb2_grpc as audit_grpc
from ocpihub.billing.v1 import billing_pb2
from ocpihub.billing.v1 import billing_service_pb2 as billing_rpc
from ocpihub.billing.v1 import billing_service_pb2_grpc as billing_grpc
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.cdrs.v1 import cdrs_service_pb2 as cdrs_rpc
from ocpihub.cdrs.v1 import cdrs_service_pb2_grpc as cdrs_grpc
from ocpihub.commands.v1 import commands_pb2
from ocpihub.commands.v1 import commands_service_pb2 as commands_rpc
from ocpihub.commands.v1 import commands_service_pb2_grpc as commands_grpc
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.deliveries.v1 import deliveries_service_pb2 as deliveries_rpc
from ocpihub.deliveries.v1 import deliveries_service_pb2_grpc as deliveries_grpc
from ocpihub.denylist.v1 import denylist_pb2
from ocpihub.denylist.v1 import denylist_service_pb2 as denylist_rpc
from ocpihub.denylist.v1 import denylist_service_pb2_grpc as denylist_grpc
from ocpihub.events.v1 import events_pb2
from ocpihub.events.v1 import events_service_pb2 as events_rpc
from ocpihub.events.v1 import events_service_pb2_grpc as events_grpc
from ocpihub.locations.v1 import locations_pb2
from ocpihub.locations.v1 import locations_service_pb2 as locations_rpc
from ocpihub.locations.v1 import locations_service_pb2_grpc as locations_grpc
from ocpihub.operators.v1 import operators_pb2
from ocpihub.operators.v1 import operators_service_pb2 as operators_rpc
from ocpihub.operators.v1 import operators_service_pb2_grpc as operators_grpc
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from ocpihub.parties.v1 import parties_service_pb2_grpc as rpc_grpc
from ocpihub.qr.v1 import qr_service_pb2 as qr_rpc
from ocpihub.qr.v1 import qr_service_pb2_grpc as qr_grpc
from ocpihub.routing.v1 import routing_service_pb2 as routing_rpc
from ocpihub.routing.v1 import routing_service_pb2_grpc as routing_grpc
from ocpihub.sessions.v1 import sessions_service_pb2 as sessions_rpc
from ocpihub.sessions.v1 import sessions_service_pb2_grpc as sessions_grpc
from ocpihub.tariffs.v1 import tariffs_pb2
from ocpihub.tariffs.v1 import tariffs_service_pb2 as tariffs_rpc
from ocpihub.tariffs.v1 import tariffs_service_pb2_grpc as tariffs_grpc
from ocpihub.tokens.v1 import tokens_pb2
from ocpihub.tokens.v1 import tokens_service_pb2 as tokens_rpc
from ocpihub.tokens.v1 import tokens_service_pb2_grpc as tokens_grpc
from ocpihub.types.v1 import types_pb2

Response = TypeVar("Response")

DEFAULT_ADDRESS = "127.0.0.1:50051"
_RETRY_DELAYS = (0.05, 0.2, 0.5)
# A followed event stream that broke is opened again after this, from the last cursor received.
_STREAM_RECONNECT_SECONDS = 1.0
# gRPC's default 4 MiB would refuse a CPO's sticker batch (a ZIP is about 20 kB a connector); the core's send side
# has no limit.
_MAX_RECEIVE_BYTES = 64 * 1024 * 1024


_FROM_ENV = ClientTls(b"", b"", b"")


class HubClient:
    """Async client of the core. Use as `async with HubClient(address) as hub:`.

    `tls` is this caller's certificate (by default from HUB_CLIENT_* variables; None: plain text, for a sandbox core
    without TLS). `person` names who an operator's or the dashboard's calls act for (the core's audit log records it).
    Read-only RPCs are retried on UNAVAILABLE; writes never are (the caller decides).
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        timeout: float = 10.0,
        tls: ClientTls | None = _FROM_ENV,
        person: str = "",
        acting_role: str = "",
    ) -> None:
        self.address = address
        self._timeout = timeout
        if tls is _FROM_ENV:
            tls = ClientTls.from_env()
        options: list[tuple[str, object]] = [("grpc.max_receive_message_length", _MAX_RECEIVE_BYTES)]
        on_behalf = tuple(
            (key, value) for key, value in (("x-hub-person", person), ("x-hub-acting-role", acting_role)) if value
        )
        interceptors: list[grpc.aio.ClientInterceptor] = [
            MetadataInterceptor(on_behalf),
            StreamMetadataInterceptor(on_behalf),
        ]
        if tls is None:
            self._channel = grpc.aio.insecure_channel(address, options=options, interceptors=interceptors)
        else:
            if tls.server_name:
                options.append(("grpc.ssl_target_name_override", tls.server_name))
            self._channel = grpc.aio.secure_channel(
                address, tls.channel_credentials(), options=options, interceptors=interceptors
            )
        self._parties = rpc_grpc.PartiesServiceStub(self._channel)
        self._credentials = rpc_grpc.CredentialsServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._routing = routing_grpc.RoutingServiceStub(self._channel)
        self._locations = locations_grpc.LocationsServiceStub(self._channel)
        self._tariffs = tariffs_grpc.TariffsServiceStub(self._channel)
        self._deliveries = deliveries_grpc.DeliveriesServiceStub(self._channel)
        self._sessions = sessions_grpc.SessionsServiceStub(self._channel)
        self._cdrs = cdrs_grpc.CdrsServiceStub(self._channel)
        self._billing = billing_grpc.BillingServiceStub(self._channel)
        self._analytics = analytics_grpc.AnalyticsServiceStub(self._channel)
        self._tokens = tokens_grpc.TokensServiceStub(self._channel)
        self._commands = commands_grpc.CommandsServiceStub(self._channel)
        self._qr = qr_grpc.QrServiceStub(self._channel)
        self._audit = audit_grpc.AuditServiceStub(self._channel)
        self._denylist = denylist_grpc.DenylistServiceStub(self._channel)
        self._operators = operators_grpc.OperatorsServiceStub(self._channel)
        self._events = events_grpc.EventsServiceStub(self._channel)

    async def __aenter__(self) -> HubClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._channel.close()

    async def _call(self, call: Callable[[], Awaitable[Response]], *, idempotent: bool) -> Response:
        delays = _RETRY_DELAYS if idempotent else ()
        for attempt in range(len(delays) + 1):
            try:
                return await call()
            except grpc.aio.AioRpcError as error:
                converted = from_rpc_error(error)
                if not isinstance(converted, HubUnavailable) or attempt == len(delays):
                    raise converted from None
                await asyncio.sleep(delays[attempt])
        raise AssertionError("unreachable")

    # Denylist

    async def add_denied_network(self, network: str, reason: str = "") -> denylist_pb2.DeniedNetwork:
        request = denylist_rpc.AddDeniedNetworkRequest(network=network, reason=reason)
        response = await self._call(
            lambda: self._denylist.AddDeniedNetwork(request, timeout=self._timeout), idempotent=True
        )
        return response.denied_network

    async def list_denied_networks(self) -> list[denylist_pb2.DeniedNetwork]:
        request = denylist_rpc.ListDeniedNetworksRequest()
        response = await self._call(
            lambda: self._denylist.ListDeniedNetworks(request, timeout=self._timeout), idempotent=True
        )
        return list(response.denied_networks)

    async def remove_denied_network(self, network: str) -> None:
        request = denylist_rpc.RemoveDeniedNetworkRequest(network=network)
        await self._call(lambda: self._denylist.RemoveDeniedNetwork(request, timeout=self._timeout), idempotent=False)

    # Dashboard accounts

    async def add_operator(
        self, email: str, role: operators_pb2.OperatorRole.ValueType, password: str
    ) -> operators_pb2.Operator:
        request = operators_rpc.AddOperatorRequest(email=email, role=role, password=password)
        response = await self._call(
            lambda: self._operators.AddOperator(request, timeout=self._timeout), idempotent=False
        )
        return response.operator

    async def list_operators(self) -> list[operators_pb2.Operator]:
        request = operators_rpc.ListOperatorsRequest()
        response = await self._call(
            lambda: self._operators.ListOperators(request, timeout=self._timeout), idempotent=True
        )
        return list(response.operators)

    async def disable_operator(self, email: str) -> operators_pb2.Operator:
        request = operators_rpc.DisableOperatorRequest(email=email)
        response = await self._call(
            lambda: self._operators.DisableOperator(request, timeout=self._timeout), idempotent=True
        )
        return response.operator

    async def verify_operator_password(
        self, email: str, password: str, remote_address: str = ""
    ) -> operators_pb2.Operator:
        """The dashboard's sign-in (its own certificate, no person): never retried, each try counts against the
        e-mail's limit."""
        request = operators_rpc.VerifyOperatorPasswordRequest(
            email=email, password=password, remote_address=remote_address
        )
        response = await self._call(
            lambda: self._operators.VerifyOperatorPassword(request, timeout=self._timeout), idempotent=False
        )
        return response.operator

    # Events

    async def stream_events(self, request: events_rpc.StreamEventsRequest) -> AsyncIterator[events_pb2.Event]:
        """The events after `request.after_cursor`, in stream order. Without `follow` it ends after the last one there
        is; with it, it never ends by itself: when the core goes away (a replica restarting, a dropped connection) it
        opens the stream again from the last cursor received, so nothing is missed and nothing comes twice."""
        resume = events_rpc.StreamEventsRequest()
        resume.CopyFrom(request)
        while True:
            call = self._events.StreamEvents(resume)
            try:
                async for response in call:
                    resume.after_cursor = response.event.cursor
                    yield response.event
                return
            except grpc.aio.AioRpcError as error:
                converted = from_rpc_error(error)
                if not (request.follow and isinstance(converted, HubUnavailable)):
                    raise converted from None
            finally:
                call.cancel()
            await asyncio.sleep(_STREAM_RECONNECT_SECONDS)

    # Audit

    async def list_audit_events(self, request: audit_rpc.ListAuditEventsRequest) -> AsyncIterator[audit_pb2.AuditEvent]:
        """Every audit event matching the request's filters, newest first, page after page."""
        page = audit_rpc.ListAuditEventsRequest()
        page.CopyFrom(request)
        while True:
            response = await self._call(
                lambda: self._audit.ListAuditEvents(page, timeout=self._timeout), idempotent=True
            )
            for event in response.events:
                yield event
            if not response.next_page_token:
                return
            page.page_token = response.next_page_token

    # Health

    async def health(self, service: str = "") -> bool:
        """True when the core reports `service` ("" = the core itself) as SERVING."""
        request = health_pb2.HealthCheckRequest(service=service)
        response = await self._call(lambda: self._health.Check(request, timeout=self._timeout), idempotent=True)
        return response.status == health_pb2.HealthCheckResponse.SERVING

    # Parties (operators)

    async def invite_party(self, request: rpc.InvitePartyRequest) -> rpc.InvitePartyResponse:
        return await self._call(lambda: self._parties.InviteParty(request, timeout=self._timeout), idempotent=False)

    async def rotate_invite(self, request: rpc.RotateInviteRequest) -> rpc.RotateInviteResponse:
        return await self._call(lambda: self._parties.RotateInvite(request, timeout=self._timeout), idempotent=False)

    async def get_party(self, name: str) -> pb.Party:
        request = rpc.GetPartyRequest(name=name)
        response = await self._call(lambda: self._parties.GetParty(request, timeout=self._timeout), idempotent=True)
        return response.party

    async def list_parties(self, request: rpc.ListPartiesRequest | None = None) -> AsyncIterator[pb.Party]:
        """Every party matching the request's filters, page after page."""
        page = rpc.ListPartiesRequest()
        if request is not None:
            page.CopyFrom(request)
        while True:
            response = await self._call(lambda: self._parties.ListParties(page, timeout=self._timeout), idempotent=True)
            for party in response.parties:
                yield party
            if not response.next_page_token:
                return
            page.page_token = response.next_page_token

    async def suspend_party(self, name: str) -> pb.Party:
        request = rpc.SuspendPartyRequest(name=name)
        response = await self._call(lambda: self._parties.SuspendParty(request, timeout=self._timeout), idempotent=True)
        return response.party

    async def reinstate_party(self, name: str) -> pb.Party:
        request = rpc.ReinstatePartyRequest(name=name)
        response = await self._call(
            lambda: self._parties.ReinstateParty(request, timeout=self._timeout), idempotent=True
        )
        return response.party

    async def get_platform(self, name: str) -> pb.Platform:
        request = rpc.GetPlatformRequest(name=name)
        response = await self._call(lambda: self._parties.GetPlatform(request, timeout=self._timeout), idempotent=True)
        return response.platform

    async def get_party_limits(self, country_code: str, party_id: str) -> pb.PartyLimits:
        request = rpc.GetPartyLimitsRequest(party=types_pb2.PartyRef(country_code=country_code, party_id=party_id))
        response = await self._call(
            lambda: self._parties.GetPartyLimits(request, timeout=self._timeout), idempotent=True
        )
        return response.limits

    async def set_party_limits(self, limits: pb.PartyLimits) -> pb.PartyLimits:
        request = rpc.SetPartyLimitsRequest(limits=limits)
        # Replaces the whole set: repeating it changes nothing.
        response = await self._call(
            lambda: self._parties.SetPartyLimits(request, timeout=self._timeout), idempotent=True
        )
        return response.limits

    async def revoke_party(self, name: str, reason: str) -> rpc.RevokePartyResponse:
        request = rpc.RevokePartyRequest(name=name, reason=reason)
        # Revoking a revoked party changes nothing.
        return await self._call(lambda: self._parties.RevokeParty(request, timeout=self._timeout), idempotent=True)

    async def unregister_party(self, name: str) -> rpc.UnregisterPartyResponse:
        request = rpc.UnregisterPartyRequest(name=name)
        return await self._call(lambda: self._parties.UnregisterParty(request, timeout=self._timeout), idempotent=False)

    async def reencrypt_tokens(self) -> rpc.ReencryptTokensResponse:
        request = rpc.ReencryptTokensRequest()
        return await self._call(lambda: self._parties.ReencryptTokens(request, timeout=self._timeout), idempotent=True)

    # Credentials (the OCPI facade)

    async def authenticate_token(
        self, candidates: list[str], remote_address: str = ""
    ) -> rpc.AuthenticateTokenResponse:
        request = rpc.AuthenticateTokenRequest(candidates=candidates, remote_address=remote_address)
        return await self._call(
            lambda: self._credentials.AuthenticateToken(request, timeout=self._timeout), idempotent=True
        )

    async def watch_auth_changes(self) -> AsyncIterator[rpc.WatchAuthChangesResponse.Kind.ValueType]:
        """KIND_READY, then KIND_CHANGED whenever an AuthenticateToken answer may have changed. Ends, or raises
        HubError, when the core stops watching: cached answers are then no longer safe."""
        call = self._credentials.WatchAuthChanges(rpc.WatchAuthChangesRequest())
        try:
            async for change in call:
                yield change.kind
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from None
        finally:
            call.cancel()

    async def register_platform(self, request: rpc.RegisterPlatformRequest) -> rpc.RegisterPlatformResponse:
        return await self._call(
            lambda: self._credentials.RegisterPlatform(request, timeout=self._timeout), idempotent=False
        )

    async def update_platform_credentials(
        self, request: rpc.UpdatePlatformCredentialsRequest
    ) -> rpc.UpdatePlatformCredentialsResponse:
        return await self._call(
            lambda: self._credentials.UpdatePlatformCredentials(request, timeout=self._timeout), idempotent=False
        )

    async def unregister_platform(self, token: str) -> rpc.UnregisterPlatformResponse:
        request = rpc.UnregisterPlatformRequest(token=token)
        return await self._call(
            lambda: self._credentials.UnregisterPlatform(request, timeout=self._timeout), idempotent=False
        )

    async def claim_alive_checks(self, quiet_period: timedelta, max_checks: int) -> list[rpc.AliveCheck]:
        """Platforms due for a still-alive check, each handed to this caller only (never retried: a retry would
        claim others)."""
        request = rpc.ClaimAliveChecksRequest(max_checks=max_checks)
        request.quiet_period.FromTimedelta(quiet_period)
        response = await self._call(
            lambda: self._credentials.ClaimAliveChecks(request, timeout=self._timeout), idempotent=False
        )
        return list(response.checks)

    async def report_alive_check(self, platform: str, *, reachable: bool, detail: str = "") -> pb.Platform:
        request = rpc.ReportAliveCheckRequest(platform=platform, reachable=reachable, detail=detail)
        # Reporting the same outcome twice changes nothing, so it may be retried.
        response = await self._call(
            lambda: self._credentials.ReportAliveCheck(request, timeout=self._timeout), idempotent=True
        )
        return response.platform

    async def claim_token_rotations(self, max_rotations: int) -> list[rpc.TokenRotation]:
        """Rotations of the Hub's credentials due at platforms, each handed to this caller only (never retried: a
        retry would claim others)."""
        request = rpc.ClaimTokenRotationsRequest(max_rotations=max_rotations)
        response = await self._call(
            lambda: self._credentials.ClaimTokenRotations(request, timeout=self._timeout), idempotent=False
        )
        return list(response.rotations)

    async def report_token_rotation(
        self, platform: str, token_c: str, *, accepted: bool, token_b: str = "", detail: str = ""
    ) -> pb.Platform:
        request = rpc.ReportTokenRotationRequest(
            platform=platform, token_c=token_c, accepted=accepted, token_b=token_b, detail=detail
        )
        response = await self._call(
            lambda: self._credentials.ReportTokenRotation(request, timeout=self._timeout), idempotent=False
        )
        return response.platform

    # Routing, locations, tariffs, deliveries: thin typed wrappers over the stubs.

    async def resolve_receiver(
        self, request: routing_rpc.ResolveReceiverRequest
    ) -> routing_rpc.ResolveReceiverResponse:
        return await self._call(lambda: self._routing.ResolveReceiver(request, timeout=self._timeout), idempotent=True)

    async def get_location(self, name: str) -> locations_pb2.Location:
        request = locations_rpc.GetLocationRequest(name=name)
        response = await self._call(
            lambda: self._locations.GetLocation(request, timeout=self._timeout), idempotent=True
        )
        return response.location

    async def list_locations(self, request: locations_rpc.ListLocationsRequest) -> locations_rpc.ListLocationsResponse:
        return await self._call(lambda: self._locations.ListLocations(request, timeout=self._timeout), idempotent=True)

    async def summarize_locations(
        self, request: locations_rpc.SummarizeLocationsRequest
    ) -> locations_rpc.SummarizeLocationsResponse:
        return await self._call(
            lambda: self._locations.SummarizeLocations(request, timeout=self._timeout), idempotent=True
        )

    async def update_location(
        self, request: locations_rpc.UpdateLocationRequest
    ) -> locations_rpc.UpdateLocationResponse:
        return await self._call(
            lambda: self._locations.UpdateLocation(request, timeout=self._timeout), idempotent=False
        )

    async def update_evse(self, request: locations_rpc.UpdateEvseRequest) -> locations_rpc.UpdateEvseResponse:
        return await self._call(lambda: self._locations.UpdateEvse(request, timeout=self._timeout), idempotent=False)

    async def update_connector(
        self, request: locations_rpc.UpdateConnectorRequest
    ) -> locations_rpc.UpdateConnectorResponse:
        return await self._call(
            lambda: self._locations.UpdateConnector(request, timeout=self._timeout), idempotent=False
        )

    async def get_tariff(self, name: str) -> tariffs_pb2.Tariff:
        request = tariffs_rpc.GetTariffRequest(name=name)
        response = await self._call(lambda: self._tariffs.GetTariff(request, timeout=self._timeout), idempotent=True)
        return response.tariff

    async def list_tariffs(self, request: tariffs_rpc.ListTariffsRequest) -> tariffs_rpc.ListTariffsResponse:
        return await self._call(lambda: self._tariffs.ListTariffs(request, timeout=self._timeout), idempotent=True)

    async def update_tariff(self, request: tariffs_rpc.UpdateTariffRequest) -> tariffs_rpc.UpdateTariffResponse:
        return await self._call(lambda: self._tariffs.UpdateTariff(request, timeout=self._timeout), idempotent=False)

    async def delete_tariff(self, request: tariffs_rpc.DeleteTariffRequest) -> tariffs_rpc.DeleteTariffResponse:
        return await self._call(lambda: self._tariffs.DeleteTariff(request, timeout=self._timeout), idempotent=False)

    async def get_session(self, name: str) -> sessions_rpc.GetSessionResponse:
        request = sessions_rpc.GetSessionRequest(name=name)
        return await self._call(lambda: self._sessions.GetSession(request, timeout=self._timeout), idempotent=True)

    async def list_sessions(self, request: sessions_rpc.ListSessionsRequest) -> sessions_rpc.ListSessionsResponse:
        return await self._call(lambda: self._sessions.ListSessions(request, timeout=self._timeout), idempotent=True)

    async def update_session(self, request: sessions_rpc.UpdateSessionRequest) -> sessions_rpc.UpdateSessionResponse:
        return await self._call(lambda: self._sessions.UpdateSession(request, timeout=self._timeout), idempotent=False)

    async def create_cdr(self, request: cdrs_rpc.CreateCdrRequest) -> cdrs_rpc.CreateCdrResponse:
        return await self._call(lambda: self._cdrs.CreateCdr(request, timeout=self._timeout), idempotent=False)

    async def get_cdr(self, name: str) -> cdrs_rpc.GetCdrResponse:
        request = cdrs_rpc.GetCdrRequest(name=name)
        return await self._call(lambda: self._cdrs.GetCdr(request, timeout=self._timeout), idempotent=True)

    async def list_cdrs(self, request: cdrs_rpc.ListCdrsRequest) -> cdrs_rpc.ListCdrsResponse:
        return await self._call(lambda: self._cdrs.ListCdrs(request, timeout=self._timeout), idempotent=True)

    async def quote_session(self, session: str) -> billing_pb2.Quote:
        request = billing_rpc.QuoteSessionRequest(session=session)
        response = await self._call(lambda: self._billing.QuoteSession(request, timeout=self._timeout), idempotent=True)
        return response.quote

    async def verify_cdr(self, cdr: str) -> cdrs_pb2.CdrVerification:
        """Prices the stored CDR "cdrs/{cc}/{pid}/{id}" again and records the verification (safe to repeat)."""
        request = billing_rpc.VerifyCdrRequest(cdr=cdr)
        response = await self._call(lambda: self._billing.VerifyCdr(request, timeout=self._timeout), idempotent=True)
        return response.verification

    async def get_statement(self, request: billing_rpc.GetStatementRequest) -> billing_pb2.Statement:
        response = await self._call(lambda: self._billing.GetStatement(request, timeout=self._timeout), idempotent=True)
        return response.statement

    async def set_settlement_agreement(
        self, agreement: billing_pb2.SettlementAgreement
    ) -> billing_pb2.SettlementAgreement:
        request = billing_rpc.SetSettlementAgreementRequest(agreement=agreement)
        response = await self._call(
            lambda: self._billing.SetSettlementAgreement(request, timeout=self._timeout), idempotent=True
        )
        return response.agreement

    async def list_settlement_agreements(self, cpo: str = "") -> billing_rpc.ListSettlementAgreementsResponse:
        request = billing_rpc.ListSettlementAgreementsRequest(cpo=cpo)
        return await self._call(
            lambda: self._billing.ListSettlementAgreements(request, timeout=self._timeout), idempotent=True
        )

    async def close_settlement_period(self, period: str, time_zone: str = "") -> billing_pb2.Statement:
        request = billing_rpc.CloseSettlementPeriodRequest(period=period, time_zone=time_zone)
        response = await self._call(
            lambda: self._billing.CloseSettlementPeriod(request, timeout=self._timeout), idempotent=False
        )
        return response.statement

    async def get_usage(self, request: analytics_rpc.GetUsageRequest) -> analytics_rpc.GetUsageResponse:
        return await self._call(lambda: self._analytics.GetUsage(request, timeout=self._timeout), idempotent=True)

    async def issue_command(self, request: commands_rpc.IssueCommandRequest) -> commands_rpc.IssueCommandResponse:
        # Not retried: a second call would issue a second command.
        return await self._call(lambda: self._commands.IssueCommand(request, timeout=self._timeout), idempotent=False)

    async def claim_issued_commands(self, limit: int) -> commands_rpc.ClaimIssuedCommandsResponse:
        request = commands_rpc.ClaimIssuedCommandsRequest(limit=limit)
        return await self._call(
            lambda: self._commands.ClaimIssuedCommands(request, timeout=self._timeout), idempotent=False
        )

    async def get_utilisation(
        self, request: analytics_rpc.GetUtilisationRequest
    ) -> analytics_rpc.GetUtilisationResponse:
        return await self._call(lambda: self._analytics.GetUtilisation(request, timeout=self._timeout), idempotent=True)

    async def update_token(self, request: tokens_rpc.UpdateTokenRequest) -> tokens_rpc.UpdateTokenResponse:
        return await self._call(lambda: self._tokens.UpdateToken(request, timeout=self._timeout), idempotent=False)

    async def get_token(self, name: str) -> tokens_pb2.Token:
        request = tokens_rpc.GetTokenRequest(name=name)
        response = await self._call(lambda: self._tokens.GetToken(request, timeout=self._timeout), idempotent=True)
        return response.token

    async def list_tokens(self, request: tokens_rpc.ListTokensRequest) -> tokens_rpc.ListTokensResponse:
        return await self._call(lambda: self._tokens.ListTokens(request, timeout=self._timeout), idempotent=True)

    async def route_authorization(
        self, request: tokens_rpc.RouteAuthorizationRequest
    ) -> tokens_rpc.RouteAuthorizationResponse:
        return await self._call(
            lambda: self._tokens.RouteAuthorization(request, timeout=self._timeout), idempotent=True
        )

    async def create_command(self, request: commands_rpc.CreateCommandRequest) -> commands_rpc.CreateCommandResponse:
        return await self._call(lambda: self._commands.CreateCommand(request, timeout=self._timeout), idempotent=False)

    async def record_command_response(self, request: commands_rpc.RecordCommandResponseRequest) -> commands_pb2.Command:
        response = await self._call(
            lambda: self._commands.RecordCommandResponse(request, timeout=self._timeout), idempotent=False
        )
        return response.command

    async def record_command_result(
        self, request: commands_rpc.RecordCommandResultRequest
    ) -> commands_rpc.RecordCommandResultResponse:
        # Safe to retry: the same result twice is recognised and relayed once.
        return await self._call(
            lambda: self._commands.RecordCommandResult(request, timeout=self._timeout), idempotent=True
        )

    async def get_command(self, name: str) -> commands_pb2.Command:
        request = commands_rpc.GetCommandRequest(name=name)
        response = await self._call(lambda: self._commands.GetCommand(request, timeout=self._timeout), idempotent=True)
        return response.command

    async def list_commands(self, request: commands_rpc.ListCommandsRequest) -> AsyncIterator[commands_pb2.Command]:
        page = commands_rpc.ListCommandsRequest()
        page.CopyFrom(request)
        while True:
            response = await self._call(
                lambda: self._commands.ListCommands(page, timeout=self._timeout), idempotent=True
            )
            for command in response.commands:
                yield command
            if not response.next_page_token:
                return
            page.page_token = response.next_page_token

    async def resolve_qr(self, request: qr_rpc.ResolveQrRequest) -> qr_rpc.ResolveQrResponse:
        return await self._call(lambda: self._qr.ResolveQr(request, timeout=self._timeout), idempotent=True)

    async def complete_qr_mapping(self, request: qr_rpc.CompleteQrMappingRequest) -> qr_rpc.CompleteQrMappingResponse:
        return await self._call(lambda: self._qr.CompleteQrMapping(request, timeout=self._timeout), idempotent=True)

    async def import_qr_registry(self, request: qr_rpc.ImportQrRegistryRequest) -> qr_rpc.ImportQrRegistryResponse:
        return await self._call(lambda: self._qr.ImportQrRegistry(request, timeout=self._timeout), idempotent=False)

    async def set_qr_pattern(self, request: qr_rpc.SetQrPatternRequest) -> qr_rpc.SetQrPatternResponse:
        return await self._call(lambda: self._qr.SetQrPattern(request, timeout=self._timeout), idempotent=False)

    async def set_qr_mapping_api(self, request: qr_rpc.SetQrMappingApiRequest) -> qr_rpc.SetQrMappingApiResponse:
        return await self._call(lambda: self._qr.SetQrMappingApi(request, timeout=self._timeout), idempotent=False)

    async def check_qr_codes(self, request: qr_rpc.CheckQrCodesRequest) -> qr_rpc.CheckQrCodesResponse:
        return await self._call(lambda: self._qr.CheckQrCodes(request, timeout=self._timeout), idempotent=True)

    async def render_qr_stickers(self, request: qr_rpc.RenderQrStickersRequest) -> qr_rpc.RenderQrStickersResponse:
        # A whole CPO's batch takes a while to draw.
        return await self._call(
            lambda: self._qr.RenderQrStickers(request, timeout=max(self._timeout, 120)), idempotent=True
        )

    async def lease_deliveries(
        self, request: deliveries_rpc.LeaseDeliveriesRequest
    ) -> deliveries_rpc.LeaseDeliveriesResponse:
        # The wait is server-side: give the call that much more time.
        timeout = self._timeout + request.wait.ToTimedelta().total_seconds()
        return await self._call(lambda: self._deliveries.LeaseDeliveries(request, timeout=timeout), idempotent=False)

    async def complete_delivery(
        self, request: deliveries_rpc.CompleteDeliveryRequest
    ) -> deliveries_rpc.CompleteDeliveryResponse:
        return await self._call(
            lambda: self._deliveries.CompleteDelivery(request, timeout=self._timeout), idempotent=False
        )

    async def complete_deliveries(
        self, request: deliveries_rpc.CompleteDeliveriesRequest
    ) -> deliveries_rpc.CompleteDeliveriesResponse:
        return await self._call(
            lambda: self._deliveries.CompleteDeliveries(request, timeout=self._timeout), idempotent=False
        )

    async def list_deliveries(
        self, request: deliveries_rpc.ListDeliveriesRequest
    ) -> AsyncIterator[deliveries_pb2.Delivery]:
        page = deliveries_rpc.ListDeliveriesRequest()
        page.CopyFrom(request)
        while True:
            response = await self._call(
                lambda: self._deliveries.ListDeliveries(page, timeout=self._timeout), idempotent=True
            )
            for delivery in response.deliveries:
                yield delivery
            if not response.next_page_token:
                return
            page.page_token = response.next_page_token

    async def discard_delivery(self, name: str) -> deliveries_pb2.Delivery:
        request = deliveries_rpc.DiscardDeliveryRequest(name=name)
        response = await self._call(
            lambda: self._deliveries.DiscardDelivery(request, timeout=self._timeout), idempotent=False
        )
        return response.delivery

    async def retry_delivery(self, name: str) -> deliveries_pb2.Delivery:
        request = deliveries_rpc.RetryDeliveryRequest(name=name)
        response = await self._call(
            lambda: self._deliveries.RetryDelivery(request, timeout=self._timeout), idempotent=False
        )
        return response.delivery
