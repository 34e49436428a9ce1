"""hubctl commands about the audit logs: security events (auth failures, suspensions, rotations) and credential events.

hubctl audit list [--since 7d|2026-11-01T00:00:00Z] [--kind K] [--log security|credentials] [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from hubclient import HubClient
from hubctl._base import Command, positive_int, print_json
from hubctl._render import table, timestamp
from ocpihub.audit.v1 import audit_pb2 as pb
from ocpihub.audit.v1 import audit_service_pb2 as rpc

LOGS = {"security": pb.AUDIT_LOG_SECURITY, "credentials": pb.AUDIT_LOG_CREDENTIALS}
_AGO = re.compile(r"(\d+)([dhm])")
_UNIT = {"d": "days", "h": "hours", "m": "minutes"}


def since(value: str) -> Timestamp:
    """ "7d", "12h", "30m" (that long ago) or an ISO 8601 date or time (UTC unless it says otherwise)."""
    text = value.strip()
    if match := _AGO.fullmatch(text.lower()):
        moment = datetime.now(UTC) - timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})
    else:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{value!r} is neither an age like 7d, 12h, 30m nor an ISO 8601 time"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _log(event: pb.AuditEvent) -> str:
    return pb.AuditLog.Name(event.log).removeprefix("AUDIT_LOG_").lower()


def _who(event: pb.AuditEvent) -> str:
    return event.party.removeprefix("parties/") or event.platform or "-"


def event_json(event: pb.AuditEvent) -> dict[str, object]:
    return {
        "log": _log(event),
        "event_time": timestamp(event.event_time),
        "kind": event.kind,
        "party": event.party or None,
        "platform": event.platform or None,
        "remote_address": event.remote_address or None,
        "occurrences": event.occurrences,
        "last_time": timestamp(event.last_time) if event.HasField("last_time") else None,
        "detail": json_format.MessageToDict(event.detail),
    }


def event_table(events: list[pb.AuditEvent]) -> str:
    rows = [("TIME", "LOG", "KIND", "PARTY/PLATFORM", "FROM", "COUNT", "DETAIL")]
    for e in events:
        detail = json.dumps(json_format.MessageToDict(e.detail), ensure_ascii=False) if e.detail.fields else "-"
        when = timestamp(e.event_time) or "-"
        rows.append((when, _log(e), e.kind, _who(e), e.remote_address or "-", str(e.occurrences), detail))
    return table(rows)


async def list_events(hub: HubClient, args: argparse.Namespace) -> None:
    request = rpc.ListAuditEventsRequest(
        page_size=min(args.limit or 500, 500),
        since=args.since,
        kind=args.kind or "",
        log=LOGS[args.log] if args.log else pb.AUDIT_LOG_UNSPECIFIED,
    )
    events: list[pb.AuditEvent] = []
    async for event in hub.list_audit_events(request):
        events.append(event)
        if len(events) == args.limit:
            break
    if args.json:
        print_json({"events": [event_json(e) for e in events]})
    elif events:
        print(event_table(events))
    else:
        print("no audit events found", file=sys.stderr)


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    summary = "the audit logs: security events (auth failures, suspensions, token rotations) and credential events"
    actions = groups.add_parser("audit", help=summary, description=summary).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )

    def command(name: str, handler: Command, text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=text, description=text, parents=[as_json])
        sub.set_defaults(handler=handler)
        return sub

    sub = command("list", list_events, "list audit events, newest first")
    sub.add_argument("--since", type=since, metavar="WHEN", help="7d, 12h, 30m ago, or an ISO 8601 time")
    sub.add_argument("--kind", type=str.upper, help="e.g. AUTH_FAILED, PARTY_SUSPENDED, REGISTERED")
    sub.add_argument("--log", type=str.lower, choices=LOGS)
    sub.add_argument("--limit", type=positive_int, metavar="N", help="show at most N (default: all)")
