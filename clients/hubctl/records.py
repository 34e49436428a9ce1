"""hubctl commands about the charging records the Hub keeps (support work): sessions, CDRs and tokens.

hubctl sessions list [--party CC/ID] [--emsp CC/ID] [--location LOC] [--status ACTIVE] [--from T] [--to T] [--json]
hubctl sessions show CC/ID/SESSION_ID [--json]
hubctl cdrs list [--party CC/ID] [--emsp CC/ID] [--location LOC] [--status MISMATCH] [--from T] [--to T] [--json]
hubctl cdrs show CC/ID/CDR_ID [--json]
hubctl tokens list [--party CC/ID] [--status valid|invalid] [--from T] [--to T] [--json]
hubctl tokens show CC/ID/UID [--type RFID] [--json]

--from/--to bound last_updated (UTC ISO 8601 or YYYY-MM-DD). The core filters sessions by every option and CDRs by
owner, eMSP, period and verification state; a CDR's location and a token's validity are matched here on the pages the
core returns.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from hubclient import HubClient
from hubctl._base import party_ref, print_json
from hubctl._render import ocpi_dict, table
from hubctl._render_network import when
from hubctl.network import _object_ref
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.cdrs.v1 import cdrs_service_pb2 as cdrs_rpc
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.sessions.v1 import sessions_service_pb2 as sessions_rpc
from ocpihub.tokens.v1 import tokens_pb2
from ocpihub.tokens.v1 import tokens_service_pb2 as tokens_rpc
from ocpihub.types.v1 import types_pb2

PAGE = 500
T = TypeVar("T")
SESSION_STATUSES = [n.removeprefix("SESSION_STATUS_") for n in sessions_pb2.SessionStatus.keys()[1:]]
VERIFICATION_STATES = [n.removeprefix("VERIFICATION_STATE_") for n in cdrs_pb2.VerificationState.keys()[1:]]
TOKEN_TYPES = [n.removeprefix("TOKEN_TYPE_") for n in types_pb2.TokenType.keys()[1:]]


def _lines(fields: list[tuple[str, str | None]]) -> str:
    return "\n".join(f"  {name + ':':<15}{value}" for name, value in fields if value)


def instant(value: str) -> Timestamp:
    """2026-11-01 (UTC midnight) or 2026-11-01T08:00:00Z."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a UTC time like 2026-11-01T08:00:00Z") from None
    stamp = Timestamp()
    stamp.FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return stamp


def _common(
    request: sessions_rpc.ListSessionsRequest | cdrs_rpc.ListCdrsRequest | tokens_rpc.ListTokensRequest,
    args: argparse.Namespace,
) -> None:
    if args.party:
        request.country_code, request.party_id = args.party
    if args.start:
        request.last_updated_from.CopyFrom(args.start)
    if args.end:
        request.last_updated_to.CopyFrom(args.end)


async def _pages(fetch: Callable[[int], Awaitable[tuple[Sequence[T], int]]]) -> AsyncIterator[T]:
    """Every item matching the core's filters, page by page."""
    skip = 0
    while True:
        items, total = await fetch(skip)
        for item in items:
            yield item
        skip += len(items)
        if not items or skip >= total:
            return


def _at(location: str | None, value: str) -> bool:
    return location is None or value.upper() == location.upper()


async def list_sessions(hub: HubClient, args: argparse.Namespace) -> None:
    request = sessions_rpc.ListSessionsRequest(
        page_size=PAGE,
        token_owner="/".join(args.emsp) if args.emsp else "",
        location_id=args.location or "",
        status=sessions_pb2.SessionStatus.Value(f"SESSION_STATUS_{args.status or 'UNSPECIFIED'}"),
    )
    _common(request, args)

    async def fetch(skip: int) -> tuple[Sequence[sessions_pb2.Session], int]:
        request.skip = skip
        page = await hub.list_sessions(request)
        return page.sessions, page.total_size

    found: list[sessions_pb2.Session] = [s async for s in _pages(fetch)]
    if args.json:
        print_json([ocpi_dict(s) for s in found])
        return
    rows = [("SESSION", "STATUS", "EMSP", "LOCATION/EVSE/CONNECTOR", "KWH", "STARTED", "ENDED")]
    for s in found:
        rows.append(
            (
                f"{s.country_code}/{s.party_id}/{s.id}",
                sessions_pb2.SessionStatus.Name(s.status).removeprefix("SESSION_STATUS_"),
                f"{s.cdr_token.country_code}/{s.cdr_token.party_id}",
                f"{s.location_id}/{s.evse_uid}/{s.connector_id}",
                s.kwh or "0",
                when(s.start_date_time) or "-",
                when(s.end_date_time, s.HasField("end_date_time")) or "-",
            )
        )
    print(table(rows))
    print(f"{len(found)} session(s)")


