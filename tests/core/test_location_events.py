"""What a location write tells the event stream (core/locations/events.py): pure, no I/O."""

from __future__ import annotations

from datetime import timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from core.events.model import Kind
from core.locations.events import location_events
from core.settings import Settings
from ocpihub.locations.v1 import locations_pb2 as pb
from tests.conftest import TOKEN_KEY


def location(
    status: pb.EvseStatus.ValueType = pb.EVSE_STATUS_AVAILABLE, amperage: int = 32, name: str = "A", at: int = 0
) -> pb.Location:
    stamp = Timestamp(seconds=1_790_000_000 + at)
    connector = pb.Connector(id="1", max_amperage=amperage, last_updated=stamp)
    evse = pb.Evse(uid="E1", status=status, connectors=[connector], last_updated=stamp)
    return pb.Location(country_code="vn", party_id="cpa", id="LOC1", name=name, evses=[evse], last_updated=stamp)


def test_each_kind_of_change_is_told_once_and_last_updated_alone_is_none() -> None:
    assert [(e.kind, e.data["result"]) for e in location_events(None, location())] == [
        (Kind.LOCATION_CHANGED, "CREATED")
    ]
    assert location_events(location(), location(at=60)) == []
    [status] = location_events(location(), location(pb.EVSE_STATUS_CHARGING, at=60))
    assert (status.kind, status.party, status.subject) == (
        Kind.EVSE_STATUS_CHANGED,
        "VN/CPA",
        "locations/VN/CPA/LOC1/evses/E1",
    )
    [connector] = location_events(location(), location(amperage=16))
    assert (connector.kind, connector.subject, connector.data["changed"]) == (
        Kind.CONNECTOR_STATUS_CHANGED,
        "locations/VN/CPA/LOC1/evses/E1/connectors/1",
        ["max_amperage"],
    )
    everything = location_events(location(), location(pb.EVSE_STATUS_CHARGING, amperage=16, name="B"))
    assert [e.kind for e in everything] == [
        Kind.EVSE_STATUS_CHANGED,
        Kind.CONNECTOR_STATUS_CHANGED,
        Kind.LOCATION_CHANGED,
    ]


def test_retention_is_hub_event_retention_seconds_and_a_week_by_default() -> None:
    environ = {"HUB_DATABASE_URL": "postgresql://127.0.0.1/hub", "HUB_TOKEN_KEYS": TOKEN_KEY}
    assert Settings.from_env(environ).event_retention == timedelta(days=7)
    assert Settings.from_env(environ | {"HUB_EVENT_RETENTION_SECONDS": "3600"}).event_retention == timedelta(hours=1)
