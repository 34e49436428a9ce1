"""hubctl qr: CPOs' QR codes (seed §5.6).

hubctl qr resolve QR_DATA [--json]
hubctl qr import CC/PARTY_ID FILE (.csv or .json) [--dry-run] [--json]
hubctl qr pattern CC/PARTY_ID SPEC.yaml
hubctl qr api CC/PARTY_ID --url URL --key KEY --prefix P | --remove
hubctl qr check CC/PARTY_ID [--json]
hubctl qr sticker CC/PARTY_ID/LOCATION_ID[/EVSE_UID[/CONNECTOR_ID]] -o FILE (.png, .svg, .pdf or .zip)
hubctl qr batch CC/PARTY_ID -o DIR_OR_FILE
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path

from hubclient import HubClient
from hubctl import qr_stickers
from hubctl._base import CliError, Command, party_ref, print_json
from hubctl._render import table
from ocpihub.qr.v1 import qr_pb2
from ocpihub.qr.v1 import qr_service_pb2 as rpc
from ocpihub.types.v1 import types_pb2

_FORMATS = {".csv": rpc.REGISTRY_FORMAT_CSV, ".json": rpc.REGISTRY_FORMAT_JSON}


def _cpo(pair: tuple[str, str]) -> types_pb2.PartyRef:
    return types_pb2.PartyRef(country_code=pair[0], party_id=pair[1], role="CPO")


def _target(t: qr_pb2.QrTarget) -> str:
    return f"{t.country_code}/{t.party_id}/{t.location_id}/{t.evse_uid}/{t.connector_id}"


def _source(value: qr_pb2.QrSource.ValueType) -> str:
    return qr_pb2.QrSource.Name(value).removeprefix("QR_SOURCE_").lower()


def resolution_json(r: qr_pb2.Resolution) -> dict[str, object]:
    return {
        "target": _target(r.target),
        "location_name": r.location_name,
        "connector_type": r.connector_type,
        "power_kw": r.power_kw or None,
        "availability": r.availability,
        "source": _source(r.source),
        "uri": r.uri,
    }


async def resolve(hub: HubClient, args: argparse.Namespace) -> None:
    found = await hub.resolve_qr(rpc.ResolveQrRequest(qr_data=args.qr_data, app_id="hubctl"))
    if found.HasField("ask_cpo"):
        cpo = found.ask_cpo.cpo
        raise CliError(
            f"{cpo.country_code}/{cpo.party_id}'s mapping API decides this code: resolve it through the Hub's HTTP API"
        )
    data = resolution_json(found.resolution)
    if args.json:
        print_json(data)
    else:
        print("\n".join(f"{key:<15} {value}" for key, value in data.items() if value))


async def import_registry(hub: HubClient, args: argparse.Namespace) -> None:
    path = Path(args.file)
    if path.suffix.lower() not in _FORMATS:
        raise CliError(f"{path.name}: the registry must be a .csv or .json file (seed §5.6.9)")
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    answer = await hub.import_qr_registry(
        rpc.ImportQrRegistryRequest(
            cpo=_cpo(args.cpo), format=_FORMATS[path.suffix.lower()], content=content, dry_run=args.dry_run
        )
    )
    problems = [{"row": p.row, "qr_code": p.qr_code, "problem": p.problem} for p in answer.problems]
    if args.json:
        print_json({"imported": answer.imported, "problems": problems})
    elif problems:
        rows = [
            ("ROW", "QR_CODE", "PROBLEM"),
            *((str(p["row"]), str(p["qr_code"]), str(p["problem"])) for p in problems),
        ]
        print(table(rows))
    else:
        verb = "would import" if args.dry_run else "imported"
        print(f"{verb} {answer.imported if not args.dry_run else 'all'} codes for {args.cpo[0]}/{args.cpo[1]}")
    if problems:
        raise CliError(f"{len(problems)} rows have problems: nothing was imported")


async def set_pattern(hub: HubClient, args: argparse.Namespace) -> None:
    try:
        spec = await asyncio.to_thread(Path(args.spec).read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.spec}: {exc}") from None
    answer = await hub.set_qr_pattern(rpc.SetQrPatternRequest(cpo=_cpo(args.cpo), spec_yaml=spec))
    print(f"pattern of {args.cpo[0]}/{args.cpo[1]} stored; {answer.examples_checked} examples map as the spec says")


async def set_api(hub: HubClient, args: argparse.Namespace) -> None:
    request = rpc.SetQrMappingApiRequest(cpo=_cpo(args.cpo))
    if not args.remove:
        request.url, request.api_key, request.code_prefix = args.url, args.key, args.prefix
    await hub.set_qr_mapping_api(request)
    who = f"{args.cpo[0]}/{args.cpo[1]}"
    print(f"mapping API of {who} removed" if args.remove else f"codes starting with {args.prefix!r} go to {args.url}")


async def check(hub: HubClient, args: argparse.Namespace) -> None:
    answer = await hub.check_qr_codes(rpc.CheckQrCodesRequest(cpo=_cpo(args.cpo)))
    without = [_target(t) for t in answer.without_code]
    dangling = [{"code": c.code, "target": _target(c.target), "source": _source(c.source)} for c in answer.dangling]
    if args.json:
        print_json({"without_code": without, "dangling": dangling})
        return
    if not without and not dangling:
        print(f"every connector of {args.cpo[0]}/{args.cpo[1]} has a code, and every code points at a connector")
        return
    if without:
        print(f"connectors without a code ({len(without)}):")
        print("\n".join(f"  {t}" for t in without))
    if dangling:
        print(f"codes that point at nothing ({len(dangling)}):")
        print(table([("CODE", "POINTS AT", "SOURCE"), *((d["code"], d["target"], d["source"]) for d in dangling)]))


def _check_api(sub: argparse.ArgumentParser) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        if not args.remove and not (args.url and args.key):
            sub.error("give --url and --key, or --remove")

    return run


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    summary = "QR codes on connectors: resolve, legacy registries, checks, stickers"
    actions = groups.add_parser("qr", help=summary, description=summary).add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )

    def command(name: str, handler: Command, text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=text, description=text, parents=[as_json])
        sub.set_defaults(handler=handler)
        return sub

    sub = command("resolve", resolve, "what a scanned code points at, with the connector's live status")
    sub.add_argument("qr_data", metavar="QR_DATA", help="e.g. evcharge://VN/ABC/LOC1/EVSE-1/1")
    sub = command("import", import_registry, "replace a CPO's registry of its own codes (all rows or none)")
    sub.add_argument("cpo", type=party_ref, metavar="CC/PARTY_ID")
    sub.add_argument("file", metavar="FILE", help="the seed's CSV or JSON registry (.csv / .json)")
    sub.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    sub = command("pattern", set_pattern, "store a CPO's code pattern spec (the seed's YAML)")
    sub.add_argument("cpo", type=party_ref, metavar="CC/PARTY_ID")
    sub.add_argument("spec", metavar="SPEC.yaml")
    sub = command("api", set_api, "send a CPO's own codes to its mapping API (POST /api/v1/qr-resolve)")
    sub.add_argument("cpo", type=party_ref, metavar="CC/PARTY_ID")
    sub.add_argument("--url", help="the CPO's qr-resolve URL")
    sub.add_argument("--key", help="its API key (stored encrypted, sent as a Bearer token)")
    sub.add_argument(
        "--prefix", default="", help="the start of the codes the API answers (required with --url; no other CPO's)"
    )
    sub.add_argument("--remove", action="store_true", help="stop using the CPO's API")
    sub.set_defaults(check=_check_api(sub))
    sub = command("check", check, "connectors without a code, and codes that point at nothing")
    sub.add_argument("cpo", type=party_ref, metavar="CC/PARTY_ID")
    qr_stickers.add_actions(actions, as_json)
