"""The Hub's OCPI 2.2.1 tariff engine (pure domain code: no I/O, exact decimals).

breakdown = price_session(tariff, periods, SessionInfo(start, end, "Europe/Amsterdam"))
breakdown.total_cost          # Price(excl_vat, incl_vat), rounded half-up to `decimals` (default 2)
breakdown.line_items          # which element/component priced which volume of which period, and why
verify({"total_cost": Price(...)}, breakdown).match   # CDR verification against the exact figures
"""

from core.billing.engine import price_session, verify
from core.billing.model import (
    BillingError,
    ChargingPeriod,
    Component,
    CostBreakdown,
    Difference,
    InvalidTariffError,
    LineItem,
    Price,
    SessionInfo,
    TariffNotActiveError,
    Totals,
    VerificationResult,
    quantize,
)

__all__ = [
    "BillingError",
    "ChargingPeriod",
    "Component",
    "CostBreakdown",
    "Difference",
    "InvalidTariffError",
    "LineItem",
    "Price",
    "SessionInfo",
    "TariffNotActiveError",
    "Totals",
    "VerificationResult",
    "price_session",
    "quantize",
    "verify",
]
