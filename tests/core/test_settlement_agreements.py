"""Settlement over the real core: periods cut in the Hub's time zone, agreements per CPO and pair, who owes whom with
the Hub's fee VAT worked out by hand (VND without minor unit, EUR in cents), closed periods and late CDRs, analysts."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from core.billing.settlement import DEFAULT_SHARE, Share, money, parse_period
from hubclient import HubClient, HubError
from ocpihub.billing.v1 import billing_pb2
from ocpihub.billing.v1 import billing_service_pb2 as billing_rpc
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.cdrs.v1 import cdrs_service_pb2 as cdrs_rpc
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.tariffs.v1 import tariffs_pb2 as tar
from tests.clients.test_hubctl_network import register
from tests.core.test_access import as_role, denied
from tests.core.test_billing_service import stamp


async def post(
    hub: HubClient,
    platform: str,
    cpo: str,
    cdr_id: str,
    emsp: str,
    *,
    end: str,
    currency: str = "VND",
    price: str = "1000",
    kwh: str = "1",
    vat: str = "",
    total: tuple[str, str] | None = None,
) -> None:
    """A CDR that carries its energy tariff, so the Hub prices it as the CPO did (`total`: excl., incl. VAT)."""
    tariff = tar.Tariff(
        country_code="VN",
        party_id=cpo,
        id="T1",
        currency=currency,
        elements=[
            tar.TariffElement(
                price_components=[
                    tar.PriceComponent(type=tar.TARIFF_DIMENSION_TYPE_ENERGY, price=price, vat=vat, step_size=1)
                ]
            )
        ],
        last_updated=stamp("2026-09-01T00:00:00Z"),
    )
    excl, incl = total or (str(Decimal(price) * Decimal(kwh)), "")
    cdr = cdrs_pb2.Cdr(
        country_code="VN",
        party_id=cpo,
        id=cdr_id,
        start_date_time=stamp(end),
        end_date_time=stamp(end),
        cdr_token=sessions_pb2.CdrToken(country_code="VN", party_id=emsp, uid="U1", contract_id="C1"),
        cdr_location=cdrs_pb2.CdrLocation(id="LOC1"),
        currency=currency,
        tariffs=[tariff],
        charging_periods=[
            sessions_pb2.ChargingPeriod(
                start_date_time=stamp(end),
                dimensions=[sessions_pb2.CdrDimension(type=sessions_pb2.CDR_DIMENSION_TYPE_ENERGY, volume=kwh)],
            )
        ],
        total_cost=tar.Price(excl_vat=excl, incl_vat=incl),
        total_energy=kwh,
        last_updated=stamp(end),
    )
    relay = deliveries_pb2.Message(module="cdrs", method="POST", path="", body=b"{}")
    answer = await hub.create_cdr(cdrs_rpc.CreateCdrRequest(cdr=cdr, caller_platform=platform, relay=relay))
    assert answer.verification.state == cdrs_pb2.VERIFICATION_STATE_MATCH, answer.verification


@pytest.fixture
async def parties(hub: HubClient, db: asyncpg.Pool) -> dict[str, str]:
    """CP1, CP2 (CPOs) and EM1, EM2 (eMSPs); the CPOs' platforms by party id."""
    platforms = {cpo: await register(hub, cpo, pb.ROLE_CPO) for cpo in ("CP1", "CP2")}
    for emsp in ("EM1", "EM2"):
        await register(hub, emsp, pb.ROLE_EMSP, "cdrs")
    return platforms


def agreement(
    cpo: str, shares: str, valid_from: str, *, emsp: str = "", period: str = "monthly", vat: str = "10"
) -> billing_pb2.SettlementAgreement:
    cpo_p, emsp_p, hub_p = shares.split(",")
    return billing_pb2.SettlementAgreement(
        cpo=cpo,
        emsp=emsp,
        valid_from=valid_from,
        share=billing_pb2.RevenueShare(cpo_percent=cpo_p, emsp_percent=emsp_p, hub_percent=hub_p),
        period=period,
        vat_percent=vat,
    )


async def statement(hub: HubClient, period: str, **options: str) -> billing_pb2.Statement:
    return await hub.get_statement(billing_rpc.GetStatementRequest(period=period, **options))


def cdrs_of(statement: billing_pb2.Statement) -> list[str]:
    return [line.cdr.removeprefix("cdrs/VN/") for line in statement.lines]


PAYS = ("priced_incl_vat", "emsp_share", "hub_fee", "hub_fee_vat", "emsp_pays_cpo", "emsp_pays_hub")


def figures(message: object) -> tuple[str, ...]:
    return tuple(getattr(message, name) for name in PAYS)


