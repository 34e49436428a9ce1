"""RenderQrStickers: one sticker per connector of a CPO, narrowed to a location, an EVSE or a connector."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import asyncpg

from core.errors import FailedPrecondition, InvalidArgument, NotFound
from core.locations.repository import LocationFilter, LocationRepository
from core.qr.connector_labels import connector_type_label, power_label
from core.qr.connectors import power_kw
from core.qr.sticker_repository import StickerCode, StickerCodeRepository
from core.qr.stickers import Sticker, render_pdf, render_png, render_svg, render_zip
from core.qr.uri import MAX_LENGTH, ConnectorRef, QrFormatError, build
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason
from ocpihub.locations.v1 import locations_pb2 as loc
from ocpihub.qr.v1 import qr_service_pb2 as rpc

_PAGE = 500
_SINGLE: dict[int, tuple[str, Callable[[Sticker], bytes]]] = {
    rpc.STICKER_FORMAT_PNG: ("image/png", render_png),
    rpc.STICKER_FORMAT_SVG: ("image/svg+xml", render_svg),
}
_MANY: dict[int, tuple[str, Callable[[Sequence[Sticker]], bytes]]] = {
    rpc.STICKER_FORMAT_PDF: ("application/pdf", render_pdf),
    rpc.STICKER_FORMAT_ZIP: ("application/zip", render_zip),
}


def _check(request: rpc.RenderQrStickersRequest) -> None:
    violations = []
    if not request.cpo.country_code or not request.cpo.party_id:
        violations.append(("cpo", "country_code and party_id are required"))
    if request.format not in _SINGLE and request.format not in _MANY:
        violations.append(("format", "must be PNG, SVG, PDF or ZIP"))
    if request.evse_uid and not request.location_id:
        violations.append(("evse_uid", "needs location_id"))
    if request.connector_id and not request.evse_uid:
        violations.append(("connector_id", "needs evse_uid"))
    if violations:
        raise InvalidArgument(violations)


def _code(target: ConnectorRef, params: tuple[tuple[str, str], ...]) -> str:
    try:
        code = build(target, params)
    except QrFormatError as error:
        # Only stored data that bypassed OCPI's id rules gets here: say which connector, never draw a bad code.
        raise FailedPrecondition(ErrorReason.ERROR_REASON_QR_INVALID_FORMAT, f"{target}: {error}") from None
    if len(code) > MAX_LENGTH:
        raise InvalidArgument([("network", f"makes the code longer than the {MAX_LENGTH} characters apps accept")])
    return code


def _matches(wanted: str, value: str) -> bool:
    # OCPI ids are CiString: matched in any case, printed as the CPO spelled them.
    return not wanted or wanted.upper() == value.upper()


class StickersService:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def render(self, request: rpc.RenderQrStickersRequest) -> rpc.RenderQrStickersResponse:
        _check(request)
        codes = self._codes(request, await self._locations(request))
        if not codes:
            parts = (request.location_id, request.evse_uid, request.connector_id)
            what = "/".join([self._cpo(request), *(p for p in parts if p)])
            raise NotFound(ErrorReason.ERROR_REASON_EVSE_NOT_FOUND, f"no connector to put a sticker on at {what}")
        stickers = [self._sticker(code) for code in codes]
        if request.format in _SINGLE:
            if len(stickers) > 1:
                raise InvalidArgument(
                    [("format", f"PNG and SVG hold one sticker; {len(stickers)} connectors match: use PDF or ZIP")]
                )
            media_type, one = _SINGLE[request.format]
            # Drawing a big batch is CPU work: off the event loop, so other RPCs keep being served.
            content = await asyncio.to_thread(one, stickers[0])
        else:
            media_type, many = _MANY[request.format]
            content = await asyncio.to_thread(many, stickers)
        async with self._pool.acquire() as conn, conn.transaction():
            await StickerCodeRepository(conn).record(codes)
        return rpc.RenderQrStickersResponse(content=content, media_type=media_type, uris=[c.code for c in codes])

    @staticmethod
    def _cpo(request: rpc.RenderQrStickersRequest) -> str:
        return f"{request.cpo.country_code.upper()}/{request.cpo.party_id.upper()}"

    async def _locations(self, request: rpc.RenderQrStickersRequest) -> list[loc.Location]:
        cc, pid = request.cpo.country_code.upper(), request.cpo.party_id.upper()
        async with self._pool.acquire() as conn:
            repository = LocationRepository(conn)
            if request.location_id:
                location = await repository.get(cc, pid, request.location_id)
                return [location] if location else []
            found: list[loc.Location] = []
            while True:
                page, total = await repository.list(
                    LocationFilter(country_code=cc, party_id=pid), offset=len(found), limit=_PAGE
                )
                found += page
                if not page or len(found) >= total:
                    return found

    def _codes(self, request: rpc.RenderQrStickersRequest, locations: list[loc.Location]) -> list[StickerCode]:
        params = (("network", request.network),) if request.network else ()
        codes: list[StickerCode] = []
        for location in locations:
            for evse in location.evses:
                if evse.status == loc.EVSE_STATUS_REMOVED or not _matches(request.evse_uid, evse.uid):
                    continue
                for connector in evse.connectors:
                    if not _matches(request.connector_id, connector.id):
                        continue
                    target = ConnectorRef(location.country_code, location.party_id, location.id, evse.uid, connector.id)
                    code = _code(target, params)
                    kind, kw = connector_type_label(connector), power_kw(connector)
                    codes.append(StickerCode(code, target, location.name or location.id, kind, kw))
        return codes

    @staticmethod
    def _sticker(code: StickerCode) -> Sticker:
        t = code.target
        label = power_label(code.power_kw)
        return Sticker(code.code, t.connector_id, label, code.connector_type, code.location_name, t.evse_uid)
