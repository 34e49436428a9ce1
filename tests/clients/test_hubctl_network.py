"""hubctl locations / tariffs / deliveries, run as a real subprocess against the real core (and PostgreSQL).

Data goes in as a CPO's pushes would put it there (UpdateLocation/UpdateTariff through hubclient); deliveries are
queued by those pushes for the registered eMSPs and driven to their states the way facade workers would.
"""

from __future__ import annotations

import asyncio
import re

import asyncpg
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from hubclient import HubClient
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.deliveries.v1 import deliveries_service_pb2 as deliveries_rpc
from ocpihub.locations.v1 import locations_pb2 as loc
from ocpihub.locations.v1 import locations_service_pb2 as locations_rpc
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from ocpihub.tariffs.v1 import tariffs_pb2 as tar
from ocpihub.tariffs.v1 import tariffs_service_pb2 as tariffs_rpc
from tests.clients import test_hubctl
from tests.clients.test_hubctl import Hubctl

# The same fixture as test_hubctl's: hubctl as a subprocess against the session's core.
hubctl = test_hubctl.hubctl
UPDATED = "2026-11-01T08:00:00Z"


def stamp(text: str = UPDATED) -> Timestamp:
    value = Timestamp()
    value.FromJsonString(text)
    return value


# Parties


async def register(hub: HubClient, party_id: str, role: pb.Role.ValueType, *receives: str) -> str:
    """Invites and registers VN/<party_id> on its own platform; `receives`: modules it has a RECEIVER for."""
    token_a = (
        await hub.invite_party(
            rpc.InvitePartyRequest(country_code="VN", party_id=party_id, role=role, display_name=f"{party_id} Co")
        )
    ).token_a
    base = f"http://127.0.0.1:9001/{party_id.lower()}/ocpi/2.2.1"
    interface = pb.INTERFACE_ROLE_RECEIVER if receives else pb.INTERFACE_ROLE_SENDER
    response = await hub.register_platform(
        rpc.RegisterPlatformRequest(
            token_a=token_a,
            token_b=f"token-b-of-{party_id}",
            platform=pb.Platform(
                versions_url=f"http://127.0.0.1:9001/{party_id.lower()}/ocpi/versions",
                version="2.2.1",
                endpoints=[
                    pb.Endpoint(identifier="credentials", role=pb.INTERFACE_ROLE_RECEIVER, url=f"{base}/credentials"),
                    *(
                        pb.Endpoint(identifier=module, role=interface, url=f"{base}/{module}")
                        for module in (receives or ("locations", "tariffs"))
                    ),
                ],
                roles=[
                    pb.CredentialsRole(
                        role=role,
                        country_code="VN",
                        party_id=party_id,
                        business_details=pb.BusinessDetails(name=f"{party_id} Co"),
                    )
                ],
            ),
        )
    )
    return response.platform.name


# Locations and tariffs, as CPOs push them


def evse(uid: str, status: str) -> loc.Evse:
    connector = loc.Connector(
        id="1",
        standard=loc.CONNECTOR_TYPE_IEC_62196_T2,
        format=loc.CONNECTOR_FORMAT_SOCKET,
        power_type=loc.POWER_TYPE_AC_3_PHASE,
        max_voltage=400,
        max_amperage=32,
        max_electric_power=22000,
        tariff_ids=["TARIFF-AC"],
        last_updated=stamp(),
    )
    return loc.Evse(
        uid=uid,
        evse_id=f"VN*CPA*E{uid}",
        status=loc.EvseStatus.Value(f"EVSE_STATUS_{status}"),
        connectors=[connector],
        last_updated=stamp(),
    )


async def push_location(
    hub: HubClient,
    platform: str,
    owner: str,
    location_id: str,
    name: str,
    city: str,
    position: tuple[str, str],
    *statuses: str,
    country: str = "VNM",
) -> int:
    """PUTs a location as its CPO would; returns how many deliveries it queued."""
    country_code, party_id = owner.split("/")
    location = loc.Location(
        country_code=country_code,
        party_id=party_id,
        id=location_id,
        publish=True,
        name=name,
        address="191 Ba Trieu",
        city=city,
        postal_code="100000",
        country=country,
        coordinates=loc.GeoLocation(latitude=position[0], longitude=position[1]),
        evses=[evse(f"{location_id}-E{n}", status) for n, status in enumerate(statuses, 1)],
        time_zone="Asia/Ho_Chi_Minh",
        last_updated=stamp(),
    )
    response = await hub.update_location(
        locations_rpc.UpdateLocationRequest(
            location=location,
            allow_missing=True,
            caller_platform=platform,
            relay=deliveries_pb2.Message(module="locations", method="PUT", path=f"{owner}/{location_id}", body=b"{}"),
        )
    )
    return response.deliveries