# Periods in the Hub's time zone (Asia/Ho_Chi_Minh, UTC+7, no daylight saving)


async def test_cdrs_around_local_midnight_land_in_the_local_month(hub: HubClient, parties: dict[str, str]) -> None:
    cp1 = parties["CP1"]
    await post(hub, cp1, "CP1", "SEP-LAST", "EM1", end="2026-09-30T16:59:59Z")  # 23:59:59 on 30 Sep, local
    await post(hub, cp1, "CP1", "OCT-FIRST", "EM1", end="2026-09-30T17:00:00Z")  # 00:00:00 on 1 Oct, local
    await post(hub, cp1, "CP1", "OCT-LAST", "EM1", end="2026-10-31T16:59:59Z")
    await post(hub, cp1, "CP1", "NOV-FIRST", "EM1", end="2026-10-31T17:00:00Z")

    october = await statement(hub, "2026-10")
    utc_october = await statement(hub, "2026-10", time_zone="UTC")

    assert cdrs_of(october) == ["CP1/OCT-FIRST", "CP1/OCT-LAST"]
    assert october.start_time.ToJsonString() == "2026-09-30T17:00:00Z"
    assert october.end_time.ToJsonString() == "2026-10-31T17:00:00Z"
    assert (october.time_zone, october.kind, october.due_date) == ("Asia/Ho_Chi_Minh", "monthly", "2026-11-14")
    assert cdrs_of(await statement(hub, "2026-09")) == ["CP1/SEP-LAST"]
    assert cdrs_of(await statement(hub, "2026-11")) == ["CP1/NOV-FIRST"]
    # The same month cut in UTC (a run's --time-zone): 17:00Z on 30 Sep is September there, on 31 Oct October.
    assert cdrs_of(utc_october) == ["CP1/OCT-LAST", "CP1/NOV-FIRST"]


async def test_weekly_and_biweekly_agreements_settle_in_their_own_periods(
    hub: HubClient, parties: dict[str, str]
) -> None:
    await hub.set_settlement_agreement(agreement("VN/CP1", "70,20,10", "2026-10-01", period="weekly"))
    await hub.set_settlement_agreement(agreement("VN/CP2", "70,20,10", "2026-10-01", period="biweekly"))
    # Monday 2026-11-02 00:00 local is 2026-11-01T17:00Z: week 2026-W45 starts there.
    await post(hub, parties["CP1"], "CP1", "SUN", "EM1", end="2026-11-01T16:59:59Z")
    await post(hub, parties["CP1"], "CP1", "MON", "EM1", end="2026-11-01T17:00:00Z")
    await post(hub, parties["CP2"], "CP2", "TWO", "EM1", end="2026-11-10T05:00:00Z")

    assert cdrs_of(await statement(hub, "2026-W44")) == ["CP1/SUN"]
    assert cdrs_of(await statement(hub, "2026-W45")) == ["CP1/MON"]
    assert cdrs_of(await statement(hub, "2026-11-02")) == ["CP1/MON"]  # the same week, named by its Monday
    biweekly = await statement(hub, "2026-W45/P2W")
    assert (cdrs_of(biweekly), biweekly.kind, biweekly.due_date) == (["CP2/TWO"], "biweekly", "2026-11-29")
    assert cdrs_of(await statement(hub, "2026-11")) == []  # neither CPO settles monthly any more
    with pytest.raises(HubError) as second_week:
        await statement(hub, "2026-W46/P2W")
    assert "second week of 2026-W45/P2W" in second_week.value.message


# Agreements: the pair's over the CPO's over the Hub default, versioned by date


