"""Observability over the real facade and core: /metrics series and labels, queue gauges, business counters,
JSON log lines with request ids, and no token in any log line of a realistic flow."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import asyncpg
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from core import logs as core_logs
from core import metrics as core_metrics
from facade import logs as facade_logs
from hubclient import call_metadata
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.deliveries.v1 import deliveries_service_pb2 as deliveries_rpc
from simulators.party import EMSP_MODULES, PartySimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network, delivery_workers, token_header
from tests.e2e.test_commands import COMMANDS, start_session

LOC1 = "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(hub_http: Hub) -> Samples:
    response = await hub_http.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_requests_by_module_method_status_and_party(hub_http: Hub, network: Network) -> None:
    before = await scrape(hub_http)
    assert (await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())).status_code in (
        200,
        201,
    )
    listed = await hub_http.http.get("/ocpi/2.2.1/sender/locations", headers=network.emsp_headers())
    assert listed.status_code == 200
    assert (await hub_http.http.get("/ocpi/2.2.1/nowhere/LOC1")).status_code == 404
    refused = await hub_http.http.get("/ocpi/versions", headers=token_header("no-such-token"))
    assert refused.status_code == 401
    after = await scrape(hub_http)

    duration = "ocpihub_http_request_duration_seconds"
    assert delta(before, after, f"{duration}_count", module="locations", method="PUT", status_class="2xx") == 1
    assert delta(before, after, f"{duration}_count", module="locations", method="GET", status_class="2xx") == 1
    # Buckets: p50/p95/p99 come from histogram_quantile over them.
    assert delta(before, after, f"{duration}_bucket", module="locations", method="PUT", status_class="2xx", le="+Inf")
    put = [
        dict(labels)
        for (name, labels), _ in after.items()
        if name == "ocpihub_http_requests_total" and dict(labels)["module"] == "locations"
    ]
    assert {"method": "PUT", "status": "201", "ocpi_status": "1000", "module": "locations"} in put
    requests = "ocpihub_http_requests_total"
    assert delta(before, after, requests, module="unmatched", method="GET", status="404", ocpi_status="2000") == 1
    assert delta(before, after, requests, module="versions", method="GET", status="401", ocpi_status="2000") == 1
    party = "ocpihub_party_requests_total"
    assert delta(before, after, party, party="VN/CPA", module="locations", status_class="2xx") == 1
    assert delta(before, after, party, party="VN/EM1", module="locations", status_class="2xx") == 1
    assert delta(before, after, party, party="anonymous", module="versions", status_class="4xx") == 1
    # Labels come from routes, never from raw paths: no object id in any label value.
    assert not [labels for (_, labels), _ in after.items() if any("LOC1" in v for _, v in labels)]


async def test_queue_depth_and_lag_follow_pending_deliveries_and_sends_are_counted(
    hub_http: Hub, network: Network, core_address: str, db: asyncpg.Pool
) -> None:
    await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    pending = await db.fetchval("SELECT count(*) FROM deliveries WHERE state = 'PENDING'")
    assert pending >= 2  # the location goes to both eMSPs; nobody sends yet
    await core_metrics.refresh_delivery_gauges(db)
    assert value("ocpihub_delivery_queue_depth", state="PENDING") == pending
    assert value("ocpihub_delivery_lag_seconds") > 0

    sent = value("ocpihub_delivery_sends_total", module="locations", outcome="DELIVERED")
    async with delivery_workers(core_address):
        await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 1)
        await network.emsp2.wait_for(lambda: len(network.emsp2.pushes("locations")) == 1)
    assert value("ocpihub_delivery_sends_total", module="locations", outcome="DELIVERED") >= sent + 2
    assert value("ocpihub_delivery_send_duration_seconds_count", module="locations") >= 2
    await core_metrics.refresh_delivery_gauges(db)
    assert value("ocpihub_delivery_queue_depth", state="PENDING") == 0
    assert value("ocpihub_delivery_lag_seconds") == 0


async def test_sessions_energy_and_revenue_are_counted_where_the_core_stores_them(
    hub_http: Hub, network: Network
) -> None:
    await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tariffs/VN/CPA/TARIFF-AC", json=samples.time_based_tariff(), headers=network.cpo_headers()
    )
    sessions, cdrs = value("ocpihub_sessions_created_total"), value("ocpihub_cdrs_stored_total")
    energy, revenue = value("ocpihub_energy_kwh_total"), value("ocpihub_revenue_total", currency="VND")

    s1 = "/ocpi/2.2.1/receiver/sessions/VN/CPA/S1"
    assert (await hub_http.http.put(s1, json=samples.session(), headers=network.cpo_headers())).status_code < 300
    patch = {"kwh": 5, "last_updated": "2026-11-01T09:00:00Z"}
    await hub_http.http.patch(s1, json=patch, headers=network.cpo_headers())  # an update is not a new session
    ended = value("ocpihub_session_duration_seconds_count"), value("ocpihub_session_duration_seconds_sum")
    end = {"status": "COMPLETED", "end_date_time": "2026-11-01T10:00:00Z", "last_updated": "2026-11-01T10:00:00Z"}
    assert (await hub_http.http.patch(s1, json=end, headers=network.cpo_headers())).json()["status_code"] == 1000
    later = {"kwh": 10, "last_updated": "2026-11-01T10:00:05Z"}  # a session ends once, however often it is updated
    await hub_http.http.patch(s1, json=later, headers=network.cpo_headers())
    assert value("ocpihub_session_duration_seconds_count") == ended[0] + 1
    assert value("ocpihub_session_duration_seconds_sum") == ended[1] + 7200  # 08:00 to 10:00
    answer = await hub_http.http.post("/ocpi/2.2.1/receiver/cdrs", json=samples.cdr(), headers=network.cpo_headers())
    assert answer.json()["status_code"] == 1000
    await hub_http.http.post("/ocpi/2.2.1/receiver/cdrs", json=samples.cdr(), headers=network.cpo_headers())  # again

    assert value("ocpihub_sessions_created_total") == sessions + 1
    assert value("ocpihub_cdrs_stored_total") == cdrs + 1
    assert value("ocpihub_energy_kwh_total") == energy + 10
    assert value("ocpihub_revenue_total", currency="VND") == revenue + 35000


class Capture(logging.Handler):
    """Every record, formatted at emit time (while the request's context is current) by both JSON formatters."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self._formatters = (facade_logs.JsonFormatter(), core_logs.JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines += [formatter.format(record) for formatter in self._formatters]


@contextmanager
def capturing() -> Iterator[Capture]:
    root = logging.getLogger()
    capture, level = Capture(), root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(level)


async def test_log_lines_are_json_with_the_request_ids_in_facade_and_core(
    hub_http: Hub, network: Network, core_address: str
) -> None:
    network.emsp1.ocpi_status = 2001  # refused for good: a dead letter the operator re-drives below
    with capturing() as capture:
        ids = {"X-Request-ID": "req-obs-1", "X-Correlation-ID": "corr-obs-1"}
        answer = await hub_http.http.delete(hub_http.credentials_url, headers=token_header(network.emsp2_token) | ids)
        assert answer.json()["status_code"] == 1000
        await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
        async with delivery_workers(core_address):
            await network.emsp1.wait_for(lambda: len(network.emsp1.pushes("locations")) == 1)
        dead = deliveries_rpc.ListDeliveriesRequest(state=deliveries_pb2.DELIVERY_STATE_DEAD)
        [letter] = [d async for d in hub_http.core.list_deliveries(dead)]
        token = call_metadata.set((("x-request-id", "req-obs-2"), ("x-correlation-id", "corr-obs-2")))
        try:
            await hub_http.core.retry_delivery(letter.name)
        finally:
            call_metadata.reset(token)

    lines = [json.loads(line) for line in capture.lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert all(line["time"].endswith("+00:00") for line in lines)
    [unregistered] = [line for line in lines if line["logger"] == "facade.credentials.routes" and "request_id" in line]
    assert (unregistered["request_id"], unregistered["correlation_id"]) == ("req-obs-1", "corr-obs-1")
    [redriven] = [line for line in lines if "re-driven" in line["message"] and "request_id" in line]
    assert (redriven["logger"], redriven["request_id"], redriven["correlation_id"]) == (
        "core.deliveries.service",
        "req-obs-2",
        "corr-obs-2",
    )


async def test_no_token_reaches_any_log_line(
    hub_http: Hub,
    start_party: Callable[..., Awaitable[PartySimulator]],
    core_address: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Started first: each simulator is a Litestar app with its default logging, which replaces the root handlers.
    cpo = await start_party(party_id="CPA", name="CP Alpha")
    emsp = await start_party(party_id="EM1", role="EMSP", name="eMobility One", modules=list(EMSP_MODULES))
    if caplog.handler not in logging.getLogger().handlers:
        logging.getLogger().addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    with capturing() as capture:
        token_a, token_c = {}, {}
        for sim in (cpo, emsp):  # the credentials handshake, TOKEN_A → TOKEN_B → TOKEN_C
            token_a[sim.party_id] = await hub_http.invite(sim)
            answer = await hub_http.http.post(
                hub_http.credentials_url, json=sim.credentials(), headers=token_header(token_a[sim.party_id])
            )
            token_c[sim.party_id] = answer.json()["data"]["token"]
        network = Network(cpo, token_c["CPA"], emsp, token_c["EM1"], emsp, token_c["EM1"])
        refused = await hub_http.http.get("/ocpi/versions", headers=token_header(token_a["CPA"]))  # used up
        assert refused.status_code == 401
        async with delivery_workers(core_address):  # a push, delivered with the eMSP's TOKEN_B
            await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
            await emsp.wait_for(lambda: len(emsp.pushes("locations")) == 1)
            # A command, relayed to the CPO with its TOKEN_B.
            answer = await hub_http.http.post(
                f"{COMMANDS}/START_SESSION", json=start_session(network), headers=network.emsp_headers()
            )
            assert answer.json()["status_code"] == 1000

    secrets = [*token_a.values(), *token_c.values(), cpo.token_b, emsp.token_b]
    forms = {form for s in secrets for form in (s, base64.b64encode(s.encode()).decode())}
    forms |= {f"Token {form}" for form in forms}
    assert len(capture.records) > 10 and caplog.records  # the flow did log: the check below means something
    everything = "\n".join(
        [
            caplog.text,
            *capture.lines,
            *(r.getMessage() for r in capture.records),
            *(str(r.args) for r in capture.records),
        ]
    )
    leaked = sorted(form for form in forms if form in everything)
    assert not leaked, f"tokens in the logs: {leaked}"