async def network(hub: HubClient) -> None:
    """Two CPOs: VN/CPA with three locations (two in Ha Noi, one in Ho Chi Minh City), VN/CPB with one in Bangkok."""
    cpa = await register(hub, "CPA", pb.ROLE_CPO)
    cpb = await register(hub, "CPB", pb.ROLE_CPO)
    await push_location(hub, cpa, "VN/CPA", "LOC1", "Vincom Center Ba Trieu", "Ha Noi", ("21.011570", "105.849400"),
                        "AVAILABLE", "CHARGING")  # fmt: skip
    await push_location(hub, cpa, "VN/CPA", "LOC2", "Lotte Center", "Ha Noi", ("21.031800", "105.812400"),
                        "AVAILABLE", "OUTOFORDER")  # fmt: skip
    await push_location(hub, cpa, "VN/CPA", "LOC3", "Landmark 81", "Ho Chi Minh", ("10.795000", "106.721800"),
                        "AVAILABLE")  # fmt: skip
    await push_location(hub, cpb, "VN/CPB", "LOC9", "Central World", "Bangkok", ("13.746600", "100.539300"),
                        "CHARGING", country="THA")  # fmt: skip


def tariff(owner: str, tariff_id: str, currency: str, *elements: tar.TariffElement) -> tar.Tariff:
    country_code, party_id = owner.split("/")
    return tar.Tariff(
        country_code=country_code,
        party_id=party_id,
        id=tariff_id,
        currency=currency,
        type=tar.TARIFF_TYPE_REGULAR,
        elements=elements,
        last_updated=stamp(),
    )


def component(dimension: str, price: str, step_size: int, vat: str = "") -> tar.PriceComponent:
    kind = tar.TariffDimensionType.Value(f"TARIFF_DIMENSION_TYPE_{dimension}")
    return tar.PriceComponent(type=kind, price=price, vat=vat, step_size=step_size)


async def push_tariffs(hub: HubClient) -> None:
    cpa = await register(hub, "CPA", pb.ROLE_CPO)
    cpb = await register(hub, "CPB", pb.ROLE_CPO)
    time_based = tariff(
        "VN/CPA",
        "TARIFF-AC",
        "VND",
        tar.TariffElement(price_components=[component("ENERGY", "3500", 1, vat="10")]),
        tar.TariffElement(
            price_components=[component("TIME", "30000", 60, vat="10")],
            restrictions=tar.TariffRestrictions(min_duration=7200),
        ),
        tar.TariffElement(
            price_components=[component("PARKING_TIME", "0.5", 300)],
            restrictions=tar.TariffRestrictions(start_time="22:00", end_time="06:00"),
        ),
    )
    flat = tariff("VN/CPB", "DC-FLAT", "THB", tar.TariffElement(price_components=[component("FLAT", "50", 1)]))
    for platform, value in ((cpa, time_based), (cpb, flat)):
        relay = deliveries_pb2.Message(module="tariffs", method="PUT", path=value.id, body=b"{}")
        await hub.update_tariff(tariffs_rpc.UpdateTariffRequest(tariff=value, caller_platform=platform, relay=relay))


# Deliveries, driven as facade workers would


