"""Print-ready QR stickers for connectors (seed §5.6.5): PNG, SVG, a PDF of one sticker per page, or a ZIP of both.

Seed requirements: error correction H, black on white, the code at least 5 * 5 cm printed at 300 DPI, and the
connector id and power beside it. The layout follows the seed's mock-up:

    ┌──────────────────────────────────────┐
    │ Location name          CONNECTOR 1   │
    │ ┌──────────┐                         │
    │ │ QR CODE  │    22 kW                │
    │ │          │    Type 2               │
    │ └──────────┘                         │
    │ Quét để bắt đầu sạc                  │
    │ Scan to start charging     EVSE uid  │
    └──────────────────────────────────────┘

Pure: no I/O but reading the bundled font. PNG and SVG share one layout, measured with that font.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

import qrcode
from PIL import Image, ImageDraw, ImageFont

DPI = 300
# 5 cm at 300 DPI, rounded up: the seed's minimum size of the code itself (quiet zone not counted).
MIN_QR_PX = math.ceil(5 / 2.54 * DPI)
# The quiet zone the QR specification asks for, in modules.
QUIET_MODULES = 4
# Pillow's built-in font has no Vietnamese glyphs ("Quét để …" would print as boxes) and a CI machine need not
# have any system font, so DejaVu Sans Bold (Bitstream Vera licence, see fonts/LICENSE) ships with the package.
FONT_PATH = Path(__file__).with_name("fonts") / "DejaVuSans-Bold.ttf"
SVG_FONT_FAMILY = "'DejaVu Sans', Verdana, Arial, sans-serif"
SCAN_VI = "Quét để bắt đầu sạc"
SCAN_EN = "Scan to start charging"

_MARGIN = 48
_GAP = 36
_SIDE_WIDTH = 340
_BORDER = 4

Anchor = Literal["ls", "rs"]


@dataclass(frozen=True, slots=True)
class Sticker:
    uri: str
    connector_id: str
    power_label: str  # "22 kW"; empty when the CPO did not say
    connector_type_label: str  # "Type 2", "CCS2", …
    location_name: str
    evse_uid: str


@dataclass(frozen=True, slots=True)
class _Text:
    x: int
    y: int  # baseline
    size: int
    text: str
    anchor: Anchor  # left or right end of the baseline, as Pillow and SVG's text-anchor both understand
    width: int


@dataclass(frozen=True, slots=True)
class _Layout:
    width: int
    height: int
    qr_x: int
    qr_y: int
    box: int  # pixels per module
    modules: list[list[bool]]
    texts: list[_Text]


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def _text_width(text: str, size: int) -> int:
    return math.ceil(_font(size).getlength(text))


def _fit(text: str, size: int, width: int, min_size: int) -> tuple[str, int]:
    """Shrinks the text down to `min_size`, then cuts it with an ellipsis: a long id must not run off the sticker
    (the code itself carries the exact ids)."""
    while size > min_size and _text_width(text, size) > width:
        size -= 2
    if _text_width(text, size) <= width:
        return text, size
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…", size


def _text(x: int, y: int, text: str, size: int, width: int, anchor: Anchor = "ls", min_size: int = 0) -> _Text:
    fitted, size = _fit(text, size, width, min_size or size)
    return _Text(x, y, size, fitted, anchor, _text_width(fitted, size))


def qr_modules(uri: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, border=0)
    code.add_data(uri)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _layout(sticker: Sticker) -> _Layout:
    modules = qr_modules(sticker.uri)
    box = math.ceil(MIN_QR_PX / len(modules))
    qr_total = (len(modules) + 2 * QUIET_MODULES) * box
    width = 2 * _MARGIN + qr_total + _GAP + _SIDE_WIDTH
    inner = width - 2 * _MARGIN
    header = _MARGIN + 56
    # Clear of the header's descenders and the footer's diacritics: the quiet zone must stay white.
    qr_y = header + 16
    side_x = _MARGIN + qr_total + _GAP
    middle = qr_y + qr_total // 2
    footer = qr_y + qr_total + 56
    texts = [
        _text(width - _MARGIN, header, f"CONNECTOR {sticker.connector_id}", 52, inner // 2 + 120, "rs", 30),
        _text(_MARGIN, header, sticker.location_name, 30, inner // 2 - 140, "ls", 22),
        _text(side_x, middle - 10, sticker.power_label, 84, _SIDE_WIDTH, "ls", 48),
        _text(side_x, middle + 64, sticker.connector_type_label, 52, _SIDE_WIDTH, "ls", 24),
        _text(_MARGIN, footer, SCAN_VI, 46, inner),
        _text(_MARGIN, footer + 56, SCAN_EN, 40, inner // 2 + 120),
        _text(width - _MARGIN, footer + 56, f"EVSE {sticker.evse_uid}", 24, inner // 2 - 140, "rs", 18),
    ]
    qr_x = _MARGIN + QUIET_MODULES * box
    return _Layout(width, footer + 56 + _MARGIN, qr_x, qr_y + QUIET_MODULES * box, box, modules, texts)


def _image(sticker: Sticker) -> Image.Image:
    layout = _layout(sticker)
    image = Image.new("L", (layout.width, layout.height), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, layout.width - 1, layout.height - 1), outline=0, width=_BORDER)
    for row, line in enumerate(layout.modules):
        for column, dark in enumerate(line):
            if dark:
                x, y = layout.qr_x + column * layout.box, layout.qr_y + row * layout.box
                draw.rectangle((x, y, x + layout.box - 1, y + layout.box - 1), fill=0)
    for text in layout.texts:
        draw.text((text.x, text.y), text.text, font=_font(text.size), fill=0, anchor=text.anchor)
    return image


def render_png(sticker: Sticker) -> bytes:
    out = io.BytesIO()
    _image(sticker).save(out, "PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


def _svg_path(layout: _Layout) -> str:
    """One path of horizontal runs of dark modules: a real vector code, small and crisp at any size."""
    parts: list[str] = []
    for row, line in enumerate(layout.modules):
        column = 0
        while column < len(line):
            if not line[column]:
                column += 1
                continue
            start = column
            while column < len(line) and line[column]:
                column += 1
            x, y = layout.qr_x + start * layout.box, layout.qr_y + row * layout.box
            parts.append(f"M{x} {y}h{(column - start) * layout.box}v{layout.box}h-{(column - start) * layout.box}z")
    return "".join(parts)


def render_svg(sticker: Sticker) -> bytes:
    layout = _layout(sticker)
    mm = 25.4 / DPI
    w, h = layout.width, layout.height
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * mm:.2f}mm" height="{h * mm:.2f}mm"'
        f' viewBox="0 0 {w} {h}">',
        f"<title>{escape(sticker.uri)}</title>",
        f'<rect x="{_BORDER / 2}" y="{_BORDER / 2}" width="{w - _BORDER}" height="{h - _BORDER}"'
        f' fill="#fff" stroke="#000" stroke-width="{_BORDER}"/>',
        f'<path fill="#000" shape-rendering="crispEdges" d="{_svg_path(layout)}"/>',
    ]
    for text in layout.texts:
        if not text.text:
            continue
        anchor = "start" if text.anchor == "ls" else "end"
        # textLength: a substitute font must not overflow the space measured with DejaVu Sans.
        lines.append(
            f'<text x="{text.x}" y="{text.y}" font-family={quoteattr(SVG_FONT_FAMILY)} font-weight="bold"'
            f' font-size="{text.size}" text-anchor="{anchor}" textLength="{text.width}"'
            f' lengthAdjust="spacingAndGlyphs" fill="#000">{escape(text.text)}</text>'
        )
    lines.append("</svg>\n")
    return "\n".join(lines).encode()


def render_pdf(stickers: Sequence[Sticker]) -> bytes:
    """One sticker per page, each page the sticker's printed size. Pages are 1-bit: lossless (CCITT) rather than
    the JPEG Pillow uses for grey, which would blur module edges, and an eighth of the memory for big batches."""
    if not stickers:
        raise ValueError("no stickers")
    pages = [_image(sticker).convert("1", dither=Image.Dither.NONE) for sticker in stickers]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=float(DPI))
    return out.getvalue()


def file_stem(sticker: Sticker) -> str:
    """VN_ABC_LOC1_EVSE-1_1 from the URI's percent-encoded path: only unreserved characters and %XX, so safe as a
    file name everywhere."""
    path = sticker.uri.split("://", 1)[-1].split("?", 1)[0]
    return path.replace("/", "_")


def file_names(stickers: Sequence[Sticker]) -> list[str]:
    """A distinct stem per sticker: ids may contain '_' (and may differ only in case on a case-insensitive disk)."""
    seen: set[str] = set()
    names: list[str] = []
    for sticker in stickers:
        stem, n = file_stem(sticker), 1
        name = stem
        while name.casefold() in seen:
            n += 1
            name = f"{stem}~{n}"
        seen.add(name.casefold())
        names.append(name)
    return names


def render_zip(stickers: Sequence[Sticker]) -> bytes:
    out = io.BytesIO()
    # PNG is already compressed; deflate still shrinks the SVG text a lot.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for sticker, name in zip(stickers, file_names(stickers), strict=True):
            archive.writestr(f"{name}.png", render_png(sticker))
            archive.writestr(f"{name}.svg", render_svg(sticker))
    return out.getvalue()
