"""What hubctl prints about money and usage: settlement statements, CDR mismatches, session quotes and usage figures
(JSON-ready dicts, CSV, tables and text). Amounts stay the core's exact decimal strings wherever a machine reads them;
only tables round for the eye."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from hubctl._render import table
from hubctl._render_network import label, plural, when
from ocpihub.analytics.v1 import analytics_service_pb2 as analytics_rpc
from ocpihub.billing.v1 import billing_pb2
from ocpihub.cdrs.v1 import cdrs_pb2
from ocpihub.tariffs.v1 import tariffs_pb2

# Settlement statements

LINE_FIELDS = (
    "cdr",
    "cpo",
    "emsp",
    "currency",
    "amount",
    "cpo_share",
    "emsp_share",
    "hub_share",
    "late",
    "verification",
    "end_date_time",
    # Who owes whom (appended, so scripts reading the first columns by position keep working).
    "reported_excl_vat",
    "reported_incl_vat",
    "priced_excl_vat",
    "priced_incl_vat",
    "hub_fee",
    "hub_fee_vat",
    "vat_percent",
    "emsp_pays_cpo",
    "emsp_pays_hub",
    "agreement",
    "note",
)
PAIR_FIELDS = (
    "reported_excl_vat",
    "reported_incl_vat",
    "priced_excl_vat",
    "priced_incl_vat",
    "cpo_share",
    "emsp_share",
    "hub_fee",
    "hub_fee_vat",
    "emsp_pays_cpo",
    "emsp_pays_hub",
)


def share_text(share: billing_pb2.RevenueShare) -> str:
    return f"{share.cpo_percent}/{share.emsp_percent}/{share.hub_percent}"


def line_json(line: billing_pb2.StatementLine) -> dict[str, object]:
    return {
        "cdr": line.cdr,
        "cpo": line.cpo,
        "emsp": line.emsp,
        "currency": line.currency,
        "amount": line.amount,
        "cpo_share": line.cpo_share,
        "emsp_share": line.emsp_share,
        "hub_share": line.hub_share,
        "late": line.late,
        "verification": line.verification,
        "end_date_time": when(line.end_date_time),
        "reported_excl_vat": line.reported_excl_vat,
        "reported_incl_vat": line.reported_incl_vat,
        "priced_excl_vat": line.priced_excl_vat,
        "priced_incl_vat": line.priced_incl_vat,
        "hub_fee": line.hub_fee,
        "hub_fee_vat": line.hub_fee_vat,
        "vat_percent": line.vat_percent,
        "emsp_pays_cpo": line.emsp_pays_cpo,
        "emsp_pays_hub": line.emsp_pays_hub,
        "agreement": line.agreement,
        "note": line.note or None,
    }


def pair_json(pair: billing_pb2.PairSettlement) -> dict[str, object]:
    return {
        "cpo": pair.cpo,
        "emsp": pair.emsp,
        "currency": pair.currency,
        "cdrs": pair.cdrs,
        **{name: getattr(pair, name) for name in PAIR_FIELDS},
    }


def statement_json(statement: billing_pb2.Statement) -> dict[str, object]:
    share = statement.share
    return {
        "period": statement.period,
        "party": statement.party or None,
        "share": {
            "cpo_percent": share.cpo_percent,
            "emsp_percent": share.emsp_percent,
            "hub_percent": share.hub_percent,
        },
        "closed": statement.closed,
        "create_time": when(statement.create_time),
        "kind": statement.kind,
        "time_zone": statement.time_zone,
        "start_time": when(statement.start_time),
        "end_time": when(statement.end_time),
        "due_date": statement.due_date,
        "pairs": [pair_json(pair) for pair in statement.pairs],
        "lines": [line_json(line) for line in statement.lines],
        "totals": [
            {"party": t.party, "role": t.role, "currency": t.currency, "amount": t.amount, "cdrs": t.cdrs}
            for t in statement.totals
        ],
    }


def statement_csv(statement: billing_pb2.Statement) -> str:
    """One row per CDR and nothing else, so spreadsheets and scripts read it as is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LINE_FIELDS)
    for line in statement.lines:
        row = line_json(line)
        writer.writerow([_csv_cell(row[field]) for field in LINE_FIELDS])
    return out.getvalue()


