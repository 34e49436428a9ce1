"""hubctl billing / analytics, run as a real subprocess against the real core (and PostgreSQL).

CDRs go in as CPOs post them (CreateCdr through hubclient); the October 2026 month is the one worked out by hand in
tests/core/test_billing_service.py: 70 / 20 / 10 shares, VND without minor unit, EUR in cents.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import asyncpg

from hubclient import HubClient
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.cdrs.v1 import cdrs_service_pb2 as cdrs_rpc
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.sessions.v1 import sessions_service_pb2 as sessions_rpc
from ocpihub.tariffs.v1 import tariffs_pb2 as tar
from ocpihub.tariffs.v1 import tariffs_service_pb2 as tariffs_rpc
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.clients.test_hubctl_network import component, push_location, register, rows, tariff
from tests.core import test_billing_service
from tests.core.test_billing_service import energy_tariff, post_cdr, stamp

# The fixtures of the modules this one builds on: hubctl as a subprocess, and the hand-computed October.
hubctl = test_hubctl.hubctl
month = test_billing_service.month

OCTOBER_LINES = {
    # CDR: CPO, EMSP, CURRENCY, AMOUNT, CPO SHARE, EMSP SHARE, HUB SHARE
    "VN/CP1/A": ["VN/CP1", "VN/EM1", "VND", "35000", "24500", "7000", "3500"],
    "VN/CP2/B": ["VN/CP2", "VN/EM2", "EUR", "2.59", "1.81", "0.52", "0.26"],
    "VN/CP3/C": ["VN/CP3", "VN/EM1", "VND", "11666", "8166", "2333", "1167"],
    "VN/CP1/D": ["VN/CP1", "VN/EM2", "EUR", "1.00", "0.70", "0.20", "0.10"],
}
OCTOBER_TOTALS = {
    ("VN/CP1", "CPO", "EUR"): "0.70",
    ("VN/CP1", "CPO", "VND"): "24500",
    ("VN/CP2", "CPO", "EUR"): "1.81",
    ("VN/CP3", "CPO", "VND"): "8166",
    ("VN/EM1", "EMSP", "VND"): "9333",
    ("VN/EM2", "EMSP", "EUR"): "0.72",
    ("VN/HUB", "HUB", "EUR"): "0.36",
    ("VN/HUB", "HUB", "VND"): "4667",
}
CSV_HEADER = (
    "cdr,cpo,emsp,currency,amount,cpo_share,emsp_share,hub_share,late,verification,end_date_time,"
    "reported_excl_vat,reported_incl_vat,priced_excl_vat,priced_incl_vat,hub_fee,hub_fee_vat,vat_percent,"
    "emsp_pays_cpo,emsp_pays_hub,agreement,note"
)


def sections(stdout: str) -> list[str]:
    return stdout.rstrip("\n").split("\n\n")


def totals_of(section: str) -> dict[tuple[str, str, str], str]:
    """A totals table (after its "totals:" title, if any) by party, role and currency."""
    header, *lines = section.removeprefix("totals:\n").splitlines()
    assert re.split(r"\s{2,}", header) == ["PARTY", "ROLE", "CURRENCY", "TOTAL", "CDRS"]
    # A party appears once per role and currency: not keyed by the first cell as `rows` does.
    return {(p, role, currency): amount for p, role, currency, amount, _ in (re.split(r"\s{2,}", x) for x in lines)}


def totals_json(statement: dict[str, object]) -> dict[tuple[str, str, str], str]:
    return {(t["party"], t["role"], t["currency"]): t["amount"] for t in statement["totals"]}  # type: ignore[attr-defined]


async def platform_of(db: asyncpg.Pool, party_id: str) -> str:
    return f"platforms/{await db.fetchval('SELECT platform_id FROM parties WHERE party_id = $1', party_id)}"


async def post_overcharged_cdr(hub: HubClient, platform: str) -> None:
    """VN/CP1 charges 40000 VND for 10 kWh at 3500 VND/kWh: the Hub's price of its own tariff is 35000."""
    cdr = cdrs_pb2.Cdr(
        country_code="VN",
        party_id="CP1",
        id="X",
        start_date_time=stamp("2026-10-20T08:00:00Z"),
        end_date_time=stamp("2026-10-20T09:00:00Z"),
        cdr_token=sessions_pb2.CdrToken(country_code="VN", party_id="EM1", uid="U1", contract_id="C1"),
        cdr_location=cdrs_pb2.CdrLocation(id="LOC1"),
        currency="VND",
        tariffs=[energy_tariff("VND", "3500")],
        charging_periods=[
            sessions_pb2.ChargingPeriod(
                start_date_time=stamp("2026-10-20T08:00:00Z"),
                dimensions=[sessions_pb2.CdrDimension(type=sessions_pb2.CDR_DIMENSION_TYPE_ENERGY, volume="10")],
            )
        ],
        total_cost=tar.Price(excl_vat="40000"),
        total_energy="10",
        last_updated=stamp("2026-10-20T09:00:00Z"),
    )
    relay = deliveries_pb2.Message(module="cdrs", method="POST", path="", body=b"{}")
    answer = await hub.create_cdr(cdrs_rpc.CreateCdrRequest(cdr=cdr, caller_platform=platform, relay=relay))
    assert answer.verification.state == cdrs_pb2.VERIFICATION_STATE_MISMATCH, answer.verification


