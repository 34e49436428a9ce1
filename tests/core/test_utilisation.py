"""Utilisation from a scripted status history, over the real core, against figures worked out by hand."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import asyncpg
import pytest

from hubclient import HubClient
from ocpihub.analytics.v1 import analytics_service_pb2 as rpc
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.locations.v1 import locations_pb2 as loc
from ocpihub.locations.v1 import locations_service_pb2 as locations_rpc
from ocpihub.parties.v1 import parties_pb2 as pb
from tests import internal_tls
from tests.clients.test_hubctl import Hubctl, hubctl
from tests.clients.test_hubctl_network import register
from tests.core.test_billing_service import stamp

__all__ = ["hubctl"]  # the fixture

A, C, OUT = loc.EVSE_STATUS_AVAILABLE, loc.EVSE_STATUS_CHARGING, loc.EVSE_STATUS_OUTOFORDER
# What the CPO reports, in push order: (last_updated, E1's status, E2's status or None while E2 does not exist).
SCRIPT = [
    ("2026-11-01T10:00:00Z", A, None),  # before the period: E1's state at its start
    ("2026-11-01T20:00:00Z", C, None),
    ("2026-11-01T23:00:00Z", A, None),
    ("2026-11-02T05:00:00Z", OUT, None),  # out of order: counts for neither side
    ("2026-11-02T07:00:00Z", A, None),
    ("2026-11-02T11:00:00Z", A, C),  # E2 first reported: time before it is unknown, not counted
    ("2026-11-02T14:00:00Z", A, A),
    ("2026-11-02T16:00:00Z", C, A),  # charges past the period's end: clipped
    ("2026-11-02T20:00:00Z", A, A),  # after the period
]
# 2 November 2026 in Ho Chi Minh City (UTC+7): 2026-11-01T17:00Z to 2026-11-02T17:00Z.
# E1: AVAILABLE 17-20 (3 h), CHARGING 20-23 (3 h), AVAILABLE 23-05 (6 h), OUTOFORDER 05-07, AVAILABLE 07-16 (9 h),
#     CHARGING 16-17 (1 h): 4 h charging of 22 h usable = 0.1818.
# E2: CHARGING 11-14 (3 h), AVAILABLE 14-17 (3 h): 3 of 6 = 0.5. The location: 7 of 28 = 0.25.


@pytest.fixture
async def history(hub: HubClient, db: asyncpg.Pool) -> None:
    platform = await register(hub, "CPU", pb.ROLE_CPO)
    for when, e1, e2 in SCRIPT:
        evses = [loc.Evse(uid="E1", status=e1, last_updated=stamp(when))]
        if e2 is not None:
            evses.append(loc.Evse(uid="E2", status=e2, last_updated=stamp(when)))
        location = loc.Location(
            country_code="VN",
            party_id="CPU",
            id="LOC1",
            publish=True,
            city="Ha Noi",
            country="VNM",
            coordinates=loc.GeoLocation(latitude="21.00000", longitude="105.00000"),
            time_zone="Asia/Ho_Chi_Minh",
            evses=evses,
            last_updated=stamp(when),
        )
        await hub.update_location(
            locations_rpc.UpdateLocationRequest(
                location=location,
                allow_missing=True,
                caller_platform=platform,
                relay=deliveries_pb2.Message(module="locations", method="PUT", path="VN/CPU/LOC1", body=b"{}"),
            )
        )


async def utilisation(
    hub: HubClient, start: str, end: str, by: rpc.UtilisationGrouping.ValueType, **extra: str
) -> dict[str, tuple[str, str, str]]:
    request = rpc.GetUtilisationRequest(to=stamp(end), group_by=by, **extra)
    getattr(request, "from").CopyFrom(stamp(start))
    answer = await hub.get_utilisation(request)
    rows = {row.key: (row.charging_hours, row.usable_hours, row.utilisation) for row in answer.rows}
    rows["TOTAL"] = (answer.total.charging_hours, answer.total.usable_hours, answer.total.utilisation)
    return rows


@pytest.mark.usefixtures("history")
async def test_utilisation_per_evse_and_location_equals_the_hand_computed_values(hub: HubClient) -> None:
    day = ("2026-11-01T17:00:00Z", "2026-11-02T17:00:00Z")
    per_evse = await utilisation(hub, *day, rpc.UTILISATION_GROUPING_EVSE, party="VN/CPU")
    assert per_evse == {
        "VN/CPU/LOC1/E1": ("4.0000", "22.0000", "0.1818"),
        "VN/CPU/LOC1/E2": ("3.0000", "6.0000", "0.5000"),
        "TOTAL": ("7.0000", "28.0000", "0.2500"),
    }
    per_location = await utilisation(hub, *day, rpc.UTILISATION_GROUPING_LOCATION, location="VN/CPU/LOC1")
    assert per_location["VN/CPU/LOC1"] == ("7.0000", "28.0000", "0.2500")
    # Stored facts only: asking again gives the same answer.
    assert await utilisation(hub, *day, rpc.UTILISATION_GROUPING_EVSE, party="VN/CPU") == per_evse


@pytest.mark.usefixtures("history")
async def test_utilisation_per_day_cuts_days_in_the_hubs_time_zone(hub: HubClient) -> None:
    # 1 and 2 November in Ho Chi Minh City. On the 1st E1 was AVAILABLE from its first report (10:00Z) to 17:00Z.
    per_day = await utilisation(hub, "2026-10-31T17:00:00Z", "2026-11-02T17:00:00Z", rpc.UTILISATION_GROUPING_DAY)
    assert per_day == {
        "2026-11-01": ("0.0000", "7.0000", "0.0000"),
        "2026-11-02": ("7.0000", "28.0000", "0.2500"),
        "TOTAL": ("7.0000", "35.0000", "0.2000"),
    }


@pytest.mark.usefixtures("history")
async def test_hubctl_analytics_utilisation(hubctl: Hubctl) -> None:
    result = await hubctl(
        "analytics", "utilisation", "--from", "2026-11-02", "--to", "2026-11-03", "--by", "evse", "--json"
    )
    assert result.code == 0, result.stderr
    rows = {row["key"]: row["utilisation"] for row in json.loads(result.stdout)["rows"]}
    assert rows == {"VN/CPU/LOC1/E1": "0.1818", "VN/CPU/LOC1/E2": "0.5000"}
    table = await hubctl("analytics", "utilisation", "--from", "2026-11-02", "--to", "2026-11-03", "--by", "location")
    assert table.code == 0, table.stderr
    assert "VN/CPU/LOC1" in table.stdout and "0.2500" in table.stdout


@pytest.mark.usefixtures("history")
async def test_the_readmes_python_example_runs_as_an_analyst(core_address: str, tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    [example] = [
        block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "GetUtilisationRequest" in block
    ]
    pki = internal_tls.session_dir()
    script = (
        example.replace("hub-core.internal:50051", core_address)
        .replace('"analyst.crt"', repr(str(pki / "analyst.crt")))
        .replace('"analyst.key"', repr(str(pki / "analyst.key")))
        .replace('"ca.crt"', repr(str(pki / "ca.crt")))
        .replace('stamp("2026-11-01")', 'stamp("2026-11-02")')
        .replace('stamp("2026-12-01")', 'stamp("2026-11-03")')
        .replace('party="VN/CPA"', 'party="VN/CPU"')
    )
    (tmp_path / "example.py").write_text(script)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(tmp_path / "example.py"), stdout=PIPE, stderr=PIPE, env=environ
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert "VN/CPU/LOC1 7.0000 28.0000 0.2500" in stdout.decode()
