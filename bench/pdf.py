"""Benchmark: render and sign the minutes of a 60-person meeting, and a 400-row ledger table.

    python bench/pdf.py                 # 5 timed runs after one warm-up
    python bench/pdf.py --runs 9 --check
    python bench/pdf.py --attendees 120 --items 8 --rows 1000
    python bench/pdf.py --gc-freeze     # as a worker that froze its startup heap would run

No database and no Flask: the documents layer (consult/documents) is called exactly as the
services will call it, with data built here.

The minutes: a `MinutesDocument` of `--attendees` present members (realistic Chinese names,
compound surnames and a rare character such as 𠮷 among them, each with a role), one absent,
two observers, and `--items` agenda items, each with a few paragraphs of Markdown notes (lists,
a small table; through markdown_to_safe_html) and a vote with its counts, threshold, rule id
and legal citation. Rendered with templates/pdf/minutes.html by a plain Jinja environment with
the i18n extension and null translations (what Flask-Babel installs, without an app).

The table: templates/pdf/ledger_table.html with `--rows` rows (date, voucher, summary,
category, direction, amount), totals and one signature cell.

Keys, certificates and the stamp font file are made before timing (a community CA and three
RSA-3072 signers from consult.documents.pki; fonts.stamp_font_path): a server loads them once
per process. Then one warm-up cycle (imports, WeasyPrint's and fontconfig's caches, the stamp
font read into memory), then `--runs` timed cycles, each in this one process:

- minutes_render: render_minutes(env, minutes) — Jinja, WeasyPrint layout, PDF/A-3b writing.
- minutes_sign: the recorder's certification signature (sign_pdf certify=True) with a visible
  stamp in Chinese (记录人：name, the time, 电子签名) in the sig-recorder box, creating the
  empty sig-chair and sig-supervisor fields in the same incremental update. (The stamp's font
  is the CJK face cut down to the stamp's characters by HarfBuzz first, fonts.subset_for_text:
  pyHanko subsetting the whole 16 MB face took ~1.1 s of each signature.)
- minutes_render_and_sign: the two above, per run (the median of the sums, not the sum of the
  medians). THE TARGET: under 1.5 s median.
- minutes_sign_chair, minutes_sign_supervisor: the approval signatures into those fields, with
  their stamps.
- minutes_validate: verify_pdf of the thrice-signed file (pyHanko: integrity, the chain to the
  community CA, the modification levels); the report must be ok and all three trusted.
- minutes_weasyprint_plain: `weasyprint.HTML(string=html).write_pdf()` on the same HTML, with
  no PDF/A, no URL fetcher, no font stylesheet and no capture of warnings: what our pipeline
  (render_pdf) costs on top of WeasyPrint is render / plain, printed as ratio.
- table_render, table_sign (certification, visible stamp), table_render_and_sign,
  table_weasyprint_plain, the same for the ledger table.

Python's cyclic garbage collector: WeasyPrint leaves tens of thousands of objects per render for
it, and every few renders a full collection walks every object the process holds, ~165,000
after importing WeasyPrint, pyHanko and fontTools alone: 0.2-0.4 s on this machine, landing in
whichever step is running. By default the benchmark leaves the collector as a server process
would have it today. With --gc-freeze it calls gc.collect() and gc.freeze() after the warm-up,
as a worker process could once after startup, so full collections skip the startup objects.
cycle_gc_full_collections and cycle_gc_young_collections are the seconds one whole cycle (all
the steps above) spent in the collector, already included in the steps' figures.

Figures are medians in seconds; every run's figures are printed too, with the one-minute load
average taken after each run (the machine is shared: runs that ended with a load above the
CPU count are counted in `loaded_runs`; repeat the benchmark when there are many). Once after
timing, outside it, the final files are checked with poppler's pdfsig when installed (every
signature "Signature is Valid.").

Prints one JSON document: {"attendees", "items", "rows", "runs", "gc_frozen", "seconds": {...},
"ratio_to_plain_weasyprint": {"minutes", "table"}, "pages": {"minutes", "table"}, "bytes":
{"minutes_rendered", "minutes_signed_once", "minutes_signed", "table_rendered",
"table_signed"}, "per_run": [...], "loaded_runs", "pdfsig", "machine", "target",
"target_met"}. Target (issue 5): minutes rendered and signed (render + the first signature)
under 1.5 s median; --check exits 1 if missed (or if a signature does not validate).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import jinja2
import weasyprint
from measure import load_average, machine

from consult.documents import fonts, pki, signing, verify
from consult.documents.markdown_text import markdown_to_safe_html
from consult.documents.minutes_layout import (
    MINUTES_TEMPLATE,
    AgendaItem,
    Attendee,
    MinutesDocument,
    Quorum,
    RuleRef,
    VoteResult,
    minutes_context,
    render_minutes,
)
from consult.documents.render import RenderedPdf, qr_svg_data_uri, render_pdf

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.5
LEDGER_TEMPLATE = "pdf/ledger_table.html"
COMMUNITY = "幸福里社区居民委员会"
T = TypeVar("T")

# ------------------------------------------------------------------ the documents' data

# Common surnames first, then two compound ones; given names with a few characters a small
# font lacks (𠮷 outside the BMP, 堃, 喆, 昇), as a real register has.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
COMPOUND = ("欧阳", "司马")
GIVEN = (
    "建国", "秀英", "桂兰", "志强", "丽华", "𠮷祥", "海燕", "明", "淑珍", "晓东", "春梅", "国庆",
    "玉兰", "德胜", "文静", "子涵", "浩然", "雨桐", "堃", "喆", "昇平", "凤英", "宝华", "红霞",
)  # fmt: skip
ROLES = ("居民代表", "居民代表", "居民代表", "委员", "居民小组长")


def person(n: int) -> str:
    surname = COMPOUND[n % 2] if n % 23 == 7 else SURNAMES[n % len(SURNAMES)]
    return surname + GIVEN[(n * 7) % len(GIVEN)]


def _rule(rule_id: str, article: str) -> RuleRef:
    return RuleRef(rule_id, f"《中华人民共和国城市居民委员会组织法》（2025年修订）{article}")


RULE_MEETING = _rule("URC25-26", "第二十九条")
RULE_FUNDS = _rule("URC25-40", "第四十二条")
RULE_DISCLOSURE = _rule("URC25-33", "第三十四条第三款")

AGENDA = (
    (
        "审议2025年度居务公开及财务收支情况报告",
        "社区居委会主任{chair}代表居委会作报告，说明全年收入 **486,320.00 元**、支出"
        " **451,775.50 元**，结余主要用于明年的楼道照明改造。\n\n"
        "代表提出的意见：\n\n"
        "- 慈善捐赠款的使用明细应逐笔公布，不能只列合计；\n"
        "- 公开栏张贴时间不少于十五日，并同步在小程序发布；\n"
        "- 物业费代收代付部分单独列示。\n\n"
        "居务监督委员会{supervisor}说明已对第三季度凭证进行抽查，未发现问题。",
        ("通过2025年度居务公开及财务收支情况报告", RULE_DISCLOSURE),
    ),
    (
        "关于三号楼、五号楼加装电梯意见征集结果的报告",
        "两栋楼共 **72 户**，同意加装 61 户，反对 5 户，未表态 6 户。一楼住户担心采光"
        "和噪声，施工方案已调整为贴墙式井道。\n\n"
        "| 楼栋 | 户数 | 同意 | 反对 |\n|---|---|---|---|\n"
        "| 三号楼 | 36 | 31 | 2 |\n| 五号楼 | 36 | 30 | 3 |\n\n"
        "会议同意将征集结果报街道办事处，并申请老旧小区改造补助资金。",
        ("同意三号楼、五号楼申报加装电梯补助", RULE_MEETING),
    ),
    (
        "小区停车位分配与收费调整方案",
        "现有地面车位 **148 个**，登记车辆 203 辆。方案按“一户一位、先到先得、"
        "残疾人优先”分配，月租由 80 元调整为 100 元，增收部分用于道闸维护。\n\n"
        "1. 公示期十五日，期间接受异议；\n2. 异议由居务监督委员会复核；\n"
        "3. 实施满一年后评估。",
        ("通过小区停车位分配与收费调整方案", RULE_MEETING),
    ),
    (
        "社区养老服务站场地使用及运营经费筹集",
        "拟将原社区图书室改建为养老服务站，运营经费由政府补助、驻区单位自愿捐助和"
        "慈善项目合作三部分组成，账目按季度公布。{recorder}记录了代表的三条建议："
        "延长午餐供应时间、增加助浴服务、聘请专业社工。",
        ("同意社区养老服务站场地使用及经费筹集方案", RULE_FUNDS),
    ),
    (
        "垃圾分类督导员选聘办法",
        "每个居民小组推荐督导员 1–2 名，报酬按每月 300 元补贴，经费列入社区公益事业"
        "专项。督导员名单在公开栏公示。\n\n> 有代表提出，督导员不应由居委会成员的近亲属担任。"
        "\n\n会议采纳该意见，写入选聘办法第五条。",
        ("通过垃圾分类督导员选聘办法（含近亲属回避条款）", RULE_MEETING),
    ),
)


def build_minutes(attendees: int, items: int) -> MinutesDocument:
    """`attendees` present (at least 12), one absent, two observers, `items` agenda items."""
    present = tuple(Attendee(person(n), role=ROLES[n % len(ROLES)]) for n in range(attendees))
    # The supervisor's name has 𠮷 (outside the BMP): their stamp must draw it too.
    chair, recorder, supervisor = present[0].name, present[1].name, present[11].name
    eligible = attendees + 1 + attendees // 10
    agenda = []
    for n in range(items):
        title, notes, (motion, rule) = AGENDA[n % len(AGENDA)]
        in_favour = attendees - 4 - n % 3
        against = 2 + n % 2
        votes = (
            VoteResult(
                motion=motion,
                in_favour=in_favour,
                against=against,
                abstentions=attendees - in_favour - against,
                adopted=True,
                threshold=f"赞成票超过到会组成人员的半数（{attendees // 2 + 1} 票）",
                rule=rule,
                method="举手表决" if n % 2 else "无记名投票",
            ),
        )
        text = notes.format(chair=chair, recorder=recorder, supervisor=supervisor)
        agenda.append(
            AgendaItem(
                number=n + 1,
                title=title if n < len(AGENDA) else f"{title}（续{n // len(AGENDA)}）",
                notes_html=markdown_to_safe_html(text),
                votes=votes,
            )
        )
    return MinutesDocument(
        document_id="MIN-2025-0042",
        verification_url="https://consult.example.cn/verify/MIN-2025-0042",
        body_name=COMMUNITY,
        meeting_kind="居民代表会议",
        time="2025年12月12日 19:00–21:40",
        place="幸福里社区党群服务中心二楼会议室",
        chair=chair,
        recorder=recorder,
        supervisor=supervisor,
        quorum=Quorum(
            present=attendees,
            eligible=eligible,
            required=-(-eligible * 2 // 3),
            met=True,
            rule=RULE_MEETING,
            basis="三分之二以上组成人员出席",
        ),
        attendees=present,
        absent=(Attendee("钱凤英", role="居民代表", note="请假"),),
        observers=(Attendee("沈立新", role="街道办事处"), Attendee("蒋慧", role="社区民警")),
        items=tuple(agenda),
        recorder_notes_html=markdown_to_safe_html(
            "会议于 21:40 结束。各项决议于十二月十五日起在居务公开栏公布，公布期十五日。"
        ),
    )


@dataclass(frozen=True)
class LedgerRow:
    date: str
    voucher: str
    summary: str
    category: str
    direction: str
    amount: str


LEDGER_ENTRIES = (
    ("收入", "政府补助", "街道办拨付社区公益事业专项补助资金"),
    ("支出", "公益事业", "楼道照明改造材料费（LED 灯具 120 套）"),
    ("支出", "办公经费", "打印纸、墨盒等办公用品"),
    ("收入", "捐赠", "驻区单位向社区养老服务站捐赠"),
    ("支出", "服务项目", "垃圾分类督导员十一月补贴"),
    ("支出", "设施维护", "小区道闸维修及更换遥控器"),
    ("收入", "其他收入", "停车位租金（地面车位）"),
    ("支出", "活动经费", "重阳节敬老活动慰问品采购"),
)


def _fen_to_yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def ledger_context(rows: int, publisher: str) -> dict[str, Any]:
    """templates/pdf/ledger_table.html's context: `rows` rows over one quarter, one signature
    cell for `publisher` (制表人)."""
    ledger: list[LedgerRow] = []
    income = expense = 0
    start = datetime(2025, 7, 1, tzinfo=UTC)
    for n in range(rows):
        direction, category, summary = LEDGER_ENTRIES[n % len(LEDGER_ENTRIES)]
        fen = 1_000 + (n * 7_919) % 2_500_000  # up to 25,000 yuan, in whole fen
        if direction == "收入":
            income += fen
        else:
            expense += fen
        ledger.append(
            LedgerRow(
                date=f"{start + timedelta(days=n * 92 // max(rows, 1)):%Y-%m-%d}",
                voucher=f"记-{n + 1:04d}",
                summary=summary,
                category=category,
                direction=direction,
                amount=_fen_to_yuan(fen),
            )
        )
    url = "https://consult.example.cn/verify/DIS-2025-Q3-01"
    return {
        "lang": "zh-Hans",
        "title": "幸福里社区2025年第三季度财务收支明细",
        "body_name": COMMUNITY,
        "period": "2025年7月1日至9月30日",
        "facts": [("公开类别", "财务收支"), ("公布期限", "2025年10月10日至10月25日")],
        "rows": ledger,
        "totals": [
            ("收入合计", _fen_to_yuan(income)),
            ("支出合计", _fen_to_yuan(expense)),
            ("本期结余", ("-" if expense > income else "") + _fen_to_yuan(abs(income - expense))),
        ],
        "signatures": [{"id": "sig-publisher", "role": "制表人", "name": publisher}],
        "document_id": "DIS-2025-Q3-01",
        "verification_url": url,
        "qr_data_uri": qr_svg_data_uri(url),
    }


def jinja_env() -> jinja2.Environment:
    # What Flask-Babel installs, without an app: the i18n extension with newstyle gettext.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


# ------------------------------------------------------------------ one cycle


@dataclass
class Keys:
    ca: pki.CertificateAuthority
    signers: dict[str, pki.SignerIdentity]
    font: Path


def make_keys(minutes: MinutesDocument) -> Keys:
    """The community CA and a certificate for each of the minutes' recorder, chair and
    supervisor (the names printed under the signature cells)."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca = pki.make_community_ca(COMMUNITY, "XFL-001", now=now)
    people = {
        "recorder": minutes.recorder,
        "chair": minutes.chair,
        "supervisor": minutes.supervisor,
    }
    signers = {
        role: pki.issue_signer_certificate(
            ca, person_name=name, role=role, community_name=COMMUNITY, user_id=n + 1, now=now
        )
        for n, (role, name) in enumerate(people.items())
    }
    return Keys(ca=ca, signers=signers, font=fonts.stamp_font_path())


