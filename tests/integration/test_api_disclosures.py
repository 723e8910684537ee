"""The disclosure operations of INTERFACES.md §3 over HTTP with bearer tokens, on SQLite and
PostgreSQL: the whole workflow (draft, ledger CSV, balances, review with a returned version,
publication and countersignature, the public PDF, an objection and its answer), every refusal
the issue names with its status and code, and who may call what."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consult import clock
from consult.extensions import db
from tests.conftest import World
from tests.factories import make_resident, make_user
from tests.integration.api_support import bearer, error_of, headers_for, token_for

pytestmark = pytest.mark.integration

STAFF_PASS = "经办人的口令-2026"
SUPERVISOR_PASS = "监督 passphrase 2026"

HEADER = "date,voucher,summary,category,direction,amount,counterparty\n"
LEDGER = (
    HEADER
    + "2026-10-03,记-001,收到街道办拨付社区服务经费,政府拨款,income,50000.00,和平街道办事处\n"
    + "2026-10-09,记-002,楼道照明维修,维修,expense,1280.50,平安电器维修部\n"
    + "2026-10-21,记-003,重阳节慰问老人,慰问,expense,3600,\n"
)
# 10,000.00 + 50,000.00 − 1,280.50 − 3,600.00
OPENING, CLOSING = 1_000_000, 5_511_950
CSV = {"Content-Type": "text/csv"}


@pytest.fixture(autouse=True)
def _in_november() -> Iterator[None]:
    """2026-11-05, 10:00 in Beijing: October's ledger is complete and not yet due (the 15th)."""
    clock.freeze(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    yield
    clock.reset()


@pytest.fixture
def h(world: World) -> dict[str, dict[str, str]]:
    """Bearer headers for each person of the world."""
    return {
        role: headers_for(world, role)
        for role in (
            "anonymous",
            "staff",
            "supervisor",
            "resident",
            "other_resident",
            "representative",
            "admin",
        )
    }


@pytest.fixture
def api(app: Flask, world: World) -> FlaskClient:
    return app.test_client()


# ---------------------------------------------------------------- steps


def _create(
    api: FlaskClient,
    h: dict[str, dict[str, str]],
    *,
    category: str = "finance",
    period: str = "2026-10",
) -> int:
    made = api.post(
        "/api/v1/communities/heping/disclosures",
        headers=h["staff"],
        json={
            "category": category,
            "period": period,
            "title": "和平里社区2026年10月财务收支公开",
            "body": "本月收支情况如下，欢迎居民监督。",
        },
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    return int(made.get_json()["id"])


def _import(api: FlaskClient, h: dict[str, dict[str, str]], found: int, data: bytes) -> Any:
    return api.post(f"/api/v1/disclosures/{found}/ledger", headers={**h["staff"], **CSV}, data=data)


def _balances(
    api: FlaskClient, h: dict[str, dict[str, str]], found: int, closing: int = CLOSING
) -> Any:
    return api.patch(
        f"/api/v1/disclosures/{found}",
        headers=h["staff"],
        json={"opening_balance_fen": OPENING, "closing_balance_fen": closing},
    )


def _reconciled(api: FlaskClient, h: dict[str, dict[str, str]]) -> int:
    found = _create(api, h)
    assert _import(api, h, found, LEDGER.encode()).get_json() == {
        "created": 3,
        "disclosure_id": found,
    }
    assert _balances(api, h, found).status_code == 200
    return found


def _approved(api: FlaskClient, h: dict[str, dict[str, str]]) -> int:
    found = _reconciled(api, h)
    assert api.post(f"/api/v1/disclosures/{found}/submit", headers=h["staff"]).status_code == 200
    review = api.post(
        f"/api/v1/disclosures/{found}/review", headers=h["supervisor"], json={"decision": "approve"}
    )
    assert review.status_code == 200, review.get_data(as_text=True)
    return found


def _publish(api: FlaskClient, h: dict[str, dict[str, str]], found: int) -> Any:
    return api.post(
        f"/api/v1/disclosures/{found}/publish",
        headers=h["staff"],
        json={"passphrase": STAFF_PASS},
    )


def _countersign(api: FlaskClient, h: dict[str, dict[str, str]], found: int) -> Any:
    return api.post(
        f"/api/v1/disclosures/{found}/sign",
        headers=h["supervisor"],
        json={"role": "supervisor", "passphrase": SUPERVISOR_PASS},
    )


def _published(api: FlaskClient, h: dict[str, dict[str, str]]) -> int:
    found = _approved(api, h)
    signed = _publish(api, h, found)
    assert signed.status_code == 201, signed.get_data(as_text=True)
    countersigned = _countersign(api, h, found)
    assert countersigned.status_code == 201, countersigned.get_data(as_text=True)
    return found


def _correct_and_publish(api: FlaskClient, h: dict[str, dict[str, str]], found: int) -> int:
    started = api.post(
        f"/api/v1/disclosures/{found}/correction",
        headers=h["staff"],
        json={"reason": "记-002金额录入有误"},
    )
    assert started.status_code == 201, started.get_data(as_text=True)
    correction = int(started.get_json()["id"])
    assert started.get_json()["version"] == 2
    assert started.get_json()["previous_id"] == found
    assert api.post(f"/api/v1/disclosures/{correction}/submit", headers=h["staff"]).status_code == (
        200
    )
    approved = api.post(
        f"/api/v1/disclosures/{correction}/review",
        headers=h["supervisor"],
        json={"decision": "approve", "comment": "同意更正"},
    )
    assert approved.status_code == 200
    assert _publish(api, h, correction).status_code == 201
    assert _countersign(api, h, correction).status_code == 201
    return correction


def _object(api: FlaskClient, headers: dict[str, str], found: int, **extra: Any) -> Any:
    return api.post(
        f"/api/v1/disclosures/{found}/objections",
        headers=headers,
        json={"text": "记-002的维修费用是否经过询价？", **extra},
    )


# ---------------------------------------------------------------- the whole workflow


def test_the_whole_workflow_over_http(api: FlaskClient, h: dict[str, dict[str, str]]) -> None:
    found = _create(api, h)
    url = f"/api/v1/disclosures/{found}"
    # A draft: hidden from the public, listed for the committee with all=1.
    assert api.get(url).status_code == 404
    assert api.get(url, headers=h["resident"]).status_code == 404
    draft = api.get(url, headers=h["supervisor"]).get_json()
    assert (draft["state"], draft["category"], draft["period"]) == ("draft", "finance", "2026-10")
    assert draft["reviews"] == []
    assert draft["has_ledger"] is True
    listing = "/api/v1/communities/heping/disclosures"
    assert api.get(listing).get_json()["items"] == []
    assert api.get(listing, headers=h["staff"]).get_json()["total"] == 0
    listed = api.get(f"{listing}?all=1", headers=h["staff"]).get_json()
    assert [d["id"] for d in listed["items"]] == [found]
    assert api.get(f"{listing}?all=1", headers=h["resident"]).get_json()["items"] == []

    # The ledger, then the balances.
    assert _import(api, h, found, LEDGER.encode()).status_code == 200
    statement = api.get(f"{url}/ledger", headers=h["staff"]).get_json()
    assert (statement["income_fen"], statement["expense_fen"]) == (5_000_000, 488_050)
    assert statement["reconciles"] is False
    assert [e["amount"] for e in statement["entries"]] == ["50000.00", "1280.50", "3600.00"]
    assert len(statement["lines"]) == 3
    patched = _balances(api, h, found)
    assert patched.status_code == 200
    assert patched.get_json()["closing_balance_fen"] == CLOSING
    assert api.get(f"{url}/ledger", headers=h["staff"]).get_json()["reconciles"] is True

    # Submitted: no more edits; returned with a comment; fixed; resubmitted; approved.
    submitted = api.post(f"{url}/submit", headers=h["staff"])
    assert submitted.status_code == 200
    assert submitted.get_json()["state"] == "submitted"
    frozen = api.patch(url, headers=h["staff"], json={"title": "改"})
    assert frozen.status_code == 409
    assert error_of(frozen)["code"] == "not_editable"
    no_comment = api.post(f"{url}/review", headers=h["supervisor"], json={"decision": "return"})
    assert no_comment.status_code == 422
    returned = api.post(
        f"{url}/review",
        headers=h["supervisor"],
        json={"decision": "return", "comment": "请附上记-003的凭证"},
    )
    assert returned.status_code == 200
    assert returned.get_json()["state"] == "returned"
    early = _publish(api, h, found)
    assert early.status_code == 409
    assert error_of(early)["code"] == "not_approved"
    fixed = api.patch(url, headers=h["staff"], json={"body": "已补充凭证说明。\n\n欢迎监督。"})
    assert fixed.status_code == 200
    assert api.post(f"{url}/submit", headers=h["staff"]).status_code == 200
    approved = api.post(
        f"{url}/review",
        headers=h["supervisor"],
        json={"decision": "approve", "comment": "同意公开"},
    )
    assert approved.status_code == 200
    assert approved.get_json()["state"] == "approved"
    assert [(r["decision"], r["comment"]) for r in approved.get_json()["reviews"]] == [
        ("return", "请附上记-003的凭证"),
        ("approve", "同意公开"),
    ]
    assert approved.get_json()["next_signer"] == "staff"
    assert api.get(f"{url}.pdf", headers=h["staff"]).status_code == 404  # nothing signed yet

    # Staff sign; the supervisor countersigns; the public gets the PDF.
    wrong_order = _countersign(api, h, found)
    assert wrong_order.status_code == 409
    assert error_of(wrong_order)["code"] == "out_of_order"
    signed = _publish(api, h, found)
    assert signed.status_code == 201, signed.get_data(as_text=True)
    assert signed.get_json()["state"] == "signing"
    assert signed.get_json()["signed"]["role"] == "staff"
    assert api.get(f"{url}.pdf").status_code == 404  # being signed: not public yet
    assert api.get(f"{url}.pdf", headers=h["supervisor"]).status_code == 200
    countersigned = _countersign(api, h, found)
    assert countersigned.status_code == 201, countersigned.get_data(as_text=True)
    body = countersigned.get_json()
    assert body["state"] == "published"
    assert body["published_at"]
    assert [s["role"] for s in body["signatures"]] == ["staff", "supervisor"]
    again = _countersign(api, h, found)
    assert again.status_code == 409

    pdf = api.get(f"{url}.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["X-Document-Id"] == body["document_id"]
    assert pdf.get_data().startswith(b"%PDF")
    report = api.post(
        "/api/v1/documents/verify", data=pdf.get_data(), content_type="application/pdf"
    ).get_json()
    assert report["ok"] is True, report
    assert [s["role"] for s in report["signatures"]] == ["staff", "supervisor"]
    assert report["sha256"] == body["signed"]["sha256"]

    # The public sees it, without the review comments; the ledger is open data.
    public = api.get(url).get_json()
    assert public["state"] == "published"
    assert "reviews" not in public
    assert [d["id"] for d in api.get(listing).get_json()["items"]] == [found]
    assert "lines" not in api.get(f"{url}/ledger").get_json()
    exported = api.get(f"{url}/ledger.csv")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    text = exported.get_data().decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER.strip()
    assert "楼道照明维修" in text

    # A resident objects; the public sees the exchange, not who filed it; staff answer once.
    objection = _object(api, h["resident"], found)
    assert objection.status_code == 201, objection.get_data(as_text=True)
    filed = objection.get_json()
    assert filed["kind"] == "objection"
    assert filed["due_on"] == "2026-11-15"  # DSP-05: ten days
    queries_url = f"{url}/objections"
    seen = api.get(queries_url).get_json()
    assert [q["id"] for q in seen["items"]] == [filed["id"]]
    assert seen["total"] == 1
    assert "resident_id" not in seen["items"][0]
    assert "resident_id" in api.get(queries_url, headers=h["staff"]).get_json()["items"][0]
    answer_url = f"/api/v1/objections/{filed['id']}/answer"
    answer = {"text": "已询价三家，选择最低报价。"}
    assert api.post(answer_url, headers=h["resident"], json=answer).status_code == 403
    answered = api.post(answer_url, headers=h["staff"], json=answer)
    assert answered.status_code == 200
    assert answered.get_json()["answer"] == answer["text"]
    assert answered.get_json()["status"]["state"] == "on_time"
    twice = api.post(answer_url, headers=h["staff"], json=answer)
    assert twice.status_code == 409
    assert error_of(twice)["code"] == "already_answered"
    assert api.get(queries_url).get_json()["items"][0]["answer"] == answer["text"]

    # The dashboard: October's finance was published on time.
    dashboard = api.get("/api/v1/communities/heping/disclosures/due")
    assert dashboard.status_code == 200
    rows = {(r["category"], r["period"]): r for r in dashboard.get_json()["rows"]}
    october = rows[("finance", "2026-10")]
    assert october["state"] == "on_time"
    assert october["disclosure_id"] == found
    assert october["rule_ids"]
    assert dashboard.get_json()["overdue_queries"] == []


# ---------------------------------------------------------------- the ledger CSV


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("2026-10-32,记-9,x,维修,expense,1.00,", "date"),
        ("2026-10-05,记-9,x,维修,expense,-1.00,", "amount"),
        ("2026-10-05,记-9,x,维修,expense,1.005,", "amount"),
        ("2026-10-05,记-9,x,维修,spend,1.00,", "direction"),
        ('2026-10-05,记-9,=HYPERLINK("http://x"),维修,expense,1.00,', "formula"),
        ("2026-10-05,记-9,x,维修,expense,1.00,@SUM(A1)", "formula"),
        ("2026-10-05,+86,x,维修,expense,1.00,", "formula"),
    ],
)
def test_a_bad_ledger_line_is_422_with_its_line_and_nothing_imported(
    api: FlaskClient, h: dict[str, dict[str, str]], line: str, error: str
) -> None:
    found = _create(api, h)
    refused = _import(api, h, found, (LEDGER + line + "\n").encode())
    assert refused.status_code == 422
    problem = error_of(refused)
    assert problem["code"] == "invalid_ledger"
    assert [d["line"] for d in problem["details"]] == [5]
    if error != "formula":
        assert error in problem["details"][0]["error"].lower()
    assert (
        api.get(f"/api/v1/disclosures/{found}/ledger", headers=h["staff"]).get_json()["lines"] == []
    )


def test_a_gb18030_ledger_is_refused_whole(api: FlaskClient, h: dict[str, dict[str, str]]) -> None:
    found = _create(api, h)
    refused = _import(api, h, found, LEDGER.encode("gb18030"))
    assert refused.status_code == 422
    problem = error_of(refused)
    assert problem["code"] == "invalid_ledger"
    assert problem["details"][0]["line"] == 2  # the header is ASCII; the first line is not
    assert "UTF-8" in problem["details"][0]["error"]
    assert (
        api.get(f"/api/v1/disclosures/{found}/ledger", headers=h["staff"]).get_json()["lines"] == []
    )


def test_ledger_media_type_replace_and_lines_by_hand(
    api: FlaskClient, h: dict[str, dict[str, str]]
) -> None:
    found = _create(api, h)
    url = f"/api/v1/disclosures/{found}"
    for media in ("text/plain", "application/json"):
        wrong = api.post(
            f"{url}/ledger", headers={**h["staff"], "Content-Type": media}, data=LEDGER.encode()
        )
        assert wrong.status_code == 415
    assert error_of(_import(api, h, found, b""))["code"] == "invalid_ledger"
    assert _import(api, h, found, LEDGER.encode()).status_code == 200
    replaced = api.post(
        f"{url}/ledger?replace=1", headers={**h["staff"], **CSV}, data=LEDGER.encode()
    )
    assert replaced.get_json()["created"] == 3
    lines = api.get(f"{url}/ledger", headers=h["staff"]).get_json()["lines"]
    assert len(lines) == 6
    assert sum(line["voided"] for line in lines) == 3
    odd = api.post(f"{url}/ledger?replace=maybe", headers={**h["staff"], **CSV}, data=b"x")
    assert odd.status_code == 422

    # One line by hand; a bad one names the problem; an amount is a string, never a float.
    line = {
        "date": "2026-10-12",
        "voucher": "记-004",
        "summary": "购买办公用品",
        "category": "办公",
        "direction": "expense",
        "amount": "86.40",
    }
    added = api.post(f"{url}/entries", headers=h["staff"], json=line)
    assert added.status_code == 201, added.get_data(as_text=True)
    assert added.get_json()["amount_fen"] == 8640
    bad = api.post(f"{url}/entries", headers=h["staff"], json={**line, "amount": "0.001"})
    assert bad.status_code == 422
    assert error_of(bad)["code"] == "invalid_entry"
    floating = api.post(f"{url}/entries", headers=h["staff"], json={**line, "amount": 86.4})
    assert floating.status_code == 422
    assert error_of(floating)["details"] == {"amount": "must be a string"}
    formula = api.post(f"{url}/entries", headers=h["staff"], json={**line, "summary": "=1+1"})
    assert formula.status_code == 422
    assert api.post(f"{url}/entries", headers=h["resident"], json=line).status_code == 403

    # Struck out, with the reason; kept.
    void_url = f"/api/v1/ledger-entries/{added.get_json()['id']}/void"
    assert api.post(void_url, headers=h["supervisor"], json={"reason": "x"}).status_code == 403
    voided = api.post(void_url, headers=h["staff"], json={"reason": "重复录入"})
    assert voided.status_code == 200
    assert voided.get_json()["voided"] is True
    assert voided.get_json()["void_reason"] == "重复录入"
    twice = api.post(void_url, headers=h["staff"], json={"reason": "重复录入"})
    assert twice.status_code == 409
    assert error_of(twice)["code"] == "already_voided"
    assert (
        api.post(
            "/api/v1/ledger-entries/99999999/void", headers=h["staff"], json={"reason": "x"}
        ).status_code
        == 404
    )


def test_a_disclosure_without_a_ledger(api: FlaskClient, h: dict[str, dict[str, str]]) -> None:
    found = _create(api, h, category="decisions", period="2026-Q3")
    refused = _import(api, h, found, LEDGER.encode())
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "no_ledger"
    missing = api.get(f"/api/v1/disclosures/{found}/ledger", headers=h["staff"])
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "no_ledger"
    assert api.get(f"/api/v1/disclosures/{found}/ledger.csv", headers=h["staff"]).status_code == (
        404
    )


def test_a_statement_that_does_not_reconcile_is_not_submitted(
    api: FlaskClient, h: dict[str, dict[str, str]]
) -> None:
    found = _create(api, h)
    url = f"/api/v1/disclosures/{found}"
    assert _import(api, h, found, LEDGER.encode()).status_code == 200
    missing = api.post(f"{url}/submit", headers=h["staff"])
    assert missing.status_code == 422
    assert error_of(missing)["code"] == "balances_missing"
    one = api.patch(url, headers=h["staff"], json={"closing_balance_fen": CLOSING})
    assert one.status_code == 422
    assert _balances(api, h, found, closing=CLOSING + 1).status_code == 200
    refused = api.post(f"{url}/submit", headers=h["staff"])
    assert refused.status_code == 422
    problem = error_of(refused)
    assert problem["code"] == "not_reconciled"
    assert problem["details"]["expected_closing_fen"] == CLOSING
    assert api.get(url, headers=h["staff"]).get_json()["state"] == "draft"
    assert api.post(f"{url}/submit", headers=h["staff"], data="[1]").status_code == 400


# ---------------------------------------------------------------- drafts and the list


def test_creating_checks_category_and_period(
    api: FlaskClient, h: dict[str, dict[str, str]]
) -> None:
    url = "/api/v1/communities/heping/disclosures"
    good = {"category": "finance", "period": "2026-10", "title": "十月财务"}
    for change, field in (
        ({"category": "gossip"}, "category"),
        ({"period": "2026-13"}, "period"),
        ({"period": "2026-Q4"}, "period"),  # finance is monthly (DSP-02)
        ({"title": ""}, "title"),
        ({"lang": "fr"}, "lang"),
        ({"account_id": 999999}, "account_id"),
        ({"title": None}, "title"),
    ):
        refused = api.post(url, headers=h["staff"], json={**good, **change})
        assert refused.status_code == 422, change
        assert field in error_of(refused)["details"], change
    made = api.post(url, headers=h["staff"], json={**good, "lang": "en"})
    assert made.status_code == 201
    assert made.headers["Location"].endswith(f"/api/v1/disclosures/{made.get_json()['id']}")
    assert made.get_json()["lang"] == "en"
    assert api.post(url, headers=h["staff"], data="not json").status_code == 400
    nowhere = api.post("/api/v1/communities/nowhere/disclosures", headers=h["staff"], json=good)
    assert nowhere.status_code == 404


def test_the_list_filters_and_pages(api: FlaskClient, h: dict[str, dict[str, str]]) -> None:
    first = _create(api, h)
    second = _create(api, h, category="decisions", period="2026-10-15")
    url = "/api/v1/communities/heping/disclosures?all=1"
    assert [d["id"] for d in api.get(url, headers=h["staff"]).get_json()["items"]] == [
        second,
        first,
    ]
    only = api.get(f"{url}&category=finance", headers=h["supervisor"]).get_json()
    assert [d["id"] for d in only["items"]] == [first]
    by_day = api.get(f"{url}&period=2026-10-15", headers=h["staff"]).get_json()
    assert [d["id"] for d in by_day["items"]] == [second]
    paged = api.get(f"{url}&per_page=1&page=2", headers=h["staff"]).get_json()
    assert (paged["total"], [d["id"] for d in paged["items"]]) == (2, [first])
    assert api.get(f"{url}&page=9", headers=h["staff"]).get_json()["items"] == []
    for bad in ("category=gossip", "period=2026-13", "page=0", "all=perhaps"):
        refused = api.get(f"/api/v1/communities/heping/disclosures?{bad}", headers=h["staff"])
        assert refused.status_code == 422, bad
    assert api.get("/api/v1/communities/nowhere/disclosures").status_code == 404
    assert api.get("/api/v1/disclosures/99999999").status_code == 404
    assert api.get("/api/v1/disclosures/99999999.pdf").status_code == 404


def test_the_list_counts_all_and_reads_only_the_page_asked_for(
    api: FlaskClient, h: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from consult.disclosure import service

    made = [_create(api, h) for _ in range(5)]
    _create(api, h, category="decisions", period="2026-10-15")
    reads: list[tuple[int, int]] = []
    real = service.list_disclosures

    def spy(*args: Any, **kwargs: Any) -> Any:
        reads.append((kwargs["limit"], kwargs["offset"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "list_disclosures", spy)
    url = "/api/v1/communities/heping/disclosures?all=1&category=finance"
    pages = [
        api.get(f"{url}&per_page=2&page={n}", headers=h["staff"]).get_json() for n in (1, 2, 3, 4)
    ]
    assert [p["total"] for p in pages] == [5, 5, 5, 5]
    assert [(p["page"], p["per_page"]) for p in pages] == [(1, 2), (2, 2), (3, 2), (4, 2)]
    assert [[d["id"] for d in p["items"]] for p in pages] == [
        made[4:2:-1],
        made[2:0:-1],
        made[:1],
        [],
    ]
    # One page of rows each time, and none past the end.
    assert reads == [(2, 0), (2, 2), (2, 4)]
    everything = api.get(f"{url}&per_page=500", headers=h["staff"]).get_json()
    assert everything["total"] == 5
    assert [d["id"] for d in everything["items"]] == made[::-1]
    # The public counts what it may see: no drafts.
    public = api.get("/api/v1/communities/heping/disclosures?all=1").get_json()
    assert (public["total"], public["items"]) == (0, [])


def test_publishing_needs_approval(api: FlaskClient, h: dict[str, dict[str, str]]) -> None:
    found = _reconciled(api, h)
    draft = _publish(api, h, found)
    assert draft.status_code == 409
    assert error_of(draft)["code"] == "not_approved"
    assert api.post(f"/api/v1/disclosures/{found}/submit", headers=h["staff"]).status_code == 200
    submitted = _publish(api, h, found)
    assert submitted.status_code == 409
    assert error_of(submitted)["code"] == "not_approved"
    no_passphrase = api.post(f"/api/v1/disclosures/{found}/publish", headers=h["staff"], json={})
    assert no_passphrase.status_code == 422
    assert (
        api.get(f"/api/v1/disclosures/{found}", headers=h["staff"]).get_json()["signatures"] == []
    )


def test_a_supervisor_does_not_review_their_own_submission(
    api: FlaskClient, world: World, h: dict[str, dict[str, str]]
) -> None:
    both = make_user("both@example.org", community=world.community, roles=("staff", "supervisor"))
    db.session.commit()
    found = _reconciled(api, h)
    headers = bearer(token_for(both))
    assert api.post(f"/api/v1/disclosures/{found}/submit", headers=headers).status_code == 200
    refused = api.post(
        f"/api/v1/disclosures/{found}/review", headers=headers, json={"decision": "approve"}
    )
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "own_submission"
    odd = api.post(
        f"/api/v1/disclosures/{found}/review", headers=h["supervisor"], json={"decision": "ok"}
    )
    assert odd.status_code == 422


def test_null_for_both_balances_removes_them(
    api: FlaskClient, h: dict[str, dict[str, str]]
) -> None:
    found = _reconciled(api, h)
    url = f"/api/v1/disclosures/{found}"
    for half in (
        {"opening_balance_fen": None},
        {"opening_balance_fen": None, "closing_balance_fen": CLOSING},
        {"closing_balance_fen": None, "title": "改"},
    ):
        refused = api.patch(url, headers=h["staff"], json=half)
        assert refused.status_code == 422, half
        assert "balances" in error_of(refused)["details"]
    kept = api.patch(url, headers=h["staff"], json={"title": "改过的标题"}).get_json()
    assert (kept["opening_balance_fen"], kept["closing_balance_fen"]) == (OPENING, CLOSING)
    refused = api.patch(
        url,
        headers=h["supervisor"],
        json={"opening_balance_fen": None, "closing_balance_fen": None},
    )
    assert refused.status_code == 403
    cleared = api.patch(
        url, headers=h["staff"], json={"opening_balance_fen": None, "closing_balance_fen": None}
    )
    assert cleared.status_code == 200, cleared.get_data(as_text=True)
    body = cleared.get_json()
    assert (body["opening_balance_fen"], body["closing_balance_fen"]) == (None, None)
    assert body["title"] == "改过的标题"
    unbalanced = api.post(f"{url}/submit", headers=h["staff"])
    assert unbalanced.status_code == 422
    assert error_of(unbalanced)["code"] == "balances_missing"
    assert _balances(api, h, found).status_code == 200
    assert api.post(f"{url}/submit", headers=h["staff"]).status_code == 200
    locked = api.patch(
        url, headers=h["staff"], json={"opening_balance_fen": None, "closing_balance_fen": None}
    )
    assert locked.status_code == 409
    assert error_of(locked)["code"] == "not_editable"
    after = api.get(url, headers=h["staff"]).get_json()
    assert (after["opening_balance_fen"], after["closing_balance_fen"]) == (OPENING, CLOSING)


# ---------------------------------------------------------------- after publication


def test_a_published_disclosure_is_not_edited_but_corrected(
    api: FlaskClient, h: dict[str, dict[str, str]]
) -> None:
    found = _published(api, h)
    url = f"/api/v1/disclosures/{found}"
    for refused in (
        api.patch(url, headers=h["staff"], json={"title": "改"}),
        _balances(api, h, found, closing=CLOSING + 100),
        _import(api, h, found, LEDGER.encode()),
        api.post(f"{url}/submit", headers=h["staff"]),
    ):
        assert refused.status_code == 409
        assert error_of(refused)["code"] == "not_editable"
    line = api.get(f"{url}/ledger", headers=h["staff"]).get_json()["lines"][0]
    voided = api.post(
        f"/api/v1/ledger-entries/{line['id']}/void", headers=h["staff"], json={"reason": "x"}
    )
    assert voided.status_code == 409
    assert api.post(f"{url}/correction", headers=h["staff"], json={}).status_code == 422
    assert (
        api.post(f"{url}/correction", headers=h["resident"], json={"reason": "x"}).status_code
        == 403
    )
    correction = _correct_and_publish(api, h, found)
    # Both stay visible: the old one superseded, its PDF still served.
    assert api.get(url).get_json()["state"] == "superseded"
    assert api.get(f"/api/v1/disclosures/{correction}").get_json()["versions"] == [
        {"id": correction, "version": 2, "state": "published"},
        {"id": found, "version": 1, "state": "superseded"},
    ]
    assert api.get(f"{url}.pdf").status_code == 200
    listed = api.get("/api/v1/communities/heping/disclosures").get_json()["items"]
    assert [d["id"] for d in listed] == [correction, found]
    again = api.post(f"{url}/correction", headers=h["staff"], json={"reason": "x"})
    assert again.status_code == 409


def test_objections_are_for_residents_of_the_community_on_published_versions(
    api: FlaskClient, world: World, h: dict[str, dict[str, str]]
) -> None:
    draft = _create(api, h, period="2026-09")
    # A draft does not exist for a resident (404); a resident who is also staff sees it, and is
    # told it is not published (409).
    assert _object(api, h["resident"], draft).status_code == 404
    clerk = make_user(
        "clerk@example.org",
        community=world.community,
        roles=("staff",),
        resident=make_resident(world.community, name="赵办事", household="H301"),
    )
    db.session.commit()
    unpublished = _object(api, bearer(token_for(clerk)), draft)
    assert unpublished.status_code == 409
    assert error_of(unpublished)["code"] == "not_published"

    found = _published(api, h)
    assert _object(api, h["anonymous"], found).status_code == 401
    for who in ("staff", "supervisor", "other_resident"):
        assert _object(api, h[who], found).status_code == 403, who
    admin = _object(api, h["admin"], found)
    assert admin.status_code == 403
    assert error_of(admin)["code"] == "not_resident"
    assert _object(api, h["resident"], found, kind="gossip").status_code == 422
    assert (
        api.post(
            f"/api/v1/disclosures/{found}/objections", headers=h["resident"], json={"text": " "}
        ).status_code
        == 422
    )
    query = _object(api, h["resident"], found, kind="query")
    assert query.status_code == 201
    assert query.get_json()["kind"] == "query"
    assert api.get(f"/api/v1/disclosures/{found}/objections").get_json()["total"] == 1
    # Objections on the superseded version: refused; its open ones cannot be answered there.
    _correct_and_publish(api, h, found)
    late = _object(api, h["resident"], found)
    assert late.status_code == 409
    assert error_of(late)["code"] == "not_published"
    superseded = api.post(
        f"/api/v1/objections/{query.get_json()['id']}/answer",
        headers=h["staff"],
        json={"text": "已更正"},
    )
    assert superseded.status_code == 409
    assert error_of(superseded)["code"] == "superseded"


def test_overdue_answers_are_escalated_and_shown(
    api: FlaskClient, h: dict[str, dict[str, str]]
) -> None:
    found = _published(api, h)
    query = _object(api, h["resident"], found).get_json()
    clock.freeze(datetime(2026, 11, 17, 2, 0, tzinfo=UTC))  # two days past the 15th
    dashboard = api.get("/api/v1/communities/heping/disclosures/due").get_json()
    assert [q["id"] for q in dashboard["overdue_queries"]] == [query["id"]]
    assert "resident_id" not in dashboard["overdue_queries"][0]
    assert dashboard["overdue_queries"][0]["status"]["days_overdue"] == 2
    url = f"/api/v1/objections/{query['id']}/escalate"
    note = {"note": "逾期未答复，监委会督办"}
    assert api.post(url, headers=h["staff"], json=note).status_code == 403
    assert api.post(url, headers=h["anonymous"], json=note).status_code == 401
    escalated = api.post(url, headers=h["supervisor"], json=note)
    assert escalated.status_code == 200
    assert escalated.get_json()["escalation_note"] == note["note"]
    assert api.post(url, headers=h["supervisor"], json=note).status_code == 409
    answered = api.post(
        f"/api/v1/objections/{query['id']}/answer", headers=h["staff"], json={"text": "已询价。"}
    )
    assert answered.get_json()["status"]["state"] == "late"
    assert (
        api.post(
            "/api/v1/objections/99999999/answer", headers=h["staff"], json={"text": "x"}
        ).status_code
        == 404
    )


def test_the_dashboard_shows_what_is_overdue(
    api: FlaskClient, h: dict[str, dict[str, str]]
) -> None:
    clock.freeze(datetime(2026, 11, 20, 4, 0, tzinfo=UTC))
    due = api.get("/api/v1/communities/heping/disclosures/due")
    assert due.status_code == 200
    body = due.get_json()
    assert body["today"] == "2026-11-20"
    rows = {(r["category"], r["period"]): r for r in body["rows"]}
    october = rows[("finance", "2026-10")]
    assert october["state"] == "overdue"
    assert october["days_overdue"] == 10  # due on the 10th (DSP-03: ten days' grace)
    assert october["disclosure_id"] is None
    assert "DSP-03" in october["rule_ids"]
    assert body["rows"][0]["state"] == "overdue"  # overdue first
    assert api.get("/api/v1/communities/nowhere/disclosures/due").status_code == 404


# ---------------------------------------------------------------- who may do what


@pytest.mark.parametrize(
    ("who", "method", "path", "payload", "status"),
    [
        ("resident", "post", "/communities/heping/disclosures", "new", 403),
        ("supervisor", "post", "/communities/heping/disclosures", "new", 403),
        ("anonymous", "post", "/communities/heping/disclosures", "new", 401),
        ("resident", "patch", "/disclosures/{id}", {"title": "x"}, 403),
        ("supervisor", "post", "/disclosures/{id}/ledger", "csv", 403),
        ("representative", "post", "/disclosures/{id}/submit", None, 403),
        ("staff", "post", "/disclosures/{id}/review", {"decision": "approve"}, 403),
        ("resident", "post", "/disclosures/{id}/review", {"decision": "approve"}, 403),
        ("anonymous", "post", "/disclosures/{id}/publish", {"passphrase": "x" * 10}, 401),
        ("supervisor", "post", "/disclosures/{id}/publish", {"passphrase": "x" * 10}, 403),
        ("staff", "post", "/disclosures/{id}/sign", {"role": "supervisor", "passphrase": "x"}, 403),
        ("resident", "post", "/disclosures/{id}/correction", {"reason": "x"}, 403),
        ("other_resident", "get", "/disclosures/{id}", None, 404),
    ],
)
def test_who_may_not(
    api: FlaskClient,
    h: dict[str, dict[str, str]],
    who: str,
    method: str,
    path: str,
    payload: Any,
    status: int,
) -> None:
    found = _reconciled(api, h)
    url = "/api/v1" + path.format(id=found)
    call = getattr(api, method)
    if payload == "csv":
        response = call(url, headers={**h[who], **CSV}, data=LEDGER.encode())
    elif payload == "new":
        body = {"category": "finance", "period": "2026-10", "title": "x"}
        response = call(url, headers=h[who], json=body)
    else:
        response = call(url, headers=h[who], json=payload)
    assert response.status_code == status, response.get_data(as_text=True)
    error_of(response)


def test_every_disclosure_operation_is_documented(api: FlaskClient) -> None:
    document = api.get("/api/v1/openapi.json").get_json()
    operations = {
        (path, method): op
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "disclosures" in op.get("tags", [])
    }
    assert len(operations) == 20
    assert (
        operations[("/api/v1/disclosures/{disclosure_id}/publish", "post")]["x-permission"]
        == "disclosure:disclosure:publish"
    )
    upload = operations[("/api/v1/disclosures/{disclosure_id}/ledger", "post")]
    assert "text/csv" in upload["requestBody"]["content"]
    assert {"413", "415", "422"} <= set(upload["responses"])
