"""hubctl denylist: address ranges the Hub refuses on every replica at once, until removed.

hubctl denylist add CIDR [--reason TEXT]     hubctl denylist list [--json]     hubctl denylist remove CIDR
"""

from __future__ import annotations

import argparse
import sys

from hubclient import HubClient
from hubctl._base import Command, print_json
from hubctl._render import table, timestamp
from ocpihub.denylist.v1 import denylist_pb2 as pb


def _json(denied: pb.DeniedNetwork) -> dict[str, object]:
    return {
        "network": denied.network,
        "reason": denied.reason,
        "created_by": denied.created_by,
        "create_time": timestamp(denied.create_time),
    }


async def add(hub: HubClient, args: argparse.Namespace) -> None:
    denied = await hub.add_denied_network(args.network, args.reason)
    if args.json:
        print_json(_json(denied))
    else:
        print(f"denied {denied.network}: every replica refuses it within moments (HTTP 403)")


async def list_networks(hub: HubClient, args: argparse.Namespace) -> None:
    networks = await hub.list_denied_networks()
    if args.json:
        print_json([_json(d) for d in networks])
    elif networks:
        rows = [("NETWORK", "SINCE", "BY", "REASON")]
        rows += [(d.network, timestamp(d.create_time) or "-", d.created_by or "-", d.reason or "-") for d in networks]
        print(table(rows))
    else:
        print("no address is denied", file=sys.stderr)


async def remove(hub: HubClient, args: argparse.Namespace) -> None:
    await hub.remove_denied_network(args.network)
    print(f"{args.network} is no longer denied")


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    summary = "address ranges refused on every replica (before any token is looked at)"
    actions = groups.add_parser("denylist", help=summary, description=summary).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )

    def command(name: str, handler: Command, text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=text, description=text, parents=[as_json])
        sub.set_defaults(handler=handler)
        return sub

    sub = command("add", add, "deny a CIDR or an address")
    sub.add_argument("network", metavar="CIDR")
    sub.add_argument("--reason", default="", help="why, for the operators who come later")
    command("list", list_networks, "the denied ranges")
    command("remove", remove, "stop denying a range").add_argument("network", metavar="CIDR")
