"""Reading stickers back the way a phone would: a real QR reader (zxing-cpp) on the rendered pixels."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import zxingcpp
from PIL import Image, ImageDraw

from core.qr.stickers import MIN_QR_PX

SVG = "{http://www.w3.org/2000/svg}"
_RUN = re.compile(r"M(\d+) (\d+)h(\d+)v(\d+)h-\d+z")


def decode_png(content: bytes) -> str:
    """The one code on the sticker; also checks what the seed asks of it: level H, ≥ 5 cm at 300 DPI."""
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    assert tuple(round(d) for d in image.info["dpi"]) == (300, 300)
    return _decode(image)


def _decode(image: Image.Image) -> str:
    (barcode,) = zxingcpp.read_barcodes(image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.ec_level == "H"
    # The corners of the symbol itself, quiet zone not counted.
    assert barcode.position.top_right.x - barcode.position.top_left.x >= MIN_QR_PX
    assert barcode.position.bottom_left.y - barcode.position.top_left.y >= MIN_QR_PX
    return str(barcode.text)


def _parse(content: bytes) -> ET.Element:
    # The Hub's own output, not untrusted input: the standard parser is fine (and it must be well-formed XML).
    return ET.fromstring(content)  # noqa: S314


def svg_texts(content: bytes) -> list[str]:
    root = _parse(content)
    return [text.text or "" for text in root.iter(f"{SVG}text")]


def decode_svg(content: bytes) -> str:
    """Paints the SVG's vector modules (the runs its path is made of) and reads them: the vector code itself scans."""
    root = _parse(content)
    assert root.tag == f"{SVG}svg"
    width, height = (int(v) for v in root.attrib["viewBox"].split()[2:])
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    (path,) = root.iter(f"{SVG}path")
    for x, y, w, h in (tuple(map(int, run)) for run in _RUN.findall(path.attrib["d"])):
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=0)
    return _decode(image)
