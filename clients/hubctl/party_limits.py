"""hubctl party limits CC/PARTY_ID: show, or change, a party's rate limits and IP allow-list.

Zero (or nothing set) means the Hub's defaults, which the facade takes from its settings (HUB_RATE_LIMIT_*). Changes
reach the facade with the party's next request.
"""

from __future__ import annotations

import argparse
import re

from hubclient import HubClient
from hubctl import _render as render
from hubctl._base import print_json
from ocpihub.parties.v1 import parties_pb2 as pb

_MODULE = re.compile(r"^([a-z]+)=(\d+)(?:/(\d+))?$")


def module_limit(value: str) -> pb.ModuleLimit:
    match = _MODULE.match(value.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not MODULE=RATE or MODULE=RATE/BURST, e.g. locations=20/40")
    module, rate, burst = match.groups()
    return pb.ModuleLimit(module=module, rate_per_second=int(rate), burst=int(burst or 0))


def non_negative(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number (0: the Hub's default)")
    return int(value)


def add_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--rate", type=non_negative, metavar="N", help="requests per second per module (0: default)")
    sub.add_argument("--burst", type=non_negative, metavar="N", help="requests at once per module (0: default)")
    sub.add_argument(
        "--module",
        type=module_limit,
        action="append",
        default=[],
        metavar="MODULE=RATE[/BURST]",
        help="a module's own limit, e.g. locations=20 or qr=5/10; RATE 0 removes it (repeatable)",
    )
    sub.add_argument(
        "--allow-ip",
        action="append",
        default=[],
        metavar="CIDR",
        help="accept the party's tokens only from these addresses; replaces the list (repeatable)",
    )
    sub.add_argument("--allow-any-ip", action="store_true", help="drop the IP allow-list")
    sub.add_argument("--clear", action="store_true", help="back to the Hub's defaults (before the other options)")


def _changes(args: argparse.Namespace) -> bool:
    return bool(
        args.clear
        or args.rate is not None
        or args.burst is not None
        or args.module
        or args.allow_ip
        or args.allow_any_ip
    )


def _apply(current: pb.PartyLimits, args: argparse.Namespace) -> pb.PartyLimits:
    wanted = (
        pb.PartyLimits(party=current.party)
        if args.clear
        else pb.PartyLimits(
            party=current.party,
            rate_per_second=current.rate_per_second,
            burst=current.burst,
            module_limits=current.module_limits,
            allowed_cidrs=current.allowed_cidrs,
        )
    )
    if args.rate is not None:
        wanted.rate_per_second = args.rate
    if args.burst is not None:
        wanted.burst = args.burst
    if args.module:
        modules = {m.module: m for m in wanted.module_limits}
        for change in args.module:
            if change.rate_per_second:
                modules[change.module] = change
            else:
                modules.pop(change.module, None)
        del wanted.module_limits[:]
        wanted.module_limits.extend(modules[name] for name in sorted(modules))
    if args.allow_any_ip or args.allow_ip:
        del wanted.allowed_cidrs[:]
        wanted.allowed_cidrs.extend(args.allow_ip)
    return wanted


def limits_json(limits: pb.PartyLimits) -> dict[str, object]:
    return {
        "party": f"{limits.party.country_code}/{limits.party.party_id}",
        "rate_per_second": limits.rate_per_second or None,
        "burst": limits.burst or None,
        "modules": {
            m.module: {"rate_per_second": m.rate_per_second, "burst": m.burst or None} for m in limits.module_limits
        },
        "allowed_cidrs": list(limits.allowed_cidrs),
        "update_time": render.timestamp(limits.update_time if limits.HasField("update_time") else None),
    }


def limits_text(limits: pb.PartyLimits) -> str:
    def rate(value: int) -> str:
        return f"{value} req/s" if value else "Hub default"

    def burst(value: int) -> str:
        return str(value) if value else "default (the Hub's burst scaled to the rate)"

    lines = [
        f"{limits.party.country_code}/{limits.party.party_id} limits (per module)",
        f"  rate:          {rate(limits.rate_per_second)}",
        f"  burst:         {burst(limits.burst) if limits.rate_per_second or limits.burst else 'Hub default'}",
    ]
    lines += [f"  {m.module + ':':<14} {rate(m.rate_per_second)}, burst {burst(m.burst)}" for m in limits.module_limits]
    lines.append(f"  allowed from:  {', '.join(limits.allowed_cidrs) or 'any address'}")
    return "\n".join(lines)


async def limits(hub: HubClient, args: argparse.Namespace) -> None:
    country_code, party_id = args.party
    current = await hub.get_party_limits(country_code, party_id)
    shown = await hub.set_party_limits(_apply(current, args)) if _changes(args) else current
    if args.json:
        print_json(limits_json(shown))
    else:
        print(limits_text(shown))
