"""What hubctl prints about the network the Hub relays: locations, tariffs and deliveries (JSON-ready dicts,
tables and text). Shared helpers (tables, timestamps, OCPI-like JSON) live in `hubctl._render`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from google.protobuf.timestamp_pb2 import Timestamp

from hubctl._render import ocpi_dict, table, timestamp
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.locations.v1 import locations_pb2
from ocpihub.locations.v1 import locations_service_pb2 as locations_rpc
from ocpihub.tariffs.v1 import tariffs_pb2
from ocpihub.types.v1 import types_pb2


def when(value: Timestamp, present: bool = True) -> str | None:
    # A proto3 Timestamp is never None: an unset one reads as 1970, which would mislead an operator.
    if not present or (value.seconds == 0 and value.nanos == 0):
        return None
    return timestamp(value)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "-"


def label(name: str) -> str:
    """ "locations/VN/CPA/LOC1" → "VN/CPA/LOC1": the form operators type."""
    return name.partition("/")[2]


# Locations


def summary_json(s: locations_rpc.LocationSummary) -> dict[str, object]:
    coordinates = s.coordinates if s.HasField("coordinates") else None
    return {
        "location": label(s.name),
        "name": s.location_name,
        "city": s.city,
        "country": s.country,
        "coordinates": (
            {"latitude": coordinates.latitude, "longitude": coordinates.longitude} if coordinates else None
        ),
        "evse_count": s.evse_count,
        "evse_status_counts": dict(sorted(s.evse_status_counts.items())),
        "last_updated": when(s.last_updated),
    }


def summary_table(summaries: Sequence[locations_rpc.LocationSummary]) -> str:
    rows = [("LOCATION", "NAME", "CITY", "EVSES", "STATUS", "LAST UPDATED")]
    for s in summaries:
        status = counts_text(s.evse_status_counts)
        updated = when(s.last_updated) or "-"
        rows.append((label(s.name), s.location_name or "-", s.city or "-", str(s.evse_count), status, updated))
    return table(rows)


def totals_text(total: int, shown: int, totals: Mapping[str, int]) -> str:
    evses = plural(sum(totals.values()), "EVSE")
    more = f" ({shown} shown)" if shown < total else ""
    return f"total: {plural(total, 'location')}{more}, {evses}" + (f": {counts_text(totals)}" if totals else "")


def _enum(name: str, prefix: str) -> str:
    return name.removeprefix(prefix) if not name.endswith("_UNSPECIFIED") else "-"


def connector_text(c: locations_pb2.Connector) -> str:
    standard = _enum(locations_pb2.ConnectorType.Name(c.standard), "CONNECTOR_TYPE_")
    form = _enum(locations_pb2.ConnectorFormat.Name(c.format), "CONNECTOR_FORMAT_")
    power = [
        _enum(locations_pb2.PowerType.Name(c.power_type), "POWER_TYPE_"),
        f"{c.max_voltage} V",
        f"{c.max_amperage} A",
    ]
    if c.HasField("max_electric_power"):
        power.append(f"{c.max_electric_power / 1000:g} kW")
    tariffs = f", tariffs {', '.join(c.tariff_ids)}" if c.tariff_ids else ""
    return f"connector {c.id}: {standard} {form.lower()}, {' '.join(power)}{tariffs}"


def location_text(location: locations_pb2.Location) -> str:
    coordinates = location.coordinates
    place = " ".join(part for part in (location.postal_code, location.city) if part)
    lines = [
        f"{location.country_code}/{location.party_id}/{location.id}: {location.name or '(no name)'}",
        f"  address:       {location.address or '-'}",
        f"  city:          {place or '-'}",
        f"  country:       {location.country or '-'}",
        f"  coordinates:   {coordinates.latitude}, {coordinates.longitude}",
        f"  time zone:     {location.time_zone or '-'}",
        f"  published:     {'yes' if location.publish else 'no'}",
        f"  last updated:  {when(location.last_updated) or '-'}",
        f"  EVSEs ({len(location.evses)}):",
    ]
    for evse in location.evses:
        status = _enum(locations_pb2.EvseStatus.Name(evse.status), "EVSE_STATUS_")
        lines.append(f"    {evse.uid}  {status}" + (f"  ({evse.evse_id})" if evse.evse_id else ""))
        lines += [f"      {connector_text(c)}" for c in evse.connectors]
    return "\n".join(lines)


# Tariffs


def tariff_label(tariff: tariffs_pb2.Tariff) -> str:
    return f"{tariff.country_code}/{tariff.party_id}/{tariff.id}"


def tariff_type(tariff: tariffs_pb2.Tariff) -> str:
    return _enum(tariffs_pb2.TariffType.Name(tariff.type), "TARIFF_TYPE_")


def tariff_summary_json(tariff: tariffs_pb2.Tariff) -> dict[str, object]:
    kind = tariff_type(tariff)
    return {
        "tariff": tariff_label(tariff),
        "currency": tariff.currency,
        "type": kind if kind != "-" else None,
        "elements": len(tariff.elements),
        "last_updated": when(tariff.last_updated),
    }


def tariff_table(tariffs: Sequence[tariffs_pb2.Tariff]) -> str:
    rows = [("TARIFF", "CURRENCY", "TYPE", "ELEMENTS", "LAST UPDATED")]
    for t in tariffs:
        rows.append((tariff_label(t), t.currency, tariff_type(t), str(len(t.elements)), when(t.last_updated) or "-"))
    return table(rows)


# What one unit of each dimension is, so "3500" reads as a price per kWh and "60" as a step of seconds.
_UNITS = {"ENERGY": ("kWh", "Wh"), "TIME": ("hour", "s"), "PARKING_TIME": ("hour", "s"), "FLAT": ("session", "")}


def component_text(component: tariffs_pb2.PriceComponent, currency: str) -> str:
    dimension = _enum(tariffs_pb2.TariffDimensionType.Name(component.type), "TARIFF_DIMENSION_TYPE_")
    per, step_unit = _UNITS.get(dimension, ("unit", ""))
    vat = f"vat {component.vat}%" if component.vat else "no vat"
    step = f"step_size {component.step_size}" + (f" {step_unit}" if step_unit else "")
    return f"{dimension}: price {component.price} {currency}/{per} excl. vat, {vat}, {step}"


def restrictions_text(element: tariffs_pb2.TariffElement) -> str:
    if not element.HasField("restrictions"):
        return "always"
    fields = ocpi_dict(element.restrictions)
    return (
        ", ".join(f"{k} {','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in fields.items()) or "always"
    )


def tariff_text(tariff: tariffs_pb2.Tariff) -> str:
    lines = [f"{tariff_label(tariff)}: {tariff.currency}, {tariff_type(tariff)}"]
    lines += [f"  alt text:      [{text.language}] {text.text}" for text in tariff.tariff_alt_text]
    if tariff.tariff_alt_url:
        lines.append(f"  alt URL:       {tariff.tariff_alt_url}")
    for field in ("min_price", "max_price"):
        if tariff.HasField(field):
            price: tariffs_pb2.Price = getattr(tariff, field)
            incl = f" ({price.incl_vat} incl. vat)" if price.incl_vat else ""
            lines.append(f"  {field.replace('_', ' ') + ':':<15}{price.excl_vat} excl. vat{incl}")
    start = when(tariff.start_date_time, tariff.HasField("start_date_time"))
    end = when(tariff.end_date_time, tariff.HasField("end_date_time"))
    if start or end:
        lines.append(f"  valid:         {start or '…'} to {end or '…'}")
    lines += [f"  last updated:  {when(tariff.last_updated) or '-'}", f"  elements ({len(tariff.elements)}):"]
    for number, element in enumerate(tariff.elements, 1):
        lines.append(f"    {number}. when: {restrictions_text(element)}")
        lines += [f"       {component_text(c, tariff.currency)}" for c in element.price_components]
    return "\n".join(lines)


# Deliveries


def party_text(ref: types_pb2.PartyRef) -> str:
    return f"{ref.country_code}/{ref.party_id}"


def delivery_state(delivery: deliveries_pb2.Delivery) -> str:
    return deliveries_pb2.DeliveryState.Name(delivery.state).removeprefix("DELIVERY_STATE_").lower()


def next_attempt(delivery: deliveries_pb2.Delivery) -> str | None:
    # Only a pending delivery will be attempted again; the stored time of a finished one means nothing.
    return when(delivery.next_attempt_time) if delivery.state == deliveries_pb2.DELIVERY_STATE_PENDING else None


def delivery_json(delivery: deliveries_pb2.Delivery) -> dict[str, object]:
    """Built field by field, never from the whole message: `token` (the receiver's TOKEN_B) must never be printed."""
    message = delivery.message
    return {
        "name": delivery.name,
        "state": delivery_state(delivery),
        "receiver": party_text(delivery.receiver),
        "receiver_role": delivery.receiver.role,
        "sender": party_text(message.sender),
        "module": message.module,
        "method": message.method,
        "path": message.path,
        "object_key": message.object_key,
        "correlation_id": message.correlation_id,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error or None,
        "create_time": when(delivery.create_time),
        "update_time": when(delivery.update_time),
        "next_attempt_time": next_attempt(delivery),
    }


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def delivery_table(deliveries: Sequence[deliveries_pb2.Delivery]) -> str:
    rows = [("ID", "STATE", "RECEIVER", "MODULE", "METHOD PATH", "ATTEMPTS", "LAST ERROR", "NEXT ATTEMPT")]
    for d in deliveries:
        rows.append(
            (
                d.name,
                delivery_state(d),
                party_text(d.receiver),
                d.message.module,
                f"{d.message.method} {d.message.path}",
                str(d.attempts),
                _short(d.last_error) or "-",
                next_attempt(d) or "-",
            )
        )
    return table(rows)


def retried_text(delivery: deliveries_pb2.Delivery) -> str:
    message = delivery.message
    return (
        f"{delivery.name}: re-driven, {delivery_state(delivery)} (attempts {delivery.attempts}):"
        f" {message.module} {message.method} {message.path} to {party_text(delivery.receiver)}"
    )
