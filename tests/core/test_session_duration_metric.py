"""ocpihub_session_duration_seconds (R10.5): observed once, when a session the core stores becomes COMPLETED."""

from __future__ import annotations

from prometheus_client import REGISTRY

from hubclient import HubClient
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.sessions.v1 import sessions_service_pb2 as sessions_rpc
from tests.clients.test_hubctl_network import register
from tests.core.test_billing_service import stamp


def observed() -> tuple[float, float]:
    count = REGISTRY.get_sample_value("ocpihub_session_duration_seconds_count") or 0
    total = REGISTRY.get_sample_value("ocpihub_session_duration_seconds_sum") or 0
    return count, total


async def test_a_completed_session_is_observed_once_with_its_duration(hub: HubClient) -> None:
    cpo = await register(hub, "CPD", pb.ROLE_CPO)
    await register(hub, "EMD", pb.ROLE_EMSP, "sessions")
    session = sessions_pb2.Session(
        country_code="VN",
        party_id="CPD",
        id="S1",
        start_date_time=stamp("2026-11-01T08:00:00Z"),
        kwh="5",
        cdr_token=sessions_pb2.CdrToken(country_code="VN", party_id="EMD", uid="U1", contract_id="C1"),
        auth_method=sessions_pb2.AUTH_METHOD_WHITELIST,
        location_id="LOC1",
        evse_uid="E1",
        connector_id="1",
        currency="VND",
        status=sessions_pb2.SESSION_STATUS_ACTIVE,
        last_updated=stamp("2026-11-01T08:00:00Z"),
    )

    async def push() -> None:
        relay = deliveries_pb2.Message(module="sessions", method="PUT", path="S1", body=b"{}")
        await hub.update_session(
            sessions_rpc.UpdateSessionRequest(session=session, allow_missing=True, caller_platform=cpo, relay=relay)
        )

    before = observed()
    await push()
    assert observed() == before  # still charging
    session.status = sessions_pb2.SESSION_STATUS_COMPLETED
    session.end_date_time.CopyFrom(stamp("2026-11-01T09:30:00Z"))
    session.last_updated.CopyFrom(stamp("2026-11-01T09:30:00Z"))
    await push()
    assert observed() == (before[0] + 1, before[1] + 5400)
    session.kwh = "5.5"  # a later correction of the completed session is not a second end
    session.last_updated.CopyFrom(stamp("2026-11-01T09:31:00Z"))
    await push()
    assert observed() == (before[0] + 1, before[1] + 5400)
