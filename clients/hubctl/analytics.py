"""hubctl analytics utilisation: time CHARGING over time usable, from what each EVSE reported (its status history).

hubctl analytics utilisation --from YYYY-MM-DD --to YYYY-MM-DD [--by evse|location|party|day]
    [--party CC/ID] [--location CC/ID/LOC] [--tz ZONE] [--json]
"""

from __future__ import annotations

import argparse
import os

from hubclient import HubClient
from hubctl._base import party_ref, print_json
from hubctl._render import table
from hubctl.billing import _utc, local_date, time_zone
from ocpihub.analytics.v1 import analytics_service_pb2 as rpc

GROUPINGS = {
    "evse": rpc.UTILISATION_GROUPING_EVSE,
    "location": rpc.UTILISATION_GROUPING_LOCATION,
    "party": rpc.UTILISATION_GROUPING_PARTY,
    "day": rpc.UTILISATION_GROUPING_DAY,
}


def _row_json(row: rpc.UtilisationRow) -> dict[str, str | None]:
    return {
        "key": row.key,
        "charging_hours": row.charging_hours,
        "usable_hours": row.usable_hours,
        "utilisation": row.utilisation or None,
    }


async def utilisation(hub: HubClient, args: argparse.Namespace) -> None:
    if args.start >= args.end:
        raise SystemExit(f"hubctl: --from {args.start} must be before --to {args.end} (--to is exclusive)")
    request = rpc.GetUtilisationRequest(
        group_by=GROUPINGS[args.by],
        party="/".join(args.party) if args.party else "",
        location=args.location or "",
        time_zone=args.tz,
    )
    getattr(request, "from").CopyFrom(_utc(args.start, args.tz))  # `from` is a Python keyword
    request.to.CopyFrom(_utc(args.end, args.tz))
    response = await hub.get_utilisation(request)
    if args.json:
        print_json({"rows": [_row_json(r) for r in response.rows], "total": _row_json(response.total)})
        return
    lines = [("KEY", "CHARGING H", "USABLE H", "UTILISATION")]
    for row in [*response.rows, response.total]:
        lines.append((row.key, row.charging_hours, row.usable_hours, row.utilisation or "-"))
    print(table(lines))


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    """Adds `utilisation` to the `analytics` group (made by hubctl.billing, which the billing team keeps)."""
    analytics = groups.choices["analytics"]
    assert analytics._subparsers is not None
    [actions] = [a for a in analytics._subparsers._group_actions if isinstance(a, argparse._SubParsersAction)]
    summary = "time CHARGING over time AVAILABLE/CHARGING/RESERVED/BLOCKED, from the EVSEs' status history"
    sub = actions.add_parser("utilisation", help=summary, description=summary, parents=[as_json])
    sub.set_defaults(handler=utilisation)
    sub.add_argument("--from", dest="start", type=local_date, required=True, metavar="YYYY-MM-DD", help="in --tz")
    sub.add_argument("--to", dest="end", type=local_date, required=True, metavar="YYYY-MM-DD", help="exclusive")
    sub.add_argument("--by", choices=GROUPINGS, default="evse", type=str.lower, help="default: %(default)s")
    sub.add_argument("--party", type=party_ref, metavar="CC/PARTY_ID", help="one CPO's EVSEs, e.g. VN/CPA")
    sub.add_argument("--location", metavar="CC/PARTY_ID/LOCATION_ID", help="one location's EVSEs")
    sub.add_argument(
        "--tz",
        type=time_zone,
        default=os.environ.get("HUB_TIME_ZONE", "Asia/Ho_Chi_Minh"),
        metavar="ZONE",
        help="days are cut in this zone (default: HUB_TIME_ZONE, else %(default)s)",
    )
