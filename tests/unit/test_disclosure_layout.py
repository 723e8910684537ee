"""The disclosure PDF (issue 6): a finance statement prints its title, ledger, totals, categories
and chart, a text-only disclosure its text alone; both end with the staff member's and the
supervisor's signature cells on the last page; user text is escaped; labels follow the
document's language.

Pure functions (no app, no database): a plain Jinja environment with the i18n extension, as
Flask-Babel sets it up, with the compiled Chinese catalogue or null (English) translations.
Poppler's pdftotext reads the PDFs back.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jinja2
import pytest
from babel.support import Translations
from markupsafe import Markup

from consult.disclosure.chart import ChartBar, ledger_chart_svg
from consult.documents.disclosure_layout import (
    DISCLOSURE_SIGNATURE_IDS,
    DISCLOSURE_TEMPLATE,
    SIGNATURE_BOX_MM,
    CategoryTotal,
    DisclosureDocument,
    LedgerLine,
    LedgerRow,
    disclosure_context,
    ledger_lines,
    ledger_tab_mm,
    render_disclosure,
)
from consult.documents.markdown_text import markdown_to_safe_html
from consult.documents.render import RenderedPdf
from consult.rules.ledger_csv import format_fen

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) reads the PDFs back"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
MM = 72 / 25.4  # points per millimetre
A4_HEIGHT = 841.89  # points
BOTTOM_MARGIN_MM = 22  # pdf/base.html's @page margin, where the footer is
XHTML = "{http://www.w3.org/1999/xhtml}"

ENTRIES = (
    ("2025-10-08", "记-0001", "街道办拨付社区公益事业专项补助资金", "政府补助", "收入", 4_863_200),
    (
        "2025-10-09",
        "记-0002",
        "楼道照明改造材料费（LED 灯具 120 套）",
        "公益事业",
        "支出",
        1_234_578,
    ),
    ("2025-10-12", "", "打印纸、墨盒等办公用品", "办公经费", "支出", 35_680),
    ("2025-10-20", "记-0004", "驻区单位向社区养老服务站捐赠", "捐赠", "收入", 2_000_000),
)


def _env(lang: str) -> jinja2.Environment:
    # What Flask-Babel sets up, without an app: the i18n extension with newstyle gettext, in the
    # document's locale (consult.documents.toolkit renders under force_locale the same way).
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    if lang.startswith("zh"):
        catalogue = Translations.load(ROOT / "consult" / "translations", ["zh_Hans"])
        assert isinstance(catalogue, Translations), "the compiled zh_Hans catalogue is missing"
        env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    else:
        env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def _rows(count: int | None = None, lang: str = "zh-Hans") -> tuple[LedgerRow, ...]:
    english = {"收入": "Income", "支出": "Expense"}
    entries = ENTRIES if count is None else [ENTRIES[n % len(ENTRIES)] for n in range(count)]
    return tuple(
        LedgerRow(
            date=on,
            voucher=voucher,
            summary=summary,
            category=category,
            direction=direction if lang.startswith("zh") else english[direction],
            amount=format_fen(fen),
        )
        for on, voucher, summary, category, direction, fen in entries
    )


def _statement(
    lang: str = "zh-Hans", rows: tuple[LedgerRow, ...] | None = None, **changes: object
) -> DisclosureDocument:
    rows = _rows(lang=lang) if rows is None else rows
    income = sum(fen for *_, direction, fen in ENTRIES if direction == "收入")
    expense = sum(fen for *_, direction, fen in ENTRIES if direction == "支出")
    by_category = [
        ChartBar(category, fen if direction == "收入" else 0, fen if direction == "支出" else 0)
        for *_, category, direction, fen in ENTRIES
    ]
    zh = lang.startswith("zh")
    fields: dict[str, object] = {
        "document_id": "DIS-2025-10-07",
        "verification_url": "https://consult.example.cn/verify/DIS-2025-10-07",
        "body_name": "幸福里社区居民委员会",
        "title": "幸福里社区2025年10月财务收支公开" if zh else "Happy Lane, October 2025 accounts",
        "category": "财务收支" if zh else "Finances",
        "period": "2025年10月" if zh else "October 2025",
        "published_by": "李秀英",
        "body_html": markdown_to_safe_html("本月收支已经居务监督委员会**审核**。"),
        "facts": (("公开类别", "财务收支"), ("公布期限", "2025年11月10日至11月25日")),
        "rows": rows,
        "totals": (
            ("本期收入" if zh else "Income", format_fen(income)),
            ("本期支出" if zh else "Expense", format_fen(expense)),
            ("期末余额" if zh else "Closing balance", format_fen(10_000_000 + income - expense)),
        ),
        "category_totals": tuple(
            CategoryTotal(bar.label, format_fen(bar.income_fen), format_fen(bar.expense_fen))
            for bar in by_category
        ),
        "chart_svg": ledger_chart_svg(
            by_category, [ChartBar("2025-10", income, expense)], lang=lang
        ),
        "lang": lang,
    }
    fields.update(changes)
    return DisclosureDocument(**fields)  # type: ignore[arg-type]


def _notice(lang: str = "zh-Hans", **changes: object) -> DisclosureDocument:
    fields: dict[str, object] = {
        "document_id": "DIS-2025-11-02",
        "verification_url": "https://consult.example.cn/verify/DIS-2025-11-02",
        "body_name": "幸福里社区居民委员会",
        "title": "关于三号楼加装电梯意见征集结果的公示",
        "category": "居务公开",
        "period": "2025年11月",
        "published_by": "王建国",
        "body_html": markdown_to_safe_html(
            "两栋楼共 **72 户**，同意加装 61 户。\n\n- 公示期十五日\n- 异议由居务监督委员会复核"
        ),
        "lang": lang,
    }
    fields.update(changes)
    return DisclosureDocument(**fields)  # type: ignore[arg-type]


def _text(pdf: bytes, *args: str) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", *args, "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode()


def _squeezed(pdf: bytes, *args: str) -> str:
    """The text without any white space (SVG text comes out letter by letter)."""
    return re.sub(r"\s+", "", _text(pdf, *args))


def _words(pdf: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    """(word, x1, y1, x2, y2) of every word on a page (1-based), top-left origin, in points."""
    done = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    root = ET.fromstring(done.stdout.decode())  # noqa: S314 - poppler's output of our PDF
    return [
        (
            word.text or "",
            float(word.attrib["xMin"]),
            float(word.attrib["yMin"]),
            float(word.attrib["xMax"]),
            float(word.attrib["yMax"]),
        )
        for word in root.iter(f"{XHTML}word")
    ]


@pytest.fixture(scope="module")
def statement_pdf() -> RenderedPdf:
    return render_disclosure(_env("zh-Hans"), _statement())


@pytest.fixture(scope="module")
def notice_pdf() -> RenderedPdf:
    return render_disclosure(_env("zh-Hans"), _notice())


# ------------------------------------------------------------------ a finance statement


def test_a_statement_prints_its_title_ledger_totals_and_categories(
    statement_pdf: RenderedPdf,
) -> None:
    text = _text(statement_pdf.pdf)
    for expected in (
        "幸福里社区居民委员会",
        "幸福里社区2025年10月财务收支公开",
        "2025年10月",
        "本月收支已经居务监督委员会审核",
        "公布期限",
        # every entry: date, voucher, category and summary, direction, amount
        "2025-10-08",
        "记-0001",
        "【政府补助】街道办拨付社区公益事业专项补助资金",
        "【办公经费】打印纸、墨盒等办公用品",
        "48632.00",
        "12345.78",
        "356.80",
        "20000.00",
        # the totals, as the caller labelled them
        "本期收入",
        "68632.00",
        "本期支出",
        "12702.58",
        "期末余额",
        "155929.42",
        # the document id in the footer and the verification block
        "DIS-2025-10-07",
    ):
        assert expected in text, expected
    # Labels from the Chinese catalogue (the columns and the signature cells).
    for label in (
        "日期",
        "凭证号",
        "摘要",
        "收支",
        "金额",
        "类别",
        "签名",
        "按类别汇总",
        "账目明细",
    ):
        assert label in text, label
    assert "委员会工作人员" in text
    assert "监督委员会成员" in text
    assert "李秀英" in text  # the publisher's name under their cell
    for category in ("政府补助", "公益事业", "办公经费", "捐赠"):
        assert text.count(category) >= 3, category  # table, chart, ledger


def test_the_chart_is_drawn_into_the_pdf(statement_pdf: RenderedPdf) -> None:
    squeezed = _squeezed(statement_pdf.pdf, "-f", "1", "-l", "1")
    # The chart's legend, headings and amounts, drawn as text (not an image of text).
    for expected in ("按类别", "48,632.00", "收入", "支出"):
        assert expected in squeezed, expected


def test_both_signature_cells_are_fixed_boxes_on_the_last_page(
    statement_pdf: RenderedPdf, notice_pdf: RenderedPdf
) -> None:
    width_mm, height_mm = SIGNATURE_BOX_MM
    for rendered in (statement_pdf, notice_pdf):
        assert set(DISCLOSURE_SIGNATURE_IDS) <= set(rendered.anchors)
        staff, supervisor = (rendered.anchors[sig_id] for sig_id in DISCLOSURE_SIGNATURE_IDS)
        for box in (staff, supervisor):
            assert box.page == rendered.pages - 1
            assert box.width == pytest.approx(width_mm * MM, abs=0.1)
            assert box.height == pytest.approx(height_mm * MM, abs=0.1)
        assert staff.x2 < supervisor.x1
        assert staff.y1 == pytest.approx(supervisor.y1)


def test_a_long_ledger_repeats_its_header_keeps_rows_whole_and_amounts_aligned() -> None:
    rows = tuple(
        LedgerRow(
            date=f"2025-10-{1 + n % 28:02d}",
            voucher=f"JV-{n:03d}",
            # Every third summary runs over three lines or more.
            summary=f"START{n} "
            + ("楼道照明改造材料费及安装人工" * (4 if n % 3 == 0 else 0))
            + f" END{n}",
            category="公益事业",
            direction="Expense" if n % 2 else "Income",
            amount=format_fen(1_000 + n * 7_919 * (10 if n % 5 == 0 else 1)),
        )
        for n in range(150)
    )
    rendered = render_disclosure(_env("en"), _statement("en", rows=rows))
    assert rendered.pages >= 5
    pages_of: dict[str, set[int]] = {}
    ledger_pages = 0
    for page in range(1, rendered.pages + 1):
        words = _words(rendered.pdf, page)
        for word in words:
            if re.fullmatch(r"(START|END)[0-9]+", word[0]):
                pages_of.setdefault(word[0], set()).add(page)
        dates = [w for w in words if re.fullmatch(r"2025-10-[0-9]{2}", w[0])]
        if len(dates) < 5:
            continue
        ledger_pages += 1
        texts = [w[0] for w in words]
        # The header row on every page of the ledger.
        for label in ("Date", "Voucher", "Summary", "Direction", "Amount"):
            assert label in texts, (page, label)
        # Dates, vouchers and summaries share left edges (tab stops), amounts a right edge.
        for pattern in (r"2025-10-[0-9]{2}", r"JV-[0-9]{3}", r"\[公益事业\]"):
            column = [w[1] for w in words if re.fullmatch(pattern, w[0])]
            assert len(column) == len(dates), pattern
            assert max(column) - min(column) < 0.5, pattern
        top = min(w[2] for w in dates) - 1
        # The summaries' following lines hang under their first: nothing else left of them
        # (between the header and the footer, in the bottom margin).
        summary_x = min(w[1] for w in words if w[0] == "[公益事业]")
        left = {
            w[0]
            for w in words
            if w[1] < summary_x - 0.5 and top < w[2] < A4_HEIGHT - BOTTOM_MARGIN_MM * MM
        }
        assert all(re.fullmatch(r"2025-10-[0-9]{2}|JV-[0-9]{3}", word) for word in left), left
        amounts = [w for w in words if re.fullmatch(r"[0-9]+\.[0-9]{2}", w[0]) and w[2] > top]
        assert len(amounts) == len(dates)
        assert max(w[3] for w in amounts) - min(w[3] for w in amounts) < 0.5
        assert min(w[1] for w in amounts) > 150 * MM  # in the last column
    assert ledger_pages >= 4
    # No row split across pages: each summary's first and last word on the same single page.
    for n in range(150):
        assert pages_of[f"START{n}"] == pages_of[f"END{n}"], n
        assert len(pages_of[f"START{n}"]) == 1, n


def test_user_text_is_escaped_never_markup() -> None:
    script = "<script>alert(1)</script>"
    rows = (
        LedgerRow("2025-10-08", f"记{script}", f"摘要{script}", f"类别{script}", "收入", "1.00"),
    )
    document = _statement(
        rows=rows,
        title=f"标题{script}",
        body_name=f"居委会{script}",
        published_by=f"李{script}",
        facts=((f"项目{script}", f"内容{script}"),),
        totals=((f"合计{script}", "1.00"),),
        category_totals=(CategoryTotal(f"类别{script}", "1.00", "0.00"),),
        chart_svg=ledger_chart_svg([ChartBar(f"类别{script}", 100, 0)], []),
        correction_note=f"更正{script}",
    )
    env = _env("zh-Hans")
    html = env.get_template(DISCLOSURE_TEMPLATE).render(disclosure_context(document))
    assert "<script" not in html
    assert html.count("&lt;script&gt;") >= 10
    text = _squeezed(render_disclosure(env, document).pdf)
    for printed in ("标题<script>alert(1)</script>", "更正<script>", "李<script>alert(1)"):
        assert printed in text, printed


def test_a_correction_is_stated_at_the_top() -> None:
    note = "第 2 版更正：10月12日办公用品金额录入错误，356.80 元更正为 365.80 元。"
    text = _text(render_disclosure(_env("zh-Hans"), _statement(correction_note=note)).pdf)
    assert "更正内容：" in text
    assert note in text
    assert text.index(note) < text.index("公布期限")


# ------------------------------------------------------------------ a text-only disclosure


def test_a_disclosure_without_a_ledger_prints_its_text_alone(notice_pdf: RenderedPdf) -> None:
    text = _text(notice_pdf.pdf)
    assert "关于三号楼加装电梯意见征集结果的公示" in text
    assert "两栋楼共 72 户，同意加装 61 户。" in text
    assert "异议由居务监督委员会复核" in text
    assert "DIS-2025-11-02" in text
    for ledger_only in ("凭证号", "摘要", "金额", "收入", "支出", "按类别"):
        assert ledger_only not in text, ledger_only
    assert notice_pdf.pages == 1


def test_a_document_without_body_text_still_renders() -> None:
    rendered = render_disclosure(_env("en"), _notice("en", body_html=Markup()))
    assert set(DISCLOSURE_SIGNATURE_IDS) <= set(rendered.anchors)


# ------------------------------------------------------------------ languages


def test_the_english_document_prints_english_labels() -> None:
    rendered = render_disclosure(_env("en"), _statement("en", rows=_rows(lang="en")))
    text = _text(rendered.pdf)
    for label in (
        "Date",
        "Voucher",
        "Summary",
        "Direction",
        "Amount",
        "Ledger entries",
        "Totals by category",
        "Income",
        "Expense",
        "Signatures",
        "Committee staff",
        "Member of the supervisory",
        "Page 1 of",
        "Document DIS-2025-10-07",
    ):
        assert label in text, label
    assert "[政府补助] 街道办拨付" in text  # the category in Latin brackets
    squeezed = _squeezed(rendered.pdf, "-f", "1", "-l", "1")
    assert "Bycategory" in squeezed  # the chart speaks English too
    for chinese in ("日期", "凭证号", "签名", "按类别", "账目明细"):
        assert chinese not in text, chinese


# ------------------------------------------------------------------ the printed cells


def test_ledger_lines_keep_white_space_from_moving_text_between_columns() -> None:
    row = LedgerRow("1 Oct  2025", "JV\t12", "Paper\n and  ink", "Office", "Paid out", "35.68")
    (line,) = ledger_lines((row,), "en")
    assert line == LedgerLine(
        date="1 Oct 2025",  # no tab: the voucher's and summary's tab stops stay theirs
        voucher="JV 12",
        summary="[Office] Paper and ink",
        direction="Paid\u2002out",  # justified: an en space is not stretched
        amount="35.68",
    )
    (chinese,) = ledger_lines((row,), "zh-Hans")
    assert chinese.summary == "【Office】Paper and ink"
    (plain,) = ledger_lines((LedgerRow("2025-10-01", "", "摘要", "", "收入", "1.00"),), "zh")
    assert plain.summary == "摘要"
    assert plain.voucher == ""


def test_the_tab_stops_fit_the_widest_date_or_voucher_within_bounds() -> None:
    def tab(*vouchers: str) -> float:
        rows = tuple(LedgerRow("2025-10-01", v, "摘要", "类别", "收入", "1.00") for v in vouchers)
        return ledger_tab_mm(ledger_lines(rows, "zh-Hans"))

    iso = tab("记-1")
    assert 17.0 <= iso <= 22.0  # an ISO date
    assert tab("记-1", "记字第0012号凭证") > iso  # six CJK characters: a wider stop
    assert tab("X" * 40) == 30.0  # at most 30 mm, the summary keeps its room
    assert ledger_tab_mm(()) == 17.0
