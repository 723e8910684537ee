"""Benchmark: a 400-row month statement (templates/pdf/disclosure.html) rendered and signed.

    python bench/disclosure_statement.py                # 3 timed runs after one warm-up
    python bench/disclosure_statement.py --rows 1000 --runs 5
    python bench/disclosure_statement.py --gc-freeze    # as a worker that froze its startup heap
    python bench/disclosure_statement.py --template pdf/ledger_table.html   # the old table

No database and no Flask: a synthetic DisclosureDocument (bench/pdf.py's ledger lines: eight
Chinese summaries and categories in turn, amounts up to 25,000 yuan from integer fen, one month)
with its totals, totals by category and chart (consult.disclosure.chart), rendered by
consult.documents.disclosure_layout.render_disclosure with a plain Jinja environment and null
translations (bench/pdf.py's jinja_env), then signed as consult.documents.statements publishes
it: the staff member's certification signature with a visible Chinese stamp in #sig-staff,
creating the empty #sig-supervisor field in the same update (RSA-3072 keys from a community CA
made before timing; the stamp font cut down by fonts.stamp_font_path, loaded at the warm-up).

One warm-up cycle, then `--runs` timed cycles in this process; figures are medians in seconds:
render_s (Jinja + WeasyPrint + PDF/A), sign_s, total_s (the median of render + sign per run,
the target: under 2 s for 400 rows). Python's garbage collector is left as a server has it,
unless --gc-freeze (gc.collect() and gc.freeze() after the warm-up, as bench/pdf.py does).
With --template, that template is rendered with bench/pdf.py's ledger_context instead (the
old six-cell ledger table, for comparison; signed in its sig-publisher cell).

Once after timing, the signed file is validated with consult.documents.verify (pyHanko, to the
community CA): "signature_valid".

Prints one JSON document: {"rows", "render_s", "sign_s", "total_s", "pages", "runs",
"per_run" (each run's figures and the one-minute load average after it), "gc_frozen",
"template", "bytes", "signature_valid", "target_s", "target_met", "machine"}.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from measure import load_average, machine
from pdf import COMMUNITY, LEDGER_ENTRIES, jinja_env, ledger_context, person

from consult.disclosure.chart import ChartBar, ledger_chart_svg
from consult.documents import fonts, pki, signing, verify
from consult.documents.disclosure_layout import (
    DISCLOSURE_SIGNATURE_IDS,
    CategoryTotal,
    DisclosureDocument,
    LedgerRow,
    render_disclosure,
)
from consult.documents.markdown_text import markdown_to_safe_html
from consult.documents.render import RenderedPdf, render_pdf
from consult.rules.ledger_csv import format_fen

TARGET_SECONDS = 2.0


def statement(rows: int) -> DisclosureDocument:
    """A month's finance disclosure of `rows` entries, with its totals, categories and chart."""
    lines: list[LedgerRow] = []
    categories: dict[str, list[int]] = {}
    income = expense = 0
    first = date(2025, 10, 1)
    for n in range(rows):
        direction, category, summary = LEDGER_ENTRIES[n % len(LEDGER_ENTRIES)]
        fen = 1_000 + (n * 7_919) % 2_500_000
        sums = categories.setdefault(category, [0, 0])
        if direction == "收入":
            income += fen
            sums[0] += fen
        else:
            expense += fen
            sums[1] += fen
        lines.append(
            LedgerRow(
                date=(first + timedelta(days=n * 31 // max(rows, 1))).isoformat(),
                voucher=f"记-{n + 1:04d}",
                summary=summary,
                category=category,
                direction=direction,
                amount=format_fen(fen),
            )
        )
    opening = 12_345_678
    by_category = [ChartBar(name, i, e) for name, (i, e) in sorted(categories.items())]
    document_id = "DIS-2025-10-01"
    return DisclosureDocument(
        document_id=document_id,
        verification_url=f"https://consult.example.cn/verify/{document_id}",
        body_name=COMMUNITY,
        title="幸福里社区2025年10月财务收支公开",
        category="财务收支",
        period="2025年10月",
        published_by=person(1),
        body_html=markdown_to_safe_html(
            "本月收支经居务监督委员会审核。对公开内容有疑问的，可在公布之日起十五日内提出。"
        ),
        facts=(("公开类别", "财务收支"), ("公布期限", "2025年11月10日至11月25日")),
        rows=tuple(lines),
        totals=(
            ("期初余额", format_fen(opening)),
            ("本期收入", format_fen(income)),
            ("本期支出", format_fen(expense)),
            ("期末余额", format_fen(opening + income - expense)),
            ("笔数", str(rows)),
        ),
        category_totals=tuple(
            CategoryTotal(c.label, format_fen(c.income_fen), format_fen(c.expense_fen))
            for c in by_category
        ),
        chart_svg=ledger_chart_svg(by_category, [ChartBar("2025-10", income, expense)]),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after the warm-up")
    parser.add_argument("--template", help="render this ledger template instead (bench/pdf.py)")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.runs < 1:
        parser.error("--rows and --runs must be at least 1")

    env = jinja_env()
    document = statement(args.rows)
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca = pki.make_community_ca(COMMUNITY, "XFL-001", now=now)
    staff = pki.issue_signer_certificate(
        ca, person_name=document.published_by, role="staff", community_name=COMMUNITY,
        user_id=1, now=now,
    )  # fmt: skip
    font = fonts.stamp_font_path()
    if args.template:
        html = env.get_template(args.template).render(ledger_context(args.rows, staff.person_name))
        own_id, other_ids = "sig-publisher", ()
    else:
        html = ""
        own_id, other_ids = DISCLOSURE_SIGNATURE_IDS[0], DISCLOSURE_SIGNATURE_IDS[1:]

    def render() -> RenderedPdf:
        if args.template:
            return render_pdf(html, lang="zh-Hans")
        return render_disclosure(env, document)

    def sign(rendered: RenderedPdf) -> bytes:
        own = rendered.anchors[own_id]
        return signing.sign_pdf(
            rendered.pdf,
            staff,
            field=own_id,
            box=(own.page, *own.box),
            certify=True,
            new_fields=[(i, rendered.anchors[i].page, rendered.anchors[i].box) for i in other_ids],
            stamp=signing.StampText.for_role(staff.person_name, "staff"),
            font_path=font,
            reason="公开经办人签署",
            location=COMMUNITY,
        )

    def cycle() -> tuple[float, float, RenderedPdf, bytes]:
        started = time.perf_counter()
        rendered = render()
        rendered_at = time.perf_counter()
        signed = sign(rendered)
        return rendered_at - started, time.perf_counter() - rendered_at, rendered, signed

    cycle()  # warm-up
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    per_run: list[dict[str, float]] = []
    for _ in range(args.runs):
        render_s, sign_s, rendered, signed = cycle()
        per_run.append(
            {
                "render_s": round(render_s, 3),
                "sign_s": round(sign_s, 3),
                "total_s": round(render_s + sign_s, 3),
                "load": load_average()[0],
            }
        )

    # Once, outside the timing: the certification signature validates (pyHanko, to the CA).
    report = verify.verify_pdf(signed, trust_roots=[ca.certificate])

    def median(name: str) -> float:
        return round(statistics.median(run[name] for run in per_run), 3)

    result: dict[str, Any] = {
        "rows": args.rows,
        "render_s": median("render_s"),
        "sign_s": median("sign_s"),
        "total_s": median("total_s"),
        "pages": rendered.pages,
        "runs": args.runs,
        "per_run": per_run,
        "gc_frozen": args.gc_freeze,
        "template": args.template or "pdf/disclosure.html",
        "bytes": {"rendered": len(rendered.pdf), "signed": len(signed)},
        "signature_valid": bool(report.ok and report.all_trusted),
        "target_s": TARGET_SECONDS,
        "target_met": median("total_s") < TARGET_SECONDS and bool(report.ok),
        "machine": machine(),
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
