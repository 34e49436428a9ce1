"""hubctl commands start-session|stop-session|reserve-now|cancel-reservation|unlock-connector: the Hub sends a
command to a CPO itself (support work, R6.1), for itself or --on-behalf-of an eMSP.

hubctl commands start-session --token UID --location CC/PID/LOC [--evse UID [--connector ID]] [--on-behalf-of CC/PID]
hubctl commands stop-session --session [CC/PID/]SESSION_ID [--on-behalf-of CC/PID]
hubctl commands reserve-now --token UID --location CC/PID/LOC [--evse UID] --reservation ID --expiry TIME
hubctl commands cancel-reservation --reservation ID [--cpo CC/PID] [--on-behalf-of CC/PID]
hubctl commands unlock-connector --location CC/PID/LOC --evse UID --connector ID

The core records the command (QUEUED) and a facade sends it; hubctl waits (--wait seconds) for the CPO's answer and
prints the command as `hubctl commands show` does. The CPO's result arrives later: `hubctl commands show ID`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from hubclient import HubClient
from hubctl._base import party_ref, print_json
from ocpihub.commands.v1 import commands_pb2 as pb
from ocpihub.commands.v1 import commands_service_pb2 as rpc
from ocpihub.types.v1 import types_pb2

_WAITING = (pb.COMMAND_STATE_QUEUED, pb.COMMAND_STATE_SENT)


def location_ref(value: str) -> tuple[str, str, str]:
    parts = value.strip().split("/")
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError(f"{value!r} is not a location like VN/CPA/LOC1 (CC/PARTY_ID/LOCATION_ID)")
    return parts[0].upper(), parts[1].upper(), parts[2]


def session_ref(value: str) -> tuple[str, str, str]:
    parts = value.strip().split("/")
    if len(parts) == 1 and parts[0]:
        return "", "", parts[0]
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError(f"{value!r} is not a session like VN/CPA/S1 or S1")
    return parts[0].upper(), parts[1].upper(), parts[2]


def utc_time(value: str) -> Timestamp:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a time like 2026-11-01T10:00:00Z") from None
    stamp = Timestamp()
    stamp.FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return stamp


def _request(kind: pb.CommandType.ValueType, args: argparse.Namespace) -> rpc.IssueCommandRequest:
    request = rpc.IssueCommandRequest(type=kind)
    if args.on_behalf_of:
        request.on_behalf_of.CopyFrom(
            types_pb2.PartyRef(country_code=args.on_behalf_of[0], party_id=args.on_behalf_of[1], role="EMSP")
        )
    if getattr(args, "token", None):
        request.token_uid = args.token
        request.token_type = types_pb2.TokenType.Value(f"TOKEN_TYPE_{args.token_type}")
    if getattr(args, "location", None):
        country_code, party_id, request.location_id = args.location
        request.cpo.CopyFrom(types_pb2.PartyRef(country_code=country_code, party_id=party_id, role="CPO"))
    if getattr(args, "session", None):
        country_code, party_id, request.session_id = args.session
        if country_code:
            request.cpo.CopyFrom(types_pb2.PartyRef(country_code=country_code, party_id=party_id, role="CPO"))
    if getattr(args, "cpo", None):
        request.cpo.CopyFrom(types_pb2.PartyRef(country_code=args.cpo[0], party_id=args.cpo[1], role="CPO"))
    for field in ("evse", "connector"):
        if getattr(args, field, None):
            setattr(request, "evse_uid" if field == "evse" else "connector_id", getattr(args, field))
    if getattr(args, "reservation", None):
        request.reservation_id = args.reservation
    if getattr(args, "expiry", None):
        request.reservation_expiry.CopyFrom(args.expiry)
    return request


def _issuer(kind: pb.CommandType.ValueType) -> Callable[[HubClient, argparse.Namespace], object]:
    async def issue(hub: HubClient, args: argparse.Namespace) -> None:
        from hubctl.command_log import command_json, command_text

        command = (await hub.issue_command(_request(kind, args))).command
        # Waits for the CPO's synchronous answer; its result comes later (hubctl commands show).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + args.wait
        while command.state in _WAITING and loop.time() < deadline:
            await asyncio.sleep(0.2)
            command = await hub.get_command(command.name)
        if args.json:
            print_json(command_json(command))
            return
        print(command_text(command))
        if command.state in _WAITING:
            print(f"no answer from the CPO yet: see hubctl commands show {command.name}")

    return issue


def add_issue_commands(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser
) -> None:
    def command(name: str, kind: pb.CommandType.ValueType, text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=text, description=text, parents=[as_json])
        sub.set_defaults(handler=_issuer(kind))
        sub.add_argument(
            "--on-behalf-of", type=party_ref, metavar="CC/PARTY_ID", help="the eMSP it is for (default: the Hub)"
        )
        sub.add_argument("--wait", type=float, default=30.0, metavar="SECONDS", help="for the CPO's answer")
        return sub

    def token(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--token", required=True, metavar="UID", help="a token the Hub holds")
        sub.add_argument("--token-type", default="RFID", type=str.upper, choices=("RFID", "AD_HOC_USER", "APP_USER"))

    def location(sub: argparse.ArgumentParser, *, evse_required: bool = False) -> None:
        sub.add_argument("--location", required=True, type=location_ref, metavar="CC/PARTY_ID/LOCATION_ID")
        sub.add_argument("--evse", required=evse_required, metavar="UID")

    sub = command("start-session", pb.COMMAND_TYPE_START_SESSION, "ask a CPO to start a session with a token")
    token(sub)
    location(sub)
    sub.add_argument("--connector", metavar="ID")
    sub = command("stop-session", pb.COMMAND_TYPE_STOP_SESSION, "ask a CPO to stop a session")
    sub.add_argument("--session", required=True, type=session_ref, metavar="[CC/PARTY_ID/]SESSION_ID")
    sub = command("reserve-now", pb.COMMAND_TYPE_RESERVE_NOW, "ask a CPO to reserve an EVSE or location for a token")
    token(sub)
    location(sub)
    sub.add_argument("--reservation", required=True, metavar="ID")
    sub.add_argument("--expiry", required=True, type=utc_time, metavar="TIME", help="e.g. 2026-11-01T10:00:00Z")
    sub = command("cancel-reservation", pb.COMMAND_TYPE_CANCEL_RESERVATION, "ask a CPO to cancel a reservation")
    sub.add_argument("--reservation", required=True, metavar="ID")
    sub.add_argument("--cpo", type=party_ref, metavar="CC/PARTY_ID", help="default: the CPO it was reserved at")
    sub = command("unlock-connector", pb.COMMAND_TYPE_UNLOCK_CONNECTOR, "ask a CPO to unlock a connector")
    location(sub, evse_required=True)
    sub.add_argument("--connector", required=True, metavar="ID")
