"""The register's pages through the test client: list, search, paging, resident page, import
(with every kind of bad file), export, political rights, verification slips, the dashboard."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult import clock
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.registry.models import Resident
from consult.registry.service import eligibility_of
from consult.rules.eligibility import add_months, age_on
from consult.rules.idcard import make_id_number
from consult.web.home import count_eligible, latest_birth_date_for_age, latest_start_for_months
from tests.conftest import World, csrf_token

pytestmark = pytest.mark.integration

HEADER = "household,name,birth_date,gender,group,phone,id_number"
ROW_LINK = re.compile(r'<th scope="row"><a href="/c/heping/residents/\d+">')


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *lines)) + "\n").encode("utf-8")


def upload(client: FlaskClient, data: bytes, code: str = "heping", filename: str = "r.csv") -> Any:
    token = csrf_token(client.get(f"/c/{code}/residents/import").get_data(as_text=True))
    return client.post(
        f"/c/{code}/residents/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def resident_id(name: str) -> int:
    rid = db.session.execute(select(Resident.id).where(Resident.name == name)).scalar_one()
    return int(rid)


def post_form(client: FlaskClient, page_url: str, url: str, **data: str) -> Any:
    token = csrf_token(text_of(client.get(page_url)))
    return client.post(url, data={"csrf_token": token, **data})


@pytest.fixture
def staff(as_role: Any, world: World) -> FlaskClient:
    client: FlaskClient = as_role("staff")
    return client


ID_ZHANG = make_id_number("110105", date(1948, 3, 12), 7, "F")
GOOD = (
    f"H101,张桂兰,1948-03-12,F,G1,13800000001,{ID_ZHANG}",
    "H101,刘德福,1946-11-02,M,G1,,",
    "H102,陈小明,2012-05-01,M,G2,,",
)


# ---------------------------------------------------------------- list, search, paging


def test_the_list_shows_the_columns_and_searches_by_name_and_household(staff: FlaskClient) -> None:
    assert upload(staff, csv_bytes(*GOOD)).status_code == 302
    page = text_of(staff.get("/c/heping/residents"))
    for expected in ("张桂兰", "H101", "1948-03-12", "陈小明"):
        assert expected in page
    assert "Household register" in text_of(staff.get("/c/heping/residents?lang=en"))

    by_name = text_of(staff.get("/c/heping/residents?q=桂兰"))
    assert "张桂兰" in by_name
    assert "刘德福" not in by_name
    by_household = text_of(staff.get("/c/heping/residents?q=H102"))
    assert "陈小明" in by_household
    assert "张桂兰" not in by_household
    nobody = text_of(staff.get("/c/heping/residents?q=nobody-has-this&lang=en"))
    assert "No resident matches this search." in nobody


def test_the_list_shows_age_and_eligibility(staff: FlaskClient) -> None:
    upload(staff, csv_bytes(*GOOD))
    page = text_of(staff.get("/c/heping/residents?q=陈小明&lang=en"))
    age = age_on(date(2012, 5, 1), clock.today())
    assert f'<td class="num">{age}</td>' in page
    assert '<span class="no">No</span>' in page
    adult = text_of(staff.get("/c/heping/residents?q=刘德福&lang=en"))
    assert '<span class="yes">Yes</span>' in adult


def test_the_group_filter_shows_only_that_group(staff: FlaskClient) -> None:
    upload(staff, csv_bytes(*GOOD))
    page = text_of(staff.get("/c/heping/residents?group=G2"))
    assert "陈小明" in page
    assert "张桂兰" not in page
    assert '<option value="G2" selected>' in page


def test_paging_shows_50_a_page_with_page_links(staff: FlaskClient, world: World) -> None:
    lines = [f"P{i:03d},居民{i:03d},1980-01-01,M,G9,," for i in range(120)]
    assert upload(staff, csv_bytes(*lines)).status_code == 302
    first = text_of(staff.get("/c/heping/residents?group=G9"))
    assert len(ROW_LINK.findall(first)) == 50
    assert 'href="/c/heping/residents?group=G9&amp;page=2"' in first
    assert 'href="/c/heping/residents?group=G9&amp;page=3"' in first
    last = text_of(staff.get("/c/heping/residents?group=G9&page=3"))
    assert len(ROW_LINK.findall(last)) == 20
    assert 'aria-current="page" href="/c/heping/residents?group=G9&amp;page=3"' in last
    beyond = text_of(staff.get("/c/heping/residents?group=G9&page=99&lang=en"))
    assert len(ROW_LINK.findall(beyond)) == 0
    assert "There are no residents on this page." in beyond
    # A page number that is not a number is page 1, not an error.
    assert staff.get("/c/heping/residents?page=abc").status_code == 200


# ---------------------------------------------------------------- the resident page


def test_the_resident_page_masks_the_id_number_and_the_phone(staff: FlaskClient) -> None:
    upload(staff, csv_bytes(*GOOD))
    page = text_of(staff.get(f"/c/heping/residents/{resident_id('张桂兰')}"))
    assert ID_ZHANG not in page
    assert ID_ZHANG[:6] + "********" + ID_ZHANG[-4:] in page
    assert "13800000001" not in page
    assert "138****0001" in page


def test_the_resident_page_explains_eligibility_with_the_citation(staff: FlaskClient) -> None:
    upload(staff, csv_bytes(*GOOD))
    rid = resident_id("陈小明")
    english = text_of(staff.get(f"/c/heping/residents/{rid}?lang=en"))
    assert "Not yet 18 years old" in english
    assert "Urban Residents&#39; Committees Law (2025), Art. 16" in english
    assert "URC25-08" in english
    chinese = text_of(staff.get(f"/c/heping/residents/{rid}?lang=zh_Hans"))
    assert "《城市居民委员会组织法》（2025年修订）第十六条" in chinese


def test_a_resident_of_another_community_is_404(staff: FlaskClient, world: World) -> None:
    other = world.residents["other_resident"].id
    assert staff.get(f"/c/heping/residents/{other}").status_code == 404


# ---------------------------------------------------------------- import


def test_import_then_reimport_changes_nothing_and_a_changed_row_updates(
    staff: FlaskClient,
) -> None:
    staff.get("/?lang=en")  # the flashed summaries below are read in English
    done = upload(staff, csv_bytes(*GOOD))
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/c/heping/residents")
    assert "3 created, 0 updated, 0 unchanged" in text_of(staff.get("/c/heping/residents"))

    again = staff.post(
        "/c/heping/residents/import",
        data={
            "csrf_token": csrf_token(text_of(staff.get("/c/heping/residents/import"))),
            "file": (io.BytesIO(csv_bytes(*GOOD)), "r.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "0 created, 0 updated, 3 unchanged" in text_of(again)

    changed = (GOOD[0], "H101,刘德福,1946-11-02,M,G2,13900000000,", GOOD[2])
    upload(staff, csv_bytes(*changed))
    assert "0 created, 1 updated, 2 unchanged" in text_of(staff.get("/c/heping/residents"))

    page = text_of(staff.get(f"/c/heping/residents/{resident_id('刘德福')}?lang=en"))
    history = page[page.index('id="history-title"') :]
    versions = re.findall(r'<td class="num">(\d+)</td>', history)
    assert versions == ["2", "1"]
    assert "<mark>G2</mark>" in history  # the changed group is marked


def test_the_import_page_shows_the_expected_header_and_an_example(staff: FlaskClient) -> None:
    page = text_of(staff.get("/c/heping/residents/import?lang=en"))
    assert "household,name,birth_date,gender,group,phone,id_number" in page
    assert "H001,张秀英,1948-03-12,F,G1" in page
    assert 'enctype="multipart/form-data"' in page


def test_an_import_without_a_file_is_refused(staff: FlaskClient) -> None:
    token = csrf_token(text_of(staff.get("/c/heping/residents/import")))
    response = staff.post(
        "/c/heping/residents/import?lang=en",
        data={"csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Choose a CSV file to import." in text_of(response)


def bad_line(response: Any, line: int) -> str:
    """The reason shown for `line` in the page's table of bad lines."""
    assert response.status_code == 422
    page = text_of(response)
    assert "Nothing was imported" in page
    match = re.search(rf'<tr><td class="num">{line}</td><td>(.*?)</td></tr>', page, re.S)
    assert match, f"line {line} is not in the table of bad lines"
    return match.group(1)


