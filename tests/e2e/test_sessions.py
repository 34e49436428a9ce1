"""Seed scenarios 5-6: a CPO reports a session; only the eMSP that owns the token gets it; PATCHes every 30 s."""

from __future__ import annotations

import json

import asyncpg

from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

S1 = "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1"


async def test_session_goes_only_to_the_token_owner_and_updates_arrive_in_order(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    first = json.dumps(samples.session()).encode()
    response = await hub_http.http.put(S1, content=first, headers=network.cpo_headers())
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    bodies = [first]
    # Every 30 s of (simulated) charging the CPO PATCHes energy and a new charging period.
    for n in range(1, 4):
        patch = {
            "kwh": 1.25 * n,
            "charging_periods": [samples.charging_period(f"2026-11-01T08:0{n - 1}:30Z", 1.25, 0.00833)],
            "last_updated": f"2026-11-01T08:0{n}:00Z",
        }
        body = json.dumps(patch).encode()
        answer = await hub_http.http.patch(S1, content=body, headers=network.cpo_headers())
        assert answer.json()["status_code"] == 1000, answer.json()
        bodies.append(body)
    await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("sessions")) == 4)
    assert [r.body for r in network.emsp1.pushes("sessions")] == bodies
    assert [r.method for r in network.emsp1.pushes("sessions")] == ["PUT", "PATCH", "PATCH", "PATCH"]
    assert network.emsp2.pushes("sessions") == []  # sessions are personal data: never broadcast

    stored = (await hub_http.http.get(S1, headers=network.cpo_headers())).json()["data"]
    assert stored["kwh"] == 3.75
    # PATCHed charging periods are appended, not replaced (HUB-DIGEST §3.2).
    assert len(stored["charging_periods"]) == 3
    assert await db.fetchval("SELECT token_party_id FROM sessions") == "EM1"


async def test_put_replaces_charging_periods_and_completes_the_session(hub_http: Hub, network: Network) -> None:
    periods = [samples.charging_period("2026-11-01T08:00:00Z", 2.5, 0.5)]
    await hub_http.http.put(S1, json=samples.session(charging_periods=periods * 2), headers=network.cpo_headers())
    done = samples.session(
        status="COMPLETED",
        kwh=7.5,
        end_date_time="2026-11-01T09:00:00Z",
        charging_periods=periods,
        last_updated="2026-11-01T09:00:05Z",
    )
    answer = await hub_http.http.put(S1, json=done, headers=network.cpo_headers())
    assert (answer.status_code, answer.json()["status_code"]) == (200, 1000)
    stored = (await hub_http.http.get(S1, headers=network.cpo_headers())).json()["data"]
    assert stored["status"] == "COMPLETED"
    assert len(stored["charging_periods"]) == 1
    assert stored["end_date_time"] == "2026-11-01T09:00:00.000Z"


async def test_emsps_pull_only_their_own_sessions_and_must_give_date_from(hub_http: Hub, network: Network) -> None:
    await hub_http.http.put(S1, json=samples.session(), headers=network.cpo_headers())
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/sessions/VN/CPA/S2", json=samples.session("S2", emsp="EM2"), headers=network.cpo_headers()
    )
    query = "/ocpi/2.2.1/sender/sessions?date_from=2026-01-01T00:00:00Z"
    mine = await hub_http.http.get(query, headers=network.emsp_headers(which=1))
    theirs = await hub_http.http.get(query, headers=network.emsp_headers(which=2))
    assert [s["id"] for s in mine.json()["data"]] == ["S1"]
    assert [s["id"] for s in theirs.json()["data"]] == ["S2"]
    assert mine.headers["x-total-count"] == "1"
    missing = await hub_http.http.get("/ocpi/2.2.1/sender/sessions", headers=network.emsp_headers())
    assert (missing.status_code, missing.json()["status_code"]) == (200, 2001)
    assert "date_from" in missing.json()["status_message"]


