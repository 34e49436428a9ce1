"""OCPI pagination of a Sender GET list (HUB-DIGEST §1.5, checklist 51-57): eMSPs pull the locations CPOs pushed."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from simulators.party import PartySimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, token_header

SENDER = "/ocpi/2.2.1/sender/locations"
_LINK = re.compile(r'^<([^>]+)>; rel="next"$')


async def push(hub: Hub, network: Network, n: int | str, **fields: Any) -> None:
    """The CPO pushes location LOC{n} (one EVSE) to the Hub for broadcast."""
    data = samples.location(f"LOC{n}", evses=1, **fields)
    response = await hub.http.put(
        f"/ocpi/2.2.1/receiver/locations/VN/CPA/LOC{n}",
        content=json.dumps(data).encode(),
        headers=network.cpo_headers(),
    )
    assert response.json()["status_code"] == 1000, response.json()


async def pull(hub: Hub, network: Network, url: str = SENDER, **params: str | int) -> httpx.Response:
    response = await hub.http.get(url, params=params or None, headers=network.emsp_headers())
    assert response.status_code == 200, response.text
    return response


def ids(response: httpx.Response) -> list[str]:
    assert response.json()["status_code"] == 1000, response.json()
    return [location["id"] for location in response.json()["data"]]


def next_url(response: httpx.Response) -> str | None:
    link = response.headers.get("link")
    if link is None:
        return None
    match = _LINK.match(link)
    assert match, link
    return match.group(1)


async def pull_all(hub: Hub, network: Network, **params: str | int) -> list[list[str]]:
    """Every page, following the Link headers from the first request to the last page."""
    response = await pull(hub, network, **params)
    pages = [ids(response)]
    while (url := next_url(response)) is not None:
        assert len(pages) < 100, "Link headers never end"
        response = await pull(hub, network, url)
        pages.append(ids(response))
    return pages


async def test_limit_two_on_five_locations_pages_in_creation_order(hub_http: Hub, network: Network) -> None:
    # Created neither in id order nor in last_updated order: the pages follow creation order.
    created = [3, 1, 5, 2, 4]
    for minute, n in zip([40, 10, 30, 50, 20], created, strict=True):
        await push(hub_http, network, n, last_updated=f"2026-11-01T08:{minute}:00Z")
    expected = [f"LOC{n}" for n in created]

    first = await pull(hub_http, network, limit=2)
    assert ids(first) == expected[:2]
    assert first.headers["x-total-count"] == "5"
    assert first.headers["x-limit"] == "50"
    assert first.headers["link"] == f'<{hub_http.url}{SENDER}?offset=2&limit=2>; rel="next"'

    second = await pull(hub_http, network, next_url(first) or "")
    assert ids(second) == expected[2:4]
    assert second.headers["x-total-count"] == "5"
    assert second.headers["link"] == f'<{hub_http.url}{SENDER}?offset=4&limit=2>; rel="next"'

    last = await pull(hub_http, network, next_url(second) or "")
    assert ids(last) == expected[4:]
    assert "link" not in last.headers
    assert last.headers["x-total-count"] == "5"

    assert await pull_all(hub_http, network, limit=2) == [expected[:2], expected[2:4], expected[4:]]
    beyond = await pull(hub_http, network, offset=5, limit=2)
    assert ids(beyond) == []
    assert beyond.headers["x-total-count"] == "5"
    assert "link" not in beyond.headers


async def test_link_keeps_the_date_filters_exactly(hub_http: Hub, network: Network) -> None:
    for n in range(1, 6):
        await push(hub_http, network, n, last_updated="2026-11-01T08:00:00Z")
    await push(hub_http, network, 6, last_updated="2026-11-01T10:00:00Z")  # outside the window
    date_from, date_to = "2026-11-01T07:00:00Z", "2026-11-01T09:00:00.5"

    first = await pull(hub_http, network, date_from=date_from, date_to=date_to, limit=2)
    assert first.headers["x-total-count"] == "5"
    link = urlsplit(next_url(first) or "")
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{hub_http.url}{SENDER}"
    assert parse_qs(link.query) == {"date_from": [date_from], "date_to": [date_to], "offset": ["2"], "limit": ["2"]}

    pages = await pull_all(hub_http, network, date_from=date_from, date_to=date_to, limit=2)
    assert pages == [["LOC1", "LOC2"], ["LOC3", "LOC4"], ["LOC5"]]


async def test_limit_above_the_maximum_gives_the_maximum(hub_http: Hub, network: Network) -> None:
    numbers = list(range(1, 56))
    for start in range(0, len(numbers), 10):
        await asyncio.gather(*(push(hub_http, network, n) for n in numbers[start : start + 10]))

    big = await pull(hub_http, network, limit=500)
    assert len(ids(big)) == 50
    assert big.headers["x-limit"] == "50"
    assert big.headers["x-total-count"] == "55"
    assert big.headers["link"] == f'<{hub_http.url}{SENDER}?offset=50&limit=50>; rel="next"'
    rest = await pull(hub_http, network, next_url(big) or "")
    assert len(ids(rest)) == 5
    assert "link" not in rest.headers
    assert sorted(ids(big) + ids(rest)) == sorted(f"LOC{n}" for n in numbers)

    unlimited = await pull(hub_http, network)
    assert ids(unlimited) == ids(big)
    assert unlimited.headers["x-limit"] == "50"


async def test_date_from_is_inclusive_and_date_to_exclusive(hub_http: Hub, network: Network) -> None:
    await push(hub_http, network, 1, last_updated="2026-11-01T08:00:00Z")
    await push(hub_http, network, 2, last_updated="2026-11-01T09:00:00Z")
    await push(hub_http, network, 3, last_updated="2026-11-01T09:30:00.250Z")
    await push(hub_http, network, 4, last_updated="2026-11-01T10:00:00Z")

    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"date_from": "2026-11-01T09:00:00Z"}, ["LOC2", "LOC3", "LOC4"]),
        ({"date_to": "2026-11-01T09:00:00Z"}, ["LOC1"]),
        ({"date_from": "2026-11-01T09:00:00"}, ["LOC2", "LOC3", "LOC4"]),  # without Z: UTC all the same
        ({"date_to": "2026-11-01T09:00:00"}, ["LOC1"]),
        ({"date_from": "2026-11-01T08:59:59.999Z"}, ["LOC2", "LOC3", "LOC4"]),
        ({"date_from": "2026-11-01T09:00:00.001Z"}, ["LOC3", "LOC4"]),
        ({"date_to": "2026-11-01T09:00:00.001Z"}, ["LOC1", "LOC2"]),
        ({"date_from": "2026-11-01T09:30:00.250Z"}, ["LOC3", "LOC4"]),
        ({"date_to": "2026-11-01T09:30:00.250Z"}, ["LOC1", "LOC2"]),
        ({"date_from": "2026-11-01T09:30:00.25"}, ["LOC3", "LOC4"]),
        ({"date_from": "2026-11-01T09:00:00Z", "date_to": "2026-11-01T10:00:00Z"}, ["LOC2", "LOC3"]),
    ]
    for params, expected in cases:
        response = await pull(hub_http, network, **params)
        assert ids(response) == expected, params
        assert response.headers["x-total-count"] == str(len(expected)), params


async def test_an_offset_past_int32_is_an_empty_page(hub_http: Hub, network: Network) -> None:
    # Found by tests/fuzz: was HTTP 500 (the core's page request holds an int32).
    await push(hub_http, network, 1)
    response = await pull(hub_http, network, offset="99999999999999999999999", limit="99999999999999999999")
    assert response.json()["status_code"] == 1000, response.json()
    assert response.json()["data"] == []
    assert response.headers["x-total-count"] == "1"


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"date_from": "2026-11-01T11:00:00+02:00"}, "date_from"),
        ({"date_to": "2026-11-01T11:00:00+02:00"}, "date_to"),
        ({"date_from": "2026-11-01"}, "date_from"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "two"}, "limit"),
        ({"offset": "abc"}, "offset"),
        ({"offset": "-2"}, "offset"),
    ],
)
async def test_invalid_paging_parameters_are_2001(
    hub_http: Hub, network: Network, params: dict[str, str], names: str
) -> None:
    await push(hub_http, network, 1)
    response = await pull(hub_http, network, **params)
    assert response.json()["status_code"] == 2001, response.json()
    assert names in response.json()["status_message"]
    assert "data" not in response.json() or response.json()["data"] in (None, [])


async def test_insert_between_pages_only_changes_the_last_page(hub_http: Hub, network: Network) -> None:
    for n in range(1, 6):
        await push(hub_http, network, n)
    first = await pull(hub_http, network, limit=2)
    assert ids(first) == ["LOC1", "LOC2"]

    await push(hub_http, network, 0)  # LOC0: first by id, last by creation
    second = await pull(hub_http, network, next_url(first) or "")
    assert ids(second) == ["LOC3", "LOC4"]
    assert second.headers["x-total-count"] == "6"
    last = await pull(hub_http, network, next_url(second) or "")
    assert ids(last) == ["LOC5", "LOC0"]
    assert "link" not in last.headers


async def test_order_is_stable_across_calls_and_updates(hub_http: Hub, network: Network) -> None:
    for n in (2, 4, 1, 3):
        await push(hub_http, network, n)
    expected = ["LOC2", "LOC4", "LOC1", "LOC3"]
    for _ in range(3):
        assert ids(await pull(hub_http, network)) == expected
    # An update (newer last_updated, new name) does not move the location.
    await push(hub_http, network, 2, last_updated="2026-11-05T00:00:00Z", name="Renamed")
    pulled = await pull(hub_http, network)
    assert ids(pulled) == expected
    assert pulled.json()["data"][0]["name"] == "Renamed"
    assert await pull_all(hub_http, network, limit=1) == [[loc] for loc in expected]


async def test_to_a_cpo_pulls_only_that_cpos_locations(
    hub_http: Hub, network: Network, start_party: Callable[..., Awaitable[PartySimulator]]
) -> None:
    other = await start_party(party_id="CPB", name="CP Bravo")
    other_token = await hub_http.register(other)
    other_headers = {
        **token_header(other_token),
        "OCPI-from-country-code": "VN",
        "OCPI-from-party-id": "CPB",
        "OCPI-to-country-code": "VN",
        "OCPI-to-party-id": "HUB",
    }
    await push(hub_http, network, 1)
    for location_id in ("LOC2", "LOCB"):
        data = samples.location(location_id, evses=1) | {"party_id": "CPB"}
        response = await hub_http.http.put(
            f"/ocpi/2.2.1/receiver/locations/VN/CPB/{location_id}",
            content=json.dumps(data).encode(),
            headers=other_headers,
        )
        assert response.json()["status_code"] == 1000, response.json()
    await push(hub_http, network, 3)

    everything = await pull(hub_http, network)
    assert [(loc["party_id"], loc["id"]) for loc in everything.json()["data"]] == [
        ("CPA", "LOC1"),
        ("CPB", "LOC2"),
        ("CPB", "LOCB"),
        ("CPA", "LOC3"),
    ]
    assert everything.headers["x-total-count"] == "4"

    for cpo, expected in (("CPA", ["LOC1", "LOC3"]), ("CPB", ["LOC2", "LOCB"])):
        response = await hub_http.http.get(SENDER, headers=network.emsp_headers(to=("VN", cpo)))
        assert (response.status_code, response.json()["status_code"]) == (200, 1000), response.json()
        assert [(loc["party_id"], loc["id"]) for loc in response.json()["data"]] == [(cpo, i) for i in expected]
        assert response.headers["x-total-count"] == "2"