def nothing_imported() -> None:
    # Only the two residents of the `world` fixture are on the register.
    count = db.session.execute(
        select(func.count(Resident.id)).where(Resident.name.in_(["张桂兰", "刘德福", "陈小明"]))
    ).scalar_one()
    assert count == 0


def en(client: FlaskClient) -> FlaskClient:
    client.get("/?lang=en")
    return client


def test_a_wrong_header_is_line_1(staff: FlaskClient) -> None:
    response = upload(en(staff), csv_bytes(*GOOD, header="hh,name,born,gender,group,phone,id"))
    reason = bad_line(response, 1)
    assert "Missing column(s): household, birth_date, id_number" in reason
    assert "Unknown column(s): hh, born, id" in reason
    assert "Expected header: household,name,birth_date,gender,group,phone,id_number" in reason
    nothing_imported()


def test_a_missing_column_is_named(staff: FlaskClient) -> None:
    header = "household,name,birth_date,gender,group,phone"
    lines = ("H101,张桂兰,1948-03-12,F,G1,", "H101,刘德福,1946-11-02,M,G1,")
    reason = bad_line(upload(en(staff), csv_bytes(*lines, header=header)), 1)
    assert "Missing column(s): id_number" in reason
    nothing_imported()


def test_a_bad_date_names_its_line_and_value(staff: FlaskClient) -> None:
    lines = (GOOD[0], "H101,刘德福,1946-13-02,M,G1,,", GOOD[2])
    reason = bad_line(upload(en(staff), csv_bytes(*lines)), 3)
    assert "birth_date must be a date like 1960-05-01, not &#39;1946-13-02&#39;." in reason
    nothing_imported()


