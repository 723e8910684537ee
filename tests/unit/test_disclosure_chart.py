"""The ledger chart (issue 6): an SVG a browser and WeasyPrint both draw, bars in proportion to
integer-fen amounts, labels escaped, words for screen readers, nothing that runs or loads."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.disclosure.chart import VIEWBOX_WIDTH, ChartBar, ledger_chart_svg
from consult.rules.ledger_csv import format_fen

pytestmark = pytest.mark.unit

SVG = "{http://www.w3.org/2000/svg}"
MAX_FEN = 10**14

CATEGORIES = (
    ChartBar("政府补助", 48_632_000, 0),
    ChartBar("公益事业", 1_000_000, 12_345_678),
    ChartBar("办公经费", 0, 356_780),
)
MONTHS = (ChartBar("2025-07", 30_000_000, 8_000_000), ChartBar("2025-08", 19_632_000, 4_702_458))


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def _viewbox(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, width, height = (float(part) for part in root.attrib["viewBox"].split())
    return x, y, width, height


def _panel(root: ET.Element, name: str) -> ET.Element | None:
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == f"panel {name}":
            return group
    return None


def _bars(element: ET.Element, kind: str) -> list[ET.Element]:
    return [rect for rect in element.iter(f"{SVG}rect") if rect.get("class") == f"bar {kind}"]


def _texts(element: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in element.iter(f"{SVG}text")]


def _classed_texts(element: ET.Element, cls: str) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text") if t.get("class") == cls]


def test_each_category_has_an_income_bar_and_an_expense_bar_and_each_month_a_group() -> None:
    root = _parse(ledger_chart_svg(CATEGORIES, MONTHS))
    categories = _panel(root, "by-category")
    months = _panel(root, "by-month")
    assert categories is not None
    assert months is not None
    assert len(_bars(categories, "income")) == len(_bars(categories, "expense")) == 3
    assert len(_bars(months, "income")) == len(_bars(months, "expense")) == 2
    groups = [g for g in months.iter(f"{SVG}g") if g.get("class") == "month"]
    assert [_classed_texts(g, "label") for g in groups] == [["2025-07"], ["2025-08"]]
    labels = _classed_texts(categories, "label")
    assert labels == ["政府补助", "公益事业", "办公经费"]


def test_a_single_month_is_one_group_of_two_bars() -> None:
    root = _parse(ledger_chart_svg([], [ChartBar("2025年7月", 100, 50)]))
    months = _panel(root, "by-month")
    assert months is not None
    assert _panel(root, "by-category") is None
    assert len(_bars(months, "income")) == len(_bars(months, "expense")) == 1
    income, expense = _bars(months, "income")[0], _bars(months, "expense")[0]
    assert float(expense.attrib["height"]) == pytest.approx(float(income.attrib["height"]) / 2)


def test_bar_lengths_are_in_proportion_to_the_amounts() -> None:
    root = _parse(ledger_chart_svg(CATEGORIES, MONTHS))
    categories = _panel(root, "by-category")
    assert categories is not None
    incomes = [float(bar.attrib["width"]) for bar in _bars(categories, "income")]
    expenses = [float(bar.attrib["width"]) for bar in _bars(categories, "expense")]
    largest = incomes[0]  # 政府补助's income is the largest amount of all
    for bar, income, expense in zip(CATEGORIES, incomes, expenses, strict=True):
        assert income == pytest.approx(largest * bar.income_fen / 48_632_000, abs=0.05)
        assert expense == pytest.approx(largest * bar.expense_fen / 48_632_000, abs=0.05)
    assert expenses[2] == 0.0 or expenses[2] < expenses[1]
    months = _panel(root, "by-month")
    assert months is not None
    heights = [float(bar.attrib["height"]) for bar in _bars(months, "income")]
    assert heights[1] / heights[0] == pytest.approx(19_632_000 / 30_000_000, abs=1e-3)


def test_amounts_are_printed_in_yuan_from_integer_fen() -> None:
    root = _parse(ledger_chart_svg(CATEGORIES, MONTHS))
    values = _classed_texts(root, "value")
    assert "486,320.00" in values
    assert "123,456.78" in values
    assert "3,567.80" in values
    assert "47,024.58" in values
    assert all(re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}", value) for value in values)


@pytest.mark.parametrize(
    ("lang", "income", "expense"), [("zh-Hans", "收入", "支出"), ("en", "Income", "Expense")]
)
def test_the_legend_names_income_and_expense_in_the_documents_language(
    lang: str, income: str, expense: str
) -> None:
    root = _parse(ledger_chart_svg(CATEGORIES, MONTHS, lang=lang))
    legends = {
        g.get("class"): "".join(g.itertext())
        for g in root.iter(f"{SVG}g")
        if (g.get("class") or "").startswith("legend")
    }
    assert legends == {"legend income": income, "legend expense": expense}


def test_income_and_expense_differ_in_greyscale_and_by_a_pattern() -> None:
    root = _parse(ledger_chart_svg(CATEGORIES, MONTHS))
    income = _bars(root, "income")[0].attrib["fill"]
    expense = _bars(root, "expense")[0].attrib["fill"]
    assert re.fullmatch(r"#[0-9a-f]{6}", income)
    match = re.fullmatch(r"url\(#([\w-]+)\)", expense)
    assert match is not None
    pattern = next(p for p in root.iter(f"{SVG}pattern") if p.get("id") == match.group(1))
    fills = [r.attrib["fill"] for r in pattern.iter(f"{SVG}rect")]

    def luminance(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    # A clear step in lightness (a greyscale printer) and hatching lines (any printer).
    assert luminance(fills[0]) - luminance(income) > 0.4
    assert list(pattern.iter(f"{SVG}line"))


def test_screen_readers_get_a_title_and_the_totals_in_words() -> None:
    svg = ledger_chart_svg(CATEGORIES, MONTHS, title="幸福里社区2025年第三季度收支")
    root = _parse(svg)
    assert root.attrib["role"] == "img"
    assert root.attrib["width"] == "100%"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert title.text == "幸福里社区2025年第三季度收支"
    assert set(root.attrib["aria-labelledby"].split()) == {title.get("id"), desc.get("id")}
    text = desc.text or ""
    assert "收入 496320.00 元" in text  # 486320.00 + 10000.00 + 0.00
    assert "支出 127024.58 元" in text
    assert "政府补助：收入 486320.00 元，支出 0.00 元" in text
    assert "2025-08：收入 196320.00 元，支出 47024.58 元" in text


def test_the_english_description_and_default_title() -> None:
    root = _parse(ledger_chart_svg(CATEGORIES, MONTHS, lang="en"))
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "Income and expense"
    assert desc is not None
    assert "Total: income 496320.00 yuan, expense 127024.58 yuan." in (desc.text or "")


@pytest.mark.parametrize(
    "label",
    [
        "<script>alert(1)</script>",
        '"><image href="https://evil.example/x.png"/>',
        "A & B ]]> <!-- -->",
        "控制\x00字符\x1b",
    ],
)
def test_labels_are_text_never_markup(label: str) -> None:
    svg = str(ledger_chart_svg([ChartBar(label, 100, 0)], [ChartBar(label, 100, 0)], title=label))
    assert "<script" not in svg
    assert "<image" not in svg
    assert "<!--" not in svg
    root = _parse(svg)  # still well-formed XML
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= {"svg", "title", "desc", "defs", "pattern", "rect", "line", "g", "text", "tspan"}
    shown = "".join(_texts(root)) + "".join(root.itertext())
    cleaned = label.replace("\x00", "").replace("\x1b", "")
    assert cleaned[:8] in shown


def test_nothing_runs_and_nothing_is_loaded() -> None:
    svg = str(ledger_chart_svg(CATEGORIES, MONTHS))
    root = _parse(svg)
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "href" not in name.lower(), name
            if "url(" in value:
                assert re.fullmatch(r"url\(#[\w-]+\)", value), value
    assert "script" not in svg.lower()
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_no_entries_gives_a_small_chart_that_says_so(lang: str) -> None:
    empty = "无收支记录" if lang == "zh-Hans" else "No entries"
    for months in ([], [ChartBar("2025-07", 0, 0)]):
        root = _parse(ledger_chart_svg([], months, lang=lang))
        assert not _bars(root, "income")
        assert not _bars(root, "expense")
        assert _classed_texts(root, "empty") == [empty]
        assert _viewbox(root)[3] <= 60
        desc = root.find(f"{SVG}desc")
        assert desc is not None
        assert empty in (desc.text or "")


def test_zero_amounts_give_empty_bars_not_an_error() -> None:
    months = [ChartBar("2025-07", 0, 0), ChartBar("2025-08", 0, 0)]
    root = _parse(ledger_chart_svg([ChartBar("零", 0, 0), ChartBar("一", 0, 0)], months))
    categories = _panel(root, "by-category")
    months = _panel(root, "by-month")
    assert categories is not None
    assert months is not None
    across = _bars(categories, "income") + _bars(categories, "expense")
    upright = _bars(months, "income") + _bars(months, "expense")
    assert len(across) == len(upright) == 4
    assert all(float(bar.attrib["width"]) == 0.0 for bar in across)
    assert all(float(bar.attrib["height"]) == 0.0 for bar in upright)
    # A zero is no bar and no figure: a column of "0.00" says nothing.
    assert "0.00" not in _classed_texts(root, "value")


def test_one_month_has_no_month_panel_beside_its_categories() -> None:
    root = _parse(ledger_chart_svg(CATEGORIES, MONTHS[:1]))
    assert _panel(root, "by-category") is not None
    assert _panel(root, "by-month") is None
    alone = _parse(ledger_chart_svg([], MONTHS[:1]))
    assert _panel(alone, "by-month") is not None


def test_huge_amounts_keep_the_scale_and_their_exact_labels() -> None:
    bars = [ChartBar("巨额", MAX_FEN, MAX_FEN - 1), ChartBar("小额", 1, 0)]
    months = [ChartBar("2025-07", MAX_FEN, 1), ChartBar("2025-08", 0, 1)]
    root = _parse(ledger_chart_svg(bars, months))
    values = _classed_texts(root, "value")
    assert format_fen(MAX_FEN, grouping=True) == "1,000,000,000,000.00"
    assert "1,000,000,000,000.00" in values
    assert "999,999,999,999.99" in values
    assert "0.01" in values
    _assert_inside_viewbox(root)
    widths = [float(bar.attrib["width"]) for bar in _bars(root, "income")]
    assert widths[1] < 0.01 < widths[0]


def test_long_labels_are_shortened_in_the_picture_but_whole_in_the_words() -> None:
    label = "社区公益事业专项资金（楼道照明改造、加装电梯前期论证及老年助餐服务补贴）"
    root = _parse(ledger_chart_svg([ChartBar(label, 100, 0)], []))
    lines = [
        "".join(t.itertext()) for t in root.iter(f"{SVG}tspan") if t.text and t.text[0] in label
    ]
    assert 1 <= len(lines) <= 2
    assert lines[-1].endswith("…")
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert label in (desc.text or "")


def test_the_output_is_stable_and_two_charts_do_not_share_ids() -> None:
    first = ledger_chart_svg(CATEGORIES, MONTHS)
    assert ledger_chart_svg(CATEGORIES, MONTHS) == first
    other = ledger_chart_svg(CATEGORIES[:1], MONTHS)

    def ids(svg: str) -> set[str]:
        return {e.attrib["id"] for e in _parse(svg).iter() if "id" in e.attrib}

    assert ids(first)
    assert not ids(first) & ids(other)


@pytest.mark.parametrize("amount", [1.5, 100.0, True, "100"])
def test_amounts_must_be_integer_fen(amount: object) -> None:
    with pytest.raises(TypeError):
        ChartBar("x", amount, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ChartBar("x", 0, amount)  # type: ignore[arg-type]


def test_totals_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        ChartBar("x", -1, 0)


def _assert_inside_viewbox(root: ET.Element) -> None:
    _, _, width, height = _viewbox(root)
    assert width == VIEWBOX_WIDTH
    assert math.isfinite(height)
    assert height > 0
    for rect in root.iter(f"{SVG}rect"):
        if not (rect.get("class") or "").startswith("bar"):
            continue
        x, y = float(rect.attrib["x"]), float(rect.attrib["y"])
        w, h = float(rect.attrib["width"]), float(rect.attrib["height"])
        assert all(math.isfinite(v) for v in (x, y, w, h))
        assert w >= 0
        assert h >= 0
        assert x >= 0
        assert x + w <= width
        assert y >= 0
        assert y + h <= height
    for text in root.iter(f"{SVG}text"):
        for name in ("x", "y"):
            if name in text.attrib:
                value = float(text.attrib[name])
                assert math.isfinite(value)
                assert 0 <= value <= (width if name == "x" else height)


bars_strategy = st.lists(
    st.builds(
        ChartBar,
        st.text(max_size=60),
        st.integers(0, MAX_FEN),
        st.integers(0, MAX_FEN),
    ),
    max_size=14,
)


@settings(max_examples=150, deadline=None)
@given(bars_strategy, bars_strategy, st.sampled_from(["zh-Hans", "en", "zh-Hant"]))
def test_any_ledger_gives_well_formed_svg_with_finite_bars_inside_the_viewbox(
    by_category: list[ChartBar], by_month: list[ChartBar], lang: str
) -> None:
    root = _parse(ledger_chart_svg(by_category, by_month, lang=lang))
    _assert_inside_viewbox(root)
    if by_category:
        panel = _panel(root, "by-category")
        assert panel is not None
        assert len(_bars(panel, "income")) == len(by_category)
    # Value labels start after their bar and end within the reserve kept for them.
    for text in root.iter(f"{SVG}text"):
        if text.get("class") == "value" and "transform" not in text.attrib:
            assert (
                float(text.attrib["x"]) + 0.62 * 10 * len(text.text or "") <= (VIEWBOX_WIDTH + 1)
                or text.get("text-anchor") == "middle"
            )
