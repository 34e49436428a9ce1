"""hubctl qr sticker / batch as a real subprocess against the session's core, writing real files that a QR reader
decodes."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import asyncpg
import pytest

from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.core.qr.decode import decode_png, decode_svg
from tests.core.qr.locations import network

hubctl = test_hubctl.hubctl
LOC1 = ["evcharge://VN/ABC/LOC1/EVSE-1/1", "evcharge://VN/ABC/LOC1/EVSE-1/2"]
ALL = [*LOC1, "evcharge://VN/ABC/LOC2/EVSE-2/1", "evcharge://VN/ABC/LOC2/EVSE-2/2"]


def files_in(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


@pytest.fixture(autouse=True)
async def locations(db: asyncpg.Pool) -> None:
    await network(db)


async def test_sticker_of_one_connector_as_png_and_svg(hubctl: Hubctl, tmp_path: Path) -> None:
    result = await hubctl("qr", "sticker", "VN/ABC/LOC1/EVSE-1/2", "-o", str(tmp_path / "c2.png"), "--network", "hub")
    assert result.code == 0, result.stderr
    assert result.stdout == f"1 sticker written:\n  {tmp_path / 'c2.png'}\n"
    assert decode_png((tmp_path / "c2.png").read_bytes()) == "evcharge://VN/ABC/LOC1/EVSE-1/2?network=hub"
    # An evcharge:// code works as the argument too.
    result = await hubctl("qr", "sticker", LOC1[0], "-o", str(tmp_path / "c1.SVG"))
    assert result.code == 0, result.stderr
    assert decode_svg((tmp_path / "c1.SVG").read_bytes()) == LOC1[0]


async def test_sticker_of_a_location_as_zip_and_pdf(hubctl: Hubctl, tmp_path: Path) -> None:
    result = await hubctl("qr", "sticker", "VN/ABC/LOC1", "-o", str(tmp_path / "loc1.zip"), "--json")
    assert result.json() == {"stickers": 2, "files": [str(tmp_path / "loc1.zip")], "uris": LOC1}
    with zipfile.ZipFile(tmp_path / "loc1.zip") as archive:
        pngs = [decode_png(archive.read(name)) for name in archive.namelist() if name.endswith(".png")]
    assert pngs == LOC1
    result = await hubctl("qr", "sticker", "vn/abc/LOC1/EVSE-1", "-o", str(tmp_path / "evse.pdf"))
    assert result.code == 0, result.stderr
    assert len(re.findall(rb"/MediaBox", (tmp_path / "evse.pdf").read_bytes())) == 2


async def test_batch_into_a_directory(hubctl: Hubctl, tmp_path: Path) -> None:
    out = tmp_path / "stickers"
    result = await hubctl("qr", "batch", "VN/ABC", "-o", str(out), "--json")
    report = result.json()
    assert report["stickers"] == 4 and report["uris"] == ALL
    names = sorted(Path(f).name for f in report["files"])
    assert names == files_in(out) and len(names) == 9
    stems = sorted({Path(name).stem for name in names} - {"stickers"})
    assert [decode_png((out / f"{stem}.png").read_bytes()) for stem in stems] == ALL
    assert [decode_svg((out / f"{stem}.svg").read_bytes()) for stem in stems] == ALL
    assert len(re.findall(rb"/MediaBox", (out / "stickers.pdf").read_bytes())) == 4


async def test_batch_into_one_file(hubctl: Hubctl, tmp_path: Path) -> None:
    result = await hubctl("qr", "batch", "VN/ABC", "-o", str(tmp_path / "all.zip"))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("4 stickers written:")
    with zipfile.ZipFile(io.BytesIO((tmp_path / "all.zip").read_bytes())) as archive:
        assert len(archive.namelist()) == 8


async def test_refusals(hubctl: Hubctl, tmp_path: Path) -> None:
    # Usage errors hubctl decides itself (exit 2).
    result = await hubctl("qr", "sticker", "VN/ABC/LOC1", "-o", str(tmp_path / "x.png"))
    assert result.code == 2 and "holds one sticker" in result.stderr
    result = await hubctl("qr", "sticker", "VN/ABC/LOC1/EVSE-1/1", "-o", str(tmp_path / "x.jpg"))
    assert result.code == 2 and "must end in .png, .svg, .pdf, .zip" in result.stderr
    # The Hub's refusals (exit 1): several connectors in one PNG, an unknown connector.
    result = await hubctl("qr", "sticker", "VN/ABC/LOC1/EVSE-1", "-o", str(tmp_path / "x.png"))
    assert result.code == 1 and "use PDF or ZIP" in result.stderr
    result = await hubctl("qr", "sticker", "VN/ABC/LOC1/EVSE-1/7", "-o", str(tmp_path / "x.pdf"), "--json")
    assert result.code == 1 and "no connector" in result.stderr
    assert not files_in(tmp_path)


async def test_batch_of_another_cpo(hubctl: Hubctl, tmp_path: Path) -> None:
    report = (await hubctl("qr", "batch", "vn/xyz", "-o", str(tmp_path / "xyz.pdf"), "--json")).json()
    assert report["uris"] == ["evcharge://VN/XYZ/LOC1/EVSE-1/1", "evcharge://VN/XYZ/LOC1/EVSE-1/2"]