def test_an_unknown_gender_names_its_line(staff: FlaskClient) -> None:
    lines = (GOOD[0], GOOD[1], "H102,陈小明,2012-05-01,X,G2,,")
    reason = bad_line(upload(en(staff), csv_bytes(*lines)), 4)
    assert "gender must be M or F, not &#39;X&#39;." in reason
    nothing_imported()


def test_every_bad_line_is_listed(staff: FlaskClient) -> None:
    lines = ("H101,张桂兰,1948-03-12,Q,G1,,", GOOD[1], "H102,陈小明,2012/05/01,M,G2,,")
    response = upload(en(staff), csv_bytes(*lines))
    assert "gender must be M or F" in bad_line(response, 2)
    assert "birth_date must be a date" in bad_line(response, 4)
    assert "2 lines of the file are wrong" in text_of(response)


def test_a_duplicate_resident_line_points_to_the_first(staff: FlaskClient) -> None:
    lines = (*GOOD, GOOD[1])
    reason = bad_line(upload(en(staff), csv_bytes(*lines)), 5)
    assert "The same resident as line 3." in reason
    nothing_imported()


def test_a_file_that_is_not_utf8_is_refused(staff: FlaskClient) -> None:
    data = csv_bytes(GOOD[1]) + "H102,陈小明,2012-05-01,M,G2,,\n".encode("gbk")
    reason = bad_line(upload(en(staff), data), 3)
    assert "The file is not UTF-8 text" in reason
    nothing_imported()


def test_an_empty_file_is_refused(staff: FlaskClient) -> None:
    reason = bad_line(upload(en(staff), b""), 1)
    assert "The file is empty." in reason


def test_a_header_without_residents_is_refused(staff: FlaskClient) -> None:
    reason = bad_line(upload(en(staff), csv_bytes()), 1)
    assert "The file has a header row but no residents." in reason


def test_import_reasons_are_translated_without_losing_detail(app: Any) -> None:
    from consult.web.labels import import_error_text

    with app.test_request_context("/?lang=en"):
        assert (
            import_error_text("gender must be M or F, not 'X'; name is empty")
            == "gender must be M or F, not 'X'. name is empty."
        )
        several = import_error_text(
            "several residents of this household have this name; "
            "add their ID numbers to tell them apart"
        )
        assert several == (
            "Several residents of this household have this name; "
            "add their ID numbers to tell them apart."
        )
        assert import_error_text("a reason nobody translated") == "a reason nobody translated"


