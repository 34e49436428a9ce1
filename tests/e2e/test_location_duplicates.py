"""R2.5 over HTTP: two EVSEs with one uid in a location, or two connectors with one id in an EVSE, are refused with
2001 naming the duplicate, on PUT and on PATCH, and nothing of the refused write is stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

LOC1 = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"
LATER = "2026-11-02T08:00:00Z"


def _twin_connectors(uid: str) -> dict[str, Any]:
    evse = samples.evse(uid, last_updated=LATER)
    evse["connectors"] = [samples.connector("1", LATER), samples.connector("2", LATER), samples.connector("1", LATER)]
    return evse


# (method, path below LOC1, body, the duplicate the message must name)
CASES = {
    "PUT location, two EVSEs": (
        "PUT",
        "",
        samples.location(evses=0, last_updated=LATER)
        | {"evses": [samples.evse("E1", last_updated=LATER), samples.evse("E1", last_updated=LATER)]},
        "'E1': evses[0] and evses[1]",
    ),
    "PUT location, EVSE uids differing in case": (
        "PUT",
        "",
        samples.location(evses=0, last_updated=LATER)
        | {"evses": [samples.evse("E1", last_updated=LATER), samples.evse("e1", last_updated=LATER)]},
        "'e1': evses[0] and evses[1]",
    ),
    "PUT location, two connectors in one EVSE": (
        "PUT",
        "",
        samples.location(evses=0, last_updated=LATER) | {"evses": [_twin_connectors("E1")]},
        "'1': connectors[0] and connectors[2]",
    ),
    "PATCH location, an EVSE list with twins": (
        "PATCH",
        "",
        {"evses": [samples.evse("E7", last_updated=LATER)] * 2, "last_updated": LATER},
        "'E7': evses[0] and evses[1]",
    ),
    "PUT EVSE, two connectors": (
        "PUT",
        "/LOC1-E1",
        _twin_connectors("LOC1-E1"),
        "'1': connectors[0] and connectors[2]",
    ),
    "PATCH EVSE, a connector list with twins": (
        "PATCH",
        "/LOC1-E1",
        {"connectors": [samples.connector("3", LATER)] * 2, "last_updated": LATER},
        "'3': connectors[0] and connectors[1]",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_duplicate_ids_are_refused_naming_the_duplicate(hub_http: Hub, network: Network, case: str) -> None:
    put = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    assert put.json()["status_code"] == 1000, put.json()
    before = (await hub_http.http.get(LOC1, headers=network.cpo_headers())).json()["data"]

    method, below, body, duplicate = CASES[case]
    answer = await hub_http.http.request(method, LOC1 + below, json=body, headers=network.cpo_headers())

    assert answer.status_code == 200
    assert answer.json()["status_code"] == 2001, answer.json()
    message = answer.json()["status_message"]
    assert "duplicate" in message and duplicate in message, message
    after = (await hub_http.http.get(LOC1, headers=network.cpo_headers())).json()["data"]
    assert after == before


async def test_distinct_ids_in_one_write_are_stored(hub_http: Hub, network: Network) -> None:
    """The same connector id in two EVSEs is fine: connector ids are unique per EVSE only."""
    location = samples.location(last_updated=LATER)
    answer = await hub_http.http.put(LOC1, json=location, headers=network.cpo_headers())
    assert answer.json()["status_code"] == 1000, answer.json()
    stored = (await hub_http.http.get(LOC1, headers=network.cpo_headers())).json()["data"]
    assert [(e["uid"], [c["id"] for c in e["connectors"]]) for e in stored["evses"]] == [
        ("LOC1-E1", ["1"]),
        ("LOC1-E2", ["1"]),
    ]
