"""hubctl commands about the command log: what eMSPs (or the Hub) asked CPOs to do through the Hub, and what came of it.

hubctl commands list [--party CC/ID] [--state S] [--type T] [--limit N] [--json]
hubctl commands show ID [--json]
hubctl commands start-session|stop-session|reserve-now|cancel-reservation|unlock-connector … (hubctl/issue.py)
"""

from __future__ import annotations

import argparse
import json
import sys

from hubclient import HubClient
from hubctl._base import Command, party_ref, positive_int, print_json
from hubctl._render import table, timestamp
from hubctl.issue import add_issue_commands
from ocpihub.commands.v1 import commands_pb2 as pb
from ocpihub.commands.v1 import commands_service_pb2 as rpc

STATES: dict[str, pb.CommandState.ValueType] = {
    name.removeprefix("COMMAND_STATE_").lower(): value for name, value in pb.CommandState.items() if value
}
TYPES: dict[str, pb.CommandType.ValueType] = {
    name.removeprefix("COMMAND_TYPE_"): value for name, value in pb.CommandType.items() if value
}


def command_ref(value: str) -> str:
    command_id = value.strip().removeprefix("commands/")
    if not command_id or "/" in command_id:
        raise argparse.ArgumentTypeError(f"{value!r} is not a command id like commands/3f2a… or 3f2a…")
    return f"commands/{command_id}"


def _party(ref: object) -> str:
    return f"{getattr(ref, 'country_code', '')}/{getattr(ref, 'party_id', '')}"


def _state(command: pb.Command) -> str:
    return pb.CommandState.Name(command.state).removeprefix("COMMAND_STATE_").lower()


def _type(command: pb.Command) -> str:
    return pb.CommandType.Name(command.type).removeprefix("COMMAND_TYPE_")


def _subject(command: pb.Command) -> str:
    if command.location_id:
        return "/".join(part for part in (command.location_id, command.evse_uid, command.connector_id) if part)
    return command.session_id or command.reservation_id


def _result(command: pb.Command) -> str:
    """The result, and the CPO's own word when the Hub had to translate it (the CPO should be asked to send OCPI)."""
    if command.result_sent_as:
        return f"{command.result} (CPO sent {command.result_sent_as})"
    return command.result or "-"


def command_json(command: pb.Command) -> dict[str, object]:
    return {
        "name": command.name,
        "type": _type(command),
        "state": _state(command),
        "requester": _party(command.requester),
        "target": _party(command.target),
        "response": command.response or None,
        "response_timeout_seconds": command.response_timeout_seconds if command.response else None,
        "result": command.result or None,
        "result_sent_as": command.result_sent_as or None,
        "result_count": command.result_count,
        "location_id": command.location_id or None,
        "evse_uid": command.evse_uid or None,
        "connector_id": command.connector_id or None,
        "session_id": command.session_id or None,
        "reservation_id": command.reservation_id or None,
        "reservation_expiry": timestamp(command.reservation_expiry) if command.HasField("reservation_expiry") else None,
        "response_url": command.response_url,
        "deadline": timestamp(command.deadline),
        "callback_valid_until": timestamp(command.callback_valid_until),
        "correlation_id": command.correlation_id,
        "create_time": timestamp(command.create_time),
        "update_time": timestamp(command.update_time),
        "issued_by": command.issued_by or None,
        "answer": {"status": command.answer_status, "body": _body(command.answer_body)}
        if command.answer_status
        else None,
        "last_result": _body(command.last_result_body) if command.last_result_body else None,
    }


def _body(content: bytes) -> object:
    """A body the CPO sent, as JSON when it is JSON (the Hub stores it as received)."""
    try:
        return json.loads(content)
    except ValueError:
        return content.decode(errors="replace")


def command_table(commands: list[pb.Command]) -> str:
    rows = [("ID", "TYPE", "STATE", "FROM", "TO", "FOR", "RESPONSE", "RESULT", "CREATED")]
    for c in commands:
        rows.append(
            (
                c.name,
                _type(c),
                _state(c),
                _party(c.requester),
                _party(c.target),
                _subject(c) or "-",
                c.response or "-",
                _result(c),
                timestamp(c.create_time) or "-",
            )
        )
    return table(rows)


def command_text(command: pb.Command) -> str:
    data = command_json(command)
    width = max(len(key) for key in data)
    return "\n".join(f"{key.ljust(width)}  {value}" for key, value in data.items() if value not in (None, ""))


async def list_commands(hub: HubClient, args: argparse.Namespace) -> None:
    request = rpc.ListCommandsRequest(
        page_size=min(args.limit or 500, 500),
        party="/".join(args.party) if args.party else "",
        state=STATES[args.state] if args.state else pb.COMMAND_STATE_UNSPECIFIED,
        type=TYPES[args.type] if args.type else pb.COMMAND_TYPE_UNSPECIFIED,
    )
    commands: list[pb.Command] = []
    async for command in hub.list_commands(request):
        commands.append(command)
        if len(commands) == args.limit:
            break
    if args.json:
        print_json({"commands": [command_json(c) for c in commands]})
    elif commands:
        print(command_table(commands))
    else:
        print("no commands found", file=sys.stderr)


async def show_command(hub: HubClient, args: argparse.Namespace) -> None:
    command = await hub.get_command(args.command)
    print_json(command_json(command)) if args.json else print(command_text(command))


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    summary = "the command log: commands and charging profile requests relayed to CPOs"
    actions = groups.add_parser("commands", help=summary, description=summary).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )

    def command(name: str, handler: Command, text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=text, description=text, parents=[as_json])
        sub.set_defaults(handler=handler)
        return sub

    sub = command("list", list_commands, "list commands, newest first")
    sub.add_argument("--party", type=party_ref, metavar="CC/PARTY_ID", help="sent or received by this party")
    sub.add_argument("--state", type=str.lower, choices=STATES)
    sub.add_argument("--type", type=str.upper, choices=TYPES)
    sub.add_argument("--limit", type=positive_int, metavar="N", help="show at most N (default: all)")
    sub = command("show", show_command, "show one command: its answer, result, deadline and callback validity")
    sub.add_argument("command", type=command_ref, metavar="ID", help="commands/ID or ID")
    add_issue_commands(actions, as_json)
