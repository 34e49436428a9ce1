"""The event stream (issue 14): one order across core replicas, no event skipped when a transaction commits late,
resume from a cursor after a dropped connection, filters, retention. Real cores, real PostgreSQL, real gRPC."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator, Callable

import asyncpg
import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp

from core.events.model import Cursor, Filters, Kind, NewEvent
from core.events.repository import EventRepository
from core.server import CoreServer, create_server
from core.settings import Settings
from hubclient import HubClient, HubError
from ocpihub.events.v1 import events_pb2 as pb
from ocpihub.events.v1 import events_service_pb2 as rpc
from ocpihub.locations.v1 import locations_pb2 as loc
from ocpihub.locations.v1 import locations_service_pb2 as loc_rpc
from ocpihub.parties.v1 import parties_pb2 as party_pb
from ocpihub.parties.v1 import parties_service_pb2 as party_rpc
from tests import internal_tls
from tests.core.test_liveness import register

DEADLINE = 120.0  # generous: any open transaction on the same PostgreSQL (other databases too) holds the stream back
# Odd writes start charging, even ones end it.
STATUSES = [loc.EVSE_STATUS_AVAILABLE, loc.EVSE_STATUS_CHARGING]


@pytest.fixture
async def second_core(core_settings: Settings, db: asyncpg.Pool) -> AsyncIterator[tuple[CoreServer, str]]:
    """Another core replica on the same database, as in a scaled-out deployment."""
    server, port = await create_server(dataclasses.replace(core_settings, grpc_port=0))
    await server.start()
    yield server, f"127.0.0.1:{port}"
    await server.stop(grace=1.0)


def stamp(seconds: int) -> Timestamp:
    return Timestamp(seconds=1_790_000_000 + seconds)


async def push_location(hub: HubClient, caller: str, party_id: str, location_id: str, evses: int = 2) -> None:
    location = loc.Location(
        country_code="VN",
        party_id=party_id,
        id=location_id,
        publish=True,
        name=location_id,
        address="1 Le Loi",
        city="Hanoi",
        country="VNM",
        coordinates=loc.GeoLocation(latitude="21.0", longitude="105.8"),
        time_zone="Asia/Ho_Chi_Minh",
        last_updated=stamp(0),
        evses=[
            loc.Evse(
                uid=f"E{n}",
                status=loc.EVSE_STATUS_AVAILABLE,
                last_updated=stamp(0),
                connectors=[
                    loc.Connector(
                        id="1",
                        standard=loc.CONNECTOR_TYPE_IEC_62196_T2,
                        format=loc.CONNECTOR_FORMAT_SOCKET,
                        power_type=loc.POWER_TYPE_AC_3_PHASE,
                        max_voltage=400,
                        max_amperage=32,
                        last_updated=stamp(0),
                    )
                ],
            )
            for n in range(evses)
        ],
    )
    await hub.update_location(
        loc_rpc.UpdateLocationRequest(location=location, allow_missing=True, caller_platform=caller)
    )


async def set_status(hub: HubClient, caller: str, party_id: str, location_id: str, evse: str, n: int) -> None:
    """The hot path: a PATCH of an EVSE's status (n orders the writes: each is newer than the last)."""
    await hub.update_evse(
        loc_rpc.UpdateEvseRequest(
            parent=f"locations/VN/{party_id}/{location_id}",
            evse=loc.Evse(uid=evse, status=STATUSES[n % 2], last_updated=stamp(n)),
            update_mask=FieldMask(paths=["status", "last_updated"]),
            caller_platform=caller,
        )
    )


async def collect(
    hub: HubClient,
    until: Callable[[list[pb.Event]], bool],
    request: rpc.StreamEventsRequest | None = None,
    *,
    into: list[pb.Event] | None = None,
) -> list[pb.Event]:
    """Follows the stream until `until` holds for what arrived (or fails at the deadline)."""
    follow = rpc.StreamEventsRequest(follow=True)
    if request is not None:
        follow.MergeFrom(request)
    events: list[pb.Event] = [] if into is None else into
    async with asyncio.timeout(DEADLINE):
        async for event in hub.stream_events(follow):
            events.append(event)
            if until(events):
                return events
    raise AssertionError("a followed stream ended")


async def read_all(hub: HubClient, **filters: object) -> list[pb.Event]:
    """What a reader without --follow gets now."""
    return [event async for event in hub.stream_events(rpc.StreamEventsRequest(**filters))]  # type: ignore[arg-type]


def kinds(events: list[pb.Event]) -> list[str]:
    return [pb.EventKind.Name(event.kind).removeprefix("EVENT_KIND_") for event in events]


