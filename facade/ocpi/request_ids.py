"""X-Request-ID / X-Correlation-ID: echoed on every response (generated when the caller sent none).

For the length of the request they are also in the facade's log lines and go to the core with every call.
"""

from __future__ import annotations

import re
import uuid

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from facade import logs
from hubclient import call_metadata

# What gRPC accepts as a metadata value (printable ASCII); a caller's odd id stays out of the calls to the core.
_METADATA_SAFE = re.compile(r"^[\x20-\x7e]{1,256}$")
REQUEST_ID = "x-request-id"
CORRELATION_ID = "x-correlation-id"


def request_ids_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        headers = {name.decode().lower(): value.decode("latin-1") for name, value in scope["headers"]}
        request_id = headers.get(REQUEST_ID) or str(uuid.uuid4())
        correlation_id = headers.get(CORRELATION_ID) or str(uuid.uuid4())
        scope.setdefault("state", {})["ocpi_ids"] = (request_id, correlation_id)

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableScopeHeaders.from_message(message)
                response_headers["X-Request-ID"] = request_id
                response_headers["X-Correlation-ID"] = correlation_id
            await send(message)

        ids_token = logs.request_ids.set((request_id, correlation_id))
        metadata_token = call_metadata.set(
            tuple(
                (name, value)
                for name, value in ((REQUEST_ID, request_id), (CORRELATION_ID, correlation_id))
                if _METADATA_SAFE.match(value)
            )
        )
        try:
            await app(scope, receive, send_with_ids)
        finally:
            call_metadata.reset(metadata_token)
            logs.request_ids.reset(ids_token)

    return middleware
