"""The committee's and the supervisory committee's disclosure pages (issue 6) through the test
client and the real sign-in form, on SQLite and PostgreSQL: staff create a finance disclosure,
import its ledger (a bad file imports nothing and lists its lines), give the balances, send it;
a supervisor returns it with a comment, staff fix it and send it again, the supervisor approves;
staff publish it with a new signing passphrase and a supervisor countersigns; corrections,
queries, vouchers, the schedule's dashboard and the community's policy; every refusal.

Publishing renders and signs a real PDF: that test is skipped while the toolkit cannot render a
disclosure yet.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult import clock
from consult.actor import Actor
from consult.disclosure import ledger, queries
from consult.disclosure import service as disclosures
from consult.disclosure.models import (
    Disclosure,
    DisclosurePolicyRow,
    DisclosureSignature,
    DisclosureState,
    LedgerEntry,
)
from consult.documents import pki
from consult.documents.models import SignerCertificate
from consult.extensions import db
from consult.registry.enrolment import actor_for
from tests.conftest import World, csrf_token, login
from tests.factories import make_user

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # 10:00 on 3 November in Beijing
HEADER = "date,voucher,summary,category,direction,amount,counterparty\n"
LEDGER = (
    HEADER
    + "2026-10-03,记-001,收到街道办拨付社区服务经费,政府拨款,income,50000.00,和平街道办事处\n"
    + "2026-10-09,记-002,楼道照明维修,维修,expense,1280.50,平安电器维修部\n"
    + "2026-10-21,记-003,重阳节慰问老人,慰问,expense,3600,\n"
)
BAD_LEDGER = (
    HEADER
    + "2026-10-03,记-001,收到街道办拨付社区服务经费,政府拨款,income,50000.00,和平街道办事处\n"
    + "2026-10-09,记-002,楼道照明维修,维修,expense,1280.505,平安电器维修部\n"
    + "2026-09-30,记-003,=SUM(A1),慰问,spent,3600,\n"
)
OPENING, CLOSING = 1_000_000, 5_511_950  # 10,000.00 + 50,000.00 − 1,280.50 − 3,600.00
STAFF_PASS = "经办人的口令-2026"
SUPERVISOR_PASS = "监督 passphrase 2026"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def english(client: FlaskClient) -> FlaskClient:
    client.get("/prefs?lang=en&next=/")
    return client


def count(model: Any, *where: Any) -> int:
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)
    return int(db.session.execute(query).scalar_one())


def work(found: Disclosure) -> str:
    return f"/disclosures/{found.id}/work"


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """POST with the session's CSRF token (read from the home page's sign-out form, or for an
    anonymous visitor from the sign-in form: their pages' headers have none)."""
    page = text_of(client.get("/"))
    token = csrf_token(page if 'name="csrf_token"' in page else text_of(client.get("/login")))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kw)


def upload(
    client: FlaskClient, url: str, field: str, content: bytes, name: str, **data: Any
) -> Any:
    return post(
        client,
        url,
        {field: (io.BytesIO(content), name), **data},
        content_type="multipart/form-data",
    )