def statuses(events: list[pb.Event]) -> list[tuple[str, str]]:
    return [
        (event.subject, event.data["status"]) for event in events if event.kind == pb.EVENT_KIND_EVSE_STATUS_CHANGED
    ]


def cursor_key(event: pb.Event) -> tuple[int, int]:
    xid, seq = event.cursor.split("-")
    return int(xid), int(seq)


async def test_a_status_change_is_told_with_its_party_environment_subject_and_data(
    hub: HubClient, db: asyncpg.Pool
) -> None:
    caller = (await register(hub, "EV1")).platform.name
    await push_location(hub, caller, "EV1", "LOC1")
    await set_status(hub, caller, "EV1", "LOC1", "E1", 1)
    events = await collect(hub, lambda got: pb.EVENT_KIND_EVSE_STATUS_CHANGED in [e.kind for e in got])
    assert kinds(events) == ["PARTY_REGISTERED", "LOCATION_CHANGED", "EVSE_STATUS_CHANGED"]
    status = events[-1]
    assert (status.party, status.environment, status.subject) == ("VN/EV1", "SANDBOX", "locations/VN/EV1/LOC1/evses/E1")
    assert dict(status.data) == {"location_id": "LOC1", "evse_uid": "E1", "status": "CHARGING", "previous": "AVAILABLE"}
    assert events[1].data["result"] == "CREATED"
    # The same PATCH again changes nothing, so it tells nothing; nor does a change of last_updated alone.
    await set_status(hub, caller, "EV1", "LOC1", "E1", 1)
    await set_status(hub, caller, "EV1", "LOC1", "E1", 3)
    await set_status(hub, caller, "EV1", "LOC1", "E1", 4)
    events = await collect(hub, lambda got: len(statuses(got)) == 2)
    assert statuses(events) == [
        ("locations/VN/EV1/LOC1/evses/E1", "CHARGING"),
        ("locations/VN/EV1/LOC1/evses/E1", "AVAILABLE"),
    ]


async def test_two_replicas_one_order_and_a_transaction_committing_late_is_not_skipped(
    hub: HubClient, db: asyncpg.Pool, second_core: tuple[CoreServer, str]
) -> None:
    caller = (await register(hub, "EV1")).platform.name
    await push_location(hub, caller, "EV1", "LOC1")
    await push_location(hub, caller, "EV1", "LOC2")
    start = (await read_all(hub))[-1].cursor
    after_start = rpc.StreamEventsRequest(after_cursor=start)
    async with HubClient(second_core[1]) as other:
        # A follower on each replica, from the same cursor.
        seen_here: list[pb.Event] = []
        seen_there: list[pb.Event] = []
        until = lambda got: len(got) == 17  # noqa: E731
        followers = [
            asyncio.create_task(collect(hub, until, after_start, into=seen_here)),
            asyncio.create_task(collect(other, until, after_start, into=seen_there)),
        ]
        # A transaction that wrote its event and has not committed yet, as a replica's slow one would be.
        held = await db.acquire()
        transaction = held.transaction()
        await transaction.start()
        try:
            late = NewEvent(Kind.LOCATION_CHANGED, "VN/EV1", "locations/VN/EV1/LATE", {"result": "UPDATED"})
            await EventRepository(held).record([late])
            # Meanwhile both replicas commit status changes, concurrently.
            await asyncio.gather(changes(hub, caller, "LOC1"), changes(other, caller, "LOC2"))
            committed = await db.fetchval("SELECT count(*) FROM events WHERE kind = 'EVSE_STATUS_CHANGED'")
            assert committed == 16
            # They are committed, but a cursor past them would skip the late event: no reader may see them yet.
            async with db.acquire() as conn:
                repo = EventRepository(conn)
                assert await repo.read(Cursor.parse(start), await repo.horizon(), Filters(), 100) == []
            assert seen_here == seen_there == []
            # A reader without --follow asks now: it gets what committed before it asked, the late event included.
            snapshot = asyncio.create_task(read_all(other, after_cursor=start))
        finally:
            await transaction.commit()
            await db.release(held)
        await asyncio.gather(*followers)
        read_once = await snapshot
    # Both replicas stream the same events in the same order, each once, the late one first (it began first).
    assert [e.cursor for e in seen_here] == [e.cursor for e in seen_there]
    assert len({e.cursor for e in seen_here}) == 17
    assert seen_here[0].subject == "locations/VN/EV1/LATE"
    assert [e.cursor for e in read_once] == [e.cursor for e in seen_here]
    assert [cursor_key(e) for e in seen_here] == sorted(cursor_key(e) for e in seen_here)
    # Each location's statuses in the order they were written, whichever replica wrote them.
    for location in ("LOC1", "LOC2"):
        mine = [(s, status) for s, status in statuses(seen_here) if f"/{location}/" in s]
        assert [status for _, status in mine] == ["CHARGING", "AVAILABLE"] * 4


