"""hubctl commands about the charging records the Hub keeps: one session or CDR, with what the Hub flagged on it.

hubctl sessions show CC/ID/SESSION_ID [--json]
hubctl cdrs show CC/ID/CDR_ID [--json]
"""

from __future__ import annotations

import argparse

from hubclient import HubClient
from hubctl._base import print_json
from hubctl._render import ocpi_dict
from hubctl._render_network import when
from hubctl.network import _object_ref
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.sessions.v1 import sessions_pb2


def _lines(fields: list[tuple[str, str | None]]) -> str:
    return "\n".join(f"  {name + ':':<15}{value}" for name, value in fields if value)


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
    sub = actions.add_parser("show", help="show a session and its flags", parents=[as_json])
    sub.set_defaults(handler=show_session)
    sub.add_argument("session", type=_object_ref("sessions", "VN/CPA/S1"), metavar="CC/PARTY_ID/SESSION_ID")

    cdrs = groups.add_parser("cdrs", help="the CDRs CPOs have posted", description="CDRs")
    actions = cdrs.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub = actions.add_parser("show", help="show a CDR, the Hub's verification and its flags", parents=[as_json])
    sub.set_defaults(handler=show_cdr)
    sub.add_argument("cdr", type=_object_ref("cdrs", "VN/CPA/CDR1"), metavar="CC/PARTY_ID/CDR_ID")
