"""The EV Roaming Foundation's `ocpi-tool` (github.com/ocpi/ocpi-tool v1.1.1, the reference export client) against
the Hub, request for request (issue 16, point 2).

The tool is not on the npm registry, so `OcpiTool` below sends exactly what its source sends (src/commands/login.ts,
src/ocpi-request.ts): Node's fetch with the tool's headers and nothing else. What matters to the Hub is that every
pull names the caller's own party in OCPI-to-* as well as in OCPI-from-* (`pullPageOfData` passes the session's
party id as the recipient), with `limit=16` (a Node object stream's buffer), a `date_from` in JavaScript's
toISOString() form, and the next page taken from the Link header's offset, limit and date_from only.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

# What Node 20's fetch (undici) adds to every request, as seen on the wire.
_NODE_FETCH_HEADERS = {
    "accept": "*/*",
    "accept-language": "*",
    "sec-fetch-mode": "cors",
    "user-agent": "node",
    "accept-encoding": "gzip, deflate",
}
# Readable({objectMode: true}) calls read(size) with its highWaterMark, 16; the tool uses it as the page size.
_PAGE_SIZE = 16


def _to_iso_string(moment: datetime) -> str:
    """JavaScript's Date.prototype.toISOString(): always milliseconds and Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class OcpiTool:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http
        self.session: dict[str, Any] = {}
        self.requests: list[httpx.Request] = []

    async def _send(
        self, url: str, token: str, *, base64_first: bool, party: str | None = None
    ) -> httpx.Response | None:
        """ocpiRequestRetryingAuthTokenBase64: one token form, the other after a 4xx; None when both fail."""
        for encode in (base64_first, not base64_first):
            headers = {
                **_NODE_FETCH_HEADERS,
                "Authorization": "Token " + (base64.b64encode(token.encode()).decode() if encode else token),
                "X-Request-ID": str(uuid.uuid4()),
                "X-Correlation-ID": str(uuid.uuid4()),
            }
            if party:  # routingHeadersFromPartyIds(fromPartyId=party, toPartyId=party)
                headers |= {
                    "OCPI-from-country-code": party[:2],
                    "OCPI-from-party-id": party[2:],
                    "OCPI-to-country-code": party[:2],
                    "OCPI-to-party-id": party[2:],
                }
            response = await self._http.get(url, headers=headers)
            self.requests.append(response.request)
            if response.is_success:
                return response
            if not 400 <= response.status_code < 500:
                return None
        return None

    async def login(self, url: str, token: str, party: str) -> None:
        """`ocpi login URL --token T --party XX-YYY`: no version known yet, so the raw token goes first."""
        response = await self._send(url, token, base64_first=False)
        assert response is not None, "login failed"
        data = response.json()["data"]
        assert isinstance(data, dict) and data.get("version"), f"not a version details endpoint: {data}"
        self.session = {
            "version": data["version"],
            "endpoints": data["endpoints"],
            "token": token,
            "partyId": party.replace("-", "", 1).upper(),
        }

    async def get(self, module: str, date_from: datetime | None = None) -> list[dict[str, Any]]:
        """`ocpi get MODULE [--date-from D]`: every object the tool would print, page after page."""
        endpoint = next(
            e for e in self.session["endpoints"] if e["identifier"] == module and e.get("role") != "RECEIVER"
        )
        page: dict[str, str] = {"offset": "0", "limit": str(_PAGE_SIZE)}
        if date_from is not None:
            page["date_from"] = _to_iso_string(date_from)
        printed: list[dict[str, Any]] = []
        for _ in range(100):
            url = f"{endpoint['url']}?offset={page['offset']}&limit={page['limit']}"
            if page.get("date_from"):
                url += f"&date_from={page['date_from']}"
            party = self.session["partyId"] if self.session["version"] == "2.2.1" else None
            response = await self._send(url, self.session["token"], base64_first=True, party=party)
            assert response is not None, f"GET {url} failed"
            printed += response.json().get("data") or []
            link = response.headers.get("link")
            if not link or 'rel="next"' not in link:
                return printed
            # parse-link-header: the next page is the link's offset, limit and date_from, nothing else.
            query = parse_qs(urlsplit(link.split(";")[0].strip("<> ")).query)
            page = {name: query[name][0] for name in ("offset", "limit", "date_from") if name in query}
        raise AssertionError("the Link headers never end")


