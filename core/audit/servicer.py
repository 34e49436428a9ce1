"""gRPC servicer of ocpihub.audit.v1."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from google.protobuf import json_format, struct_pb2, timestamp_pb2

from core.audit.repository import AuditEvent
from core.audit.service import AuditService
from ocpihub.audit.v1 import audit_pb2 as pb
from ocpihub.audit.v1 import audit_service_pb2 as rpc
from ocpihub.audit.v1 import audit_service_pb2_grpc as rpc_grpc


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def event_to_pb(event: AuditEvent) -> pb.AuditEvent:
    detail = struct_pb2.Struct()
    json_format.ParseDict(event.detail, detail)
    return pb.AuditEvent(
        log=pb.AuditLog.Value(f"AUDIT_LOG_{event.log}"),
        event_time=_timestamp(event.event_time),
        kind=event.kind,
        party=event.party,
        platform=event.platform,
        remote_address=event.remote_address,
        detail=detail,
        occurrences=event.occurrences,
        last_time=_timestamp(event.last_time),
    )


class AuditServicer(rpc_grpc.AuditServiceServicer):
    def __init__(self, service: AuditService) -> None:
        self._service = service

    async def ListAuditEvents(
        self, request: rpc.ListAuditEventsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListAuditEventsResponse:
        events, next_page_token = await self._service.list(
            request.page_size,
            request.page_token,
            since=request.since.ToDatetime(tzinfo=UTC) if request.HasField("since") else None,
            kind=request.kind,
            log_name=pb.AuditLog.Name(request.log).removeprefix("AUDIT_LOG_") if request.log else "",
        )
        return rpc.ListAuditEventsResponse(events=[event_to_pb(e) for e in events], next_page_token=next_page_token)