def test_an_upload_over_the_limit_is_413(staff: FlaskClient, app: Any) -> None:
    """50 MB, sent once (the real limit is 10 MB unless configured)."""
    assert app.config["MAX_CONTENT_LENGTH"] < 50 * 1024 * 1024
    token = csrf_token(text_of(staff.get("/c/heping/residents/import?lang=en")))
    rows = b"H9,x,1980-01-01,M,G1,,\n" * (50 * 1024 * 1024 // 23)
    boundary = "consult-test-boundary"
    # The multipart body is built here: werkzeug would spool one this big to a temporary
    # file that nobody closes (a ResourceWarning, an error under filterwarnings=error).
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + csv_bytes(*GOOD)
        + rows
        + f"\r\n--{boundary}--\r\n".encode()
    )
    assert len(body) >= 50 * 1024 * 1024
    response = staff.post(
        "/c/heping/residents/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "The file is too large" in text_of(response)
    nothing_imported()


# ---------------------------------------------------------------- hostile input


SCRIPT = "<script>alert(1)</script>"


def test_html_in_names_is_escaped_on_every_page(staff: FlaskClient) -> None:
    household = '"><img src=x onerror=alert(2)>'
    # CSV quoting: the household cell is quoted because it holds a double quote.
    data = csv_bytes(f'"{household.replace(chr(34), chr(34) * 2)}",{SCRIPT},1950-01-01,M,G1,,')
    assert upload(staff, data).status_code == 302
    listing = text_of(staff.get("/c/heping/residents"))
    assert SCRIPT not in listing
    assert "<img src=x" not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in listing
    detail = text_of(staff.get(f"/c/heping/residents/{resident_id(SCRIPT)}"))
    assert SCRIPT not in detail
    assert "<img src=x" not in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    search = text_of(staff.get("/c/heping/residents", query_string={"q": SCRIPT}))
    assert SCRIPT not in search


def test_html_in_a_bad_line_is_escaped_in_the_report(staff: FlaskClient) -> None:
    response = upload(staff, csv_bytes(f"H1,x,1950-01-01,{SCRIPT[:20]},G1,,"))
    assert response.status_code == 422
    assert "<script>" not in text_of(response)
    assert "&lt;script&gt;" in text_of(response)


SQLISH = (
    "O'Brien",
    "Robert'); DROP TABLE residents;--",
    "100%纯",
    "a_b",
    'say "hi"',
)


def test_sql_metacharacters_in_names_and_searches_are_harmless(staff: FlaskClient) -> None:
    lines = [
        f'H{i},"{n.replace(chr(34), chr(34) * 2)}",1960-01-01,F,G1,,' for i, n in enumerate(SQLISH)
    ]
    assert upload(staff, csv_bytes(*lines)).status_code == 302

    def found(q: str) -> list[str]:
        page = text_of(staff.get("/c/heping/residents", query_string={"q": q}))
        return [n for n in ("O&#39;Brien", "Robert&#39;); DROP", "100%纯", "a_b") if n in page]

    assert found("'") == ["O&#39;Brien", "Robert&#39;); DROP"]
    assert found("'); DROP TABLE residents;--") == ["Robert&#39;); DROP"]
    assert found("%") == ["100%纯"]  # a literal %, not a wildcard
    assert found("_") == ["a_b"]  # a literal _, not a wildcard
    assert found("' OR '1'='1") == []
    assert staff.get("/c/heping/residents", query_string={"q": "\\"}).status_code == 200
    # The table is still there and whole.
    total = db.session.execute(select(func.count(Resident.id))).scalar_one()
    assert total >= len(SQLISH) + 3
    page = text_of(staff.get(f"/c/heping/residents/{resident_id(SQLISH[1])}"))
    assert "Robert&#39;); DROP TABLE residents;--" in page


# ---------------------------------------------------------------- political rights


def test_recording_political_rights_needs_a_reason_and_is_audited(
    staff: FlaskClient, world: World
) -> None:
    rid = world.residents["resident"].id
    page_url = f"/c/heping/residents/{rid}?lang=en"
    url = f"/c/heping/residents/{rid}/political-rights"
    refused = post_form(staff, page_url, url, is_deprived="1", reason="   ")
    assert refused.status_code == 422
    assert "A reason is required." in text_of(refused)
    assert not db.session.get(Resident, rid).is_deprived_of_political_rights

    done = post_form(staff, page_url, url, is_deprived="1", reason="判决书（2026）京0105刑初123号")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Resident, rid).is_deprived_of_political_rights
    entry = (
        db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "registry:residents:edit", AuditEntry.object_id == str(rid))
            .order_by(AuditEntry.id.desc())
        )
        .scalars()
        .first()
    )
    assert entry is not None
    assert json.loads(entry.payload)["reason"] == "判决书（2026）京0105刑初123号"
    page = text_of(staff.get(page_url))
    assert "Deprived of political rights" in page  # the reason the resident may not vote
    assert "判决书（2026）京0105刑初123号" in page
    assert "Record that political rights are restored" in page

    restored = post_form(staff, page_url, url, is_deprived="0", reason="刑满，恢复政治权利")
    assert restored.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Resident, rid).is_deprived_of_political_rights


