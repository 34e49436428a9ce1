"""The printable statement of one party (hubctl billing statement): one self-contained HTML page, no scripts, no
external assets, that prints on A4. Figures are the core's exact decimal strings, never recomputed here."""

from __future__ import annotations

from html import escape

from hubctl._render_network import label, when
from ocpihub.billing.v1 import billing_pb2

_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; margin: 1.5cm; color: #111; }
h1 { font-size: 16pt; margin: 0 0 .3em; } h2 { font-size: 12pt; margin: 1.4em 0 .4em; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #999; padding: 3px 5px; }
th { background: #eee; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.meta { width: auto; } .meta td { border: none; padding: 1px 12px 1px 0; }
.owe { font-size: 11pt; } .small { font-size: 8.5pt; color: #444; }
@page { size: A4; margin: 1.2cm; }
"""


def _cells(values: list[str], numeric: set[int]) -> str:
    return "".join(f'<td class="n">{escape(v)}</td>' if i in numeric else f"<td>{escape(v)}</td>"
                   for i, v in enumerate(values))  # fmt: skip


def _table(head: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(f"<tr>{_cells(row, numeric)}</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def statement_html(statement: billing_pb2.Statement, hub: str) -> str:
    party = statement.party
    state = f"closed at {when(statement.create_time)}" if statement.closed else "open: figures may change until closed"
    meta = [
        ("Party", party),
        ("Period", f"{statement.period} ({statement.kind}), {statement.time_zone}"),
        ("From", when(statement.start_time) or "-"),
        ("To (exclusive)", when(statement.end_time) or "-"),
        ("Due by", statement.due_date),
        ("Status", state),
    ]
    owes = []
    for p in statement.pairs:
        if party not in (p.cpo, p.emsp):
            continue
        owes.append(
            f"<li>{escape(p.emsp)} pays {escape(p.cpo)} <b>{escape(p.emsp_pays_cpo)} {escape(p.currency)}</b> "
            f"and pays {escape(hub)} <b>{escape(p.emsp_pays_hub)} {escape(p.currency)}</b> "
            f"(fee {escape(p.hub_fee)} + VAT {escape(p.hub_fee_vat)}) for {p.cdrs} CDR(s)</li>"
        )
    pairs = _table(
        ["CPO", "eMSP", "Cur.", "CDRs", "Reported excl. VAT", "Reported incl. VAT", "Priced excl. VAT",
         "Priced incl. VAT", "eMSP share", "Hub fee", "Fee VAT", "eMSP pays CPO", "eMSP pays Hub"],
        [[p.cpo, p.emsp, p.currency, str(p.cdrs), p.reported_excl_vat, p.reported_incl_vat, p.priced_excl_vat,
          p.priced_incl_vat, p.emsp_share, p.hub_fee, p.hub_fee_vat, p.emsp_pays_cpo, p.emsp_pays_hub]
         for p in statement.pairs],
        set(range(3, 13)),
    )  # fmt: skip
    lines = _table(
        ["CDR", "CPO", "eMSP", "Cur.", "Ended", "Reported incl. VAT", "Priced excl. VAT", "Priced incl. VAT",
         "Hub fee", "Fee VAT %", "eMSP pays CPO", "Agreement", "Note"],
        [[label(line.cdr), line.cpo, line.emsp, line.currency, when(line.end_date_time) or "-",
          line.reported_incl_vat, line.priced_excl_vat, line.priced_incl_vat, line.hub_fee, line.vat_percent,
          line.emsp_pays_cpo, line.agreement, line.note] for line in statement.lines],
        {5, 6, 7, 8, 9, 10},
    )  # fmt: skip
    meta_rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in meta)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Settlement {escape(statement.period)} {escape(party)}</title>
<style>{_STYLE}</style></head>
<body>
<h1>Settlement statement {escape(statement.period)} - {escape(party)}</h1>
<p class="small">Issued by the OCPI Hub {escape(hub)}.</p>
<table class="meta">{meta_rows}</table>
<h2>Who owes whom</h2>
<ul class="owe">{"".join(owes) or "<li>nothing to settle in this period</li>"}</ul>
<h2>Per counterparty</h2>
{pairs}
<h2>CDRs</h2>
{lines}
<p class="small">Amounts in each currency's minor unit (ISO 4217; VND has none), rounded half-up per CDR; totals are
the sums of the rounded lines. "Priced" is the Hub's price from the CPO's tariff, else the CPO's reported figure. The
eMSP keeps its share; the Hub's fee and its VAT are deducted from what the eMSP pays the CPO and paid to the Hub.</p>
</body></html>
"""
