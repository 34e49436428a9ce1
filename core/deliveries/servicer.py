"""gRPC servicer of ocpihub.deliveries.v1."""

from __future__ import annotations

from datetime import datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from core.deliveries.model import Delivery
from core.deliveries.service import DeliveriesService
from core.errors import InvalidArgument
from core.names import party_pair
from core.parties.model import PartyKey
from core.parties.secrets import TokenVault
from ocpihub.deliveries.v1 import deliveries_pb2 as pb
from ocpihub.deliveries.v1 import deliveries_service_pb2 as rpc
from ocpihub.deliveries.v1 import deliveries_service_pb2_grpc as rpc_grpc
from ocpihub.types.v1 import types_pb2

_MAX_WAIT = timedelta(seconds=30)
_DEFAULT_LEASE = timedelta(seconds=30)


def party_ref(key: PartyKey) -> types_pb2.PartyRef:
    return types_pb2.PartyRef(country_code=key.country_code, party_id=key.party_id, role=str(key.role))


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def delivery_to_pb(delivery: Delivery, token: str = "") -> pb.Delivery:
    relay = delivery.relay
    return pb.Delivery(
        name=delivery.name,
        message=pb.Message(
            module=relay.module,
            method=relay.method,
            path=relay.path,
            body=relay.body,
            sender=party_ref(relay.sender),
            correlation_id=relay.correlation_id,
            object_key=relay.object_key,
            url=relay.url,
            to=party_ref(delivery.receiver) if relay.addressed else None,
        ),
        receiver=party_ref(delivery.receiver),
        endpoint_url=delivery.endpoint_url,
        token=token,
        encode_auth_token=delivery.encode_auth_token,
        state=pb.DeliveryState.Value(f"DELIVERY_STATE_{delivery.state}"),
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        create_time=_timestamp(delivery.create_time),
        update_time=_timestamp(delivery.update_time),
        next_attempt_time=_timestamp(delivery.next_attempt_time),
    )


def _delivery_id(name: str) -> int:
    try:
        return int(name.removeprefix("deliveries/"))
    except ValueError:
        raise InvalidArgument([("name", f"{name!r} is not of the form deliveries/{{id}}")]) from None


class DeliveriesServicer(rpc_grpc.DeliveriesServiceServicer):
    def __init__(self, service: DeliveriesService, vault: TokenVault) -> None:
        self._service = service
        self._vault = vault

    async def LeaseDeliveries(
        self, request: rpc.LeaseDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> rpc.LeaseDeliveriesResponse:
        if request.max_deliveries <= 0:
            raise InvalidArgument([("max_deliveries", "must be positive")])
        wait = min(request.wait.ToTimedelta(), _MAX_WAIT)
        lease = request.lease.ToTimedelta() if request.HasField("lease") else _DEFAULT_LEASE
        deliveries = await self._service.lease(request.max_deliveries, wait, lease)
        return rpc.LeaseDeliveriesResponse(
            deliveries=[delivery_to_pb(d, self._vault.decrypt(d.token_b_encrypted)) for d in deliveries]
        )

    async def CompleteDelivery(
        self, request: rpc.CompleteDeliveryRequest, context: grpc.aio.ServicerContext
    ) -> rpc.CompleteDeliveryResponse:
        if request.outcome == rpc.OUTCOME_UNSPECIFIED:
            raise InvalidArgument([("outcome", "is required")])
        outcome = rpc.Outcome.Name(request.outcome).removeprefix("OUTCOME_")
        retry_after = request.retry_after.ToTimedelta() if request.HasField("retry_after") else None
        delivery = await self._service.complete(_delivery_id(request.name), outcome, request.detail, retry_after)
        return rpc.CompleteDeliveryResponse(delivery=delivery_to_pb(delivery))

    async def CompleteDeliveries(
        self, request: rpc.CompleteDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> rpc.CompleteDeliveriesResponse:
        outcomes = []
        for index, completion in enumerate(request.completions):
            if completion.outcome == rpc.OUTCOME_UNSPECIFIED:
                raise InvalidArgument([(f"completions[{index}].outcome", "is required")])
            outcomes.append(
                (
                    _delivery_id(completion.name),
                    rpc.Outcome.Name(completion.outcome).removeprefix("OUTCOME_"),
                    completion.detail,
                    completion.retry_after.ToTimedelta() if completion.HasField("retry_after") else None,
                )
            )
        return rpc.CompleteDeliveriesResponse(completed=await self._service.complete_many(outcomes))

    async def ListDeliveries(
        self, request: rpc.ListDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListDeliveriesResponse:
        receiver = party_pair(request.receiver, "receiver")
        try:
            after = int(request.page_token or 0)
        except ValueError:
            raise InvalidArgument([("page_token", "is not a token this service issued")]) from None
        state = pb.DeliveryState.Name(request.state).removeprefix("DELIVERY_STATE_") if request.state else ""
        deliveries, last = await self._service.list(request.page_size, after, state, receiver)
        return rpc.ListDeliveriesResponse(
            deliveries=[delivery_to_pb(d) for d in deliveries], next_page_token=str(last) if last else ""
        )

    async def RetryDelivery(
        self, request: rpc.RetryDeliveryRequest, context: grpc.aio.ServicerContext
    ) -> rpc.RetryDeliveryResponse:
        delivery = await self._service.retry(_delivery_id(request.name))
        return rpc.RetryDeliveryResponse(delivery=delivery_to_pb(delivery))

    async def DiscardDelivery(
        self, request: rpc.DiscardDeliveryRequest, context: grpc.aio.ServicerContext
    ) -> rpc.DiscardDeliveryResponse:
        delivery = await self._service.discard(_delivery_id(request.name))
        return rpc.DiscardDeliveryResponse(delivery=delivery_to_pb(delivery))