def test_only_staff_see_and_use_the_political_rights_form(as_role: Any, world: World) -> None:
    client = as_role("supervisor")
    rid = world.residents["resident"].id
    page = text_of(client.get(f"/c/heping/residents/{rid}"))
    assert "/political-rights" not in page
    assert "/code" not in page
    token = csrf_token(page)
    response = client.post(
        f"/c/heping/residents/{rid}/political-rights",
        data={"csrf_token": token, "is_deprived": "1", "reason": "x"},
    )
    assert response.status_code == 403


# ---------------------------------------------------------------- enrolment at the desk


def test_staff_print_a_verification_slip(staff: FlaskClient, world: World) -> None:
    rid = world.residents["resident"].id
    page_url = f"/c/heping/residents/{rid}?lang=en"
    response = post_form(staff, page_url, f"/c/heping/residents/{rid}/code")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    slip = text_of(response)
    assert re.search(r'<dd class="code" lang="en">[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}</dd>', slip)
    assert "张秀英" in slip
    assert "和平里社区" in slip
    assert "/signup" in slip
    assert "/verify" in slip
    assert "Valid until" in slip
    assert db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "accounts:codes:issue")
    ).first()


def test_staff_create_a_verified_account_for_a_resident(staff: FlaskClient, world: World) -> None:
    from consult.accounts.models import User
    from tests.factories import make_resident

    rid = make_resident(world.community, name="孙桂英", household="H008").id
    page_url = f"/c/heping/residents/{rid}?lang=en"
    url = f"/c/heping/residents/{rid}/account"
    short = post_form(staff, page_url, url, email="new@example.org", password="short")
    assert short.status_code == 422
    done = post_form(staff, page_url, url, email="new@example.org", password="long enough pw")
    assert done.status_code == 302
    user = db.session.execute(select(User).where(User.email == "new@example.org")).scalar_one()
    assert user.is_verified
    assert user.resident_id == rid
    page = text_of(staff.get(page_url))
    assert "Linked to the account new@example.org." in page
    twice = post_form(staff, page_url, url, email="two@example.org", password="long enough pw")
    assert twice.status_code == 302
    assert "This resident already has an account." in text_of(staff.get(page_url))


def test_staff_verify_an_account_at_the_desk(staff: FlaskClient, world: World) -> None:
    from tests.factories import make_resident, make_user

    person = make_resident(world.community, name="周淑珍", household="H009")
    user = make_user("zhou@example.org")
    page_url = f"/c/heping/residents/{person.id}?lang=en"
    url = f"/c/heping/residents/{person.id}/verify"
    unknown = post_form(staff, page_url, url, account_email="nobody@example.org")
    assert unknown.status_code == 422
    assert "There is no account with this e-mail." in text_of(unknown)
    done = post_form(staff, page_url, url, account_email="ZHOU@example.org")
    assert done.status_code == 302
    db.session.expire_all()
    assert user.is_verified
    assert user.resident_id == person.id
    other = make_resident(world.community, name="吴国华", household="H010")
    again_url = f"/c/heping/residents/{other.id}/verify"
    again = post_form(staff, page_url, again_url, account_email="zhou@example.org")
    assert again.status_code == 302
    page = text_of(staff.get(f"/c/heping/residents/{other.id}?lang=en"))
    assert "This account is already verified." in page


# ---------------------------------------------------------------- export


def test_export_is_a_csv_attachment_with_formulas_neutralised(staff: FlaskClient) -> None:
    lines = [
        "H201,=cmd(),1960-01-01,M,G1,,",
        "H202,+1,1960-01-01,M,G1,,",
        "H203,-2,1960-01-01,M,G1,,",
        "H204,@SUM(A1),1960-01-01,M,G1,,",
    ]
    assert upload(staff, csv_bytes(*lines)).status_code == 302
    response = staff.get("/c/heping/residents/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="residents-heping-\d{4}-\d{2}-\d{2}\.csv"', disposition)
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    names = {row[1] for row in rows[1:]}
    assert {"'=cmd()", "'+1", "'-2", "'@SUM(A1)"} <= names
    assert "=cmd()" not in names
    assert db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "registry:residents:export")
    ).first()


