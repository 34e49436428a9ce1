"""hubctl billing agreements set|list, billing statement -o FILE.html and the new period forms, as a real subprocess
against the real core; an analyst's certificate reads but never sets."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import asyncpg

from hubclient import HubClient
from tests import internal_tls
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.core import test_settlement_agreements
from tests.core.test_settlement_agreements import post

hubctl = test_hubctl.hubctl
parties = test_settlement_agreements.parties


def analyst() -> dict[str, str]:
    return internal_tls.client_env(internal_tls.session_dir(), "analyst")


async def test_agreements_set_then_list(hubctl: Hubctl, parties: dict[str, str], db: asyncpg.Pool) -> None:
    cpo = await hubctl("billing", "agreements", "set", "--cpo", "vn/cp1", "--shares", "80,15,5", "--from", "2026-10-01")
    pair = await hubctl(
        "billing", "agreements", "set", "--cpo", "VN/CP1", "--emsp", "VN/EM2", "--shares", "60,30,10",
        "--from", "2026-10-15", "--period", "weekly", "--vat-percent", "8", "--json",
    )  # fmt: skip
    listed = await hubctl("billing", "agreements", "list")
    as_json = (await hubctl("billing", "agreements", "list", "--cpo", "VN/CP1", "--json")).json()

    assert cpo.code == 0, cpo.stderr
    assert cpo.stdout == (
        "agreement VN/CP1 with any eMSP from 2026-10-01: shares 80/15/5 (CPO/EMSP/HUB %), monthly periods, "
        "VAT 10 % on the Hub's fee\n"
    )
    assert pair.json()["emsp"] == "VN/EM2" and pair.json()["period"] == "weekly"
    rows = [re.split(r"\s{2,}", row) for row in listed.stdout.splitlines()]
    assert rows == [
        ["CPO", "EMSP", "FROM", "SHARES CPO/EMSP/HUB %", "PERIOD", "FEE VAT %", "SET BY"],
        ["VN/CP1", "(any)", "2026-10-01", "80/15/5", "monthly", "10", "operator"],
        ["VN/CP1", "VN/EM2", "2026-10-15", "60/30/10", "weekly", "8", "operator"],
        ["(hub default)", "(any)", "-", "70/20/10", "monthly", "10", "-"],
    ]
    assert [a["shares"] for a in as_json["agreements"]] == ["80/15/5", "60/30/10"]
    assert as_json["hub_default"]["vat_percent"] == "10"
    assert await db.fetchval("SELECT count(*) FROM settlement_agreements") == 2


async def test_agreements_set_refuses_bad_input_and_analysts(
    hubctl: Hubctl, parties: dict[str, str], db: asyncpg.Pool
) -> None:
    base = ("billing", "agreements", "set", "--cpo", "VN/CP1", "--from", "2026-10-01")
    cases = [
        (("--shares", "70,20,20"), "adding up to 100"),
        (("--shares", "70,20,10", "--period", "daily"), "invalid choice: 'daily'"),
        (("--shares", "70,20,10", "--vat-percent", "-1"), "not a percent from 0 to 100"),
    ]
    for options, message in cases:
        result = await hubctl(*base, *options)
        assert (result.code, result.stdout) == (2, ""), options
        assert message in result.stderr, (options, result.stderr)
    refused = await hubctl(*base, "--shares", "70,20,10", env=analyst())
    read = await hubctl("billing", "agreements", "list", env=analyst())
    closing = await hubctl("billing", "close", "--period", "2026-10", env=analyst())

    assert (refused.code, refused.stderr) == (
        1,
        "error: analyst (analyst) may not call /ocpihub.billing.v1.BillingService/SetSettlementAgreement\n",
    )
    assert read.code == 0, read.stderr
    assert closing.code == 1 and "may not call" in closing.stderr, closing.stderr
    assert await db.fetchval("SELECT count(*) FROM settlement_agreements") == 0
    assert await db.fetchval("SELECT count(*) FROM settlement_statements") == 0


async def test_settle_a_week_in_another_time_zone(hubctl: Hubctl, hub: HubClient, parties: dict[str, str]) -> None:
    await hubctl("billing", "agreements", "set", "--cpo", "VN/CP1", "--shares", "70,20,10", "--from", "2026-10-01",
                 "--period", "weekly")  # fmt: skip
    # Monday 2026-11-02 00:30 in Ho Chi Minh City is still Sunday 1 Nov in UTC.
    await post(hub, parties["CP1"], "CP1", "EARLY", "EM1", end="2026-11-01T17:30:00Z")

    local = (await hubctl("billing", "settle", "--period", "2026-W45", "--format", "json")).json()
    utc = (await hubctl("billing", "settle", "--period", "2026-W45", "--time-zone", "UTC", "--format", "json")).json()
    utc_before = await hubctl("billing", "settle", "--period", "2026-W44", "--time-zone", "UTC", "--format", "csv")
    bad = await hubctl("billing", "settle", "--period", "2026-W45", "--time-zone", "Mars/Olympus")

    assert [line["cdr"] for line in local["lines"]] == ["cdrs/VN/CP1/EARLY"]
    assert (local["kind"], local["start_time"], local["due_date"]) == ("weekly", "2026-11-01T17:00:00Z", "2026-11-22")
    assert utc["lines"] == [] and utc["time_zone"] == "UTC"
    assert "cdrs/VN/CP1/EARLY" in utc_before.stdout
    assert bad.code == 2 and "not an IANA time zone" in bad.stderr


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]


async def test_statement_writes_one_partys_printable_html(
    hubctl: Hubctl, hub: HubClient, parties: dict[str, str], tmp_path: Path
) -> None:
    await post(hub, parties["CP1"], "CP1", "A", "EM1", end="2026-10-05T05:00:00Z", price="3500", kwh="10")
    await post(hub, parties["CP2"], "CP2", "B", "EM2", end="2026-10-05T05:00:00Z", price="1000", kwh="1")
    out = tmp_path / "em1.html"

    result = await hubctl("billing", "statement", "--period", "2026-10", "--party", "VN/EM1", "-o", str(out))
    unwritable = await hubctl(
        "billing", "statement", "--period", "2026-10", "--party", "VN/EM1", "-o", str(tmp_path / "no" / "x.html")
    )

    assert result.code == 0, result.stderr
    assert result.stdout == f"wrote {out}: 2026-10 (open) for VN/EM1, 1 CDR(s)\n"
    page = _Text()
    page.feed(out.read_text(encoding="utf-8"))
    text = " ".join(" ".join(page.text).split())
    assert "Settlement statement 2026-10 - VN/EM1" in text
    # 35000 VND: the eMSP keeps 7000 and pays CP1 35000 - 7000 - (3500 + 350), the Hub 3850.
    assert "VN/EM1 pays VN/CP1 24150 VND and pays VN/HUB 3850 VND (fee 3500 + VAT 350) for 1 CDR(s)" in text
    assert "Due by 2026-11-14" in text
    assert "VN/CP2" not in text  # another pair's CDR is not on EM1's statement
    assert page.links == []  # self-contained: no CDN, no external stylesheet or script
    assert unwritable.code == 1 and "cannot write" in unwritable.stderr


async def test_the_readme_example_for_analysts_runs_with_an_analyst_certificate(
    core_address: str, hub: HubClient, parties: dict[str, str]
) -> None:
    await post(hub, parties["CP1"], "CP1", "A", "EM1", end="2026-11-05T05:00:00Z", price="3500", kwh="10")
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**For analysts, in Python.**") :]
    start = section.index("```python\n") + len("```python\n")
    snippet = section[start : section.index("\n```\n", start)]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")} | analyst()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", snippet.replace("hub-core.internal:50051", core_address),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environ,
    )  # fmt: skip
    stdout, stderr = await process.communicate()

    assert process.returncode == 0, stderr.decode()
    lines = stdout.decode().splitlines()
    assert lines[0] == "2026-11 Asia/Ho_Chi_Minh due 2026-12-14 open"
    assert lines[1] == "VN/EM1 pays VN/CP1 24150 VND and the Hub 3850 (fee 3500 + VAT 350)"
    assert lines[2].startswith("cdrs/VN/CP1/A 35000 24150 hub default from 1970-01-01")


async def test_close_a_week_cut_in_another_zone(hubctl: Hubctl, hub: HubClient, parties: dict[str, str]) -> None:
    await hub.set_settlement_agreement(test_settlement_agreements.agreement("VN/CP1", "70,20,10", "2026-10-01",
                                                                             period="weekly"))  # fmt: skip
    # Sunday 11 Oct 20:00 in UTC is Monday 12 Oct 03:00 in Ho Chi Minh City: W41 in UTC, W42 locally.
    await post(hub, parties["CP1"], "CP1", "EDGE", "EM1", end="2026-10-11T20:00:00Z")

    closed = await hubctl("billing", "close", "--period", "2026-W41", "--time-zone", "UTC", "--json")
    later = (await hubctl("billing", "settle", "--period", "2026-W41", "--format", "json")).json()
    local_next = (await hubctl("billing", "settle", "--period", "2026-W42", "--format", "json")).json()

    assert closed.code == 0, closed.stderr
    frozen = closed.json()
    assert (frozen["time_zone"], frozen["closed"], [x["cdr"] for x in frozen["lines"]]) == (
        "UTC",
        True,
        ["cdrs/VN/CP1/EDGE"],
    )
    assert later == frozen  # asked in the Hub's zone, the closed week is the one frozen in UTC
    assert local_next["lines"] == []  # settled once: not again in the local W42
