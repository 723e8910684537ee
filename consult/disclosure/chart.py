"""A ledger's income and expense as a server-rendered SVG bar chart (issue 6).

One pure function, ``ledger_chart_svg``: totals in, an SVG ``Markup`` out, embedded as it is
in the disclosure's web page and in its PDF (WeasyPrint draws inline SVG itself). Hence:
- no script, no style sheet, no external reference: every paint is an attribute, the hatching
  a ``<pattern>`` of its own;
- amounts are integer fen and printed with ``format_fen``; floats only place the bars;
- the expense bars are light and hatched, the income bars dark and solid, so the two stay
  apart on a black-and-white printer and for readers who cannot tell the colours apart;
- ``role="img"`` with a ``<title>`` and a ``<desc>`` saying every total in words, for screen
  readers (the bars themselves say nothing to them);
- every label is user text (a category is the community's own word) and is XML-escaped; a
  label too long for its place is shortened with "…" in the picture, never in the ``<desc>``.
Standard library and markupsafe only: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

from consult.rules.ledger_csv import format_fen

__all__ = ["VIEWBOX_WIDTH", "ChartBar", "ledger_chart_svg"]

#: Width of every chart's viewBox in user units; the SVG itself is ``width="100%"``, so on
#: A4 (170 mm of text) one unit prints as a quarter of a millimetre.
VIEWBOX_WIDTH: Final = 680

# Colours: dark solid income, light hatched expense (distinct in greyscale, distinct by shape).
_INCOME_FILL: Final = "#1f4e79"
_EXPENSE_FILL: Final = "#f4b183"
_EXPENSE_HATCH: Final = "#7f3f00"
_INK: Final = "#000"
_MUTED: Final = "#444"
_RULE: Final = "#888"

_FONT_SIZE: Final = 11  # labels
_VALUE_SIZE: Final = 10  # amounts at the ends of the bars
_HEADING_SIZE: Final = 12
# Widths of characters as a share of the font size, for fitting labels. Generous for Latin
# text (Noto Sans CJK's widest Latin letters are about 0.9 em, digits 0.555 em).
_WIDE_EM: Final = 1.0
_NARROW_EM: Final = 0.62

# Layout of the category panel (horizontal bars).
_LABEL_WIDTH: Final = 150  # category names, right-aligned against the bars
_BAR_X: Final = 160
_VALUE_RESERVE: Final = 130  # after the longest bar, its amount: "1,000,000,000,000.00" (10^14 fen)
_BAR_HEIGHT: Final = 12
_BAR_GAP: Final = 2
_ROW_GAP: Final = 10

# Layout of the month panel (vertical grouped bars).
_PLOT_HEIGHT: Final = 150
_MAX_GROUP_WIDTH: Final = 140
_MONTH_MARGIN: Final = 20

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

_WORDS: Final = {
    "zh": {
        "income": "收入",
        "expense": "支出",
        "title": "收支图表",
        "by_category": "按类别",
        "by_month": "按月份",
        "empty": "无收支记录",
        "yuan": "元",
        "total": "合计：收入 {income} 元，支出 {expense} 元。",
        "item": "{label}：收入 {income} 元，支出 {expense} 元",
        "sep": "；",
        "end": "。",
        "colon": "：",
    },
    "en": {
        "income": "Income",
        "expense": "Expense",
        "title": "Income and expense",
        "by_category": "By category",
        "by_month": "By month",
        "empty": "No entries",
        "yuan": "yuan",
        "total": "Total: income {income} yuan, expense {expense} yuan.",
        "item": "{label}: income {income} yuan, expense {expense} yuan",
        "sep": "; ",
        "end": ".",
        "colon": ": ",
    },
}


@dataclass(frozen=True)
class ChartBar:
    """One category or one month: its label and its income and expense in integer fen."""

    label: str
    income_fen: int
    expense_fen: int

    def __post_init__(self) -> None:
        for name in ("income_fen", "expense_fen"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} is integer fen, not {type(value).__name__}")
            if value < 0:
                raise ValueError(f"{name} is a total and cannot be negative: {value}")
        if not isinstance(self.label, str):
            raise TypeError(f"label is text, not {type(self.label).__name__}")


def ledger_chart_svg(
    by_category: Sequence[ChartBar],
    by_month: Sequence[ChartBar],
    *,
    lang: str = "zh-Hans",
    title: str = "",
) -> Markup:
    """The SVG chart of a ledger's totals by category and by month, for HTML and PDF alike.

    ``by_category`` draws one pair of horizontal bars per category; ``by_month`` one group of
    two vertical bars per month. With no category and no month that has any amount, a small
    chart says "no entries" instead. ``lang`` starting with "zh" gives Chinese words, anything
    else English; ``title`` is the chart's accessible name (a default when empty).
    """
    words = _WORDS["zh" if lang.lower().startswith("zh") else "en"]
    name = _clean(title) or words["title"]
    months_have_amounts = any(bar.income_fen or bar.expense_fen for bar in by_month)
    ident = _ident(by_category, by_month, lang, name)
    chart = _Chart(ident, words, lang)
    if not by_category and not months_have_amounts:
        chart.empty()
    else:
        chart.legend()
        if by_category:
            chart.categories(by_category)
        # One month says nothing a month's statement does not: the panel needs two or more.
        if len(by_month) > 1 or (by_month and not by_category):
            chart.months(by_month)
    return chart.svg(name, _description(by_category, by_month, words))


# ------------------------------------------------------------------------------------------------
# Drawing


class _Chart:
    """Collects the SVG elements of one chart, top to bottom; ``y`` is where the next goes."""

    def __init__(self, ident: str, words: dict[str, str], lang: str) -> None:
        self.ident = ident
        self.words = words
        self.lang = lang
        self.parts: list[str] = []
        self.y = 0.0

    # -- the whole picture

    def svg(self, name: str, description: str) -> Markup:
        height = math.ceil(self.y + 8)
        ident = self.ident
        family = _font_family(self.lang)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="ledger-chart" role="img" '
            f'width="100%" viewBox="0 0 {VIEWBOX_WIDTH} {height}" '
            f'preserveAspectRatio="xMidYMin meet" lang="{escape(self.lang)}" '
            f'aria-labelledby="{ident}-title {ident}-desc" '
            f'font-family="{family}" font-size="{_FONT_SIZE}" fill="{_INK}">'
            f'<title id="{ident}-title">{escape(name)}</title>'
            f'<desc id="{ident}-desc">{escape(description)}</desc>'
            f"<defs>"
            f'<pattern id="{ident}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)">'
            f'<rect x="0" y="0" width="6" height="6" fill="{_EXPENSE_FILL}"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{_EXPENSE_HATCH}" stroke-width="2"/>'
            f"</pattern></defs>"
        )
        # Every text in parts and head went through escape() or is a number we formatted.
        return Markup(head + "".join(self.parts) + "</svg>")  # noqa: S704

    def empty(self) -> None:
        self.parts.append(
            f'<rect x="0.5" y="0.5" width="{VIEWBOX_WIDTH - 1}" height="47" fill="none" '
            f'stroke="{_RULE}" stroke-dasharray="4 3"/>'
            f'<text class="empty" x="{VIEWBOX_WIDTH / 2:g}" y="29" text-anchor="middle" '
            f'fill="{_MUTED}">{escape(self.words["empty"])}</text>'
        )
        self.y = 40.0

    def legend(self) -> None:
        x = 0.0
        for kind in ("income", "expense"):
            label = self.words[kind]
            self.parts.append(
                f'<g class="legend {kind}">'
                f'<rect x="{x:g}" y="2" width="14" height="12" {self._paint(kind)}/>'
                f'<text x="{x + 19:g}" y="12">{escape(label)}</text></g>'
            )
            x += 19 + _text_width(label, _FONT_SIZE) + 24
        self.y = 22.0

    def _paint(self, kind: str) -> str:
        if kind == "income":
            return f'fill="{_INCOME_FILL}"'
        return f'fill="url(#{self.ident}-hatch)" stroke="{_EXPENSE_HATCH}" stroke-width="0.75"'

    def _heading(self, text: str) -> None:
        self.y += 12 + _HEADING_SIZE
        self.parts.append(
            f'<text class="heading" x="0" y="{self.y:g}" font-size="{_HEADING_SIZE}" '
            f'font-weight="bold">{escape(text)}</text>'
        )
        self.y += 8

    # -- by category: a row of two horizontal bars each

    def categories(self, bars: Sequence[ChartBar]) -> None:
        self._heading(self.words["by_category"])
        span = VIEWBOX_WIDTH - _BAR_X - _VALUE_RESERVE
        largest = max(max(bar.income_fen, bar.expense_fen) for bar in bars)
        self.parts.append('<g class="panel by-category">')
        start = self.y
        for bar in bars:
            top = self.y
            row_height = 2 * _BAR_HEIGHT + _BAR_GAP
            label = _clean(bar.label)
            lines = _wrap(label, _LABEL_WIDTH, _FONT_SIZE, max_lines=2)
            first = top + row_height / 2 - (len(lines) - 1) * (_FONT_SIZE + 1) / 2 + 4
            texts = "".join(
                f'<tspan x="{_LABEL_WIDTH:g}" y="{first + n * (_FONT_SIZE + 1):.1f}">'
                f"{escape(line)}</tspan>"
                for n, line in enumerate(lines)
            )
            self.parts.append(
                f'<g class="category"><title>{escape(self._item(label, bar))}</title>'
                f'<text class="label" text-anchor="end">{texts}</text>'
            )
            for n, kind in enumerate(("income", "expense")):
                fen = bar.income_fen if kind == "income" else bar.expense_fen
                width = _share(fen, largest) * span
                y = top + n * (_BAR_HEIGHT + _BAR_GAP)
                # A zero is drawn as no bar and no figure: a column of "0.00" is noise.
                value = (
                    f'<text class="value" x="{_BAR_X + width + 4:.2f}" y="{y + 10:.1f}" '
                    f'font-size="{_VALUE_SIZE}">{_money(fen)}</text>'
                    if fen
                    else ""
                )
                self.parts.append(
                    f'<rect class="bar {kind}" x="{_BAR_X}" y="{y:.1f}" width="{width:.2f}" '
                    f'height="{_BAR_HEIGHT}" {self._paint(kind)}/>{value}'
                )
            self.parts.append("</g>")
            self.y = top + row_height + _ROW_GAP
        # The axis the bars start from.
        self.parts.append(
            f'<line x1="{_BAR_X - 0.5:g}" y1="{start - 4:.1f}" x2="{_BAR_X - 0.5:g}" '
            f'y2="{self.y - _ROW_GAP + 4:.1f}" stroke="{_RULE}"/></g>'
        )

    # -- by month: a group of two vertical bars each

    def months(self, bars: Sequence[ChartBar]) -> None:
        self._heading(self.words["by_month"])
        usable = VIEWBOX_WIDTH - 2 * _MONTH_MARGIN
        group = min(_MAX_GROUP_WIDTH, usable / len(bars))
        left = _MONTH_MARGIN + (usable - group * len(bars)) / 2
        bar_width = group * 0.34
        largest = max(max(bar.income_fen, bar.expense_fen) for bar in bars)
        longest = max(
            _text_width(_money(max(bar.income_fen, bar.expense_fen)), _VALUE_SIZE) for bar in bars
        )
        # Amounts above the bars: level when two side by side fit, else turned to run upwards.
        upright = longest > bar_width + 0.04 * group
        headroom = (longest if upright else _VALUE_SIZE) + 6
        top = self.y + headroom
        base = top + _PLOT_HEIGHT
        self.parts.append('<g class="panel by-month">')
        for index, bar in enumerate(bars):
            x0 = left + index * group
            label = _clean(bar.label)
            self.parts.append(f'<g class="month"><title>{escape(self._item(label, bar))}</title>')
            for n, kind in enumerate(("income", "expense")):
                fen = bar.income_fen if kind == "income" else bar.expense_fen
                height = _share(fen, largest) * _PLOT_HEIGHT
                x = x0 + group * 0.14 + n * (bar_width + group * 0.04)
                y = base - height
                centre = x + bar_width / 2
                if upright:
                    value = (
                        f'<text class="value" x="{centre + 3.5:.2f}" y="{y - 4:.2f}" '
                        f'font-size="{_VALUE_SIZE}" '
                        f'transform="rotate(-90 {centre + 3.5:.2f} {y - 4:.2f})">'
                    )
                else:
                    value = (
                        f'<text class="value" x="{centre:.2f}" y="{y - 4:.2f}" '
                        f'font-size="{_VALUE_SIZE}" text-anchor="middle">'
                    )
                self.parts.append(
                    f'<rect class="bar {kind}" x="{x:.2f}" y="{y:.2f}" '
                    f'width="{bar_width:.2f}" height="{height:.2f}" {self._paint(kind)}/>'
                    + (f"{value}{_money(fen)}</text>" if fen else "")
                )
            shown = _fit(label, group - 4, _FONT_SIZE)
            self.parts.append(
                f'<text class="label" x="{x0 + group / 2:.2f}" y="{base + 16:.1f}" '
                f'text-anchor="middle">{escape(shown)}</text></g>'
            )
        self.parts.append(
            f'<line x1="{left:.2f}" y1="{base + 0.5:.1f}" x2="{left + group * len(bars):.2f}" '
            f'y2="{base + 0.5:.1f}" stroke="{_RULE}"/></g>'
        )
        self.y = base + 22

    def _item(self, label: str, bar: ChartBar) -> str:
        return self.words["item"].format(
            label=label, income=_money(bar.income_fen), expense=_money(bar.expense_fen)
        )


# ------------------------------------------------------------------------------------------------
# Helpers


def _money(fen: int) -> str:
    return format_fen(fen, grouping=True)


def _share(fen: int, largest: int) -> float:
    """``fen`` as a share of ``largest`` in [0, 1]: integer division first, so 10^14 fen stays
    exact, and a chart of zeros has no bars rather than a division by zero."""
    if largest <= 0 or fen <= 0:
        return 0.0
    # Four decimal places are finer than anything printed (1/10,000 of 410 units).
    return min(1.0, (fen * 10_000 // largest) / 10_000)


def _clean(text: str) -> str:
    """Text that XML can carry: the characters XML 1.0 forbids (control characters, which
    draw nothing) are left out; the fonts have no U+FFFD to show in their place."""
    return _XML_INVALID.sub("", text).strip()


def _char_width(char: str) -> float:
    wide = unicodedata.east_asian_width(char) in ("W", "F")
    return _WIDE_EM if wide else _NARROW_EM


def _text_width(text: str, size: float) -> float:
    return sum(_char_width(char) for char in text) * size


def _fit(text: str, width: float, size: float) -> str:
    """``text``, or as much of it as fits in ``width`` followed by "…"."""
    if _text_width(text, size) <= width:
        return text
    budget = width - _WIDE_EM * size
    used = 0.0
    for index, char in enumerate(text):
        used += _char_width(char) * size
        if used > budget:
            return text[:index] + "…"
    return text  # pragma: no cover - the whole text fitted after all


def _wrap(text: str, width: float, size: float, *, max_lines: int) -> list[str]:
    """``text`` in at most ``max_lines`` lines of ``width``; the last one shortened with "…"."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines - 1 and _text_width(rest, size) > width:
        used = 0.0
        cut = 0
        for index, char in enumerate(rest):
            used += _char_width(char) * size
            if used > width:
                cut = index
                break
        cut = max(cut, 1)
        # Prefer a break at a space for Latin text; CJK text breaks anywhere.
        space = rest.rfind(" ", 0, cut)
        if space > 0:
            cut = space
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    lines.append(_fit(rest, width, size))
    return lines


