"""Seed test scenario 4 end to end: a CPO pushes a time-based tariff; every eMSP gets it and can pull it back."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from simulators.party import PartySimulator, Received
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

TARIFF_AC = "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC"
PUSHED_PATH = "/ocpi/2.2.1/tariffs/VN/CPA/TARIFF-AC"
SENDER = "/ocpi/2.2.1/sender/tariffs"


def body(data: Any) -> bytes:
    """The tariff as a CPO writes it: prices with the exact decimals of the tariff sheet (30000.00, not 30000.0)."""
    text = json.dumps(data, ensure_ascii=False).replace('"price": 30000.0,', '"price": 30000.00,')
    return text.encode()


def tariff_body(**changes: Any) -> bytes:
    return body(samples.time_based_tariff() | changes)


def assert_from_hub_to(got: Received, emsp: PartySimulator) -> None:
    assert (got.headers["ocpi-from-country-code"], got.headers["ocpi-from-party-id"]) == ("VN", "HUB")
    assert (got.headers["ocpi-to-country-code"], got.headers["ocpi-to-party-id"]) == ("VN", emsp.party_id)


async def test_tariff_put_is_stored_and_relayed_byte_for_byte_once(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    sent = tariff_body()
    response = await hub_http.http.put(TARIFF_AC, content=sent, headers=network.cpo_headers())
    assert (response.status_code, response.json()["status_code"]) == (201, 1000), response.json()

    for emsp in (network.emsp1, network.emsp2):
        await emsp.wait_for(lambda e=emsp: len(e.pushes("tariffs")) == 1)
        got = emsp.pushes("tariffs")[0]
        assert (got.method, got.path) == ("PUT", PUSHED_PATH)
        assert got.body == sent
        assert_from_hub_to(got, emsp)
    assert network.cpo.pushes("tariffs") == []
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE module = 'tariffs'") == 2

    again = await hub_http.http.put(TARIFF_AC, content=sent, headers=network.cpo_headers())
    assert (again.status_code, again.json()["status_code"]) == (200, 1000), again.json()
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 2  # nothing new to relay
    assert await db.fetchval("SELECT count(*) FROM tariffs") == 1


async def test_emsp_pulls_the_tariff_with_exact_prices(hub_http: Hub, network: Network) -> None:
    sent = samples.time_based_tariff()
    raw = body(sent)
    assert b'"price": 30000.00,' in raw
    await hub_http.http.put(TARIFF_AC, content=raw, headers=network.cpo_headers())

    pulled = await hub_http.http.get(SENDER, headers=network.emsp_headers(which=2))
    assert (pulled.status_code, pulled.json()["status_code"]) == (200, 1000), pulled.json()
    assert pulled.headers["x-total-count"] == "1"
    assert pulled.headers["x-limit"] == "50"
    assert "link" not in pulled.headers
    # Prices leave the Hub with the digits they came in with, as JSON numbers.
    for exact in (b'"price":3500,', b'"price":30000.00,', b'"price":0.5,', b'"vat":10.0,'):
        assert exact in pulled.content, exact
    [tariff] = pulled.json()["data"]
    assert (tariff["country_code"], tariff["party_id"], tariff["id"]) == ("VN", "CPA", "TARIFF-AC")
    assert tariff["currency"] == "VND"
    assert tariff["type"] == "REGULAR"
    assert tariff["tariff_alt_text"] == sent["tariff_alt_text"]
    assert tariff["elements"] == sent["elements"]  # restrictions included, nothing added or lost
    assert tariff["last_updated"] == "2026-11-01T08:00:00.000Z"


async def test_receiver_get_is_for_the_owner_only(hub_http: Hub, network: Network) -> None:
    await hub_http.http.put(TARIFF_AC, content=tariff_body(), headers=network.cpo_headers())
    own = await hub_http.http.get(TARIFF_AC, headers=network.cpo_headers())
    assert (own.status_code, own.json()["status_code"]) == (200, 1000)
    assert own.json()["data"]["id"] == "TARIFF-AC"
    assert b'"price":30000.00,' in own.content

    other = await hub_http.http.get(TARIFF_AC, headers=network.emsp_headers())
    assert other.status_code == 404
    assert other.json()["status_code"] == 2000
    assert "data" not in other.json()


async def test_delete_removes_the_tariff_and_reaches_both_emsps(
    hub_http: Hub, network: Network, delivering: None
) -> None:
    await hub_http.http.put(TARIFF_AC, content=tariff_body(), headers=network.cpo_headers())
    for emsp in (network.emsp1, network.emsp2):
        await emsp.wait_for(lambda e=emsp: len(e.pushes("tariffs")) == 1)

    response = await hub_http.http.delete(TARIFF_AC, headers=network.cpo_headers())
    assert (response.status_code, response.json()["status_code"]) == (200, 1000), response.json()

    for emsp in (network.emsp1, network.emsp2):
        await emsp.wait_for(lambda e=emsp: len(e.pushes("tariffs")) == 2)
        got = emsp.pushes("tariffs")[1]
        assert (got.method, got.path) == ("DELETE", PUSHED_PATH)
        assert_from_hub_to(got, emsp)
    pulled = await hub_http.http.get(SENDER, headers=network.emsp_headers())
    assert pulled.json()["data"] == []
    assert pulled.headers["x-total-count"] == "0"
    gone = await hub_http.http.get(TARIFF_AC, headers=network.cpo_headers())
    assert gone.status_code == 404


async def test_delete_of_an_unknown_tariff_is_404(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    response = await hub_http.http.delete("/ocpi/2.2.1/receiver/tariffs/VN/CPA/NO-SUCH", headers=network.cpo_headers())
    assert response.status_code == 404
    assert response.json()["status_code"] == 2000
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 0


async def test_patch_is_not_a_tariff_method(hub_http: Hub, network: Network) -> None:
    await hub_http.http.put(TARIFF_AC, content=tariff_body(), headers=network.cpo_headers())
    response = await hub_http.http.patch(
        TARIFF_AC, json={"currency": "EUR", "last_updated": "2026-11-02T00:00:00Z"}, headers=network.cpo_headers()
    )
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000
    assert "timestamp" in response.json()
    stored = await hub_http.http.get(TARIFF_AC, headers=network.cpo_headers())
    assert stored.json()["data"]["currency"] == "VND"


def _without_last_updated() -> dict[str, Any]:
    data = samples.time_based_tariff()
    del data["last_updated"]
    return data


def _with_restrictions(**restrictions: Any) -> dict[str, Any]:
    data = samples.time_based_tariff()
    data["elements"][2]["restrictions"] |= restrictions
    return data


def _with_step_size(step_size: int) -> dict[str, Any]:
    data = samples.time_based_tariff()
    data["elements"][0]["price_components"][0]["step_size"] = step_size
    return data


def _with_empty_price_components() -> dict[str, Any]:
    data = samples.time_based_tariff()
    data["elements"][1]["price_components"] = []
    return data


@pytest.mark.parametrize(
    ("payload", "names"),
    [
        (samples.time_based_tariff() | {"elements": []}, "`$.elements`"),
        (_with_empty_price_components(), "price_components`"),
        (samples.time_based_tariff() | {"currency": "vnd"}, "currency`"),
        (_with_restrictions(start_time="24:00"), "start_time`"),
        (_with_restrictions(day_of_week=["MONDAY", "FUNDAY"]), "day_of_week"),
        (samples.time_based_tariff("TARIFF-DC"), "id in the body"),
        (_without_last_updated(), "`last_updated`"),
        # Found by tests/fuzz: a valid OCPI int the Hub's int32 cannot hold was HTTP 500.
        (_with_step_size(99_999_999_999), "step_size: Value out of range"),
    ],
    ids=[
        "no-elements",
        "no-price-components",
        "lower-case-currency",
        "24h",
        "funday",
        "id-mismatch",
        "no-last-updated",
        "step-size-beyond-int32",
    ],
)
async def test_invalid_tariffs_are_2001_naming_the_field_and_store_nothing(
    hub_http: Hub, network: Network, db: asyncpg.Pool, payload: dict[str, Any], names: str
) -> None:
    response = await hub_http.http.put(TARIFF_AC, content=body(payload), headers=network.cpo_headers())
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001, response.json()
    assert names in response.json()["status_message"]
    assert await db.fetchval("SELECT count(*) FROM tariffs") == 0
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 0


async def test_stale_put_is_not_applied(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    newer = tariff_body(last_updated="2026-11-02T00:00:00Z")
    assert (await hub_http.http.put(TARIFF_AC, content=newer, headers=network.cpo_headers())).status_code == 201
    older = samples.time_based_tariff(last_updated="2026-11-01T00:00:00Z") | {
        "currency": "EUR",
        "type": "AD_HOC_PAYMENT",
    }
    response = await hub_http.http.put(TARIFF_AC, content=body(older), headers=network.cpo_headers())
    assert response.json()["status_code"] == 1000
    assert "not applied" in response.json()["status_message"]

    stored = (await hub_http.http.get(TARIFF_AC, headers=network.cpo_headers())).json()["data"]
    assert (stored["currency"], stored["type"]) == ("VND", "REGULAR")
    assert stored["last_updated"] == "2026-11-02T00:00:00.000Z"
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 2  # only the first write went out
