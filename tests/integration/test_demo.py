"""The demo (`consult demo`): a believable community, loaded through the real services, twice
without changing anything, with logins that work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from consult.accounts.models import RoleAssignment, User
from consult.accounts.service import authenticate
from consult.actor import Role
from consult.audit.models import AuditEntry
from consult.demo import DEMO_PASSWORD, load_demo
from consult.demo.people import to_csv
from consult.demo.plans import heping, shiqiao
from consult.disclosure.models import Disclosure, DisclosureQuery, LedgerEntry
from consult.extensions import db
from consult.meetings.attachment_models import Attachment, AttachmentBlob
from consult.meetings.candidate_models import Candidate
from consult.meetings.charter_models import Charter
from consult.meetings.models import Attendance, Meeting
from consult.registry.enrolment import actor_for
from consult.registry.models import (
    Community,
    Household,
    ImportBatch,
    PoliticalRightsRecord,
    Resident,
    ResidentGroup,
    ResidentVersion,
)
from consult.registry.service import get_community, groups_of
from consult.rules.idcard import parse_id_number

pytestmark = pytest.mark.integration

COUNTED = (
    Community,
    ResidentGroup,
    Household,
    Resident,
    ResidentVersion,
    ImportBatch,
    PoliticalRightsRecord,
    User,
    RoleAssignment,
    AuditEntry,
    Attachment,
    AttachmentBlob,
    Candidate,
    Charter,
    Disclosure,
    LedgerEntry,
    DisclosureQuery,
)


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in COUNTED
    }


def _residents(code: str) -> int:
    community = get_community(code)
    return db.session.execute(
        select(func.count(Resident.id)).where(Resident.community_id == community.id)
    ).scalar_one()


def test_demo_data_is_the_same_every_time() -> None:
    assert to_csv(heping().people) == to_csv(heping().people)
    assert to_csv(shiqiao().people) == to_csv(shiqiao().people)


def test_demo_ids_match_birth_dates_and_genders() -> None:
    people = heping().people
    for person in people:
        if person.id_number:
            assert parse_id_number(person.id_number) == (person.birth_date, person.gender)
    dongcheng = [p for p in people if p.id_number and p.id_number.startswith("110101")]
    assert len(dongcheng) > 0.9 * len(people)


def test_loading_the_demo_twice_changes_nothing(db_session: Any) -> None:
    first = load_demo()
    after_first = _counts()
    second = load_demo()
    assert _counts() == after_first
    assert first == second
    assert after_first["Attachment"] == after_first["AttachmentBlob"] == 1  # the site sketch
    assert after_first["Charter"] == 1  # 和平里社区's charter tightens major matters
    states = {m["title"]: m["state"] for m in first["meetings"]}
    assert sorted(states.values()) == ["adjourned", "in_session", "noticed", "noticed"]
    standing = select(func.count(Candidate.id)).where(Candidate.withdrawn_at.is_(None))
    assert db.session.execute(standing).scalar_one() == 3  # the election's candidates
    running = db.session.execute(select(Meeting).where(Meeting.state == "in_session")).scalar_one()
    present = select(func.count(Attendance.id)).where(Attendance.meeting_id == running.id)
    assert db.session.execute(present).scalar_one() == 1  # one more at the desk meets the quorum
    assert 700 <= _residents("heping") <= 900
    assert 30 <= _residents("shiqiao") <= 60
    assert first["community"] == {"code": "heping", "name": "和平里社区"}
    summary = {c["code"]: c for c in first["communities"]}
    assert summary["heping"]["households"] == 300
    assert summary["shiqiao"]["kind"] == "village"


def test_demo_register_looks_like_a_real_neighbourhood(db_session: Any) -> None:
    load_demo()
    community = get_community("heping")
    residents = list(
        db.session.execute(select(Resident).where(Resident.community_id == community.id)).scalars()
    )
    today = date(2026, 9, 1)
    ages = [(today - r.birth_date).days // 365 for r in residents]
    assert sum(a < 18 for a in ages) >= 50
    assert sum(a >= 60 for a in ages) >= 0.25 * len(ages)
    assert {r.gender for r in residents} == {"M", "F"}
    assert sum(1 for r in residents if r.id_number_masked) > 0.9 * len(residents)
    assert {g.code for g in groups_of(community)} == {f"第{n}居民小组" for n in "一二三四五六七八"}
    registrations = {r.registration for r in residents}
    assert registrations == {"household_register", "habitual_resident", "worker"}
    assert all(
        r.registered_since is not None for r in residents if r.registration != "household_register"
    )
    deprived = [r for r in residents if r.is_deprived_of_political_rights]
    assert len(deprived) == 1
    record = db.session.execute(
        select(PoliticalRightsRecord).where(PoliticalRightsRecord.resident_id == deprived[0].id)
    ).scalar_one()
    assert record.is_deprived
    assert record.reason


def test_demo_logins_work_and_hold_their_roles(db_session: Any) -> None:
    result = load_demo()
    emails = {login["email"] for login in result["logins"]}
    assert {
        "admin@demo.consult",
        "staff@heping.demo",
        "chair@heping.demo",
        "recorder@heping.demo",
        "supervisor@heping.demo",
        "rep1@heping.demo",
        "rep2@heping.demo",
        "rep3@heping.demo",
        "resident@heping.demo",
    } <= emails
    heping_id = get_community("heping").id
    expected = {
        "staff@heping.demo": {Role.STAFF},
        "chair@heping.demo": {Role.CHAIR, Role.STAFF},
        "recorder@heping.demo": {Role.RECORDER},
        "supervisor@heping.demo": {Role.SUPERVISOR},
        "rep1@heping.demo": {Role.REPRESENTATIVE, Role.RESIDENT},
        "rep3@heping.demo": {Role.REPRESENTATIVE, Role.RESIDENT},
        "resident@heping.demo": {Role.RESIDENT},
    }
    for login in result["logins"]:
        assert login["password"] == DEMO_PASSWORD
        user = authenticate(login["email"], login["password"])
        assert user is not None, login["email"]
        if login["email"] in expected:
            assert set(actor_for(user, heping_id).roles) == expected[login["email"]]
    admin = authenticate("admin@demo.consult", DEMO_PASSWORD)
    assert admin is not None
    assert admin.is_admin
    resident_user = authenticate("resident@heping.demo", DEMO_PASSWORD)
    assert resident_user is not None
    assert resident_user.is_verified
    linked = db.session.get(Resident, resident_user.resident_id)
    assert linked is not None
    assert (date(2026, 9, 1) - linked.birth_date).days >= 70 * 365
    staff_shiqiao = authenticate("staff@shiqiao.demo", DEMO_PASSWORD)
    assert staff_shiqiao is not None
    other = actor_for(staff_shiqiao, heping_id)
    assert Role.STAFF not in other.roles  # staff of the village are nobody in 和平里


def test_generated_registers_pass_the_importers_checks() -> None:
    """The generator behind the demo and the benchmark writes only valid, distinct lines."""
    import random

    from consult.demo.people import RegisterGenerator
    from consult.registry.csvio import parse_residents

    gen = RegisterGenerator(random.Random(7), date(2026, 9, 1))
    people = []
    for n in range(400):
        people += gen.household(f"H{n:04d}", f"G{n % 5}", area="110105", without_id_share=0.05)
    rows, errors = parse_residents(to_csv(people).decode("utf-8"), date(2026, 11, 1))
    assert errors == []
    assert len(rows) == len(people) > 800
    numbers = [r.id_number for r in rows if r.id_number]
    assert len(numbers) == len(set(numbers))
    assert len({(r.household, r.name) for r in rows}) == len(rows)


def test_the_demo_resident_can_vote_in_the_open_vote(db_session: Any) -> None:
    from consult.voting import service as voting

    result = load_demo()
    assert [v["title"] for v in result["open_votes"]] == ["快递驿站选址（全体户代表表决）"]
    resident = authenticate("resident@heping.demo", DEMO_PASSWORD)
    assert resident is not None
    actor = actor_for(resident, get_community("heping").id)
    open_votes = voting.open_votes_for(actor)
    assert [v.title for v in open_votes] == ["快递驿站选址（全体户代表表决）"]
    cast = voting.cast_ballot(actor, open_votes[0], choice="两处都设")
    assert len(cast.receipt) == 26


def test_the_demo_discloses_and_the_village_is_overdue(db_session: Any) -> None:
    from consult import clock
    from consult.disclosure import service as disclosures
    from consult.documents import statements
    from consult.documents.service import check_pdf

    result = load_demo()
    heping_id = get_community("heping").id
    states = sorted(
        (d.period, d.category, d.version, d.state)
        for d in db.session.execute(
            select(Disclosure).where(Disclosure.community_id == heping_id)
        ).scalars()
    )
    assert states == [
        ("2026-09", "finance", 1, "superseded"),
        ("2026-09", "finance", 2, "published"),
        ("2026-10", "finance", 1, "published"),
        ("2026-11", "finance", 1, "submitted"),
        ("2026-Q3", "decisions", 1, "published"),
    ]
    october = db.session.get(Disclosure, int(result["disclosures"]["statement"].rsplit("/", 1)[1]))
    assert october is not None
    assert october.period == "2026-10"
    check = check_pdf(statements.disclosure_pdf(actor_for_nobody(), october))
    assert check.ok
    assert check.is_current
    answered = db.session.execute(
        select(func.count(DisclosureQuery.id)).where(DisclosureQuery.answered_at.is_not(None))
    ).scalar_one()
    assert answered == 1
    # 石桥村 has published nothing: on 2027-01-20 its Q4 items and December's finance are overdue.
    clock.freeze(datetime(2027, 1, 20, 4, 0, tzinfo=UTC))
    rows = disclosures.dashboard(get_community("shiqiao"))
    overdue = {(r.category.value, str(r.period)) for r in rows if r.status.is_overdue}
    assert ("finance", "2026-12") in overdue
    assert ("decisions", "2026-Q4") in overdue


def actor_for_nobody() -> Any:
    from consult.actor import Actor

    return Actor.anonymous()
