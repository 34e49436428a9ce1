"""CPOs' QR registries in the seed's two formats (§5.6.9 option 2), read row by row: every row either becomes a code
or gets a problem naming what is wrong; the caller imports only when no row has one."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core.qr.repository import StoredCode
from core.qr.uri import MAX_LENGTH, ConnectorRef

CSV_COLUMNS = (
    "qr_code",
    "country_code",
    "party_id",
    "location_id",
    "evse_uid",
    "connector_id",
    "location_name",
    "power_kw",
    "connector_type",
)
_ID_FIELDS = ("country_code", "party_id", "location_id", "evse_uid", "connector_id")
MAX_ROWS = 100_000


class RegistryFormatError(ValueError):
    """The file as a whole cannot be read (not CSV/JSON, wrong columns, too big)."""


@dataclass(frozen=True, slots=True)
class Row:
    number: int
    code: StoredCode | None
    qr_code: str
    problem: str = ""


def _row(number: int, fields: dict[str, Any]) -> Row:
    qr_code = fields.get("qr_code")
    if not isinstance(qr_code, str) or not qr_code.strip():
        return Row(number, None, "", "qr_code is missing")
    if len(qr_code) > MAX_LENGTH:
        return Row(number, None, qr_code[:40], f"qr_code is longer than {MAX_LENGTH} characters")
    missing = [name for name in _ID_FIELDS if not isinstance(fields.get(name), str) or not fields[name]]
    if missing:
        return Row(number, None, qr_code, f"missing {', '.join(missing)}")
    power: Decimal | None = None
    raw_power = fields.get("power_kw")
    if raw_power not in (None, ""):
        try:
            power = Decimal(str(raw_power))
        except InvalidOperation:
            return Row(number, None, qr_code, f"power_kw {raw_power!r} is not a number")
        if not power.is_finite() or power < 0:
            return Row(number, None, qr_code, f"power_kw {raw_power!r} is not a positive number")
    target = ConnectorRef(*(str(fields[name]) for name in _ID_FIELDS))
    code = StoredCode(
        qr_code,
        target,
        "REGISTRY",
        str(fields.get("location_name") or ""),
        str(fields.get("connector_type") or ""),
        power,
    )
    return Row(number, code, qr_code)


def read_csv(content: bytes) -> list[Row]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegistryFormatError("the CSV is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or set(reader.fieldnames) != set(CSV_COLUMNS):
        raise RegistryFormatError(f"the CSV header must be: {','.join(CSV_COLUMNS)}")
    rows = [_row(number, dict(fields)) for number, fields in enumerate(reader, start=1)]
    if len(rows) > MAX_ROWS:
        raise RegistryFormatError(f"more than {MAX_ROWS} rows")
    return rows


def read_json(content: bytes) -> list[Row]:
    try:
        document = json.loads(content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryFormatError(f"not JSON: {exc}") from None
    entries = document.get("qr_registry") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise RegistryFormatError('the JSON must be {"qr_registry": [...]}')
    if len(entries) > MAX_ROWS:
        raise RegistryFormatError(f"more than {MAX_ROWS} rows")
    rows = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("ocpi"), dict):
            rows.append(Row(number, None, "", 'each entry needs "qr_code" and an "ocpi" object'))
            continue
        metadata: dict[str, Any] = entry["metadata"] if isinstance(entry.get("metadata"), dict) else {}
        rows.append(_row(number, {"qr_code": entry.get("qr_code"), **metadata, **entry["ocpi"]}))
    return rows
