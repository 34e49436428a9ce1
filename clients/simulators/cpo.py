"""A reference CPO on a real OCPI 2.2.1 server: versions, details, credentials; Sender for locations, tariffs,
sessions and CDRs; Receiver for commands and tokens. It registers with the Hub, pushes its network and tariff, and
answers the eMSPs' commands as a real CPO would: CommandResponse, then the CommandResult to the response_url, then a
session metered every few seconds and, on stop, the COMPLETED session and a CDR priced by its tariff.

simulators.reference_cpo runs it as a process (`make reference-cpo`); the tests run it in-process.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

from litestar import Litestar, Request, Response, route
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath

from simulators import cpo_network as net
from simulators.hub_link import HubLink, HubRefused

COMMAND_TIMEOUT = 30
MODULES = [
    ("credentials", "SENDER"),
    ("locations", "SENDER"),
    ("tariffs", "SENDER"),
    ("sessions", "SENDER"),
    ("cdrs", "SENDER"),
    ("commands", "RECEIVER"),
    ("tokens", "RECEIVER"),
]


def now() -> datetime:
    """Whole seconds: the session's periods and the CDR's times are priced from them exactly."""
    return datetime.now(UTC).replace(microsecond=0)


def number(value: Decimal) -> int | float:
    """A Decimal as a JSON number; the values sent have at most 6 decimals, which a float's repr keeps exactly."""
    return int(value) if value == value.to_integral_value() else float(value)


