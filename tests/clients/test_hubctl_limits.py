"""hubctl party limits, as a real subprocess against the real core: show, set, merge, clear, refusals."""

from __future__ import annotations

from hubclient import HubClient
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl, invite

hubctl = test_hubctl.hubctl


async def test_a_party_without_limits_shows_the_hub_defaults(hub: HubClient, hubctl: Hubctl) -> None:
    await invite(hub, "VN/ABC")
    shown = await hubctl("party", "limits", "vn/abc")
    assert shown.code == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "VN/ABC limits (per module)",
        "  rate:          Hub default",
        "  burst:         Hub default",
        "  allowed from:  any address",
    ]


async def test_limits_are_set_merged_and_cleared(hub: HubClient, hubctl: Hubctl) -> None:
    await invite(hub, "VN/ABC")
    set_ = await hubctl(
        "party", "limits", "VN/ABC", "--rate", "20", "--burst", "40", "--module", "locations=5",
        "--module", "QR=2/4", "--allow-ip", "10.1.0.0/16", "--allow-ip", "192.0.2.7", "--json",
    )  # fmt: skip
    assert set_.json() | {"update_time": None} == {
        "party": "VN/ABC",
        "rate_per_second": 20,
        "burst": 40,
        "modules": {"locations": {"rate_per_second": 5, "burst": None}, "qr": {"rate_per_second": 2, "burst": 4}},
        "allowed_cidrs": ["10.1.0.0/16", "192.0.2.7/32"],
        "update_time": None,
    }
    # Options change only what they name; RATE 0 drops a module's limit.
    merged = await hubctl("party", "limits", "VN/ABC", "--module", "qr=0", "--module", "cdrs=1", "--json")
    assert merged.json()["modules"] == {
        "cdrs": {"rate_per_second": 1, "burst": None},
        "locations": {"rate_per_second": 5, "burst": None},
    }
    assert (merged.json()["rate_per_second"], merged.json()["allowed_cidrs"]) == (20, ["10.1.0.0/16", "192.0.2.7/32"])
    text = await hubctl("party", "limits", "VN/ABC", "--allow-any-ip")
    assert "  locations:     5 req/s, burst default (the Hub's burst scaled to the rate)" in text.stdout
    assert "  allowed from:  any address" in text.stdout
    cleared = await hubctl("party", "limits", "VN/ABC", "--clear", "--rate", "3", "--json")
    assert (cleared.json()["rate_per_second"], cleared.json()["modules"]) == (3, {})
    limits = await hub.get_party_limits("VN", "ABC")
    assert (limits.rate_per_second, limits.burst, list(limits.module_limits)) == (3, 0, [])


async def test_refusals(hub: HubClient, hubctl: Hubctl) -> None:
    await invite(hub, "VN/ABC")
    unknown = await hubctl("party", "limits", "VN/ZZZ")
    assert (unknown.code, unknown.stderr.strip()) == (1, "error: no party VN/ZZZ")
    bad_module = await hubctl("party", "limits", "VN/ABC", "--module", "telepathy=3")
    assert bad_module.code == 1
    assert "module_limits[0].module: 'telepathy' is not one of" in bad_module.stderr
    bad_cidr = await hubctl("party", "limits", "VN/ABC", "--allow-ip", "10.0.0.0/33")
    assert bad_cidr.code == 1 and "allowed_cidrs[0]" in bad_cidr.stderr
    usage = await hubctl("party", "limits", "VN/ABC", "--module", "locations")
    assert usage.code == 2 and "MODULE=RATE" in usage.stderr
    assert (await hub.get_party_limits("VN", "ABC")).module_limits == []
