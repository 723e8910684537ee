"""A month's finances disclosed in a real browser (issue 6): staff write October's statement,
import its ledger file, give the balances and send it; a supervisor returns it with a comment;
staff read the comment, strike out the wrong line, add the right one by hand, correct the closing
balance and send it again; the supervisor approves. Staff publish it with a new signing
passphrase (typed twice) and the supervisor countersigns with theirs. A resident on a phone opens
the community's disclosure board, reads the disclosure (the figures, the chart), fetches the
signed PDF (two valid signatures, by name) and asks a question; staff answer it from the manage
page, and the resident, and a visitor who is not signed in, read the answer without the asker's
name.

The test finds fields and buttons by their names, ids and form actions and compares only what it
typed, so it does not depend on the catalogue's wording. Signing renders and signs a real PDF (a
second or two here): the timeouts are generous. A screenshot of each person's page is saved under
test-results/ when the test fails; the phone's view of the disclosure and the staff workspace
after publication are saved in the test's tmp_path every run, to be looked at."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from consult.actor import Actor
from consult.extensions import db
from consult.registry.enrolment import create_resident_account
from consult.registry.service import create_community

pytestmark = pytest.mark.e2e

CODE = "anping"
PASSWORD = "disclosure-password-e2e"
STAFF, SUPERVISOR, RESIDENT = "赵丽华", "钱德顺", "孙桂芳"
PASSPHRASE = {"staff": "经办人的签名口令 2026", "supervisor": "监委会的签名口令 2026"}
SIGNING_MS = 60_000
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

TITLE = "安平社区2026年10月财务收支公开"
BODY = "本月收到街道办拨付的社区服务经费，主要用于楼道照明维修和重阳节慰问。"
LEDGER = (
    "date,voucher,summary,category,direction,amount,counterparty\n"
    "2026-10-08,记-001,收到街道办拨付社区服务经费,政府拨款,income,30000.00,安平街道办事处\n"
    "2026-10-12,记-002,楼道照明维修,维修,expense,1280.50,平安电器维修部\n"
    "2026-10-20,记-003,重阳节慰问老人,慰问,expense,3600.00,\n"
    "2026-10-27,记-004,购买办公用品,办公费,expense,356.80,文兴文具店\n"
)
# 8,000.00 + 30,000.00 − (1,280.50 + 3,600.00 + 356.80) = 32,762.70; the voucher of 记-003
# says 3,200.00, so after the supervisor's comment: 8,000.00 + 30,000.00 − 4,837.30 = 33,162.70.
OPENING, FIRST_CLOSING, CLOSING = "8000.00", "32762.70", "33162.70"


def shown(amount: str) -> str:
    """An amount as the pages print it for reading (thousands separated)."""
    yuan, cents = amount.split(".")
    return f"{int(yuan):,}.{cents}"


COMMENT = "记-003 重阳节慰问的金额与凭证不符：凭证为 3200.00 元。请更正该行和期末余额。"
QUESTION = "重阳节慰问了多少位老人？每人标准是多少？"
ANSWER = "共慰问 80 周岁以上老人 32 位，每人 100 元慰问品。"


@pytest.fixture(scope="module")
def seeded(live_app: Any) -> dict[str, str]:
    """A new community, its staff member and supervisor (named: a signature names its signer)
    and a verified resident."""
    from tests.factories import make_resident, make_user

    with live_app.app_context():
        system = Actor.system("e2e")
        community = create_community(system, CODE, "安平社区", "urban")
        for role, name in (("staff", STAFF), ("supervisor", SUPERVISOR)):
            make_user(
                f"{role}@anping.test",
                password=PASSWORD,
                community=community,
                roles=(role,),
                display_name=name,
            )
        person = make_resident(community, name=RESIDENT, household="3-201")
        create_resident_account(system, community, person.id, "sun@anping.test", PASSWORD)
        db.session.commit()
    return {"staff": "staff@anping.test", "supervisor": "supervisor@anping.test"}


@pytest.fixture
def person(
    browser: Any, live_server: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Opens a browser of one's own (signed in through the real form when an e-mail is given);
    on failure every page opened is saved under test-results/."""
    opened: list[tuple[str, Any]] = []

    def open_as(label: str, email: str | None = None, **context: Any) -> Any:
        options = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN", **context}
        page = browser.new_context(**options).new_page()
        page.set_default_timeout(SIGNING_MS)
        opened.append((label, page))
        if email is not None:
            page.goto(f"{live_server}/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_url(f"{live_server}/")
        return page

    yield open_as
    failed = getattr(request.node, "rep_call", None)
    for label, page in opened:
        if failed is not None and failed.failed:
            RESULTS.mkdir(exist_ok=True)
            page.screenshot(path=str(RESULTS / f"{request.node.name}-{label}.png"), full_page=True)
        page.context.close()


def submit(page: Any, form: str) -> None:
    """Press the form's button and land on the page it leads to, which says it was done."""
    with page.expect_navigation(timeout=SIGNING_MS):
        page.click(f"{form} button[type=submit]")
    flash = page.locator(".flash")
    assert "success" in (flash.first.get_attribute("class") or ""), flash.all_inner_texts()


def sign(page: Any, work: str, role: str) -> None:
    """The first signature in a role: a new passphrase and its confirmation."""
    page.goto(work)
    assert page.locator("#sign .first-signature").is_visible()
    page.fill("#sign input[name=passphrase]", PASSPHRASE[role])
    page.fill("#sign input[name=confirm]", PASSPHRASE[role])
    submit(page, "#sign form")


def test_a_month_is_returned_fixed_signed_queried_and_answered(
    person: Callable[..., Any],
    live_server: str,
    live_app: Any,
    seeded: dict[str, str],
    tmp_path: Path,
) -> None:
    staff = person("staff", seeded["staff"])
    supervisor = person("supervisor", seeded["supervisor"])

    # A new draft from the manage page.
    manage = f"{live_server}/c/{CODE}/disclosures/manage"
    staff.goto(manage)
    staff.click(f".page-head a[href='/c/{CODE}/disclosures/new']")
    staff.select_option("select[name=category]", "finance")
    staff.fill("input[name=period]", "2026-10")
    staff.fill("input[name=title]", TITLE)
    staff.fill("textarea[name=body]", BODY)
    assert staff.locator("select[name=lang]").input_value() == "zh-Hans"
    with staff.expect_navigation():
        staff.click("main form button[type=submit]")
    found = re.fullmatch(rf"{re.escape(live_server)}/disclosures/(\d+)/work", staff.url)
    assert found, staff.url
    disclosure_id = int(found[1])
    work = f"{live_server}/disclosures/{disclosure_id}/work"

    # The ledger file through the file input, then the balances.
    ledger_csv = tmp_path / "2026-10-ledger.csv"
    ledger_csv.write_text(LEDGER, encoding="utf-8")
    staff.set_input_files("input[name=ledger_file]", str(ledger_csv))
    submit(staff, f"form[action='/disclosures/{disclosure_id}/ledger']")
    rows = staff.locator("table.ledger tbody tr")
    assert rows.count() == 4
    assert "重阳节慰问老人" in rows.nth(2).inner_text()
    staff.fill("input[name=opening_balance]", OPENING)
    staff.fill("input[name=closing_balance]", FIRST_CLOSING)
    submit(staff, f"form[action='/disclosures/{disclosure_id}/edit']")
    verdict = staff.locator("#statement .verdict-box")
    assert "good" in (verdict.get_attribute("class") or "").split()
    assert shown(FIRST_CLOSING) in verdict.inner_text()
    submit(staff, f"form[action='/disclosures/{disclosure_id}/submit']")
    assert staff.locator("#state .state.state-noticed").count() == 1
    assert staff.locator("input[name=ledger_file]").count() == 0  # it no longer changes

    # The supervisor returns it with a comment.
    supervisor.goto(work)
    supervisor.check("input[name=decision][value=return]")
    supervisor.fill("textarea[name=comment]", COMMENT)
    submit(supervisor, f"form[action='/disclosures/{disclosure_id}/review']")

    # Staff read the comment, strike out the wrong line, add the right one, fix the balance.
    staff.goto(work)
    note = staff.locator("#state .banner.notice")
    assert COMMENT in note.inner_text()
    assert SUPERVISOR in note.inner_text()
    wrong = staff.locator("table.ledger tbody tr", has_text="3,600.00")
    wrong.locator("details.withdraw summary").click()
    wrong.locator("input[name=void_reason]").fill("金额录错，按凭证更正为 3200.00 元")
    submit(staff, "table.ledger tbody tr:has-text('3,600.00') form")
    assert staff.locator("table.ledger tbody tr.voided").count() == 1
    staff.fill("input[name=entry_date]", "2026-10-20")
    staff.check("input[name=direction][value=expense]")
    staff.fill("input[name=amount]", "3200.00")
    staff.fill("input[name=summary]", "重阳节慰问老人")
    staff.fill("input[name=category]", "慰问")
    staff.fill("input[name=voucher]", "记-003")
    submit(staff, f"form[action='/disclosures/{disclosure_id}/entries']")
    # The stated closing balance no longer reconciles with the ledger, and says by how much.
    verdict = staff.locator("#statement .verdict-box")
    assert "bad" in (verdict.get_attribute("class") or "").split()
    assert shown(CLOSING) in verdict.inner_text()
    staff.fill("input[name=closing_balance]", CLOSING)
    submit(staff, f"form[action='/disclosures/{disclosure_id}/edit']")
    assert "good" in (staff.locator("#statement .verdict-box").get_attribute("class") or "")
    submit(staff, f"form[action='/disclosures/{disclosure_id}/submit']")

    # The supervisor approves; staff publish; the supervisor countersigns.
    supervisor.goto(work)
    assert supervisor.locator("table.ledger tbody tr.voided").count() == 1
    supervisor.check("input[name=decision][value=approve]")
    submit(supervisor, f"form[action='/disclosures/{disclosure_id}/review']")
    sign(staff, work, "staff")
    assert staff.locator("#state .state.minutes-state-signing").count() == 1
    supervisor.goto(work)
    assert supervisor.locator(f"#sign a[href='/disclosures/{disclosure_id}.pdf']").is_visible()
    sign(supervisor, work, "supervisor")
    assert supervisor.locator("#state .state.minutes-state-published").count() == 1

    staff.goto(work)
    assert staff.locator("#state .state.minutes-state-published").count() == 1
    assert staff.locator(f"#state a[href='/disclosures/{disclosure_id}.pdf']").is_visible()
    assert staff.locator(f"#state a[href='/disclosures/{disclosure_id}']").is_visible()
    history = staff.locator("#history")
    assert COMMENT in history.locator("li.sig.bad").inner_text()
    assert history.locator("li.sig.good").count() == 1
    for name in (STAFF, SUPERVISOR):
        assert name in history.inner_text()
    staff.screenshot(path=str(tmp_path / "staff-workspace-published.png"), full_page=True)

    # A resident on a phone: the board, the disclosure, its figures and chart, the signed PDF.
    phone = person("resident", "sun@anping.test", **PHONE)
    phone.goto(f"{live_server}/c/{CODE}/disclosures")
    phone.click(f".dcards a[href='/disclosures/{disclosure_id}']")
    phone.wait_for_url(f"{live_server}/disclosures/{disclosure_id}")
    assert TITLE in phone.locator("h1").inner_text()
    assert BODY in phone.locator(".dbody").inner_text()
    figures = phone.locator("#statement dl.dfigures dd").all_inner_texts()
    assert figures == ["8,000.00", "+30,000.00", "−4,837.30", "33,162.70"]
    chart = phone.locator("#statement svg[role=img]")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    assert "30000.00" in (chart.locator("desc").text_content() or "")  # totals for readers
    # The chart keeps a legible width and scrolls sideways inside its frame, as tables do.
    box = phone.locator("#statement figure.dchart").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390, box
    lines = phone.locator("#ledger table.dledger tbody").inner_text()
    assert "3,200.00" in lines
    assert "3,600.00" not in lines  # the struck-out line is not disclosed
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(tmp_path / "resident-phone-disclosure.png"), full_page=True)

    link = phone.locator(f"a[href='/disclosures/{disclosure_id}.pdf']")
    assert link.is_visible()
    response = phone.request.get(f"{live_server}/disclosures/{disclosure_id}.pdf")
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF-")
    with live_app.app_context():
        from consult.documents.service import check_pdf

        check = check_pdf(pdf)
        assert check.ok, check.as_json("disclosure.pdf")
        assert check.is_current
        assert [(s.role, s.signer) for s in check.report.signatures] == [
            ("staff", STAFF),
            ("supervisor", SUPERVISOR),
        ]

    # The resident asks a question; it is public at once, unanswered, without a name.
    phone.check("#ask input[name=kind][value=query]")
    phone.fill("#ask textarea[name=text]", QUESTION)
    with phone.expect_navigation():
        phone.click("#ask form button[type=submit]")
    assert phone.locator("#queries .flash.success").is_visible()
    asked = phone.locator("#queries .dquery")
    assert asked.count() == 1
    assert QUESTION in asked.inner_text()
    assert asked.locator(".danswer").count() == 0

    # Staff find it among the open queries and answer it.
    staff.goto(manage)
    staff.click(f"#queries a[href^='/disclosures/{disclosure_id}/work#query-']")
    query = staff.locator("#queries article.vote-card")
    assert QUESTION in query.inner_text()
    assert RESIDENT in query.inner_text()  # staff see who asked
    query.locator("textarea[name=answer]").fill(ANSWER)
    submit(staff, "#queries form[action$='/answer']")
    assert ANSWER in staff.locator("#queries article.vote-card .rendered").inner_text()
    staff.goto(manage)
    assert staff.locator(f"#queries a[href^='/disclosures/{disclosure_id}/work']").count() == 0

    # The resident, and a visitor who is not signed in, read the answer; nobody's name.
    phone.reload()
    assert ANSWER in phone.locator("#queries .dquery .danswer").inner_text()
    visitor = person("visitor", **PHONE)
    visitor.goto(f"{live_server}/disclosures/{disclosure_id}")
    answered = visitor.locator("#queries .dquery")
    assert QUESTION in answered.inner_text()
    assert ANSWER in answered.locator(".danswer").inner_text()
    assert RESIDENT not in visitor.locator("main").inner_text()
    assert visitor.locator("#ask textarea[name=text]").count() == 0
    assert visitor.locator("#ask a[href^='/login']").is_visible()
