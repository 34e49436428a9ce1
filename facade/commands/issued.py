"""Commands the Hub issues itself (hubctl commands start-session …, R6.1): the core queues them, a facade sends them.

The facade speaks OCPI to CPOs, so it sends them: each replica claims queued commands from the core (each command
to one replica), POSTs each to its CPO's commands endpoint with the Hub's response_url, and records the CPO's answer
in the command log. The CPO's CommandResult comes back to that URL like any other and is recorded (not relayed: the
command has no requester response_url, even when it was issued on an eMSP's behalf).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

from facade.ocpi import routing_headers as rh
from facade.ocpi.datetime import ocpi_datetime
from facade.ocpi.proto_json import from_proto
from facade.peers.client import PeerClient, PeerTimeout, PeerUnreachable
from facade.relay.callbacks import read_answer, record_answer
from hubclient import HubClient, HubError
from ocpihub.commands.v1 import commands_pb2 as pb
from ocpihub.commands.v1 import commands_service_pb2 as rpc

log = logging.getLogger(__name__)


def request_body(issued: rpc.IssuedCommand, response_url: str) -> dict[str, Any]:
    """The OCPI 2.2.1 request of the command (mod_commands §Object description), with the Hub's response_url."""
    command = issued.command
    kind = pb.CommandType.Name(command.type).removeprefix("COMMAND_TYPE_")
    body: dict[str, Any] = {"response_url": response_url}
    if kind in ("START_SESSION", "RESERVE_NOW"):
        body["token"] = from_proto(issued.ocpi_token)
    fields = {
        "START_SESSION": ("location_id", "evse_uid", "connector_id"),
        "STOP_SESSION": ("session_id",),
        "RESERVE_NOW": ("reservation_id", "location_id", "evse_uid"),
        "CANCEL_RESERVATION": ("reservation_id",),
        "UNLOCK_CONNECTOR": ("location_id", "evse_uid", "connector_id"),
    }[kind]
    for field in fields:
        if getattr(command, field):
            body[field] = getattr(command, field)
    if kind == "RESERVE_NOW":
        body["expiry_date"] = ocpi_datetime(command.reservation_expiry.ToDatetime())
    return body


class IssuedCommandSender:
    def __init__(self, hub: HubClient, peers: PeerClient, public_url: str, *, interval: float, batch: int = 8) -> None:
        self._hub = hub
        self._peers = peers
        self._public_url = public_url.rstrip("/")
        self._interval = interval
        self._batch = batch
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = list((await self._hub.claim_issued_commands(self._batch)).commands)
            except HubError as exc:
                log.warning("cannot claim Hub-issued commands: %s", exc)
                claimed = []
            if claimed:
                await asyncio.gather(*(self._send(issued) for issued in claimed))
            if len(claimed) < self._batch:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._interval):
                        await self._stopping.wait()

    async def _send(self, issued: rpc.IssuedCommand) -> None:
        command = issued.command
        kind = pb.CommandType.Name(command.type).removeprefix("COMMAND_TYPE_")
        command_id = command.name.removeprefix("commands/")
        response_url = f"{self._public_url}/ocpi/2.2.1/sender/commands/{kind}/{command_id}"
        headers = {
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": command.correlation_id,
            rh.FROM_COUNTRY_CODE: command.requester.country_code,
            rh.FROM_PARTY_ID: command.requester.party_id,
            rh.TO_COUNTRY_CODE: command.target.country_code,
            rh.TO_PARTY_ID: command.target.party_id,
        }
        url = issued.endpoint_url.rstrip("/") + f"/{kind}"
        content = json.dumps(request_body(issued, response_url)).encode()
        try:
            answer = await self._peers.send(
                "POST", url, issued.token, encode=issued.encode_auth_token, headers=headers, body=content
            )
        except PeerTimeout:
            await record_answer(self._hub, command.name, "", 0, "timed out")
            return
        except PeerUnreachable as exc:
            await record_answer(self._hub, command.name, "", 0, f"cannot connect: {exc.reason}")
            return
        response, timeout, problem = read_answer(answer)
        await record_answer(self._hub, command.name, response, timeout, problem, (answer.status_code, answer.content))
