"""hubctl qr: CPOs' QR codes (seed §5.6).

hubctl qr resolve QR_DATA [--json]
hubctl qr import CC/PARTY_ID FILE (.csv or .json) [--dry-run] [--json]
hubctl qr pattern CC/PARTY_ID SPEC.yaml
hubctl qr api CC/PARTY_ID --url URL --key KEY [--prefix P] | --remove
hubctl qr check CC/PARTY_ID [--json]
hubctl qr sticker CC/PARTY_ID/LOCATION_ID[/EVSE_UID[/CONNECTOR_ID]] -o FILE (.png, .svg, .pdf or .zip)
hubctl qr batch CC/PARTY_ID -o DIR_OR_FILE
"""

from __future__ import annotations

import argparse

from hubctl import qr_stickers


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    summary = "QR codes on connectors: resolve, legacy registries, checks, stickers"
    actions = groups.add_parser("qr", help=summary, description=summary).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    qr_stickers.add_actions(actions, as_json)
