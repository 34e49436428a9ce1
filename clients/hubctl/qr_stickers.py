"""hubctl qr sticker / batch: print-ready QR stickers drawn by the Hub (seed §5.6.5).

hubctl qr sticker CC/PARTY_ID/LOCATION_ID[/EVSE_UID[/CONNECTOR_ID]] -o FILE   (.png, .svg: one connector; .pdf, .zip)
hubctl qr batch CC/PARTY_ID -o DIR | FILE.pdf | FILE.zip
"""

from __future__ import annotations

import argparse
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from hubclient import HubClient
from hubctl._base import CliError, party_ref, print_json
from ocpihub.qr.v1 import qr_service_pb2 as rpc
from ocpihub.types.v1 import types_pb2

FORMATS = {
    ".png": rpc.STICKER_FORMAT_PNG,
    ".svg": rpc.STICKER_FORMAT_SVG,
    ".pdf": rpc.STICKER_FORMAT_PDF,
    ".zip": rpc.STICKER_FORMAT_ZIP,
}
BATCH_PDF = "stickers.pdf"


def connector_path(value: str) -> list[str]:
    """VN/ABC/LOC1[/EVSE-1[/1]], or an evcharge:// code. Segments are percent-decoded as in the code itself, so an
    id holding '/' is written %2F (and a literal '%' as %25)."""
    parts = value.strip().removeprefix("evcharge://").split("?", 1)[0].split("/")
    if not 3 <= len(parts) <= 5 or not all(parts):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not CC/PARTY_ID/LOCATION_ID[/EVSE_UID[/CONNECTOR_ID]], e.g. VN/ABC/LOC1/EVSE-1/1"
        )
    return [parts[0].upper(), parts[1].upper(), *(unquote(part) for part in parts[2:])]


def _format(output: Path) -> rpc.StickerFormat.ValueType:
    return FORMATS[output.suffix.lower()]


def _request(
    args: argparse.Namespace, path: list[str], fmt: rpc.StickerFormat.ValueType
) -> rpc.RenderQrStickersRequest:
    location_id, evse_uid, connector_id = (*path[2:], "", "", "")[:3]
    return rpc.RenderQrStickersRequest(
        cpo=types_pb2.PartyRef(country_code=path[0], party_id=path[1]),
        location_id=location_id,
        evse_uid=evse_uid,
        connector_id=connector_id,
        format=fmt,
        network=args.network or "",
    )


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None


def _report(args: argparse.Namespace, uris: list[str], files: list[Path]) -> None:
    if args.json:
        print_json({"stickers": len(uris), "files": [str(f) for f in files], "uris": uris})
        return
    print(f"{len(uris)} sticker{'s' if len(uris) != 1 else ''} written:")
    for file in files:
        print(f"  {file}")


async def sticker(hub: HubClient, args: argparse.Namespace) -> None:
    response = await hub.render_qr_stickers(_request(args, args.connector, _format(args.output)))
    _write(args.output, response.content)
    _report(args, list(response.uris), [args.output])


def _make_directory(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot create directory {path}: {error.strerror}") from None


def _unpack(content: bytes, directory: Path) -> list[Path]:
    written: list[Path] = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            # The Hub names files from percent-encoded ids; refuse anything that could leave the directory.
            if Path(name).name != name or name.startswith("."):
                raise CliError(f"the Hub sent an unexpected file name {name!r}")
            _write(directory / name, archive.read(name))
            written.append(directory / name)
    return written


async def batch(hub: HubClient, args: argparse.Namespace) -> None:
    output: Path = args.output
    if output.suffix.lower() in (".pdf", ".zip"):
        response = await hub.render_qr_stickers(_request(args, list(args.party), _format(output)))
        _write(output, response.content)
        _report(args, list(response.uris), [output])
        return
    _make_directory(output)
    files = await hub.render_qr_stickers(_request(args, list(args.party), rpc.STICKER_FORMAT_ZIP))
    written = _unpack(files.content, output)
    pdf = await hub.render_qr_stickers(_request(args, list(args.party), rpc.STICKER_FORMAT_PDF))
    _write(output / BATCH_PDF, pdf.content)
    _report(args, list(files.uris), [*written, output / BATCH_PDF])


def _check_sticker(sub: argparse.ArgumentParser) -> Callable[[argparse.Namespace], None]:
    """The file extension chooses the format; PNG and SVG hold one sticker, so they need a connector or EVSE."""

    def check(args: argparse.Namespace) -> None:
        if args.output.suffix.lower() not in FORMATS:
            sub.error(f"-o {args.output}: the name must end in {', '.join(FORMATS)} (it chooses the format)")
        if args.output.suffix.lower() in (".png", ".svg") and len(args.connector) < 4:
            sub.error("a .png or .svg holds one sticker: give .../EVSE_UID[/CONNECTOR_ID], or write .pdf or .zip")

    return check


def add_actions(actions: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    """Adds `sticker` and `batch` to the `qr` group."""
    network = argparse.ArgumentParser(add_help=False)
    network.add_argument("--network", metavar="NAME", help="add network=NAME to the codes (seed §5.6.2), e.g. hub")

    summary = "draw the sticker of a connector, or all of an EVSE's or a location's (PDF or ZIP)"
    sub = actions.add_parser("sticker", help=summary, description=summary, parents=[as_json, network])
    sub.add_argument(
        "connector",
        type=connector_path,
        metavar="CC/PARTY_ID/LOCATION_ID[/EVSE_UID[/CONNECTOR_ID]]",
        help="e.g. VN/ABC/LOC1/EVSE-1/1; write '/' inside an id as %%2F",
    )
    sub.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help=".png, .svg, .pdf or .zip")
    sub.set_defaults(handler=sticker, check=_check_sticker(sub))

    summary = "draw the stickers of every connector of a CPO"
    sub = actions.add_parser("batch", help=summary, description=summary, parents=[as_json, network])
    sub.add_argument("party", type=party_ref, metavar="CC/PARTY_ID", help="the CPO, e.g. VN/ABC")
    sub.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="DIR_OR_FILE",
        help=f"a directory (a PNG and an SVG per connector, plus {BATCH_PDF}), or one .pdf or .zip file",
    )
    sub.set_defaults(handler=batch)