async def changes(hub: HubClient, caller: str, location_id: str) -> None:
    """Eight status changes of one EVSE, one after the other (each newer than the last)."""
    for n in range(1, 9):
        await set_status(hub, caller, "EV1", location_id, "E1", n)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_a_reader_resumes_from_its_cursor_after_the_connection_drops(
    hub: HubClient, db: asyncpg.Pool, core_settings: Settings
) -> None:
    caller = (await register(hub, "EV1")).platform.name
    await push_location(hub, caller, "EV1", "LOC1")
    # A client that hung up after two events comes back with the second one's cursor.
    async with HubClient(hub.address) as first:
        received = await collect(first, lambda got: len(got) == 2)
    await set_status(hub, caller, "EV1", "LOC1", "E1", 1)
    await set_status(hub, caller, "EV1", "LOC1", "E0", 3)
    resumed = await collect(hub, lambda got: len(got) == 2, rpc.StreamEventsRequest(after_cursor=received[-1].cursor))
    assert statuses(resumed) == [
        ("locations/VN/EV1/LOC1/evses/E1", "CHARGING"),
        ("locations/VN/EV1/LOC1/evses/E0", "CHARGING"),
    ]

    # The replica a follower is on goes away mid-stream: the client comes back (here: to its successor on the same
    # address) from its last cursor, and gets what was committed meanwhile, once.
    port = free_port()
    settings = dataclasses.replace(core_settings, grpc_port=port)
    replica, _ = await create_server(settings)
    await replica.start()
    got: list[pb.Event] = []
    three = asyncio.Event()

    async def follow() -> None:
        async with HubClient(f"127.0.0.1:{port}") as client:
            async for event in client.stream_events(
                rpc.StreamEventsRequest(after_cursor=resumed[-1].cursor, follow=True)
            ):
                got.append(event)
                if len(got) == 1 or len(got) == 3:
                    three.set()

    follower = asyncio.create_task(follow())
    try:
        await set_status(hub, caller, "EV1", "LOC1", "E1", 4)
        async with asyncio.timeout(DEADLINE):
            await three.wait()
        three.clear()
        await replica.stop(grace=1.0)
        await set_status(hub, caller, "EV1", "LOC1", "E1", 5)
        await set_status(hub, caller, "EV1", "LOC1", "E0", 6)
        replica, _ = await create_server(settings)
        await replica.start()
        async with asyncio.timeout(DEADLINE):
            await three.wait()
    finally:
        follower.cancel()
        await replica.stop(grace=1.0)
    assert [status for _, status in statuses(got)] == ["AVAILABLE", "CHARGING", "AVAILABLE"]
    assert len({e.cursor for e in got}) == 3


async def test_filters_by_kind_party_and_environment(hub: HubClient, db: asyncpg.Pool) -> None:
    one = (await register(hub, "EV1")).platform.name
    two = (await register(hub, "EV2")).platform.name
    await push_location(hub, one, "EV1", "LOC1")
    await push_location(hub, two, "EV2", "LOC2")
    await set_status(hub, one, "EV1", "LOC1", "E1", 1)
    await set_status(hub, two, "EV2", "LOC2", "E1", 1)
    await hub.invite_party(
        party_rpc.InvitePartyRequest(
            country_code="VN",
            party_id="PRD",
            role=party_pb.ROLE_CPO,
            display_name="Production CPO",
            environment=party_pb.ENVIRONMENT_PRODUCTION,
        )
    )
    production = NewEvent(Kind.PARTY_SUSPENDED, "VN/PRD", "parties/VN/PRD/CPO", {"role": "CPO"})
    async with db.acquire() as conn:
        await EventRepository(conn).record([production])
    everything = await collect(hub, lambda got: len(got) == 7)
    assert kinds(everything).count("EVSE_STATUS_CHANGED") == 2

    status_only = rpc.StreamEventsRequest(kinds=[pb.EVENT_KIND_EVSE_STATUS_CHANGED])
    assert [e.party for e in await collect(hub, lambda got: len(got) == 2, status_only)] == ["VN/EV1", "VN/EV2"]
    of_two = await read_all(hub, parties=["vn/ev2"])
    assert kinds(of_two) == ["PARTY_REGISTERED", "LOCATION_CHANGED", "EVSE_STATUS_CHANGED"]
    assert {e.party for e in of_two} == {"VN/EV2"}
    both = await read_all(
        hub, parties=["VN/EV2"], kinds=[pb.EVENT_KIND_LOCATION_CHANGED, pb.EVENT_KIND_PARTY_SUSPENDED]
    )
    assert kinds(both) == ["LOCATION_CHANGED"]
    assert [(e.party, e.environment) for e in await read_all(hub, environment="production")] == [
        ("VN/PRD", "PRODUCTION")
    ]
    assert len(await read_all(hub, environment="SANDBOX")) == 6
    # A filtered follower skips what does not match and still gets what does, as it comes.
    await set_status(hub, one, "EV1", "LOC1", "E1", 2)
    await set_status(hub, two, "EV2", "LOC2", "E1", 2)
    latest = await collect(
        hub, lambda got: len(got) == 1, rpc.StreamEventsRequest(after_cursor=everything[-1].cursor, parties=["VN/EV2"])
    )
    assert statuses(latest) == [("locations/VN/EV2/LOC2/evses/E1", "AVAILABLE")]


