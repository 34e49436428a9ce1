"""hubctl: operate the Hub through the core's gRPC API.

    hubctl [--core HOST:PORT] party invite|list|show|suspend|reinstate|revoke|unregister|rotate-invite|limits ...
    hubctl [--core HOST:PORT] keys reencrypt
    hubctl [--core HOST:PORT] locations list|show ...   tariffs list|show ...   deliveries list|retry ...
    hubctl [--core HOST:PORT] commands list|show ...   qr resolve|import|pattern|api|check|sticker|batch ...
    hubctl [--core HOST:PORT] billing settle|close|mismatches|quote ...   analytics usage|utilisation ...
    hubctl [--core HOST:PORT] audit list [--since 7d] [--kind AUTH_FAILED] ...   denylist add|list|remove CIDR
    hubctl [--core HOST:PORT] sessions list|show ...   cdrs list|show ...   tokens list|show ...
    hubctl [--core HOST:PORT] operator add EMAIL --role admin|operator|analyst (password on stdin)   list   disable
    hubctl [--core HOST:PORT] events [--follow] [--kind K …] [--party CC/PID] [--since CURSOR] [--json]

Exit status: 0 on success, 1 when the Hub refuses or cannot be reached, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from google.protobuf.duration_pb2 import Duration

from hubclient import DEFAULT_ADDRESS, ClientTls, HubClient, HubError, HubUnavailable
from hubctl import _render as render
from hubctl import (
    analytics,
    audit,
    billing,
    command_log,
    denylist,
    events,
    lifecycle,
    network,
    operators,
    party_limits,
    qr,
    records,
)
from hubctl._base import CliError, Command, party_ref, print_json
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc

# HUB is the Hub's own role: no party may be invited with it.
ROLES = {
    "CPO": pb.ROLE_CPO,
    "EMSP": pb.ROLE_EMSP,
    "NSP": pb.ROLE_NSP,
    "NAP": pb.ROLE_NAP,
    "SCSP": pb.ROLE_SCSP,
    "OTHER": pb.ROLE_OTHER,
}
STATES = {
    "invited": pb.PARTY_STATE_INVITED,
    "registered": pb.PARTY_STATE_REGISTERED,
    "offline": pb.PARTY_STATE_OFFLINE,
    "suspended": pb.PARTY_STATE_SUSPENDED,
    "unregistered": pb.PARTY_STATE_UNREGISTERED,
    "revoked": pb.PARTY_STATE_REVOKED,
}
ENVIRONMENTS = {"sandbox": pb.ENVIRONMENT_SANDBOX, "production": pb.ENVIRONMENT_PRODUCTION}
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"

_DURATION = re.compile(r"(\d+)([dhms])")
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}

# Argument types


def duration(value: str) -> Duration:
    text = value.strip().lower()
    if not re.fullmatch(r"(?:\d+[dhms])+", text):
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration like 7d, 24h, 30m or 90s")
    return Duration(seconds=sum(int(n) * _SECONDS[unit] for n, unit in _DURATION.findall(text)))


# Commands


def _versions_url(args: argparse.Namespace) -> str:
    return f"{args.public_url.rstrip('/')}/ocpi/versions"


def _print_token(args: argparse.Namespace, party: pb.Party, token_a: str, *, rotated: bool) -> None:
    if args.json:
        print_json({"token_a": token_a, "versions_url": _versions_url(args), "party": render.party_json(party)})
    else:
        print(render.token_text(party, token_a, _versions_url(args), rotated=rotated))


async def _find(hub: HubClient, ref: tuple[str, str], role: str | None) -> list[pb.Party]:
    """Every role of the party (or just `role`); an error when there is none."""
    country_code, party_id = ref
    request = rpc.ListPartiesRequest(
        country_code=country_code, party_id=party_id, role=ROLES[role] if role else pb.ROLE_UNSPECIFIED
    )
    parties = [party async for party in hub.list_parties(request)]
    if not parties:
        raise CliError(f"no party {country_code}/{party_id}" + (f" with role {role}" if role else ""))
    return parties


async def invite(hub: HubClient, args: argparse.Namespace) -> None:
    response = await hub.invite_party(
        rpc.InvitePartyRequest(
            country_code=args.country_code,
            party_id=args.party_id,
            role=ROLES[args.role],
            display_name=args.name,
            environment=ENVIRONMENTS[args.environment] if args.environment else pb.ENVIRONMENT_UNSPECIFIED,
            expires_in=args.expires_in,
        )
    )
    _print_token(args, response.party, response.token_a, rotated=False)


async def rotate_invite(hub: HubClient, args: argparse.Namespace) -> None:
    parties = await _find(hub, args.party, args.role)
    if len(parties) > 1:
        roles = ", ".join(render.role(p.role) for p in parties)
        raise CliError(f"{render.party_label(parties[0])} has several roles ({roles}); choose one with --role")
    response = await hub.rotate_invite(rpc.RotateInviteRequest(name=parties[0].name, expires_in=args.expires_in))
    _print_token(args, response.party, response.token_a, rotated=True)


async def list_parties(hub: HubClient, args: argparse.Namespace) -> None:
    request = rpc.ListPartiesRequest(
        country_code=args.country_code or "",
        role=ROLES[args.role] if args.role else pb.ROLE_UNSPECIFIED,
        state=STATES[args.state] if args.state else pb.PARTY_STATE_UNSPECIFIED,
    )
    parties = [party async for party in hub.list_parties(request)]
    if args.json:
        print_json([render.party_json(p) for p in parties])
    elif parties:
        print(render.party_table(parties))
    else:
        print("no parties found", file=sys.stderr)


async def show(hub: HubClient, args: argparse.Namespace) -> None:
    parties = await _find(hub, args.party, args.role)
    # Roles announced together share one platform: fetch it once.
    platforms: dict[str, pb.Platform] = {}
    for name in dict.fromkeys(p.platform for p in parties if p.platform):
        platforms[name] = await hub.get_platform(name)
    if args.json:
        print_json(
            [
                {
                    "party": render.party_json(p),
                    "platform": render.platform_json(platforms[p.platform]) if p.platform else None,
                }
                for p in parties
            ]
        )
    else:
        print("\n\n".join(render.party_text(p, platforms.get(p.platform)) for p in parties))


async def suspend(hub: HubClient, args: argparse.Namespace) -> None:
    for party in await _find(hub, args.party, args.role):
        updated = await hub.suspend_party(party.name)
        print(f"{render.party_label(updated)} {render.role(updated.role)}: {render.state(updated.state)}")


async def reinstate(hub: HubClient, args: argparse.Namespace) -> None:
    for party in await _find(hub, args.party, args.role):
        updated = await hub.reinstate_party(party.name)
        print(f"{render.party_label(updated)} {render.role(updated.role)}: {render.state(updated.state)}")


async def revoke(hub: HubClient, args: argparse.Namespace) -> None:
    await lifecycle.revoke(hub, args, _find)


async def unregister(hub: HubClient, args: argparse.Namespace) -> None:
    await lifecycle.unregister(hub, args, _find)


# Parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubctl", description="Operate the OCPI Hub: its parties, what they share and what it relays."
    )
    parser.add_argument(
        "--core",
        metavar="HOST:PORT",
        default=os.environ.get("HUB_CORE_ADDRESS") or DEFAULT_ADDRESS,
        help="the Hub core's gRPC address (default: $HUB_CORE_ADDRESS or %(default)s)",
    )
    parser.add_argument(
        "--as",
        dest="person",
        metavar="EMAIL",
        default=os.environ.get("HUB_PERSON", ""),
        help="the person these actions are recorded for in the audit log (default: $HUB_PERSON)",
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON instead of text")
    party = groups.add_parser("party", help="invite and manage parties")
    actions = party.add_subparsers(dest="action", required=True, metavar="ACTION")

    def command(
        name: str, handler: Command, summary: str, *parents: argparse.ArgumentParser
    ) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=summary, description=summary, parents=list(parents))
        sub.set_defaults(handler=handler)
        return sub

    def add_role(sub: argparse.ArgumentParser, required: bool = False) -> None:
        sub.add_argument("--role", type=str.upper, choices=ROLES, required=required, help="OCPI role")

    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("party", type=party_ref, metavar="CC/PARTY_ID", help="e.g. VN/ABC")
    token = argparse.ArgumentParser(add_help=False)
    token.add_argument("--expires-in", type=duration, metavar="DURATION", help="TOKEN_A lifetime: 7d, 24h, 30m, 90s")
    token.add_argument(
        "--public-url",
        default=os.environ.get("HUB_PUBLIC_URL") or DEFAULT_PUBLIC_URL,
        help="the Hub's public base URL, for the versions URL (default: $HUB_PUBLIC_URL or %(default)s)",
    )

    sub = command("invite", invite, "invite a party: mint its TOKEN_A", token, as_json)
    sub.add_argument("--country-code", required=True, help="ISO 3166-1 alpha-2, e.g. VN")
    sub.add_argument("--party-id", required=True, help="1 to 3 characters, e.g. ABC")
    add_role(sub, required=True)
    sub.add_argument("--name", required=True, help="business name")
    sub.add_argument("--environment", type=str.lower, choices=ENVIRONMENTS, help="default: the Hub's own")

    sub = command("list", list_parties, "list parties", as_json)
    sub.add_argument("--state", type=str.lower, choices=STATES)
    add_role(sub)
    sub.add_argument("--country-code")

    add_role(command("show", show, "show a party's roles and platform", target, as_json))
    add_role(command("suspend", suspend, "refuse a party's tokens until reinstated", target))
    add_role(command("reinstate", reinstate, "accept a suspended party's tokens again", target))
    sub = command(
        "revoke", revoke, "end a party for good: its tokens, its deliveries (reinstate cannot undo it)", target
    )
    sub.add_argument("--reason", required=True, help="why, for the audit log")
    add_role(sub)
    add_role(command("unregister", unregister, "end a party's registration (rotate-invite lets it back)", target))
    add_role(command("rotate-invite", rotate_invite, "replace an invited party's TOKEN_A", target, token, as_json))
    party_limits.add_arguments(
        command("limits", party_limits.limits, "show or set a party's rate limits and IP allow-list", target, as_json)
    )
    network.add_commands(groups, as_json)
    billing.add_commands(groups, as_json)
    analytics.add_commands(groups, as_json)
    command_log.add_commands(groups, as_json)
    qr.add_commands(groups, as_json)
    audit.add_commands(groups, as_json)
    records.add_commands(groups, as_json)
    denylist.add_commands(groups, as_json)
    operators.add_commands(groups, as_json)
    lifecycle.add_keys_commands(groups, as_json)
    events.add_commands(groups, as_json)
    return parser


async def _run(args: argparse.Namespace) -> None:
    handler: Command = args.handler
    async with HubClient(args.core, tls=client_tls(), person=args.person) as hub:
        await handler(hub, args)


def client_tls() -> ClientTls | None:
    """HUB_CLIENT_* when set; else the operator's pair `make run` wrote under .hub/pki of this checkout (or of
    $HUB_DATA_DIR); else none (a core without TLS)."""
    if tls := ClientTls.from_env():
        return tls
    candidates = [Path(os.environ["HUB_DATA_DIR"])] if os.environ.get("HUB_DATA_DIR") else []
    candidates += [directory / ".hub" for directory in (Path.cwd(), *Path.cwd().parents)]
    for data_dir in candidates:
        if (data_dir / "pki" / "operator.crt").exists():
            return ClientTls.from_pki(data_dir / "pki", "operator")
    return None


def _fail(*lines: str) -> int:
    print(*lines, sep="\n", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(network.attach_signed_values(sys.argv[1:] if argv is None else argv))
    # Checks across options that argparse cannot express; they exit 2 with the command's usage.
    if check := getattr(args, "check", None):
        check(args)
    try:
        asyncio.run(_run(args))
    except HubUnavailable as error:
        return _fail(
            f"error: cannot reach the Hub core at {args.core}; is it running? (set --core or HUB_CORE_ADDRESS)",
            f"  {error.message}",
        )
    except HubError as error:
        if error.field_violations:
            return _fail("error: invalid input:", *(f"  {field}: {text}" for field, text in error.field_violations))
        return _fail(f"error: {error.message}")
    except CliError as error:
        return _fail(f"error: {error}")
    except KeyboardInterrupt:
        return 130
    return 0
