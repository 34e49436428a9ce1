"""OCPI objects as a CPO sends them (seed test scenarios 2-4), built fresh for each test."""

from __future__ import annotations

from typing import Any


def connector(connector_id: str = "1", last_updated: str = "2026-11-01T08:00:00Z") -> dict[str, Any]:
    return {
        "id": connector_id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 400,
        "max_amperage": 32,
        "max_electric_power": 22000,
        "tariff_ids": ["TARIFF-AC"],
        "last_updated": last_updated,
    }


def evse(uid: str, status: str = "AVAILABLE", last_updated: str = "2026-11-01T08:00:00Z") -> dict[str, Any]:
    return {
        "uid": uid,
        "evse_id": f"VN*CPA*E{uid}",
        "status": status,
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        "connectors": [connector("1", last_updated)],
        "last_updated": last_updated,
    }


def location(
    location_id: str = "LOC1", *, evses: int = 2, last_updated: str = "2026-11-01T08:00:00Z", **fields: Any
) -> dict[str, Any]:
    return {
        "country_code": "VN",
        "party_id": "CPA",
        "id": location_id,
        "publish": True,
        "name": "Vincom Center Ba Trieu",
        "address": "191 Ba Trieu",
        "city": "Ha Noi",
        "postal_code": "100000",
        "country": "VNM",
        "coordinates": {"latitude": "21.011570", "longitude": "105.849400"},
        "parking_type": "UNDERGROUND_GARAGE",
        "evses": [evse(f"{location_id}-E{n + 1}", last_updated=last_updated) for n in range(evses)],
        "operator": {"name": "CP Alpha"},
        "time_zone": "Asia/Ho_Chi_Minh",
        "opening_times": {"twentyfourseven": True},
        "last_updated": last_updated,
        **fields,
    }


def time_based_tariff(tariff_id: str = "TARIFF-AC", last_updated: str = "2026-11-01T08:00:00Z") -> dict[str, Any]:
    """Seed scenario 4: a time-based tariff (VND has no minor unit in practice; prices stay exact decimals)."""
    return {
        "country_code": "VN",
        "party_id": "CPA",
        "id": tariff_id,
        "currency": "VND",
        "type": "REGULAR",
        "tariff_alt_text": [{"language": "vi", "text": "3.500 VND/kWh, 30.000 VND/giờ sau 2 giờ"}],
        "elements": [
            {"price_components": [{"type": "ENERGY", "price": 3500, "vat": 10.0, "step_size": 1}]},
            {
                "price_components": [{"type": "TIME", "price": 30000.00, "vat": 10.0, "step_size": 60}],
                "restrictions": {"min_duration": 7200},
            },
            {
                "price_components": [{"type": "PARKING_TIME", "price": 0.5, "step_size": 300}],
                "restrictions": {"start_time": "22:00", "end_time": "06:00"},
            },
        ],
        "last_updated": last_updated,
    }


def session(
    session_id: str = "S1",
    *,
    emsp: str = "EM1",
    status: str = "ACTIVE",
    kwh: float = 0,
    last_updated: str = "2026-11-01T08:00:05Z",
    **fields: Any,
) -> dict[str, Any]:
    """Seed scenario 5/6: a session the CPO PUTs within 10 s of its start."""
    return {
        "country_code": "VN",
        "party_id": "CPA",
        "id": session_id,
        "start_date_time": "2026-11-01T08:00:00Z",
        "kwh": kwh,
        "cdr_token": {
            "country_code": "VN",
            "party_id": emsp,
            "uid": "RFID-0001",
            "type": "RFID",
            "contract_id": "VN-EM1-C1",
        },
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "LOC1-E1",
        "connector_id": "1",
        "currency": "VND",
        "charging_periods": [],
        "status": status,
        "last_updated": last_updated,
        **fields,
    }


def charging_period(start: str, kwh: float, hours: float) -> dict[str, Any]:
    return {
        "start_date_time": start,
        "dimensions": [{"type": "ENERGY", "volume": kwh}, {"type": "TIME", "volume": hours}],
        "tariff_id": "TARIFF-AC",
    }


def cdr(
    cdr_id: str = "CDR1", *, emsp: str = "EM1", total_excl: float = 35000, total_incl: float = 38500
) -> dict[str, Any]:
    """Seed scenario 7: 10 kWh in one hour at 15:00 local time on the time-based tariff (3,500 VND/kWh + 10 % VAT)."""
    return {
        "country_code": "VN",
        "party_id": "CPA",
        "id": cdr_id,
        "start_date_time": "2026-11-01T08:00:00Z",
        "end_date_time": "2026-11-01T09:00:00Z",
        "session_id": "S1",
        "cdr_token": {
            "country_code": "VN",
            "party_id": emsp,
            "uid": "RFID-0001",
            "type": "RFID",
            "contract_id": "VN-EM1-C1",
        },
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "LOC1",
            "name": "Vincom Center Ba Trieu",
            "address": "191 Ba Trieu",
            "city": "Ha Noi",
            "country": "VNM",
            "coordinates": {"latitude": "21.011570", "longitude": "105.849400"},
            "evse_uid": "LOC1-E1",
            "evse_id": "VN*CPA*ELOC1-E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "VND",
        "charging_periods": [
            {
                "start_date_time": "2026-11-01T08:00:00Z",
                "dimensions": [{"type": "ENERGY", "volume": 10}, {"type": "TIME", "volume": 1}],
                "tariff_id": "TARIFF-AC",
            }
        ],
        "total_cost": {"excl_vat": total_excl, "incl_vat": total_incl},
        "total_energy": 10,
        "total_energy_cost": {"excl_vat": total_excl, "incl_vat": total_incl},
        "total_time": 1,
        "last_updated": "2026-11-01T09:00:10Z",
    }


def token(
    uid: str = "RFID-0001", *, emsp: str = "EM1", whitelist: str = "ALLOWED", valid: bool = True, **fields: Any
) -> dict[str, Any]:
    """Seed scenario 9: an eMSP's RFID card."""
    return {
        "country_code": "VN",
        "party_id": emsp,
        "uid": uid,
        "type": "RFID",
        "contract_id": f"VN-{emsp}-C1",
        "visual_number": "DF000-2001-8999-1",
        "issuer": "eMobility One",
        "valid": valid,
        "whitelist": whitelist,
        "language": "vi",
        "last_updated": "2026-11-01T07:00:00Z",
        **fields,
    }
