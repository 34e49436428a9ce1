"""gRPC servicer of ocpihub.commands.v1."""

from __future__ import annotations

import grpc

from core.access import current_caller
from core.commands.service import CommandsService, type_name
from core.errors import InvalidArgument
from core.names import party_pair, split_name
from ocpihub.commands.v1 import commands_pb2 as pb
from ocpihub.commands.v1 import commands_service_pb2 as rpc
from ocpihub.commands.v1 import commands_service_pb2_grpc as rpc_grpc

# What each command must name (OCPI mod_commands / mod_charging_profiles; the facade checks the wire shapes).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "START_SESSION": ("location_id",),
    "STOP_SESSION": ("session_id",),
    "RESERVE_NOW": ("location_id", "reservation_id"),
    "CANCEL_RESERVATION": ("reservation_id",),
    "UNLOCK_CONNECTOR": ("location_id", "evse_uid", "connector_id"),
    "SET_CHARGING_PROFILE": ("session_id",),
    "GET_ACTIVE_CHARGING_PROFILE": ("session_id",),
    "CLEAR_CHARGING_PROFILE": ("session_id",),
}


class CommandsServicer(rpc_grpc.CommandsServiceServicer):
    def __init__(self, service: CommandsService) -> None:
        self._service = service

    async def CreateCommand(
        self, request: rpc.CreateCommandRequest, context: grpc.aio.ServicerContext
    ) -> rpc.CreateCommandResponse:
        if request.type == pb.COMMAND_TYPE_UNSPECIFIED:
            raise InvalidArgument([("type", "is required")])
        violations = [
            (field, "is required") for field in _REQUIRED[type_name(request.type)] if not getattr(request, field)
        ]
        for field in ("caller_platform", "response_url"):
            if not getattr(request, field):
                violations.append((field, "is required"))
        if not (request.requester.country_code and request.requester.party_id):
            violations.append(("requester", "country_code and party_id are required"))
        if request.type == pb.COMMAND_TYPE_RESERVE_NOW and not request.HasField("reservation_expiry"):
            violations.append(("reservation_expiry", "is required"))
        if violations:
            raise InvalidArgument(violations)
        created = await self._service.create(request)
        return rpc.CreateCommandResponse(
            command=created.command,
            endpoint_url=created.endpoint_url,
            token=created.token,
            encode_auth_token=created.encode_auth_token,
            replayed=created.replayed,
            answer_status=created.answer_status,
            answer_body=created.answer_body,
        )

    async def RecordCommandResponse(
        self, request: rpc.RecordCommandResponseRequest, context: grpc.aio.ServicerContext
    ) -> rpc.RecordCommandResponseResponse:
        (command_id,) = split_name(request.name, "commands", 1)
        command = await self._service.record_response(
            command_id,
            request.response,
            request.timeout_seconds,
            request.unreachable_detail,
            (request.answer_status, request.answer_body),
        )
        return rpc.RecordCommandResponseResponse(command=command)

    async def RecordCommandResult(
        self, request: rpc.RecordCommandResultRequest, context: grpc.aio.ServicerContext
    ) -> rpc.RecordCommandResultResponse:
        (command_id,) = split_name(request.name, "commands", 1)
        if not request.result:
            raise InvalidArgument([("result", "is required")])
        command, disposition = await self._service.record_result(
            command_id,
            request.caller_platform,
            request.result,
            request.body,
            request.correlation_id,
            request.result_sent_as,
        )
        return rpc.RecordCommandResultResponse(command=command, disposition=disposition)

    async def GetCommand(
        self, request: rpc.GetCommandRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetCommandResponse:
        (command_id,) = split_name(request.name, "commands", 1)
        return rpc.GetCommandResponse(command=await self._service.get(command_id))

    async def ListCommands(
        self, request: rpc.ListCommandsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListCommandsResponse:
        state = pb.CommandState.Name(request.state).removeprefix("COMMAND_STATE_") if request.state else ""
        commands, next_token = await self._service.list(
            request.page_size,
            request.page_token,
            party_pair(request.party, "party"),
            state,
            type_name(request.type) if request.type else "",
            request.session_id,
        )
        return rpc.ListCommandsResponse(commands=commands, next_page_token=next_token)

    async def IssueCommand(
        self, request: rpc.IssueCommandRequest, context: grpc.aio.ServicerContext
    ) -> rpc.IssueCommandResponse:
        if request.type == pb.COMMAND_TYPE_UNSPECIFIED:
            raise InvalidArgument([("type", "is required")])
        caller = current_caller.get()
        return rpc.IssueCommandResponse(command=await self._service.issue(request, caller.actor if caller else ""))

    async def ClaimIssuedCommands(
        self, request: rpc.ClaimIssuedCommandsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ClaimIssuedCommandsResponse:
        return rpc.ClaimIssuedCommandsResponse(commands=await self._service.claim_issued(request.limit or 8))