def timed(times: dict[str, float], name: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = work()
    times[name] = time.perf_counter() - started
    return result


def _box(rendered: RenderedPdf, sig_id: str) -> tuple[int, float, float, float, float]:
    box = rendered.anchors[sig_id]
    return (box.page, box.x1, box.y1, box.x2, box.y2)


def _new_field(rendered: RenderedPdf, role: str) -> signing.NewField:
    box = rendered.anchors[f"sig-{role}"]
    return (role, box.page, box.box)


@dataclass
class Outputs:
    minutes: RenderedPdf
    minutes_signed_once: bytes
    minutes_signed: bytes
    table: RenderedPdf
    table_signed: bytes


def cycle(
    env: jinja2.Environment,
    minutes: MinutesDocument,
    minutes_html: str,
    table_html: str,
    keys: Keys,
) -> tuple[dict[str, float], Outputs]:
    times: dict[str, float] = {}
    recorder = keys.signers["recorder"]

    def stamp(role: str) -> signing.StampText:
        return signing.StampText.for_role(keys.signers[role].person_name, role)

    rendered = timed(times, "minutes_render", lambda: render_minutes(env, minutes))
    once = timed(
        times,
        "minutes_sign",
        lambda: signing.sign_pdf(
            rendered.pdf,
            recorder,
            field="recorder",
            box=_box(rendered, "sig-recorder"),
            certify=True,
            new_fields=[_new_field(rendered, role) for role in ("chair", "supervisor")],
            stamp=stamp("recorder"),
            font_path=keys.font,
            reason="会议纪要记录",
            location=minutes.place,
        ),
    )
    times["minutes_render_and_sign"] = times["minutes_render"] + times["minutes_sign"]
    chaired = timed(
        times,
        "minutes_sign_chair",
        lambda: signing.sign_pdf(
            once, keys.signers["chair"], field="chair", stamp=stamp("chair"), font_path=keys.font
        ),
    )
    signed = timed(
        times,
        "minutes_sign_supervisor",
        lambda: signing.sign_pdf(
            chaired,
            keys.signers["supervisor"],
            field="supervisor",
            stamp=stamp("supervisor"),
            font_path=keys.font,
        ),
    )
    report = timed(
        times,
        "minutes_validate",
        lambda: verify.verify_pdf(signed, trust_roots=[keys.ca.certificate]),
    )
    if not (report.ok and report.all_trusted and len(report.signatures) == 3):
        raise SystemExit(f"the signed minutes do not validate: {report}")
    timed(times, "minutes_weasyprint_plain", lambda: plain_weasyprint(minutes_html))

    table = timed(times, "table_render", lambda: render_pdf(table_html, lang="zh-Hans"))
    table_signed = timed(
        times,
        "table_sign",
        lambda: signing.sign_pdf(
            table.pdf,
            recorder,
            field="publisher",
            box=_box(table, "sig-publisher"),
            certify=True,
            stamp=signing.StampText(name=recorder.person_name, role_label="制表人"),
            font_path=keys.font,
        ),
    )
    times["table_render_and_sign"] = times["table_render"] + times["table_sign"]
    timed(times, "table_weasyprint_plain", lambda: plain_weasyprint(table_html))
    return times, Outputs(rendered, once, signed, table, table_signed)


def plain_weasyprint(html: str) -> bytes:
    """WeasyPrint alone: no PDF/A, no URL fetcher, no font stylesheet, no warnings captured."""
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def pdfsig(pdf: bytes) -> list[str] | None:
    """pdfsig's "Signature Validation" lines for `pdf`, or None without poppler-utils."""
    tool = shutil.which("pdfsig")
    if tool is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as out:
        out.write(pdf)
        out.flush()
        done = subprocess.run(
            [tool, "-nocert", out.name], capture_output=True, text=True, check=False
        )
    return re.findall(r"- Signature Validation: (.*)$", done.stdout, re.MULTILINE)


class GcClock:
    """Time spent in the cyclic garbage collector (gc.callbacks), full collections apart."""

    def __init__(self) -> None:
        self.full = self.young = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        if info["generation"] == 2:
            self.full += took
        else:
            self.young += took


def run(
    attendees: int, items: int, rows: int, runs: int, gc_freeze: bool = False
) -> dict[str, Any]:
    env = jinja_env()
    minutes = build_minutes(attendees, items)
    minutes_html = env.get_template(MINUTES_TEMPLATE).render(minutes_context(minutes))
    table_html = env.get_template(LEDGER_TEMPLATE).render(ledger_context(rows, minutes.recorder))
    keys = make_keys(minutes)

    cycle(env, minutes, minutes_html, table_html, keys)  # warm-up, not counted
    if gc_freeze:
        gc.collect()
        gc.freeze()
    per_run: list[dict[str, Any]] = []
    outputs: Outputs | None = None
    for _ in range(runs):
        clock = GcClock()
        gc.callbacks.append(clock)
        try:
            times, outputs = cycle(env, minutes, minutes_html, table_html, keys)
        finally:
            gc.callbacks.remove(clock)
        # Included in the steps' figures above, wherever a collection happened to fall.
        times["cycle_gc_full_collections"] = clock.full
        times["cycle_gc_young_collections"] = clock.young
        per_run.append({k: round(v, 3) for k, v in times.items()} | {"load": load_average()[0]})
    assert outputs is not None

    medians = {
        name: round(statistics.median(run[name] for run in per_run), 3) for name in per_run[0]
    }
    medians.pop("load")
    cpus = os.cpu_count() or 1
    minutes_checked = pdfsig(outputs.minutes_signed)
    table_checked = pdfsig(outputs.table_signed)
    valid = "Signature is Valid."
    pdfsig_ok = minutes_checked is None or (
        minutes_checked == [valid] * 3 and table_checked == [valid]
    )
    target_met = medians["minutes_render_and_sign"] < TARGET_SECONDS and pdfsig_ok
    return {
        "attendees": attendees,
        "items": items,
        "rows": rows,
        "runs": runs,
        "gc_frozen": gc_freeze,
        "seconds": medians,
        "ratio_to_plain_weasyprint": {
            "minutes": round(medians["minutes_render"] / medians["minutes_weasyprint_plain"], 2),
            "table": round(medians["table_render"] / medians["table_weasyprint_plain"], 2),
        },
        "pages": {"minutes": outputs.minutes.pages, "table": outputs.table.pages},
        "bytes": {
            "minutes_rendered": len(outputs.minutes.pdf),
            "minutes_signed_once": len(outputs.minutes_signed_once),
            "minutes_signed": len(outputs.minutes_signed),
            "table_rendered": len(outputs.table.pdf),
            "table_signed": len(outputs.table_signed),
        },
        "per_run": per_run,
        "loaded_runs": sum(run["load"] > cpus for run in per_run),
        "pdfsig": {"minutes": minutes_checked, "table": table_checked},
        "machine": machine(),
        "target": {"minutes_render_and_sign_seconds": TARGET_SECONDS},
        "target_met": target_met,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=60)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--rows", type=int, default=400, help="rows of the ledger table")
    parser.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after the warm-up, as a worker could after startup (see the docstring)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.attendees < 12 or args.items < 1 or args.rows < 1:
        parser.error("--runs, --items and --rows must be at least 1, --attendees at least 12")
    result = run(args.attendees, args.items, args.rows, args.runs, args.gc_freeze)
    print(json.dumps(result, ensure_ascii=False))
    return 1 if args.check and not result["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