# ---------------------------------------------------------------- who may see what


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("resident", "/c/heping/residents", 403),
        ("representative", "/c/heping/residents", 403),
        ("other_resident", "/c/heping/residents", 403),
        ("supervisor", "/c/heping/residents", 200),
        ("supervisor", "/c/heping/residents/import", 403),
        ("supervisor", "/c/heping/residents/export.csv", 403),
        ("staff", "/c/other/residents", 403),
        ("admin", "/c/other/residents", 200),
    ],
)
def test_register_pages_are_for_the_committee(
    as_role: Any, role: str, path: str, status: int
) -> None:
    assert as_role(role).get(path).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, world: World) -> None:
    response = client.get("/c/heping/residents")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_403_and_404_pages_are_friendly(as_role: Any, world: World) -> None:
    client = as_role("resident")
    forbidden = client.get("/c/heping/residents?lang=en")
    assert "You may not open this page" in text_of(forbidden)
    missing = client.get("/c/no-such-place/residents?lang=en")
    assert missing.status_code == 404
    assert "Not found" in text_of(missing)


def test_navigation_shows_only_what_the_role_allows(as_role: Any, world: World) -> None:
    staff_page = text_of(as_role("staff").get("/?lang=en"))
    for link in (
        'href="/c/heping/residents"',
        'href="/c/heping/residents/import"',
        'href="/c/heping/roles"',
    ):
        assert link in staff_page


def test_a_resident_sees_no_committee_links(as_role: Any, world: World) -> None:
    page = text_of(as_role("resident").get("/?lang=en"))
    assert "和平里社区" in page
    assert 'href="/c/heping/residents"' not in page
    assert 'href="/c/heping/roles"' not in page


# ---------------------------------------------------------------- the dashboard


def test_the_dashboard_counts_eligible_voters_by_the_statute(as_role: Any, world: World) -> None:
    from tests.factories import make_resident

    today = clock.today()
    c = world.community
    make_resident(c, name="未成年", birth_date=today - timedelta(days=365 * 10))
    just_18 = date(today.year - 18, today.month, min(today.day, 28))
    make_resident(c, name="刚满十八", birth_date=just_18)
    deprived = make_resident(c, name="被剥夺")
    deprived.is_deprived_of_political_rights = True
    new_worker = make_resident(c, name="新来工作", registration="worker")
    new_worker.registered_since = today - timedelta(days=30)
    old_worker = make_resident(c, name="工作已久", registration="worker")
    old_worker.registered_since = today - timedelta(days=400)
    make_resident(c, name="无日期工作", registration="worker")
    make_resident(c, name="常住申请", registration="habitual_resident")
    db.session.flush()

    residents = db.session.execute(select(Resident).where(Resident.community_id == c.id)).scalars()
    expected = sum(eligibility_of(c, r, today).eligible for r in residents)
    assert count_eligible(c, today) == expected
    assert expected == 5  # the two of `world`, 刚满十八, 工作已久, 常住申请

    page = text_of(as_role("staff").get("/?lang=en"))
    assert "Eligible voters</dt><dd>5</dd>" in page
    assert "Residents</dt><dd>9</dd>" in page
    assert "Committee staff" in page  # the user's roles


def test_the_age_and_period_cutoffs_match_the_rule() -> None:
    """The dashboard's COUNT uses cut-off dates; check them against rules.eligibility by brute
    force over four years of days, 29 February and month ends included."""
    day = date(2023, 1, 1)
    while day < date(2027, 1, 1):
        born_by = latest_birth_date_for_age(18, day)
        for born in (born_by, born_by + timedelta(days=1), born_by - timedelta(days=1)):
            assert (age_on(born, day) >= 18) == (born <= born_by), (day, born)
        for months in (6, 12):
            since_by = latest_start_for_months(months, day)
            for since in (since_by, since_by + timedelta(days=1), since_by - timedelta(days=1)):
                assert (add_months(since, months) <= day) == (since <= since_by), (day, since)
        day += timedelta(days=1)
    assert latest_birth_date_for_age(18, date(2024, 2, 29)) == date(2006, 2, 28)


def test_the_home_page_lists_communities_with_their_kind(client: FlaskClient, world: World) -> None:
    from tests.factories import make_community

    make_community("shuangqiao", name="双桥村", kind="village")
    page = text_of(client.get("/?lang=en"))
    assert "和平里社区" in page
    assert "双桥村" in page
    assert "Residents&#39; committee" in page
    assert "Villagers&#39; committee" in page
