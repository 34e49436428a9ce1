"""Issue 16, point 6: each charging period is priced with its own tariff. A period that names one is priced with it;
one that names none with the tariff its session calls for among the connector's tariff_ids: AD_HOC_PAYMENT for an
ad-hoc token, PROFILE_* for the token's charging preference, REGULAR otherwise. The verification says which tariff
priced each period."""

from __future__ import annotations

from typing import Any

import pytest

from ocpihub.billing.v1 import billing_pb2
from ocpihub.cdrs.v1 import cdrs_pb2
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network

hubctl = test_hubctl.hubctl
CDRS = "/ocpi/2.2.1/receiver/cdrs"
TARIFFS = "/ocpi/2.2.1/receiver/tariffs/VN/CPA"


def energy_tariff(tariff_id: str, tariff_type: str, price: int) -> dict[str, Any]:
    """VND per kWh + 10 % VAT, nothing else: a 10 kWh session costs 10 x price."""
    return {
        "country_code": "VN",
        "party_id": "CPA",
        "id": tariff_id,
        "currency": "VND",
        "type": tariff_type,
        "elements": [{"price_components": [{"type": "ENERGY", "price": price, "vat": 10.0, "step_size": 1}]}],
        "last_updated": "2026-11-01T07:00:00Z",
    }


@pytest.fixture
async def connector_tariffs(hub_http: Hub, network: Network) -> Network:
    """LOC1-E1 connector 1 lists an ad-hoc, a green and a regular tariff (ad-hoc first: order alone decides nothing)."""
    location = samples.location()
    location["evses"][0]["connectors"][0]["tariff_ids"] = ["TARIFF-ADHOC", "TARIFF-GREEN", "TARIFF-AC"]
    answer = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1", json=location, headers=network.cpo_headers()
    )
    assert answer.json()["status_code"] == 1000
    tariffs = [
        samples.time_based_tariff(),  # REGULAR, 3,500 VND/kWh
        energy_tariff("TARIFF-ADHOC", "AD_HOC_PAYMENT", 5000),
        energy_tariff("TARIFF-GREEN", "PROFILE_GREEN", 4000),
        energy_tariff("TARIFF-FAST", "PROFILE_FAST", 6000),
    ]
    for tariff in tariffs:
        answer = await hub_http.http.put(f"{TARIFFS}/{tariff['id']}", json=tariff, headers=network.cpo_headers())
        assert answer.json()["status_code"] == 1000, answer.json()
    return network