# billing settle


async def test_settle_table_shows_every_cdrs_shares_and_the_hand_computed_totals(
    hubctl: Hubctl, month: None, db: asyncpg.Pool
) -> None:
    result = await hubctl("billing", "settle", "--period", "2026-10")

    assert result.code == 0, result.stderr
    lines, totals, owes, status = sections(result.stdout)
    header = lines.splitlines()[0]
    assert re.split(r"\s{2,}", header) == [
        "CDR", "CPO", "EMSP", "CURRENCY", "AMOUNT", "CPO SHARE", "EMSP SHARE", "HUB SHARE", "LATE", "VERIFICATION",
    ]  # fmt: skip
    assert {cdr: cells[1:8] for cdr, cells in rows(lines).items()} == OCTOBER_LINES
    assert all(cells[8:] == ["-", "MATCH"] for cells in rows(lines).values())
    assert totals.startswith("totals:\n")
    assert totals_of(totals) == OCTOBER_TOTALS
    assert status.startswith("period 2026-10: OPEN, 4 CDRs, shares 70/20/10")
    assert "monthly in Asia/Ho_Chi_Minh, due 2026-11-14" in status
    # Who owes whom: CDR A alone between EM1 and CP1 (35000 VND, eMSP keeps 7000, Hub 3500 + 10 % VAT).
    assert owes.startswith("who owes whom:\n")
    head, *pairs = (re.split(r"\s{2,}", row) for row in owes.splitlines()[1:])
    assert head[-4:] == ["EMSP PAYS CPO", "HUB FEE", "FEE VAT", "EMSP PAYS VN/HUB"]
    owed = {(r[0], r[1], r[2]): r[3:] for r in pairs}
    assert owed[("VN/EM1", "VN/CP1", "VND")] == ["1", "35000", "7000", "24150", "3500", "350", "3850"]
    # CDR C: 11666 VND, eMSP 2333, fee 1167, VAT 116.7 -> 117: the CPO gets 11666 - 2333 - 1284.
    assert owed[("VN/EM1", "VN/CP3", "VND")] == ["1", "11666", "2333", "8049", "1167", "117", "1284"]


async def test_settle_csv_is_one_row_per_cdr_with_exact_amounts_and_nothing_else(
    hubctl: Hubctl, month: None, db: asyncpg.Pool
) -> None:
    result = await hubctl("billing", "settle", "--period", "2026-10", "--format", "csv")

    assert result.code == 0, result.stderr
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(result.stdout.splitlines()) == 1 + 4  # a header, the CDRs, no totals to trip a spreadsheet
    by_cdr = {r["cdr"]: r for r in records}
    assert {
        cdr.removeprefix("cdrs/"): [r[f] for f in ("cpo", "emsp", "currency", "amount", "cpo_share", "emsp_share",
                                                   "hub_share")]
        for cdr, r in by_cdr.items()
    } == OCTOBER_LINES  # fmt: skip
    assert by_cdr["cdrs/VN/CP3/C"]["late"] == "false"
    assert by_cdr["cdrs/VN/CP3/C"]["verification"] == "MATCH"
    assert by_cdr["cdrs/VN/CP3/C"]["end_date_time"] == "2026-10-10T09:00:00Z"
    # Amounts are the exact decimal strings: the cents of EUR stay, VND has none.
    vnd = sum(Decimal(r["hub_share"]) for r in records if r["currency"] == "VND")
    eur = sum(Decimal(r["hub_share"]) for r in records if r["currency"] == "EUR")
    assert (vnd, eur) == (Decimal("4667"), Decimal("0.36"))