async def list_cdrs(hub: HubClient, args: argparse.Namespace) -> None:
    request = cdrs_rpc.ListCdrsRequest(page_size=PAGE, token_owner="/".join(args.emsp) if args.emsp else "")
    if args.status:
        request.verification_state = cdrs_pb2.VerificationState.Value(f"VERIFICATION_STATE_{args.status}")
    _common(request, args)

    async def fetch(skip: int) -> tuple[Sequence[cdrs_pb2.Cdr], int]:
        request.skip = skip
        page = await hub.list_cdrs(request)
        return page.cdrs, page.total_size

    found: list[cdrs_pb2.Cdr] = [c async for c in _pages(fetch) if _at(args.location, c.cdr_location.id)]
    if args.json:
        print_json([ocpi_dict(c) for c in found])
        return
    rows = [("CDR", "EMSP", "LOCATION", "KWH", "COST EXCL. VAT", "ENDED")]
    for c in found:
        rows.append(
            (
                f"{c.country_code}/{c.party_id}/{c.id}",
                f"{c.cdr_token.country_code}/{c.cdr_token.party_id}",
                c.cdr_location.id,
                c.total_energy or "0",
                f"{c.total_cost.excl_vat} {c.currency}",
                when(c.end_date_time) or "-",
            )
        )
    print(table(rows))
    print(f"{len(found)} CDR(s)")


def _token_type(token: tokens_pb2.Token) -> str:
    return types_pb2.TokenType.Name(token.type).removeprefix("TOKEN_TYPE_")


async def list_tokens(hub: HubClient, args: argparse.Namespace) -> None:
    request = tokens_rpc.ListTokensRequest(page_size=PAGE)
    _common(request, args)

    async def fetch(skip: int) -> tuple[Sequence[tokens_pb2.Token], int]:
        request.skip = skip
        page = await hub.list_tokens(request)
        return page.tokens, page.total_size

    valid = None if args.status is None else args.status == "valid"
    found: list[tokens_pb2.Token] = [t async for t in _pages(fetch) if valid is None or t.valid == valid]
    if args.json:
        print_json([ocpi_dict(t) for t in found])
        return
    rows = [("TOKEN", "TYPE", "CONTRACT", "VALID", "WHITELIST", "LAST UPDATED")]
    for t in found:
        rows.append(
            (
                f"{t.country_code}/{t.party_id}/{t.uid}",
                _token_type(t),
                t.contract_id,
                "yes" if t.valid else "no",
                tokens_pb2.WhitelistType.Name(t.whitelist).removeprefix("WHITELIST_TYPE_"),
                when(t.last_updated) or "-",
            )
        )
    print(table(rows))
    print(f"{len(found)} token(s)")


async def show_token(hub: HubClient, args: argparse.Namespace) -> None:
    _, country_code, party_id, uid = args.token.split("/", 3)
    token = await hub.get_token(f"tokens/{country_code}/{party_id}/{uid}/{args.type}")
    if args.json:
        print_json(ocpi_dict(token))
        return
    print(f"{token.country_code}/{token.party_id}/{token.uid} ({_token_type(token)})")
    print(
        _lines(
            [
                ("contract", token.contract_id),
                ("visual number", token.visual_number),
                ("issuer", token.issuer),
                ("group", token.group_id),
                ("valid", "yes" if token.valid else "no"),
                ("whitelist", tokens_pb2.WhitelistType.Name(token.whitelist).removeprefix("WHITELIST_TYPE_")),
                ("last updated", when(token.last_updated)),
            ]
        )
    )


async def show_session(hub: HubClient, args: argparse.Namespace) -> None:
    found = await hub.get_session(args.session)
    session, flags = found.session, list(found.flags)
    if args.json:
        print_json({"session": ocpi_dict(session), "flags": flags})
        return
    print(f"{session.country_code}/{session.party_id}/{session.id}")
    print(
        _lines(
            [
                ("status", sessions_pb2.SessionStatus.Name(session.status).removeprefix("SESSION_STATUS_")),
                ("eMSP", f"{session.cdr_token.country_code}/{session.cdr_token.party_id}"),
                ("location", f"{session.location_id} / {session.evse_uid} / {session.connector_id}"),
                ("kwh", session.kwh or "0"),
                ("started", when(session.start_date_time)),
                ("ended", when(session.end_date_time, session.HasField("end_date_time"))),
                ("last updated", when(session.last_updated)),
                ("flags", ", ".join(flags) or "none"),
            ]
        )
    )


