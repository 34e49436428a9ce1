"""hubctl commands for the billing and analytics teams: settlement statements, CDR mismatches, quotes and usage.

hubctl billing settle --period PERIOD [--party CC/ID] [--share CPO,EMSP,HUB] [--time-zone ZONE]
    [--format table|csv|json]
hubctl billing close --period PERIOD [--time-zone ZONE] [--json]    hubctl billing mismatches [--party CC/ID] [--json]
hubctl billing statement --period PERIOD --party CC/ID -o FILE.html [--time-zone ZONE]
hubctl billing agreements set --cpo CC/ID [--emsp CC/ID] --shares 70,20,10 --from YYYY-MM-DD
    [--period monthly|biweekly|weekly] [--vat-percent N] [--json]
hubctl billing agreements list [--cpo CC/ID] [--json]
(PERIOD: 2026-11 monthly, 2026-W45 weekly, 2026-W45/P2W biweekly, or the Monday 2026-11-02 a week starts)
hubctl billing quote [sessions/]CC/ID/SESSION_ID [--json]
hubctl analytics usage --from YYYY-MM-DD --to YYYY-MM-DD [--by party|location|day] [--party CC/ID] [--tz ZONE] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from hubclient import HubClient, HubError
from hubctl import _render_billing as render
from hubctl._base import CliError, Command, party_ref, print_json
from hubctl._render_network import when
from hubctl._statement_html import statement_html
from hubctl.network import _object_ref
from ocpihub.analytics.v1 import analytics_service_pb2 as analytics_rpc
from ocpihub.billing.v1 import billing_pb2
from ocpihub.billing.v1 import billing_service_pb2 as billing_rpc
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.cdrs.v1 import cdrs_service_pb2 as cdrs_rpc

FORMATS = ("table", "csv", "json")
GROUPINGS = {
    "party": analytics_rpc.GROUPING_PARTY,
    "location": analytics_rpc.GROUPING_LOCATION,
    "day": analytics_rpc.GROUPING_DAY,
}
DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"
# The core caps pages at 1000; GetCdr calls go in batches so hundreds of mismatches do not flood the core at once.
_PAGE_SIZE = 500
_BATCH = 50


# Argument types


def period(value: str) -> str:
    # The form only: the core checks the rest (a real ISO week, a Monday, a two-week start) and says why.
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])|\d{4}-W\d{2}(/P2W)?|\d{4}-\d{2}-\d{2}", value.strip()):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a period like 2026-11 (month), 2026-W45 (week), 2026-W45/P2W (two weeks) or 2026-11-02"
        )
    return value.strip().upper()


def share(value: str) -> billing_pb2.RevenueShare:
    parts = [part.strip() for part in value.split(",")]
    try:
        numbers = [Decimal(part) for part in parts]
    except InvalidOperation:
        numbers = []
    if len(numbers) != 3 or min(numbers) < 0 or sum(numbers) != 100:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not CPO,EMSP,HUB percents (non-negative, adding up to 100), e.g. 70,20,10"
        )
    return billing_pb2.RevenueShare(cpo_percent=parts[0], emsp_percent=parts[1], hub_percent=parts[2])


def local_date(value: str) -> date:
    text = value.strip()
    # fromisoformat alone would also take 20261101 and 2026-W44-1: only the form the help shows is meant.
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01 (YYYY-MM-DD)")


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"{value!r} is not an IANA time zone, e.g. Asia/Ho_Chi_Minh") from None
    return value


def _utc(day: date, zone: str) -> Timestamp:
    """Local midnight of `day` in `zone`, as the UTC instant the core compares end times with."""
    stamp = Timestamp()
    stamp.FromDatetime(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC))
    return stamp


# Settlement


async def settle(hub: HubClient, args: argparse.Namespace) -> None:
    request = billing_rpc.GetStatementRequest(
        period=args.period, party="/".join(args.party) if args.party else "", time_zone=args.time_zone or ""
    )
    if args.share is not None:
        request.share.CopyFrom(args.share)
    statement = await hub.get_statement(request)
    if args.share is not None and statement.closed and _percents(statement.share) != _percents(args.share):
        # The core answers a closed period with its frozen shares, whatever was asked: say so, not silently.
        print(
            f"note: {args.period} is closed; it keeps its shares {render.share_text(statement.share)}", file=sys.stderr
        )
    if args.time_zone and statement.closed and statement.time_zone and statement.time_zone != args.time_zone:
        print(f"note: {statement.period} is closed; it was cut in {statement.time_zone}", file=sys.stderr)
    if args.format == "json":
        print_json(render.statement_json(statement))
    elif args.format == "csv":
        sys.stdout.write(render.statement_csv(statement))
    else:
        if not statement.lines:
            whose = f" of {'/'.join(args.party)}" if args.party else ""
            print(f"no CDRs{whose} to settle in {args.period}", file=sys.stderr)
        print(render.statement_text(statement))


def _percents(value: billing_pb2.RevenueShare) -> tuple[Decimal, ...]:
    # "70" and "70.0" are the same share: compare numbers, not the strings typed.
    return tuple(Decimal(p or "0") for p in (value.cpo_percent, value.emsp_percent, value.hub_percent))


async def close(hub: HubClient, args: argparse.Namespace) -> None:
    statement = await hub.close_settlement_period(args.period, args.time_zone or "")
    if args.json:
        print_json(render.statement_json(statement))
    else:
        print(render.closed_text(statement))


async def statement_file(hub: HubClient, args: argparse.Namespace) -> None:
    request = billing_rpc.GetStatementRequest(
        period=args.period, party="/".join(args.party), time_zone=args.time_zone or ""
    )
    statement = await hub.get_statement(request)
    hub_party = next((t.party for t in statement.totals if t.role == "HUB"), "the Hub")
    try:
        args.output.write_text(statement_html(statement, hub_party), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    state = "closed" if statement.closed else "open"
    print(f"wrote {args.output}: {statement.period} ({state}) for {statement.party}, {len(statement.lines)} CDR(s)")


def shares(value: str) -> billing_pb2.RevenueShare:
    return share(value)


def vat_percent(value: str) -> str:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or not 0 <= number <= 100:
        raise argparse.ArgumentTypeError(f"{value!r} is not a percent from 0 to 100, e.g. 10")
    return value.strip()


async def agreements_set(hub: HubClient, args: argparse.Namespace) -> None:
    agreement = billing_pb2.SettlementAgreement(
        cpo="/".join(args.cpo),
        emsp="/".join(args.emsp) if args.emsp else "",
        valid_from=args.start.isoformat(),
        share=args.shares,
        period=args.period,
        vat_percent=args.vat_percent or "",
    )
    if not args.vat_percent:
        # Unset: the Hub default's VAT on the fee, as the core states it.
        agreement.vat_percent = (await hub.list_settlement_agreements()).hub_default.vat_percent
    stored = await hub.set_settlement_agreement(agreement)
    if args.json:
        print_json(render.agreement_json(stored))
        return
    who = f"{stored.cpo} with {stored.emsp}" if stored.emsp else f"{stored.cpo} with any eMSP"
    print(
        f"agreement {who} from {stored.valid_from}: shares {render.share_text(stored.share)} (CPO/EMSP/HUB %), "
        f"{stored.period} periods, VAT {stored.vat_percent} % on the Hub's fee"
    )


async def agreements_list(hub: HubClient, args: argparse.Namespace) -> None:
    response = await hub.list_settlement_agreements("/".join(args.cpo) if args.cpo else "")
    if args.json:
        print_json(
            {
                "agreements": [render.agreement_json(a) for a in response.agreements],
                "hub_default": render.agreement_json(response.hub_default),
            }
        )
        return
    print(render.agreements_table(response.agreements, response.hub_default))


async def _mismatched_names(hub: HubClient, party: tuple[str, str] | None) -> list[str]:
    mismatch = cdrs_pb2.VERIFICATION_STATE_MISMATCH
    # As in statements, a party's CDRs are those it is CPO of or whose token it owns (eMSP): two filters.
    if party is None:
        requests = [cdrs_rpc.ListCdrsRequest(verification_state=mismatch)]
    else:
        requests = [
            cdrs_rpc.ListCdrsRequest(verification_state=mismatch, country_code=party[0], party_id=party[1]),
            cdrs_rpc.ListCdrsRequest(verification_state=mismatch, token_owner="/".join(party)),
        ]
    names: dict[str, None] = {}
    for page in requests:
        page.page_size = _PAGE_SIZE
        while True:
            response = await hub.list_cdrs(page)
            names.update((f"cdrs/{c.country_code}/{c.party_id}/{c.id}", None) for c in response.cdrs)
            if not response.next_page_token:
                break
            page.page_token = response.next_page_token
    return list(names)


async def mismatches(hub: HubClient, args: argparse.Namespace) -> None:
    names = await _mismatched_names(hub, args.party)
    found: list[tuple[cdrs_pb2.Cdr, cdrs_pb2.CdrVerification]] = []
    for start in range(0, len(names), _BATCH):
        answers = await asyncio.gather(*(hub.get_cdr(name) for name in names[start : start + _BATCH]))
        # A CDR re-verified since it was listed may match now: show only what is still a mismatch.
        found += [
            (a.cdr, a.verification) for a in answers if a.verification.state == cdrs_pb2.VERIFICATION_STATE_MISMATCH
        ]
    found.sort(
        key=lambda pair: (pair[0].end_date_time.ToDatetime(), pair[0].country_code, pair[0].party_id, pair[0].id)
    )
    if args.json:
        print_json({"mismatches": [render.mismatch_json(c, v) for c, v in found], "total": len(found)})
    elif found:
        print(render.mismatches_text(found))
    else:
        print("no mismatched CDRs" + (f" of {'/'.join(args.party)}" if args.party else ""), file=sys.stderr)


async def quote(hub: HubClient, args: argparse.Namespace) -> None:
    answer = await hub.quote_session(args.session)
    if args.json:
        print_json(render.quote_json(args.session, answer))
    else:
        print(render.quote_text(args.session, answer))


# Analytics


async def usage(hub: HubClient, args: argparse.Namespace) -> None:
    request = analytics_rpc.GetUsageRequest(
        group_by=GROUPINGS[args.by],
        party="/".join(args.party) if args.party else "",
        time_zone=args.tz,
    )
    getattr(request, "from").CopyFrom(_utc(args.start, args.tz))  # `from` is a Python keyword
    request.to.CopyFrom(_utc(args.end, args.tz))
    try:
        response = await hub.get_usage(request)
    except HubError as error:
        if error.code != grpc.StatusCode.UNIMPLEMENTED:
            raise
        raise CliError(f"the Hub core at {args.core} does not offer usage analytics (GetUsage); upgrade it") from None
    if args.json:
        print_json(
            {
                "from": when(getattr(request, "from")),
                "to": when(request.to),
                "time_zone": args.tz,
                "by": args.by,
                "party": "/".join(args.party) if args.party else None,
                "rows": [render.usage_row_json(row) for row in response.rows],
                "total": render.usage_row_json(response.total),
            }
        )
        return
    if not response.rows:
        print(f"no sessions ended between {args.start} and {args.end} ({args.tz})", file=sys.stderr)
    print(render.usage_table(response))


def _check_window(sub: argparse.ArgumentParser) -> Callable[[argparse.Namespace], None]:
    def check(args: argparse.Namespace) -> None:
        if args.start >= args.end:
            sub.error(f"--from {args.start} must be before --to {args.end} (--to is exclusive)")

    return check


# Parser


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    def group(name: str, summary: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        parser = groups.add_parser(name, help=summary, description=summary)
        return parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def command(
        actions: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        handler: Command,
        summary: str,
        *parents: argparse.ArgumentParser,
    ) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=summary, description=summary, parents=list(parents))
        sub.set_defaults(handler=handler)
        return sub

    def add_party(sub: argparse.ArgumentParser, text: str) -> None:
        sub.add_argument("--party", type=party_ref, metavar="CC/PARTY_ID", help=text)

    def add_period(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--period",
            type=period,
            required=True,
            metavar="PERIOD",
            help="2026-11 (month), 2026-W45 (ISO week), 2026-W45/P2W (two weeks) or a Monday 2026-11-02, in the zone",
        )
        sub.add_argument(
            "--time-zone",
            type=time_zone,
            metavar="ZONE",
            help="cut the period at midnight in this IANA zone (default: the Hub's HUB_TIME_ZONE)",
        )

    billing = group("billing", "settlement statements, CDR verification and session prices")
    sub = command(billing, "settle", settle, "the statement of a period: each CDR's shares and totals per party")
    add_period(sub)
    add_party(sub, "only the CDRs this party is CPO or eMSP of, e.g. VN/ABC")
    sub.add_argument(
        "--share", type=share, metavar="CPO,EMSP,HUB", help="what-if percents for an open period, e.g. 70,20,10"
    )
    sub.add_argument("--format", choices=FORMATS, default="table", type=str.lower, help="default: %(default)s")
    sub = command(
        billing, "close", close, "close a period: its statement is frozen, later CDRs go to the next", as_json
    )
    add_period(sub)
    sub = command(billing, "statement", statement_file, "write one party's printable statement (self-contained HTML)")
    add_period(sub)
    sub.add_argument("--party", type=party_ref, required=True, metavar="CC/PARTY_ID", help="e.g. VN/CP1")
    sub.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.html", help="the file to write")

    agreements = billing.add_parser(
        "agreements", help="settlement agreements per CPO or CPO-eMSP pair", description="settlement agreements"
    ).add_subparsers(dest="agreements_action", required=True, metavar="ACTION")
    sub = command(agreements, "set", agreements_set, "record an agreement from a date on (billing, operators)", as_json)
    sub.add_argument("--cpo", type=party_ref, required=True, metavar="CC/PARTY_ID", help="e.g. VN/CP1")
    sub.add_argument(
        "--emsp", type=party_ref, metavar="CC/PARTY_ID", help="only with this eMSP (wins over the CPO's agreement)"
    )
    sub.add_argument("--shares", type=shares, required=True, metavar="CPO,EMSP,HUB", help="percents, e.g. 70,20,10")
    sub.add_argument(
        "--from", dest="start", type=local_date, required=True, metavar="YYYY-MM-DD", help="first day, Hub time zone"
    )
    sub.add_argument(
        "--period", choices=("monthly", "biweekly", "weekly"), default="monthly", type=str.lower,
        help="settlement period (default: %(default)s)",
    )  # fmt: skip
    sub.add_argument("--vat-percent", type=vat_percent, metavar="N", help="VAT on the Hub's fee (default: the Hub's)")
    sub = command(agreements, "list", agreements_list, "every agreement and the Hub default", as_json)
    sub.add_argument("--cpo", type=party_ref, metavar="CC/PARTY_ID", help="only this CPO's")

    sub = command(billing, "mismatches", mismatches, "CDRs whose reported cost differs from their tariff", as_json)
    add_party(sub, "only the CDRs this party is CPO or eMSP of, e.g. VN/CPA")
    sub = command(billing, "quote", quote, "the Hub's price of a stored session so far", as_json)
    sub.add_argument("session", type=_object_ref("sessions", "VN/CPA/S1"), metavar="[sessions/]CC/PARTY_ID/SESSION_ID")

    analytics = group("analytics", "usage figures from the CDRs the Hub holds")
    sub = command(
        analytics, "usage", usage, "sessions, energy, revenue and utilisation of sessions ended in a window", as_json
    )
    sub.add_argument(
        "--from", dest="start", type=local_date, required=True, metavar="YYYY-MM-DD", help="first day, in --tz"
    )
    sub.add_argument(
        "--to",
        dest="end",
        type=local_date,
        required=True,
        metavar="YYYY-MM-DD",
        help="the day after the last one, in --tz",
    )
    sub.add_argument(
        "--by",
        choices=GROUPINGS,
        default="party",
        type=str.lower,
        help="one row per party, location or day (default: %(default)s)",
    )
    add_party(sub, "only this CPO's sessions, e.g. VN/CPA")
    sub.add_argument(
        "--tz",
        type=time_zone,
        default=DEFAULT_TIME_ZONE,
        metavar="ZONE",
        help="days are cut in this zone (default: %(default)s)",
    )
    sub.set_defaults(check=_check_window(sub))
