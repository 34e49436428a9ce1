"""Ending a party and the Hub's token keys:

hubctl party revoke CC/PARTY_ID --reason TEXT [--role ROLE]   for good: tokens, deliveries, audit (who and why)
hubctl party unregister CC/PARTY_ID [--role ROLE]             the registration ends; rotate-invite lets it back
hubctl keys reencrypt                                         stored party tokens under the newest key
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from hubclient import HubClient
from hubctl import _render as render
from hubctl._base import print_json
from ocpihub.parties.v1 import parties_pb2 as pb

Find = Callable[[HubClient, tuple[str, str], str | None], Awaitable[list[pb.Party]]]


def _line(party: pb.Party, dead_lettered: int) -> str:
    dead = f"; {dead_lettered} queued deliveries dead-lettered" if dead_lettered else ""
    return f"{render.party_label(party)} {render.role(party.role)}: {render.state(party.state)}{dead}"


async def revoke(hub: HubClient, args: argparse.Namespace, find: Find) -> None:
    for party in await find(hub, args.party, args.role):
        response = await hub.revoke_party(party.name, args.reason)
        print(_line(response.party, response.dead_lettered))


async def unregister(hub: HubClient, args: argparse.Namespace, find: Find) -> None:
    parties = [p for p in await find(hub, args.party, args.role) if p.state != pb.PARTY_STATE_UNREGISTERED]
    for party in parties:
        response = await hub.unregister_party(party.name)
        print(_line(response.party, response.dead_lettered))
    print("to let it register again: hubctl party rotate-invite " + f"{args.party[0]}/{args.party[1]}")


async def reencrypt(hub: HubClient, args: argparse.Namespace) -> None:
    response = await hub.reencrypt_tokens()
    if args.json:
        print_json({"platforms": response.platforms, "qr_api_keys": response.qr_api_keys})
    else:
        print(
            f"re-encrypted under the newest key: {response.platforms} platform tokens,"
            f" {response.qr_api_keys} QR API keys; older keys may now leave HUB_TOKEN_KEYS"
        )


def add_keys_commands(
    groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser
) -> None:
    keys = groups.add_parser("keys", help="the keys that encrypt stored party tokens")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    summary = "re-encrypt every stored party token (TOKEN_B, QR API keys) under the newest HUB_TOKEN_KEYS key"
    sub = actions.add_parser("reencrypt", help=summary, description=summary, parents=[as_json])
    sub.set_defaults(handler=reencrypt)