def _csv_cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def lines_table(lines: Sequence[billing_pb2.StatementLine]) -> str:
    rows = [
        ("CDR", "CPO", "EMSP", "CURRENCY", "AMOUNT", "CPO SHARE", "EMSP SHARE", "HUB SHARE", "LATE", "VERIFICATION")
    ]
    for line in lines:
        late = "late" if line.late else "-"
        rows.append(
            (label(line.cdr), line.cpo, line.emsp, line.currency, line.amount, line.cpo_share, line.emsp_share,
             line.hub_share, late, line.verification or "-")
        )  # fmt: skip
    return table(rows)


def totals_table(totals: Sequence[billing_pb2.PartyTotal]) -> str:
    rows = [("PARTY", "ROLE", "CURRENCY", "TOTAL", "CDRS")]
    rows += [(t.party, t.role, t.currency, t.amount, str(t.cdrs)) for t in totals]
    return table(rows)


def pairs_table(pairs: Sequence[billing_pb2.PairSettlement], hub: str) -> str:
    """Who owes whom, one row per pair and currency: the eMSP pays the CPO, and pays the Hub its fee with VAT."""
    rows = [("EMSP", "CPO", "CURRENCY", "CDRS", "PRICED INCL VAT", "EMSP KEEPS", "EMSP PAYS CPO", "HUB FEE", "FEE VAT",
             f"EMSP PAYS {hub or 'HUB'}")]  # fmt: skip
    for p in pairs:
        rows.append((p.emsp, p.cpo, p.currency, str(p.cdrs), p.priced_incl_vat, p.emsp_share, p.emsp_pays_cpo,
                     p.hub_fee, p.hub_fee_vat, p.emsp_pays_hub))  # fmt: skip
    return table(rows)


def period_status(statement: billing_pb2.Statement) -> str:
    who = f" for {statement.party}" if statement.party else ""
    figures = f"{plural(len(statement.lines), 'CDR')}, shares {share_text(statement.share)} (CPO/EMSP/HUB %)"
    figures += f", {statement.kind or 'monthly'} in {statement.time_zone or 'UTC'}, due {statement.due_date or '-'}"
    if statement.closed:
        at = when(statement.create_time)
        return f"period {statement.period}{who}: CLOSED{f' at {at}' if at else ''}, {figures}; it will not change"
    return f"period {statement.period}{who}: OPEN, {figures}; figures may change until it is closed"


def statement_text(statement: billing_pb2.Statement) -> str:
    parts = [lines_table(statement.lines)] if statement.lines else []
    if statement.totals:
        parts.append("totals:\n" + totals_table(statement.totals))
    if statement.pairs:
        hub = next((t.party for t in statement.totals if t.role == "HUB"), "HUB")
        parts.append("who owes whom:\n" + pairs_table(statement.pairs, hub))
    notes = [f"  {label(line.cdr)}: {line.note}" for line in statement.lines if line.note]
    if notes:
        parts.append("notes:\n" + "\n".join(notes))
    parts.append(period_status(statement))
    return "\n\n".join(parts)


def closed_text(statement: billing_pb2.Statement) -> str:
    closed = when(statement.create_time)
    head = f"closed period {statement.period}" + (f" at {closed}" if closed else "")
    head += f": {plural(len(statement.lines), 'CDR')} settled, shares {share_text(statement.share)} (CPO/EMSP/HUB %)"
    late = sum(line.late for line in statement.lines)
    if late:
        head += f", {late} of them late from earlier periods"
    return head + ("\n\n" + totals_table(statement.totals) if statement.totals else "")