async def test_two_agreements_with_different_shares_give_the_right_net_positions(
    hub: HubClient, parties: dict[str, str]
) -> None:
    await hub.set_settlement_agreement(agreement("VN/CP1", "80,15,5", "2026-10-01", vat="10"))
    await hub.set_settlement_agreement(agreement("VN/CP1", "60,30,10", "2026-10-15", emsp="VN/EM2", vat="8"))
    # A newer version of the CPO's terms: it does not beat the pair's, and the CDRs before it keep the older one.
    await hub.set_settlement_agreement(agreement("VN/CP1", "75,20,5", "2026-10-18", vat="10"))
    cp1 = parties["CP1"]
    await post(hub, cp1, "CP1", "X", "EM1", end="2026-10-20T05:00:00Z", price="10000", kwh="10")
    await post(hub, cp1, "CP1", "Y", "EM2", end="2026-10-20T05:00:00Z", price="10000", kwh="10")
    await post(hub, cp1, "CP1", "Z", "EM2", end="2026-10-10T05:00:00Z", price="10000", kwh="10")  # before the pair's

    october = await statement(hub, "2026-10")

    lines = {line.cdr.removeprefix("cdrs/VN/CP1/"): line for line in october.lines}
    # X, the CPO's 75/20/5 from 18 Oct: fee 5000, VAT 10 % = 500; the eMSP keeps 20000, pays 100000 - 20000 - 5500.
    assert figures(lines["X"]) == ("100000", "20000", "5000", "500", "74500", "5500")
    assert lines["X"].agreement == "VN/CP1 (any eMSP) from 2026-10-18"
    # Y, the pair's 60/30/10 at 8 %: fee 10000, VAT 800; 100000 - 30000 - 10800.
    assert figures(lines["Y"]) == ("100000", "30000", "10000", "800", "59200", "10800")
    assert lines["Y"].agreement == "VN/CP1-VN/EM2 from 2026-10-15"
    # Z ended before the pair's agreement began: the CPO's first version (80/15/5) applies; 100000 - 15000 - 5500.
    assert figures(lines["Z"]) == ("100000", "15000", "5000", "500", "79500", "5500")
    assert lines["Z"].agreement == "VN/CP1 (any eMSP) from 2026-10-01"
    pairs = {(p.cpo, p.emsp): p for p in october.pairs}
    assert figures(pairs[("VN/CP1", "VN/EM1")]) == ("100000", "20000", "5000", "500", "74500", "5500")
    assert figures(pairs[("VN/CP1", "VN/EM2")]) == ("200000", "45000", "15000", "1300", "138700", "16300")
    assert pairs[("VN/CP1", "VN/EM2")].cdrs == 2
    listed = await hub.list_settlement_agreements()
    assert [(a.cpo, a.emsp, a.valid_from, a.vat_percent) for a in listed.agreements] == [
        ("VN/CP1", "", "2026-10-01", "10"),
        ("VN/CP1", "", "2026-10-18", "10"),
        ("VN/CP1", "VN/EM2", "2026-10-15", "8"),
    ]
    assert listed.agreements[0].created_by == "operator"
    assert (listed.hub_default.period, listed.hub_default.vat_percent) == ("monthly", "10")


def test_vat_rounding_is_half_up_per_line_on_hand_computed_cases() -> None:
    share = DEFAULT_SHARE  # 70 / 20 / 10
    # VND, no minor unit: 123450 -> fee 12345, VAT 10 % = 1234.5 -> 1235 (half-up; half-even would give 1234).
    vnd = money("VND", (Decimal(123450), None), (Decimal(123450), None), share, Decimal(10))
    assert (vnd.emsp_share, vnd.hub_fee, vnd.hub_fee_vat) == (Decimal(24690), Decimal(12345), Decimal(1235))
    assert (vnd.emsp_pays_hub, vnd.emsp_pays_cpo) == (Decimal(13580), Decimal(123450 - 24690 - 13580))
    # 123457: fee 12345.7 -> 12346, VAT 1234.6 -> 1235, eMSP 24691.4 -> 24691.
    odd = money("VND", (Decimal(123457), None), (Decimal(123457), None), share, Decimal(10))
    assert (odd.emsp_share, odd.hub_fee, odd.hub_fee_vat, odd.emsp_pays_cpo) == (24691, 12346, 1235, 85185)
    # EUR in cents: 1.25 -> fee 0.125 -> 0.13 (half-up), VAT 21 % of 0.13 = 0.0273 -> 0.03.
    eur = money("EUR", (Decimal("1.25"), None), (Decimal("1.25"), None), share, Decimal(21))
    assert (eur.hub_fee, eur.hub_fee_vat, eur.emsp_share, eur.emsp_pays_cpo) == (
        Decimal("0.13"),
        Decimal("0.03"),
        Decimal("0.25"),
        Decimal("0.84"),
    )
    assert str(eur.emsp_pays_cpo) == "0.84" and str(vnd.hub_fee_vat) == "1235"  # exact strings, no float noise
    # A what-if share that does not add up is refused.
    with pytest.raises(ValueError):
        Share(Decimal(70), Decimal(20), Decimal(20))


