"""Billing over the real core: settlement statements worked out by hand, closing periods, session quotes."""

from __future__ import annotations

import asyncpg
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from hubclient import HubClient, HubError
from ocpihub.billing.v1 import billing_service_pb2 as billing_rpc
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.cdrs.v1 import cdrs_service_pb2 as cdrs_rpc
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.tariffs.v1 import tariffs_pb2 as tar
from tests.clients.test_hubctl_network import register


def stamp(text: str) -> Timestamp:
    value = Timestamp()
    value.FromJsonString(text)
    return value


def energy_tariff(
    currency: str, price: str, component: tar.TariffDimensionType.ValueType = tar.TARIFF_DIMENSION_TYPE_ENERGY
) -> tar.Tariff:
    return tar.Tariff(
        country_code="VN",
        party_id="CP1",
        id="T1",
        currency=currency,
        elements=[tar.TariffElement(price_components=[tar.PriceComponent(type=component, price=price, step_size=1)])],
        last_updated=stamp("2026-09-01T00:00:00Z"),
    )


async def post_cdr(
    hub: HubClient,
    platform: str,
    cpo: str,
    cdr_id: str,
    emsp: str,
    currency: str,
    price: str,
    kwh: str,
    total: str,
    *,
    end: str = "2026-10-10T09:00:00Z",
    flat: bool = False,
) -> None:
    """A CDR carrying its tariff (so the Hub prices it exactly as the CPO did)."""
    tariff = energy_tariff(
        currency, price, tar.TARIFF_DIMENSION_TYPE_FLAT if flat else tar.TARIFF_DIMENSION_TYPE_ENERGY
    )
    start = end.replace("T09", "T08")
    cdr = cdrs_pb2.Cdr(
        country_code="VN",
        party_id=cpo,
        id=cdr_id,
        start_date_time=stamp(start),
        end_date_time=stamp(end),
        cdr_token=sessions_pb2.CdrToken(country_code="VN", party_id=emsp, uid="U1", contract_id="C1"),
        cdr_location=cdrs_pb2.CdrLocation(id="LOC1"),
        currency=currency,
        tariffs=[tariff],
        charging_periods=[
            sessions_pb2.ChargingPeriod(
                start_date_time=stamp(start),
                dimensions=[sessions_pb2.CdrDimension(type=sessions_pb2.CDR_DIMENSION_TYPE_ENERGY, volume=kwh)],
            )
        ],
        total_cost=tar.Price(excl_vat=total),
        total_energy=kwh,
        last_updated=stamp(end),
    )
    relay = deliveries_pb2.Message(module="cdrs", method="POST", path="", body=b"{}")
    answer = await hub.create_cdr(cdrs_rpc.CreateCdrRequest(cdr=cdr, caller_platform=platform, relay=relay))
    assert answer.verification.state == cdrs_pb2.VERIFICATION_STATE_MATCH, answer.verification


@pytest.fixture
async def month(hub: HubClient, db: asyncpg.Pool) -> None:
    """3 CPOs, 2 eMSPs, October 2026, VND and EUR."""
    platforms = {cpo: await register(hub, cpo, pb.ROLE_CPO) for cpo in ("CP1", "CP2", "CP3")}
    for emsp in ("EM1", "EM2"):
        await register(hub, emsp, pb.ROLE_EMSP, "cdrs")
    await post_cdr(hub, platforms["CP1"], "CP1", "A", "EM1", "VND", "3500", "10", "35000")
    await post_cdr(hub, platforms["CP2"], "CP2", "B", "EM2", "EUR", "0.37", "7", "2.59")
    await post_cdr(hub, platforms["CP3"], "CP3", "C", "EM1", "VND", "3500", "3.333", "11665.5")
    await post_cdr(hub, platforms["CP1"], "CP1", "D", "EM2", "EUR", "1.00", "1", "1.00", flat=True)


def totals(statement: object) -> dict[tuple[str, str, str], str]:
    return {(t.party, t.role, t.currency): t.amount for t in statement.totals}  # type: ignore[attr-defined]