def cdr(cdr_id: str, excl: int, periods: list[dict[str, Any]], **token: str) -> dict[str, Any]:
    body = samples.cdr(cdr_id, total_excl=excl, total_incl=excl * 11 // 10)
    body["charging_periods"] = periods
    body["cdr_token"] |= token
    return body


def period(start: str, kwh: float, hours: float, tariff_id: str | None = None) -> dict[str, Any]:
    data = samples.charging_period(start, kwh, hours)
    if tariff_id is None:
        del data["tariff_id"]
    else:
        data["tariff_id"] = tariff_id
    return data


async def post(hub_http: Hub, network: Network, body: dict[str, Any]) -> cdrs_pb2.CdrVerification:
    answer = await hub_http.http.post(CDRS, json=body, headers=network.cpo_headers())
    assert (answer.status_code, answer.json()["status_code"]) == (201, 1000), answer.json()
    return (await hub_http.core.get_cdr(f"cdrs/VN/CPA/{body['id']}")).verification


def priced_by(priced: cdrs_pb2.CdrVerification | billing_pb2.Quote) -> list[tuple[str, str, str]]:
    return [
        (p.tariff.removeprefix("tariffs/VN/CPA/"), cdrs_pb2.TariffChoice.Name(p.choice).removeprefix("TARIFF_CHOICE_"),
         p.wanted_type)
        for p in priced.period_tariffs
    ]  # fmt: skip


async def test_each_period_is_priced_with_the_tariff_it_names(hub_http: Hub, connector_tariffs: Network) -> None:
    """The driver switched to a fast profile half-way: 5 kWh at 3,500 then 5 kWh at 6,000 VND."""
    periods = [
        period("2026-11-01T08:00:00Z", 5, 0.5, "TARIFF-AC"),
        period("2026-11-01T08:30:00Z", 5, 0.5, "TARIFF-FAST"),
    ]
    verification = await post(hub_http, connector_tariffs, cdr("CDR-SWITCH", 47500, periods))
    assert verification.state == cdrs_pb2.VERIFICATION_STATE_MATCH, verification
    assert verification.computed_total_cost.excl_vat == "47500.00"
    assert priced_by(verification) == [("TARIFF-AC", "NAMED", ""), ("TARIFF-FAST", "NAMED", "")]


async def test_an_ad_hoc_session_is_priced_with_the_ad_hoc_tariff(hub_http: Hub, connector_tariffs: Network) -> None:
    body = cdr("CDR-ADHOC", 50000, [period("2026-11-01T08:00:00Z", 10, 1)], type="AD_HOC_USER", uid="CARD-1")
    verification = await post(hub_http, connector_tariffs, body)
    assert verification.state == cdrs_pb2.VERIFICATION_STATE_MATCH, verification
    assert priced_by(verification) == [("TARIFF-ADHOC", "BY_TYPE", "AD_HOC_PAYMENT")]


async def test_the_drivers_charging_profile_picks_the_profile_tariff(hub_http: Hub, connector_tariffs: Network) -> None:
    token = samples.token("RFID-0001", default_profile_type="GREEN")
    answer = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tokens/VN/EM1/RFID-0001", json=token, headers=connector_tariffs.emsp_headers()
    )
    assert answer.json()["status_code"] == 1000, answer.json()
    green = await post(hub_http, connector_tariffs, cdr("CDR-GREEN", 40000, [period("2026-11-01T08:00:00Z", 10, 1)]))
    assert green.state == cdrs_pb2.VERIFICATION_STATE_MATCH, green
    assert priced_by(green) == [("TARIFF-GREEN", "BY_TYPE", "PROFILE_GREEN")]

    # Another card of the eMSP has no preference: REGULAR.
    plain = cdr("CDR-PLAIN", 35000, [period("2026-11-01T08:00:00Z", 10, 1)], uid="RFID-0002")
    regular = await post(hub_http, connector_tariffs, plain)
    assert regular.state == cdrs_pb2.VERIFICATION_STATE_MATCH, regular
    assert priced_by(regular) == [("TARIFF-AC", "BY_TYPE", "REGULAR")]


async def test_a_profile_the_connector_has_no_tariff_for_falls_back_to_regular(
    hub_http: Hub, connector_tariffs: Network
) -> None:
    token = samples.token("RFID-0003", default_profile_type="CHEAP")
    await hub_http.http.put(
        "/ocpi/2.2.1/receiver/tokens/VN/EM1/RFID-0003", json=token, headers=connector_tariffs.emsp_headers()
    )
    body = cdr("CDR-CHEAP", 35000, [period("2026-11-01T08:00:00Z", 10, 1)], uid="RFID-0003")
    verification = await post(hub_http, connector_tariffs, body)
    assert verification.state == cdrs_pb2.VERIFICATION_STATE_MATCH, verification
    assert priced_by(verification) == [("TARIFF-AC", "BY_TYPE", "PROFILE_CHEAP")]
    assert any("no PROFILE_CHEAP tariff" in note for note in verification.notes)


async def test_a_session_quote_prices_each_period_so_far(
    hub_http: Hub, connector_tariffs: Network, hubctl: Hubctl
) -> None:
    session = samples.session(
        "S-ADHOC",
        kwh=10,
        charging_periods=[period("2026-11-01T08:00:00Z", 4, 0.5), period("2026-11-01T08:30:00Z", 6, 0.5, "TARIFF-AC")],
        last_updated="2026-11-01T09:00:00Z",
    )
    session["cdr_token"] |= {"type": "AD_HOC_USER", "uid": "CARD-2"}
    answer = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/sessions/VN/CPA/S-ADHOC", json=session, headers=connector_tariffs.cpo_headers()
    )
    assert answer.json()["status_code"] == 1000, answer.json()
    quote = await hub_http.core.quote_session("sessions/VN/CPA/S-ADHOC")
    # 4 kWh ad hoc at 5,000 and 6 kWh at the named regular 3,500 VND.
    assert (quote.total_cost.excl_vat, quote.total_cost.incl_vat) == ("41000.00", "45100.00")
    assert quote.tariff == "tariffs/VN/CPA/TARIFF-ADHOC"
    assert priced_by(quote) == [("TARIFF-ADHOC", "BY_TYPE", "AD_HOC_PAYMENT"), ("TARIFF-AC", "NAMED", "")]

    # The operator sees it too.
    text = await hubctl("billing", "quote", "VN/CPA/S-ADHOC")
    assert text.code == 0, text.stderr
    assert (
        "  note: priced period 0 VN/CPA/TARIFF-ADHOC (AD_HOC_PAYMENT of the connector's), period 1 VN/CPA/TARIFF-AC"
        in text.stdout.splitlines()
    )
    output = (await hubctl("billing", "quote", "VN/CPA/S-ADHOC", "--json")).json()
    assert [(p["period"], p["tariff"], p["choice"]) for p in output["period_tariffs"]] == [
        (0, "tariffs/VN/CPA/TARIFF-ADHOC", "by_type"),
        (1, "tariffs/VN/CPA/TARIFF-AC", "named"),
    ]