async def _put(hub: Hub, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    response = await hub.http.put(path, content=json.dumps(body).encode(), headers=headers)
    assert response.json()["status_code"] == 1000, response.json()


async def _logged_in(hub: Hub, token: str, party: str) -> OcpiTool:
    tool = OcpiTool(hub.http)
    await tool.login(f"{hub.url}/ocpi/2.2.1", token, party)
    return tool


async def test_ocpi_get_locations_prints_every_location_the_emsp_may_see(hub_http: Hub, network: Network) -> None:
    # 17: more than the tool's page of 16, so it also follows the Hub's Link header once.
    for n in range(1, 18):
        location = samples.location(f"LOC{n}", evses=1)
        await _put(hub_http, f"/ocpi/2.2.1/receiver/locations/VN/CPA/LOC{n}", location, network.cpo_headers())
    tool = await _logged_in(hub_http, network.emsp1_token, "VN-EM1")

    printed = await tool.get("locations")

    assert [location["id"] for location in printed] == [f"LOC{n}" for n in range(1, 18)]
    first, second = tool.requests[-2:]
    assert first.url.query == b"offset=0&limit=16"
    assert second.url.query == b"offset=16&limit=16"
    assert {first.headers["ocpi-to-party-id"], first.headers["ocpi-from-party-id"]} == {"EM1"}


async def test_ocpi_get_tariffs_prints_the_cpos_tariffs(hub_http: Hub, network: Network) -> None:
    tariff = samples.time_based_tariff()
    await _put(hub_http, "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC", tariff, network.cpo_headers())
    tool = await _logged_in(hub_http, network.emsp1_token, "VN-EM1")

    assert [t["id"] for t in await tool.get("tariffs")] == ["TARIFF-AC"]


async def test_ocpi_get_sessions_with_date_from_prints_the_emsps_own_sessions(hub_http: Hub, network: Network) -> None:
    for session_id, emsp in (("S1", "EM1"), ("S2", "EM2")):
        session = samples.session(session_id, emsp=emsp)
        await _put(hub_http, f"/ocpi/2.2.1/receiver/sessions/VN/CPA/{session_id}", session, network.cpo_headers())
    tool = await _logged_in(hub_http, network.emsp1_token, "VN-EM1")

    printed = await tool.get("sessions", date_from=datetime(2026, 1, 1, tzinfo=UTC))

    assert [s["id"] for s in printed] == ["S1"]
    assert tool.requests[-1].url.query == b"offset=0&limit=16&date_from=2026-01-01T00:00:00.000Z"
    # Without --date-from the Hub answers 2001 (OCPI makes date_from required for sessions): the tool prints nothing.
    assert await tool.get("sessions") == []


async def test_ocpi_get_cdrs_prints_the_emsps_own_cdrs(hub_http: Hub, network: Network) -> None:
    cpo = network.cpo_headers()
    await _put(hub_http, "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1", samples.location(), cpo)
    await _put(hub_http, "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC", samples.time_based_tariff(), cpo)
    for cdr in (samples.cdr(), samples.cdr("CDR2", emsp="EM2")):
        response = await hub_http.http.post("/ocpi/2.2.1/receiver/cdrs", json=cdr, headers=cpo)
        assert response.json()["status_code"] == 1000, response.json()
    tool = await _logged_in(hub_http, network.emsp1_token, "VN-EM1")

    assert [c["id"] for c in await tool.get("cdrs")] == ["CDR1"]


async def test_ocpi_get_tokens_as_a_cpo_prints_the_emsps_tokens(hub_http: Hub, network: Network) -> None:
    await _put(hub_http, "/ocpi/2.2.1/receiver/tokens/VN/EM1/RFID-0001", samples.token(), network.emsp_headers())
    tool = await _logged_in(hub_http, network.cpo_token, "VN-CPA")

    assert [t["uid"] for t in await tool.get("tokens")] == ["RFID-0001"]
