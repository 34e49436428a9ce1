"""hubctl operator: the accounts people sign in to the dashboard with (admins only).

hubctl operator add EMAIL --role admin|operator|analyst   (the password on standard input)
hubctl operator list [--json]      hubctl operator disable EMAIL
"""

from __future__ import annotations

import argparse
import getpass
import sys

from hubclient import HubClient
from hubctl._base import CliError, Command, print_json
from hubctl._render import table, timestamp
from ocpihub.operators.v1 import operators_pb2 as pb

ROLES = {"admin": pb.OPERATOR_ROLE_ADMIN, "operator": pb.OPERATOR_ROLE_OPERATOR, "analyst": pb.OPERATOR_ROLE_ANALYST}
_NAMES = {value: name for name, value in ROLES.items()}
MIN_PASSWORD = 12


def read_password() -> str:
    """From the terminal without echo (asked twice), else the first line of standard input (a pipe, a file)."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password (12 characters at least): ")
        if getpass.getpass("Again: ") != password:
            raise CliError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise CliError(f"the password must have {MIN_PASSWORD} characters at least")
    return password


def _json(account: pb.Operator) -> dict[str, object]:
    return {
        "email": account.email,
        "role": _NAMES.get(account.role, ""),
        "disabled": account.disabled,
        "created_by": account.created_by,
        "create_time": timestamp(account.create_time),
        "disable_time": timestamp(account.disable_time) if account.HasField("disable_time") else None,
        "last_sign_in_time": timestamp(account.last_sign_in_time) if account.HasField("last_sign_in_time") else None,
    }


async def add(hub: HubClient, args: argparse.Namespace) -> None:
    account = await hub.add_operator(args.email, ROLES[args.role], read_password())
    if args.json:
        print_json(_json(account))
    else:
        print(f"{account.email} may sign in to the dashboard as {_NAMES[account.role]}")


async def list_operators(hub: HubClient, args: argparse.Namespace) -> None:
    accounts = await hub.list_operators()
    if args.json:
        print_json([_json(a) for a in accounts])
    elif accounts:
        rows = [("EMAIL", "ROLE", "STATE", "LAST SIGN-IN", "ADDED BY")]
        rows += [
            (
                a.email,
                _NAMES.get(a.role, "?"),
                "disabled" if a.disabled else "enabled",
                (timestamp(a.last_sign_in_time) if a.HasField("last_sign_in_time") else None) or "-",
                a.created_by or "-",
            )
            for a in accounts
        ]
        print(table(rows))
    else:
        print("no dashboard account yet: hubctl operator add EMAIL --role admin", file=sys.stderr)


async def disable(hub: HubClient, args: argparse.Namespace) -> None:
    account = await hub.disable_operator(args.email)
    print(f"{account.email} is disabled: it can no longer sign in")


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    summary = "dashboard accounts (admins only)"
    actions = groups.add_parser("operator", help=summary, description=summary).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )

    def command(name: str, handler: Command, text: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=text, description=text, parents=list(parents))
        sub.set_defaults(handler=handler)
        return sub

    sub = command("add", add, "add an account; its password is read from standard input", as_json)
    sub.add_argument("email", metavar="EMAIL")
    sub.add_argument("--role", required=True, type=str.lower, choices=list(ROLES), help="admin manages accounts")
    command("list", list_operators, "every account, disabled ones included", as_json)
    command("disable", disable, "stop an account from signing in (kept for the audit log)").add_argument(
        "email", metavar="EMAIL"
    )
