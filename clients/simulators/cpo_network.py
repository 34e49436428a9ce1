"""The reference CPO's small network and its time-based tariff, and how it prices a session with that tariff.

The pricing follows the Hub's tariff engine (core/billing/engine.py) for this one tariff shape: one TIME component,
step_size applied once on the session's total time as reported in the charging period, VAT per component, exact
decimals. The CPO computes it independently, so the Hub's VerifyCdr really checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

COUNTRY_CODE, PARTY_ID = "VN", "REF"
TARIFF_ID = "REF-TIME"
CURRENCY = "VND"
# 60,000 VND per hour excl. VAT, billed per started minute (1,000 VND): every figure is a whole number of dong.
PRICE_PER_HOUR = Decimal(60000)
VAT_PERCENT = Decimal(10)
STEP_SECONDS = 60
# A charging period's TIME volume in hours, to this many decimals (what the CDR reports and what the Hub prices).
HOURS_DECIMALS = Decimal("0.000001")
# Energy a charging connector delivers per second of charging, in kWh (a 22 kW AC charger).
KWH_PER_SECOND = Decimal(22) / Decimal(3600)


def ocpi_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tariff(last_updated: str) -> dict[str, Any]:
    return {
        "country_code": COUNTRY_CODE,
        "party_id": PARTY_ID,
        "id": TARIFF_ID,
        "currency": CURRENCY,
        "type": "REGULAR",
        "tariff_alt_text": [{"language": "en", "text": "60,000 VND per hour, billed per started minute, +10 % VAT"}],
        "elements": [
            {
                "price_components": [
                    {"type": "TIME", "price": int(PRICE_PER_HOUR), "vat": int(VAT_PERCENT), "step_size": STEP_SECONDS}
                ]
            }
        ],
        "last_updated": last_updated,
    }


def _connector(connector_id: str, standard: str, power_type: str, last_updated: str) -> dict[str, Any]:
    return {
        "id": connector_id,
        "standard": standard,
        "format": "CABLE" if power_type == "DC" else "SOCKET",
        "power_type": power_type,
        "max_voltage": 500 if power_type == "DC" else 400,
        "max_amperage": 125 if power_type == "DC" else 32,
        "tariff_ids": [TARIFF_ID],
        "last_updated": last_updated,
    }


def _evse(uid: str, last_updated: str) -> dict[str, Any]:
    return {
        "uid": uid,
        "evse_id": f"{COUNTRY_CODE}*{PARTY_ID}*E{uid}",
        "status": "AVAILABLE",
        "capabilities": ["REMOTE_START_STOP_CAPABLE", "RESERVABLE", "UNLOCK_CAPABLE", "RFID_READER"],
        "connectors": [
            _connector("1", "IEC_62196_T2", "AC_3_PHASE", last_updated),
            _connector("2", "IEC_62196_T2_COMBO", "DC", last_updated),
        ],
        "last_updated": last_updated,
    }


def locations(last_updated: str) -> list[dict[str, Any]]:
    """Two locations in Ha Noi and Ho Chi Minh City, two EVSEs each, an AC and a DC connector per EVSE."""
    sites = [
        ("REF-HN", "Reference Hoan Kiem", "1 Dinh Tien Hoang", "Ha Noi", "100000", "21.028511", "105.852020"),
        ("REF-HCM", "Reference Ben Thanh", "1 Le Loi", "Ho Chi Minh", "700000", "10.772108", "106.698280"),
    ]
    return [
        {
            "country_code": COUNTRY_CODE,
            "party_id": PARTY_ID,
            "id": location_id,
            "publish": True,
            "name": name,
            "address": address,
            "city": city,
            "postal_code": postal_code,
            "country": "VNM",
            "coordinates": {"latitude": latitude, "longitude": longitude},
            "parking_type": "PARKING_LOT",
            "evses": [_evse(f"{location_id}-E{n}", last_updated) for n in (1, 2)],
            "operator": {"name": "Hub reference CPO"},
            "time_zone": "Asia/Ho_Chi_Minh",
            "opening_times": {"twentyfourseven": True},
            "last_updated": last_updated,
        }
        for location_id, name, address, city, postal_code, latitude, longitude in sites
    ]


@dataclass(frozen=True)
class Charge:
    """What the tariff charges for a session (excl./incl. VAT) and the seconds billed."""

    billed_seconds: int
    excl_vat: Decimal
    incl_vat: Decimal


def hours_between(start: datetime, end: datetime) -> Decimal:
    """The TIME volume a charging period reports: whole seconds to hours, rounded to HOURS_DECIMALS."""
    seconds = Decimal(int((end - start).total_seconds()))
    return (seconds / Decimal(3600)).quantize(HOURS_DECIMALS, rounding=ROUND_HALF_UP)


def price(hours: Decimal) -> Charge:
    """The TIME component on `hours`: step_size rounds the session's seconds up to whole steps, then price x hours."""
    steps = (hours * Decimal(3600) / STEP_SECONDS).to_integral_value(rounding=ROUND_CEILING)
    billed = int(steps) * STEP_SECONDS
    # Multiply before dividing: 60,000 x 60 / 3600 is exact, 60,000 x (60 / 3600) is not.
    excl = PRICE_PER_HOUR * billed / Decimal(3600)
    incl = excl * (Decimal(100) + VAT_PERCENT) / Decimal(100)
    return Charge(billed, excl, incl)