async def test_settle_json_is_the_statement(hubctl: Hubctl, month: None, db: asyncpg.Pool) -> None:
    statement = (await hubctl("billing", "settle", "--period", "2026-10", "--format", "json")).json()

    assert statement["period"] == "2026-10"
    assert statement["party"] is None
    assert statement["share"] == {"cpo_percent": "70", "emsp_percent": "20", "hub_percent": "10"}
    assert statement["closed"] is False
    assert totals_json(statement) == OCTOBER_TOTALS
    assert statement["lines"][0] == {
        "cdr": "cdrs/VN/CP1/A",
        "cpo": "VN/CP1",
        "emsp": "VN/EM1",
        "currency": "VND",
        "amount": "35000",
        "cpo_share": "24500",
        "emsp_share": "7000",
        "hub_share": "3500",
        "late": False,
        "verification": "MATCH",
        "end_date_time": "2026-10-10T09:00:00Z",
        # No VAT in the CDR nor its tariff: incl. = excl. The Hub's fee is 10 % of 35000, its VAT 10 % of that; the
        # eMSP keeps its 7000 and pays the CPO 35000 - 7000 - (3500 + 350).
        "reported_excl_vat": "35000",
        "reported_incl_vat": "35000",
        "priced_excl_vat": "35000",
        "priced_incl_vat": "35000",
        "hub_fee": "3500",
        "hub_fee_vat": "350",
        "vat_percent": "10",
        "emsp_pays_cpo": "24150",
        "emsp_pays_hub": "3850",
        "agreement": "hub default from 1970-01-01",
        "note": None,
    }
    assert len(statement["lines"]) == 4
    assert (statement["kind"], statement["time_zone"], statement["due_date"]) == (
        "monthly",
        "Asia/Ho_Chi_Minh",
        "2026-11-14",
    )
    assert statement["start_time"] == "2026-09-30T17:00:00Z"


async def test_settle_of_one_party_and_with_a_what_if_share(hubctl: Hubctl, month: None, db: asyncpg.Pool) -> None:
    em2 = await hubctl("billing", "settle", "--period", "2026-10", "--party", "vn/em2")
    what_if = (
        await hubctl("billing", "settle", "--period", "2026-10", "--share", "80,15,5", "--format", "json")
    ).json()

    assert em2.code == 0, em2.stderr
    lines, totals, _owes, status = sections(em2.stdout)
    assert sorted(rows(lines)) == ["VN/CP1/D", "VN/CP2/B"]
    assert totals_of(totals)[("VN/EM2", "EMSP", "EUR")] == "0.72"
    assert status.startswith("period 2026-10 for VN/EM2: OPEN, 2 CDRs")
    a = next(line for line in what_if["lines"] if line["cdr"] == "cdrs/VN/CP1/A")
    assert (a["cpo_share"], a["emsp_share"], a["hub_share"]) == ("28000", "5250", "1750")
    assert what_if["share"] == {"cpo_percent": "80", "emsp_percent": "15", "hub_percent": "5"}


async def test_settle_of_an_empty_month_says_so(hubctl: Hubctl, month: None, db: asyncpg.Pool) -> None:
    result = await hubctl("billing", "settle", "--period", "2026-09")
    empty_csv = await hubctl("billing", "settle", "--period", "2026-09", "--format", "csv")

    assert result.code == 0, result.stderr
    assert result.stderr == "no CDRs to settle in 2026-09\n"
    assert result.stdout.startswith("period 2026-09: OPEN, 0 CDRs")
    assert empty_csv.stdout == CSV_HEADER + "\n"


async def test_settle_usage_errors_exit_2_and_name_the_option(hubctl: Hubctl, db: asyncpg.Pool) -> None:
    cases = [
        (("--period", "2026-13"), "--period: '2026-13' is not a period like 2026-11 (month), 2026-W45 (week)"),
        (("--period", "2026-10", "--share", "70,20,20"), "adding up to 100"),
        (("--period", "2026-10", "--share", "70,30"), "e.g. 70,20,10"),
        (("--period", "2026-10", "--format", "xml"), "invalid choice: 'xml'"),
        (("--period", "2026-10", "--party", "VN"), "COUNTRY_CODE/PARTY_ID"),
    ]
    for options, message in cases:
        result = await hubctl("billing", "settle", *options)
        assert (result.code, result.stdout) == (2, ""), options
        assert message in result.stderr, (options, result.stderr)