async def outbox(hub: HubClient) -> dict[str, str]:
    """VN/CPA pushes LOC1 and LOC2; eMSPs VN/EM1 and VN/EM2 each get both. Then, by (receiver, location):
    EM1/LOC1 dead (refused), EM2/LOC1 delivered, EM1/LOC2 pending (retry in an hour), EM2/LOC2 dead."""
    cpa = await register(hub, "CPA", pb.ROLE_CPO)
    await register(hub, "EM1", pb.ROLE_EMSP, "locations")
    await register(hub, "EM2", pb.ROLE_EMSP, "locations")
    for location_id in ("LOC1", "LOC2"):
        queued = await push_location(hub, cpa, "VN/CPA", location_id, "Site", "Ha Noi", ("21.0", "105.8"), "AVAILABLE")
        assert queued == 2
    leased = await hub.lease_deliveries(deliveries_rpc.LeaseDeliveriesRequest(max_deliveries=10))
    names = {f"{d.receiver.party_id}/{d.message.path.rsplit('/', 1)[1]}": d.name for d in leased.deliveries}
    assert sorted(names) == ["EM1/LOC1", "EM1/LOC2", "EM2/LOC1", "EM2/LOC2"]
    outcomes = {
        "EM1/LOC1": (deliveries_rpc.OUTCOME_REJECTED, "HTTP 400, OCPI 2001: invalid location"),
        "EM2/LOC1": (deliveries_rpc.OUTCOME_DELIVERED, "OCPI 1000"),
        "EM1/LOC2": (deliveries_rpc.OUTCOME_RETRY, "HTTP 503"),
        "EM2/LOC2": (deliveries_rpc.OUTCOME_REJECTED, "HTTP 404"),
    }
    for key, (outcome, detail) in outcomes.items():
        await hub.complete_delivery(
            deliveries_rpc.CompleteDeliveryRequest(
                name=names[key], outcome=outcome, detail=detail, retry_after=Duration(seconds=3600)
            )
        )
    return names


async def stored(db: asyncpg.Pool, name: str) -> tuple[str, int]:
    row = await db.fetchrow("SELECT state, attempts FROM deliveries WHERE id = $1", int(name.split("/")[1]))
    assert row is not None
    return row["state"], row["attempts"]


def rows(stdout: str) -> dict[str, list[str]]:
    """A table's rows by their first cell; cells are two or more spaces apart (names contain single spaces)."""
    _header, *lines = stdout.splitlines()
    return {cells[0]: cells for cells in (re.split(r"\s{2,}", line) for line in lines)}


# locations list


