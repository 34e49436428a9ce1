"""Issue 16.1: what a sender addresses to one party (OCPI-to-*) the Hub forwards at once and also keeps, by the same
rules as what is sent to the Hub, showing it to the addressee alone; a receiver it cannot reach gets it from the
outbox once it is back."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from ocpihub.billing.v1 import billing_service_pb2 as billing_rpc
from ocpihub.cdrs.v1 import cdrs_pb2
from simulators import loopback
from simulators.party import EMSP_MODULES, PartySimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, token_header

CDRS = "/ocpi/2.2.1/receiver/cdrs"
S1 = "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1"
TO_EM1 = ("VN", "EM1")


def received(sim: PartySimulator, path: str) -> list[bytes]:
    return [r.body for r in sim.received if r.path == path]


async def pull(hub_http: Hub, network: Network, module: str, which: int) -> list[str]:
    query = "?date_from=2026-01-01T00:00:00Z" if module == "sessions" else ""
    page = await hub_http.http.get(f"/ocpi/2.2.1/sender/{module}{query}", headers=network.emsp_headers(which=which))
    assert page.json()["status_code"] == 1000, page.json()
    return [item["id"] for item in page.json()["data"]]


@pytest.fixture
async def priced(hub_http: Hub, network: Network) -> Network:
    """The location (its time zone) and the tariff CDRs refer to are at the Hub."""
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1", json=samples.location(), headers=network.cpo_headers()
    )
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC", json=samples.time_based_tariff(), headers=network.cpo_headers()
    )
    return network


async def test_a_cdr_addressed_to_its_emsp_is_forwarded_verified_kept_pulled_and_settled(
    hub_http: Hub, priced: Network, delivering: None, db: asyncpg.Pool
) -> None:
    body = json.dumps(samples.cdr(total_excl=40000, total_incl=44000)).encode()
    response = await hub_http.http.post(CDRS, content=body, headers=priced.cpo_headers(to=TO_EM1))

    # Forwarded at once, EM1's answer relayed (OCPI routing), exactly as before.
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    assert (response.headers["ocpi-from-country-code"], response.headers["ocpi-from-party-id"]) == TO_EM1
    [got] = [r for r in priced.emsp1.received if r.path == "/ocpi/2.2.1/cdrs"]
    assert (got.method, got.body, got.headers["ocpi-from-party-id"]) == ("POST", body, "CPA")
    # And kept: verified like a CDR sent to the Hub (the cost does not follow from the tariff: flagged).
    stored = await hub_http.core.get_cdr("cdrs/VN/CPA/CDR1")
    assert stored.verification.state == cdrs_pb2.VERIFICATION_STATE_MISMATCH
    assert {d.field for d in stored.verification.differences} >= {"total_cost.excl_vat", "total_cost.incl_vat"}
    # In the addressed eMSP's pull only.
    assert await pull(hub_http, priced, "cdrs", 1) == ["CDR1"]
    assert await pull(hub_http, priced, "cdrs", 2) == []
    # Settlement sees it (priced by the Hub's tariff: 35,000 VND, not the reported 40,000).
    statement = await hub_http.core.get_statement(billing_rpc.GetStatementRequest(period="2026-11"))
    assert [(line.cdr, line.emsp, line.amount) for line in statement.lines] == [("cdrs/VN/CPA/CDR1", "VN/EM1", "35000")]
    # The forward was its delivery: the outbox does not send it again.
    assert await db.fetch("SELECT state, attempts FROM deliveries WHERE module = 'cdrs'") == [("DELIVERED", 1)]


async def test_a_changed_cdr_under_a_used_id_is_refused_on_the_direct_path_too(
    hub_http: Hub, priced: Network, db: asyncpg.Pool
) -> None:
    first = await hub_http.http.post(CDRS, json=samples.cdr(), headers=priced.cpo_headers(to=TO_EM1))
    assert first.json()["status_code"] == 1000
    changed = await hub_http.http.post(
        CDRS, json=samples.cdr(total_excl=1, total_incl=1), headers=priced.cpo_headers(to=TO_EM1)
    )
    assert (changed.status_code, changed.json()["status_code"]) == (200, 2001)
    assert "cannot change" in changed.json()["status_message"]
    # The refused one never reached the eMSP; the Hub still holds the first.
    assert len(received(priced.emsp1, "/ocpi/2.2.1/cdrs")) == 1
    assert (await hub_http.core.get_cdr("cdrs/VN/CPA/CDR1")).cdr.total_cost.excl_vat == "35000"
    # The same id sent to the Hub after being sent directly is refused just the same.
    via_hub = await hub_http.http.post(CDRS, json=samples.cdr(total_excl=2, total_incl=2), headers=priced.cpo_headers())
    assert via_hub.json()["status_code"] == 2001
    assert await db.fetchval("SELECT count(*) FROM cdrs") == 1


async def test_an_object_addressed_to_another_party_is_shown_to_that_party_alone(
    hub_http: Hub, priced: Network
) -> None:
    # EM1's token, but the CPO addressed the CDR and the session to EM2.
    cdr = await hub_http.http.post(CDRS, json=samples.cdr("CDR2"), headers=priced.cpo_headers(to=("VN", "EM2")))
    session = await hub_http.http.put(S1, json=samples.session(), headers=priced.cpo_headers(to=("VN", "EM2")))
    assert (cdr.json()["status_code"], session.json()["status_code"]) == (1000, 1000)
    assert (await pull(hub_http, priced, "cdrs", 2), await pull(hub_http, priced, "cdrs", 1)) == (["CDR2"], [])
    assert (await pull(hub_http, priced, "sessions", 2), await pull(hub_http, priced, "sessions", 1)) == (["S1"], [])


async def test_a_session_addressed_to_its_emsp_is_forwarded_and_kept_with_its_updates(
    hub_http: Hub, network: Network, db: asyncpg.Pool
) -> None:
    put = await hub_http.http.put(S1, json=samples.session(), headers=network.cpo_headers(to=TO_EM1))
    patch = {
        "kwh": 1.25,
        "charging_periods": [samples.charging_period("2026-11-01T08:00:30Z", 1.25, 0.00833)],
        "last_updated": "2026-11-01T08:01:00Z",
    }
    patched = await hub_http.http.patch(S1, json=patch, headers=network.cpo_headers(to=TO_EM1))
    assert (put.json()["status_code"], patched.json()["status_code"]) == (1000, 1000)
    assert [r.method for r in network.emsp1.pushes("sessions")] == ["PUT", "PATCH"]
    assert network.emsp2.pushes("sessions") == []

    stored = (await hub_http.http.get(S1, headers=network.cpo_headers())).json()["data"]
    assert (stored["kwh"], len(stored["charging_periods"])) == (1.25, 1)
    assert (await pull(hub_http, network, "sessions", 1), await pull(hub_http, network, "sessions", 2)) == (["S1"], [])
    # Validated by the same rules: a PATCH of a session the Hub does not know is refused, not forwarded.
    unknown = await hub_http.http.patch(
        "/ocpi/2.2.1/receiver/sessions/VN/CPA/S9", json=patch, headers=network.cpo_headers(to=TO_EM1)
    )
    assert (unknown.status_code, unknown.json()["status_code"]) == (404, 2000)
    assert len(network.emsp1.pushes("sessions")) == 2
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'DELIVERED'") == 2


def bind_port(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@dataclass
class Gone:
    """An eMSP registered, then gone (connections refused), with a way to bring it back on its own address."""

    sim: PartySimulator
    token: str
    back: Callable[[], Awaitable[None]]

    def headers(self) -> dict[str, str]:
        return {**token_header(self.token), "OCPI-from-country-code": "VN", "OCPI-from-party-id": "EM4"}


@pytest.fixture
async def em4(hub_http: Hub) -> AsyncIterator[Gone]:
    sim = PartySimulator(party_id="EM4", role="EMSP", name="eMobility Four", modules=list(EMSP_MODULES))
    sock = loopback.bind_loopback()
    port = sock.getsockname()[1]
    sim.base_url = loopback.url_of(sock)
    async with loopback.serve(sim.app(), sock):
        token = await hub_http.register(sim)
    sim.received.clear()
    async with AsyncExitStack() as stack:

        async def back() -> None:
            await stack.enter_async_context(loopback.serve(sim.app(), bind_port(port)))

        yield Gone(sim, token, back)


@pytest.mark.parametrize("module", ["cdrs", "sessions"])
async def test_an_unreachable_receiver_gets_the_kept_object_from_the_outbox_when_it_is_back(
    hub_http: Hub, priced: Network, em4: Gone, delivering: None, db: asyncpg.Pool, module: str
) -> None:
    if module == "cdrs":
        url, method, obj, path = CDRS, "POST", samples.cdr(emsp="EM4"), "/ocpi/2.2.1/cdrs"
    else:
        url, method, obj, path = S1, "PUT", samples.session(emsp="EM4"), "/ocpi/2.2.1/sessions/VN/CPA/S1"
    body = json.dumps(obj).encode()
    headers = priced.cpo_headers(to=("VN", "EM4"))

    response = await hub_http.http.request(method, url, content=body, headers=headers)
    assert (response.status_code, response.json()["status_code"]) == (200, 4003)
    # Kept all the same, and EM4 can pull it.
    pulled = await hub_http.http.get(
        f"/ocpi/2.2.1/sender/{module}?date_from=2026-01-01T00:00:00Z", headers=em4.headers()
    )
    assert [item["id"] for item in pulled.json()["data"]] == [obj["id"]]
    # The sender's retry is a harmless duplicate: still 4003, nothing more kept or queued.
    retry = await hub_http.http.request(method, url, content=body, headers=headers)
    assert retry.json()["status_code"] == 4003
    assert await db.fetchval(f"SELECT count(*) FROM {module}") == 1
    assert await db.fetchval("SELECT count(*) FROM deliveries WHERE module = $1", module) == 1

    await em4.back()
    await em4.sim.wait_for(lambda: len(received(em4.sim, path)) == 1, within=30.0)
    [got] = [r for r in em4.sim.received if r.path == path]
    assert (got.method, got.body) == (method, body)
    # As the CPO's request to EM4, not as a Hub broadcast.
    assert (got.headers["ocpi-from-party-id"], got.headers["ocpi-to-party-id"]) == ("CPA", "EM4")
    await wait_until(lambda: db.fetchval("SELECT state FROM deliveries WHERE module = $1", module), "DELIVERED")
    assert received(em4.sim, path) == [body]


async def wait_until(read: Callable[[], Awaitable[object]], expected: object, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while (value := await read()) != expected:
        assert time.monotonic() < deadline, f"still {value!r}, not {expected!r}"
        await asyncio.sleep(0.05)


async def test_a_tariff_addressed_to_one_emsp_is_kept_and_pulled_by_it_alone(
    hub_http: Hub, network: Network, db: asyncpg.Pool
) -> None:
    tariff = json.dumps(samples.time_based_tariff("TARIFF-EM1")).encode()
    url = "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-EM1"
    response = await hub_http.http.put(url, content=tariff, headers=network.cpo_headers(to=TO_EM1))
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    assert [r.body for r in network.emsp1.pushes("tariffs")] == [tariff]
    assert network.emsp2.pushes("tariffs") == []

    assert (await hub_http.http.get(url, headers=network.cpo_headers())).json()["data"]["id"] == "TARIFF-EM1"
    assert (await pull(hub_http, network, "tariffs", 1), await pull(hub_http, network, "tariffs", 2)) == (
        ["TARIFF-EM1"],
        [],
    )
    assert await db.fetch("SELECT state FROM deliveries WHERE module = 'tariffs'") == [("DELIVERED",)]

    # Deleted the same way: at the Hub too, and a tariff the Hub does not know is 404 on this path as on the other.
    deleted = await hub_http.http.delete(url, headers=network.cpo_headers(to=TO_EM1))
    assert deleted.json()["status_code"] == 1000
    assert [r.method for r in network.emsp1.pushes("tariffs")] == ["PUT", "DELETE"]
    assert await pull(hub_http, network, "tariffs", 1) == []
    unknown = await hub_http.http.delete(url.replace("EM1", "XX9"), headers=network.cpo_headers(to=TO_EM1))
    assert unknown.status_code == 404
    assert len(network.emsp1.pushes("tariffs")) == 2


async def test_a_token_addressed_to_one_cpo_is_kept_and_pulled_by_it_alone(
    hub_http: Hub, network: Network, start_party: Callable[..., Awaitable[PartySimulator]]
) -> None:
    other = await start_party(party_id="CPB", name="CP Beta")
    other_token = await hub_http.register(other)
    token = json.dumps(samples.token()).encode()
    url = "/ocpi/2.2.1/receiver/tokens/VN/EM1/RFID-0001?type=RFID"
    response = await hub_http.http.put(url, content=token, headers=network.emsp_headers(to=("VN", "CPA")))
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    [got] = network.cpo.pushes("tokens")
    assert (got.body, got.query) == (token, "type=RFID")
    assert other.pushes("tokens") == []

    def tokens_of(headers: dict[str, str]) -> Awaitable[httpx.Response]:
        return hub_http.http.get("/ocpi/2.2.1/sender/tokens", headers=headers)

    cpb = {**token_header(other_token), "OCPI-from-country-code": "VN", "OCPI-from-party-id": "CPB"}
    mine = await tokens_of(network.cpo_headers(to=None))
    theirs = await tokens_of(cpb)
    assert [t["uid"] for t in mine.json()["data"]] == ["RFID-0001"]
    assert theirs.json()["data"] == []
    # Real-time authorization answers from the Hub's copy for CPA only; to CPB the token is unknown.
    authorize = "/ocpi/2.2.1/sender/tokens/RFID-0001/authorize?type=RFID"
    allowed = await hub_http.http.post(authorize, headers=network.cpo_headers(to=None))
    unknown = await hub_http.http.post(authorize, headers=cpb)
    assert (allowed.json()["status_code"], allowed.json()["data"]["allowed"]) == (1000, "ALLOWED")
    assert (unknown.status_code, unknown.json()["status_code"]) == (404, 2004)


async def test_a_location_addressed_to_one_emsp_is_kept_with_its_updates_and_shown_to_it_alone(
    hub_http: Hub, network: Network, db: asyncpg.Pool
) -> None:
    url = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"
    put = await hub_http.http.put(url, json=samples.location(), headers=network.cpo_headers(to=TO_EM1))
    status = {"status": "CHARGING", "last_updated": "2026-11-01T09:00:00Z"}
    patched = await hub_http.http.patch(f"{url}/LOC1-E1", json=status, headers=network.cpo_headers(to=TO_EM1))
    assert (put.json()["status_code"], patched.json()["status_code"]) == (1000, 1000)
    assert [r.method for r in network.emsp1.pushes("locations")] == ["PUT", "PATCH"]
    assert network.emsp2.pushes("locations") == []

    stored = (await hub_http.http.get(url, headers=network.cpo_headers())).json()["data"]
    assert stored["evses"][0]["status"] == "CHARGING"
    assert (await pull(hub_http, network, "locations", 1), await pull(hub_http, network, "locations", 2)) == (
        ["LOC1"],
        [],
    )
    # Validated by the same rules: a PATCH of an EVSE the Hub does not know is refused and not forwarded.
    unknown = await hub_http.http.patch(f"{url}/LOC1-E9", json=status, headers=network.cpo_headers(to=TO_EM1))
    assert (unknown.status_code, unknown.json()["status_code"]) == (200, 2003)
    assert len(network.emsp1.pushes("locations")) == 2
    # Sent to the Hub later, it is everyone's.
    await hub_http.http.put(
        url, json=samples.location(last_updated="2026-11-01T10:00:00Z"), headers=network.cpo_headers()
    )
    assert await pull(hub_http, network, "locations", 2) == ["LOC1"]
    assert await db.fetchval("SELECT audience FROM locations") is None


async def test_a_receiver_too_slow_to_answer_gets_the_kept_object_again_from_the_outbox(
    hub_http: Hub, network: Network, delivering: None, db: asyncpg.Pool
) -> None:
    network.emsp1.delay = 3.0  # the e2e Hub waits 2 s for a party
    body = json.dumps(samples.session()).encode()
    response = await hub_http.http.put(S1, content=body, headers=network.cpo_headers(to=TO_EM1))
    network.emsp1.delay = 0.0  # before anything else: the outbox tries again 1 s after the forward gave up
    assert (response.status_code, response.json()["status_code"]) == (200, 4002)
    assert (await hub_http.http.get(S1, headers=network.cpo_headers())).json()["data"]["id"] == "S1"
    await wait_until(lambda: db.fetchval("SELECT state FROM deliveries WHERE module = 'sessions'"), "DELIVERED")
    # The late first copy and the outbox's: the same PUT twice, which OCPI receivers take as one.
    assert [r.body for r in network.emsp1.pushes("sessions")] == [body, body]