# billing close


async def test_close_freezes_the_period_and_settle_then_says_closed(
    hubctl: Hubctl, hub: HubClient, month: None, db: asyncpg.Pool
) -> None:
    closed = await hubctl("billing", "close", "--period", "2026-10")
    # A CDR of October arriving after the closing is settled in November, marked late.
    await post_cdr(hub, await platform_of(db, "CP1"), "CP1", "LATE", "EM1", "VND", "1000", "1", "1000",
                   end="2026-10-31T09:00:00Z")  # fmt: skip
    october = await hubctl("billing", "settle", "--period", "2026-10")
    as_json = (await hubctl("billing", "settle", "--period", "2026-10", "--format", "json")).json()
    november = await hubctl("billing", "settle", "--period", "2026-11")
    what_if = await hubctl("billing", "settle", "--period", "2026-10", "--share", "80,15,5", "--format", "json")
    again = await hubctl("billing", "close", "--period", "2026-10")
    other_zone = await hubctl("billing", "settle", "--period", "2026-10", "--time-zone", "UTC")

    assert closed.code == 0, closed.stderr
    summary, totals = sections(closed.stdout)
    assert re.fullmatch(
        r"closed period 2026-10 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: 4 CDRs settled, shares 70/20/10 \(CPO/EMSP/HUB %\)",
        summary,
    )
    assert totals_of(totals) == OCTOBER_TOTALS
    *_, status = sections(october.stdout)
    assert re.match(r"period 2026-10: CLOSED at \S+, 4 CDRs, shares 70/20/10 .*; it will not change$", status)
    assert "VN/CP1/LATE" not in october.stdout
    assert as_json["closed"] is True
    assert as_json["create_time"] is not None
    assert totals_json(as_json) == OCTOBER_TOTALS
    lines, _totals, _owes, _notes, status = sections(november.stdout)
    assert rows(lines)["VN/CP1/LATE"][8:] == ["late", "MATCH"]
    assert status.startswith("period 2026-11: OPEN, 1 CDR,")
    # A what-if share cannot change a closed period, and the operator is told so.
    assert totals_json(what_if.json()) == OCTOBER_TOTALS
    assert what_if.stderr == "note: 2026-10 is closed; it keeps its shares 70/20/10\n"
    assert (again.code, again.stdout) == (1, "")
    assert again.stderr == "error: period 2026-10 is already closed\n"
    # Asked in another zone, a closed period answers as it was closed, and says so.
    assert other_zone.stderr == "note: 2026-10 is closed; it was cut in Asia/Ho_Chi_Minh\n"
    assert "CLOSED" in other_zone.stdout


async def test_close_json_is_the_frozen_statement(hubctl: Hubctl, month: None, db: asyncpg.Pool) -> None:
    statement = (await hubctl("billing", "close", "--period", "2026-10", "--json")).json()

    assert statement["closed"] is True
    assert len(statement["lines"]) == 4
    assert totals_json(statement) == OCTOBER_TOTALS
    assert await db.fetchval("SELECT count(*) FROM settlement_statements WHERE period = '2026-10'") == 1


async def test_close_of_a_period_that_has_not_ended_is_refused(hubctl: Hubctl, db: asyncpg.Pool) -> None:
    result = await hubctl("billing", "close", "--period", "2099-01")

    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == "error: period 2099-01 has not ended yet (ends 2099-01-31T17:00:00Z)\n"
    assert await db.fetchval("SELECT count(*) FROM settlement_statements") == 0


# billing mismatches


