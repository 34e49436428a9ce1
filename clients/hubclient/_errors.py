"""Errors raised by the Hub client.

HubError                 any failed RPC, with the core's reason (ErrorInfo) and field violations (BadRequest)
└── HubUnavailable       the core could not be reached (UNAVAILABLE / DEADLINE_EXCEEDED)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


@dataclass
class HubError(Exception):
    code: grpc.StatusCode
    message: str
    # ErrorInfo.reason, e.g. "TOKEN_UNKNOWN" (see ocpihub.errors.v1.ErrorReason); "" when the core gave none.
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    # (field, description) pairs from google.rpc.BadRequest.
    field_violations: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"


class HubUnavailable(HubError):
    pass


def from_rpc_error(error: grpc.aio.AioRpcError) -> HubError:
    code = error.code()
    kind = HubUnavailable if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) else HubError
    result = kind(code=code, message=error.details() or code.name)
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        # The transport replaced the core's status (e.g. RESOURCE_EXHAUSTED for oversized headers): no details to read.
        status = None
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(info):
            result.reason = info.reason
            result.metadata = dict(info.metadata)
        elif detail.Unpack(bad_request):
            result.field_violations = [(v.field, v.description) for v in bad_request.field_violations]
    return result
