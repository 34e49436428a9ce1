"""RenderQrStickers against the real PostgreSQL: which connectors get a sticker, and what is recorded."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import asyncpg
import pytest

from core.errors import InvalidArgument, NotFound
from core.qr.sticker_service import StickersService
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason
from ocpihub.qr.v1 import qr_service_pb2 as rpc
from ocpihub.types.v1 import types_pb2
from tests.core.qr.decode import decode_png, decode_svg, svg_texts
from tests.core.qr.locations import network

ABC = types_pb2.PartyRef(country_code="VN", party_id="ABC")


def request(fmt: rpc.StickerFormat.ValueType, *path: str, network: str = "") -> rpc.RenderQrStickersRequest:
    location_id, evse_uid, connector_id = (*path, "", "", "")[:3]
    return rpc.RenderQrStickersRequest(
        cpo=ABC, location_id=location_id, evse_uid=evse_uid, connector_id=connector_id, format=fmt, network=network
    )


@pytest.fixture
async def service(db: asyncpg.Pool) -> StickersService:
    await network(db)
    return StickersService(db)


def zip_uris(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        pngs = [decode_png(archive.read(n)) for n in names if n.endswith(".png")]
        svgs = [decode_svg(archive.read(n)) for n in names if n.endswith(".svg")]
    assert pngs == svgs
    return pngs


async def test_one_connector_as_png(service: StickersService) -> None:
    response = await service.render(request(rpc.STICKER_FORMAT_PNG, "loc1", "evse-1", "2", network="hub"))
    # Matched in any case (CiString), printed as the CPO spelled the ids.
    assert list(response.uris) == ["evcharge://VN/ABC/LOC1/EVSE-1/2?network=hub"]
    assert response.media_type == "image/png"
    assert decode_png(response.content) == response.uris[0]


async def test_one_connector_as_svg_says_its_power_and_plug(service: StickersService) -> None:
    response = await service.render(request(rpc.STICKER_FORMAT_SVG, "LOC1", "EVSE-1", "2"))
    assert response.media_type == "image/svg+xml"
    assert decode_svg(response.content) == "evcharge://VN/ABC/LOC1/EVSE-1/2"
    assert {"CONNECTOR 2", "50 kW", "CCS2", "Vincom Bà Triệu", "EVSE EVSE-1"} <= set(svg_texts(response.content))


async def test_an_evse_a_location_and_the_whole_cpo(service: StickersService) -> None:
    evse = await service.render(request(rpc.STICKER_FORMAT_ZIP, "LOC1", "EVSE-1"))
    assert (
        zip_uris(evse.content)
        == list(evse.uris)
        == [
            "evcharge://VN/ABC/LOC1/EVSE-1/1",
            "evcharge://VN/ABC/LOC1/EVSE-1/2",
        ]
    )
    # EVSE-9 is REMOVED: no sticker for it.
    location = await service.render(request(rpc.STICKER_FORMAT_ZIP, "LOC1"))
    assert list(location.uris) == list(evse.uris)
    cpo = await service.render(request(rpc.STICKER_FORMAT_ZIP))
    assert (
        zip_uris(cpo.content)
        == list(cpo.uris)
        == [
            *evse.uris,
            "evcharge://VN/ABC/LOC2/EVSE-2/1",
            "evcharge://VN/ABC/LOC2/EVSE-2/2",
        ]
    )


async def test_pdf_has_a_page_per_connector(service: StickersService) -> None:
    response = await service.render(request(rpc.STICKER_FORMAT_PDF))
    assert response.media_type == "application/pdf"
    assert len(re.findall(rb"/MediaBox", response.content)) == len(response.uris) == 4


@pytest.mark.parametrize(
    "path", [("LOC3",), ("LOC1", "EVSE-7"), ("LOC1", "EVSE-1", "3"), ("LOC1", "EVSE-9", "1")], ids="/".join
)
async def test_unknown_or_removed_is_evse_not_found(service: StickersService, path: tuple[str, ...]) -> None:
    with pytest.raises(NotFound) as refused:
        await service.render(request(rpc.STICKER_FORMAT_PDF, *path))
    assert refused.value.reason == ErrorReason.ERROR_REASON_EVSE_NOT_FOUND


async def test_png_or_svg_of_several_connectors_is_refused(service: StickersService) -> None:
    for fmt in (rpc.STICKER_FORMAT_PNG, rpc.STICKER_FORMAT_SVG):
        with pytest.raises(InvalidArgument, match="use PDF or ZIP") as refused:
            await service.render(request(fmt, "LOC1", "EVSE-1"))
        assert refused.value.violations[0][0] == "format"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (rpc.RenderQrStickersRequest(format=rpc.STICKER_FORMAT_PDF), "cpo"),
        (rpc.RenderQrStickersRequest(cpo=ABC), "format"),
        (rpc.RenderQrStickersRequest(cpo=ABC, format=rpc.STICKER_FORMAT_PDF, evse_uid="EVSE-1"), "evse_uid"),
        (
            rpc.RenderQrStickersRequest(cpo=ABC, format=rpc.STICKER_FORMAT_PDF, location_id="L", connector_id="1"),
            "connector_id",
        ),
    ],
)
async def test_invalid_requests(service: StickersService, bad: rpc.RenderQrStickersRequest, field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        await service.render(bad)
    assert [f for f, _ in refused.value.violations] == [field]


async def test_codes_are_recorded_as_standard(service: StickersService, db: asyncpg.Pool) -> None:
    await service.render(request(rpc.STICKER_FORMAT_ZIP, "LOC1", network="hub"))
    # Rendering again updates the rows, never duplicates them.
    await service.render(request(rpc.STICKER_FORMAT_PNG, "LOC1", "EVSE-1", "1", network="hub"))
    rows = await db.fetch(
        "SELECT code, country_code, party_id, location_id, evse_uid, connector_id, source, location_name,"
        " connector_type, power_kw FROM qr_codes ORDER BY code"
    )
    assert [tuple(r.values()) for r in rows] == [
        ("evcharge://VN/ABC/LOC1/EVSE-1/1?network=hub", "VN", "ABC", "LOC1", "EVSE-1", "1", "STANDARD",
         "Vincom Bà Triệu", "Type 2", Decimal("22.0")),
        ("evcharge://VN/ABC/LOC1/EVSE-1/2?network=hub", "VN", "ABC", "LOC1", "EVSE-1", "2", "STANDARD",
         "Vincom Bà Triệu", "CCS2", Decimal("50.0")),
    ]  # fmt: skip


async def test_a_registry_row_of_the_same_code_is_left_alone(service: StickersService, db: asyncpg.Pool) -> None:
    code = "evcharge://VN/ABC/LOC1/EVSE-1/1"
    await db.execute(
        "INSERT INTO qr_codes (code, country_code, party_id, location_id, evse_uid, connector_id, source)"
        " VALUES ($1, 'VN', 'ABC', 'LOC1', 'EVSE-1', '1', 'REGISTRY')",
        code,
    )
    await service.render(request(rpc.STICKER_FORMAT_PNG, "LOC1", "EVSE-1", "1"))
    assert await db.fetchval("SELECT source || '/' || location_name FROM qr_codes WHERE code = $1", code) == "REGISTRY/"
