"""hubctl events against the real core: one JSON object a line, filters, --since, and --follow."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import asyncpg

from hubclient import HubClient
from tests import internal_tls
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.core.test_events import DEADLINE, push_location, set_status
from tests.core.test_liveness import register

hubctl = test_hubctl.hubctl
FIELDS = ["cursor", "time", "kind", "party", "environment", "subject", "data"]


def lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


async def test_events_prints_one_json_object_a_line_and_filters(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    one = (await register(hub, "EV1")).platform.name
    two = (await register(hub, "EV2")).platform.name
    await push_location(hub, one, "EV1", "LOC1")
    await push_location(hub, two, "EV2", "LOC2")
    await set_status(hub, one, "EV1", "LOC1", "E1", 1)

    result = await hubctl("events", "--json")
    assert result.code == 0, result.stderr
    events = lines(result.stdout)
    assert [e["kind"] for e in events] == [
        "PARTY_REGISTERED",
        "PARTY_REGISTERED",
        "LOCATION_CHANGED",
        "LOCATION_CHANGED",
        "EVSE_STATUS_CHANGED",
    ]
    assert list(events[-1]) == FIELDS
    assert {k: events[-1][k] for k in ("kind", "party", "environment", "subject")} == {
        "kind": "EVSE_STATUS_CHANGED",
        "party": "VN/EV1",
        "environment": "SANDBOX",
        "subject": "locations/VN/EV1/LOC1/evses/E1",
    }
    assert events[-1]["data"] == {
        "location_id": "LOC1",
        "evse_uid": "E1",
        "status": "CHARGING",
        "previous": "AVAILABLE",
    }
    assert str(events[-1]["time"]).endswith("Z")

    by_party = lines((await hubctl("events", "--party", "vn/ev2", "--json")).stdout)
    assert [(e["kind"], e["party"]) for e in by_party] == [
        ("PARTY_REGISTERED", "VN/EV2"),
        ("LOCATION_CHANGED", "VN/EV2"),
    ]
    by_kind = lines((await hubctl("events", "--kind", "location_changed", "evse_status_changed", "--json")).stdout)
    assert [e["kind"] for e in by_kind] == ["LOCATION_CHANGED", "LOCATION_CHANGED", "EVSE_STATUS_CHANGED"]
    since = lines((await hubctl("events", "--since", str(events[2]["cursor"]), "--json")).stdout)
    assert [e["cursor"] for e in since] == [e["cursor"] for e in events[3:]]

    text = await hubctl("events", "--kind", "EVSE_STATUS_CHANGED")
    assert text.code == 0 and "EVSE_STATUS_CHANGED" in text.stdout and f"cursor={events[-1]['cursor']}" in text.stdout
    assert (await hubctl("events", "--kind", "NOT_A_KIND")).code == 2
    refused = await hubctl("events", "--since", "not-a-cursor")
    assert refused.code == 1 and "after_cursor" in refused.stderr


async def test_events_follow_prints_new_events_as_they_are_committed(
    core_address: str, hub: HubClient, db: asyncpg.Pool
) -> None:
    caller = (await register(hub, "EV1")).platform.name
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")} | internal_tls.client_env(
        internal_tls.session_dir(), "operator"
    )
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "hubctl", "--core", core_address, "events", "--follow", "--json"],
        *["--kind", "EVSE_STATUS_CHANGED"],
        stdout=asyncio.subprocess.PIPE,
        env=environ,
    )
    try:
        assert process.stdout is not None
        await push_location(hub, caller, "EV1", "LOC1")
        await set_status(hub, caller, "EV1", "LOC1", "E1", 1)
        async with asyncio.timeout(DEADLINE):
            first = json.loads(await process.stdout.readline())
        assert (first["kind"], first["data"]["status"]) == ("EVSE_STATUS_CHANGED", "CHARGING")
        await set_status(hub, caller, "EV1", "LOC1", "E1", 2)
        async with asyncio.timeout(DEADLINE):
            second = json.loads(await process.stdout.readline())
        assert second["data"]["status"] == "AVAILABLE"
        assert process.returncode is None  # still following
    finally:
        process.terminate()
        await process.wait()
