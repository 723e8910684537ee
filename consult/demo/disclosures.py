"""Demo: public-affairs and financial disclosure (issue 6) in 和平里社区.

- The community fund's ledger for September and October 2026, each imported from CSV, reviewed
  by the supervisory committee, signed by staff and countersigned: on the board. September was
  returned once with a comment, then corrected after publication (both versions stay visible).
- The third quarter's decisions and their implementation: a text disclosure, published.
- November's ledger, imported and submitted: waiting for 赵国庆 (supervisor@) to review.
- A resident's query on October's statement, answered by staff; another still open.
石桥村 has published nothing: its dashboard shows what the village owes (and, from the 11th of
December, November's finance overdue).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from consult.accounts.models import User
from consult.actor import Actor
from consult.disclosure import ledger, queries
from consult.disclosure import service as disclosures
from consult.disclosure.models import Disclosure, DisclosureState
from consult.documents import statements
from consult.documents.toolkit import toolkit
from consult.extensions import db
from consult.registry.enrolment import actor_for
from consult.registry.models import Community
from consult.rules.disclosure import parse_period
from consult.rules.ledger_csv import HEADER, format_fen

#: The demo signers' passphrase, as for the minutes.
SIGNING_PASSPHRASE = "demo-signing-2026"  # noqa: S105 - printed by `consult demo`

_INCOME = (
    ("街道办拨付社区服务经费", "政府拨款", "和平街道办事处", 2_000_000, 4_000_000),
    ("停车场管理收益", "公共收益", "和平里物业服务中心", 800_000, 1_600_000),
    ("广告位租赁收入", "公共收益", "城市传媒有限公司", 300_000, 600_000),
    ("爱心企业捐赠（助老餐）", "社会捐赠", "惠民超市", 100_000, 500_000),
)
_EXPENSE = (
    ("楼道照明维修", "维修", "平安电器维修部", 20_000, 180_000),
    ("绿化养护", "绿化", "青青园林养护队", 150_000, 600_000),
    ("重阳节慰问老人", "慰问", "", 100_000, 400_000),
    ("办公用品", "办公", "文化用品商店", 5_000, 60_000),
    ("助老餐补贴", "民生服务", "幸福食堂", 200_000, 500_000),
    ("垃圾分类宣传材料印制", "宣传", "和平印务", 30_000, 120_000),
)


def _actor(community: Community, email: str) -> Actor | None:
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    return actor_for(user, community.id) if user is not None else None


def month_ledger(period: str, rows: int, seed: int) -> tuple[str, int]:
    """A month's ledger CSV, the same every time (seeded): `rows` lines; and its net in fen."""
    rng = random.Random(seed)
    first = parse_period(period).first
    days = (parse_period(period).last - first).days + 1
    lines = [",".join(HEADER)]
    net = 0
    for n in range(rows):
        on = first + timedelta(days=rng.randrange(days))
        income = n % 4 == 0
        summary, category, counterparty, low, high = rng.choice(_INCOME if income else _EXPENSE)
        fen = rng.randrange(low, high) // 10 * 10
        net += fen if income else -fen
        direction = "income" if income else "expense"
        lines.append(
            f"{on.isoformat()},记-{first:%m}{n + 1:03d},{summary},{category},{direction},"
            f"{format_fen(fen).replace(',', '')},{counterparty}"
        )
    return "\n".join(lines) + "\n", net


def _finance(
    staff: Actor, community: Community, period: str, opening: int, rows: int, seed: int
) -> tuple[Disclosure, int]:
    csv_text, net = month_ledger(period, rows, seed)
    month = parse_period(period)
    found = disclosures.create_disclosure(
        staff,
        community,
        category="finance",
        period=period,
        title=f"{community.name}{month.text('zh-Hans')}财务收支公开",
        body=(
            "本期社区公共资金收支明细如下，凭证可在居委会查阅。"
            "如有疑问，请在本页提出质询，居委会将在规定期限内答复。"
        ),
    )
    ledger.import_ledger(staff, found, csv_text.encode())
    disclosures.update_disclosure(
        staff, found, opening_balance_fen=opening, closing_balance_fen=opening + net
    )
    return found, opening + net


