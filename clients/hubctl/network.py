"""hubctl commands about what flows through the Hub: stored locations and tariffs, and the outbox of deliveries.

hubctl locations list [--party CC/ID] [--city C] [--country ISO3] [--status S] [--bbox …] [--limit N] [--json]
hubctl locations show CC/ID/LOCATION_ID [--json]
hubctl tariffs list [--party CC/ID] [--json]       hubctl tariffs show CC/ID/TARIFF_ID [--json]
hubctl deliveries list [--state S] [--receiver CC/ID] [--limit N] [--json]
hubctl deliveries retry ID… | --all-dead [--receiver CC/ID] [--json]
hubctl deliveries discard ID… | --all-dead [--receiver CC/ID] [--json]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal, InvalidOperation

from hubclient import HubClient, HubError, HubUnavailable
from hubctl import _render_network as render
from hubctl._base import CliError, Command, party_ref, positive_int, print_json
from hubctl._render import ocpi_dict
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.deliveries.v1 import deliveries_service_pb2 as deliveries_rpc
from ocpihub.locations.v1 import locations_pb2
from ocpihub.locations.v1 import locations_service_pb2 as locations_rpc
from ocpihub.tariffs.v1 import tariffs_pb2
from ocpihub.tariffs.v1 import tariffs_service_pb2 as tariffs_rpc

EVSE_STATUSES = [v.name.removeprefix("EVSE_STATUS_") for v in locations_pb2.EvseStatus.DESCRIPTOR.values if v.number]
DELIVERY_STATES = {
    "pending": deliveries_pb2.DELIVERY_STATE_PENDING,
    "delivered": deliveries_pb2.DELIVERY_STATE_DELIVERED,
    "dead": deliveries_pb2.DELIVERY_STATE_DEAD,
    "discarded": deliveries_pb2.DELIVERY_STATE_DISCARDED,
}
# The core caps pages at 1000; fewer round trips matter more to a CLI than small answers.
_PAGE_SIZE = 500
# Options whose value may start with a minus (southern or western coordinates).
_SIGNED_OPTIONS = ("--bbox",)


# Argument types


def attach_signed_values(argv: Sequence[str]) -> list[str]:
    """argparse takes "--bbox -33.9,18.4,…" for two options; "--bbox=-33.9,18.4,…" is what the operator meant."""
    result: list[str] = []
    pending = iter(argv)
    for arg in pending:
        if arg in _SIGNED_OPTIONS:
            value = next(pending, None)
            if value is not None and re.match(r"-[\d.]", value):
                result.append(f"{arg}={value}")
                continue
            result += [arg] if value is None else [arg, value]
        else:
            result.append(arg)
    return result


def _object_ref(collection: str, example: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        parts = value.strip().removeprefix(f"{collection}/").split("/")
        if len(parts) != 3 or not all(parts):
            raise argparse.ArgumentTypeError(f"{value!r} is not of the form COUNTRY_CODE/PARTY_ID/ID, e.g. {example}")
        # Country code and party id are upper case in the Hub; the object id is a CiString the core matches itself.
        return f"{collection}/{parts[0].upper()}/{parts[1].upper()}/{parts[2]}"

    return parse


def delivery_ref(value: str) -> str:
    number = value.strip().removeprefix("deliveries/")
    if not number.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a delivery id like deliveries/12 or 12")
    return f"deliveries/{int(number)}"


def country(value: str) -> str:
    if len(value.strip()) != 3 or not value.strip().isalpha():
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 3166-1 alpha-3 country code, e.g. VNM")
    return value.strip().upper()


def bbox(value: str) -> locations_rpc.BoundingBox:
    parts = [part.strip() for part in value.split(",")]
    try:
        min_lat, min_lon, max_lat, max_lon = (Decimal(part) for part in parts)
    except (ValueError, InvalidOperation):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not MIN_LAT,MIN_LON,MAX_LAT,MAX_LON in decimal degrees, e.g. 20.9,105.7,21.1,105.9"
        ) from None
    if not (-90 <= min_lat <= max_lat <= 90 and -180 <= min_lon <= max_lon <= 180):
        raise argparse.ArgumentTypeError(
            f"{value!r}: need -90 ≤ MIN_LAT ≤ MAX_LAT ≤ 90, -180 ≤ MIN_LON ≤ MAX_LON ≤ 180"
        )
    # Sent as the operator typed them: the core compares decimal strings exactly, never as floats.
    return locations_rpc.BoundingBox(
        min_latitude=parts[0], min_longitude=parts[1], max_latitude=parts[2], max_longitude=parts[3]
    )


# Locations


async def list_locations(hub: HubClient, args: argparse.Namespace) -> None:
    country_code, party_id = args.party or ("", "")
    status = locations_pb2.EvseStatus.Value(f"EVSE_STATUS_{args.status or 'UNSPECIFIED'}")
    page = locations_rpc.ListLocationsRequest(
        country_code=country_code,
        party_id=party_id,
        city=args.city or "",
        country=args.country or "",
        evse_status=status,
        bounds=args.bbox,
    )
    summaries: list[locations_rpc.LocationSummary] = []
    while True:
        page.page_size = min(_PAGE_SIZE, args.limit - len(summaries)) if args.limit else _PAGE_SIZE
        response = await hub.summarize_locations(locations_rpc.SummarizeLocationsRequest(filter=page))
        summaries += response.summaries
        if not response.next_page_token or (args.limit and len(summaries) >= args.limit):
            break
        page.page_token = response.next_page_token
    # Totals cover every match, whatever --limit showed; each page recounts them, so the last one is freshest.
    totals = dict(sorted(response.evse_status_totals.items()))
    if args.json:
        locations = [render.summary_json(s) for s in summaries]
        print_json({"locations": locations, "total": response.total_size, "evse_status_totals": totals})
    elif summaries:
        print(render.summary_table(summaries))
        print(render.totals_text(response.total_size, len(summaries), totals))
    else:
        print("no locations found", file=sys.stderr)


async def show_location(hub: HubClient, args: argparse.Namespace) -> None:
    location = await hub.get_location(args.location)
    if args.json:
        print_json(ocpi_dict(location))
    else:
        print(render.location_text(location))


# Tariffs


async def list_tariffs(hub: HubClient, args: argparse.Namespace) -> None:
    country_code, party_id = args.party or ("", "")
    page = tariffs_rpc.ListTariffsRequest(page_size=_PAGE_SIZE, country_code=country_code, party_id=party_id)
    tariffs: list[tariffs_pb2.Tariff] = []
    while True:
        response = await hub.list_tariffs(page)
        tariffs += response.tariffs
        if not response.next_page_token:
            break
        page.page_token = response.next_page_token
    if args.json:
        print_json({"tariffs": [render.tariff_summary_json(t) for t in tariffs], "total": len(tariffs)})
    elif tariffs:
        print(render.tariff_table(tariffs))
    else:
        print("no tariffs found", file=sys.stderr)


async def show_tariff(hub: HubClient, args: argparse.Namespace) -> None:
    tariff = await hub.get_tariff(args.tariff)
    if args.json:
        print_json(ocpi_dict(tariff))
    else:
        print(render.tariff_text(tariff))


# Deliveries


def _deliveries_request(state: str | None, receiver: tuple[str, str] | None) -> deliveries_rpc.ListDeliveriesRequest:
    return deliveries_rpc.ListDeliveriesRequest(
        page_size=_PAGE_SIZE,
        state=DELIVERY_STATES[state] if state else deliveries_pb2.DELIVERY_STATE_UNSPECIFIED,
        receiver="/".join(receiver) if receiver else "",
    )


async def list_deliveries(hub: HubClient, args: argparse.Namespace) -> None:
    deliveries: list[deliveries_pb2.Delivery] = []
    async for delivery in hub.list_deliveries(_deliveries_request(args.state, args.receiver)):
        deliveries.append(delivery)
        if len(deliveries) == args.limit:
            break
    if args.json:
        print_json({"deliveries": [render.delivery_json(d) for d in deliveries]})
    elif deliveries:
        print(render.delivery_table(deliveries))
    else:
        print("no deliveries found", file=sys.stderr)


async def retry_deliveries(hub: HubClient, args: argparse.Namespace) -> None:
    await _act_on_dead_letters(hub, args, hub.retry_delivery, "retried", "re-driven", render.retried_text)


async def discard_deliveries(hub: HubClient, args: argparse.Namespace) -> None:
    await _act_on_dead_letters(
        hub,
        args,
        hub.discard_delivery,
        "discarded",
        "discarded",
        lambda d: f"{d.name} discarded: it will never be sent",
    )


async def _act_on_dead_letters(
    hub: HubClient,
    args: argparse.Namespace,
    act: Callable[[str], Awaitable[deliveries_pb2.Delivery]],
    key: str,
    done: str,
    text: Callable[[deliveries_pb2.Delivery], str],
) -> None:
    """Re-drive or discard the deliveries named, or every dead one (oldest first, optionally to one receiver)."""
    if args.all_dead:
        names = [d.name async for d in hub.list_deliveries(_deliveries_request("dead", args.receiver))]
        if not names:
            whose = f" for {'/'.join(args.receiver)}" if args.receiver else ""
            print(f"no dead deliveries{whose}", file=sys.stderr)
    else:
        names = list(dict.fromkeys(args.deliveries))
    acted: list[deliveries_pb2.Delivery] = []
    failed: list[dict[str, str]] = []
    # One refusal (not dead, unknown) must not stop the others: report it and go on. An unreachable core does.
    for name in names:
        try:
            delivery = await act(name)
        except HubUnavailable:
            raise
        except HubError as error:
            reason = error.message if name in error.message else f"{name}: {error.message}"
            failed.append({"name": name, "error": reason})
            print(f"error: {reason}", file=sys.stderr)
            continue
        acted.append(delivery)
        if not args.json:
            print(text(delivery))
    if args.json:
        print_json({key: [render.delivery_json(d) for d in acted], "failed": failed})
    if failed:
        raise CliError(f"{len(failed)} of {len(names)} deliveries not {done}")


def _check_retry(sub: argparse.ArgumentParser) -> Callable[[argparse.Namespace], None]:
    """What argparse cannot say itself: ids and --all-dead exclude each other (a usage error, exit 2)."""

    def check(args: argparse.Namespace) -> None:
        if bool(args.deliveries) == args.all_dead:
            sub.error("give delivery ids or --all-dead (one of them)")
        if args.receiver and not args.all_dead:
            sub.error("--receiver chooses which dead deliveries --all-dead takes; it needs --all-dead")

    return check


# Parser


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser], as_json: argparse.ArgumentParser) -> None:
    def group(name: str, summary: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        parser = groups.add_parser(name, help=summary, description=summary)
        return parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def command(
        actions: argparse._SubParsersAction[argparse.ArgumentParser], name: str, handler: Command, summary: str
    ) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=summary, description=summary, parents=[as_json])
        sub.set_defaults(handler=handler)
        return sub

    def add_party(sub: argparse.ArgumentParser, option: str, text: str) -> None:
        sub.add_argument(option, type=party_ref, metavar="CC/PARTY_ID", help=text)

    locations = group("locations", "the locations CPOs have pushed to the Hub")
    sub = command(locations, "list", list_locations, "list locations with their EVSE status counts")
    add_party(sub, "--party", "only this CPO's, e.g. VN/CPA")
    sub.add_argument("--city", help="exact city name, any case, e.g. 'Ha Noi'")
    sub.add_argument("--country", type=country, help="ISO 3166-1 alpha-3, e.g. VNM")
    sub.add_argument("--status", type=str.upper, choices=EVSE_STATUSES, help="only locations with an EVSE in it")
    sub.add_argument(
        "--bbox",
        type=bbox,
        metavar="MIN_LAT,MIN_LON,MAX_LAT,MAX_LON",
        help="only locations inside, in decimal degrees, e.g. 20.9,105.7,21.1,105.9",
    )
    sub.add_argument("--limit", type=positive_int, metavar="N", help="show at most N (default: all)")
    sub = command(locations, "show", show_location, "show a location with its EVSEs and connectors")
    sub.add_argument("location", type=_object_ref("locations", "VN/CPA/LOC1"), metavar="CC/PARTY_ID/LOCATION_ID")

    tariffs = group("tariffs", "the tariffs CPOs have pushed to the Hub")
    add_party(command(tariffs, "list", list_tariffs, "list tariffs"), "--party", "only this CPO's, e.g. VN/CPA")
    sub = command(tariffs, "show", show_tariff, "show a tariff's elements, prices and restrictions")
    sub.add_argument("tariff", type=_object_ref("tariffs", "VN/CPA/TARIFF-AC"), metavar="CC/PARTY_ID/TARIFF_ID")

    deliveries = group("deliveries", "the Hub's outbox: messages relayed to parties")
    sub = command(deliveries, "list", list_deliveries, "list deliveries, oldest first")
    sub.add_argument("--state", type=str.lower, choices=DELIVERY_STATES)
    add_party(sub, "--receiver", "only deliveries to this party, e.g. VN/EM1")
    sub.add_argument("--limit", type=positive_int, metavar="N", help="show at most N (default: all)")
    sub = command(deliveries, "retry", retry_deliveries, "re-drive dead deliveries: pending again, attempts reset")
    sub.add_argument("deliveries", nargs="*", type=delivery_ref, metavar="ID", help="deliveries/12 or 12")
    sub.add_argument("--all-dead", action="store_true", help="re-drive every dead delivery")
    add_party(sub, "--receiver", "with --all-dead: only the dead deliveries to this party")
    sub.set_defaults(check=_check_retry(sub))
    sub = command(deliveries, "discard", discard_deliveries, "discard dead deliveries: never sent, purged later")
    sub.add_argument("deliveries", nargs="*", type=delivery_ref, metavar="ID", help="deliveries/12 or 12")
    sub.add_argument("--all-dead", action="store_true", help="discard every dead delivery")
    add_party(sub, "--receiver", "with --all-dead: only the dead deliveries to this party")
    sub.set_defaults(check=_check_retry(sub))
