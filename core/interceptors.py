"""Turns typed domain errors into rich google.rpc.Status (ErrorInfo + BadRequest); hides everything else.

A second interceptor, outside that one, times every call (Prometheus) and carries the caller's request ids into
the log lines the call produces.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from core import db, logs
from core.errors import DOMAIN, DomainError, InvalidArgument, reason_name
from core.metrics import GRPC_DURATION

log = logging.getLogger(__name__)


# gRPC refuses a reply whose headers exceed 8 KiB (RESOURCE_EXHAUSTED), and the status travels there twice: as
# grpc-message (percent-encoded) and as grpc-status-details-bin (base64). Messages echo caller input (a 4,000-character
# id), so every text is clipped to a byte budget that keeps the worst case near 6 KiB.
MESSAGE_BYTES = 300
FIELD_BYTES, DESCRIPTION_BYTES, MAX_VIOLATIONS = 120, 200, 8
METADATA_BYTES, MAX_METADATA = 200, 4


def clip(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` of UTF-8 on a character boundary, marked with "…" when cut."""
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max_bytes - 3].decode(errors="ignore") + "…"


def to_status(error: DomainError) -> status_pb2.Status:
    metadata = {clip(k, 64): clip(v, METADATA_BYTES) for k, v in list(error.metadata.items())[:MAX_METADATA]}
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason_name(error.reason), domain=DOMAIN, metadata=metadata))
    details = [info]
    if isinstance(error, InvalidArgument):
        violations = [
            error_details_pb2.BadRequest.FieldViolation(
                field=clip(field, FIELD_BYTES), description=clip(description, DESCRIPTION_BYTES)
            )
            for field, description in error.violations[:MAX_VIOLATIONS]
        ]
        if len(error.violations) > MAX_VIOLATIONS:
            more = len(error.violations) - MAX_VIOLATIONS
            violations.append(error_details_pb2.BadRequest.FieldViolation(field="", description=f"and {more} more"))
        bad_request = any_pb2.Any()
        bad_request.Pack(error_details_pb2.BadRequest(field_violations=violations))
        details.append(bad_request)
    return status_pb2.Status(code=error.code.value[0], message=clip(error.message, MESSAGE_BYTES), details=details)


def nul_violations(message: Message, prefix: str = "") -> list[tuple[str, str]]:
    """PostgreSQL text cannot hold U+0000: refuse it up front, naming the field, instead of failing in the database."""
    violations = []
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.type == field.TYPE_MESSAGE:
            items = value if field.is_repeated else [value]
            for index, item in enumerate(items):
                where = f"{path}[{index}]." if field.is_repeated else f"{path}."
                violations += nul_violations(item, where)
        elif field.type == field.TYPE_STRING:
            values = value if field.is_repeated else [value]
            if any("\x00" in v for v in values):
                violations.append((path, "must not contain NUL characters"))
    return violations


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary
        method = handler_call_details.method

        async def behavior(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                if violations := nul_violations(request):
                    raise InvalidArgument(violations)
                return await inner(request, context)
            except DomainError as error:
                await context.abort_with_status(rpc_status.to_status(to_status(error)))
            except grpc.aio.AbortError:
                raise
            except Exception as error:
                if db.is_unavailable(error):
                    # PostgreSQL is down or restarting: UNAVAILABLE tells callers to retry (the facade: HTTP 503).
                    log.warning("database unavailable in %s: %s", method, type(error).__name__)
                    await context.abort_with_status(
                        rpc_status.to_status(
                            status_pb2.Status(code=code_pb2.UNAVAILABLE, message="the database is unavailable")
                        )
                    )
                # Never leak internals (SQL, stack, secrets) to the caller; the log has the details.
                log.exception("unhandled error in %s", method)
                await context.abort_with_status(
                    rpc_status.to_status(status_pb2.Status(code=code_pb2.INTERNAL, message="internal error"))
                )

        return grpc.unary_unary_rpc_method_handler(
            behavior,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _code_name(context: grpc.aio.ServicerContext) -> str:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return str(code.name)
    if isinstance(code, int):
        return next((c.name for c in grpc.StatusCode if c.value[0] == code), "UNKNOWN")
    return "OK"


def _request_ids(metadata: tuple[tuple[str, str | bytes], ...] | None) -> tuple[str, str] | None:
    values = {key: value for key, value in metadata or () if isinstance(value, str)}
    request_id = values.get("x-request-id", "")
    return (request_id, values.get("x-correlation-id", "")) if request_id else None


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):
    """Call duration per method and status code; the caller's X-Request-ID / X-Correlation-ID in the call's logs."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary
        method = handler_call_details.method.lstrip("/").removeprefix("ocpihub.")
        ids = _request_ids(handler_call_details.invocation_metadata)

        async def behavior(request: Any, context: grpc.aio.ServicerContext) -> Any:
            token = logs.request_ids.set(ids)
            start = time.perf_counter()
            code = "UNKNOWN"
            try:
                response = await inner(request, context)
                code = _code_name(context)
                return response
            except grpc.aio.AbortError:
                code = _code_name(context)
                raise
            finally:
                GRPC_DURATION.labels(method, code).observe(time.perf_counter() - start)
                logs.request_ids.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            behavior,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