async def test_hubctl_mismatches_say_which_tariff_priced_each_period(
    hub_http: Hub, connector_tariffs: Network, hubctl: Hubctl
) -> None:
    """Reported as if the regular tariff priced both periods: the second names the fast one."""
    periods = [
        period("2026-11-01T08:00:00Z", 5, 0.5, "TARIFF-AC"),
        period("2026-11-01T08:30:00Z", 5, 0.5, "TARIFF-FAST"),
    ]
    verification = await post(hub_http, connector_tariffs, cdr("CDR-WRONG", 35000, periods))
    assert verification.state == cdrs_pb2.VERIFICATION_STATE_MISMATCH
    table = await hubctl("billing", "mismatches")
    assert table.code == 0, table.stderr
    assert "  VN/CPA/CDR-WRONG: priced period 0 VN/CPA/TARIFF-AC, period 1 VN/CPA/TARIFF-FAST" in table.stdout
    [mismatch] = (await hubctl("billing", "mismatches", "--json")).json()["mismatches"]
    assert [p["tariff"] for p in mismatch["period_tariffs"]] == [
        "tariffs/VN/CPA/TARIFF-AC",
        "tariffs/VN/CPA/TARIFF-FAST",
    ]


async def put_location_tariff_ids(hub_http: Hub, network: Network, tariff_ids: list[str]) -> None:
    location = samples.location()
    location["evses"][0]["connectors"][0]["tariff_ids"] = tariff_ids
    location["last_updated"] = "2026-11-02T07:00:00Z"
    answer = await hub_http.http.put(
        "/ocpi/2.2.1/receiver/locations/VN/CPA/LOC1", json=location, headers=network.cpo_headers()
    )
    assert answer.json()["status_code"] == 1000, answer.json()


async def test_a_tariff_addressed_to_the_sessions_emsp_wins_and_one_addressed_to_another_never_prices_it(
    hub_http: Hub, connector_tariffs: Network
) -> None:
    for tariff_id, emsp, price in (("TARIFF-EM1", "EM1", 3000), ("TARIFF-EM2", "EM2", 2000)):
        answer = await hub_http.http.put(
            f"{TARIFFS}/{tariff_id}",
            json=energy_tariff(tariff_id, "REGULAR", price),
            headers=connector_tariffs.cpo_headers(to=("VN", emsp)),
        )
        assert answer.json()["status_code"] == 1000, answer.json()
    # EM2's own tariff comes first on the connector, then the public one, then EM1's own.
    await put_location_tariff_ids(hub_http, connector_tariffs, ["TARIFF-EM2", "TARIFF-AC", "TARIFF-EM1"])

    em1 = await post(hub_http, connector_tariffs, cdr("CDR-EM1", 30000, [period("2026-11-01T08:00:00Z", 10, 1)]))
    assert priced_by(em1) == [("TARIFF-EM1", "BY_TYPE", "REGULAR")]
    assert em1.state == cdrs_pb2.VERIFICATION_STATE_MATCH, em1
    em2_cdr = cdr("CDR-EM2", 20000, [period("2026-11-01T08:00:00Z", 10, 1)], party_id="EM2")
    em2 = await post(hub_http, connector_tariffs, em2_cdr)
    assert priced_by(em2) == [("TARIFF-EM2", "BY_TYPE", "REGULAR")]

    # Without a tariff of its own, EM1's session takes the public one, never EM2's (first on the connector).
    await put_location_tariff_ids(hub_http, connector_tariffs, ["TARIFF-EM2", "TARIFF-AC"])
    public = await post(hub_http, connector_tariffs, cdr("CDR-EM1-B", 35000, [period("2026-11-01T08:00:00Z", 10, 1)]))
    assert priced_by(public) == [("TARIFF-AC", "BY_TYPE", "REGULAR")]
    assert public.state == cdrs_pb2.VERIFICATION_STATE_MATCH, public
