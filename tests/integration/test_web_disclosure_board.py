"""The public disclosure board (公开栏, issue 6) through the test client, on SQLite and PostgreSQL:
what is on the board for 15 days and then in the archive (never removed), superseded versions
marked, drafts never shown, the filters, a disclosure's page, the open data (CSV, JSON, the
signed PDF), the Atom feed, the kiosk's screens, the due/overdue dashboard, and residents'
queries (a verified resident of the community files; the name is never shown). The board's and
the dashboard's content is cached (consult/disclosure/board_cache.py): the last section shows it
is never stale — a publication, a supersession, a new day, an answer, a policy or a language.

Most disclosures here are put on the board with `service.publish_version`, the step the
countersignature ends with, so the listing tests do not render and sign a PDF each; the PDF
test goes through the real pipeline (staff sign, a supervisor countersigns).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table

from consult import clock
from consult.actor import Actor
from consult.disclosure import board_cache, ledger, queries
from consult.disclosure import service as disclosures
from consult.disclosure.models import Disclosure, DisclosureQuery, DisclosureState
from consult.extensions import db
from consult.registry.enrolment import actor_for
from tests.conftest import World, csrf_token, login

pytestmark = pytest.mark.integration

ATOM = "{http://www.w3.org/2005/Atom}"
HEADER = "date,voucher,summary,category,direction,amount,counterparty\n"
LEDGER = (
    HEADER
    + "2026-10-03,记-001,收到街道办拨付社区服务经费,政府拨款,income,50000.00,和平街道办事处\n"
    + "2026-10-09,记-002,楼道照明维修,维修,expense,1280.50,平安电器维修部\n"
    + "2026-10-21,记-003,重阳节慰问老人,慰问,expense,3600,\n"
)
OPENING, CLOSING = 1_000_000, 5_511_950  # 10,000.00 + 50,000.00 − 1,280.50 − 3,600.00
PUBLISHED_AT = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)  # 10:00 on 5 November in Beijing


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.fixture
def people(world: World) -> dict[str, Actor]:
    community = world.community
    return {
        "staff": actor_for(world.users["staff"], community.id),
        "supervisor": actor_for(world.users["supervisor"], community.id),
    }


@pytest.fixture
def at_publication() -> Iterator[None]:
    clock.freeze(PUBLISHED_AT)
    yield
    clock.reset()


def _draft(
    people: dict[str, Actor],
    world: World,
    *,
    category: str = "finance",
    period: str = "2026-10",
    title: str = "和平里社区2026年10月财务收支公开",
    body: str = "本月收支情况如下，欢迎居民监督。",
) -> Disclosure:
    found = disclosures.create_disclosure(
        people["staff"], world.community, category=category, period=period, title=title, body=body
    )
    if category == "finance":
        ledger.import_ledger(people["staff"], found, LEDGER.encode())
        disclosures.update_disclosure(
            people["staff"], found, opening_balance_fen=OPENING, closing_balance_fen=CLOSING
        )
    return found


def _approve(people: dict[str, Actor], found: Disclosure) -> Disclosure:
    disclosures.submit_disclosure(people["staff"], found)
    disclosures.review_disclosure(people["supervisor"], found, "approve")
    return found


def _on_board(people: dict[str, Actor], found: Disclosure) -> Disclosure:
    """Approved, then published as the countersignature publishes it (no PDF: listing tests)."""
    _approve(people, found)
    disclosures.publish_version(found)
    db.session.commit()
    return found


def _published(people: dict[str, Actor], world: World, **kwargs: Any) -> Disclosure:
    return _on_board(people, _draft(people, world, **kwargs))


def _correct(people: dict[str, Actor], found: Disclosure, reason: str) -> Disclosure:
    correction = disclosures.start_correction(people["staff"], found, reason)
    return _on_board(people, correction)


def _titles(html: str) -> list[str]:
    return re.findall(r'class="dcard-title"><a href="[^"]+">([^<]+)</a>', html)


# ---------------------------------------------------------------- the board and the archive


def test_board_shows_a_disclosure_for_fifteen_days_then_the_archive_keeps_it(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    found = _published(people, world)
    page = text_of(client.get("/c/heping/disclosures"))
    assert _titles(page) == [found.title]
    assert "财务收支" in page
    assert "2026年10月" in page
    assert "2026年11月5日" in page
    assert "2026年11月20日" in page
    assert f'href="/disclosures/{found.id}"' in page
    # The last day on the board is 20 November in Beijing (SEM-3: the day of publication is
    # not counted); from the 21st it is in the archive only.
    clock.freeze(datetime(2026, 11, 20, 15, 59, tzinfo=UTC))
    assert _titles(text_of(client.get("/c/heping/disclosures"))) == [found.title]
    clock.freeze(datetime(2026, 11, 20, 16, 0, tzinfo=UTC))
    page = text_of(client.get("/c/heping/disclosures"))
    assert _titles(page) == []
    assert "/c/heping/disclosures/archive" in page
    archive = text_of(client.get("/c/heping/disclosures/archive"))
    assert _titles(archive) == [found.title]
    # Its page stays, years later.
    clock.freeze(datetime(2029, 1, 1, tzinfo=UTC))
    assert client.get(f"/disclosures/{found.id}").status_code == 200
    assert _titles(text_of(client.get("/c/heping/disclosures/archive"))) == [found.title]


def test_drafts_and_versions_under_review_are_never_shown(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    draft = _draft(people, world, title="草稿不公开")
    approved = _approve(
        people, _draft(people, world, category="decisions", period="2026-09", title="已审核未签署")
    )
    db.session.commit()
    for url in ("/c/heping/disclosures", "/c/heping/disclosures/archive"):
        page = text_of(client.get(url))
        assert "草稿不公开" not in page
        assert "已审核未签署" not in page
    feed = text_of(client.get("/c/heping/disclosures/feed.atom"))
    assert "草稿不公开" not in feed
    for found in (draft, approved):
        for url in (
            f"/disclosures/{found.id}",
            f"/disclosures/{found.id}.pdf",
            f"/disclosures/{found.id}/ledger.csv",
            f"/disclosures/{found.id}/ledger.json",
        ):
            assert client.get(url).status_code == 404, url
    # A resident does not see it either; the committee does, marked as not public.
    login(client, world.users["resident"].email)
    assert client.get(f"/disclosures/{draft.id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(text_of(client.get("/")))})
    login(client, world.users["staff"].email)
    page = text_of(client.get(f"/disclosures/{draft.id}"))
    assert "This version is not public" in page or "不公开" in page or "not public" in page


def test_a_correction_replaces_the_old_version_on_the_board_and_both_stay(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    old = _published(people, world)
    clock.freeze(datetime(2026, 11, 7, 2, 0, tzinfo=UTC))
    new = _correct(people, old, "记-002金额录入有误")
    board = text_of(client.get("/c/heping/disclosures"))
    assert board.count(f'href="/disclosures/{new.id}"') >= 1
    assert f'<a href="/disclosures/{old.id}">' in board  # the correction points at the old one
    assert board.count('class="card dcard') == 1
    assert "dcard-correction" in board
    archive = text_of(client.get("/c/heping/disclosures/archive"))
    assert archive.count('class="card dcard') == 2
    assert "dcard-superseded" in archive
    old_page = text_of(client.get(f"/disclosures/{old.id}"))
    assert "dbanner-superseded" in old_page
    assert f'href="/disclosures/{new.id}"' in old_page
    new_page = text_of(client.get(f"/disclosures/{new.id}"))
    assert "记-002金额录入有误" in new_page
    assert f'href="/disclosures/{old.id}"' in new_page  # every version is linked


def test_the_board_filters_by_category_and_period(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    finance = _published(people, world)
    decisions = _published(
        people, world, category="decisions", period="2026-Q3", title="第三季度居民会议决定事项"
    )
    assert set(_titles(text_of(client.get("/c/heping/disclosures")))) == {
        finance.title,
        decisions.title,
    }
    page = text_of(client.get("/c/heping/disclosures?category=finance"))
    assert _titles(page) == [finance.title]
    page = text_of(client.get("/c/heping/disclosures?period=2026-Q3"))
    assert _titles(page) == [decisions.title]
    assert '<option selected value="2026-Q3">' in page or 'value="2026-Q3" selected' in page
    page = text_of(client.get("/c/heping/disclosures/archive?category=decisions&period=2026-q3"))
    assert _titles(page) == [decisions.title]
    page = text_of(client.get("/c/heping/disclosures?category=finance&period=2026-Q3"))
    assert _titles(page) == []
    # A filter that means nothing is dropped, and the form says so.
    response = client.get("/c/heping/disclosures?category=gossip&period=2026-13")
    assert response.status_code == 200
    assert len(_titles(text_of(response))) == 2
    assert 'class="error"' in text_of(response)


def test_the_archive_is_paginated(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    from consult.disclosure import board_views

    for month in range(1, 4):
        _published(
            people, world, category="decisions", period=f"2026-{month:02d}", title=f"决定{month}"
        )
    original = board_views.ARCHIVE_PAGE
    board_views.ARCHIVE_PAGE = 2
    try:
        first = text_of(client.get("/c/heping/disclosures/archive"))
        assert len(_titles(first)) == 2
        assert 'rel="next"' in first
        assert 'rel="prev"' not in first
        second = text_of(client.get("/c/heping/disclosures/archive?page=2"))
        assert len(_titles(second)) == 1
        assert 'rel="prev"' in second
        assert 'rel="next"' not in second
    finally:
        board_views.ARCHIVE_PAGE = original


def test_user_text_is_escaped_in_the_pages_and_the_feed(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    evil = '<script>alert("x")</script> &\x0b ]]>'
    found = _published(
        people,
        world,
        category="decisions",
        title=evil,
        body="<img src=x onerror=alert(1)> **粗体** <script>alert(2)</script>",
    )
    for url in ("/c/heping/disclosures", f"/disclosures/{found.id}", "/c/heping/disclosures/kiosk"):
        page = text_of(client.get(url))
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert" in page, url
        assert "<img" not in page, url
    detail = text_of(client.get(f"/disclosures/{found.id}"))
    assert "<strong>粗体</strong>" in detail
    response = client.get("/c/heping/disclosures/feed.atom")
    feed = ET.fromstring(response.get_data())  # noqa: S314 - our own output
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == '<script>alert("x")</script> & ]]>'
    assert b"<script>" not in response.get_data()


# ---------------------------------------------------------------- one disclosure


def test_a_finance_disclosure_shows_its_statement_ledger_and_links(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    found = _published(people, world)
    page = text_of(client.get(f"/disclosures/{found.id}"))
    for figure in ("10,000.00", "50,000.00", "4,880.50", "55,119.50"):
        assert figure in page
    assert "楼道照明维修" in page
    assert "记-002" in page
    assert "1,280.50" in page
    assert 'class="table-wrap"' in page
    assert 'class="dledger"' in page
    assert f"/disclosures/{found.id}/ledger.csv" in page
    assert f"/disclosures/{found.id}/ledger.json" in page
    assert found.document_id in page
    assert "本月收支情况如下" in page


def test_the_ledger_as_open_data(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    found = _published(people, world)
    response = client.get(f"/disclosures/{found.id}/ledger.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"disclosure-{found.id}-v1-2026-10-ledger.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["voucher"] for r in rows] == ["记-001", "记-002", "记-003"]
    assert rows[1]["amount"] == "1280.50"
    response = client.get(f"/disclosures/{found.id}/ledger.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert ".json" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data())
    assert data["opening_balance_fen"] == OPENING
    assert data["closing_balance_fen"] == CLOSING
    assert data["income_fen"] == 5_000_000
    assert data["expense_fen"] == 488_050
    assert data["reconciles"] is True
    assert len(data["entries"]) == 3
    # A disclosure without a ledger has none to download.
    text = _published(people, world, category="decisions", period="2026-Q3", title="决定")
    assert client.get(f"/disclosures/{text.id}/ledger.csv").status_code == 404
    assert client.get(f"/disclosures/{text.id}/ledger.json").status_code == 404


# ---------------------------------------------------------------- the feed and the kiosk


def test_the_atom_feed_lists_what_was_published(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    old = _published(people, world)
    clock.freeze(datetime(2026, 11, 7, 2, 0, tzinfo=UTC))
    new = _correct(people, old, "更正")
    _draft(people, world, category="decisions", period="2026-09", title="草稿")
    db.session.commit()
    response = client.get("/c/heping/disclosures/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.get_data())  # noqa: S314 - our own output
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "http://localhost/c/heping/disclosures/feed.atom"
    assert feed.findtext(f"{ATOM}updated") == "2026-11-07T02:00:00Z"
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"http://localhost/disclosures/{new.id}",
        f"http://localhost/disclosures/{old.id}",
    ]
    first = entries[0]
    assert first.findtext(f"{ATOM}updated") == "2026-11-07T02:00:00Z"
    assert first.findtext(f"{ATOM}title") == new.title
    links = {link.get("rel"): link.get("href") for link in first.findall(f"{ATOM}link")}
    assert links["alternate"] == f"http://localhost/disclosures/{new.id}"
    assert links["enclosure"] == f"http://localhost/disclosures/{new.id}.pdf"
    assert "财务收支" in (first.findtext(f"{ATOM}summary") or "")


def _refresh(html: str) -> tuple[int, str]:
    match = re.search(r'<meta http-equiv="refresh" content="(\d+); url=([^"]+)">', html)
    assert match, "no refresh"
    return int(match.group(1)), match.group(2).replace("&amp;", "&")


def test_the_kiosk_shows_one_disclosure_a_screen_and_loops(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    finance = _published(people, world)
    clock.freeze(datetime(2026, 11, 6, 2, 0, tzinfo=UTC))
    decisions = _published(
        people,
        world,
        category="decisions",
        period="2026-Q3",
        title="第三季度决定事项",
        body="居民会议决定：**加装电梯**。" + "详细说明。" * 200,
    )
    first = text_of(client.get("/c/heping/disclosures/kiosk"))
    assert "<nav" not in first
    assert 'class="site"' not in first
    assert "<script" not in first
    assert decisions.title in first
    assert finance.title not in first
    assert "加装电梯" in first
    assert "…" in first
    seconds, target = _refresh(first)
    assert seconds == 20
    assert target == "/c/heping/disclosures/kiosk?i=1&seconds=20"
    second = text_of(client.get(target))
    assert finance.title in second
    assert decisions.title not in second
    assert "55,119.50" in second  # key figures of a statement
    assert _refresh(second)[1] == "/c/heping/disclosures/kiosk?i=0&seconds=20"  # loops
    assert _refresh(text_of(client.get("/c/heping/disclosures/kiosk?seconds=2")))[0] == 5
    assert _refresh(text_of(client.get("/c/heping/disclosures/kiosk?seconds=999")))[0] == 120
    assert _refresh(text_of(client.get("/c/heping/disclosures/kiosk?seconds=x")))[0] == 20
    assert _refresh(text_of(client.get("/c/heping/disclosures/kiosk?i=7&seconds=30"))) == (
        30,
        "/c/heping/disclosures/kiosk?i=0&seconds=30",
    )
    # Nothing on the board: the screen says so, and keeps looking.
    clock.freeze(datetime(2026, 12, 31, tzinfo=UTC))
    empty = text_of(client.get("/c/heping/disclosures/kiosk"))
    assert _refresh(empty)[1] == "/c/heping/disclosures/kiosk?i=0&seconds=20"


# ---------------------------------------------------------------- the due/overdue dashboard


def test_the_due_page_shows_what_is_overdue_and_late_answers_without_names(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    world.community.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    found = _published(people, world, category="decisions", period="2026-Q3", title="决定")
    resident = actor_for(world.users["resident"], world.community.id)
    queries.file_query(resident, found, "会议决定何时落实？")
    db.session.commit()
    clock.freeze(datetime(2026, 11, 17, 2, 0, tzinfo=UTC))
    client.get("/prefs?lang=en")
    page = text_of(client.get("/c/heping/disclosures/due"))
    # October's finance was due 10 November (DSP-03, policy): 7 days overdue on the 17th.
    assert "Overdue" in page
    assert "7 days overdue" in page
    assert "DSP-03" in page
    assert "policy, not law" in page
    assert "finance (income and expenditure)" in page
    # The query filed on the 5th was due on the 15th: 2 days overdue, no name.
    assert "1 question or objection has not been answered in time." in page
    assert "2 days overdue" in page
    assert world.residents["resident"].name not in page
    assert world.users["resident"].email not in page
    assert "会议决定何时落实" not in page


# ---------------------------------------------------------------- queries and objections


def _ask(client: FlaskClient, found: Disclosure, **data: str) -> Any:
    token = csrf_token(text_of(client.get(f"/disclosures/{found.id}")))
    return client.post(f"/disclosures/{found.id}/queries", data={"csrf_token": token, **data})


def test_a_verified_resident_files_a_query_shown_publicly_without_the_name(
    app: Flask, client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    found = _published(people, world)
    anonymous_page = text_of(client.get(f"/disclosures/{found.id}"))
    assert "/login?next=" in anonymous_page
    assert 'name="text"' not in anonymous_page
    login(client, world.users["resident"].email)
    assert 'name="text"' in text_of(client.get(f"/disclosures/{found.id}"))
    response = _ask(client, found, kind="objection", text="记-003慰问名单<b>能公开吗</b>？")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/disclosures/{found.id}#queries"
    page = text_of(client.get(response.headers["Location"]))
    assert page.index("您的异议已提交") > page.index('id="queries"')
    (filed,) = queries.queries_on(found)
    assert filed.kind == "objection"
    # Everyone sees the exchange, nobody sees who asked.
    public = app.test_client()
    page = text_of(public.get(f"/disclosures/{found.id}"))
    assert "记-003慰问名单&lt;b&gt;能公开吗&lt;/b&gt;？" in page
    assert world.residents["resident"].name not in page
    assert world.users["resident"].email not in page
    assert "2026年11月15日" in page  # answered within 10 days (DSP-05)
    # The answer, when overdue, is flagged; the supervisory committee's escalation is shown.
    clock.freeze(datetime(2026, 11, 17, 2, 0, tzinfo=UTC))
    page = text_of(public.get(f"/disclosures/{found.id}"))
    assert "dquery-overdue" in page
    queries.escalate_query(people["supervisor"], filed, "逾期未答复，监委会督办")
    queries.answer_query(people["staff"], filed, "名单已张贴，个人信息已隐去。")
    db.session.commit()
    page = text_of(public.get(f"/disclosures/{found.id}"))
    assert "逾期未答复，监委会督办" in page
    assert "名单已张贴，个人信息已隐去。" in page
    assert "dquery-late" in page


def test_an_empty_query_is_refused_and_the_form_kept(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    found = _published(people, world)
    login(client, world.users["resident"].email)
    response = _ask(client, found, kind="question-or-what", text="  ")
    assert response.status_code == 422
    assert 'class="error"' in text_of(response)
    assert queries.queries_on(found) == []


def test_queries_are_refused_to_others(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    found = _published(people, world)
    # Anonymous: sent to sign in (with a CSRF token from a page that has a form, as a
    # browser's would be: the board's own header has none for a reader without a session).
    token = csrf_token(text_of(client.get("/login")))
    response = client.post(
        f"/disclosures/{found.id}/queries",
        data={"csrf_token": token, "kind": "query", "text": "?"},
    )
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    # A resident of another community: forbidden.
    login(client, world.users["other_resident"].email)
    assert _ask(client, found, kind="query", text="?").status_code == 403
    assert 'name="text"' not in text_of(client.get(f"/disclosures/{found.id}"))
    assert queries.queries_on(found) == []


def test_no_query_on_a_draft_or_a_superseded_version(
    client: FlaskClient, world: World, people: dict[str, Actor], at_publication: None
) -> None:
    draft = _draft(people, world, category="decisions", period="2026-09", title="草稿")
    old = _published(people, world)
    _correct(people, old, "更正")
    login(client, world.users["resident"].email)
    token = csrf_token(text_of(client.get("/c/heping/disclosures")))
    response = client.post(
        f"/disclosures/{draft.id}/queries", data={"csrf_token": token, "text": "?"}
    )
    assert response.status_code == 404
    response = _ask(client, old, kind="query", text="旧版本？")
    assert response.status_code == 409
    assert queries.queries_on(old) == []
    assert 'action="/disclosures/' not in text_of(client.get(f"/disclosures/{old.id}"))


# ---------------------------------------------------------------- the signed PDF


@pytest.fixture
def tools(app: Flask) -> Iterator[Any]:
    statements = pytest.importorskip("consult.documents.statements")
    from consult.documents.toolkit import toolkit

    with app.test_request_context():
        found = replace(toolkit(), verification_url=lambda d: f"https://consult.test/verify?d={d}")
        if found.render_disclosure is None:
            pytest.skip("the toolkit does not render disclosures yet")
        yield found, statements


def test_the_signed_pdf_is_served_unchanged(
    client: FlaskClient, world: World, people: dict[str, Actor], tools: Any
) -> None:
    toolkit, statements = tools
    found = _approve(people, _draft(people, world))
    statements.publish_disclosure(people["staff"], found, "经办人的口令-2026", toolkit)
    # While it is being signed, the public has nothing.
    db.session.commit()
    assert client.get(f"/disclosures/{found.id}.pdf").status_code == 404
    statements.countersign_disclosure(
        people["supervisor"], found, "supervisor", "监督 passphrase 2026", toolkit
    )
    db.session.commit()
    assert found.disclosure_state is DisclosureState.PUBLISHED
    response = client.get(f"/disclosures/{found.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert f"disclosure-{found.id}-v1.pdf" in response.headers["Content-Disposition"]
    assert response.get_data() == statements.signatures_of(found)[-1].pdf
    page = text_of(client.get(f"/disclosures/{found.id}"))
    assert f'href="/disclosures/{found.id}.pdf"' in page
    assert "<svg" in page  # the chart, inline


# ---------------------------------------------------------------- the cached content


@pytest.fixture
def cache() -> Iterator[board_cache.FragmentCache]:
    board_cache.pages.clear()
    yield board_cache.pages
    board_cache.pages.clear()


def _not_again(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("read again: the cached content was not used")


def _table(model: Any) -> Table:
    """The model's table, to write to it as plain SQL (no ORM event)."""
    return cast(Table, model.__table__)


