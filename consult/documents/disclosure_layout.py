"""What a disclosure's PDF (templates/pdf/disclosure.html) shows, as plain data the caller fills in.

The caller (consult.documents.statements) formats dates and amounts for the document's language
(amounts from integer fen with format_fen, never floats), turns the disclosure's Markdown into
safe HTML (markdown_text.markdown_to_safe_html), draws the chart (consult.disclosure.chart) and
hands a DisclosureDocument to render_disclosure. A disclosure without a ledger (a notice, a
decision) has no rows, totals or chart: the PDF is its text. Nothing here reads the database or
Flask; the template only prints these fields (escaped, except the sanitised body and the chart).

The ledger's rows are laid out for speed (bench/disclosure_statement.py): WeasyPrint's time grows
with the number of boxes it lays out, about a millisecond for each table cell, so a 400-row
ledger of six cells a row took ~3 s to render. Each row here is two cells that read as five
aligned columns:
- date, voucher and summary in one cell, the first two ended by tab characters: with
  ``white-space: pre-wrap`` and a ``tab-size`` as wide as the widest date or voucher
  (ledger_tab_mm), the voucher starts at the first tab stop and the summary at the second, and
  a hanging indent (padding the width of two tabs, text-indent minus that) puts the summary's
  following lines under its first; the category goes in brackets before the summary;
- direction and amount in a justified cell: the direction on its left edge, the amount on its
  right. Justification stretches spaces, so spaces inside those two fields are printed as en
  spaces (U+2002), which it leaves alone.
"""

from __future__ import annotations

import base64
import re
import unicodedata
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
    "chart_data_uri",
    "disclosure_context",
    "ledger_lines",
    "ledger_tab_mm",
    "render_disclosure",
]

DISCLOSURE_TEMPLATE: Final = "pdf/disclosure.html"
# The signature cells, in the order they are printed and signed: the staff member who publishes
# (certifying the document) and the supervisory committee member who countersigns.
DISCLOSURE_SIGNATURE_IDS: Final = ("sig-staff", "sig-supervisor")
# Width and height of each signature cell's box (border included) in millimetres, as the
# template's CSS sets them (the same boxes as the minutes': minutes_layout.SIGNATURE_BOX_MM).
SIGNATURE_BOX_MM: Final = (54.0, 24.0)

# Any run of white space: a tab would move text to another column, and pre-wrap would keep
# runs of spaces and line breaks.
_WHITE_SPACE = re.compile(r"\s+")
# What justification would stretch (WeasyPrint counts U+0020 and U+00A0) is printed as an en
# space, which Noto Sans CJK has and justification leaves alone.
_EN_SPACE: Final = "\u2002"
# The ledger's type size (templates/pdf/disclosure.html) in millimetres per em, and generous
# widths of characters in em to fit the tab stops: a wide (CJK) character is 1 em in Noto
# Sans CJK; its digits are 0.555 em and no Latin letter but W and M passes 0.7 em.
_LEDGER_EM_MM: Final = 8.5 * 25.4 / 72
_WIDE_EM: Final = 1.0
_NARROW_EM: Final = 0.62
# Tab stops: room for the headers ("Voucher" in bold, "凭证号") at least; at most 30 mm, so the
# summary keeps 70 mm (a longer date or voucher pushes its row's summary one stop further).
_TAB_MIN_MM: Final = 17.0
_TAB_MAX_MM: Final = 30.0
_TAB_GAP_MM: Final = 2.5


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
    """A ledger row as the template prints it in two cells (see the module's docstring)."""

    date: str
    voucher: str
    summary: str  # "【category】summary" in Chinese, "[category] summary" otherwise
    direction: str
    amount: str


def _unstretchable(text: str) -> str:
    return _WHITE_SPACE.sub(_EN_SPACE, text.strip())


def _single_spaced(text: str) -> str:
    return _WHITE_SPACE.sub(" ", text.strip())


def ledger_tab_mm(lines: tuple[LedgerLine, ...]) -> float:
    """The tab stops of the ledger's first cell in millimetres: the widest date or voucher (as
    estimated, generously) and a gap, within _TAB_MIN_MM and _TAB_MAX_MM."""
    widest = max(
        (
            sum(_WIDE_EM if unicodedata.east_asian_width(c) in "WF" else _NARROW_EM for c in text)
            for line in lines
            for text in (line.date, line.voucher)
        ),
        default=0.0,
    )
    tab = widest * _LEDGER_EM_MM + _TAB_GAP_MM
    return round(min(_TAB_MAX_MM, max(_TAB_MIN_MM, tab)), 1)


def ledger_lines(rows: tuple[LedgerRow, ...], lang: str) -> tuple[LedgerLine, ...]:
    """The rows as the template prints them: white space made single (and fixed in the justified
    fields), and the category put in front of the summary in the brackets the language uses."""
    if lang.lower().startswith("zh"):
        opening, closing = "【", "】"
    else:
        opening, closing = "[", "] "
    return tuple(
        LedgerLine(
            date=_single_spaced(row.date),
            voucher=_single_spaced(row.voucher),
            summary=_single_spaced(
                f"{opening}{row.category}{closing}{row.summary}" if row.category else row.summary
            ),
            direction=_unstretchable(row.direction),
            amount=_unstretchable(row.amount),
        )
        for row in rows
    )


def chart_data_uri(svg: Markup) -> str:
    """The chart's SVG as a ``data:`` URI for an ``<img>`` (the only kind of resource render_pdf
    loads), or "" without a chart."""
    if not svg:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(str(svg).encode()).decode("ascii")


def disclosure_context(doc: DisclosureDocument) -> dict[str, Any]:
    """The template context of templates/pdf/disclosure.html (and pdf/base.html) for ``doc``."""
    lines = ledger_lines(doc.rows, doc.lang)
    return {
        "doc": doc,
        "lines": lines,
        "tab_mm": ledger_tab_mm(lines),
        "title": doc.title,
        "lang": doc.lang,
        "document_id": doc.document_id,
        "verification_url": doc.verification_url,
        "qr_data_uri": qr_svg_data_uri(doc.verification_url),
        "chart_data_uri": chart_data_uri(doc.chart_svg),
        "signature_ids": DISCLOSURE_SIGNATURE_IDS,
    }


def render_disclosure(env: jinja2.Environment, doc: DisclosureDocument) -> RenderedPdf:
    """Fill in the disclosure template with ``env`` (Flask's, in the document's locale, or a
    plain one with the i18n extension) and render it.

    The result's anchors hold a box for each of DISCLOSURE_SIGNATURE_IDS, on the last page.
    """
    html = env.get_template(DISCLOSURE_TEMPLATE).render(disclosure_context(doc))
    return render_pdf(html, lang=doc.lang)