async def test_vat_figures_through_the_core_in_eur_and_vnd(hub: HubClient, parties: dict[str, str]) -> None:
    await hub.set_settlement_agreement(agreement("VN/CP2", "70,20,10", "2026-10-01", vat="21"))
    cp1, cp2 = parties["CP1"], parties["CP2"]
    # 24.7 kWh at 0.50 EUR + 21 % VAT: 12.35 excl., 14.9435 -> 14.94 incl.
    await post(hub, cp2, "CP2", "E", "EM1", end="2026-10-05T05:00:00Z", currency="EUR", price="0.50", kwh="24.7",
               vat="21", total=("12.35", "14.94"))  # fmt: skip
    # Hub default for CP1: 70/20/10, fee VAT 10 %. 123450 VND + 10 % VAT: 135795 incl.
    await post(hub, cp1, "CP1", "V", "EM1", end="2026-10-05T05:00:00Z", price="12345", kwh="10", vat="10",
               total=("123450", "135795"))  # fmt: skip

    october = await statement(hub, "2026-10")

    lines = {line.cdr.removeprefix("cdrs/VN/"): line for line in october.lines}
    e, v = lines["CP2/E"], lines["CP1/V"]
    assert (e.reported_excl_vat, e.reported_incl_vat, e.priced_excl_vat) == ("12.35", "14.94", "12.35")
    # fee 1.235 -> 1.24, VAT 21 % = 0.2604 -> 0.26, eMSP 2.47: 14.94 - 2.47 - 1.50 = 10.97.
    assert figures(e) == ("14.94", "2.47", "1.24", "0.26", "10.97", "1.50")
    # fee 12345, VAT 1234.5 -> 1235, eMSP 24690: 135795 - 24690 - 13580 = 97525.
    assert figures(v) == ("135795", "24690", "12345", "1235", "97525", "13580")
    # Totals are sums of the rounded lines: nothing is lost or invented.
    for pair in october.pairs:
        assert Decimal(pair.priced_incl_vat) == Decimal(pair.emsp_share) + Decimal(pair.emsp_pays_cpo) + Decimal(
            pair.emsp_pays_hub
        )


# Closing


async def test_a_closed_week_is_unchanged_by_a_late_cdr_which_goes_to_the_next_open_week(
    hub: HubClient, parties: dict[str, str]
) -> None:
    await hub.set_settlement_agreement(agreement("VN/CP1", "70,20,10", "2026-10-01", period="weekly"))
    cp1 = parties["CP1"]
    await post(hub, cp1, "CP1", "ON-TIME", "EM1", end="2026-10-06T05:00:00Z")  # 2026-W41
    closed = await hub.close_settlement_period("2026-W41")
    await post(hub, cp1, "CP1", "LATE", "EM1", end="2026-10-08T05:00:00Z")  # also W41, arriving after the closing

    again = await statement(hub, "2026-W41")
    next_week = await statement(hub, "2026-W42")

    assert again == closed
    assert cdrs_of(again) == ["CP1/ON-TIME"]
    late = next_week.lines[0]
    assert (cdrs_of(next_week), late.late) == (["CP1/LATE"], True)
    assert late.note == (
        "ended 2026-10-08 (Asia/Ho_Chi_Minh) in period 2026-W41, closed before this CDR arrived; "
        "settled in the next open period"
    )
    # An agreement starting inside the closed week would rewrite it: refused.
    with pytest.raises(HubError) as rewrite:
        await hub.set_settlement_agreement(agreement("VN/CP1", "50,40,10", "2026-10-07", period="weekly"))
    assert rewrite.value.reason == "WRONG_STATE"
    assert "closed period" in rewrite.value.message
    await hub.set_settlement_agreement(agreement("VN/CP1", "50,40,10", "2026-10-12", period="weekly"))


# Roles


async def test_an_analyst_reads_statements_and_agreements_but_sets_and_closes_nothing(
    core_address: str, hub: HubClient, parties: dict[str, str]
) -> None:
    await hub.set_settlement_agreement(agreement("VN/CP1", "70,20,10", "2026-10-01"))
    await post(hub, parties["CP1"], "CP1", "A", "EM1", end="2026-10-05T05:00:00Z")
    async with as_role(core_address, "analyst") as analyst:
        assert cdrs_of(await statement(analyst, "2026-10")) == ["CP1/A"]
        assert len((await analyst.list_settlement_agreements()).agreements) == 1
        with pytest.raises(HubError) as setting:
            await analyst.set_settlement_agreement(agreement("VN/CP1", "60,30,10", "2026-12-01"))
        with pytest.raises(HubError) as closing:
            await analyst.close_settlement_period("2026-10")
    assert denied(setting.value) and denied(closing.value)
    async with as_role(core_address, "billing") as billing:
        await billing.set_settlement_agreement(agreement("VN/CP1", "60,30,10", "2026-12-01"))
    assert len((await hub.list_settlement_agreements()).agreements) == 2


def test_period_names() -> None:
    assert parse_period("2026-W53").name == "2026-W53"
    assert (parse_period("2026-11").start.isoformat(), parse_period("2026-11").end.isoformat()) == (
        "2026-11-01",
        "2026-12-01",
    )
    for bad in ("2026-13", "2025-W53", "2026-11-03", "2026/11"):
        with pytest.raises(ValueError):
            parse_period(bad)