def _as_another_process(statement: Any) -> None:
    """A change written as another worker process writes it: the cache of this process hears
    nothing of it (no ORM event), only the database knows."""
    before = board_cache.generation()
    db.session.execute(statement)
    db.session.commit()
    assert board_cache.generation() == before


def test_the_board_content_is_cached_the_header_is_not(
    app: Flask,
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = _published(people, world)
    first = text_of(client.get("/c/heping/disclosures"))
    # The content, and the whole page for a visitor with no header of their own.
    assert (cache.misses, cache.hits, len(cache)) == (2, 0, 2)
    monkeypatch.setattr(disclosures, "board", _not_again)
    other = app.test_client()
    second = text_of(other.get("/c/heping/disclosures"))
    assert cache.hits == 1
    assert _titles(second) == [found.title]
    # The same page for both, with no CSRF token and no session cookie for either; the
    # language switch still works (a GET form).
    assert first == second
    assert 'name="csrf_token"' not in second
    response = other.get("/prefs?lang=en&next=/c/heping/disclosures")
    assert response.status_code in (302, 303)
    # Signed in: the cached content in the visitor's own header.
    login(client, world.users["resident"].email)
    page = text_of(client.get("/c/heping/disclosures"))
    assert _titles(page) == [found.title]
    assert world.users["resident"].email in page or "/logout" in page
    monkeypatch.undo()
    assert "<h1>Disclosure board: " in text_of(other.get("/c/heping/disclosures"))
    # Filters are part of the key; an unknown value is one key, whatever it is.
    assert _titles(text_of(client.get("/c/heping/disclosures?category=decisions"))) == []
    client.get("/c/heping/disclosures?category=gossip")
    entries = len(cache)
    client.get("/c/heping/disclosures?category=rumours")
    assert len(cache) == entries


def test_a_visitors_own_header_is_never_taken_from_the_cache(
    app: Flask,
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    _published(people, world)
    for url in ("/c/heping/disclosures", "/c/heping/disclosures/due"):
        plain = text_of(app.test_client().get(url))
        assert 'class="flash' not in plain
        assert '<body class="large-text' not in plain
        # A message waiting for the visitor is shown…
        visitor = app.test_client()
        with visitor.session_transaction() as saved:
            saved["_flashes"] = [("success", "已保存。")]
        page = text_of(visitor.get(url))
        assert '<p class="flash success" role="status">已保存。</p>' in page
        assert 'class="flash' not in text_of(visitor.get(url))  # …once
        # …and the visitor's text size.
        visitor.get("/prefs?large_text=1")
        assert '<body class="large-text' in text_of(visitor.get(url))
        assert '<body class="large-text' not in text_of(app.test_client().get(url))


def test_a_publication_is_on_the_cached_board_at_once(
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    first = _published(people, world)
    assert _titles(text_of(client.get("/c/heping/disclosures"))) == [first.title]
    # Published in this process…
    second = _published(
        people, world, category="decisions", period="2026-Q3", title="第三季度决定事项"
    )
    assert _titles(text_of(client.get("/c/heping/disclosures"))) == [second.title, first.title]
    # …or by another: the database's version of the board is in the key.
    third = _approve(
        people, _draft(people, world, category="facilities", period="2026-Q3", title="设施情况")
    )
    db.session.commit()
    assert len(_titles(text_of(client.get("/c/heping/disclosures")))) == 2
    hits = cache.hits
    assert len(_titles(text_of(client.get("/c/heping/disclosures")))) == 2
    assert cache.hits == hits + 1
    table = _table(Disclosure)
    now = clock.now() + timedelta(minutes=5)
    _as_another_process(
        table.update()
        .where(table.c.id == third.id)
        .values(state=DisclosureState.PUBLISHED.value, published_at=now, updated_at=now)
    )
    page = text_of(client.get("/c/heping/disclosures"))
    assert _titles(page) == [third.title, second.title, first.title]
    # The period drop-down has its period too (read with the content).
    assert 'value="2026-Q3"' in page


def test_a_supersession_changes_the_cached_board_and_archive(
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    old = _published(people, world)
    assert f'href="/disclosures/{old.id}"' in text_of(client.get("/c/heping/disclosures"))
    assert "dcard-correction" not in text_of(client.get("/c/heping/disclosures"))
    clock.freeze(datetime(2026, 11, 7, 2, 0, tzinfo=UTC))
    new = _correct(people, old, "记-002金额录入有误")
    board = text_of(client.get("/c/heping/disclosures"))
    assert board.count('class="card dcard') == 1
    assert f'<a href="/disclosures/{new.id}">' in board
    assert "dcard-correction" in board


def test_a_correction_published_by_another_process_supersedes_on_the_cached_board(
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    old = _published(people, world)
    correction = disclosures.start_correction(people["staff"], old, "更正")
    _approve(people, correction)
    db.session.commit()
    assert _titles(text_of(client.get("/c/heping/disclosures"))) == [old.title]
    table = _table(Disclosure)
    now = clock.now() + timedelta(hours=1)
    _as_another_process(
        table.update()
        .where(table.c.id == correction.id)
        .values(state=DisclosureState.PUBLISHED.value, published_at=now)
    )
    _as_another_process(
        table.update()
        .where(table.c.id == old.id)
        .values(state=DisclosureState.SUPERSEDED.value, superseded_at=now)
    )
    board = text_of(client.get("/c/heping/disclosures"))
    assert board.count('class="card dcard') == 1
    assert f'<a href="/disclosures/{correction.id}">' in board
    assert "dcard-correction" in board


def test_the_cached_board_follows_the_day_in_the_community(
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    found = _published(people, world)
    # 20 November is the last day on the board in Beijing (see the first test).
    clock.freeze(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    assert _titles(text_of(client.get("/c/heping/disclosures"))) == [found.title]
    clock.freeze(datetime(2026, 11, 20, 15, 59, tzinfo=UTC))
    hits = cache.hits
    assert _titles(text_of(client.get("/c/heping/disclosures"))) == [found.title]
    assert cache.hits == hits + 1  # the same day: the same content
    clock.freeze(datetime(2026, 11, 20, 16, 0, tzinfo=UTC))  # midnight in Beijing
    assert _titles(text_of(client.get("/c/heping/disclosures"))) == []


def test_the_cached_board_speaks_each_visitors_language(
    app: Flask,
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    _published(people, world)
    page = text_of(client.get("/c/heping/disclosures"))
    assert "<h1>公开栏：和平里社区</h1>" in page
    assert "2026年11月20日" in page
    client.get("/prefs?lang=en")
    page = text_of(client.get("/c/heping/disclosures"))
    assert "<h1>Disclosure board: 和平里社区</h1>" in page
    assert "On the board until" in page
    assert "公开栏：" not in page
    # Another visitor still reads Chinese.
    page = text_of(app.test_client().get("/c/heping/disclosures"))
    assert "<h1>公开栏：和平里社区</h1>" in page
    assert "On the board until" not in page


def test_the_cached_board_keeps_staff_links_for_staff(
    app: Flask,
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    _published(people, world)
    login(client, world.users["staff"].email)
    for url in ("/c/heping/disclosures", "/c/heping/disclosures/due"):
        assert 'class="dstaff' in text_of(client.get(url)), url
        assert 'class="dstaff' not in text_of(app.test_client().get(url)), url
    assert world.users["staff"].email not in text_of(app.test_client().get("/c/heping/disclosures"))


def test_a_renamed_community_is_renamed_on_the_cached_board(
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    assert "<h1>公开栏：和平里社区</h1>" in text_of(client.get("/c/heping/disclosures"))
    table = _table(type(world.community))
    _as_another_process(
        table.update().where(table.c.id == world.community.id).values(name="和平里新社区")
    )
    assert "<h1>公开栏：和平里新社区</h1>" in text_of(client.get("/c/heping/disclosures"))


def test_this_process_writes_move_the_key(
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    """A rolled-back transaction written again (as the tests do, SQLite reusing the ids) would
    give the database the same version: this process's own writes are in the key too."""
    found = _published(people, world)
    client.get("/c/heping/disclosures")
    before = board_cache.generation()
    _draft(people, world, category="decisions", period="2026-09", title="草稿")  # not public
    db.session.commit()
    assert board_cache.generation() > before
    misses = cache.misses
    assert _titles(text_of(client.get("/c/heping/disclosures"))) == [found.title]
    assert cache.misses == misses + 2  # the content, and the whole page of a plain visitor


def test_the_cached_due_page_follows_answers_and_the_policy(
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world.community.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    found = _published(people, world, category="decisions", period="2026-Q3", title="决定")
    resident = actor_for(world.users["resident"], world.community.id)
    filed = queries.file_query(resident, found, "会议决定何时落实？")
    db.session.commit()
    clock.freeze(datetime(2026, 11, 17, 2, 0, tzinfo=UTC))
    client.get("/prefs?lang=en")
    page = text_of(client.get("/c/heping/disclosures/due"))
    assert "1 question or objection has not been answered in time." in page
    assert "7 days overdue" in page  # October's finance (DSP-03: due 10 November)
    # The second visit is the cached page.
    monkeypatch.setattr(disclosures, "dashboard", _not_again)
    assert text_of(client.get("/c/heping/disclosures/due")).count("7 days overdue") == 1
    monkeypatch.undo()
    # A new day: one more day overdue.
    clock.freeze(datetime(2026, 11, 18, 2, 0, tzinfo=UTC))
    assert "8 days overdue" in text_of(client.get("/c/heping/disclosures/due"))
    # Answered by another process: no longer listed.
    table = _table(DisclosureQuery)
    _as_another_process(
        table.update()
        .where(table.c.id == filed.id)
        .values(answer="下月落实。", answered_at=clock.now(), answered_by=world.users["staff"].id)
    )
    page = text_of(client.get("/c/heping/disclosures/due"))
    assert "has not been answered in time" not in page
    assert "Every question and objection has been answered in time" in page
    # A new policy (twenty days' grace): October's finance is due on the 20th, not overdue.
    disclosures.set_policy(people["staff"], world.community, grace_days=20)
    db.session.commit()
    page = text_of(client.get("/c/heping/disclosures/due"))
    assert "8 days overdue" not in page
    assert "2 days left" in page


def test_the_cached_due_page_lists_a_late_query_filed_by_another_process(
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    cache: board_cache.FragmentCache,
) -> None:
    world.community.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    found = _published(people, world, category="decisions", period="2026-Q3", title="决定")
    clock.freeze(datetime(2026, 11, 17, 2, 0, tzinfo=UTC))
    client.get("/prefs?lang=en")
    page = text_of(client.get("/c/heping/disclosures/due"))
    assert "Every question and objection has been answered in time" in page
    table = _table(DisclosureQuery)
    _as_another_process(
        table.insert().values(
            disclosure_id=found.id,
            community_id=world.community.id,
            kind="query",
            text="会议决定何时落实？",
            filed_by=world.users["resident"].id,
            resident_id=world.residents["resident"].id,
            filed_at=datetime(2026, 11, 5, 3, 0, tzinfo=UTC),
            due_on=datetime(2026, 11, 15).date(),
        )
    )
    page = text_of(client.get("/c/heping/disclosures/due"))
    assert "1 question or objection has not been answered in time." in page


def test_the_fragment_cache_is_bounded() -> None:
    cache = board_cache.FragmentCache(max_entries=3, max_bytes=100)
    for n in range(5):
        cache.put(("page", n), ("x" * 10,))
    assert len(cache) == 3
    assert cache.get(("page", 0)) is None
    assert cache.get(("page", 4)) == ("x" * 10,)
    cache.get(("page", 2))  # used: kept
    cache.put(("page", 5), ("y" * 10,))
    assert cache.get(("page", 3)) is None
    assert cache.get(("page", 2)) is not None
    # Bounded in size too; an entry larger than the whole cache is not kept.
    cache.put(("big", 1), ("z" * 90,))
    assert cache.size <= 100
    assert cache.get(("big", 1)) == ("z" * 90,)
    cache.put(("huge", 1), ("z" * 101,))
    assert cache.get(("huge", 1)) is None
    # Replacing an entry does not count it twice.
    cache.put(("big", 1), ("w" * 50,))
    assert cache.size <= 100
    cache.clear()
    assert (len(cache), cache.size, cache.hits, cache.misses) == (0, 0, 0, 0)
    with pytest.raises(ValueError, match="at least one entry"):
        board_cache.FragmentCache(max_entries=0)


def test_the_fragment_cache_is_thread_safe() -> None:
    cache = board_cache.FragmentCache(max_entries=50, max_bytes=10_000)

    def work(n: int) -> None:
        for i in range(2_000):
            key = (n, i % 80)
            if cache.get(key) is None:
                cache.put(key, (str(i) * 3,))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) <= 50
    assert cache.size == sum(len(v[0]) for v, _ in cache._entries.values())
    assert cache.hits + cache.misses == 8_000