async def show_cdr(hub: HubClient, args: argparse.Namespace) -> None:
    found = await hub.get_cdr(args.cdr)
    cdr, verification = found.cdr, found.verification
    if args.json:
        print_json({"cdr": ocpi_dict(cdr), "verification": ocpi_dict(verification)})
        return
    print(f"{cdr.country_code}/{cdr.party_id}/{cdr.id}")
    print(
        _lines(
            [
                ("eMSP", f"{cdr.cdr_token.country_code}/{cdr.cdr_token.party_id}"),
                ("session", cdr.session_id),
                ("period", f"{when(cdr.start_date_time)} … {when(cdr.end_date_time)}"),
                ("energy", f"{cdr.total_energy or '0'} kWh"),
                ("total cost", f"{cdr.total_cost.excl_vat} {cdr.currency} excl. VAT"),
                (
                    "verification",
                    cdrs_pb2.VerificationState.Name(verification.state).removeprefix("VERIFICATION_STATE_"),
                ),
                ("flags", ", ".join(verification.flags) or "none"),
            ]
        )
    )
    for note in verification.notes:
        print(f"  - {note}")


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    sessions = groups.add_parser("sessions", help="the sessions CPOs have reported", description="sessions")
    actions = sessions.add_subparsers(dest="action", required=True, metavar="ACTION")

    def filters(sub: argparse.ArgumentParser, owner: str) -> None:
        sub.add_argument("--party", type=party_ref, metavar="CC/PARTY_ID", help=f"the {owner}, e.g. VN/CPA")
        sub.add_argument("--from", dest="start", type=instant, metavar="TIME", help="last updated at or after (UTC)")
        sub.add_argument("--to", dest="end", type=instant, metavar="TIME", help="last updated before (UTC)")

    sub = actions.add_parser("list", help="list sessions, newest last", parents=[as_json])
    sub.set_defaults(handler=list_sessions)
    filters(sub, "CPO")
    sub.add_argument("--emsp", type=party_ref, metavar="CC/PARTY_ID", help="the eMSP of the session's token")
    sub.add_argument("--location", metavar="LOCATION_ID", help="sessions at this location")
    sub.add_argument("--status", choices=SESSION_STATUSES, type=str.upper)
    sub = actions.add_parser("show", help="show a session and its flags", parents=[as_json])
    sub.set_defaults(handler=show_session)
    sub.add_argument("session", type=_object_ref("sessions", "VN/CPA/S1"), metavar="CC/PARTY_ID/SESSION_ID")

    cdrs = groups.add_parser("cdrs", help="the CDRs CPOs have posted", description="CDRs")
    actions = cdrs.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub = actions.add_parser("list", help="list CDRs, newest last", parents=[as_json])
    sub.set_defaults(handler=list_cdrs)
    filters(sub, "CPO")
    sub.add_argument("--emsp", type=party_ref, metavar="CC/PARTY_ID", help="the eMSP of the CDR's token")
    sub.add_argument("--location", metavar="LOCATION_ID", help="CDRs of sessions at this location")
    sub.add_argument("--status", choices=VERIFICATION_STATES, type=str.upper, help="the Hub's verification")
    sub = actions.add_parser("show", help="show a CDR, the Hub's verification and its flags", parents=[as_json])
    sub.set_defaults(handler=show_cdr)
    sub.add_argument("cdr", type=_object_ref("cdrs", "VN/CPA/CDR1"), metavar="CC/PARTY_ID/CDR_ID")

    tokens = groups.add_parser("tokens", help="the tokens eMSPs have pushed", description="tokens")
    actions = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub = actions.add_parser("list", help="list tokens", parents=[as_json])
    sub.set_defaults(handler=list_tokens)
    filters(sub, "eMSP")
    sub.add_argument("--status", choices=("valid", "invalid"), type=str.lower)
    sub = actions.add_parser("show", help="show a token", parents=[as_json])
    sub.set_defaults(handler=show_token)
    sub.add_argument("token", type=_object_ref("tokens", "VN/EMA/04A1B2C3"), metavar="CC/PARTY_ID/UID")
    sub.add_argument("--type", choices=TOKEN_TYPES, default="RFID", type=str.upper, help="default: %(default)s")
