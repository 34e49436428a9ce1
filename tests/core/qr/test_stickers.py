"""Rendering stickers (seed §5.6.5), no I/O: every sticker is read back with a real QR reader."""

from __future__ import annotations

import io
import re
import string
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.qr.stickers import (
    SCAN_EN,
    SCAN_VI,
    Sticker,
    file_names,
    render_pdf,
    render_png,
    render_svg,
    render_zip,
)
from core.qr.uri import ConnectorRef, build
from tests.core.qr.decode import decode_png, decode_svg, svg_texts

URI = "evcharge://VN/ABC/LOC1/EVSE-1/1?network=hub"


def sticker(uri: str = URI, connector_id: str = "1", **labels: str) -> Sticker:
    fields = {"power_label": "22 kW", "connector_type_label": "Type 2", "location_name": "Vincom Bà Triệu"}
    fields |= {"evse_uid": "EVSE-1"} | labels
    return Sticker(uri=uri, connector_id=connector_id, **fields)


def test_png_decodes_to_its_uri_at_300_dpi_and_level_h() -> None:
    assert decode_png(render_png(sticker())) == URI


def test_svg_is_a_vector_code_with_its_labels() -> None:
    content = render_svg(sticker(location_name="A & B <Hà Nội>"))
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert decode_svg(content) == URI
    assert svg_texts(content) == [
        "CONNECTOR 1",
        "A & B <Hà Nội>",
        "22 kW",
        "Type 2",
        SCAN_VI,
        SCAN_EN,
        "EVSE EVSE-1",
    ]


def test_svg_leaves_out_labels_the_cpo_did_not_give() -> None:
    assert "22 kW" not in svg_texts(render_svg(sticker(power_label="")))


def test_long_ids_are_cut_on_the_label_but_whole_in_the_code() -> None:
    long_id = "C" * 36
    uri = build(ConnectorRef("VN", "ABC", "L" * 36, "E" * 36, long_id))
    content = render_svg(sticker(uri, long_id, evse_uid="E" * 36, location_name="Trạm sạc " * 10))
    assert decode_svg(content) == uri
    texts = svg_texts(content)
    assert texts[0].startswith("CONNECTOR CCC") and texts[0].endswith("…")
    assert texts[1].endswith("…")


def test_pdf_has_one_printed_size_page_per_sticker() -> None:
    content = render_pdf([sticker(), sticker(build(ConnectorRef("VN", "ABC", "LOC1", "EVSE-1", "2")), "2")])
    assert content.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", content)
    assert len(boxes) == 2
    # 5 cm in points: the code alone is that wide, so the page is wider.
    assert all(float(w) > 5 / 2.54 * 72 and float(h) > 5 / 2.54 * 72 for w, h in boxes)


def test_zip_holds_a_png_and_an_svg_per_sticker_that_decode() -> None:
    uris = [build(ConnectorRef("VN", "ABC", "LOC1", "EVSE-1", c), (("network", "hub"),)) for c in ("1", "2")]
    stickers = [sticker(uri, connector_id) for uri, connector_id in zip(uris, ("1", "2"), strict=True)]
    with zipfile.ZipFile(io.BytesIO(render_zip(stickers))) as archive:
        assert archive.namelist() == [
            "VN_ABC_LOC1_EVSE-1_1.png",
            "VN_ABC_LOC1_EVSE-1_1.svg",
            "VN_ABC_LOC1_EVSE-1_2.png",
            "VN_ABC_LOC1_EVSE-1_2.svg",
        ]
        for uri, stem in zip(uris, ("VN_ABC_LOC1_EVSE-1_1", "VN_ABC_LOC1_EVSE-1_2"), strict=True):
            assert decode_png(archive.read(f"{stem}.png")) == uri
            assert decode_svg(archive.read(f"{stem}.svg")) == uri


def test_file_names_are_safe_and_distinct() -> None:
    uris = [
        build(ConnectorRef("VN", "ABC", "L/1", "E 1", "1")),
        build(ConnectorRef("VN", "ABC", "L_1", "E", "1")),
        build(ConnectorRef("VN", "ABC", "L", "1_E", "1")),
        build(ConnectorRef("VN", "ABC", "l", "1_e", "1")),
    ]
    names = file_names([sticker(u) for u in uris])
    assert names == ["VN_ABC_L%2F1_E%201_1", "VN_ABC_L_1_E_1", "VN_ABC_L_1_E_1~2", "VN_ABC_l_1_e_1~3"]


ids = st.text(alphabet=string.printable[:95], min_size=1, max_size=36)


@pytest.mark.slow  # 50 stickers drawn and decoded by a QR reader: ~10 s
@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    location_id=ids,
    evse_uid=ids,
    connector_id=ids,
    network=st.one_of(st.none(), st.text(alphabet=string.ascii_letters + " &=%", min_size=1, max_size=10)),
)
def test_any_valid_ids_decode_to_the_built_uri(
    location_id: str, evse_uid: str, connector_id: str, network: str | None
) -> None:
    target = ConnectorRef("VN", "ABC", location_id, evse_uid, connector_id)
    uri = build(target, (("network", network),) if network else ())
    assert decode_png(render_png(sticker(uri, connector_id, evse_uid=evse_uid))) == uri
