"""gRPC adapter of the event stream: validate → stream → convert."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp

from core import db
from core.events.model import START, Cursor, Event, Filters, Kind
from core.events.service import EventsService
from ocpihub.events.v1 import events_pb2 as pb
from ocpihub.events.v1 import events_service_pb2 as rpc
from ocpihub.events.v1 import events_service_pb2_grpc

_ENVIRONMENTS = ("", "SANDBOX", "PRODUCTION")


class EventsServicer(events_service_pb2_grpc.EventsServiceServicer):
    def __init__(self, service: EventsService) -> None:
        self._service = service

    async def StreamEvents(
        self, request: rpc.StreamEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[rpc.StreamEventsResponse]:
        # Checked here: a streaming RPC's errors do not pass the domain-error interceptor.
        try:
            after = Cursor.parse(request.after_cursor) if request.after_cursor else START
        except ValueError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "after_cursor: is not a cursor this stream sent")
        if pb.EVENT_KIND_UNSPECIFIED in request.kinds:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "kinds: EVENT_KIND_UNSPECIFIED is no kind")
        environment = request.environment.upper()
        if environment not in _ENVIRONMENTS:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "environment: SANDBOX or PRODUCTION")
        parties = tuple(party.upper() for party in request.parties)
        if any(len(party.split("/")) != 2 for party in parties):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "parties: each is CC/PID, e.g. VN/ABC")
        filters = Filters(
            kinds=tuple(Kind(pb.EventKind.Name(kind).removeprefix("EVENT_KIND_")) for kind in request.kinds),
            parties=parties,
            environment=environment,
        )
        try:
            async for event in self._service.stream(after, filters, follow=request.follow):
                yield rpc.StreamEventsResponse(event=event_to_pb(event))
        except Exception as exc:
            if not db.is_unavailable(exc):
                raise
            # PostgreSQL down or restarting: the client comes back later from its cursor (hubclient does so itself).
            await context.abort(
                grpc.StatusCode.UNAVAILABLE, "the event store cannot be reached: resume from your cursor"
            )
        if request.follow:  # a followed stream ends only when this replica stops: the client resumes elsewhere
            await context.abort(grpc.StatusCode.UNAVAILABLE, "this core is shutting down: resume from your cursor")


def event_to_pb(event: Event) -> pb.Event:
    time = Timestamp()
    time.FromDatetime(event.event_time)
    data = Struct()
    data.update(dict(event.data))
    return pb.Event(
        cursor=str(event.cursor),
        event_time=time,
        kind=pb.EventKind.Value(f"EVENT_KIND_{event.kind}"),
        party=event.party,
        environment=event.environment,
        subject=event.subject,
        data=data,
    )