async def test_mismatches_show_what_the_cpo_reported_and_what_its_tariff_gives(
    hubctl: Hubctl, hub: HubClient, month: None, db: asyncpg.Pool
) -> None:
    await post_overcharged_cdr(hub, await platform_of(db, "CP1"))

    table = await hubctl("billing", "mismatches")
    output = (await hubctl("billing", "mismatches", "--json")).json()
    of_emsp = (await hubctl("billing", "mismatches", "--party", "VN/EM1", "--json")).json()
    of_other = await hubctl("billing", "mismatches", "--party", "VN/CP2")
    statement = await hubctl("billing", "settle", "--period", "2026-10")

    assert table.code == 0, table.stderr
    differences, notes, footer = sections(table.stdout)
    header, *lines = differences.splitlines()
    assert re.split(r"\s{2,}", header) == ["CDR", "EMSP", "CURRENCY", "FIELD", "REPORTED", "COMPUTED", "TARIFF"]
    assert [re.split(r"\s{2,}", line) for line in lines] == [
        ["VN/CP1/X", "VN/EM1", "VND", "total_cost.excl_vat", "40000", "35000", "cdr"]
    ]
    assert notes.startswith("notes:\n  VN/CP1/X: ")
    assert footer == "1 CDR whose reported cost differs from the Hub's price of its tariff"
    assert output["total"] == 1
    [mismatch] = output["mismatches"]
    assert mismatch["cdr"] == "cdrs/VN/CP1/X"
    assert (mismatch["cpo"], mismatch["emsp"], mismatch["currency"]) == ("VN/CP1", "VN/EM1", "VND")
    assert mismatch["differences"] == [{"field": "total_cost.excl_vat", "reported": "40000", "computed": "35000"}]
    assert mismatch["reported_total_cost"]["excl_vat"] == "40000"
    assert Decimal(mismatch["computed_total_cost"]["excl_vat"]) == 35000
    assert mismatch["notes"]
    # The eMSP whose token was charged sees it too; a party with nothing wrong gets an empty answer, not an error.
    assert [m["cdr"] for m in of_emsp["mismatches"]] == ["cdrs/VN/CP1/X"]
    assert (of_other.code, of_other.stdout, of_other.stderr) == (0, "", "no mismatched CDRs of VN/CP2\n")
    # Settlement shares the Hub's price, not the inflated one reported.
    assert rows(sections(statement.stdout)[0])["VN/CP1/X"][4:8] == ["35000", "24500", "7000", "3500"]
    assert rows(sections(statement.stdout)[0])["VN/CP1/X"][9] == "MISMATCH"


async def test_no_mismatches_when_every_cdr_follows_its_tariff(hubctl: Hubctl, month: None, db: asyncpg.Pool) -> None:
    table = await hubctl("billing", "mismatches")
    output = (await hubctl("billing", "mismatches", "--json")).json()

    assert (table.code, table.stdout, table.stderr) == (0, "", "no mismatched CDRs\n")
    assert output == {"mismatches": [], "total": 0}


# billing quote


async def active_session(hub: HubClient) -> None:
    """VN/CPA charges 5 kWh in an hour so far, at 3500 VND/kWh and 6000 VND/hour (both + 10 % VAT)."""
    cpa = await register(hub, "CPA", pb.ROLE_CPO)
    value = tariff(
        "VN/CPA",
        "T-AC",
        "VND",
        tar.TariffElement(price_components=[component("ENERGY", "3500", 1, vat="10")]),
        tar.TariffElement(price_components=[component("TIME", "6000", 60, vat="10")]),
    )
    relay = deliveries_pb2.Message(module="tariffs", method="PUT", path="T-AC", body=b"{}")
    await hub.update_tariff(tariffs_rpc.UpdateTariffRequest(tariff=value, caller_platform=cpa, relay=relay))

    def period(start: str) -> sessions_pb2.ChargingPeriod:
        energy = sessions_pb2.CdrDimension(type=sessions_pb2.CDR_DIMENSION_TYPE_ENERGY, volume="2.5")
        time = sessions_pb2.CdrDimension(type=sessions_pb2.CDR_DIMENSION_TYPE_TIME, volume="0.5")
        return sessions_pb2.ChargingPeriod(start_date_time=stamp(start), dimensions=[energy, time], tariff_id="T-AC")

    session = sessions_pb2.Session(
        country_code="VN",
        party_id="CPA",
        id="S1",
        start_date_time=stamp("2026-11-01T08:00:00Z"),
        kwh="5",
        cdr_token=sessions_pb2.CdrToken(country_code="VN", party_id="EM1", uid="U1", contract_id="C1"),
        auth_method=sessions_pb2.AUTH_METHOD_WHITELIST,
        location_id="LOC1",
        evse_uid="E1",
        connector_id="1",
        currency="VND",
        charging_periods=[period("2026-11-01T08:00:00Z"), period("2026-11-01T08:30:00Z")],
        status=sessions_pb2.SESSION_STATUS_ACTIVE,
        last_updated=stamp("2026-11-01T09:00:00Z"),
    )
    relay = deliveries_pb2.Message(module="sessions", method="PUT", path="S1", body=b"{}")
    await hub.update_session(
        sessions_rpc.UpdateSessionRequest(session=session, allow_missing=True, caller_platform=cpa, relay=relay)
    )


