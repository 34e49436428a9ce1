"""Use cases of the command log: create (checks and routing), the CPO's answer, its results, the timeout sweeper.

A command's state moves SENT → ACCEPTED | DECLINED | UNREACHABLE, then ACCEPTED → COMPLETED | TIMED_OUT. A fast CPO
may post its result before its answer is recorded: results are taken in SENT as well, and a late answer never moves
a command back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from core import ownership
from core.clock import Clock
from core.commands.repository import CommandRepository, to_pb
from core.deliveries.model import Relay
from core.deliveries.repository import DeliveryRepository
from core.errors import FailedPrecondition, InvalidArgument, NotFound
from core.events.model import Kind, party_of
from core.events.repository import emit
from core.locations.repository import LocationRepository
from core.names import page_offset
from core.parties.model import PartyKey, Role
from core.parties.secrets import TokenVault
from core.routing import policy
from core.sessions.repository import SessionRepository
from core.tokens.repository import TokenRepository
from ocpihub.commands.v1 import commands_pb2 as pb
from ocpihub.commands.v1 import commands_service_pb2 as rpc
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason
from ocpihub.tokens.v1 import tokens_pb2
from ocpihub.types.v1 import types_pb2

log = logging.getLogger(__name__)

_COMMANDS = ("START_SESSION", "STOP_SESSION", "RESERVE_NOW", "CANCEL_RESERVATION", "UNLOCK_CONNECTOR")
_LOCATION_COMMANDS = ("START_SESSION", "RESERVE_NOW", "UNLOCK_CONNECTOR")
_SESSION_COMMANDS = ("STOP_SESSION", "SET_CHARGING_PROFILE", "GET_ACTIVE_CHARGING_PROFILE", "CLEAR_CHARGING_PROFILE")
# A CPO's promised timeout is taken within these bounds (a 0 or absurd value must not hang or flood the eMSP).
_MIN_TIMEOUT, _MAX_TIMEOUT = timedelta(seconds=5), timedelta(hours=1)
_MAX_PAGE_SIZE = 500
# A command sent again with the same X-Request-ID within this window is a retry: answered, never sent twice.
IDEMPOTENCY_WINDOW = timedelta(hours=24)


def module_of(command_type: str) -> str:
    return "commands" if command_type in _COMMANDS else "chargingprofiles"


def type_name(value: pb.CommandType.ValueType) -> str:
    return pb.CommandType.Name(value).removeprefix("COMMAND_TYPE_")


@dataclass(frozen=True, slots=True)
class Created:
    command: pb.Command
    endpoint_url: str
    token: str
    encode_auth_token: bool
    # A retry of an earlier command: its first answer (if already given) is replayed, nothing is sent.
    replayed: bool = False
    answer_status: int = 0
    answer_body: bytes = b""


def _replay(row: asyncpg.Record) -> Created:
    return Created(to_pb(row), "", "", False, True, row["answer_status"] or 0, bytes(row["answer_body"] or b""))


class CommandsService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        vault: TokenVault,
        clock: Clock,
        response_wait: timedelta,
        hub_party: tuple[str, str] = ("VN", "HUB"),
    ) -> None:
        self._pool = pool
        # The requester of the commands the Hub issues for itself.
        self._hub_party = hub_party
        self._vault = vault
        self._clock = clock
        # How long a command may stay without the CPO's answer before the requester gets TIMEOUT (a facade that
        # died mid-relay must not leave it waiting forever).
        self._response_wait = response_wait

    async def create(self, request: rpc.CreateCommandRequest) -> Created:
        command_type = type_name(request.type)
        requester = (request.requester.country_code.upper(), request.requester.party_id.upper())
        async with self._pool.acquire() as conn, conn.transaction():
            repo = CommandRepository(conn)
            requester_platform, requester_role = await _requester(conn, request, command_type)
            now = self._clock.now()
            if request.request_id:
                earlier = await repo.by_request(*requester, request.request_id, now - IDEMPOTENCY_WINDOW)
                if earlier is not None and earlier["state"] != "UNREACHABLE":
                    return _replay(earlier)
                if earlier is not None:  # it never reached the CPO: the retry is a new attempt
                    await repo.update(earlier["id"], {"request_id": ""})
            target = await _target(conn, request, command_type)
            route = await policy.resolve(conn, module_of(command_type), "RECEIVER", *target)
            deadline = now + self._response_wait
            expiry = request.reservation_expiry.ToDatetime(tzinfo=now.tzinfo) if command_type == "RESERVE_NOW" else None
            row = await repo.insert(
                {
                    # The Hub's response_url carries it: unguessable, so nobody else can post a result.
                    "id": secrets.token_hex(16),
                    "type": command_type,
                    "requester_country_code": request.requester.country_code.upper(),
                    "requester_party_id": request.requester.party_id.upper(),
                    "requester_role": requester_role,
                    "requester_platform_id": requester_platform,
                    "target_country_code": route.receiver.party.country_code,
                    "target_party_id": route.receiver.party.party_id,
                    "target_platform_id": route.receiver.platform_id,
                    "state": "SENT",
                    "response_url": request.response_url,
                    "location_id": request.location_id,
                    "evse_uid": request.evse_uid,
                    "connector_id": request.connector_id,
                    "session_id": request.session_id,
                    "reservation_id": request.reservation_id,
                    "reservation_expiry": expiry,
                    "deadline": deadline,
                    "callback_valid_until": max(deadline, expiry) if expiry else deadline,
                    "correlation_id": request.correlation_id,
                    "create_time": now,
                    "update_time": now,
                    "request_id": request.request_id,
                }
            )
            if row is None:  # the same request, sent concurrently, won the insert
                earlier = await repo.by_request(*requester, request.request_id, now - IDEMPOTENCY_WINDOW)
                assert earlier is not None
                return _replay(earlier)
            await _tell(conn, Kind.COMMAND_SENT, row)
        return Created(
            to_pb(row), route.endpoint_url, self._vault.decrypt(route.token_b_encrypted), route.encode_auth_token
        )

    async def issue(self, request: rpc.IssueCommandRequest, actor: str) -> pb.Command:
        """A command the Hub sends itself (support work): checked as an eMSP's would be, QUEUED for a facade."""
        command_type = type_name(request.type)
        if command_type not in _COMMANDS:
            raise InvalidArgument([("type", f"one of {', '.join(_COMMANDS)}")])
        async with self._pool.acquire() as conn, conn.transaction():
            repo = CommandRepository(conn)
            on_behalf = request.HasField("on_behalf_of") and bool(request.on_behalf_of.country_code)
            platform: uuid.UUID | None = None
            if on_behalf:
                requester = (request.on_behalf_of.country_code.upper(), request.on_behalf_of.party_id.upper())
                try:
                    platform, role = await repo.platform_of(*requester, ("EMSP",))
                except LookupError:
                    raise FailedPrecondition(
                        ErrorReason.ERROR_REASON_NOT_OWNER, f"{requester[0]}/{requester[1]} is not an active eMSP"
                    ) from None
            else:
                requester, role = self._hub_party, "HUB"
            token = await _issued_token(conn, request, command_type, requester if on_behalf else None)
            cpo = (request.cpo.country_code.upper(), request.cpo.party_id.upper()) if request.cpo.country_code else None
            target = await _issued_target(conn, request, command_type, requester, cpo)
            route = await policy.resolve(conn, "commands", "RECEIVER", *target)
            now = self._clock.now()
            expiry = request.reservation_expiry.ToDatetime(tzinfo=now.tzinfo) if command_type == "RESERVE_NOW" else None
            if command_type == "RESERVE_NOW" and (expiry is None or expiry <= now):
                raise InvalidArgument([("reservation_expiry", "is required and must be in the future")])
            row = await repo.insert(
                {
                    "id": secrets.token_hex(16),
                    "type": command_type,
                    "requester_country_code": requester[0],
                    "requester_party_id": requester[1],
                    "requester_role": role,
                    "requester_platform_id": platform,
                    "target_country_code": route.receiver.party.country_code,
                    "target_party_id": route.receiver.party.party_id,
                    "target_platform_id": route.receiver.platform_id,
                    "state": "QUEUED",
                    # Nobody's response_url: results are recorded and shown (hubctl commands show), not relayed.
                    "response_url": "",
                    "location_id": request.location_id,
                    "evse_uid": request.evse_uid,
                    "connector_id": request.connector_id,
                    "session_id": request.session_id,
                    "reservation_id": request.reservation_id,
                    "reservation_expiry": expiry,
                    "deadline": now + self._response_wait,
                    "callback_valid_until": now + self._response_wait,
                    "correlation_id": str(uuid.uuid4()),
                    "create_time": now,
                    "update_time": now,
                    "request_id": "",
                    "issued_by": actor,
                    "issued_token": token.SerializeToString() if token is not None else None,
                }
            )
            assert row is not None  # no request_id: never a retry
            return to_pb(row)

    async def claim_issued(self, limit: int) -> list[rpc.IssuedCommand]:
        """Queued Hub-issued commands for the caller to send, each with where to send it."""
        claimed: list[rpc.IssuedCommand] = []
        async with self._pool.acquire() as conn, conn.transaction():
            now = self._clock.now()
            rows = await CommandRepository(conn).claim_queued(now, now + self._response_wait, max(1, min(limit, 50)))
            for row in rows:
                route = await policy.resolve(
                    conn, "commands", "RECEIVER", row["target_country_code"], row["target_party_id"]
                )
                issued = rpc.IssuedCommand(
                    command=to_pb(row),
                    endpoint_url=route.endpoint_url,
                    token=self._vault.decrypt(route.token_b_encrypted),
                    encode_auth_token=route.encode_auth_token,
                )
                if row["issued_token"] is not None:
                    issued.ocpi_token.ParseFromString(bytes(row["issued_token"]))
                claimed.append(issued)
        return claimed

    async def record_response(
        self, command_id: str, response: str, timeout_seconds: int, unreachable: str, answer: tuple[int, bytes]
    ) -> pb.Command:
        async with self._pool.acquire() as conn, conn.transaction():
            repo = CommandRepository(conn)
            row = await _get(repo, command_id, for_update=True)
            now = self._clock.now()
            changes: dict[str, object] = {"update_time": now}
            if answer[0]:
                changes |= {"answer_status": answer[0], "answer_body": answer[1]}
            if not response:
                log.info("commands/%s: CPO unreachable: %s", command_id, unreachable)
                if row["state"] == "SENT":
                    changes |= {"state": "UNREACHABLE", "response": "", "deadline": now, "callback_valid_until": now}
                return to_pb(await repo.update(command_id, changes))
            changes |= {"response": response, "response_timeout_seconds": timeout_seconds}
            if response == "ACCEPTED":
                wait = min(max(timedelta(seconds=timeout_seconds), _MIN_TIMEOUT), _MAX_TIMEOUT)
                deadline = now + wait
                expiry = row["reservation_expiry"]
                changes["callback_valid_until"] = max(deadline, expiry) if expiry else deadline
                if row["state"] == "SENT":
                    changes |= {"state": "ACCEPTED", "deadline": deadline}
            elif row["state"] == "SENT":
                changes |= {"state": "DECLINED", "deadline": now, "callback_valid_until": now}
                # No result will follow a refusal: the CPO's response is its answer.
                await _tell(conn, Kind.COMMAND_ANSWERED, row, response=response)
            return to_pb(await repo.update(command_id, changes))

    async def record_result(
        self, command_id: str, caller_platform: str, result: str, body: bytes, correlation_id: str, sent_as: str = ""
    ) -> tuple[pb.Command, rpc.ResultDisposition.ValueType]:
        async with self._pool.acquire() as conn, conn.transaction():
            repo = CommandRepository(conn)
            row = await repo.get(command_id, for_update=True)
            if row is None or row["target_platform_id"] != ownership.platform_id(caller_platform):
                # Someone else's command looks exactly like no command.
                raise NotFound(ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, "no command has this response URL")
            disposition = _disposition(row, body, self._clock.now())
            if disposition != rpc.RESULT_DISPOSITION_RELAYED:
                return to_pb(row), disposition
            target = PartyKey(row["target_country_code"], row["target_party_id"], Role.CPO)
            if row["response_url"]:  # a Hub-issued command has no requester URL: its result is recorded only
                await _relay_result(conn, row, target, body, correlation_id)
            changes: dict[str, object] = {
                "result": result,
                "result_sent_as": sent_as,
                "result_count": row["result_count"] + 1,
                "last_result_body": body,
                "update_time": self._clock.now(),
            }
            if row["state"] in ("SENT", "ACCEPTED"):
                changes["state"] = "COMPLETED"
            await _tell(conn, Kind.COMMAND_ANSWERED, row, result=result)
            return to_pb(await repo.update(command_id, changes)), disposition

    async def sweep(self) -> int:
        """Times out commands whose CPO sent no result in time; Commands requesters get a TIMEOUT result."""
        async with self._pool.acquire() as conn, conn.transaction():
            repo = CommandRepository(conn)
            now = self._clock.now()
            overdue = await repo.claim_overdue(now, limit=200)
            for row in overdue:
                changes: dict[str, object] = {"state": "TIMED_OUT", "update_time": now}
                # ChargingProfiles results have no TIMEOUT value: the requester just gets nothing, as OCPI expects.
                if module_of(row["type"]) == "commands" and row["response_url"]:
                    waited = f"within {row['response_timeout_seconds']} s" if row["response"] else "in time"
                    body = json.dumps(
                        {
                            "result": "TIMEOUT",
                            "message": [
                                {"language": "en", "text": f"The CPO sent no result {waited} (reported by the Hub)."}
                            ],
                        }
                    ).encode()
                    target = PartyKey(row["target_country_code"], row["target_party_id"], Role.CPO)
                    await _relay_result(conn, row, target, body, row["correlation_id"])
                    changes |= {"result": "TIMEOUT", "result_sent_as": "", "result_count": row["result_count"] + 1}
                await repo.update(row["id"], changes)
                await _tell(conn, Kind.COMMAND_TIMED_OUT, row)
            return len(overdue)

    async def run_sweeper(self, interval: float = 0.25) -> None:
        while True:
            try:
                await self.sweep()
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("command timeout sweep failed: %s", exc)
            await asyncio.sleep(interval)

    async def get(self, command_id: str) -> pb.Command:
        async with self._pool.acquire() as conn:
            return to_pb(await _get(CommandRepository(conn), command_id))

    async def list(
        self, page_size: int, page_token: str, party: tuple[str, str] | None, state: str, type_: str, session_id: str
    ) -> tuple[list[pb.Command], str]:
        limit = min(page_size or 100, _MAX_PAGE_SIZE)
        offset = page_offset(page_token, 0)
        async with self._pool.acquire() as conn:
            rows = await CommandRepository(conn).list(
                party=party, state=state, type_=type_, session_id=session_id, offset=offset, limit=limit + 1
            )
        more = len(rows) > limit
        return [to_pb(row) for row in rows[:limit]], str(offset + limit) if more else ""