def _publish(staff: Actor, supervisor: Actor, found: Disclosure, tools: Any) -> None:
    if found.disclosure_state in (DisclosureState.DRAFT, DisclosureState.RETURNED):
        disclosures.submit_disclosure(staff, found)
    if found.disclosure_state is DisclosureState.SUBMITTED:
        disclosures.review_disclosure(supervisor, found, "approve", "已核对凭证，同意公开。")
    if found.disclosure_state is DisclosureState.APPROVED:
        statements.publish_disclosure(staff, found, SIGNING_PASSPHRASE, tools)
    if found.disclosure_state is DisclosureState.SIGNING:
        statements.countersign_disclosure(
            supervisor, found, "supervisor", SIGNING_PASSPHRASE, tools
        )


def ensure_disclosures(community: Community) -> dict[str, Any]:
    """The demo's disclosures (idempotent: nothing is made twice)."""
    staff = _actor(community, "staff@heping.demo")
    supervisor = _actor(community, "supervisor@heping.demo")
    resident = _actor(community, "resident@heping.demo")
    if staff is None or supervisor is None or resident is None:
        return {}
    existing = db.session.execute(
        select(Disclosure.id).where(Disclosure.community_id == community.id).limit(1)
    ).first()
    if existing is None:
        tools = toolkit()
        if not ledger.accounts_of(community):
            ledger.create_account(staff, community, "GY-01", "社区公共资金账户")
        # September: returned once with a comment, fixed, published; later corrected.
        september, closing = _finance(staff, community, "2026-09", 12_345_600, 24, 9)
        disclosures.submit_disclosure(staff, september)
        disclosures.review_disclosure(
            supervisor, september, "return", "请在说明中写明助老餐补贴的发放对象和人数。"
        )
        disclosures.update_disclosure(
            staff,
            september,
            body=september.body + "\n\n助老餐补贴：本月为辖区 80 岁以上老人 46 人提供助老餐。",
        )
        _publish(staff, supervisor, september, tools)
        correction = disclosures.start_correction(
            staff, september, "记-09003 的对方单位名称录入有误，已更正。"
        )
        _publish(staff, supervisor, correction, tools)
        # October: published, with a query answered and another open.
        october, closing = _finance(staff, community, "2026-10", closing, 36, 10)
        _publish(staff, supervisor, october, tools)
        asked = queries.file_query(
            resident, october, "十月的绿化养护费用比九月多，是增加了养护面积吗？"
        )
        queries.answer_query(
            staff,
            asked,
            "十月对3号楼至6号楼之间的绿地进行了补种，费用已经居民代表会议同意，"
            "凭证可在居委会查阅。",
        )
        queries.file_query(resident, october, "助老餐补贴的发放名单可以公开吗？", kind="objection")
        # The third quarter's decisions: a text disclosure.
        decisions = disclosures.create_disclosure(
            staff,
            community,
            category="decisions",
            period="2026-Q3",
            title="2026年第三季度居民代表会议决定事项及落实情况",
            body=(
                "1. **修缮小区围墙**：居民代表会议表决通过，已于9月完工，验收合格。\n"
                "2. **停车收费办法**：征求意见中，将提交下次居民代表会议表决。\n"
                "3. **楼道照明更换**：已完成1至8号楼的更换。"
            ),
        )
        _publish(staff, supervisor, decisions, tools)
        # November: imported and submitted, waiting for the supervisor's review.
        november, _ = _finance(staff, community, "2026-11", closing, 30, 11)
        disclosures.submit_disclosure(staff, november)
    latest = db.session.execute(
        select(Disclosure)
        .where(
            Disclosure.community_id == community.id,
            Disclosure.state == DisclosureState.PUBLISHED.value,
            Disclosure.category == "finance",
        )
        .order_by(Disclosure.period.desc())
        .limit(1)
    ).scalar_one_or_none()
    return {
        "board": f"/c/{community.code}/disclosures",
        "due": f"/c/{community.code}/disclosures/due",
        "kiosk": f"/c/{community.code}/disclosures/kiosk",
        "manage": f"/c/{community.code}/disclosures/manage",
        "statement": f"/disclosures/{latest.id}" if latest is not None else None,
        "passphrase": SIGNING_PASSPHRASE,
    }
