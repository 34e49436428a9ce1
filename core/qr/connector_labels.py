"""What a sticker says about its connector: power in kW and a short plug name (the figures: core.qr.connectors)."""

from __future__ import annotations

from decimal import Decimal

from core.qr.connectors import connector_type
from ocpihub.locations.v1 import locations_pb2 as pb

# The names drivers know; any other plug is shown by its OCPI name.
_SHORT_NAMES = {
    pb.CONNECTOR_TYPE_IEC_62196_T1: "Type 1",
    pb.CONNECTOR_TYPE_IEC_62196_T1_COMBO: "CCS1",
    pb.CONNECTOR_TYPE_IEC_62196_T2: "Type 2",
    pb.CONNECTOR_TYPE_IEC_62196_T2_COMBO: "CCS2",
    pb.CONNECTOR_TYPE_CHADEMO: "CHAdeMO",
    pb.CONNECTOR_TYPE_CHAOJI: "ChaoJi",
    pb.CONNECTOR_TYPE_GBT_AC: "GB/T AC",
    pb.CONNECTOR_TYPE_GBT_DC: "GB/T DC",
}


def connector_type_label(connector: pb.Connector) -> str:
    return _SHORT_NAMES.get(connector.standard) or connector_type(connector)


def power_label(kw: Decimal | None) -> str:
    """ "22 kW", "7.4 kW": to a tenth, no decimal when whole."""
    if kw is None:
        return ""
    text = f"{kw.quantize(Decimal('0.1')):f}"
    return f"{text.removesuffix('.0')} kW"