def _disposition(row: asyncpg.Record, body: bytes, now: datetime) -> rpc.ResultDisposition.ValueType:
    if row["last_result_body"] is not None and bytes(row["last_result_body"]) == body:
        return rpc.RESULT_DISPOSITION_DUPLICATE
    if row["state"] in ("SENT", "ACCEPTED"):
        return rpc.RESULT_DISPOSITION_RELAYED
    # A reservation reports until it ends (e.g. CANCELED_RESERVATION by the CPO); anything else had its one result.
    reservation_open = row["type"] == "RESERVE_NOW" and row["state"] in ("COMPLETED", "TIMED_OUT")
    if reservation_open and now <= row["callback_valid_until"]:
        return rpc.RESULT_DISPOSITION_RELAYED
    return rpc.RESULT_DISPOSITION_LATE


async def _relay_result(
    conn: asyncpg.Connection, row: asyncpg.Record, target: PartyKey, body: bytes, correlation_id: str
) -> None:
    """Queues a result for the requester's own response_url, FROM the CPO, in order per command."""
    requester = PartyKey(row["requester_country_code"], row["requester_party_id"], Role(row["requester_role"]))
    relay = Relay(
        module=module_of(row["type"]),
        method="POST",
        path="",
        body=body,
        sender=target,
        correlation_id=correlation_id,
        object_key=f"commands/{row['id']}",
        url=row["response_url"],
    )
    await DeliveryRepository(conn).enqueue(relay, [policy.Receiver(row["requester_platform_id"], requester)])