# Agreements


def agreement_json(agreement: billing_pb2.SettlementAgreement) -> dict[str, object]:
    return {
        "cpo": agreement.cpo or None,
        "emsp": agreement.emsp or None,
        "valid_from": agreement.valid_from,
        "shares": share_text(agreement.share),
        "period": agreement.period,
        "vat_percent": agreement.vat_percent,
        "created_by": agreement.created_by or None,
        "create_time": when(agreement.create_time),
    }


def agreements_table(
    agreements: Sequence[billing_pb2.SettlementAgreement], default: billing_pb2.SettlementAgreement
) -> str:
    rows = [("CPO", "EMSP", "FROM", "SHARES CPO/EMSP/HUB %", "PERIOD", "FEE VAT %", "SET BY")]
    for a in agreements:
        rows.append((a.cpo, a.emsp or "(any)", a.valid_from, share_text(a.share), a.period, a.vat_percent,
                     a.created_by or "-"))  # fmt: skip
    rows.append(("(hub default)", "(any)", "-", share_text(default.share), default.period, default.vat_percent, "-"))
    return table(rows)


# Which tariff priced each charging period


def period_tariffs_json(periods: Sequence[cdrs_pb2.PeriodTariff]) -> list[dict[str, object]]:
    return [
        {
            "period": p.period_index,
            "tariff": p.tariff or None,
            "embedded": p.embedded,
            "choice": cdrs_pb2.TariffChoice.Name(p.choice).removeprefix("TARIFF_CHOICE_").lower(),
            "wanted_type": p.wanted_type or None,
        }
        for p in periods
    ]


def period_tariffs_text(periods: Sequence[cdrs_pb2.PeriodTariff]) -> str:
    """ "period 0 VN/CPA/T-ADHOC (AD_HOC_PAYMENT of the connector's), period 1 VN/CPA/T-AC"; empty when one named
    tariff priced every period (the summary line says which)."""
    if len({p.tariff for p in periods}) <= 1 and all(p.choice == cdrs_pb2.TARIFF_CHOICE_NAMED for p in periods):
        return ""
    parts = []
    for p in periods:
        how = {
            cdrs_pb2.TARIFF_CHOICE_BY_TYPE: f" ({p.wanted_type} of the connector's)",
            cdrs_pb2.TARIFF_CHOICE_NONE: "",
        }.get(p.choice, "")
        parts.append(f"period {p.period_index} {label(p.tariff) if p.tariff else 'no tariff'}{how}")
    return ", ".join(parts)


# CDR mismatches


def mismatch_json(cdr: cdrs_pb2.Cdr, verification: cdrs_pb2.CdrVerification) -> dict[str, object]:
    return {
        "cdr": f"cdrs/{cdr.country_code}/{cdr.party_id}/{cdr.id}",
        "cpo": f"{cdr.country_code}/{cdr.party_id}",
        "emsp": f"{cdr.cdr_token.country_code}/{cdr.cdr_token.party_id}",
        "currency": cdr.currency,
        "end_date_time": when(cdr.end_date_time),
        "reported_total_cost": price_json(cdr.total_cost),
        "computed_total_cost": price_json(verification.computed_total_cost),
        "tariff": verification.tariff or None,
        "period_tariffs": period_tariffs_json(verification.period_tariffs),
        "differences": [
            {"field": d.field, "reported": d.reported, "computed": d.computed} for d in verification.differences
        ],
        "notes": list(verification.notes),
        "verify_time": when(verification.verify_time),
    }