def envelope(data: Any = None, status_code: int = 1000, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": net.ocpi_time(datetime.now(UTC))}
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return body


@dataclass
class Charging:
    """A session this CPO runs: its OCPI object and the task metering it."""

    session: dict[str, Any]
    started: datetime
    meter: asyncio.Task[None] | None = None


@dataclass
class ReferenceCpo:
    link: HubLink
    base_url: str = ""
    name: str = "Hub reference CPO"
    token_b: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Seconds between the session PATCHes while charging.
    meter_interval: float = 5.0
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    tariffs: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, Charging] = field(default_factory=dict)
    cdrs: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    reservations: set[str] = field(default_factory=set)
    # The Hub's token towards us when it rotated its credentials (mod_credentials PUT).
    hub_token: str = ""
    # Failures of background work (results, pushes), for the operator's log and the tests.
    errors: list[str] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        stamp = net.ocpi_time(now())
        self.locations = {loc["id"]: loc for loc in net.locations(stamp)}
        self.tariffs = {net.TARIFF_ID: net.tariff(stamp)}

    # -- registration and pushes ---------------------------------------------------------------------------------

    def credentials(self) -> dict[str, Any]:
        return {
            "token": self.token_b,
            "url": f"{self.base_url}/ocpi/versions",
            "roles": [
                {
                    "role": "CPO",
                    "business_details": {"name": self.name},
                    "party_id": self.link.party_id,
                    "country_code": self.link.country_code,
                }
            ],
        }

    async def start(self, token_a: str) -> None:
        """Registers with the Hub, then pushes the tariff and every location."""
        await self.link.register(token_a, self.credentials())
        for tariff in self.tariffs.values():
            await self.link.call("PUT", self._object_url("tariffs", tariff["id"]), tariff)
        for location in self.locations.values():
            await self.link.call("PUT", self._object_url("locations", location["id"]), location)

    def _object_url(self, module: str, object_id: str) -> str:
        return f"{self.link.url(module)}/{self.link.country_code}/{self.link.party_id}/{object_id}"

    async def close(self) -> None:
        for charging in self.sessions.values():
            if charging.meter:
                charging.meter.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(
            *self._tasks, *(c.meter for c in self.sessions.values() if c.meter), return_exceptions=True
        )

    async def _spawn(self, work: Callable[[], Awaitable[None]]) -> None:
        """Runs `work` on its own, after the answer went out (a background task of the response): the CPO's result
        may come before or after the Hub saw its CommandResponse, as with real CPOs."""
        task = asyncio.get_running_loop().create_task(self._logged(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _logged(self, work: Callable[[], Awaitable[None]]) -> None:
        try:
            await work()
        except HubRefused as exc:
            self.errors.append(str(exc))

    # -- the OCPI server -----------------------------------------------------------------------------------------

    def _authorized(self, header: str | None) -> bool:
        value = (header or "").removeprefix("Token ")
        with contextlib.suppress(ValueError):
            value = base64.b64decode(value, validate=True).decode()
        return bool(value) and value == self.token_b

    def app(self) -> Litestar:
        cpo = self

        @route("/{path:path}", http_method=["GET", "POST", "PUT", "PATCH", "DELETE"], status_code=200)
        async def anything(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[dict[str, Any]]:
            if not cpo._authorized(request.headers.get("authorization")):
                return Response(envelope(status_code=2000, message="unknown token"), status_code=401)
            body = await request.json() if request.method in ("POST", "PUT", "PATCH") else None
            return await cpo.handle(request.method, path.strip("/").split("/"), body)

        return Litestar(route_handlers=[anything])

    async def handle(self, method: str, parts: list[str], body: Any) -> Response[dict[str, Any]]:
        if parts == ["ocpi", "versions"]:
            return Response(envelope([{"version": "2.2.1", "url": f"{self.base_url}/ocpi/2.2.1"}]))
        if parts[:2] != ["ocpi", "2.2.1"]:
            return not_found("no such endpoint")
        if len(parts) == 2:
            endpoints = [{"identifier": m, "role": r, "url": f"{self.base_url}/ocpi/2.2.1/{m}"} for m, r in MODULES]
            return Response(envelope({"version": "2.2.1", "endpoints": endpoints}))
        module, rest = parts[2], parts[3:]
        if module == "credentials":
            return self._credentials(method, body)
        if module == "commands" and method == "POST" and len(rest) == 1:
            return self._command(rest[0], body or {})
        if module == "tokens" and len(rest) == 3:
            return self._token(method, tuple(rest), body)  # type: ignore[arg-type]  # three parts, checked
        if method == "GET":
            return self._sender_get(module, rest)
        return not_found(f"{method} is not served on {module}")

    def _credentials(self, method: str, body: Any) -> Response[dict[str, Any]]:
        if method == "GET":
            return Response(envelope(self.credentials()))
        if method == "PUT":
            self.hub_token = body["token"]
            return Response(envelope(self.credentials()))
        if method == "DELETE":
            self.hub_token = ""
            return Response(envelope())
        return Response(envelope(status_code=3000, message="already registered"), status_code=405)

    def _sender_get(self, module: str, rest: list[str]) -> Response[dict[str, Any]]:
        listings: dict[str, list[dict[str, Any]]] = {
            "locations": list(self.locations.values()),
            "tariffs": list(self.tariffs.values()),
            "sessions": [c.session for c in self.sessions.values()],
            "cdrs": self.cdrs,
        }
        if module not in listings:
            return not_found(f"no module {module}")
        if not rest:
            count = str(len(listings[module]))
            return Response(envelope(listings[module]), headers={"X-Total-Count": count, "X-Limit": count})
        if module != "locations" or len(rest) > 3:
            return not_found(f"no {module} object {'/'.join(rest)}")
        # {location_id}[/{evse_uid}[/{connector_id}]] (mod_locations Sender interface)
        found: dict[str, Any] | None = self.locations.get(rest[0])
        if found is not None and len(rest) > 1:
            found = next((e for e in found["evses"] if e["uid"] == rest[1]), None)
        if found is not None and len(rest) > 2:
            found = next((c for c in found["connectors"] if c["id"] == rest[2]), None)
        return Response(envelope(found)) if found is not None else not_found(f"no location object {'/'.join(rest)}")

    def _token(self, method: str, key: tuple[str, str, str], body: Any) -> Response[dict[str, Any]]:
        stored = self.tokens.get(key)
        if method == "GET":
            return Response(envelope(stored)) if stored else not_found("unknown token")
        if method == "PUT":
            self.tokens[key] = body
            return Response(envelope())
        if method == "PATCH" and stored:
            stored.update(body)
            return Response(envelope())
        return not_found("unknown token")

    # -- commands ------------------------------------------------------------------------------------------------

    def _command(self, kind: str, body: dict[str, Any]) -> Response[dict[str, Any]]:
        """CommandResponse now; the CommandResult and what follows after the answer went out."""
        response_url = body.get("response_url")
        if not response_url:
            return Response(envelope(status_code=2001, message="response_url is required"), status_code=400)
        work: Callable[[], Awaitable[None]]
        if kind == "START_SESSION":
            evse = self._evse(body.get("location_id"), body.get("evse_uid"))
            if evse is None or evse["status"] != "AVAILABLE":
                return answer("REJECTED", "no such EVSE, or it is not available")
            work = partial(self._start_session, body, evse)
        elif kind == "STOP_SESSION":
            if body.get("session_id") not in self.sessions:
                return answer("UNKNOWN_SESSION", "no such session")
            work = partial(self._stop_session, body)
        elif kind == "RESERVE_NOW":
            if str(body.get("location_id")) not in self.locations:
                return answer("REJECTED", "no such location")
            self.reservations.add(str(body.get("reservation_id")))
            work = partial(self._result, response_url, "ACCEPTED")
        elif kind == "CANCEL_RESERVATION":
            if str(body.get("reservation_id")) not in self.reservations:
                return answer("REJECTED", "no such reservation")
            self.reservations.discard(str(body.get("reservation_id")))
            work = partial(self._result, response_url, "ACCEPTED")
        elif kind == "UNLOCK_CONNECTOR":
            if self._evse(body.get("location_id"), body.get("evse_uid")) is None:
                return answer("REJECTED", "no such EVSE")
            work = partial(self._result, response_url, "ACCEPTED")
        else:
            return answer("NOT_SUPPORTED", f"{kind} is not supported")
        response = answer("ACCEPTED")
        response.background = BackgroundTask(self._spawn, work)
        return response

    def _evse(self, location_id: Any, evse_uid: Any) -> dict[str, Any] | None:
        location = self.locations.get(str(location_id))
        if location is None:
            return None
        return next((e for e in location["evses"] if e["uid"] == evse_uid), None)

    async def _result(self, response_url: str, result: str, message: str | None = None) -> None:
        body: dict[str, Any] = {"result": result}
        if message:
            body["message"] = [{"language": "en", "text": message}]
        await self.link.call("POST", response_url, body)

    async def _allowed(self, token: dict[str, Any], location_id: str, evse_uid: str) -> bool:
        """Tokens whose whitelist is NEVER are authorized in real time through the Hub (mod_tokens)."""
        key = (token.get("country_code", ""), token.get("party_id", ""), token.get("uid", ""))
        known = self.tokens.get(key, {})
        if not token.get("valid", known.get("valid", True)):
            return False
        if token.get("whitelist", known.get("whitelist")) != "NEVER":
            return True
        try:
            info = await self.link.call(
                "POST",
                f"{self.link.url('tokens', 'SENDER')}/{key[2]}/authorize",
                {"location_id": location_id, "evse_uids": [evse_uid]},
                to=(key[0], key[1]),
                params={"type": token.get("type", "RFID")},
            )
        except HubRefused as exc:  # unknown token, eMSP unreachable: no charge without an authorization
            self.errors.append(str(exc))
            return False
        return bool(info) and info.get("allowed") == "ALLOWED"

    async def _start_session(self, body: dict[str, Any], evse: dict[str, Any]) -> None:
        token = body["token"]
        if not await self._allowed(token, body["location_id"], evse["uid"]):
            await self._result(body["response_url"], "REJECTED", "token not authorized")
            return
        await self._result(body["response_url"], "ACCEPTED")
        started = now()
        session_id = f"REF-S-{uuid.uuid4().hex[:12]}"
        session: dict[str, Any] = {
            "country_code": self.link.country_code,
            "party_id": self.link.party_id,
            "id": session_id,
            "start_date_time": net.ocpi_time(started),
            "kwh": 0,
            "cdr_token": {k: token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id")},
            "auth_method": "COMMAND",
            "location_id": body["location_id"],
            "evse_uid": evse["uid"],
            "connector_id": body.get("connector_id") or evse["connectors"][0]["id"],
            "currency": net.CURRENCY,
            "charging_periods": [],
            "status": "ACTIVE",
            "last_updated": net.ocpi_time(started),
        }
        if body.get("authorization_reference"):
            session["authorization_reference"] = body["authorization_reference"]
        charging = Charging(session, started)
        self.sessions[session_id] = charging
        await self.link.call("PUT", self._object_url("sessions", session_id), session)
        await self._evse_status(body["location_id"], evse, "CHARGING")
        charging.meter = asyncio.get_running_loop().create_task(self._meter(charging))

    async def _evse_status(self, location_id: str, evse: dict[str, Any], status: str) -> None:
        evse["status"], evse["last_updated"] = status, net.ocpi_time(now())
        url = f"{self._object_url('locations', location_id)}/{evse['uid']}"
        await self.link.call("PATCH", url, {"status": status, "last_updated": evse["last_updated"]})

    def _kwh(self, charging: Charging, at: datetime) -> Decimal:
        seconds = Decimal(int((at - charging.started).total_seconds()))
        return (seconds * net.KWH_PER_SECOND).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    async def _meter(self, charging: Charging) -> None:
        """PATCHes the session with the energy so far every meter_interval seconds until it stops."""
        url = self._object_url("sessions", charging.session["id"])
        while True:
            await asyncio.sleep(self.meter_interval)
            at = now()
            charging.session["kwh"] = number(self._kwh(charging, at))
            charging.session["last_updated"] = net.ocpi_time(at)
            try:
                await self.link.call("PATCH", url, {"kwh": charging.session["kwh"], "last_updated": net.ocpi_time(at)})
            except HubRefused as exc:
                self.errors.append(str(exc))

    async def _stop_session(self, body: dict[str, Any]) -> None:
        charging = self.sessions[body["session_id"]]
        if charging.meter:
            charging.meter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await charging.meter
        await self._result(body["response_url"], "ACCEPTED")
        session = charging.session
        ended = now()
        kwh = self._kwh(charging, ended)
        hours = net.hours_between(charging.started, ended)
        charge = net.price(hours)
        period = {
            "start_date_time": session["start_date_time"],
            "dimensions": [{"type": "ENERGY", "volume": number(kwh)}, {"type": "TIME", "volume": number(hours)}],
            "tariff_id": net.TARIFF_ID,
        }
        cost = {"excl_vat": number(charge.excl_vat), "incl_vat": number(charge.incl_vat)}
        session.update(
            status="COMPLETED",
            kwh=number(kwh),
            end_date_time=net.ocpi_time(ended),
            charging_periods=[period],
            total_cost=cost,
            last_updated=net.ocpi_time(ended),
        )
        await self.link.call("PUT", self._object_url("sessions", session["id"]), session)
        location = self.locations[session["location_id"]]
        evse = next(e for e in location["evses"] if e["uid"] == session["evse_uid"])
        await self._evse_status(location["id"], evse, "AVAILABLE")
        cdr = self._cdr(session, location, evse, period, cost, hours)
        self.cdrs.append(cdr)
        await self.link.call("POST", self.link.url("cdrs"), cdr)

    def _cdr(
        self,
        session: dict[str, Any],
        location: dict[str, Any],
        evse: dict[str, Any],
        period: dict[str, Any],
        cost: dict[str, Any],
        hours: Decimal,
    ) -> dict[str, Any]:
        connector = next(c for c in evse["connectors"] if c["id"] == session["connector_id"])
        return {
            "country_code": session["country_code"],
            "party_id": session["party_id"],
            "id": f"REF-CDR-{session['id'].removeprefix('REF-S-')}",
            "start_date_time": session["start_date_time"],
            "end_date_time": session["end_date_time"],
            "session_id": session["id"],
            "cdr_token": session["cdr_token"],
            "auth_method": session["auth_method"],
            "cdr_location": {
                "id": location["id"],
                "name": location["name"],
                "address": location["address"],
                "city": location["city"],
                "postal_code": location["postal_code"],
                "country": location["country"],
                "coordinates": location["coordinates"],
                "evse_uid": evse["uid"],
                "evse_id": evse["evse_id"],
                "connector_id": connector["id"],
                "connector_standard": connector["standard"],
                "connector_format": connector["format"],
                "connector_power_type": connector["power_type"],
            },
            "currency": net.CURRENCY,
            "charging_periods": [period],
            "total_cost": cost,
            "total_energy": session["kwh"],
            "total_time": number(hours),
            "total_time_cost": cost,
            "last_updated": session["last_updated"],
        }


def answer(result: str, message: str | None = None) -> Response[dict[str, Any]]:
    """A CommandResponse (mod_commands)."""
    data: dict[str, Any] = {"result": result, "timeout": COMMAND_TIMEOUT}
    if message:
        data["message"] = [{"language": "en", "text": message}]
    return Response(envelope(data))


def not_found(message: str) -> Response[dict[str, Any]]:
    return Response(envelope(status_code=2004, message=message), status_code=404)