async def _issued_token(
    conn: asyncpg.Connection, request: rpc.IssueCommandRequest, command_type: str, owner: tuple[str, str] | None
) -> tokens_pb2.Token | None:
    """START_SESSION / RESERVE_NOW: a token the Hub holds, of the eMSP the command is for (any eMSP's for the Hub)."""
    if command_type not in ("START_SESSION", "RESERVE_NOW"):
        return None
    if not request.token_uid:
        raise InvalidArgument([("token_uid", f"is required for {command_type}")])
    token_type = types_pb2.TokenType.Name(request.token_type or types_pb2.TOKEN_TYPE_RFID).removeprefix("TOKEN_TYPE_")
    found = await TokenRepository(conn).find(request.token_uid, token_type)
    if owner is not None:
        found = [t for t in found if (t.country_code, t.party_id) == owner]
    if not found:
        whose = f" of {owner[0]}/{owner[1]}" if owner else ""
        raise NotFound(
            ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"the Hub holds no {token_type} token {request.token_uid}{whose}"
        )
    if len(found) > 1:
        owners = ", ".join(f"{t.country_code}/{t.party_id}" for t in found)
        raise InvalidArgument([("token_uid", f"several eMSPs have it ({owners}): name one with --on-behalf-of")])
    return found[0]


async def _issued_target(
    conn: asyncpg.Connection,
    request: rpc.IssueCommandRequest,
    command_type: str,
    requester: tuple[str, str],
    cpo: tuple[str, str] | None,
) -> tuple[str, str]:
    """The CPO of a Hub-issued command: checked like an eMSP's (location, EVSE, connector, session, reservation)."""
    check = rpc.CreateCommandRequest(
        location_id=request.location_id,
        evse_uid=request.evse_uid,
        connector_id=request.connector_id,
        session_id=request.session_id,
        reservation_id=request.reservation_id,
    )
    if cpo is not None:
        check.to.CopyFrom(types_pb2.PartyRef(country_code=cpo[0], party_id=cpo[1]))
    if command_type in _LOCATION_COMMANDS:
        if not request.location_id:
            raise InvalidArgument([("location_id", f"is required for {command_type}")])
        return await _location_owner(conn, check, cpo)
    if command_type == "STOP_SESSION":
        if not request.session_id:
            raise InvalidArgument([("session_id", "is required for STOP_SESSION")])
        repo = SessionRepository(conn)
        if cpo is not None:
            found = await repo.get(*cpo, request.session_id)
            sessions = [found] if found is not None else []
        else:
            sessions = await repo.find(request.session_id)
        if not sessions:
            raise NotFound(ErrorReason.ERROR_REASON_UNKNOWN_SESSION, f"unknown session {request.session_id}")
        if len(sessions) > 1:
            owners = ", ".join(f"{s.country_code}/{s.party_id}" for s in sessions)
            raise InvalidArgument([("session_id", f"several CPOs have it ({owners}): name one, CC/PARTY_ID/ID")])
        return sessions[0].country_code, sessions[0].party_id
    if not request.reservation_id:
        raise InvalidArgument([("reservation_id", "is required for CANCEL_RESERVATION")])
    check.requester.CopyFrom(types_pb2.PartyRef(country_code=requester[0], party_id=requester[1]))
    return await _target(conn, check, command_type)


