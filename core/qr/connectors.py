"""What a driver reads about a connector (seed §5.6.5 label, §5.6.9 resolve answer): its power and its type."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.qr.uri import ConnectorRef
from ocpihub.locations.v1 import locations_pb2 as pb

# OCPI enum values are case-sensitive; these four ConnectorType names are not all upper case.
_OCPI_NAMES = {
    name.upper(): name
    for name in ("IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64")
}
_PHASES = {pb.POWER_TYPE_AC_3_PHASE: 3, pb.POWER_TYPE_AC_2_PHASE: 2, pb.POWER_TYPE_AC_2_PHASE_SPLIT: 2}


@dataclass(frozen=True, slots=True)
class Found:
    """A connector as Locations has it (ids spelt as the CPO pushed them)."""

    target: ConnectorRef
    location: pb.Location
    evse: pb.Evse
    connector: pb.Connector


def power_kw(connector: pb.Connector) -> Decimal | None:
    """max_electric_power (W) when the CPO gave it, else voltage * amperage * phases (OCPI mod_locations)."""
    if connector.HasField("max_electric_power"):
        watts = Decimal(connector.max_electric_power)
    elif connector.max_voltage and connector.max_amperage:
        watts = Decimal(connector.max_voltage) * connector.max_amperage * _PHASES.get(connector.power_type, 1)
    else:
        return None
    return (watts / 1000).normalize() if watts else None


def connector_type(connector: pb.Connector) -> str:
    """The OCPI ConnectorType name, e.g. IEC_62196_T2_COMBO."""
    if not connector.standard:
        return ""
    name = pb.ConnectorType.Name(connector.standard).removeprefix("CONNECTOR_TYPE_")
    return _OCPI_NAMES.get(name, name)


def evse_status(evse: pb.Evse) -> str:
    return pb.EvseStatus.Name(evse.status).removeprefix("EVSE_STATUS_")


def find(location: pb.Location | None, target: ConnectorRef) -> Found | str:
    """The connector, or why it cannot be used (an EVSE that is REMOVED no longer exists for drivers)."""
    if location is None:
        return f"location {target.location_id} of {target.country_code}/{target.party_id} is not in Locations"
    evse = next((e for e in location.evses if e.uid.upper() == target.evse_uid.upper()), None)
    if evse is None or evse.status == pb.EVSE_STATUS_REMOVED:
        return f"location {location.id} has no EVSE {target.evse_uid}"
    connector = next((c for c in evse.connectors if c.id.upper() == target.connector_id.upper()), None)
    if connector is None:
        return f"EVSE {evse.uid} of location {location.id} has no connector {target.connector_id}"
    exact = ConnectorRef(location.country_code, location.party_id, location.id, evse.uid, connector.id)
    return Found(exact, location, evse, connector)


def all_connectors(location: pb.Location) -> list[Found]:
    """Every connector of the location's EVSEs that are not REMOVED."""
    return [
        Found(ConnectorRef(location.country_code, location.party_id, location.id, evse.uid, c.id), location, evse, c)
        for evse in location.evses
        if evse.status != pb.EVSE_STATUS_REMOVED
        for c in evse.connectors
    ]
