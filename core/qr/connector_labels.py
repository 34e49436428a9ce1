"""What a sticker says about its connector: power in kW and a short plug name, from the OCPI Connector."""

from __future__ import annotations

from decimal import Decimal

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
# OCPI: for AC_3_PHASE max_voltage is line-to-neutral, so power is V * A per phase times the phases.
_PHASES = {
    pb.POWER_TYPE_AC_1_PHASE: 1,
    pb.POWER_TYPE_AC_2_PHASE: 2,
    pb.POWER_TYPE_AC_2_PHASE_SPLIT: 2,
    pb.POWER_TYPE_AC_3_PHASE: 3,
    pb.POWER_TYPE_DC: 1,
}


def connector_type_label(connector: pb.Connector) -> str:
    if connector.standard in _SHORT_NAMES:
        return _SHORT_NAMES[connector.standard]
    if not connector.standard:
        return ""
    name = pb.ConnectorType.Name(connector.standard).removeprefix("CONNECTOR_TYPE_")
    # OCPI spells these two words in lower case: IEC_60309_2_single_16.
    return name.replace("_SINGLE_", "_single_").replace("_THREE_", "_three_")


def power_kw(connector: pb.Connector) -> Decimal | None:
    """max_electric_power when the CPO sent it (it may be lower than V * A * phases), else V * A * phases."""
    if connector.HasField("max_electric_power"):
        watts = connector.max_electric_power
    else:
        watts = connector.max_voltage * connector.max_amperage * _PHASES.get(connector.power_type, 1)
    if watts <= 0:
        return None
    return (Decimal(watts) / 1000).quantize(Decimal("0.1"))


def power_label(kw: Decimal | None) -> str:
    """ "22 kW", "7.4 kW": at most one decimal, none when whole."""
    if kw is None:
        return ""
    text = f"{kw:f}"
    return f"{text.removesuffix('.0')} kW"