async def _get(repo: CommandRepository, command_id: str, *, for_update: bool = False) -> asyncpg.Record:
    row = await repo.get(command_id, for_update=for_update)
    if row is None:
        raise NotFound(ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"no command {command_id}")
    return row


async def _requester(
    conn: asyncpg.Connection, request: rpc.CreateCommandRequest, command_type: str
) -> tuple[uuid.UUID, str]:
    """The requester must be an active eMSP (or, for charging profiles, SCSP) of the calling platform."""
    roles = ("EMSP",) if command_type in _COMMANDS else ("EMSP", "SCSP")
    country_code, party_id = request.requester.country_code.upper(), request.requester.party_id.upper()
    try:
        platform, role = await CommandRepository(conn).platform_of(country_code, party_id, roles)
    except LookupError:
        raise FailedPrecondition(
            ErrorReason.ERROR_REASON_NOT_OWNER, f"{country_code}/{party_id} is not an active {' or '.join(roles)}"
        ) from None
    if platform != ownership.platform_id(request.caller_platform):
        raise FailedPrecondition(
            ErrorReason.ERROR_REASON_NOT_OWNER, f"{country_code}/{party_id} is not a party of the calling platform"
        )
    if command_type in ("START_SESSION", "RESERVE_NOW"):
        owner = (request.token_owner.country_code.upper(), request.token_owner.party_id.upper())
        if owner != (country_code, party_id):
            raise FailedPrecondition(
                ErrorReason.ERROR_REASON_FOREIGN_TOKEN,
                f"the token belongs to {owner[0]}/{owner[1]}, not to {country_code}/{party_id}: an eMSP commands with"
                " its own tokens only",
            )
    return platform, role


