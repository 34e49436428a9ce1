"""Delivery workers: lease queued messages from the core, send them to the parties, report each outcome.

Any number of workers in any number of facade replicas share the queue (the core leases with SKIP LOCKED and
keeps one message per receiver and object in flight, so a newer update never overtakes an older one).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from google.protobuf.duration_pb2 import Duration

from facade.metrics import DELIVERY_SEND_DURATION, DELIVERY_SENDS
from facade.ocpi import routing_headers as rh
from facade.peers.client import PeerAnswer, PeerClient, PeerTimeout, PeerUnreachable
from hubclient import HubClient, HubError
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.deliveries.v1 import deliveries_service_pb2 as rpc

log = logging.getLogger(__name__)
OUTCOME_GATHER_SECONDS = 0.005

# Configuration modules never carry routing headers (HUB-DIGEST §1.9).
CONFIGURATION_MODULES = frozenset({"credentials", "hubclientinfo", "versions"})

Outcome = tuple["rpc.Outcome.ValueType", str, timedelta | None]


def retry_after(value: str | None) -> timedelta | None:
    """Retry-After as seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    with contextlib.suppress(TypeError, ValueError):
        return max(timedelta(0), email.utils.parsedate_to_datetime(value) - datetime.now(UTC))
    return None


def classify(response: PeerAnswer) -> Outcome:
    """What an answer means for the delivery: delivered, worth another try, or refused for good."""
    status = response.status_code
    if status == 429:
        return rpc.OUTCOME_RETRY, "HTTP 429", retry_after(response.headers.get("Retry-After"))
    if status >= 500 or status in (401, 408):
        return rpc.OUTCOME_RETRY, f"HTTP {status}", None
    if status >= 400:
        return rpc.OUTCOME_REJECTED, f"HTTP {status}", None
    try:
        ocpi_status = int(json.loads(response.content)["status_code"])
    except (ValueError, KeyError, TypeError, RecursionError):
        return rpc.OUTCOME_DELIVERED, f"HTTP {status} without an OCPI envelope", None
    if ocpi_status < 2000:
        return rpc.OUTCOME_DELIVERED, f"OCPI {ocpi_status}", None
    if ocpi_status < 3000:
        return rpc.OUTCOME_REJECTED, f"OCPI {ocpi_status}", None
    return rpc.OUTCOME_RETRY, f"OCPI {ocpi_status}", None


def _duration(value: timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(value)
    return duration


class DeliveryWorker:
    def __init__(
        self,
        hub: HubClient,
        peers: PeerClient,
        hub_party: rh.Party,
        *,
        batch: int = 64,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self._hub = hub
        self._peers = peers
        self._hub_party = hub_party
        self._batch = batch
        # Longer than any send can take (peer timeout): a lease that runs out sends the message twice.
        self._lease = lease
        self._stopping = asyncio.Event()
        # Outcomes waiting to be recorded: one RPC (one transaction) records all that piled up meanwhile.
        self._outcomes: asyncio.Queue[rpc.CompleteDeliveryRequest] = asyncio.Queue()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Until stop(): lease as many deliveries as there are free slots, send each as soon as it is leased.

        Stopping interrupts only the wait for work, never a send in flight (an interrupted send would go out again
        once its lease ran out); run() returns when the sends in flight are done.
        """
        stopping = asyncio.create_task(self._stopping.wait())
        recorder = asyncio.create_task(self._record_outcomes())
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping.is_set():
                free = self._batch - len(in_flight)
                if free <= 0:
                    await asyncio.wait({*in_flight, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    continue
                lease = asyncio.create_task(
                    self._hub.lease_deliveries(
                        rpc.LeaseDeliveriesRequest(
                            max_deliveries=free, wait=Duration(seconds=2), lease=_duration(self._lease)
                        )
                    )
                )
                await asyncio.wait({lease, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not lease.done():
                    lease.cancel()  # leased rows, if any, are simply leased again later
                    break
                try:
                    leased = lease.result()
                except HubError as exc:
                    log.warning("cannot lease deliveries: %s", exc)
                    await asyncio.sleep(1.0)
                    continue
                for delivery in leased.deliveries:
                    task = asyncio.create_task(self._deliver(delivery))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
        finally:
            stopping.cancel()
            if in_flight:
                await asyncio.gather(*in_flight)
            await self._outcomes.join()
            recorder.cancel()

    async def _record_outcomes(self) -> None:
        while True:
            batch = [await self._outcomes.get()]
            # A moment's wait: sends that finish together are recorded in one call (and one transaction).
            await asyncio.sleep(OUTCOME_GATHER_SECONDS)
            while not self._outcomes.empty() and len(batch) < 256:
                batch.append(self._outcomes.get_nowait())
            try:
                await self._hub.complete_deliveries(rpc.CompleteDeliveriesRequest(completions=batch))
            except HubError as exc:
                # Their leases run out and they go again: at-least-once; receivers dedupe by object.
                log.warning("cannot record %d delivery outcomes: %s", len(batch), exc)
            finally:
                for _ in batch:
                    self._outcomes.task_done()

    async def _deliver(self, delivery: deliveries_pb2.Delivery) -> None:
        message = delivery.message
        url = message.url or delivery.endpoint_url.rstrip("/") + (f"/{message.path}" if message.path else "")
        headers = {
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": message.correlation_id or str(uuid.uuid4()),
        }
        if message.module not in CONFIGURATION_MODULES:
            # Broadcast: FROM is the Hub; a relayed answer (to a URL the requester gave) or a request addressed to
            # this receiver alone: FROM is its sender.
            sender = message.sender if message.url or message.HasField("to") else self._hub_party
            headers |= {
                rh.FROM_COUNTRY_CODE: sender.country_code,
                rh.FROM_PARTY_ID: sender.party_id,
                rh.TO_COUNTRY_CODE: delivery.receiver.country_code,
                rh.TO_PARTY_ID: delivery.receiver.party_id,
            }
        start = time.perf_counter()
        try:
            response = await self._peers.send(
                message.method,
                url,
                delivery.token,
                encode=delivery.encode_auth_token,
                headers=headers,
                body=message.body if message.method != "DELETE" else None,
            )
            outcome, detail, wait = classify(response)
        except PeerTimeout:
            outcome, detail, wait = rpc.OUTCOME_RETRY, "timed out", None
        except PeerUnreachable as exc:
            outcome, detail, wait = rpc.OUTCOME_RETRY, f"cannot connect: {exc.reason}", None
        DELIVERY_SEND_DURATION.labels(message.module).observe(time.perf_counter() - start)
        DELIVERY_SENDS.labels(message.module, rpc.Outcome.Name(outcome).removeprefix("OUTCOME_")).inc()
        complete = rpc.CompleteDeliveryRequest(name=delivery.name, outcome=outcome, detail=detail)
        if wait is not None:
            complete.retry_after.FromTimedelta(wait)
        self._outcomes.put_nowait(complete)
