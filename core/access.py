"""Who may call what on the core's port: the caller's role comes from its verified client certificate.

A certificate's subject names the caller (CN) and its role (OU): `facade` (the RPCs OCPI traffic needs), `operator`
(everything, admin included), `analyst` (reads of analytics, billing and the network, and the event stream),
`billing` (the analyst's reads and settlement runs) and `dashboard` (acts for a signed-in person with that person's
role, `operator` or `analyst`, named in call metadata; its own role only for the sign-in check,
VerifyOperatorPassword, which no other role may call). Only operator and dashboard callers may name a person
(`x-hub-person`); the audit log records that person, or else the certificate's caller, for every admin call. Anything
not granted is denied.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import grpc
from cryptography import x509
from cryptography.x509.oid import NameOID

from core.errors import DomainError

log = logging.getLogger(__name__)

PERSON_METADATA = "x-hub-person"
ACTING_ROLE_METADATA = "x-hub-acting-role"


class Role(enum.StrEnum):
    FACADE = "facade"
    OPERATOR = "operator"
    ANALYST = "analyst"
    BILLING = "billing"
    DASHBOARD = "dashboard"


@dataclass(frozen=True, slots=True)
class Caller:
    name: str  # the certificate's CN: a service ("facade") or a person's certificate ("alice@hub.vn")
    role: Role  # the role the call is checked against (for a dashboard: the signed-in person's)
    person: str = ""
    # The call came through the dashboard's certificate (acting for `person`): services that must know the person's
    # own account, such as account management (admins only), check it.
    dashboard: bool = False

    @property
    def actor(self) -> str:
        """Who an admin action is attributed to: the person named, else the calling service."""
        return self.person or self.name


# The caller of the RPC being served (set by AccessInterceptor), for services that record who acted.
current_caller: ContextVar[Caller | None] = ContextVar("current_caller", default=None)

_ALL = frozenset({"*"})
_READ_VERBS = ("Get", "List", "Summarize", "Quote", "Verify")
_NETWORK_READS = ("locations.v1.LocationsService", "tariffs.v1.TariffsService", "sessions.v1.SessionsService")
_ANALYST_SERVICES = ("analytics.v1.AnalyticsService", "billing.v1.BillingService", "cdrs.v1.CdrsService")
_OPEN_TO_ALL = ("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection")
# The dashboard's sign-in: the dashboard service's alone (no person is signed in yet), not even an operator's, so a
# stolen operator certificate is no password oracle.
_SIGN_IN = ("operators.v1.OperatorsService", "VerifyOperatorPassword")
# Reads whose names do not start with a read verb: the event stream tells what reads would show.
_STREAMED_READS = ("events.v1.EventsService/StreamEvents",)

# Per role: service (without the "ocpihub." prefix) -> methods granted ("*": all).
_FACADE: Mapping[str, frozenset[str]] = {
    # All of it, the Hub's rotation of its credentials (ClaimTokenRotations, ReportTokenRotation) included. Revoking,
    # unregistering and re-encrypting (PartiesService) are not granted: operators only.
    "parties.v1.CredentialsService": _ALL,
    "parties.v1.PartiesService": frozenset({"GetParty", "ListParties", "GetPlatform", "GetPartyLimits"}),
    "routing.v1.RoutingService": _ALL,
    "locations.v1.LocationsService": _ALL,
    "tariffs.v1.TariffsService": _ALL,
    "sessions.v1.SessionsService": _ALL,
    "cdrs.v1.CdrsService": _ALL,
    "tokens.v1.TokensService": _ALL,
    # Not IssueCommand: the Hub issues commands for operators only (hubctl commands start-session …).
    "commands.v1.CommandsService": frozenset(
        {
            "CreateCommand",
            "RecordCommandResponse",
            "RecordCommandResult",
            "GetCommand",
            "ListCommands",
            "ClaimIssuedCommands",
        }
    ),
    "deliveries.v1.DeliveriesService": frozenset({"LeaseDeliveries", "CompleteDelivery", "CompleteDeliveries"}),
    "qr.v1.QrService": frozenset({"ResolveQr", "CompleteQrMapping"}),
    "billing.v1.BillingService": frozenset({"QuoteSession", "VerifyCdr"}),
    "denylist.v1.DenylistService": frozenset({"ListDeniedNetworks"}),
}


def _split(full_method: str) -> tuple[str, str]:
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service.removeprefix("ocpihub."), method


def is_read(method: str) -> bool:
    return method.startswith(_READ_VERBS)


def _is_streamed_read(service: str, method: str) -> bool:
    return f"{service}/{method}" in _STREAMED_READS


def _reads(service: str, method: str) -> bool:
    return is_read(method) or _is_streamed_read(service, method)


def allowed(role: Role, full_method: str) -> bool:
    service, method = _split(full_method)
    if (service, method) == _SIGN_IN:
        return role is Role.DASHBOARD
    if service in _OPEN_TO_ALL or role is Role.OPERATOR:
        return True
    if role is Role.FACADE:
        granted = _FACADE.get(service, frozenset())
        return "*" in granted or method in granted
    if role in (Role.ANALYST, Role.BILLING):
        if _is_streamed_read(service, method):
            return True
        if role is Role.BILLING and service == "billing.v1.BillingService":
            return True
        return service in (*_ANALYST_SERVICES, *_NETWORK_READS) and is_read(method)
    return False  # a dashboard acts only with its person's role


def is_admin_call(caller: Caller, full_method: str) -> bool:
    """An action the audit log must attribute: anything but a read, by anyone but the facade's OCPI traffic."""
    service, method = _split(full_method)
    return caller.role is not Role.FACADE and service not in _OPEN_TO_ALL and not _reads(service, method)


