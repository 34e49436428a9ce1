"""The core's Prometheus metrics: RPC durations by method and code, queue gauges, the /metrics port."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from pathlib import Path

import asyncpg
import httpx
from cryptography import x509
from prometheus_client import REGISTRY

from core import metrics
from core.server import create_server
from core.settings import Settings
from hubclient import HubClient, HubError, call_metadata
from ocpihub.audit.v1 import audit_service_pb2 as audit_rpc
from simulators import loopback
from tests.clients.test_hubctl_lifecycle import register
from tests.waiting import eventually

GET_PARTY = "parties.v1.PartiesService/GetParty"


def calls(method: str, code: str) -> float:
    return (
        REGISTRY.get_sample_value("ocpihub_grpc_server_duration_seconds_count", {"method": method, "code": code}) or 0
    )


async def test_every_rpc_is_timed_by_method_and_status_code(hub: HubClient) -> None:
    before = calls(GET_PARTY, "NOT_FOUND")
    for _ in range(3):
        with contextlib.suppress(HubError):
            await hub.get_party("parties/VN/NOP/CPO")
    # An aborted call's status reaches the caller before the server's interceptor has timed it: allow it a moment.
    await eventually(lambda: calls(GET_PARTY, "NOT_FOUND") >= before + 3, "the aborted calls were not timed")
    assert calls(GET_PARTY, "NOT_FOUND") == before + 3
    ok_before = calls("audit.v1.AuditService/ListAuditEvents", "OK")
    # Request ids travel as metadata and change nothing for the call itself.
    token = call_metadata.set((("x-request-id", "r-1"), ("x-correlation-id", "c-1")))
    try:
        [e async for e in hub.list_audit_events(audit_rpc.ListAuditEventsRequest())]
    finally:
        call_metadata.reset(token)
    assert calls("audit.v1.AuditService/ListAuditEvents", "OK") == ok_before + 1


async def test_queue_gauges_are_zero_on_an_empty_outbox(db: asyncpg.Pool) -> None:
    await metrics.refresh_delivery_gauges(db)
    assert REGISTRY.get_sample_value("ocpihub_delivery_queue_depth", {"state": "PENDING"}) == 0
    assert REGISTRY.get_sample_value("ocpihub_delivery_queue_depth", {"state": "DEAD"}) == 0
    assert REGISTRY.get_sample_value("ocpihub_delivery_lag_seconds") == 0


async def test_a_registered_party_whose_platform_is_unreachable_is_offline_until_heard_from_again(
    hub: HubClient, db: asyncpg.Pool
) -> None:
    await register(hub, "VN/ABC")

    async def offline() -> float | None:
        await metrics.refresh_delivery_gauges(db)
        return REGISTRY.get_sample_value("ocpihub_party_offline", {"party": "VN/ABC", "role": "CPO"})

    assert await offline() is None
    await db.execute("UPDATE platforms SET offline_time = now()")  # what a failed still-alive check records
    assert await offline() == 1
    await db.execute("UPDATE platforms SET offline_time = NULL")
    assert await offline() is None


async def test_a_core_with_a_metrics_port_serves_prometheus_text_there(core_settings: Settings) -> None:
    port = loopback.free_port()
    pem = await asyncio.to_thread(Path(core_settings.grpc_tls_cert_file).read_bytes)
    core, grpc_port = await create_server(dataclasses.replace(core_settings, metrics_port=port))
    await core.start()
    try:
        async with HubClient(f"127.0.0.1:{grpc_port}") as hub:
            assert await hub.health()
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        await core.stop(grace=1.0)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for series in (
        "ocpihub_grpc_server_duration_seconds_bucket",
        'ocpihub_delivery_queue_depth{state="PENDING"}',
        "ocpihub_delivery_lag_seconds",
        "ocpihub_delivery_retries_total",
        "ocpihub_delivery_dead_letters_total",
        "ocpihub_sessions_created_total",
        "ocpihub_energy_kwh_total",
    ):
        assert series in response.text, series
    assert core.metrics_port == port
    # The core's own certificate's end, so an alert can fire 14 days before it.
    certificate = x509.load_pem_x509_certificate(pem)
    expiry = "ocpihub_grpc_certificate_expiry_timestamp_seconds "
    line = next(line for line in response.text.splitlines() if line.startswith(expiry))
    assert float(line.removeprefix(expiry)) == certificate.not_valid_after_utc.timestamp()
    with socket.socket() as sock:  # stopped with the core: nothing listens there any more
        assert sock.connect_ex(("127.0.0.1", port)) != 0
