"""gRPC servicer of ocpihub.operators.v1."""

from __future__ import annotations

import grpc

from core.operators.repository import Account
from core.operators.service import OperatorsService
from ocpihub.operators.v1 import operators_pb2 as pb
from ocpihub.operators.v1 import operators_service_pb2 as rpc
from ocpihub.operators.v1 import operators_service_pb2_grpc as rpc_grpc

_ROLES = {
    "admin": pb.OPERATOR_ROLE_ADMIN,
    "operator": pb.OPERATOR_ROLE_OPERATOR,
    "analyst": pb.OPERATOR_ROLE_ANALYST,
}
_NAMES = {value: name for name, value in _ROLES.items()}


def _to_pb(account: Account) -> pb.Operator:
    message = pb.Operator(
        email=account.email, role=_ROLES[account.role], disabled=account.disabled, created_by=account.created_by
    )
    message.create_time.FromDatetime(account.create_time)
    if account.disable_time:
        message.disable_time.FromDatetime(account.disable_time)
    if account.last_sign_in_time:
        message.last_sign_in_time.FromDatetime(account.last_sign_in_time)
    return message


class OperatorsServicer(rpc_grpc.OperatorsServiceServicer):
    def __init__(self, service: OperatorsService) -> None:
        self._service = service

    async def AddOperator(
        self, request: rpc.AddOperatorRequest, context: grpc.aio.ServicerContext
    ) -> rpc.AddOperatorResponse:
        account = await self._service.add(request.email, _NAMES.get(request.role, ""), request.password)
        return rpc.AddOperatorResponse(operator=_to_pb(account))

    async def ListOperators(
        self, request: rpc.ListOperatorsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListOperatorsResponse:
        return rpc.ListOperatorsResponse(operators=[_to_pb(a) for a in await self._service.list()])

    async def DisableOperator(
        self, request: rpc.DisableOperatorRequest, context: grpc.aio.ServicerContext
    ) -> rpc.DisableOperatorResponse:
        return rpc.DisableOperatorResponse(operator=_to_pb(await self._service.disable(request.email)))

    async def VerifyOperatorPassword(
        self, request: rpc.VerifyOperatorPasswordRequest, context: grpc.aio.ServicerContext
    ) -> rpc.VerifyOperatorPasswordResponse:
        account = await self._service.verify(request.email, request.password, request.remote_address)
        return rpc.VerifyOperatorPasswordResponse(operator=_to_pb(account))