@functools.lru_cache(maxsize=256)
def _subject(pem: bytes) -> tuple[str, str]:
    subject = x509.load_pem_x509_certificate(pem).subject
    common = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    units = subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return (str(common[0].value) if common else "", str(units[0].value) if units else "")


class AccessDenied(Exception):
    pass


def identify(auth_context: Mapping[str, list[bytes]], metadata: Mapping[str, str], full_method: str = "") -> Caller:
    """The caller of a call on the TLS port, from its verified certificate and the person it names."""
    pems = auth_context.get("x509_pem_cert")
    if not pems:
        raise AccessDenied("a client certificate is required")
    name, unit = _subject(pems[0])
    try:
        role = Role(unit)
    except ValueError:
        raise AccessDenied(f"the certificate of {name!r} names no role the core knows ({unit!r})") from None
    person = metadata.get(PERSON_METADATA, "")
    if person and role not in (Role.OPERATOR, Role.DASHBOARD):
        raise AccessDenied(f"a {role} caller may not speak for a person")
    if role is Role.DASHBOARD and _split(full_method) == _SIGN_IN:
        return Caller(name=name, role=role)
    if role is Role.DASHBOARD:
        if not person:
            raise AccessDenied("a dashboard call must name the signed-in person")
        acting = metadata.get(ACTING_ROLE_METADATA, "")
        if acting not in (Role.OPERATOR, Role.ANALYST):
            raise AccessDenied("a dashboard call must name the person's role: operator or analyst")
        return Caller(name=name, role=Role(acting), person=person, dashboard=True)
    return Caller(name=name, role=role, person=person)


AdminLog = Callable[[Caller, str, str], Awaitable[None]]


class AccessInterceptor(grpc.aio.ServerInterceptor):
    """Checks every call against the caller's role; an admin call's outcome is handed to `admin_log`.

    It sits inside the domain-error interceptor, so it sees a refusal as the DomainError it is and records it
    before the status goes out (after that, gRPC may cancel the handler).

    Without TLS (a sandbox started with no certificates) every caller is an anonymous operator: the core then
    trusts its network, and says so at start.
    """

    def __init__(self, admin_log: AdminLog, *, tls: bool) -> None:
        self._admin_log = admin_log
        self._tls = tls

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        metadata = {k: v for k, v in handler_call_details.invocation_metadata or () if isinstance(v, str)}

        async def admit(context: grpc.aio.ServicerContext) -> Caller:
            if not self._tls:
                return Caller(name="anonymous", role=Role.OPERATOR, person=metadata.get(PERSON_METADATA, ""))
            try:
                caller = identify(context.auth_context(), metadata, method)
            except AccessDenied as denied:
                await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(denied))
            if not allowed(caller.role, method):
                if not _reads(*_split(method)):  # an attempt at a write outside one's role is worth a record
                    await self._admin_log(caller, method, "PERMISSION_DENIED")
                await context.abort(
                    grpc.StatusCode.PERMISSION_DENIED, f"{caller.name} ({caller.role}) may not call {method}"
                )
            return caller

        if handler.unary_unary is not None:
            inner = handler.unary_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                caller = await admit(context)
                token = current_caller.set(caller)
                outcome = "INTERNAL"
                try:
                    response = await inner(request, context)
                    outcome = "OK"
                    return response
                except DomainError as error:
                    outcome = error.code.name
                    raise
                finally:
                    current_caller.reset(token)
                    if is_admin_call(caller, method):
                        await self._admin_log(caller, method, outcome)

            return grpc.unary_unary_rpc_method_handler(
                unary,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            stream_inner = handler.unary_stream

            async def stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
                caller = await admit(context)
                current_caller.set(caller)
                async for item in stream_inner(request, context):
                    yield item

            return grpc.unary_stream_rpc_method_handler(
                stream,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # no client- or bidi-streaming RPC is served but reflection, which is open to all
