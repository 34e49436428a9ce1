"""What a location write tells the event stream: EVSE status changes, connector changes, anything else.

Found by comparing the stored location with the written one, so a PUT of a whole location that changes one EVSE's
status is told as that status change, exactly as a PATCH of the EVSE would be. `last_updated` alone is no change.
"""

from __future__ import annotations

from core.events.model import Kind, NewEvent, party_of
from ocpihub.locations.v1 import locations_pb2 as pb

_CONNECTOR_FIELDS = pb.Connector.DESCRIPTOR.fields


def location_events(before: pb.Location | None, after: pb.Location) -> list[NewEvent]:
    party = party_of(after.country_code, after.party_id)
    subject = f"locations/{party}/{after.id}"
    if before is None:
        return [NewEvent(Kind.LOCATION_CHANGED, party, subject, {"location_id": after.id, "result": "CREATED"})]
    events: list[NewEvent] = []
    old, new = _without_times(before), _without_times(after)
    old_evses = {evse.uid.upper(): evse for evse in old.evses}
    for evse in new.evses:
        previous = old_evses.get(evse.uid.upper())
        if previous is None:
            continue  # a new EVSE is a change of the location
        evse_subject = f"{subject}/evses/{evse.uid}"
        ids: dict[str, object] = {"location_id": after.id, "evse_uid": evse.uid}
        if evse.status != previous.status:
            data = {**ids, "status": _status(evse.status), "previous": _status(previous.status)}
            events.append(NewEvent(Kind.EVSE_STATUS_CHANGED, party, evse_subject, data))
            evse.status = previous.status  # told: only other differences make a LOCATION_CHANGED
        old_connectors = {connector.id.upper(): connector for connector in previous.connectors}
        for connector in evse.connectors:
            was = old_connectors.get(connector.id.upper())
            if was is None or was == connector:
                continue
            changed = [
                f.name for f in pb.Connector.DESCRIPTOR.fields if getattr(connector, f.name) != getattr(was, f.name)
            ]
            data = {**ids, "connector_id": connector.id, "changed": changed}
            events.append(
                NewEvent(Kind.CONNECTOR_STATUS_CHANGED, party, f"{evse_subject}/connectors/{connector.id}", data)
            )
            connector.CopyFrom(was)
    if new != old:
        events.append(NewEvent(Kind.LOCATION_CHANGED, party, subject, {"location_id": after.id, "result": "UPDATED"}))
    return events


def _status(status: pb.EvseStatus.ValueType) -> str:
    return pb.EvseStatus.Name(status).removeprefix("EVSE_STATUS_")


def _without_times(location: pb.Location) -> pb.Location:
    copy = pb.Location()
    copy.CopyFrom(location)
    copy.ClearField("last_updated")
    for evse in copy.evses:
        evse.ClearField("last_updated")
        for connector in evse.connectors:
            connector.ClearField("last_updated")
    return copy