async def test_statement_of_a_month_equals_the_hand_computed_one_to_the_cent(hub: HubClient, month: None) -> None:
    statement = await hub.get_statement(billing_rpc.GetStatementRequest(period="2026-10"))
    lines = {line.cdr: (line.amount, line.cpo_share, line.emsp_share, line.hub_share) for line in statement.lines}
    # 70 / 20 / 10: eMSP and Hub shares rounded half-up to the currency's minor unit, the CPO takes the remainder.
    assert lines == {
        "cdrs/VN/CP1/A": ("35000", "24500", "7000", "3500"),
        "cdrs/VN/CP2/B": ("2.59", "1.81", "0.52", "0.26"),
        "cdrs/VN/CP3/C": ("11666", "8166", "2333", "1167"),  # 11665.5 VND rounds to 11666 (no minor unit)
        "cdrs/VN/CP1/D": ("1.00", "0.70", "0.20", "0.10"),
    }
    assert totals(statement) == {
        ("VN/CP1", "CPO", "EUR"): "0.70",
        ("VN/CP1", "CPO", "VND"): "24500",
        ("VN/CP2", "CPO", "EUR"): "1.81",
        ("VN/CP3", "CPO", "VND"): "8166",
        ("VN/EM1", "EMSP", "VND"): "9333",
        ("VN/EM2", "EMSP", "EUR"): "0.72",
        ("VN/HUB", "HUB", "EUR"): "0.36",
        ("VN/HUB", "HUB", "VND"): "4667",
    }


async def test_a_partys_statement_has_only_its_cdrs(hub: HubClient, month: None) -> None:
    statement = await hub.get_statement(billing_rpc.GetStatementRequest(period="2026-10", party="VN/EM2"))
    assert sorted(line.cdr for line in statement.lines) == ["cdrs/VN/CP1/D", "cdrs/VN/CP2/B"]
    assert totals(statement)[("VN/EM2", "EMSP", "EUR")] == "0.72"


async def test_a_what_if_share_changes_an_open_statement(hub: HubClient, month: None) -> None:
    share = billing_rpc.GetStatementRequest(period="2026-10")
    share.share.cpo_percent, share.share.emsp_percent, share.share.hub_percent = "80", "15", "5"
    statement = await hub.get_statement(share)
    a = next(line for line in statement.lines if line.cdr == "cdrs/VN/CP1/A")
    assert (a.cpo_share, a.emsp_share, a.hub_share) == ("28000", "5250", "1750")


async def test_a_closed_period_never_changes_and_late_cdrs_go_to_the_next(
    hub: HubClient, month: None, db: asyncpg.Pool
) -> None:
    closed = await hub.close_settlement_period("2026-10")
    assert closed.closed
    cp1 = await db.fetchval("SELECT platform_id FROM parties WHERE party_id = 'CP1'")
    await post_cdr(
        hub, f"platforms/{cp1}", "CP1", "LATE", "EM1", "VND", "1000", "1", "1000", end="2026-10-31T09:00:00Z"
    )
    again = await hub.get_statement(billing_rpc.GetStatementRequest(period="2026-10"))
    assert again == closed
    november = await hub.get_statement(billing_rpc.GetStatementRequest(period="2026-11"))
    assert [(line.cdr, line.late) for line in november.lines] == [("cdrs/VN/CP1/LATE", True)]
    with pytest.raises(HubError) as twice:
        await hub.close_settlement_period("2026-10")
    assert twice.value.reason == "WRONG_STATE"


async def test_a_period_that_has_not_ended_cannot_be_closed(hub: HubClient, db: asyncpg.Pool) -> None:
    with pytest.raises(HubError) as early:
        await hub.close_settlement_period("2099-01")
    assert "not ended" in early.value.message
    with pytest.raises(HubError) as bad:
        await hub.get_statement(billing_rpc.GetStatementRequest(period="2026-13"))
    assert bad.value.reason == "INVALID_FIELD"
