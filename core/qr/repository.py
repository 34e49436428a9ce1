"""SQL of QR codes and of CPOs' code sources (pattern spec, mapping API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import asyncpg

from core.qr.uri import ConnectorRef


@dataclass(frozen=True, slots=True)
class StoredCode:
    code: str
    target: ConnectorRef
    source: str
    location_name: str = ""
    connector_type: str = ""
    power_kw: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CodeSource:
    country_code: str
    party_id: str
    pattern_yaml: str | None
    api_url: str | None
    api_key_encrypted: bytes | None
    api_code_prefix: str
    update_time: datetime


_CODE_COLUMNS = (
    "code, country_code, party_id, location_id, evse_uid, connector_id, source, location_name, connector_type, power_kw"
)


def _code(row: asyncpg.Record) -> StoredCode:
    target = ConnectorRef(
        row["country_code"], row["party_id"], row["location_id"], row["evse_uid"], row["connector_id"]
    )
    return StoredCode(row["code"], target, row["source"], row["location_name"], row["connector_type"], row["power_kw"])


class QrRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def code(self, code: str) -> StoredCode | None:
        row = await self._conn.fetchrow(f"SELECT {_CODE_COLUMNS} FROM qr_codes WHERE code = $1", code)
        return _code(row) if row else None

    async def codes_of(self, country_code: str, party_id: str) -> list[StoredCode]:
        rows = await self._conn.fetch(
            f"SELECT {_CODE_COLUMNS} FROM qr_codes WHERE country_code = $1 AND party_id = $2 ORDER BY code",
            country_code,
            party_id,
        )
        return [_code(row) for row in rows]

    async def owners(self, codes: Sequence[str]) -> dict[str, tuple[str, str]]:
        rows = await self._conn.fetch(
            "SELECT code, country_code, party_id FROM qr_codes WHERE code = ANY($1::text[])", list(codes)
        )
        return {row["code"]: (row["country_code"], row["party_id"]) for row in rows}

    async def lock_namespaces(self) -> None:
        """Serialises changes to who owns which codes (prefixes, registries), so two CPOs cannot claim overlapping
        ones at once; resolves (plain reads) are not blocked."""
        await self._conn.execute("LOCK TABLE qr_sources IN SHARE ROW EXCLUSIVE MODE")

    async def registry_codes_under(
        self, prefix: str, country_code: str, party_id: str, limit: int = 1
    ) -> list[tuple[str, tuple[str, str]]]:
        """Codes in other CPOs' registries that start with `prefix`."""
        rows = await self._conn.fetch(
            "SELECT code, country_code, party_id FROM qr_codes WHERE source = 'REGISTRY' AND starts_with(code, $1)"
            " AND (country_code, party_id) <> ($2, $3) ORDER BY code LIMIT $4",
            prefix,
            country_code,
            party_id,
            limit,
        )
        return [(row["code"], (row["country_code"], row["party_id"])) for row in rows]

    async def replace_registry(self, country_code: str, party_id: str, codes: Sequence[StoredCode]) -> None:
        """The CPO's registry becomes exactly `codes` (its cached mapping answers for these codes are replaced)."""
        await self._conn.execute(
            "DELETE FROM qr_codes WHERE country_code = $1 AND party_id = $2"
            " AND (source = 'REGISTRY' OR code = ANY($3::text[]))",
            country_code,
            party_id,
            [c.code for c in codes],
        )
        await self._conn.executemany(
            f"INSERT INTO qr_codes ({_CODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 'REGISTRY', $7, $8, $9)",
            [_values(c) for c in codes],
        )

    async def cache_mapping(self, code: StoredCode) -> None:
        """A mapping API's answer, kept as the fallback for when the API is down; never overrides a registry row."""
        await self._conn.execute(
            f"INSERT INTO qr_codes ({_CODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 'MAPPING_API', $7, $8, $9)"
            " ON CONFLICT (code) DO UPDATE SET country_code = excluded.country_code, party_id = excluded.party_id,"
            " location_id = excluded.location_id, evse_uid = excluded.evse_uid, connector_id = excluded.connector_id,"
            " location_name = excluded.location_name, connector_type = excluded.connector_type,"
            " power_kw = excluded.power_kw, update_time = now() WHERE qr_codes.source = 'MAPPING_API'",
            *_values(code),
        )

    async def forget_mapping(self, code: str, country_code: str, party_id: str) -> None:
        await self._conn.execute(
            "DELETE FROM qr_codes WHERE code = $1 AND source = 'MAPPING_API' AND country_code = $2 AND party_id = $3",
            code,
            country_code,
            party_id,
        )

    async def sources(self) -> list[CodeSource]:
        rows = await self._conn.fetch(
            "SELECT country_code, party_id, pattern_yaml, api_url, api_key_encrypted, api_code_prefix, update_time"
            " FROM qr_sources ORDER BY length(api_code_prefix) DESC, country_code, party_id"
        )
        return [CodeSource(**dict(row)) for row in rows]

    async def source(self, country_code: str, party_id: str) -> CodeSource | None:
        return next((s for s in await self.sources() if (s.country_code, s.party_id) == (country_code, party_id)), None)

    async def set_pattern(self, country_code: str, party_id: str, pattern_yaml: str) -> None:
        await self._conn.execute(
            "INSERT INTO qr_sources (country_code, party_id, pattern_yaml) VALUES ($1, $2, $3)"
            " ON CONFLICT (country_code, party_id) DO UPDATE SET pattern_yaml = excluded.pattern_yaml,"
            " update_time = now()",
            country_code,
            party_id,
            pattern_yaml,
        )

    async def set_api(
        self, country_code: str, party_id: str, url: str | None, key_encrypted: bytes | None, prefix: str
    ) -> None:
        await self._conn.execute(
            "INSERT INTO qr_sources (country_code, party_id, api_url, api_key_encrypted, api_code_prefix)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (country_code, party_id) DO UPDATE SET"
            " api_url = excluded.api_url, api_key_encrypted = excluded.api_key_encrypted,"
            " api_code_prefix = excluded.api_code_prefix, update_time = now()",
            country_code,
            party_id,
            url,
            key_encrypted,
            prefix,
        )

    async def api_key_ciphertexts(self) -> list[tuple[str, str, bytes]]:
        rows = await self._conn.fetch(
            "SELECT country_code, party_id, api_key_encrypted FROM qr_sources WHERE api_key_encrypted IS NOT NULL"
            " ORDER BY country_code, party_id FOR UPDATE"
        )
        return [(row["country_code"], row["party_id"], row["api_key_encrypted"]) for row in rows]

    async def replace_api_key_ciphertexts(self, ciphertexts: Sequence[tuple[str, str, bytes]]) -> None:
        await self._conn.executemany(
            "UPDATE qr_sources SET api_key_encrypted = $3 WHERE country_code = $1 AND party_id = $2", ciphertexts
        )


def _values(code: StoredCode) -> tuple[object, ...]:
    t = code.target
    return (
        code.code,
        t.country_code,
        t.party_id,
        t.location_id,
        t.evse_uid,
        t.connector_id,
        code.location_name,
        code.connector_type,
        code.power_kw,
    )