async def test_locations_list_shows_status_counts_and_totals(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    await network(hub)

    table = await hubctl("locations", "list")
    output = (await hubctl("locations", "list", "--json")).json()

    assert table.code == 0, table.stderr
    header, *lines, footer = table.stdout.splitlines()
    assert header.split() == ["LOCATION", "NAME", "CITY", "EVSES", "STATUS", "LAST", "UPDATED"]
    assert rows("\n".join([header, *lines]))["VN/CPA/LOC1"] == [
        "VN/CPA/LOC1", "Vincom Center Ba Trieu", "Ha Noi", "2", "AVAILABLE 1, CHARGING 1", UPDATED,
    ]  # fmt: skip
    assert [line.split()[0] for line in lines] == ["VN/CPA/LOC1", "VN/CPA/LOC2", "VN/CPA/LOC3", "VN/CPB/LOC9"]
    assert footer == "total: 4 locations, 6 EVSEs: AVAILABLE 3, CHARGING 2, OUTOFORDER 1"
    assert set(output) == {"locations", "total", "evse_status_totals"}
    assert output["total"] == 4
    assert output["evse_status_totals"] == {"AVAILABLE": 3, "CHARGING": 2, "OUTOFORDER": 1}
    assert output["locations"][0] == {
        "location": "VN/CPA/LOC1",
        "name": "Vincom Center Ba Trieu",
        "city": "Ha Noi",
        "country": "VNM",
        "coordinates": {"latitude": "21.011570", "longitude": "105.849400"},
        "evse_count": 2,
        "evse_status_counts": {"AVAILABLE": 1, "CHARGING": 1},
        "last_updated": UPDATED,
    }


@pytest.mark.parametrize(
    ("options", "expected", "totals"),
    [
        (("--city", "ha noi"), ["VN/CPA/LOC1", "VN/CPA/LOC2"], {"AVAILABLE": 2, "CHARGING": 1, "OUTOFORDER": 1}),
        (("--status", "charging"), ["VN/CPA/LOC1", "VN/CPB/LOC9"], {"AVAILABLE": 1, "CHARGING": 2}),
        (("--bbox", "20.9,105.7,21.1,105.9"), ["VN/CPA/LOC1", "VN/CPA/LOC2"], {"AVAILABLE": 2, "CHARGING": 1,
                                                                               "OUTOFORDER": 1}),
        (("--bbox", "-90,-180,15,101"), ["VN/CPB/LOC9"], {"CHARGING": 1}),
        (("--party", "vn/cpb"), ["VN/CPB/LOC9"], {"CHARGING": 1}),
        (("--country", "tha"), ["VN/CPB/LOC9"], {"CHARGING": 1}),
        (("--party", "VN/CPA", "--status", "OUTOFORDER"), ["VN/CPA/LOC2"], {"AVAILABLE": 1, "OUTOFORDER": 1}),
    ],
    ids=["city", "status", "bbox", "bbox-negative", "party", "country", "party-and-status"],
)  # fmt: skip
async def test_locations_list_filters(
    hubctl: Hubctl,
    hub: HubClient,
    db: asyncpg.Pool,
    options: tuple[str, ...],
    expected: list[str],
    totals: dict[str, int],
) -> None:
    await network(hub)

    output = (await hubctl("locations", "list", *options, "--json")).json()

    assert [entry["location"] for entry in output["locations"]] == expected
    assert output["total"] == len(expected)
    assert output["evse_status_totals"] == totals


async def test_locations_list_limit_shows_some_but_totals_all(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    await network(hub)

    limited = (await hubctl("locations", "list", "--limit", "2", "--json")).json()
    table = await hubctl("locations", "list", "--limit", "2")
    nothing = await hubctl("locations", "list", "--city", "Da Nang")

    assert [entry["location"] for entry in limited["locations"]] == ["VN/CPA/LOC1", "VN/CPA/LOC2"]
    assert limited["total"] == 4
    assert limited["evse_status_totals"] == {"AVAILABLE": 3, "CHARGING": 2, "OUTOFORDER": 1}
    assert len(table.stdout.splitlines()) == 4
    assert table.stdout.splitlines()[-1].startswith("total: 4 locations (2 shown), 6 EVSEs")
    assert (nothing.code, nothing.stdout, nothing.stderr) == (0, "", "no locations found\n")


async def test_locations_list_follows_pages_past_the_cores_page_size(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    cpa = await register(hub, "CPA", pb.ROLE_CPO)
    count = 503  # hubctl asks for 500 per page
    for start in range(0, count, 50):
        await asyncio.gather(
            *(
                push_location(hub, cpa, "VN/CPA", f"L{n:03}", f"Site {n}", "Ha Noi", ("21.0", "105.8"), "AVAILABLE")
                for n in range(start, min(start + 50, count))
            )
        )

    output = (await hubctl("locations", "list", "--json")).json()
    limited = (await hubctl("locations", "list", "--limit", "501", "--json")).json()

    assert len(output["locations"]) == output["total"] == count
    assert len({entry["location"] for entry in output["locations"]}) == count
    assert output["evse_status_totals"] == {"AVAILABLE": count}
    assert len(limited["locations"]) == 501


@pytest.mark.parametrize(
    "option",
    [("--bbox", "21.1,105.7,20.9,105.9"), ("--bbox", "21,105"), ("--country", "VN"), ("--status", "BROKEN"),
     ("--limit", "0")],
    ids=["bbox-min-above-max", "bbox-two-numbers", "country-alpha-2", "unknown-status", "limit-0"],
)  # fmt: skip
async def test_locations_list_rejects_bad_filters_as_usage_errors(
    hubctl: Hubctl, db: asyncpg.Pool, option: tuple[str, str]
) -> None:
    result = await hubctl("locations", "list", *option)

    assert result.code == 2
    assert "usage: hubctl locations list" in result.stderr
    assert option[0] in result.stderr


# locations show


async def test_locations_show_prints_the_location_with_its_evses(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    await network(hub)

    text = await hubctl("locations", "show", "vn/cpa/loc1")
    as_json = (await hubctl("locations", "show", "locations/VN/CPA/LOC1", "--json")).json()

    assert text.code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "VN/CPA/LOC1: Vincom Center Ba Trieu"
    for expected in (
        "address:       191 Ba Trieu",
        "city:          100000 Ha Noi",
        "country:       VNM",
        "coordinates:   21.011570, 105.849400",
        "time zone:     Asia/Ho_Chi_Minh",
        f"last updated:  {UPDATED}",
        "EVSEs (2):",
        "LOC1-E1  AVAILABLE  (VN*CPA*ELOC1-E1)",
        "LOC1-E2  CHARGING  (VN*CPA*ELOC1-E2)",
        "connector 1: IEC_62196_T2 socket, AC_3_PHASE 400 V 32 A 22 kW, tariffs TARIFF-AC",
    ):
        assert expected in [line.strip() for line in lines], expected
    assert as_json["id"] == "LOC1"
    assert as_json["coordinates"] == {"latitude": "21.011570", "longitude": "105.849400"}
    assert as_json["last_updated"] == UPDATED
    assert [e["status"] for e in as_json["evses"]] == ["AVAILABLE", "CHARGING"]
    assert as_json["evses"][0]["connectors"][0] | {"last_updated": None} == {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 400,
        "max_amperage": 32,
        "max_electric_power": 22000,
        "tariff_ids": ["TARIFF-AC"],
        "last_updated": None,
    }


async def test_locations_show_unknown_or_malformed(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    await network(hub)

    unknown = await hubctl("locations", "show", "VN/CPA/NOPE")
    malformed = await hubctl("locations", "show", "VN/CPA")

    assert unknown.code == 1
    assert unknown.stdout == ""
    assert unknown.stderr == "error: no location VN/CPA/NOPE\n"
    assert malformed.code == 2
    assert "COUNTRY_CODE/PARTY_ID/ID" in malformed.stderr


# tariffs


async def test_tariffs_list_and_filter_by_party(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    await push_tariffs(hub)

    table = await hubctl("tariffs", "list")
    cpa = (await hubctl("tariffs", "list", "--party", "VN/CPA", "--json")).json()
    none = await hubctl("tariffs", "list", "--party", "VN/ZZZ")

    assert table.code == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["TARIFF", "CURRENCY", "TYPE", "ELEMENTS", "LAST", "UPDATED"]
    assert rows(table.stdout) == {
        "VN/CPA/TARIFF-AC": ["VN/CPA/TARIFF-AC", "VND", "REGULAR", "3", UPDATED],
        "VN/CPB/DC-FLAT": ["VN/CPB/DC-FLAT", "THB", "REGULAR", "1", UPDATED],
    }
    assert cpa == {
        "tariffs": [
            {"tariff": "VN/CPA/TARIFF-AC", "currency": "VND", "type": "REGULAR", "elements": 3, "last_updated": UPDATED}
        ],
        "total": 1,
    }
    assert (none.code, none.stdout, none.stderr) == (0, "", "no tariffs found\n")


async def test_tariffs_show_prints_prices_and_restrictions(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    await push_tariffs(hub)

    text = await hubctl("tariffs", "show", "VN/CPA/tariff-ac")
    as_json = (await hubctl("tariffs", "show", "VN/CPA/TARIFF-AC", "--json")).json()
    unknown = await hubctl("tariffs", "show", "VN/CPA/NOPE")

    assert text.code == 0, text.stderr
    lines = [line.strip() for line in text.stdout.splitlines()]
    assert lines[0] == "VN/CPA/TARIFF-AC: VND, REGULAR"
    assert lines[lines.index("elements (3):") + 1 :] == [
        "1. when: always",
        "ENERGY: price 3500 VND/kWh excl. vat, vat 10%, step_size 1 Wh",
        "2. when: min_duration 7200",
        "TIME: price 30000 VND/hour excl. vat, vat 10%, step_size 60 s",
        "3. when: start_time 22:00, end_time 06:00",
        "PARKING_TIME: price 0.5 VND/hour excl. vat, no vat, step_size 300 s",
    ]
    assert as_json["currency"] == "VND"
    assert as_json["type"] == "REGULAR"
    assert as_json["elements"][0]["price_components"] == [
        {"type": "ENERGY", "price": "3500", "vat": "10", "step_size": 1}
    ]
    assert as_json["elements"][1]["restrictions"] == {"min_duration": 7200}
    assert (unknown.code, unknown.stdout) == (1, "")
    assert unknown.stderr.startswith("error: no tariff VN/CPA/NOPE")


# deliveries list


async def test_deliveries_list_by_state_and_receiver(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    names = await outbox(hub)

    table = await hubctl("deliveries", "list")
    everything = (await hubctl("deliveries", "list", "--json")).json()["deliveries"]
    dead = (await hubctl("deliveries", "list", "--state", "DEAD", "--json")).json()["deliveries"]
    em1 = (await hubctl("deliveries", "list", "--receiver", "vn/em1", "--json")).json()["deliveries"]
    em1_pending = (await hubctl("deliveries", "list", "--state", "pending", "--receiver", "VN/EM1", "--json")).json()
    first = (await hubctl("deliveries", "list", "--limit", "1", "--json")).json()["deliveries"]
    nothing = await hubctl("deliveries", "list", "--receiver", "VN/ZZZ")

    assert table.code == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == [
        "ID", "STATE", "RECEIVER", "MODULE", "METHOD", "PATH", "ATTEMPTS", "LAST", "ERROR", "NEXT", "ATTEMPT",
    ]  # fmt: skip
    shown = rows(table.stdout)
    assert shown[names["EM1/LOC1"]] == [
        names["EM1/LOC1"], "dead", "VN/EM1", "locations", "PUT VN/CPA/LOC1", "1",
        "HTTP 400, OCPI 2001: invalid location", "-",
    ]  # fmt: skip
    pending = shown[names["EM1/LOC2"]]
    assert pending[:7] == [names["EM1/LOC2"], "pending", "VN/EM1", "locations", "PUT VN/CPA/LOC2", "1", "HTTP 503"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", pending[7])
    assert shown[names["EM2/LOC1"]][1] == "delivered"

    assert [d["name"] for d in everything] == sorted(names.values(), key=lambda name: int(name.split("/")[1]))
    assert {d["name"] for d in dead} == {names["EM1/LOC1"], names["EM2/LOC2"]}
    assert {d["name"] for d in em1} == {names["EM1/LOC1"], names["EM1/LOC2"]}
    assert [d["name"] for d in em1_pending["deliveries"]] == [names["EM1/LOC2"]]
    assert [d["name"] for d in first] == [everything[0]["name"]]
    entry = next(d for d in everything if d["name"] == names["EM1/LOC1"])
    assert entry | {"create_time": None, "update_time": None} == {
        "name": names["EM1/LOC1"],
        "state": "dead",
        "receiver": "VN/EM1",
        "receiver_role": "EMSP",
        "sender": "VN/CPA",
        "module": "locations",
        "method": "PUT",
        "path": "VN/CPA/LOC1",
        "object_key": "locations/VN/CPA/LOC1",
        "correlation_id": "",
        "attempts": 1,
        "last_error": "HTTP 400, OCPI 2001: invalid location",
        "create_time": None,
        "update_time": None,
        "next_attempt_time": None,
    }
    # The receivers' TOKEN_Bs never reach an operator's terminal.
    assert all("token" not in d for d in everything)
    assert "token-b-of" not in table.stdout
    assert (nothing.code, nothing.stdout, nothing.stderr) == (0, "", "no deliveries found\n")


# deliveries retry


async def test_retry_one_dead_delivery_makes_it_pending_again(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    names = await outbox(hub)
    dead, other_dead = names["EM1/LOC1"], names["EM2/LOC2"]

    result = await hubctl("deliveries", "retry", dead)

    assert result.code == 0, result.stderr
    assert result.stdout == f"{dead}: re-driven, pending (attempts 0): locations PUT VN/CPA/LOC1 to VN/EM1\n"
    assert await stored(db, dead) == ("PENDING", 0)
    assert await stored(db, other_dead) == ("DEAD", 1)
    # A worker picks it up again.
    leased = await hub.lease_deliveries(deliveries_rpc.LeaseDeliveriesRequest(max_deliveries=10))
    assert [d.name for d in leased.deliveries] == [dead]


async def test_retry_accepts_bare_ids_and_prints_json(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    names = await outbox(hub)
    dead = names["EM2/LOC2"]

    output = (await hubctl("deliveries", "retry", dead.split("/")[1], "--json")).json()

    assert [(d["name"], d["state"], d["attempts"]) for d in output["retried"]] == [(dead, "pending", 0)]
    assert output["failed"] == []
    assert all("token" not in d for d in output["retried"])
    assert await stored(db, dead) == ("PENDING", 0)


async def test_retry_all_dead_for_one_receiver_then_all(hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool) -> None:
    names = await outbox(hub)

    em2 = await hubctl("deliveries", "retry", "--all-dead", "--receiver", "VN/EM2")
    assert em2.code == 0, em2.stderr
    assert [line.split(":")[0] for line in em2.stdout.splitlines()] == [names["EM2/LOC2"]]
    assert await stored(db, names["EM2/LOC2"]) == ("PENDING", 0)
    assert await stored(db, names["EM1/LOC1"]) == ("DEAD", 1)

    rest = await hubctl("deliveries", "retry", "--all-dead")
    assert [line.split(":")[0] for line in rest.stdout.splitlines()] == [names["EM1/LOC1"]]
    assert await stored(db, names["EM1/LOC1"]) == ("PENDING", 0)
    # Delivered and pending ones were left alone.
    assert await stored(db, names["EM2/LOC1"]) == ("DELIVERED", 1)
    assert await stored(db, names["EM1/LOC2"]) == ("PENDING", 1)

    again = await hubctl("deliveries", "retry", "--all-dead")
    assert (again.code, again.stdout, again.stderr) == (0, "", "no dead deliveries\n")


async def test_retry_of_a_delivered_one_fails_but_the_dead_one_is_re_driven(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    names = await outbox(hub)
    delivered, dead = names["EM2/LOC1"], names["EM1/LOC1"]

    result = await hubctl("deliveries", "retry", delivered, dead, "deliveries/999999999")

    assert result.code == 1
    assert result.stdout.splitlines() == [
        f"{dead}: re-driven, pending (attempts 0): locations PUT VN/CPA/LOC1 to VN/EM1"
    ]
    assert result.stderr.splitlines() == [
        f"error: {delivered} is delivered; only dead deliveries are re-driven",
        "error: deliveries/999999999: no delivery 999999999",
        "error: 2 of 3 deliveries not re-driven",
    ]
    assert await stored(db, delivered) == ("DELIVERED", 1)
    assert await stored(db, dead) == ("PENDING", 0)


@pytest.mark.parametrize(
    "args",
    [(), ("12", "--all-dead"), ("--receiver", "VN/EM1", "12"), ("twelve",)],
    ids=["nothing", "ids-and-all-dead", "receiver-without-all-dead", "not-an-id"],
)
async def test_retry_usage_errors_exit_2(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool, args: tuple[str, ...]
) -> None:
    names = await outbox(hub)

    result = await hubctl("deliveries", "retry", *args)

    assert result.code == 2
    assert "usage: hubctl deliveries retry" in result.stderr
    assert await stored(db, names["EM1/LOC1"]) == ("DEAD", 1)


async def test_retry_stops_at_once_when_the_core_is_unreachable(hubctl: Hubctl, db: asyncpg.Pool) -> None:
    result = await hubctl("deliveries", "retry", "12", "13", core="127.0.0.1:1")

    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: cannot reach the Hub core at 127.0.0.1:1")
    assert "deliveries/13" not in result.stderr


# deliveries discard


async def test_discard_dead_deliveries_they_are_never_sent_nor_re_driven(
    hubctl: Hubctl, hub: HubClient, db: asyncpg.Pool
) -> None:
    names = await outbox(hub)
    dead, delivered = names["EM1/LOC1"], names["EM2/LOC1"]

    result = await hubctl("--as", "lan@hub.vn", "deliveries", "discard", dead, delivered)
    assert result.code == 1
    assert result.stdout == f"{dead} discarded: it will never be sent\n"
    assert result.stderr.splitlines() == [
        f"error: {delivered} is delivered; only dead deliveries are discarded",
        "error: 1 of 2 deliveries not discarded",
    ]
    assert await stored(db, dead) == ("DISCARDED", 1)
    assert await stored(db, delivered) == ("DELIVERED", 1)
    # Not leased, not re-driven, listed under its own state.
    leased = await hub.lease_deliveries(deliveries_rpc.LeaseDeliveriesRequest(max_deliveries=10))
    assert dead not in [d.name for d in leased.deliveries]
    again = await hubctl("deliveries", "retry", dead)
    assert again.code == 1 and "only dead deliveries are re-driven" in again.stderr
    listed = (await hubctl("deliveries", "list", "--state", "discarded", "--json")).json()["deliveries"]
    assert [(d["name"], d["state"]) for d in listed] == [(dead, "discarded")]
    actor = await db.fetchval(
        "SELECT detail->>'actor' FROM security_events"
        " WHERE kind = 'ADMIN_ACTION' AND detail->>'method' LIKE '%DiscardDelivery'"
    )
    assert actor == "lan@hub.vn"

    rest = (await hubctl("deliveries", "discard", "--all-dead", "--json")).json()
    assert [d["name"] for d in rest["discarded"]] == [names["EM2/LOC2"]]
    assert await stored(db, names["EM2/LOC2"]) == ("DISCARDED", 1)
