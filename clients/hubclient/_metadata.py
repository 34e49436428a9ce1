"""Request ids travel with every call: whatever `call_metadata` holds when a call starts goes as gRPC metadata."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import grpc

# e.g. (("x-request-id", "…"), ("x-correlation-id", "…")): the facade sets it for the length of an OCPI request, so
# the core's log lines for the calls it makes carry the same ids.
call_metadata: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("hubclient_call_metadata", default=())


def _with_metadata(details: grpc.aio.ClientCallDetails, fixed: tuple[tuple[str, str], ...]) -> Any:
    if extra := fixed + call_metadata.get():
        metadata = grpc.aio.Metadata(*(details.metadata or ()), *extra)
        details = details._replace(metadata=metadata)
    return details


class MetadataInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds the request ids of the moment, and `fixed` (who the client acts for), to every unary call."""

    def __init__(self, fixed: tuple[tuple[str, str], ...] = ()) -> None:
        self._fixed = fixed

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        return await continuation(_with_metadata(client_call_details, self._fixed), request)


class StreamMetadataInterceptor(grpc.aio.UnaryStreamClientInterceptor):
    """The same for server streams (a dashboard following the event stream acts for its signed-in person too).
    A class of its own: a channel files an interceptor under the first of the kinds it is."""

    def __init__(self, fixed: tuple[tuple[str, str], ...] = ()) -> None:
        self._fixed = fixed

    async def intercept_unary_stream(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Awaitable[Any]],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        return await continuation(_with_metadata(client_call_details, self._fixed), request)
