"""What a disclosure's PDF (templates/pdf/disclosure.html) shows, as plain data the caller fills in.

The caller (consult.documents.statements) formats dates and amounts for the document's language
(amounts from integer fen with format_fen, never floats), turns the disclosure's Markdown into
safe HTML (markdown_text.markdown_to_safe_html), draws the chart (consult.disclosure.chart) and
hands a DisclosureDocument to render_disclosure. A disclosure without a ledger (a notice, a
decision) has no rows, totals or chart: the PDF is its text. Nothing here reads the database or
Flask; the template only prints these fields (escaped, except the sanitised body and the chart).

The ledger's rows are laid out for speed (bench/disclosure_statement.py): WeasyPrint's time grows
with the number of boxes it lays out, about a millisecond for each table cell, so a 400-row
ledger of six cells a row took ~2.9 s. Each row is three cells: date and voucher, the summary
with its category in brackets, direction and amount; the first and last are justified, so the
date sits on the left of its cell and the voucher on the right, the direction on the left and
the amount on the right, and the page reads as five aligned columns for half the boxes.
Justification stretches spaces, so the spaces inside those four fields are printed as en
spaces (U+2002), which it leaves alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

import jinja2
from markupsafe import Markup

from consult.documents.render import RenderedPdf, qr_svg_data_uri, render_pdf

__all__ = [
    "DISCLOSURE_SIGNATURE_IDS",
    "DISCLOSURE_TEMPLATE",
    "SIGNATURE_BOX_MM",
    "CategoryTotal",
    "DisclosureDocument",
    "LedgerLine",
    "LedgerRow",
    "disclosure_context",
    "ledger_lines",
    "render_disclosure",
]

DISCLOSURE_TEMPLATE: Final = "pdf/disclosure.html"
# The signature cells, in the order they are printed and signed: the staff member who publishes
# (certifying the document) and the supervisory committee member who countersigns.
DISCLOSURE_SIGNATURE_IDS: Final = ("sig-staff", "sig-supervisor")
# Width and height of each signature cell's box (border included) in millimetres, as the
# template's CSS sets them (the same boxes as the minutes': minutes_layout.SIGNATURE_BOX_MM).
SIGNATURE_BOX_MM: Final = (54.0, 24.0)

# Spaces justification would stretch (WeasyPrint counts U+0020 and U+00A0) and any other run
# of white space; printed as one en space, which Noto Sans CJK has and justification ignores.
_STRETCHABLE = re.compile(r"\s+")
_EN_SPACE: Final = "\u2002"


@dataclass(frozen=True)
class LedgerRow:
    """One ledger entry as printed; every field already formatted for the document's language."""

    date: str  # e.g. "2025-07-01"
    voucher: str  # e.g. "记-0001", or ""
    summary: str
    category: str
    direction: str  # the printed label, e.g. "收入" / "Expense"
    amount: str  # yuan from integer fen, e.g. "1234.50"


@dataclass(frozen=True)
class CategoryTotal:
    """A category's totals as printed: amounts already formatted."""

    category: str
    income: str
    expense: str


@dataclass(frozen=True)
class DisclosureDocument:
    """Everything the disclosure PDF prints. Strings are printed as given (and escaped)."""

    document_id: str  # printed on every page, e.g. "DIS-2025-Q3-01"
    verification_url: str  # where the signatures can be checked; also printed as a QR code
    body_name: str  # the publishing committee, e.g. "幸福里社区居民委员会"
    title: str
    category: str  # the disclosure's category as printed, e.g. "财务收支"
    period: str  # e.g. "2025年7月1日至9月30日"
    published_by: str  # the staff member who publishes and signs first
    body_html: Markup  # already sanitised: markdown_to_safe_html(the disclosure's text)
    facts: tuple[tuple[str, str], ...] = ()  # (label, value) printed under the title
    rows: tuple[LedgerRow, ...] = ()  # empty for a disclosure without a ledger
    totals: tuple[tuple[str, str], ...] = ()  # (label, amount): opening, income, expense, ...
    category_totals: tuple[CategoryTotal, ...] = ()
    chart_svg: Markup = field(default_factory=Markup)  # consult.disclosure.chart's SVG, or empty
    correction_note: str = ""  # why this version corrects an earlier one, or ""
    lang: str = "zh-Hans"

    @property
    def has_ledger(self) -> bool:
        return bool(self.rows or self.totals or self.category_totals or self.chart_svg)


@dataclass(frozen=True)
class LedgerLine:
    """A ledger row as its three printed cells (see the module's docstring)."""

    date: str
    voucher: str
    summary: str  # "【category】summary" in Chinese, "[category] summary" otherwise
    direction: str
    amount: str


def _unstretchable(text: str) -> str:
    return _STRETCHABLE.sub(_EN_SPACE, text.strip())


def ledger_lines(rows: tuple[LedgerRow, ...], lang: str) -> tuple[LedgerLine, ...]:
    """The rows as the template prints them: spaces in the justified fields made fixed, and the
    category put in front of the summary in the brackets the language uses."""
    if lang.lower().startswith("zh"):
        opening, closing = "【", "】"
    else:
        opening, closing = "[", "] "
    return tuple(
        LedgerLine(
            date=_unstretchable(row.date),
            voucher=_unstretchable(row.voucher),
            summary=f"{opening}{row.category}{closing}{row.summary}"
            if row.category
            else row.summary,
            direction=_unstretchable(row.direction),
            amount=_unstretchable(row.amount),
        )
        for row in rows
    )


def disclosure_context(doc: DisclosureDocument) -> dict[str, Any]:
    """The template context of templates/pdf/disclosure.html (and pdf/base.html) for ``doc``."""
    return {
        "doc": doc,
        "lines": ledger_lines(doc.rows, doc.lang),
        "title": doc.title,
        "lang": doc.lang,
        "document_id": doc.document_id,
        "verification_url": doc.verification_url,
        "qr_data_uri": qr_svg_data_uri(doc.verification_url),
        "signature_ids": DISCLOSURE_SIGNATURE_IDS,
    }


def render_disclosure(env: jinja2.Environment, doc: DisclosureDocument) -> RenderedPdf:
    """Fill in the disclosure template with ``env`` (Flask's, in the document's locale, or a
    plain one with the i18n extension) and render it.

    The result's anchors hold a box for each of DISCLOSURE_SIGNATURE_IDS, on the last page.
    """
    html = env.get_template(DISCLOSURE_TEMPLATE).render(disclosure_context(doc))
    return render_pdf(html, lang=doc.lang)