def _font_family(lang: str) -> str:
    # The faces render.cjk_family picks for the PDF (repeated here: this module is below the
    # documents layer); browsers without them fall back to their sans-serif.
    tag = lang.lower()
    if tag.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
        return "Noto Sans CJK TC, sans-serif"
    return "Noto Sans CJK SC, sans-serif"


def _ident(
    by_category: Sequence[ChartBar], by_month: Sequence[ChartBar], lang: str, name: str
) -> str:
    """An id prefix for the chart's title, desc and pattern, from its content: two charts on
    one page get different ids, and the same chart always the same (the output is stable)."""
    digest = hashlib.sha256(repr((tuple(by_category), tuple(by_month), lang, name)).encode())
    return "ledger-chart-" + digest.hexdigest()[:10]


def _description(
    by_category: Sequence[ChartBar], by_month: Sequence[ChartBar], words: dict[str, str]
) -> str:
    """Every amount of the chart in words: the totals first, then each category and month."""
    source = by_category or by_month
    if not by_category and not any(bar.income_fen or bar.expense_fen for bar in by_month):
        return words["empty"] + words["end"]
    income = sum(bar.income_fen for bar in source)
    expense = sum(bar.expense_fen for bar in source)
    parts = [words["total"].format(income=format_fen(income), expense=format_fen(expense))]
    for heading, bars in ((words["by_category"], by_category), (words["by_month"], by_month)):
        if bars:
            items = words["sep"].join(
                words["item"].format(
                    label=_clean(bar.label) or "-",
                    income=format_fen(bar.income_fen),
                    expense=format_fen(bar.expense_fen),
                )
                for bar in bars
            )
            parts.append(heading + words["colon"] + items + words["end"])
    return " ".join(parts)
