"""SQL of the stickers the Hub prints: each code recorded in qr_codes as STANDARD, so a scan can be traced to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from core.qr.uri import ConnectorRef


@dataclass(frozen=True, slots=True)
class StickerCode:
    code: str
    target: ConnectorRef
    location_name: str
    connector_type: str
    power_kw: Decimal | None


class StickerCodeRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record(self, codes: Sequence[StickerCode]) -> None:
        """Upserts by code; a CPO's REGISTRY or MAPPING_API row is never taken over by a printed sticker."""
        await self._conn.executemany(
            "INSERT INTO qr_codes (code, country_code, party_id, location_id, evse_uid, connector_id, source,"
            " location_name, connector_type, power_kw) VALUES ($1, $2, $3, $4, $5, $6, 'STANDARD', $7, $8, $9)"
            " ON CONFLICT (code) DO UPDATE SET location_name = EXCLUDED.location_name,"
            " connector_type = EXCLUDED.connector_type, power_kw = EXCLUDED.power_kw, update_time = now()"
            " WHERE qr_codes.source = 'STANDARD'",
            [
                (
                    c.code,
                    c.target.country_code,
                    c.target.party_id,
                    c.target.location_id,
                    c.target.evse_uid,
                    c.target.connector_id,
                    c.location_name,
                    c.connector_type,
                    c.power_kw,
                )
                for c in codes
            ],
        )