async def _target(conn: asyncpg.Connection, request: rpc.CreateCommandRequest, command_type: str) -> tuple[str, str]:
    """The CPO: named by OCPI-to-*, else found from the location, session or reservation (open routing)."""
    to = (request.to.country_code.upper(), request.to.party_id.upper()) if request.to.country_code else None
    requester = (request.requester.country_code.upper(), request.requester.party_id.upper())
    if command_type in _LOCATION_COMMANDS:
        return await _location_owner(conn, request, to)
    if command_type in _SESSION_COMMANDS:
        return await policy.session_owner(conn, request.session_id, requester, to)
    reservation = await CommandRepository(conn).latest_reservation(*requester, request.reservation_id)
    if reservation is not None and (
        to is None or (reservation["target_country_code"], reservation["target_party_id"]) == to
    ):
        return reservation["target_country_code"], reservation["target_party_id"]
    if to is not None:
        return to
    raise NotFound(
        ErrorReason.ERROR_REASON_UNKNOWN_RESERVATION,
        f"the Hub relayed no reservation {request.reservation_id} of yours; name the CPO with OCPI-to-*",
    )


async def _location_owner(
    conn: asyncpg.Connection, request: rpc.CreateCommandRequest, to: tuple[str, str] | None
) -> tuple[str, str]:
    repo = LocationRepository(conn)
    if to is not None:
        found = await repo.get(*to, request.location_id)
        locations = [found] if found is not None else []
    else:
        locations = await repo.find(request.location_id)
    if not locations:
        raise NotFound(ErrorReason.ERROR_REASON_UNKNOWN_LOCATION, f"unknown location {request.location_id}")
    if len(locations) > 1:
        owners = ", ".join(f"{loc.country_code}/{loc.party_id}" for loc in locations)
        raise InvalidArgument([("location_id", f"several CPOs have it ({owners}): name one with OCPI-to-*")])
    location = locations[0]
    if request.evse_uid:
        evse = next((e for e in location.evses if e.uid.upper() == request.evse_uid.upper()), None)
        if evse is None:
            raise NotFound(
                ErrorReason.ERROR_REASON_UNKNOWN_LOCATION, f"location {location.id} has no EVSE {request.evse_uid}"
            )
        if request.connector_id and not any(c.id.upper() == request.connector_id.upper() for c in evse.connectors):
            raise NotFound(
                ErrorReason.ERROR_REASON_UNKNOWN_LOCATION,
                f"EVSE {request.evse_uid} of location {location.id} has no connector {request.connector_id}",
            )
    elif request.connector_id:
        raise InvalidArgument([("evse_uid", "is required when connector_id is set")])
    return location.country_code, location.party_id


async def _tell(conn: asyncpg.Connection, kind: Kind, row: asyncpg.Record, **data: object) -> None:
    """A command's event belongs to its requester (the eMSP); the CPO it went to is in the data."""
    await emit(
        conn,
        kind,
        party_of(row["requester_country_code"], row["requester_party_id"]),
        f"commands/{row['id']}",
        command=row["type"],
        cpo=party_of(row["target_country_code"], row["target_party_id"]),
        **data,
    )