async def test_quote_prices_a_stored_session_so_far(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    await active_session(hub)

    text = await hubctl("billing", "quote", "sessions/VN/CPA/S1")
    output = (await hubctl("billing", "quote", "vn/cpa/S1", "--json")).json()

    assert text.code == 0, text.stderr
    head, *lines = text.stdout.splitlines()
    assert head == "VN/CPA/S1 so far, priced with VN/CPA/T-AC (VND):"
    figures = {
        line.split(":")[0].strip(): line.split(":", 1)[1] for line in lines if not line.strip().startswith("note")
    }
    amounts = {name: [Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?", value)] for name, value in figures.items()}
    # 5 kWh x 3500 + 1 h x 6000 = 23500 VND excl. VAT, 25850 with 10 %.
    assert amounts["total"] == [23500, 25850]
    assert amounts["energy"] == [17500, 19250]
    assert amounts["time"] == [6000, 6600]
    assert figures["total"].endswith(" VND incl. VAT")
    assert output["session"] == "sessions/VN/CPA/S1"
    assert (output["currency"], output["tariff"]) == ("VND", "tariffs/VN/CPA/T-AC")
    assert Decimal(output["total_cost"]["excl_vat"]) == 23500
    assert Decimal(output["total_cost"]["incl_vat"]) == 25850
    assert Decimal(output["total_energy_cost"]["excl_vat"]) == 17500


async def test_quote_of_an_unknown_or_malformed_session(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    await active_session(hub)

    unknown = await hubctl("billing", "quote", "VN/CPA/S9")
    malformed = await hubctl("billing", "quote", "VN/S1")

    assert (unknown.code, unknown.stdout) == (1, "")
    assert unknown.stderr == "error: no session VN/CPA/S9\n"
    assert malformed.code == 2
    assert "COUNTRY_CODE/PARTY_ID/ID, e.g. VN/CPA/S1" in malformed.stderr


# analytics usage


async def test_usage_per_cpo_of_the_october_cdrs(hubctl: Hubctl, month: None, db: asyncpg.Pool) -> None:
    table = await hubctl("analytics", "usage", "--from", "2026-10-01", "--to", "2026-11-01")
    output = (await hubctl("analytics", "usage", "--from", "2026-10-01", "--to", "2026-11-01", "--json")).json()

    assert table.code == 0, table.stderr
    header = table.stdout.splitlines()[0]
    assert re.split(r"\s{2,}", header) == [
        "KEY", "SESSIONS", "ENERGY kWh", "REVENUE", "AVG DURATION h", "UTILISATION",
    ]  # fmt: skip
    cells = rows(table.stdout)
    assert list(cells) == ["VN/CP1", "VN/CP2", "VN/CP3", "TOTAL"]
    assert cells["VN/CP1"][:2] == ["VN/CP1", "2"]
    assert Decimal(cells["VN/CP1"][2]) == 11
    assert revenue(cells["VN/CP1"][3]) == {"VND": Decimal(35000), "EUR": Decimal("1.00")}
    assert cells["VN/CP1"][4:] == ["1.00", "-"]  # one-hour sessions; no locations, so no utilisation
    assert cells["TOTAL"][1] == "4"
    assert Decimal(cells["TOTAL"][2]) == Decimal("21.333")
    # Revenue is what the CPOs reported (11665.5 VND), not the settled amount.
    assert revenue(cells["TOTAL"][3]) == {"VND": Decimal("46665.5"), "EUR": Decimal("3.59")}
    # The local days of Asia/Ho_Chi_Minh (UTC+7), as UTC instants.
    assert (output["from"], output["to"]) == ("2026-09-30T17:00:00Z", "2026-10-31T17:00:00Z")
    assert (output["time_zone"], output["by"], output["party"]) == ("Asia/Ho_Chi_Minh", "party", None)
    by_cpo = {row["key"]: row for row in output["rows"]}
    assert {key: row["sessions"] for key, row in by_cpo.items()} == {"VN/CP1": 2, "VN/CP2": 1, "VN/CP3": 1}
    assert {key: Decimal(row["energy"]) for key, row in by_cpo.items()} == {
        "VN/CP1": Decimal(11), "VN/CP2": Decimal(7), "VN/CP3": Decimal("3.333"),
    }  # fmt: skip
    assert {key: {c: Decimal(a) for c, a in row["revenue"].items()} for key, row in by_cpo.items()} == {
        "VN/CP1": {"VND": Decimal(35000), "EUR": Decimal("1.00")},
        "VN/CP2": {"EUR": Decimal("2.59")},
        "VN/CP3": {"VND": Decimal("11665.5")},
    }
    assert output["total"]["sessions"] == 4


async def test_usage_utilisation_of_one_local_day_by_location_and_day(
    hubctl: Hubctl, hub: HubClient, month: None, db: asyncpg.Pool
) -> None:
    # VN/CP1's LOC1 has two EVSEs; its two October sessions charged an hour each on 10 October (16:00 local).
    await push_location(hub, await platform_of(db, "CP1"), "VN/CP1", "LOC1", "Site", "Ha Noi", ("21.0", "105.8"),
                        "AVAILABLE", "CHARGING")  # fmt: skip
    day = ("--from", "2026-10-10", "--to", "2026-10-11")

    party = rows((await hubctl("analytics", "usage", *day, "--party", "VN/CP1")).stdout)
    location = rows((await hubctl("analytics", "usage", *day, "--by", "location")).stdout)
    days = (await hubctl("analytics", "usage", *day, "--by", "day", "--json")).json()

    # 2 charging hours / (2 EVSEs x 24 h) = 4.2 %.
    assert list(party) == ["VN/CP1", "TOTAL"]
    assert party["VN/CP1"][1] == "2"
    assert party["VN/CP1"][5] == "4.2%"
    assert location["VN/CP1/LOC1"][5] == "4.2%"
    assert [row["key"] for row in days["rows"]] == ["2026-10-10"]
    assert days["rows"][0]["sessions"] == 4


async def test_usage_days_are_cut_in_the_time_zone_given(hubctl: Hubctl, month: None, db: asyncpg.Pool) -> None:
    # The October CDRs ended at 09:00 UTC on 10 October: 16:00 that day in Ha Noi, 23:00 the day before in Honolulu.
    hanoi = await hubctl("analytics", "usage", "--from", "2026-10-10", "--to", "2026-10-11", "--json")
    honolulu_10th = await hubctl(
        "analytics", "usage", "--from", "2026-10-10", "--to", "2026-10-11", "--tz", "Pacific/Honolulu"
    )
    honolulu_9th = await hubctl(
        "analytics", "usage", "--from", "2026-10-09", "--to", "2026-10-10", "--tz", "Pacific/Honolulu", "--by", "day"
    )

    assert hanoi.json()["total"]["sessions"] == 4
    assert honolulu_10th.code == 0, honolulu_10th.stderr
    assert honolulu_10th.stderr == "no sessions ended between 2026-10-10 and 2026-10-11 (Pacific/Honolulu)\n"
    assert rows(honolulu_10th.stdout)["TOTAL"][1] == "0"
    assert rows(honolulu_9th.stdout)["2026-10-09"][1] == "4"


async def test_usage_errors_exit_2(hubctl: Hubctl, db: asyncpg.Pool) -> None:
    cases = [
        (("--from", "2026-11-01", "--to", "2026-11-01"), "--from 2026-11-01 must be before --to 2026-11-01"),
        (("--from", "2026-11-01", "--to", "2026-12-01", "--tz", "Mars/Olympus"), "not an IANA time zone"),
        (("--from", "01/11/2026", "--to", "2026-12-01"), "not a date like 2026-11-01"),
        (("--from", "2026-11-01", "--to", "2026-12-01", "--by", "week"), "invalid choice: 'week'"),
        (("--to", "2026-12-01",), "the following arguments are required: --from"),
    ]  # fmt: skip
    for options, message in cases:
        result = await hubctl("analytics", "usage", *options)
        assert (result.code, result.stdout) == (2, ""), options
        assert message in result.stderr, (options, result.stderr)


def revenue(cell: str) -> dict[str, Decimal]:
    """ "1.00 EUR, 35000 VND" → {"EUR": 1.00, "VND": 35000}"""
    return {currency: Decimal(amount) for amount, currency in (part.split() for part in cell.split(", "))}