async def test_a_cursor_or_filter_the_stream_never_made_is_refused(hub: HubClient, db: asyncpg.Pool) -> None:
    for request in (
        rpc.StreamEventsRequest(after_cursor="yesterday"),
        rpc.StreamEventsRequest(parties=["VNEV1"]),
        rpc.StreamEventsRequest(environment="staging"),
    ):
        with pytest.raises(HubError) as refused:
            await read_all(hub, **{f.name: v for f, v in request.ListFields()})
        assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT


async def test_events_past_retention_are_purged(hub: HubClient, db: asyncpg.Pool, core: tuple[CoreServer, int]) -> None:
    caller = (await register(hub, "EV1")).platform.name
    await push_location(hub, caller, "EV1", "LOC1")
    await set_status(hub, caller, "EV1", "LOC1", "E1", 1)
    await collect(hub, lambda got: len(got) == 3)
    # The registration and the location are 8 days old: past the 7 days of HUB_EVENT_RETENTION_SECONDS.
    await db.execute("UPDATE events SET event_time = now() - interval '8 days' WHERE kind <> 'EVSE_STATUS_CHANGED'")
    assert await core[0].events.purge() == 2
    assert kinds(await read_all(hub)) == ["EVSE_STATUS_CHANGED"]


async def test_analysts_billing_and_the_dashboard_may_stream_and_the_facade_may_not(
    core_address: str, hub: HubClient, db: asyncpg.Pool
) -> None:
    await register(hub, "EV1")
    for role in ("analyst", "billing"):
        async with HubClient(core_address, tls=internal_tls.session_client(role)) as reader:
            assert kinds(await read_all(reader)) == ["PARTY_REGISTERED"]
    dashboard = internal_tls.session_client("dashboard")
    async with HubClient(core_address, tls=dashboard, person="mai@hub.vn", acting_role="analyst") as signed_in:
        assert kinds(await read_all(signed_in)) == ["PARTY_REGISTERED"]
    async with HubClient(core_address, tls=internal_tls.session_client("facade")) as facade:
        with pytest.raises(HubError) as refused:
            await read_all(facade)
    assert refused.value.code == grpc.StatusCode.PERMISSION_DENIED
    # A refused read is no admin action.
    method = "%StreamEvents"
    assert await db.fetchval("SELECT count(*) FROM security_events WHERE detail->>'method' LIKE $1", method) == 0


async def test_a_platform_failing_its_alive_check_makes_its_parties_unreachable(
    hub: HubClient, db: asyncpg.Pool
) -> None:
    checked = await register(hub, "EV1")
    await hub.report_alive_check(checked.platform.name, reachable=False, detail="GET timed out")
    await hub.report_alive_check(checked.platform.name, reachable=False, detail="still down")  # no change: told once
    await hub.report_alive_check(checked.platform.name, reachable=True)
    await hub.report_alive_check(checked.platform.name, reachable=False, detail="down again")
    unreachable = rpc.StreamEventsRequest(kinds=[pb.EVENT_KIND_PARTY_UNREACHABLE])
    events = await collect(hub, lambda got: len(got) == 2, unreachable)
    assert [(e.party, e.subject, e.data["role"]) for e in events] == [("VN/EV1", "parties/VN/EV1/CPO", "CPO")] * 2
    assert len(await read_all(hub, kinds=[pb.EVENT_KIND_PARTY_UNREACHABLE])) == 2