def mismatches_text(found: Sequence[tuple[cdrs_pb2.Cdr, cdrs_pb2.CdrVerification]]) -> str:
    rows = [("CDR", "EMSP", "CURRENCY", "FIELD", "REPORTED", "COMPUTED", "TARIFF")]
    notes: list[str] = []
    for cdr, verification in found:
        name = f"{cdr.country_code}/{cdr.party_id}/{cdr.id}"
        emsp = f"{cdr.cdr_token.country_code}/{cdr.cdr_token.party_id}"
        # A mismatch without a listed difference still gets its row: the operator must see the CDR.
        differences = verification.differences or [cdrs_pb2.Difference(field="-", reported="-", computed="-")]
        for d in differences:
            rows.append((name, emsp, cdr.currency, d.field, d.reported, d.computed, verification.tariff or "-"))
        priced = period_tariffs_text(verification.period_tariffs)
        notes += [f"  {name}: {note}" for note in ([f"priced {priced}"] if priced else []) + list(verification.notes)]
    text = table(rows)
    if notes:
        text += "\n\nnotes:\n" + "\n".join(notes)
    return text + f"\n\n{plural(len(found), 'CDR')} whose reported cost differs from the Hub's price of its tariff"


# Session quotes


def price_json(price: tariffs_pb2.Price) -> dict[str, str | None]:
    return {"excl_vat": price.excl_vat or None, "incl_vat": price.incl_vat or None}


_QUOTE_PARTS = (
    ("total_cost", "total"),
    ("total_energy_cost", "energy"),
    ("total_time_cost", "time"),
    ("total_parking_cost", "parking"),
    ("total_fixed_cost", "fixed"),
)


def quote_json(session: str, quote: billing_pb2.Quote) -> dict[str, object]:
    prices = {field: price_json(getattr(quote, field)) for field, _ in _QUOTE_PARTS}
    return {
        "session": session,
        "currency": quote.currency,
        "tariff": quote.tariff,
        "period_tariffs": period_tariffs_json(quote.period_tariffs),
        **prices,
        "notes": list(quote.notes),
    }


def quote_text(session: str, quote: billing_pb2.Quote) -> str:
    lines = [f"{label(session)} so far, priced with {label(quote.tariff)} ({quote.currency}):"]
    for field, name in _QUOTE_PARTS:
        price: tariffs_pb2.Price = getattr(quote, field)
        incl = f", {price.incl_vat} {quote.currency} incl. VAT" if price.incl_vat else ""
        lines.append(f"  {name + ':':<9}{price.excl_vat or '0'} {quote.currency} excl. VAT{incl}")
    priced = period_tariffs_text(quote.period_tariffs)
    lines += [f"  note: priced {priced}"] if priced else []
    lines += [f"  note: {note}" for note in quote.notes]
    return "\n".join(lines)


# Usage analytics


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def revenue_text(revenue: Sequence[analytics_rpc.Revenue]) -> str:
    return ", ".join(f"{r.amount} {r.currency}" for r in revenue) or "-"


def hours_text(text: str) -> str:
    # Means are rarely round: two decimals are what an hour column can be read at.
    value = _decimal(text)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) if value is not None else text or "-"


def utilisation_text(text: str) -> str:
    value = _decimal(text)
    if value is None:
        return "-"  # the Hub does not know how many EVSEs the sessions had
    return f"{(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def usage_row_json(row: analytics_rpc.UsageRow) -> dict[str, object]:
    return {
        "key": row.key,
        "sessions": row.sessions,
        "energy": row.energy,
        "revenue": {r.currency: r.amount for r in row.revenue},
        "average_duration_hours": row.average_duration_hours or None,
        "utilisation": row.utilisation or None,
    }


def usage_table(response: analytics_rpc.GetUsageResponse) -> str:
    rows = [("KEY", "SESSIONS", "ENERGY kWh", "REVENUE", "AVG DURATION h", "UTILISATION")]
    for key, row in [*((r.key, r) for r in response.rows), ("TOTAL", response.total)]:
        hours, utilisation = hours_text(row.average_duration_hours), utilisation_text(row.utilisation)
        rows.append((key, str(row.sessions), row.energy or "0", revenue_text(row.revenue), hours, utilisation))
    return table(rows)
