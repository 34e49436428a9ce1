"""What a sticker says about its connector: kW and a short plug name."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.qr.connector_labels import connector_type_label, power_label
from core.qr.connectors import power_kw
from ocpihub.locations.v1 import locations_pb2 as pb


def connector(**fields: object) -> pb.Connector:
    return pb.Connector(id="1", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({"max_electric_power": 22000, "max_voltage": 400, "max_amperage": 32}, "22 kW"),
        # max_electric_power wins: a CPO may cap the connector below V * A * phases.
        ({"max_electric_power": 7400, "power_type": pb.POWER_TYPE_AC_3_PHASE, "max_voltage": 230}, "7.4 kW"),
        ({"power_type": pb.POWER_TYPE_AC_3_PHASE, "max_voltage": 230, "max_amperage": 32}, "22.1 kW"),
        ({"power_type": pb.POWER_TYPE_AC_1_PHASE, "max_voltage": 230, "max_amperage": 32}, "7.4 kW"),
        ({"power_type": pb.POWER_TYPE_DC, "max_voltage": 500, "max_amperage": 100}, "50 kW"),
        ({"power_type": pb.POWER_TYPE_DC}, ""),
    ],
)
def test_power_label(fields: dict[str, object], label: str) -> None:
    assert power_label(power_kw(connector(**fields))) == label


def test_power_is_exact_and_its_label_to_a_tenth() -> None:
    assert power_kw(connector(max_electric_power=7360)) == Decimal("7.36")
    assert power_label(Decimal("7.36")) == "7.4 kW"


@pytest.mark.parametrize(
    ("standard", "label"),
    [
        (pb.CONNECTOR_TYPE_IEC_62196_T2, "Type 2"),
        (pb.CONNECTOR_TYPE_IEC_62196_T2_COMBO, "CCS2"),
        (pb.CONNECTOR_TYPE_CHADEMO, "CHAdeMO"),
        (pb.CONNECTOR_TYPE_GBT_DC, "GB/T DC"),
        (pb.CONNECTOR_TYPE_IEC_60309_2_THREE_32, "IEC_60309_2_three_32"),
        (pb.CONNECTOR_TYPE_TESLA_S, "TESLA_S"),
        (pb.CONNECTOR_TYPE_UNSPECIFIED, ""),
    ],
)
def test_connector_type_label(standard: pb.ConnectorType.ValueType, label: str) -> None:
    assert connector_type_label(connector(standard=standard)) == label