async def test_session_of_an_unconnected_emsp_is_kept_for_its_pull(
    hub_http: Hub, network: Network, db: asyncpg.Pool
) -> None:
    response = await hub_http.http.put(S1, json=samples.session(emsp="EM9"), headers=network.cpo_headers())
    assert (response.status_code, response.json()["status_code"]) == (201, 1000)
    assert await db.fetchval("SELECT count(*) FROM sessions") == 1
    assert await db.fetchval("SELECT count(*) FROM deliveries") == 0


async def test_invalid_sessions_are_2001_and_store_nothing(hub_http: Hub, network: Network, db: asyncpg.Pool) -> None:
    cases = [
        ("PUT", samples.session() | {"status": "RUNNING"}, "status"),
        ("PUT", samples.session() | {"currency": "dong"}, "currency"),
        ("PUT", samples.session() | {"id": "S2"}, "id"),
        ("PUT", {k: v for k, v in samples.session().items() if k != "cdr_token"}, "cdr_token"),
        ("PATCH", {"kwh": 2.0}, "last_updated"),
    ]
    for method, body, field in cases:
        response = await hub_http.http.request(method, S1, json=body, headers=network.cpo_headers())
        assert (response.status_code, response.json()["status_code"]) == (200, 2001), (field, response.json())
        assert field in response.json()["status_message"], field
    assert await db.fetchval("SELECT count(*) FROM sessions") == 0


async def test_patch_of_an_unknown_session_is_404(hub_http: Hub, network: Network) -> None:
    response = await hub_http.http.patch(
        S1, json={"kwh": 1, "last_updated": "2026-11-01T08:01:00Z"}, headers=network.cpo_headers()
    )
    assert response.status_code == 404


async def test_an_absurdly_long_unknown_id_is_a_plain_404(hub_http: Hub, network: Network) -> None:
    """The core's "not found" echoes the id; gRPC refuses replies over 8 KiB of headers, so the echo is clipped."""
    # 7.2 kB percent-encoded: under a proxy's usual 8 kB request line, twice the gRPC budget once echoed.
    long_id = "Ω" * 1200
    for method in ("GET", "PATCH"):
        response = await hub_http.http.request(
            method,
            f"/ocpi/2.2.1/receiver/sessions/VN/CPA/{long_id}",
            json={"kwh": 1, "last_updated": "2026-11-01T08:01:00Z"},
            headers=network.cpo_headers(),
        )
        assert (response.status_code, response.json()["status_code"]) == (404, 2000), (method, response.text[:300])
        message = response.json()["status_message"]
        assert "ΩΩΩ" in message and message.endswith("…") and len(message.encode()) <= 300, message


async def test_the_cost_so_far_follows_the_tariff_after_every_update(hub_http: Hub, network: Network) -> None:
    """Seed scenario 6: energy and cost every 30 s; the Hub's real-time price (QuoteSession) of the session."""
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1", json=samples.location(), headers=network.cpo_headers()
    )
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC", json=samples.time_based_tariff(), headers=network.cpo_headers()
    )
    await hub_http.http.put(S1, json=samples.session(), headers=network.cpo_headers())
    for n in range(1, 4):
        patch = {
            "kwh": 1.25 * n,
            "charging_periods": [samples.charging_period(f"2026-11-01T08:0{n - 1}:30Z", 1.25, 0.00833)],
            "last_updated": f"2026-11-01T08:0{n}:00Z",
        }
        await hub_http.http.patch(S1, json=patch, headers=network.cpo_headers())
        quote = await hub_http.core.quote_session("sessions/VN/CPA/S1")
        # 3,500 VND per kWh + 10 % VAT; time is free for the first two hours, parking only at night.
        assert (quote.total_cost.excl_vat, quote.total_cost.incl_vat) == (
            f"{3500 * 1.25 * n:.2f}",
            f"{3500 * 1.25 * n * 1.1:.2f}",
        )
    assert quote.tariff == "tariffs/VN/CPA/TARIFF-AC"
    assert quote.currency == "VND"
