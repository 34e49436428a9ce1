"""What the load sends: a full OCPI Location of ~3.5 KB (3 EVSEs x 2 connectors) and EVSE status PATCHes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e import samples


def full_location(location_id: str, *, evses: int = 3, party_id: str = "CPA") -> dict[str, Any]:
    """A location as a real CPO pushes it: every EVSE with two connectors, directions, facilities, images."""
    data = samples.location(location_id, evses=evses)
    data["party_id"] = party_id
    for n, evse in enumerate(data["evses"]):
        dc = dict(evse["connectors"][0], id="2", standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC")
        dc |= {"max_voltage": 920, "max_amperage": 200, "max_electric_power": 150000, "tariff_ids": ["TARIFF-DC"]}
        evse["connectors"].append(dc)
        evse |= {
            "physical_reference": f"P{n + 1}",
            "floor_level": "-2",
            "coordinates": {"latitude": "21.011570", "longitude": "105.849400"},
            "parking_restrictions": ["EV_ONLY"],
            "directions": [{"language": "en", "text": f"Bay {n + 1}, level B2, next to the lifts"}],
        }
    data |= {
        "state": "Hai Ba Trung",
        "directions": [
            {"language": "en", "text": "Enter the underground garage from Ba Trieu, follow the green EV signs."},
            {"language": "vi", "text": "Vào hầm để xe từ phố Bà Triệu, đi theo biển báo xe điện màu xanh."},
        ],
        "suboperator": {"name": "CP Alpha Ha Noi", "website": "https://cpalpha.example.com/hanoi"},
        "owner": {"name": "Vincom Retail", "website": "https://vincom.example.com"},
        "facilities": ["MALL", "RESTAURANT", "CAFE", "WIFI", "PARKING_LOT"],
        "charging_when_closed": True,
        "images": [
            {
                "url": f"https://cpalpha.example.com/images/{location_id}/entrance.jpg",
                "thumbnail": f"https://cpalpha.example.com/images/{location_id}/entrance-thumb.jpg",
                "category": "ENTRANCE",
                "type": "jpeg",
                "width": 1280,
                "height": 960,
            }
        ],
    }
    return data


class Clock:
    """Strictly increasing last_updated values (1 ms apart), so no PATCH is refused as stale; each names its PATCH."""

    def __init__(self) -> None:
        self._base = datetime(2026, 11, 2, tzinfo=UTC)  # after the pushed locations: nothing is stale
        self._n = 0

    def next(self) -> str:
        self._n += 1
        return (self._base + timedelta(milliseconds=self._n)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def encode(data: object) -> bytes:
    """Compact JSON, as platforms send it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
