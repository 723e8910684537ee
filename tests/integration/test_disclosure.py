"""Disclosures (issue 6) through the services, on SQLite and PostgreSQL: drafts, the ledger
import (all-or-nothing), reconciliation, the supervisory review with its comments, publication
(staff sign, a supervisor countersigns; each PDF checked by pyHanko and poppler's pdfsig),
corrections, the board's 15 days, the schedule's dashboard and residents' queries with their
deadlines — with a controllable clock — and every refusal the issue names."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from consult import clock
from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.disclosure import ledger, queries
from consult.disclosure import service as disclosures
from consult.disclosure.models import (
    Disclosure,
    DisclosureState,
    LedgerEntry,
)
from consult.documents import pki, statements
from consult.documents import service as documents
from consult.documents.models import SignerCertificate
from consult.documents.toolkit import toolkit
from consult.errors import Conflict, Invalid, NotAllowed, NotFound
from consult.extensions import db
from consult.registry.enrolment import actor_for
from consult.rules.disclosure import DueState
from tests.factories import make_user

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


@pytest.fixture
def tools(app: Flask) -> Iterator[documents.Toolkit]:
    with app.test_request_context():
        yield replace(toolkit(), verification_url=lambda d: f"https://consult.test/verify?d={d}")


@pytest.fixture
def people(world: Any) -> dict[str, Actor]:
    community = world.community
    second_staff = make_user("staff2@example.org", community=community, roles=("staff",))
    db.session.flush()
    return {
        "staff": actor_for(world.users["staff"], community.id),
        "staff2": actor_for(second_staff, community.id),
        "supervisor": actor_for(world.users["supervisor"], community.id),
        "resident": actor_for(world.users["resident"], community.id),
        "other_resident": actor_for(world.users["other_resident"], world.other.id),
        "representative": actor_for(world.users["representative"], community.id),
        "anonymous": Actor.anonymous(),
    }


def _finance(people: dict[str, Actor], world: Any, period: str = "2026-10") -> Disclosure:
    return disclosures.create_disclosure(
        people["staff"],
        world.community,
        category="finance",
        period=period,
        title="和平里社区2026年10月财务收支公开",
        body="本月收支情况如下，欢迎居民监督。",
    )


def _reconciled(people: dict[str, Actor], world: Any) -> Disclosure:
    found = _finance(people, world)
    assert ledger.import_ledger(people["staff"], found, LEDGER.encode()) == 3
    disclosures.update_disclosure(
        people["staff"], found, opening_balance_fen=OPENING, closing_balance_fen=CLOSING
    )
    return found


def _approved(people: dict[str, Actor], world: Any) -> Disclosure:
    found = _reconciled(people, world)
    disclosures.submit_disclosure(people["staff"], found)
    disclosures.review_disclosure(people["supervisor"], found, "approve")
    return found


def _published(people: dict[str, Actor], world: Any, tools: documents.Toolkit) -> Disclosure:
    found = _approved(people, world)
    statements.publish_disclosure(people["staff"], found, STAFF_PASS, tools)
    statements.countersign_disclosure(
        people["supervisor"], found, "supervisor", SUPERVISOR_PASS, tools
    )
    return found


def _pdfsig_valid(pdf: bytes) -> int:
    assert shutil.which("pdfsig"), "poppler-utils (pdfsig) is missing: `make test` installs it"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        result = subprocess.run(
            ["pdfsig", handle.name], capture_output=True, text=True, check=False, timeout=60
        )
    return result.stdout.count("Signature Validation: Signature is Valid.")


# ---------------------------------------------------------------- drafts and the schedule


def test_create_checks_category_period_and_schedule(people: dict[str, Actor], world: Any) -> None:
    found = _finance(people, world)
    assert found.disclosure_state is DisclosureState.DRAFT
    assert (found.period_first, found.period_last) == (date(2026, 10, 1), date(2026, 10, 31))
    assert found.document_id.startswith("DSC-")
    with pytest.raises(Invalid) as bad:
        disclosures.create_disclosure(
            people["staff"], world.community, category="gossip", period="2026-10", title="x"
        )
    assert "category" in bad.value.details
    with pytest.raises(Invalid) as bad:
        disclosures.create_disclosure(
            people["staff"], world.community, category="finance", period="2026-13", title="x"
        )
    assert "period" in bad.value.details
    # Finance is monthly (DSP-02 for a residents' committee): a quarter is refused.
    with pytest.raises(Invalid) as bad:
        disclosures.create_disclosure(
            people["staff"], world.community, category="finance", period="2026-Q4", title="x"
        )
    assert bad.value.code == "wrong_period"
    # A quarterly item may be disclosed monthly (more than the law asks), or on a day.
    disclosures.create_disclosure(
        people["staff"], world.community, category="decisions", period="2026-10", title="x"
    )
    disclosures.create_disclosure(
        people["staff"], world.community, category="decisions", period="2026-10-15", title="x"
    )


@pytest.mark.parametrize("who", ["resident", "supervisor", "representative", "anonymous"])
def test_only_staff_write(people: dict[str, Actor], world: Any, who: str) -> None:
    with pytest.raises(NotAllowed):
        disclosures.create_disclosure(
            people[who], world.community, category="finance", period="2026-10", title="x"
        )


def test_drafts_are_hidden_from_the_public(people: dict[str, Actor], world: Any) -> None:
    found = _finance(people, world)
    for who in ("resident", "anonymous", "other_resident"):
        with pytest.raises(NotFound):
            disclosures.get_disclosure(people[who], found.id)
    assert disclosures.get_disclosure(people["supervisor"], found.id) is found
    assert disclosures.list_disclosures(people["resident"], world.community) == []
    assert disclosures.list_disclosures(people["staff"], world.community) == [found]


def test_the_count_matches_the_list_with_the_same_filters(
    people: dict[str, Actor], world: Any
) -> None:
    _finance(people, world)
    _finance(people, world, period="2026-11")
    disclosures.create_disclosure(
        people["staff"], world.community, category="decisions", period="2026-10-15", title="x"
    )
    community = world.community
    for who, filters in (
        ("staff", {}),
        ("staff", {"category": "finance"}),
        ("staff", {"period": "2026-10"}),
        ("staff", {"states": [DisclosureState.SUBMITTED]}),
        ("supervisor", {"category": "decisions"}),
        ("resident", {}),  # drafts are not counted for the public
        ("anonymous", {"category": "finance"}),
    ):
        listed = disclosures.list_disclosures(people[who], community, **filters)
        assert disclosures.count_disclosures(people[who], community, **filters) == len(listed)
    assert disclosures.count_disclosures(people["staff"], community) == 3
    assert disclosures.count_disclosures(people["resident"], community) == 0
    with pytest.raises(Invalid):
        disclosures.count_disclosures(people["staff"], community, period="2026-13")


# ---------------------------------------------------------------- the ledger


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("2026-10-32,记-9,x,维修,expense,1.00,", "date"),
        ("2026-10-05,记-9,x,维修,expense,-1.00,", "amount"),
        ("2026-10-05,记-9,x,维修,expense,1.005,", "amount"),
        ("2026-10-05,记-9,x,维修,spend,1.00,", "direction"),
        ("2026-10-05,记-9,=HYPERLINK(1),维修,expense,1.00,", "formula"),
        ("2026-11-05,记-9,x,维修,expense,1.00,", "period"),
    ],
)
def test_a_bad_line_imports_nothing(
    people: dict[str, Actor], world: Any, line: str, error: str
) -> None:
    found = _finance(people, world)
    data = (LEDGER + line + "\n").encode()
    with pytest.raises(Invalid) as bad:
        ledger.import_ledger(people["staff"], found, data)
    assert bad.value.code == "invalid_ledger"
    assert [d["line"] for d in bad.value.details] == [5]
    assert error in bad.value.details[0]["error"].lower() or error == "formula"
    assert ledger.entries_of(found, include_voided=True) == []


def test_non_utf8_bytes_are_refused(people: dict[str, Actor], world: Any) -> None:
    found = _finance(people, world)
    with pytest.raises(Invalid) as bad:
        ledger.import_ledger(people["staff"], found, LEDGER.encode("gb18030"))
    assert bad.value.code == "invalid_ledger"
    assert "UTF-8" in json.dumps(bad.value.details, ensure_ascii=False)
    assert ledger.entries_of(found) == []


def test_import_replace_and_void_keep_every_line(people: dict[str, Actor], world: Any) -> None:
    found = _finance(people, world)
    ledger.import_ledger(people["staff"], found, LEDGER.encode())
    ledger.import_ledger(people["staff"], found, LEDGER.encode(), replace=True)
    assert len(ledger.entries_of(found)) == 3
    assert len(ledger.entries_of(found, include_voided=True)) == 6
    first = ledger.entries_of(found)[0]
    ledger.void_entry(people["staff"], first.id, "重复录入")
    assert len(ledger.entries_of(found)) == 2
    with pytest.raises(Conflict):
        ledger.void_entry(people["staff"], first.id, "again")
    added = ledger.add_entry(
        people["staff"],
        found,
        on="2026-10-03",
        voucher="记-001",
        summary="收到街道办拨付社区服务经费",
        category="政府拨款",
        direction="income",
        amount="50000",
    )
    assert added.amount_fen == 5_000_000
    assert added.source == "hand"
    with pytest.raises(Invalid):
        ledger.add_entry(
            people["staff"],
            found,
            on="2026-10-03",
            voucher="",
            summary="x",
            category="y",
            direction="income",
            amount="0.001",
        )
    statement = ledger.statement_of(found)
    assert (statement.income_fen, statement.expense_fen) == (5_000_000, 488_050)


def test_a_statement_that_does_not_reconcile_is_not_submitted(
    people: dict[str, Actor], world: Any
) -> None:
    found = _finance(people, world)
    ledger.import_ledger(people["staff"], found, LEDGER.encode())
    with pytest.raises(Invalid) as bad:
        disclosures.submit_disclosure(people["staff"], found)
    assert bad.value.code == "balances_missing"
    disclosures.update_disclosure(
        people["staff"], found, opening_balance_fen=OPENING, closing_balance_fen=CLOSING + 1
    )
    with pytest.raises(Invalid) as bad:
        disclosures.submit_disclosure(people["staff"], found)
    assert bad.value.code == "not_reconciled"
    assert bad.value.details["expected_closing_fen"] == CLOSING
    assert found.disclosure_state is DisclosureState.DRAFT
    disclosures.update_disclosure(
        people["staff"], found, opening_balance_fen=OPENING, closing_balance_fen=CLOSING
    )
    disclosures.submit_disclosure(people["staff"], found)
    assert found.disclosure_state is DisclosureState.SUBMITTED


def _write_entries(found: Disclosure) -> list[dict[str, Any]]:
    return [
        json.loads(e.payload)
        for e in db.session.execute(
            select(AuditEntry)
            .where(
                AuditEntry.action == "disclosure:disclosure:write",
                AuditEntry.object_type == "disclosure",
                AuditEntry.object_id == str(found.id),
            )
            .order_by(AuditEntry.id)
        ).scalars()
    ]


def test_balances_given_are_removed_only_while_editable(
    people: dict[str, Actor], world: Any
) -> None:
    found = _reconciled(people, world)
    with pytest.raises(Invalid):  # either give them or remove them
        disclosures.update_disclosure(
            people["staff"],
            found,
            opening_balance_fen=OPENING,
            closing_balance_fen=CLOSING,
            clear_balances=True,
        )
    with pytest.raises(NotAllowed):
        disclosures.update_disclosure(people["supervisor"], found, clear_balances=True)
    assert (found.opening_balance_fen, found.closing_balance_fen) == (OPENING, CLOSING)
    before = len(_write_entries(found))
    disclosures.update_disclosure(people["staff"], found, clear_balances=True)
    assert (found.opening_balance_fen, found.closing_balance_fen) == (None, None)
    entries = _write_entries(found)
    assert len(entries) == before + 1
    assert entries[-1]["balances_cleared"] is True
    assert entries[-1]["opening_balance_fen"] is None
    # Leaving them out changes nothing; a statement with lines needs them to be sent.
    disclosures.update_disclosure(people["staff"], found, title="改过的标题")
    assert found.opening_balance_fen is None
    with pytest.raises(Invalid) as missing:
        disclosures.submit_disclosure(people["staff"], found)
    assert missing.value.code == "balances_missing"
    disclosures.update_disclosure(
        people["staff"], found, opening_balance_fen=OPENING, closing_balance_fen=CLOSING
    )
    disclosures.submit_disclosure(people["staff"], found)
    with pytest.raises(Conflict) as locked:  # under review: nothing changes in place
        disclosures.update_disclosure(people["staff"], found, clear_balances=True)
    assert locked.value.code == "not_editable"
    assert (found.opening_balance_fen, found.closing_balance_fen) == (OPENING, CLOSING)
    # Returned, it may change again.
    disclosures.review_disclosure(people["supervisor"], found, "return", "余额有误")
    disclosures.update_disclosure(people["staff"], found, clear_balances=True)
    assert found.closing_balance_fen is None


# ---------------------------------------------------------------- review


def test_return_with_comment_fix_resubmit_approve(people: dict[str, Actor], world: Any) -> None:
    found = _reconciled(people, world)
    disclosures.submit_disclosure(people["staff"], found)
    with pytest.raises(Conflict):  # under review: no edits
        disclosures.update_disclosure(people["staff"], found, title="changed")
    with pytest.raises(Conflict):
        ledger.import_ledger(people["staff"], found, LEDGER.encode())
    with pytest.raises(Invalid):  # a return says why
        disclosures.review_disclosure(people["supervisor"], found, "return", "  ")
    with pytest.raises(NotAllowed):
        disclosures.review_disclosure(people["staff2"], found, "approve")
    disclosures.review_disclosure(people["supervisor"], found, "return", "请附上记-003的凭证")
    assert found.disclosure_state is DisclosureState.RETURNED
    disclosures.update_disclosure(people["staff"], found, body="已补充凭证说明。")
    disclosures.submit_disclosure(people["staff"], found)
    disclosures.review_disclosure(people["supervisor"], found, "approve", "同意公开")
    assert found.disclosure_state is DisclosureState.APPROVED
    assert [(r.decision, r.comment) for r in disclosures.reviews_of(found)] == [
        ("return", "请附上记-003的凭证"),
        ("approve", "同意公开"),
    ]
    with pytest.raises(Conflict):
        disclosures.review_disclosure(people["supervisor"], found, "approve")


def test_a_supervisor_does_not_review_their_own_submission(
    people: dict[str, Actor], world: Any
) -> None:
    both = make_user("both@example.org", community=world.community, roles=("staff", "supervisor"))
    actor = actor_for(both, world.community.id)
    found = _reconciled(people, world)
    disclosures.submit_disclosure(actor, found)
    with pytest.raises(NotAllowed) as refused:
        disclosures.review_disclosure(actor, found, "approve")
    assert refused.value.code == "own_submission"


# ---------------------------------------------------------------- publication


def test_publish_needs_approval(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    found = _reconciled(people, world)
    with pytest.raises(Conflict) as refused:
        statements.publish_disclosure(people["staff"], found, STAFF_PASS, tools)
    assert refused.value.code == "not_approved"
    disclosures.submit_disclosure(people["staff"], found)
    with pytest.raises(Conflict):
        statements.publish_disclosure(people["staff"], found, STAFF_PASS, tools)
    assert statements.signatures_of(found) == []


def test_staff_sign_supervisor_countersigns_each_pdf_validates(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    found = _approved(people, world)
    with pytest.raises(Conflict):  # the supervisor cannot sign first
        statements.countersign_disclosure(
            people["supervisor"], found, "supervisor", SUPERVISOR_PASS, tools
        )
    first = statements.publish_disclosure(people["staff"], found, STAFF_PASS, tools)
    assert found.disclosure_state is DisclosureState.SIGNING
    check = documents.check_pdf(first.pdf)
    assert check.report.ok
    assert check.report.all_trusted
    assert _pdfsig_valid(first.pdf) == 1
    second = statements.countersign_disclosure(
        people["supervisor"], found, "supervisor", SUPERVISOR_PASS, tools
    )
    assert found.disclosure_state is DisclosureState.PUBLISHED
    assert found.published_at is not None
    check = documents.check_pdf(second.pdf)
    assert check.report.ok, check.as_json("x")
    assert check.report.all_trusted
    assert [s.role for s in check.report.signatures] == ["staff", "supervisor"]
    assert not check.report.modified_after_last_signature
    assert _pdfsig_valid(second.pdf) == 2
    text = _pdftotext(second.pdf)
    for expected in ("和平里社区", "50,000.00", "1,280.50", "55,119.50", found.document_id):
        assert expected in text, expected
    # The document hash at each step is in the audit trail.
    hashes = [
        json.loads(e.payload)["sha256"]
        for e in db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "disclosure:disclosure:sign")
            .order_by(AuditEntry.id)
        ).scalars()
    ]
    assert hashes == [first.sha256, second.sha256]
    # Nothing changes after publication.
    with pytest.raises(Conflict):
        disclosures.update_disclosure(people["staff"], found, title="changed")
    with pytest.raises(Conflict):
        ledger.import_ledger(people["staff"], found, LEDGER.encode())
    entry = ledger.entries_of(found)[0]
    with pytest.raises(Conflict):
        ledger.void_entry(people["staff"], entry.id, "x")


def _pdftotext(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        return subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout


def test_the_staff_signer_does_not_countersign(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    both = make_user("both2@example.org", community=world.community, roles=("staff", "supervisor"))
    actor = actor_for(both, world.community.id)
    found = _approved(people, world)
    statements.publish_disclosure(actor, found, STAFF_PASS, tools)
    with pytest.raises(Conflict) as refused:
        statements.countersign_disclosure(actor, found, "supervisor", SUPERVISOR_PASS, tools)
    assert refused.value.code == "same_signer"


def test_staff_sign_with_a_certificate_from_elsewhere(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    """Staff may bring a PKCS#12 for the staff role (as the minutes' signers may for theirs):
    the next disclosure they publish is signed with it."""
    foreign = pki.make_community_ca("别处", "elsewhere", now=clock.now())
    own = pki.issue_signer_certificate(
        foreign,
        person_name="staff",
        role="staff",
        community_name="别处",
        user_id=9,
        now=clock.now(),
    )
    p12 = pki.pack_pkcs12(own, "p12-passphrase")
    admin = actor_for(world.users["admin"], world.community.id)
    # Without the staff role nobody brings one for it: not a supervisor, a resident, nor the
    # platform administrator (who holds every permission but no signing role).
    for who in (people["supervisor"], people["resident"], admin):
        with pytest.raises(NotAllowed):
            documents.upload_certificate(who, world.community, "staff", p12, "p12-passphrase")
    with pytest.raises(NotAllowed) as not_signer:
        documents.upload_certificate(admin, world.community, "staff", p12, "p12-passphrase")
    assert not_signer.value.code == "not_signer"
    assert db.session.execute(select(func.count(SignerCertificate.id))).scalar_one() == 0
    row = documents.upload_certificate(
        people["staff"], world.community, "staff", p12, "p12-passphrase"
    )
    assert (row.role, row.is_external) == ("staff", True)
    found = _approved(people, world)
    signature = statements.publish_disclosure(people["staff"], found, "p12-passphrase", tools)
    used = db.session.get(SignerCertificate, signature.certificate_id)
    assert used is row
    assert used.is_external
    check = documents.check_pdf(signature.pdf)
    assert check.report.ok
    assert not check.report.all_trusted  # signed, but not under a community's CA


def test_correction_supersedes_and_both_stay_visible(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    found = _published(people, world, tools)
    with pytest.raises(Conflict):
        disclosures.start_correction(people["staff"], _finance(people, world, "2026-09"), "x")
    correction = disclosures.start_correction(people["staff"], found, "记-002金额录入有误")
    assert correction.version == 2
    assert correction.previous_id == found.id
    assert len(ledger.entries_of(correction)) == 3
    with pytest.raises(Conflict):
        disclosures.start_correction(people["staff"], found, "again")
    wrong = ledger.entries_of(correction)[1]
    ledger.void_entry(people["staff"], wrong.id, "金额有误")
    ledger.add_entry(
        people["staff"],
        correction,
        on="2026-10-09",
        voucher="记-002",
        summary="楼道照明维修",
        category="维修",
        direction="expense",
        amount="1208.50",
    )
    disclosures.update_disclosure(
        people["staff"], correction, opening_balance_fen=OPENING, closing_balance_fen=CLOSING + 7200
    )
    disclosures.submit_disclosure(people["staff"], correction)
    disclosures.review_disclosure(people["supervisor"], correction, "approve")
    # Until the correction is published the old version stays on the board.
    statements.publish_disclosure(people["staff"], correction, STAFF_PASS, tools)
    assert found.disclosure_state is DisclosureState.PUBLISHED
    statements.countersign_disclosure(
        people["supervisor"], correction, "supervisor", SUPERVISOR_PASS, tools
    )
    assert found.disclosure_state is DisclosureState.SUPERSEDED
    assert correction.disclosure_state is DisclosureState.PUBLISHED
    public = disclosures.versions_of(people["anonymous"], correction)
    assert [d.version for d in public] == [2, 1]
    archive = disclosures.board(world.community, archive=True)
    assert {item.disclosure.id for item in archive} == {found.id, correction.id}
    assert [item.disclosure.id for item in disclosures.board(world.community)] == [correction.id]
    # The old version's PDF still verifies and says it is not the current one.
    old_pdf = statements.disclosure_pdf(people["anonymous"], found)
    assert documents.check_pdf(old_pdf).report.ok


# ---------------------------------------------------------------- the board: at least 15 days


def test_board_keeps_a_disclosure_up_for_fifteen_days(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    # Published on 2026-11-05 (Beijing): up through 2026-11-20, archived from the 21st (SEM-3).
    clock.freeze(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    found = _published(people, world, tools)
    item = disclosures.board(world.community)[0]
    assert item.published_on == date(2026, 11, 5)
    assert item.posted_until == date(2026, 11, 20)
    clock.freeze(datetime(2026, 11, 20, 15, 59, tzinfo=UTC))  # 23:59 in Beijing
    assert [i.disclosure.id for i in disclosures.board(world.community)] == [found.id]
    clock.freeze(datetime(2026, 11, 20, 16, 0, tzinfo=UTC))  # the 21st in Beijing
    assert disclosures.board(world.community) == []
    archived = disclosures.board(world.community, archive=True)
    assert [i.disclosure.id for i in archived] == [found.id]
    assert not archived[0].on_board


# ---------------------------------------------------------------- the dashboard


def test_dashboard_due_overdue_on_time_and_late(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    world.community.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    # 2026-10 finance is due 2026-11-10 (DSP-03: 10 days after the month ends).
    clock.freeze(datetime(2026, 11, 12, 4, 0, tzinfo=UTC))
    rows = {(r.category.value, str(r.period)): r for r in disclosures.dashboard(world.community)}
    october = rows[("finance", "2026-10")]
    assert october.status.state is DueState.OVERDUE
    assert october.status.days_overdue == 2
    assert october.status.due_on == date(2026, 11, 10)
    assert october.status.rule.id == "DSP-03"
    # Q3 general items (quarterly by policy DSP-01) were due 2026-10-10.
    assert rows[("decisions", "2026-Q3")].status.state is DueState.OVERDUE
    # Publishing October late turns it from overdue into late by 3 days.
    clock.freeze(datetime(2026, 11, 13, 4, 0, tzinfo=UTC))
    _published(people, world, tools)
    rows = {(r.category.value, str(r.period)): r for r in disclosures.dashboard(world.community)}
    assert rows[("finance", "2026-10")].status.state is DueState.LATE
    assert rows[("finance", "2026-10")].status.days_late == 3
    # November's finance is not yet due: the month has not ended... on 2026-12-02 it is due.
    clock.freeze(datetime(2026, 12, 2, 4, 0, tzinfo=UTC))
    rows = {(r.category.value, str(r.period)): r for r in disclosures.dashboard(world.community)}
    assert rows[("finance", "2026-11")].status.state is DueState.DUE
    assert rows[("finance", "2026-11")].status.days_left == 8


def test_village_general_items_are_quarterly_by_statute(
    people: dict[str, Actor], world: Any
) -> None:
    from tests.factories import make_community

    village = make_community("shiqiao", name="石桥村", kind="village")
    village.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    clock.freeze(datetime(2026, 11, 12, 4, 0, tzinfo=UTC))
    rows = disclosures.dashboard(village)
    decisions = [r for r in rows if r.category.value == "decisions"]
    assert {str(r.period) for r in decisions} >= {"2026-Q3"}
    assert all(r.frequency_rule.id == "DS-01" for r in decisions)
    finance = [r for r in rows if r.category.value == "finance"]
    assert "2026-10" in {str(r.period) for r in finance}


# ---------------------------------------------------------------- queries and objections


def test_query_answer_and_deadline(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    clock.freeze(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    found = _published(people, world, tools)
    query = queries.file_query(people["resident"], found, "重阳节慰问的名单能公开吗？")
    assert query.due_on == date(2026, 11, 15)  # DSP-05: ten days
    assert queries.answer_status(query).state is DueState.DUE
    public = queries.query_json(people["anonymous"], query)
    assert "resident_id" not in public
    assert "resident_id" in queries.query_json(people["supervisor"], query)
    clock.freeze(datetime(2026, 11, 17, 2, 0, tzinfo=UTC))
    assert queries.answer_status(query).state is DueState.OVERDUE
    assert queries.answer_status(query).days_overdue == 2
    assert queries.open_queries(world.community) == [query]
    with pytest.raises(NotAllowed):
        queries.escalate_query(people["staff"], query, "x")
    queries.escalate_query(people["supervisor"], query, "逾期未答复，监委会督办")
    with pytest.raises(Conflict):
        queries.escalate_query(people["supervisor"], query, "again")
    with pytest.raises(NotAllowed):
        queries.answer_query(people["resident"], query, "x")
    queries.answer_query(people["staff"], query, "名单已在公开栏张贴，涉及个人信息部分已隐去。")
    assert queries.answer_status(query).state is DueState.LATE
    with pytest.raises(Conflict):
        queries.answer_query(people["staff"], query, "again")


@pytest.mark.parametrize("who", ["other_resident", "staff", "anonymous", "supervisor"])
def test_only_a_resident_of_the_community_files(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit, who: str
) -> None:
    found = _published(people, world, tools)
    with pytest.raises(NotAllowed):
        queries.file_query(people[who], found, "?")
    assert queries.queries_on(found) == []


def test_no_query_on_an_unpublished_disclosure(people: dict[str, Actor], world: Any) -> None:
    found = _approved(people, world)
    with pytest.raises(Conflict) as refused:
        queries.file_query(people["resident"], found, "?")
    assert refused.value.code == "not_published"


def test_no_answer_after_the_disclosure_was_superseded(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    found = _published(people, world, tools)
    query = queries.file_query(people["resident"], found, "记-002金额对吗？", kind="objection")
    correction = disclosures.start_correction(people["staff"], found, "更正记-002")
    disclosures.submit_disclosure(people["staff"], correction)
    disclosures.review_disclosure(people["supervisor"], correction, "approve")
    statements.publish_disclosure(people["staff"], correction, STAFF_PASS, tools)
    statements.countersign_disclosure(
        people["supervisor"], correction, "supervisor", SUPERVISOR_PASS, tools
    )
    with pytest.raises(Conflict) as refused:
        queries.answer_query(people["staff"], query, "已更正")
    assert refused.value.code == "superseded"
    assert query.answer is None
    # The question was carried to the correction, with its deadline, and is answered there.
    carried = queries.carried_to(query)
    assert carried is not None
    assert refused.value.details["carried_to"] == carried.id
    assert (carried.disclosure_id, carried.text, carried.due_on, carried.kind) == (
        correction.id,
        query.text,
        query.due_on,
        "objection",
    )
    assert queries.open_queries(world.community) == [carried]
    queries.answer_query(people["staff"], carried, "已在更正版本中更正。")
    assert queries.open_queries(world.community) == []


def test_policy_changes_are_new_rows(people: dict[str, Actor], world: Any) -> None:
    assert disclosures.community_policy(world.community).answer_days == 10
    disclosures.set_policy(people["staff"], world.community, answer_days=5)
    assert disclosures.community_policy(world.community).answer_days == 5
    with pytest.raises(Invalid):
        disclosures.set_policy(people["staff"], world.community, answer_days=0)
    with pytest.raises(NotAllowed):
        disclosures.set_policy(people["supervisor"], world.community, answer_days=7)
    count = db.session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
    assert count == 0


def test_audit_never_holds_a_query_text(
    people: dict[str, Actor], world: Any, tools: documents.Toolkit
) -> None:
    found = _published(people, world, tools)
    queries.file_query(people["resident"], found, "私人信息：我的电话13800000000")
    payloads = db.session.execute(
        select(AuditEntry.payload).where(AuditEntry.action == "disclosure:query:file")
    ).scalars()
    assert all("13800000000" not in p for p in payloads)
