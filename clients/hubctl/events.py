"""hubctl events: the core's event stream, one event a line.

hubctl events [--follow] [--kind K …] [--party CC/PID …] [--environment E] [--since CURSOR] [--json]

Without --follow it prints the events there are and exits; with it, it keeps printing new ones as they are committed
on any core replica, and reconnects by itself (from the last cursor) if the core goes away. Resume a later run with
--since set to the last cursor printed: nothing is missed, nothing comes twice.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC

from google.protobuf import json_format

from hubclient import HubClient
from hubctl._base import party_ref
from ocpihub.events.v1 import events_pb2 as pb
from ocpihub.events.v1 import events_service_pb2 as rpc

KINDS = [
    name.removeprefix("EVENT_KIND_")
    for name in pb.EventKind.DESCRIPTOR.values_by_name
    if name != "EVENT_KIND_UNSPECIFIED"
]


def event_json(event: pb.Event) -> dict[str, object]:
    return {
        "cursor": event.cursor,
        "time": event.event_time.ToDatetime(tzinfo=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "kind": pb.EventKind.Name(event.kind).removeprefix("EVENT_KIND_"),
        "party": event.party or None,
        "environment": event.environment or None,
        "subject": event.subject,
        "data": json_format.MessageToDict(event.data),
    }


def event_line(event: pb.Event) -> str:
    fields = event_json(event)
    data = json.dumps(fields["data"], ensure_ascii=False, separators=(",", ":"))
    who = f"{fields['party'] or '-'} {fields['environment'] or '-'}"
    return f"{fields['time']}  {fields['kind']:<24}  {who}  {fields['subject']}  {data}  cursor={fields['cursor']}"


async def stream(hub: HubClient, args: argparse.Namespace) -> None:
    request = rpc.StreamEventsRequest(
        after_cursor=args.since or "",
        kinds=[pb.EventKind.Value(f"EVENT_KIND_{kind}") for kind in args.kind or ()],
        parties=[f"{cc}/{pid}" for cc, pid in args.party or ()],
        environment=args.environment or "",
        follow=args.follow,
    )
    async for event in hub.stream_events(request):
        if args.json:
            print(json.dumps(event_json(event), ensure_ascii=False, separators=(",", ":")), flush=True)
        else:
            print(event_line(event), flush=True)


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    summary = "the event stream: status changes, sessions, CDRs, commands, parties, dead letters, one a line"
    sub = groups.add_parser("events", help=summary, description=summary, parents=[as_json])
    sub.set_defaults(handler=stream)
    sub.add_argument("--follow", "-f", action="store_true", help="keep printing new events as they happen")
    sub.add_argument(
        "--kind", type=str.upper, nargs="+", action="extend", choices=KINDS, metavar="K", help="only these kinds"
    )
    sub.add_argument(
        "--party", type=party_ref, nargs="+", action="extend", metavar="CC/PID", help="only these parties' events"
    )
    sub.add_argument("--environment", type=str.upper, choices=("SANDBOX", "PRODUCTION"), help="only this environment")
    sub.add_argument("--since", metavar="CURSOR", help="only events after this cursor (the last one you saw)")