def flashed(response: Any) -> str:
    """The page a redirect leads to (the flash is shown there)."""
    return text_of(response)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """The clock stopped before the world is made (its community was created before October)."""
    clock.freeze(datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
    yield
    clock.reset()


@pytest.fixture
def people(frozen: None, world: World) -> dict[str, Actor]:
    clock.freeze(NOW)
    community = world.community
    other_staff = make_user("staff@other.example", community=world.other, roles=("staff",))
    chair = make_user("chair@example.org", community=community, roles=("chair",))
    db.session.commit()
    world.users["other_staff"] = other_staff
    world.users["chair"] = chair
    return {
        "staff": actor_for(world.users["staff"], community.id),
        "supervisor": actor_for(world.users["supervisor"], community.id),
        "resident": actor_for(world.users["resident"], community.id),
    }


def client_as(app: Flask, world: World, role: str) -> FlaskClient:
    web = app.test_client()
    if role != "anonymous":
        login(web, world.users[role].email)
    return english(web)


def draft(people: dict[str, Actor], world: World, **kwargs: Any) -> Disclosure:
    values = {
        "category": "finance",
        "period": "2026-10",
        "title": "和平里社区2026年10月财务收支公开",
        "body": "本月收支情况如下，欢迎居民监督。",
    }
    values.update(kwargs)
    found = disclosures.create_disclosure(people["staff"], world.community, **values)
    db.session.commit()
    return found


def approved(people: dict[str, Actor], world: World) -> Disclosure:
    found = draft(people, world)
    ledger.import_ledger(people["staff"], found, LEDGER.encode())
    disclosures.update_disclosure(
        people["staff"], found, opening_balance_fen=OPENING, closing_balance_fen=CLOSING
    )
    disclosures.submit_disclosure(people["staff"], found)
    disclosures.review_disclosure(people["supervisor"], found, "approve")
    db.session.commit()
    return found


def published(people: dict[str, Actor], world: World) -> Disclosure:
    """On the board as the countersignature puts it there (no PDF: the pages around it)."""
    found = approved(people, world)
    disclosures.publish_version(found)
    db.session.commit()
    return found


# ---------------------------------------------------------------- the whole way to approval


def test_staff_write_import_and_send_a_supervisor_returns_then_approves(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    staff = client_as(app, world, "staff")
    manage = staff.get("/c/heping/disclosures/manage")
    assert manage.status_code == 200
    assert 'href="/c/heping/disclosures/new"' in text_of(manage)

    # A new draft.
    response = post(
        staff,
        "/c/heping/disclosures/new",
        {
            "category": "finance",
            "period": "2026-10",
            "title": "和平里社区2026年10月财务收支公开",
            "body": "本月收支情况如下。",
            "lang": "zh-Hans",
        },
    )
    assert response.status_code == 303
    found = db.session.execute(select(Disclosure)).scalar_one()
    assert response.headers["Location"].endswith(work(found))
    assert found.state == DisclosureState.DRAFT

    # A file with bad lines imports nothing, and says which lines and why.
    response = upload(
        staff, f"/disclosures/{found.id}/ledger", "ledger_file", BAD_LEDGER.encode(), "bad.csv"
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "Nothing was imported" in page
    assert "Line 3:" in page
    assert "Line 4:" in page
    assert "Line 2:" not in page
    assert "more than two decimals" in page
    assert "a spreadsheet may run as a formula" in page
    assert "outside this disclosure" in page
    assert "direction must be income or expense, not &#39;spent&#39;" in page
    assert count(LedgerEntry) == 0

    # The good file: three lines.
    response = upload(
        staff, f"/disclosures/{found.id}/ledger", "ledger_file", LEDGER.encode(), "ok.csv"
    )
    assert response.status_code == 303
    assert count(LedgerEntry, LedgerEntry.disclosure_id == found.id) == 3
    page = text_of(staff.get(work(found)))
    assert "3 lines imported." in page
    assert "楼道照明维修" in page
    assert "1,280.50" in page
    assert "The balances are missing." in page

    # Balances that do not reconcile are shown in red, and the draft is not sent.
    response = post(
        staff,
        f"/disclosures/{found.id}/edit",
        {
            "title": found.title,
            "body": found.body,
            "lang": "zh-Hans",
            "opening_balance": "10000",
            "closing_balance": "55119.00",
        },
        follow_redirects=True,
    )
    page = text_of(response)
    assert 'class="verdict-box bad"' in page
    assert "The statement does not reconcile" in page
    assert "55,119.50" in page
    response = post(staff, f"/disclosures/{found.id}/submit", follow_redirects=True)
    assert "does not reconcile" in text_of(response)
    db.session.refresh(found)
    assert found.state == DisclosureState.DRAFT

    response = post(
        staff,
        f"/disclosures/{found.id}/edit",
        {
            "title": found.title,
            "body": found.body,
            "lang": "zh-Hans",
            "opening_balance": "10000",
            "closing_balance": "55119.50",
        },
        follow_redirects=True,
    )
    assert 'class="verdict-box good"' in text_of(response)
    db.session.refresh(found)
    assert (found.opening_balance_fen, found.closing_balance_fen) == (OPENING, CLOSING)
    assert isinstance(found.closing_balance_fen, int)

    response = post(staff, f"/disclosures/{found.id}/submit")
    assert response.status_code == 303
    db.session.refresh(found)
    assert found.state == DisclosureState.SUBMITTED
    # While under review, the staff's forms are gone.
    page = text_of(staff.get(work(found)))
    assert f'action="/disclosures/{found.id}/edit"' not in page
    assert f'action="/disclosures/{found.id}/ledger"' not in page

    # The supervisor returns it with a comment.
    supervisor = client_as(app, world, "supervisor")
    page = text_of(supervisor.get(work(found)))
    assert f'action="/disclosures/{found.id}/review"' in page
    response = post(
        supervisor,
        f"/disclosures/{found.id}/review",
        {"decision": "return", "comment": "慰问支出请附上签收单。"},
    )
    assert response.status_code == 303
    db.session.refresh(found)
    assert found.state == DisclosureState.RETURNED

    # Staff see the comment, edit and send again.
    page = text_of(staff.get(work(found)))
    assert "Returned for changes" in page
    assert "慰问支出请附上签收单。" in page
    assert "supervisor" in page  # who returned it (the reviewer's name)
    response = post(
        staff,
        f"/disclosures/{found.id}/edit",
        {
            "title": found.title,
            "body": "本月收支情况如下。慰问签收单已附。",
            "lang": "zh-Hans",
            "opening_balance": "10000.00",
            "closing_balance": "55119.50",
        },
    )
    assert response.status_code == 303
    assert post(staff, f"/disclosures/{found.id}/submit").status_code == 303

    # The supervisor approves; every comment stays in the history.
    response = post(supervisor, f"/disclosures/{found.id}/review", {"decision": "approve"})
    assert response.status_code == 303
    db.session.refresh(found)
    assert found.state == DisclosureState.APPROVED
    page = text_of(supervisor.get(work(found)))
    assert "Approved by the supervisory committee" in page
    assert "Returned by the supervisory committee" in page
    # Both submissions are in the history, not only the latest.
    assert page.count("Sent to the supervisory committee") == 2
    assert "慰问支出请附上签收单。" in page
    # Staff are offered the first signature: a new passphrase, typed twice.
    page = text_of(staff.get(work(found)))
    assert f'action="/disclosures/{found.id}/publish"' in page
    assert 'name="confirm"' in page
    assert "This is your first signature" in page
    # The manage page lists the version with its state.
    page = text_of(staff.get("/c/heping/disclosures/manage"))
    assert work(found) in page
    assert "Approved" in page


# ---------------------------------------------------------------- publish and countersign


@pytest.fixture
def renders(app: Flask) -> None:
    from consult.documents.toolkit import toolkit

    try:
        import consult.documents.statements  # noqa: F401
    except ImportError:
        pytest.skip("the disclosure PDF layout is not there yet")
    with app.test_request_context():
        if toolkit().render_disclosure is None:
            pytest.skip("the toolkit does not render disclosures yet")


def test_staff_publish_with_a_new_passphrase_and_a_supervisor_countersigns(
    app: Flask, world: World, people: dict[str, Actor], renders: None
) -> None:
    found = approved(people, world)
    staff = client_as(app, world, "staff")
    # The two passphrases must agree, and be long enough: nothing is signed otherwise.
    response = post(
        staff,
        f"/disclosures/{found.id}/publish",
        {"role": "staff", "passphrase": STAFF_PASS, "confirm": STAFF_PASS + "x"},
    )
    assert response.status_code == 422
    assert "The two passphrases are not the same." in text_of(response)
    response = post(
        staff,
        f"/disclosures/{found.id}/publish",
        {"role": "staff", "passphrase": "short", "confirm": "short"},
    )
    assert response.status_code == 422
    db.session.refresh(found)
    assert found.state == DisclosureState.APPROVED

    response = post(
        staff,
        f"/disclosures/{found.id}/publish",
        {"role": "staff", "passphrase": STAFF_PASS, "confirm": STAFF_PASS},
    )
    assert response.status_code == 303
    db.session.refresh(found)
    assert found.state == DisclosureState.SIGNING

    supervisor = client_as(app, world, "supervisor")
    page = text_of(supervisor.get(work(found)))
    assert f'action="/disclosures/{found.id}/countersign"' in page
    assert "Signed by the staff" in page
    response = post(
        supervisor,
        f"/disclosures/{found.id}/countersign",
        {"role": "supervisor", "passphrase": SUPERVISOR_PASS, "confirm": SUPERVISOR_PASS},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Countersigned." in text_of(response)
    db.session.refresh(found)
    assert found.state == DisclosureState.PUBLISHED
    assert found.published_at is not None

    # The next time, the passphrase is asked once; a wrong one is refused and signs nothing.
    second = approved(people, world)
    page = text_of(staff.get(work(second)))
    assert 'name="confirm"' not in page
    assert 'name="passphrase"' in page
    response = post(
        staff,
        f"/disclosures/{second.id}/publish",
        {"role": "staff", "passphrase": "not the passphrase"},
        follow_redirects=True,
    )
    assert "The passphrase is not right." in text_of(response)
    db.session.refresh(second)
    assert second.state == DisclosureState.APPROVED


def test_staff_bring_a_certificate_for_the_staff_role_and_publish_with_it(
    app: Flask, world: World, people: dict[str, Actor], renders: None
) -> None:
    page = "/c/heping/certificates"
    supervisor = client_as(app, world, "supervisor")
    assert 'value="staff"' not in text_of(supervisor.get(page))
    staff = client_as(app, world, "staff")
    listing = text_of(staff.get(page))
    assert '<option value="staff">Committee staff</option>' in listing
    foreign = pki.make_community_ca("别处的证书机构", "elsewhere", now=clock.now())
    identity = pki.issue_signer_certificate(
        foreign,
        person_name="staff",  # the name staff recorded for this account
        role="staff",
        community_name="别处",
        user_id=999,
        now=clock.now(),
    )
    passphrase = "别处的口令 12345"
    p12 = pki.pack_pkcs12(identity, passphrase)

    def bring(client: FlaskClient) -> str:
        response = upload(
            client,
            f"{page}/upload",
            "file",
            p12,
            "mine.p12",
            role="staff",
            passphrase=passphrase,
        )
        return text_of(client.get(response.headers["Location"]))

    # The role is not the supervisor's to choose.
    assert "Choose the role, the file and its passphrase." in bring(supervisor)
    assert count(SignerCertificate) == 0
    shown = bring(staff)
    assert "The certificate is registered" in shown
    row = db.session.execute(select(SignerCertificate)).scalar_one()
    assert (row.role, row.is_external) == ("staff", True)

    found = approved(people, world)
    work_page = text_of(staff.get(work(found)))
    assert 'name="confirm"' not in work_page  # a certificate is in force: no new passphrase
    response = post(
        staff,
        f"/disclosures/{found.id}/publish",
        {"role": "staff", "passphrase": passphrase},
    )
    assert response.status_code == 303
    db.session.refresh(found)
    assert found.state == DisclosureState.SIGNING
    signature = db.session.execute(
        select(DisclosureSignature).where(DisclosureSignature.disclosure_id == found.id)
    ).scalar_one()
    assert signature.certificate_id == row.id
    assert count(SignerCertificate) == 1  # none issued by the community's CA


# ---------------------------------------------------------------- corrections and queries


def test_a_correction_is_a_new_version_and_the_old_stays_disclosed(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    found = published(people, world)
    staff = client_as(app, world, "staff")
    response = post(staff, f"/disclosures/{found.id}/correction", {"reason": ""})
    assert response.status_code == 422
    assert "Please fill this in." in text_of(response)
    response = post(staff, f"/disclosures/{found.id}/correction", {"reason": "记-002金额有误"})
    assert response.status_code == 303
    correction = db.session.execute(
        select(Disclosure).where(Disclosure.previous_id == found.id)
    ).scalar_one()
    assert response.headers["Location"].endswith(work(correction))
    page = text_of(staff.get(work(correction)))
    assert "Correction of version 1:" in page
    assert "记-002金额有误" in page
    assert count(LedgerEntry, LedgerEntry.disclosure_id == correction.id) == 3
    db.session.refresh(found)
    assert found.state == DisclosureState.PUBLISHED
    page = text_of(staff.get(work(found)))
    assert "Version 2 corrects this one" in page


def test_queries_are_answered_by_staff_and_escalated_by_the_supervisory_committee(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    found = published(people, world)
    asked = queries.file_query(people["resident"], found, "慰问支出为什么没有明细？")
    db.session.commit()
    staff = client_as(app, world, "staff")
    page = text_of(staff.get("/c/heping/disclosures/manage"))
    assert f"{work(found)}#query-{asked.id}" in page
    assert "Answer due in 10 days" in page

    # Ten days on, the answer is overdue: flagged on the manage page.
    clock.freeze(datetime(2026, 11, 15, 2, 0, tzinfo=UTC))
    page = text_of(staff.get("/c/heping/disclosures/manage"))
    assert "Answer overdue by 2 days" in page
    assert 'class="no"' in page

    supervisor = client_as(app, world, "supervisor")
    assert (
        post(supervisor, f"/disclosure-queries/{asked.id}/answer", {"answer": "x"}).status_code
        == 403
    )
    response = post(supervisor, f"/disclosure-queries/{asked.id}/escalate", {"note": ""})
    assert response.status_code == 422
    response = post(
        supervisor, f"/disclosure-queries/{asked.id}/escalate", {"note": "逾期未答复，监委会跟进。"}
    )
    assert response.status_code == 303

    response = post(staff, f"/disclosure-queries/{asked.id}/answer", {"answer": "  "})
    assert response.status_code == 422
    assert "Please fill this in." in text_of(response)
    chair = client_as(app, world, "chair")
    response = post(
        chair,
        f"/disclosure-queries/{asked.id}/answer",
        {"answer": "明细见附件凭证记-003。"},
        follow_redirects=True,
    )
    page = text_of(response)
    assert "The answer is published with the query." in page
    assert "明细见附件凭证记-003。" in page
    assert "逾期未答复，监委会跟进。" in page
    assert "Answered 2 days late" in page
    db.session.refresh(asked)
    assert asked.answer == "明细见附件凭证记-003。"
    assert asked.escalation_note == "逾期未答复，监委会跟进。"


def test_a_query_left_on_a_replaced_version_is_answered_on_the_correction(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    found = published(people, world)
    asked = queries.file_query(people["resident"], found, "慰问支出为什么没有明细？")
    correction = disclosures.start_correction(people["staff"], found, "补充明细")
    disclosures.submit_disclosure(people["staff"], correction)
    disclosures.review_disclosure(people["supervisor"], correction, "approve")
    # What the countersignature does (consult.documents.statements): publish, carry the query.
    disclosures.publish_version(correction)
    queries.carry_open_queries(people["staff"], found, correction)
    db.session.commit()
    carried = queries.carried_to(asked)
    assert carried is not None
    staff = client_as(app, world, "staff")
    page = text_of(staff.get(work(found)))
    assert f"{work(correction)}#query-{carried.id}" in page
    assert f'action="/disclosure-queries/{asked.id}/answer"' not in page
    page = text_of(staff.get(work(correction)))
    assert f'action="/disclosure-queries/{carried.id}/answer"' in page
    assert "carried here to be answered" in page


# ---------------------------------------------------------------- the ledger by hand, vouchers


def test_lines_by_hand_are_checked_and_struck_out_lines_stay(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    found = draft(people, world)
    staff = client_as(app, world, "staff")
    bad = {
        "entry_date": "2026-10-12",
        "voucher": "记-010",
        "summary": "购买办公用品",
        "category": "办公费",
        "direction": "expense",
        "amount": "356.8.0",
        "counterparty": "某某文具店",
    }
    response = post(staff, f"/disclosures/{found.id}/entries", bad)
    assert response.status_code == 422
    page = text_of(response)
    assert "with at most two decimals" in page
    assert 'value="购买办公用品"' in page
    assert 'value="某某文具店"' in page
    response = post(
        staff,
        f"/disclosures/{found.id}/entries",
        {**bad, "entry_date": "2026-11-02", "amount": "356.80"},
    )
    assert response.status_code == 422
    assert "outside this disclosure" in text_of(response)
    assert count(LedgerEntry) == 0

    response = post(staff, f"/disclosures/{found.id}/entries", {**bad, "amount": "356.80"})
    assert response.status_code == 303
    entry = db.session.execute(select(LedgerEntry)).scalar_one()
    assert (entry.amount_fen, entry.source, entry.direction) == (35680, "hand", "expense")

    response = post(staff, f"/ledger-entries/{entry.id}/void", {"void_reason": ""})
    assert response.status_code == 422
    response = post(
        staff,
        f"/ledger-entries/{entry.id}/void",
        {"void_reason": "重复录入"},
        follow_redirects=True,
    )
    page = text_of(response)
    assert "<del>购买办公用品</del>" in page
    assert "Struck out: 重复录入" in page
    db.session.refresh(entry)
    assert entry.voided_at is not None
    assert entry.void_reason == "重复录入"


def test_vouchers_are_uploaded_and_downloaded_as_attachments(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    found = draft(people, world)
    staff = client_as(app, world, "staff")
    response = upload(
        staff,
        f"/disclosures/{found.id}/vouchers",
        "scan",
        b"<html>not a scan</html>",
        "x.html",
        voucher_number="记-001",
    )
    assert response.status_code == 422
    assert "A voucher scan is a PDF, PNG or JPEG file." in text_of(response)
    response = upload(
        staff,
        f"/disclosures/{found.id}/vouchers",
        "scan",
        PNG,
        "签收单.png",
        voucher_number="记-001",
    )
    assert response.status_code == 303
    (scan,) = ledger.vouchers_of(found)
    page = text_of(staff.get(work(found)))
    href = f"/disclosures/{found.id}/vouchers/{scan.id}"
    assert href in page
    supervisor = client_as(app, world, "supervisor")
    response = supervisor.get(href)
    assert response.status_code == 200
    assert response.get_data() == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    other = draft(people, world, category="decisions", period="2026-Q3", title="三季度决定")
    assert supervisor.get(f"/disclosures/{other.id}/vouchers/{scan.id}").status_code == 404


# ---------------------------------------------------------------- form errors


def test_the_new_form_shows_errors_beside_the_fields_and_keeps_the_input(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    staff = client_as(app, world, "staff")
    response = post(
        staff,
        "/c/heping/disclosures/new",
        {"category": "finance", "period": "2026-13", "title": "", "body": "正文保留", "lang": "en"},
    )
    assert response.status_code == 422
    page = text_of(response)
    assert re.search(r'id="period-error">Write a month like 2026-10', page)
    assert re.search(r'id="title-error">Please fill this in\.', page)
    assert "正文保留</textarea>" in page
    assert 'value="2026-13"' in page
    # A quarter for finance, which this community discloses monthly.
    response = post(
        staff,
        "/c/heping/disclosures/new",
        {"category": "finance", "period": "2026-Q3", "title": "三季度财务", "lang": "zh-Hans"},
    )
    assert response.status_code == 422
    assert "schedule discloses this category for another kind of period" in text_of(response)
    assert count(Disclosure) == 0


def test_the_new_form_names_the_categories_in_chinese(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    web = app.test_client()
    login(web, world.users["staff"].email)
    page = text_of(web.get("/c/heping/disclosures/new?category=finance&period=2026-10"))
    assert '<option selected value="finance">财务收支</option>' in page
    assert "政府资金和社会捐赠" in page
    assert 'value="2026年10月财务收支公开"' in page  # the suggested title


def test_balances_are_yuan_text_read_into_fen(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    found = draft(people, world)
    staff = client_as(app, world, "staff")
    data = {"title": found.title, "body": "改过的正文", "lang": "zh-Hans"}
    response = post(
        staff,
        f"/disclosures/{found.id}/edit",
        {**data, "opening_balance": "12,345", "closing_balance": "1.234"},
    )
    assert response.status_code == 422
    page = text_of(response)
    assert page.count("Write yuan with digits and at most two decimals") == 2
    assert 'value="12,345"' in page
    assert "改过的正文</textarea>" in page
    response = post(staff, f"/disclosures/{found.id}/edit", {**data, "opening_balance": "100"})
    assert response.status_code == 422
    assert "Give the opening and the closing balance together." in text_of(response)
    # A fund in debt: a leading minus; zero is a balance too.
    response = post(
        staff,
        f"/disclosures/{found.id}/edit",
        {**data, "opening_balance": "-800.5", "closing_balance": "0"},
    )
    assert response.status_code == 303
    db.session.refresh(found)
    assert (found.opening_balance_fen, found.closing_balance_fen) == (-80050, 0)
    assert found.body == "改过的正文"


def test_emptying_both_balances_removes_them(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    found = draft(people, world)
    disclosures.update_disclosure(
        people["staff"], found, opening_balance_fen=OPENING, closing_balance_fen=CLOSING
    )
    db.session.commit()
    staff = client_as(app, world, "staff")
    page = text_of(staff.get(work(found)))
    assert 'value="10000.00"' in page
    assert "To remove the balances, empty both fields and save." in page
    data = {"title": found.title, "body": found.body, "lang": "zh-Hans"}
    response = post(
        staff,
        f"/disclosures/{found.id}/edit",
        {**data, "opening_balance": "10000.00", "closing_balance": ""},
    )
    assert response.status_code == 422  # one left: both or neither, as before
    db.session.refresh(found)
    assert found.opening_balance_fen == OPENING
    response = post(
        staff,
        f"/disclosures/{found.id}/edit",
        {**data, "opening_balance": "", "closing_balance": ""},
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "Saved." in page
    assert "The balances are missing." in page
    assert "To remove the balances" not in page
    db.session.refresh(found)
    assert (found.opening_balance_fen, found.closing_balance_fen) == (None, None)
    # Once sent for review, nothing is removed.
    disclosures.update_disclosure(
        people["staff"], found, opening_balance_fen=OPENING, closing_balance_fen=CLOSING
    )
    ledger.import_ledger(people["staff"], found, LEDGER.encode())
    disclosures.submit_disclosure(people["staff"], found)
    db.session.commit()
    response = post(
        staff,
        f"/disclosures/{found.id}/edit",
        {**data, "opening_balance": "", "closing_balance": ""},
    )
    assert response.status_code == 303
    db.session.refresh(found)
    assert (found.opening_balance_fen, found.closing_balance_fen) == (OPENING, CLOSING)


def test_a_return_needs_a_comment(app: Flask, world: World, people: dict[str, Actor]) -> None:
    found = draft(people, world, category="decisions", period="2026-Q3", title="三季度决定")
    disclosures.submit_disclosure(people["staff"], found)
    db.session.commit()
    supervisor = client_as(app, world, "supervisor")
    response = post(supervisor, f"/disclosures/{found.id}/review", {"decision": "return"})
    assert response.status_code == 422
    assert "Say why it is returned" in text_of(response)
    db.session.refresh(found)
    assert found.state == DisclosureState.SUBMITTED


# ---------------------------------------------------------------- the dashboard and the policy


def test_the_dashboard_flags_overdue_disclosures_with_their_rule(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    clock.freeze(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    staff = client_as(app, world, "staff")
    page = text_of(staff.get("/c/heping/disclosures/manage"))
    # October's finance was due on 10 November (DSP-03: ten days; DSP-02: monthly, by policy).
    assert "Overdue by 10 days" in page
    assert "DSP-02" in page
    assert "DSP-03" in page
    assert "policy, not law" in page
    assert "/c/heping/disclosures/new?category=finance&amp;period=2026-10" in page


def test_the_policy_is_read_by_supervisors_and_set_by_staff(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    supervisor = client_as(app, world, "supervisor")
    page = text_of(supervisor.get("/c/heping/disclosures/policy"))
    assert "At least 15 days" in page
    assert "URC25-33" in page
    assert "DSP-03" in page
    assert "DSP-05" in page
    assert "policy, not law" in page
    assert 'action="/c/heping/disclosures/policy"' not in page
    assert post(supervisor, "/c/heping/disclosures/policy", {"grace_days": "5"}).status_code == 403

    staff = client_as(app, world, "staff")
    values = {
        "grace_days": "99",
        "at_once_days": "5",
        "answer_days": "7",
        "urban_general": "quarterly",
        "urban_finance": "monthly",
    }
    response = post(staff, "/c/heping/disclosures/policy", values)
    assert response.status_code == 422
    assert "From 0 to 27 days." in text_of(response)
    response = post(staff, "/c/heping/disclosures/policy", {**values, "grace_days": "12"})
    assert response.status_code == 303
    row = db.session.execute(select(DisclosurePolicyRow)).scalar_one()
    assert (row.grace_days, row.answer_days) == (12, 7)

    web = app.test_client()
    login(web, world.users["staff"].email)
    page = text_of(web.get("/c/heping/disclosures/policy"))
    assert "平台默认设置，非法定" in page


# ---------------------------------------------------------------- who may do what


def test_anonymous_readers_are_sent_to_sign_in(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    found = draft(people, world)
    web = app.test_client()
    for url in ("/c/heping/disclosures/manage", work(found), "/c/heping/disclosures/policy"):
        response = web.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        ("resident", "GET", "/c/heping/disclosures/manage", 403),
        ("resident", "GET", "{work}", 403),
        ("resident", "GET", "/c/heping/disclosures/new", 403),
        ("representative", "GET", "{work}", 403),
        ("other_staff", "GET", "{work}", 403),
        ("other_staff", "GET", "/c/heping/disclosures/manage", 403),
        ("other_staff", "POST", "/disclosures/{id}/edit", 403),
        ("supervisor", "GET", "/c/heping/disclosures/new", 403),
        ("supervisor", "POST", "/disclosures/{id}/edit", 403),
        ("supervisor", "POST", "/disclosures/{id}/ledger", 403),
        ("supervisor", "POST", "/disclosures/{id}/entries", 403),
        ("supervisor", "POST", "/disclosures/{id}/vouchers", 403),
        ("supervisor", "POST", "/disclosures/{id}/submit", 403),
        ("supervisor", "POST", "/disclosures/{id}/publish", 403),
        ("supervisor", "POST", "/disclosures/{id}/correction", 403),
        ("staff", "POST", "/disclosures/{id}/review", 403),
        ("staff", "POST", "/disclosures/{id}/countersign", 403),
        ("resident", "POST", "/disclosures/{id}/submit", 403),
        ("anonymous", "POST", "/disclosures/{id}/submit", 302),
    ],
)
def test_who_may_not(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    role: str,
    method: str,
    path: str,
    status: int,
) -> None:
    found = draft(people, world)
    url = path.format(id=found.id, work=work(found))
    web = client_as(app, world, role)
    response = web.get(url) if method == "GET" else post(web, url, {"title": "x"})
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/login")
    db.session.refresh(found)
    assert found.state == DisclosureState.DRAFT
    assert found.title != "x"


def test_a_supervisor_cannot_void_a_line_nor_answer(
    app: Flask, world: World, people: dict[str, Actor]
) -> None:
    found = draft(people, world)
    entry_count = ledger.import_ledger(people["staff"], found, LEDGER.encode())
    db.session.commit()
    assert entry_count == 3
    entry = ledger.entries_of(found)[0]
    supervisor = client_as(app, world, "supervisor")
    response = post(supervisor, f"/ledger-entries/{entry.id}/void", {"void_reason": "x"})
    assert response.status_code == 403
    other = client_as(app, world, "other_staff")
    response = post(other, f"/ledger-entries/{entry.id}/void", {"void_reason": "x"})
    assert response.status_code == 403
    db.session.refresh(entry)
    assert entry.voided_at is None
