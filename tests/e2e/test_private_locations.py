"""A location the CPO marks `publish: false` reaches the eMSPs the same way by push and by pull (OCPI 2.2.1
mod_locations: the eMSP shows it only to the tokens in `publish_allowed_to`, so it must have it)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest

from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, token_header

SENDER = "/ocpi/2.2.1/sender/locations"
ALLOWED_TO = [
    {"uid": "RFID-0001", "type": "RFID"},
    {"visual_number": "DF000-2001-8999-1", "issuer": "eMobility One"},
    {"group_id": "FLEET-7"},
]


def moments_parsed(value: Any) -> Any:
    """The same JSON with its DateTimes as moments: the Hub renders them with milliseconds ("…08:00:00.000Z")."""
    if isinstance(value, dict):
        return {key: moments_parsed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [moments_parsed(item) for item in value]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[0-9:.]+Z?", value):
        return datetime.fromisoformat(value.removesuffix("Z"))
    return value


async def put(hub: Hub, network: Network, location: dict[str, Any]) -> None:
    answer = await hub.http.put(
        f"/ocpi/2.2.1/receiver/locations/VN/CPA/{location['id']}", json=location, headers=network.cpo_headers()
    )
    assert answer.json()["status_code"] == 1000, answer.json()


@pytest.mark.usefixtures("delivering")
async def test_a_private_location_is_pulled_as_it_was_broadcast(hub_http: Hub, network: Network) -> None:
    await put(hub_http, network, samples.location("LOC1", evses=1))
    private = samples.location("LOC2", evses=1, publish=False, publish_allowed_to=ALLOWED_TO)
    await put(hub_http, network, private)
    await put(hub_http, network, samples.location("LOC3", evses=1))

    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 3)
    [broadcast] = [r for r in network.emsp1.pushes("locations") if r.path.endswith("/LOC2")]
    pushed = moments_parsed(json.loads(broadcast.body))
    assert pushed["publish"] is False and pushed["publish_allowed_to"] == ALLOWED_TO

    everything = await hub_http.http.get(SENDER, headers=network.emsp_headers())
    assert everything.json()["status_code"] == 1000, everything.json()
    assert [loc["id"] for loc in everything.json()["data"]] == ["LOC1", "LOC2", "LOC3"]
    assert everything.headers["x-total-count"] == "3"
    assert moments_parsed(everything.json()["data"][1]) == pushed

    one = await hub_http.http.get(f"{SENDER}/LOC2", headers=network.emsp_headers())
    assert one.status_code == 200 and moments_parsed(one.json()["data"]) == pushed
    connector = await hub_http.http.get(f"{SENDER}/LOC2/LOC2-E1/1", headers=network.emsp_headers(which=2))
    assert connector.status_code == 200
    assert moments_parsed(connector.json()["data"]) == pushed["evses"][0]["connectors"][0]


async def test_a_location_made_private_stays_in_the_pulls(hub_http: Hub, network: Network) -> None:
    await put(hub_http, network, samples.location("LOC1", evses=1))
    patch = {"publish": False, "publish_allowed_to": ALLOWED_TO[:1], "last_updated": "2026-11-02T08:00:00Z"}
    answer = await hub_http.http.patch(
        "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1", json=patch, headers=network.cpo_headers()
    )
    assert answer.json()["status_code"] == 1000, answer.json()

    pulled = await hub_http.http.get(SENDER, headers=network.emsp_headers())
    [location] = pulled.json()["data"]
    assert location["publish"] is False and location["publish_allowed_to"] == ALLOWED_TO[:1]

    # Not a pull: a QR code on the charger resolves for whoever scans it, as before (public or not).
    scan = {"qr_data": "evcharge://VN/CPA/LOC1/LOC1-E1/1", "scanned_at": "2026-11-28T10:00:00Z", "app_id": "em1"}
    resolved = await hub_http.http.post("/api/v1/qr-resolve", json=scan, headers=token_header(network.emsp1_token))
    assert resolved.status_code == 200, resolved.json()
