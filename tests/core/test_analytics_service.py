"""Analytics over the real core, on the October 2026 month of the billing tests: by party, location and day."""

from __future__ import annotations

import asyncpg
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from hubclient import HubClient, HubError
from ocpihub.analytics.v1 import analytics_service_pb2 as rpc
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.cdrs.v1 import cdrs_service_pb2 as cdrs_rpc
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.locations.v1 import locations_pb2 as loc
from ocpihub.locations.v1 import locations_service_pb2 as locations_rpc
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.tariffs.v1 import tariffs_pb2 as tar
from tests.core.test_billing_service import energy_tariff, month, stamp

__all__ = ["month"]  # the fixture, shared with the billing tests


def window(start: str, end: str) -> tuple[Timestamp, Timestamp]:
    return stamp(start), stamp(end)


async def usage(hub: HubClient, by: rpc.Grouping.ValueType, **extra: str) -> rpc.GetUsageResponse:
    start, end = window("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")
    request = rpc.GetUsageRequest(to=end, group_by=by, **extra)
    getattr(request, "from").CopyFrom(start)
    return await hub.get_usage(request)


def revenue(row: rpc.UsageRow) -> dict[str, str]:
    return {r.currency: r.amount for r in row.revenue}


@pytest.mark.usefixtures("month")
async def test_usage_per_cpo(hub: HubClient, db: asyncpg.Pool) -> None:
    cp1 = await db.fetchval("SELECT platform_id FROM parties WHERE party_id = 'CP1'")
    location = loc.Location(
        country_code="VN",
        party_id="CP1",
        id="LOC1",
        publish=True,
        city="Ha Noi",
        country="VNM",
        coordinates=loc.GeoLocation(latitude="21.00000", longitude="105.00000"),
        time_zone="Asia/Ho_Chi_Minh",
        evses=[
            loc.Evse(uid="E1", status=loc.EVSE_STATUS_AVAILABLE),
            loc.Evse(uid="E2", status=loc.EVSE_STATUS_CHARGING),
        ],
        last_updated=stamp("2026-10-01T00:00:00Z"),
    )
    await hub.update_location(
        locations_rpc.UpdateLocationRequest(
            location=location,
            allow_missing=True,
            caller_platform=f"platforms/{cp1}",
            relay=deliveries_pb2.Message(module="locations", method="PUT", path="VN/CP1/LOC1", body=b"{}"),
        )
    )
    answer = await usage(hub, rpc.GROUPING_PARTY)
    rows = {row.key: row for row in answer.rows}
    assert sorted(rows) == ["VN/CP1", "VN/CP2", "VN/CP3"]
    assert (rows["VN/CP1"].sessions, rows["VN/CP1"].energy) == (2, "11")
    assert revenue(rows["VN/CP1"]) == {"EUR": "1.00", "VND": "35000"}
    assert rows["VN/CP1"].average_duration_hours == "1.0000"
    # 2 charging hours over 2 EVSEs x 744 hours of October.
    assert rows["VN/CP1"].utilisation == "0.0013"
    assert rows["VN/CP2"].utilisation == ""  # no EVSE of CP2 is known
    assert (answer.total.sessions, answer.total.energy) == (4, "21.333")
    assert revenue(answer.total) == {"EUR": "3.59", "VND": "46665.5"}


@pytest.mark.usefixtures("month")
async def test_usage_per_location_and_per_local_day(hub: HubClient) -> None:
    by_location = await usage(hub, rpc.GROUPING_LOCATION, party="VN/CP1")
    assert [(row.key, row.sessions) for row in by_location.rows] == [("VN/CP1/LOC1", 2)]
    by_day = await usage(hub, rpc.GROUPING_DAY)
    # The sessions ended at 09:00 UTC = 16:00 in Ho Chi Minh City: one local day.
    assert [(row.key, row.sessions) for row in by_day.rows] == [("2026-10-10", 4)]


async def test_bad_requests_name_the_field(hub: HubClient, db: asyncpg.Pool) -> None:
    with pytest.raises(HubError) as zone:
        await usage(hub, rpc.GROUPING_DAY, time_zone="Mars/Olympus")
    assert zone.value.reason == "INVALID_FIELD"
    with pytest.raises(HubError) as party:
        await usage(hub, rpc.GROUPING_PARTY, party="CP1")
    assert party.value.field_violations[0][0] == "party"


@pytest.mark.usefixtures("month")
async def test_usage_shows_reported_and_verified_figures_and_their_difference(hub: HubClient, db: asyncpg.Pool) -> None:
    cp1 = await db.fetchval("SELECT 'platforms/' || platform_id FROM parties WHERE party_id = 'CP1'")
    # 10 kWh at 3500 VND/kWh is 35000 VND; the CPO reports 30000: kept (HUB_CDR_MISMATCH_POLICY=accept), flagged.
    cdr = cdrs_pb2.Cdr(
        country_code="VN",
        party_id="CP1",
        id="LOW",
        start_date_time=stamp("2026-10-10T08:00:00Z"),
        end_date_time=stamp("2026-10-10T09:00:00Z"),
        cdr_token=sessions_pb2.CdrToken(country_code="VN", party_id="EM1", uid="U1", contract_id="C1"),
        cdr_location=cdrs_pb2.CdrLocation(id="LOC1"),
        currency="VND",
        tariffs=[energy_tariff("VND", "3500", tar.TARIFF_DIMENSION_TYPE_ENERGY)],
        charging_periods=[
            sessions_pb2.ChargingPeriod(
                start_date_time=stamp("2026-10-10T08:00:00Z"),
                dimensions=[sessions_pb2.CdrDimension(type=sessions_pb2.CDR_DIMENSION_TYPE_ENERGY, volume="10")],
            )
        ],
        total_cost=tar.Price(excl_vat="30000"),
        total_energy="10",
        last_updated=stamp("2026-10-10T09:00:00Z"),
    )
    relay = deliveries_pb2.Message(module="cdrs", method="POST", path="", body=b"{}")
    answer = await hub.create_cdr(cdrs_rpc.CreateCdrRequest(cdr=cdr, caller_platform=cp1, relay=relay))
    assert answer.verification.state == cdrs_pb2.VERIFICATION_STATE_MISMATCH

    rows = {row.key: row for row in (await usage(hub, rpc.GROUPING_PARTY)).rows}
    cp1_row = rows["VN/CP1"]
    assert revenue(cp1_row) == {"EUR": "1.00", "VND": "65000"}  # as reported
    assert {r.currency: r.amount for r in cp1_row.verified_revenue} == {"EUR": "1.00", "VND": "70000.00"}
    assert {r.currency: r.amount for r in cp1_row.revenue_difference} == {"EUR": "0.00", "VND": "5000.00"}
    assert (cp1_row.sessions, cp1_row.mismatched_sessions, cp1_row.unverified_sessions) == (3, 1, 0)
    assert (cp1_row.energy, cp1_row.verified_energy, cp1_row.energy_difference) == ("21", "21", "0")
    assert (cp1_row.verified_average_duration_hours, cp1_row.average_duration_difference_hours) == ("1.0000", "0.0000")
    assert rows["VN/CP2"].revenue_difference[0].amount in ("0", "0.00")
