"""Meeting services, called directly: bodies and composition warnings, the notice period, the
frozen agenda, Party-organization review, sign-in, proxies, quorum, and that each bad input is
refused with the right error and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult import clock
from consult.actor import Actor, Role
from consult.audit.models import AuditEntry
from consult.errors import Conflict, Invalid, NotAllowed, NotFound, Unauthenticated
from consult.extensions import db
from consult.meetings import service
from consult.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceVersion,
    Body,
    Invitation,
    Meeting,
    Membership,
)
from consult.registry.enrolment import actor_for
from tests.factories import make_body, make_community, make_meeting, make_resident, make_user

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai


@pytest.fixture
def town(db_session: Any) -> dict[str, Any]:
    """An urban community with eight adults in four households, a child, and a staff member."""
    clock.freeze(NOW)
    community = make_community("pingan", name="平安里社区")
    people = [
        make_resident(community, name=f"成人{n}", household=f"H{n // 2}", gender="MF"[n % 2])
        for n in range(8)
    ]
    child = make_resident(community, name="孩子", household="H0", birth_date=date(2015, 5, 5))
    staff_user = make_user(community=community, roles=("staff",))
    resident_user = make_user(resident=people[0])
    db_session.flush()
    return {
        "community": community,
        "people": people,
        "child": child,
        "staff": actor_for(staff_user, community.id),
        "resident": actor_for(resident_user, community.id),
    }


def audit_count(action: str | None = None) -> int:
    query = select(func.count(AuditEntry.id))
    if action:
        query = query.where(AuditEntry.action == action)
    return int(db.session.execute(query).scalar_one())


def count(model: Any) -> int:
    return int(db.session.execute(select(func.count(model.id))).scalar_one())


def in_session(town: dict[str, Any], body: Body | None = None, **kw: Any) -> Meeting:
    meeting = make_meeting(town["community"], body, state="in_session", **kw)
    clock.freeze(meeting.starts_at)
    return meeting


def sign_in(town: dict[str, Any], meeting: Meeting, who: Any, **kw: Any) -> Attendance:
    return service.record_attendance(
        town["staff"], meeting, resident_id=who.id, status=kw.pop("status", "present"), **kw
    )


# ---------------------------------------------------------------- bodies


def test_a_residents_meeting_counts_the_eligible_adults_of_the_register(town):
    body = service.create_body(
        town["staff"], town["community"], kind="residents_meeting", name="居民会议"
    ).body
    assert body.mode == "all_adults"
    meeting = make_meeting(town["community"], body)
    assert service.roll(meeting).members == 8  # the child is not a member (URC25-08)
    assert meeting.rule_set_id == "urban-2026"


def test_household_mode_counts_households(town):
    body = make_body(town["community"], mode="households")
    assert service.roll(make_meeting(town["community"], body)).households == 4


def test_representative_meeting_composition_warnings_are_returned_and_audited(town):
    people = town["people"]
    make_body(town["community"], "committee", members=people[:5])
    result = service.create_body(
        town["staff"],
        town["community"],
        kind="representative_council",
        name="居民代表会议",
        members=[p.id for p in people],  # 5 committee members of 8: representatives 3/8 < 4/5
    )
    assert [w.code for w in result.warnings] == ["representatives_share"]
    assert result.warnings[0].citation.rule_id == "URC25-24"
    entry = (
        db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "meetings:bodies:create")
            .order_by(AuditEntry.id.desc())
        )
        .scalars()
        .first()
    )
    assert "representatives_share" in entry.payload
    assert "URC25-24" in entry.payload


def test_village_representative_meeting_wants_a_third_women(db_session):
    clock.freeze(NOW)
    village = make_community("shiqiao", kind="village")
    men = [make_resident(village, household=f"V{n}", gender="M") for n in range(5)]
    result = service.create_body(
        Actor.system("t"),
        village,
        kind="representative_council",
        name="村民代表会议",
        members=[m.id for m in men],
    )
    assert [(w.code, w.citation.rule_id) for w in result.warnings] == [("women_share", "VC25-19")]


def test_supervisory_committee_excludes_committee_members_and_their_households(town):
    people = town["people"]
    make_body(town["community"], "committee", members=people[:5])  # households H0, H1, H2
    result = service.create_body(
        town["staff"],
        town["community"],
        kind="supervisory_council",
        name="居务监督委员会",
        members=[people[4].id, people[5].id, people[6].id],  # 4 sits; 5 is 4's household (H2)
    )
    found = {w.code: w for w in result.warnings}
    assert found["supervisory_committee_member"].residents == (people[4].id,)
    assert found["supervisory_close_relative"].residents == (people[5].id,)
    assert found["supervisory_close_relative"].approximated
    assert found["supervisory_close_relative"].citation.rule_id == "URC25-35"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "parliament"}, "kind"),
        ({"kind": "committee"}, "members"),  # a committee names its members
        ({"kind": "residents_meeting", "members": "first"}, "members"),  # computed, not named
        ({"kind": "residents_meeting", "mode": "everyone"}, "mode"),
        ({"kind": "committee", "mode": "households", "members": "first"}, "mode"),
        ({"kind": "group_meeting"}, "kind"),  # the urban law has no group meeting
        ({"kind": "members_meeting", "members": "first"}, "kind"),  # rural collectives only
        ({"kind": "committee", "members": "other"}, "members"),  # not of this community
        ({"kind": "committee", "name": " "}, "name"),
    ],
)
def test_a_bad_body_is_refused_whole(town, kwargs, field):
    other = make_community()
    stranger = make_resident(other)
    members = {"first": [town["people"][0].id], "other": [stranger.id], None: None}
    args = {"name": "某机构", **kwargs}
    args["members"] = members[kwargs.get("members")]
    before = (count(Body), count(Membership), audit_count())
    with pytest.raises(Invalid) as caught:
        service.create_body(town["staff"], town["community"], **args)
    assert field in caught.value.details
    assert (count(Body), count(Membership), audit_count()) == before


def test_group_representatives_exist_only_in_urban_communities(db_session):
    clock.freeze(NOW)
    village = make_community("v2", kind="village")
    person = make_resident(village)
    with pytest.raises(Invalid) as caught:
        service.create_body(
            Actor.system("t"),
            village,
            kind="residents_meeting",
            name="村民会议",
            mode="group_representatives",
            members=[person.id],
        )
    assert "mode" in caught.value.details


# ---------------------------------------------------------------- meetings and notice


def test_a_meeting_is_judged_by_the_rule_set_in_force_on_its_local_date(town):
    body = make_body(town["community"])
    clock.freeze(datetime(2025, 11, 1, tzinfo=UTC))
    old = make_meeting(
        town["community"], body, starts_at=datetime(2025, 12, 31, 15, 59, tzinfo=UTC)
    )
    new = make_meeting(town["community"], body, starts_at=datetime(2025, 12, 31, 16, 0, tzinfo=UTC))
    assert old.rule_set_id == "urban-1990"  # 23:59 on 31 December in Shanghai
    assert new.rule_set_id == "urban-2026"  # 00:00 on 1 January in Shanghai


@pytest.mark.parametrize(
    ("agenda", "field"),
    [
        ([("土地承包方案", "land_contracting")], "agenda[0].decision_type"),  # not urban
        ([("x", "referendum")], "agenda[0].decision_type"),
        ([("", "ordinary")], "agenda[0].title"),
    ],
)
def test_an_agenda_item_the_rule_set_does_not_know_is_422_and_nothing_is_created(
    town, agenda, field
):
    body = make_body(town["community"])
    before = (count(Meeting), count(AgendaItem), audit_count())
    with pytest.raises(Invalid) as caught:
        service.create_meeting(
            town["staff"],
            town["community"],
            body_id=body.id,
            title="会议",
            starts_at=NOW + timedelta(days=20),
            agenda=[service.NewItem(t, d) for t, d in agenda],
        )
    assert field in caught.value.details
    assert (count(Meeting), count(AgendaItem), audit_count()) == before


def test_notice_ten_days_ahead_is_enough_and_nine_is_not(town):
    body = make_body(town["community"])
    # Notice on 1 June (Shanghai): the period runs 2–11 June, so 11 June is the earliest day.
    ok = make_meeting(town["community"], body, starts_at=datetime(2026, 6, 11, 1, tzinfo=UTC))
    service.notice_meeting(town["staff"], ok)
    assert ok.state == "noticed"
    assert not ok.is_short_notice
    assert ok.notice_days_required == 10  # URC25-22

    early = make_meeting(town["community"], body, starts_at=datetime(2026, 6, 10, 1, tzinfo=UTC))
    before = audit_count()
    with pytest.raises(Conflict) as caught:
        service.notice_meeting(town["staff"], early)
    assert caught.value.code == "notice_period"
    assert caught.value.details["rule"]["id"] == "URC25-22"
    assert early.state == "draft"
    assert audit_count() == before


def test_a_recorded_short_notice_reason_is_the_statutory_exception(town):
    meeting = make_meeting(
        town["community"], starts_at=NOW + timedelta(days=2), short_notice_reason="台风抢险"
    )
    service.notice_meeting(town["staff"], meeting)
    assert meeting.is_short_notice
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "meetings:meeting:notice")
    ).scalar_one()
    assert "台风抢险" in entry.payload
    assert service.meeting_summary(meeting)["notice"]["short_notice_reason"] == "台风抢险"


def test_a_collectives_members_meeting_allows_no_short_notice(db_session):
    clock.freeze(NOW)
    village = make_community("v3", kind="village")
    members = [make_resident(village, household=f"C{n}") for n in range(3)]
    body = make_body(village, "members_meeting", members=members)
    meeting = make_meeting(
        village, body, starts_at=NOW + timedelta(days=3), short_notice_reason="急事"
    )
    assert meeting.rule_set_id == "collective-2025"
    with pytest.raises(Conflict) as caught:
        service.notice_meeting(Actor.system("t"), meeting)
    assert caught.value.details["rule"]["id"] == "COL-04"
    assert meeting.state == "draft"


def test_the_agenda_is_frozen_at_notice(town):
    meeting = make_meeting(town["community"], state="noticed")
    before = (count(AgendaItem), audit_count())
    with pytest.raises(Conflict) as caught:
        service.add_agenda_item(town["staff"], meeting, title="临时动议", decision_type="ordinary")
    assert caught.value.code == "agenda_frozen"
    assert (count(AgendaItem), audit_count()) == before


def test_an_urgent_item_enters_in_session_only_with_its_decision(town):
    meeting = in_session(town)
    with pytest.raises(Conflict):
        service.add_agenda_item(town["staff"], meeting, title="紧急事项", decision_type="ordinary")
    item = service.add_agenda_item(
        town["staff"],
        meeting,
        title="紧急事项",
        decision_type="ordinary",
        urgent_decision="经到会人员过半数同意列入议程（第3号程序决定）",
    )
    assert item.is_urgent
    assert item.position == 2


def test_a_draft_agenda_takes_items_and_their_notice_period(town):
    body = make_body(town["community"], "committee", members=town["people"][:5])
    meeting = make_meeting(town["community"], body, agenda=(("分工", "ordinary"),))
    assert meeting.notice_days_required is None  # the law sets none for a committee
    service.add_agenda_item(town["staff"], meeting, title="协商", decision_type="consultation")
    assert [i.position for i in meeting.agenda] == [1, 2]


def test_opening_is_allowed_from_sixty_minutes_before_the_start(town):
    meeting = make_meeting(town["community"], state="noticed")
    with pytest.raises(Conflict) as caught:
        service.open_meeting(town["staff"], meeting, at=meeting.starts_at - timedelta(minutes=61))
    assert caught.value.code == "too_early"
    service.open_meeting(town["staff"], meeting, at=meeting.starts_at - timedelta(minutes=60))
    assert meeting.state == "in_session"


def test_a_draft_cannot_open_and_a_noticed_meeting_cannot_be_noticed_again(town):
    draft = make_meeting(town["community"])
    with pytest.raises(Conflict):
        service.open_meeting(town["staff"], draft, at=draft.starts_at)
    noticed = make_meeting(town["community"], state="noticed")
    with pytest.raises(Conflict):
        service.notice_meeting(town["staff"], noticed)


def test_every_change_to_an_adjourned_meeting_is_409_and_changes_nothing(town):
    meeting = make_meeting(town["community"], agenda=(("重大事项", "major"),), state="adjourned")
    item = meeting.agenda[0]
    before = (count(Attendance), count(AgendaItem), audit_count())
    attempts = [
        lambda: service.add_agenda_item(
            town["staff"], meeting, title="x", decision_type="ordinary", urgent_decision="y"
        ),
        lambda: sign_in(town, meeting, town["people"][0]),
        lambda: service.record_departure(town["staff"], meeting, resident_id=town["people"][0].id),
        lambda: service.open_meeting(town["staff"], meeting),
        lambda: service.notice_meeting(town["staff"], meeting),
        lambda: service.adjourn_meeting(town["staff"], meeting),
        lambda: service.record_party_review(town["staff"], item, reference="党支部会议纪要"),
        lambda: service.correct_attendance(
            town["staff"], meeting, resident_id=town["people"][0].id, status="absent", reason="r"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict):
            attempt()
    assert meeting.state == "adjourned"
    assert (count(Attendance), count(AgendaItem), audit_count()) == before


def test_the_supervisory_committee_is_invited_to_representative_meetings(town):
    people = town["people"]
    council = make_body(town["community"], "representative_council", members=people[:6])
    supervisory = make_body(town["community"], "supervisory_council", members=people[6:])
    meeting = make_meeting(town["community"], council, state="noticed")
    invitation = db.session.execute(
        select(Invitation).where(Invitation.meeting_id == meeting.id)
    ).scalar_one()
    assert (invitation.body_id, invitation.rule_id) == (supervisory.id, "URC25-35")


def test_a_missing_supervisory_committee_is_a_recorded_warning(town):
    council = make_body(town["community"], "representative_council", members=town["people"][:6])
    make_meeting(town["community"], council, state="noticed")
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "meetings:meeting:notice")
    ).scalar_one()
    assert "no supervisory committee recorded" in entry.payload


# ---------------------------------------------------------------- Party-organization review


def test_a_major_item_cannot_go_to_a_vote_before_the_party_review(town):
    meeting = in_session(town, agenda=(("旧改方案", "major"), ("报告", "ordinary")))
    major, ordinary = meeting.agenda
    assert not service.can_vote(major).ok
    assert "URC25-28" in service.can_vote(major).reasons[0]
    assert service.can_vote(ordinary).ok
    service.record_party_review(town["staff"], major, reference="社区党委2026年第5次会议")
    assert service.can_vote(major).ok
    with pytest.raises(Conflict):
        service.record_party_review(town["staff"], major, reference="again")
    with pytest.raises(Conflict) as caught:
        service.record_party_review(town["staff"], ordinary, reference="not needed")
    assert caught.value.code == "no_review_gate"


# ---------------------------------------------------------------- attendance


def test_signing_in_a_non_member_is_422_and_nothing_changes(town):
    meeting = in_session(town)
    stranger = make_resident(make_community())
    before = (count(Attendance), audit_count())
    for who in (town["child"], stranger):
        with pytest.raises(Invalid) as caught:
            sign_in(town, meeting, who)
        assert caught.value.code == "not_a_member"
    assert (count(Attendance), audit_count()) == before


def test_signing_in_someone_not_on_the_council_is_422(town):
    council = make_body(town["community"], "representative_council", members=town["people"][:5])
    meeting = in_session(town, council)
    with pytest.raises(Invalid):
        sign_in(town, meeting, town["people"][7])


def test_the_same_person_twice_is_409_and_nothing_changes(town):
    meeting = in_session(town)
    sign_in(town, meeting, town["people"][0])
    before = (count(Attendance), count(AttendanceVersion), audit_count())
    with pytest.raises(Conflict) as caught:
        sign_in(town, meeting, town["people"][0], status="absent")
    assert caught.value.code == "already_signed_in"
    assert (count(Attendance), count(AttendanceVersion), audit_count()) == before


def test_one_row_per_person_per_meeting_is_a_database_constraint(town):
    meeting = in_session(town)
    sign_in(town, meeting, town["people"][0])
    duplicate = Attendance(meeting_id=meeting.id, resident_id=town["people"][0].id, status="absent")
    savepoint = db.session.begin_nested()
    db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        db.session.flush()
    savepoint.rollback()


def test_household_mode_admits_one_person_per_household(town):
    meeting = in_session(town, make_body(town["community"], mode="households"))
    people = town["people"]
    sign_in(town, meeting, people[0])  # H0
    before = (count(Attendance), audit_count())
    with pytest.raises(Conflict) as caught:
        sign_in(town, meeting, people[1])  # H0 again
    assert caught.value.code == "household_represented"
    assert (count(Attendance), audit_count()) == before
    sign_in(town, meeting, people[1], status="absent")  # an absence represents nobody
    status = service.quorum(meeting)
    assert (status.members, status.present, status.required) == (4, 1, 3)  # households


def test_proxies_at_most_three_per_holder(town):
    meeting = in_session(town)
    holder, *principals = town["people"][:5]
    sign_in(town, meeting, holder)
    for p in principals[:3]:
        sign_in(town, meeting, p, status="proxy", proxy_holder_id=holder.id)
    before = (count(Attendance), audit_count())
    with pytest.raises(Conflict) as caught:
        sign_in(town, meeting, principals[3], status="proxy", proxy_holder_id=holder.id)
    assert caught.value.code == "proxy_limit"
    assert caught.value.details["rule"]["id"] == "URC25-14"
    assert (count(Attendance), audit_count()) == before
    assert service.quorum(meeting).present == 4


def test_a_proxy_held_by_a_non_member_is_422(town):
    meeting = in_session(town)
    with pytest.raises(Invalid) as caught:
        sign_in(town, meeting, town["people"][1], status="proxy", proxy_holder_id=town["child"].id)
    assert "proxy_holder_id" in caught.value.details


def test_a_proxy_holder_must_be_present_and_a_proxy_must_name_one(town):
    meeting = in_session(town)
    with pytest.raises(Conflict) as caught:
        sign_in(
            town, meeting, town["people"][1], status="proxy", proxy_holder_id=town["people"][2].id
        )
    assert caught.value.code == "holder_not_present"
    with pytest.raises(Invalid):
        sign_in(town, meeting, town["people"][1], status="proxy")
    with pytest.raises(Invalid):
        sign_in(town, meeting, town["people"][1], status="late")


def test_representative_meetings_take_no_proxies(town):
    council = make_body(town["community"], "representative_council", members=town["people"][:6])
    meeting = in_session(town, council)
    sign_in(town, meeting, town["people"][0])
    with pytest.raises(Conflict) as caught:
        sign_in(
            town, meeting, town["people"][1], status="proxy", proxy_holder_id=town["people"][0].id
        )
    assert caught.value.code == "proxy_not_allowed"


def test_a_collectives_proxy_must_be_of_the_same_household(db_session):
    clock.freeze(NOW)
    village = make_community("v4", kind="village")
    a1, a2 = (make_resident(village, household="A") for _ in range(2))
    b1 = make_resident(village, household="B")
    body = make_body(village, "members_meeting", members=[a1, a2, b1])
    meeting = make_meeting(village, body, state="in_session")
    clock.freeze(meeting.starts_at)
    system = Actor.system("t")
    service.record_attendance(system, meeting, resident_id=a1.id, status="present")
    with pytest.raises(Conflict) as caught:
        service.record_attendance(
            system, meeting, resident_id=b1.id, status="proxy", proxy_holder_id=a1.id
        )
    assert caught.value.code == "proxy_household"
    assert caught.value.details["rule"]["id"] == "COL-05"
    service.record_attendance(
        system, meeting, resident_id=a2.id, status="proxy", proxy_holder_id=a1.id
    )
    status = service.quorum(meeting)
    assert (status.members, status.present, status.required, status.met) == (3, 2, 2, True)


def test_attendance_before_the_session_opens_is_409(town):
    meeting = make_meeting(town["community"], state="noticed")
    with pytest.raises(Conflict):
        sign_in(town, meeting, town["people"][0])


def test_quorum_of_a_residents_meeting_is_more_than_half_of_the_adults(town):
    meeting = in_session(town)
    people = town["people"]
    for p in people[:4]:
        sign_in(town, meeting, p)
    status = service.quorum(meeting)
    assert (status.members, status.present, status.required, status.met) == (8, 4, 5, False)
    late = sign_in(town, meeting, people[4], at=meeting.starts_at + timedelta(minutes=20))
    assert service.quorum(meeting).met
    assert service.attendance_counts(meeting)["late"] == 1
    assert late.arrived_at == meeting.starts_at + timedelta(minutes=20)
    body = service.quorum_json(meeting)
    assert body["rule"]["id"] == "URC25-23"
    assert {"members", "present", "required", "met", "rule"} <= set(body)


def test_an_early_departure_lowers_the_quorum_once(town):
    meeting = in_session(town)
    people = town["people"]
    for p in people[:5]:
        sign_in(town, meeting, p)
    sign_in(town, meeting, people[5], status="proxy", proxy_holder_id=people[0].id)
    assert service.quorum(meeting).present == 6
    service.record_departure(town["staff"], meeting, resident_id=people[0].id)
    assert service.quorum(meeting).present == 4  # the holder and the proxy carried
    with pytest.raises(Conflict):
        service.record_departure(town["staff"], meeting, resident_id=people[0].id)


def test_representative_meeting_quorum_is_two_thirds_or_more(town):
    council = make_body(town["community"], "representative_council", members=town["people"][:6])
    meeting = in_session(town, council)
    for p in town["people"][:4]:
        sign_in(town, meeting, p)
    status = service.quorum(meeting)
    assert (status.members, status.present, status.required, status.met) == (6, 4, 4, True)
    assert status.as_dict()["rule"]["id"] == "URC25-26"


def test_a_correction_is_a_new_version_and_keeps_the_old_one(town):
    meeting = in_session(town)
    row = sign_in(town, meeting, town["people"][0])
    service.correct_attendance(
        town["staff"],
        meeting,
        resident_id=town["people"][0].id,
        status="absent",
        reason="签到时点错了人",
    )
    versions = db.session.execute(
        select(AttendanceVersion.version, AttendanceVersion.status, AttendanceVersion.reason)
        .where(AttendanceVersion.attendance_id == row.id)
        .order_by(AttendanceVersion.version)
    ).all()
    assert [tuple(v) for v in versions] == [(1, "present", None), (2, "absent", "签到时点错了人")]


# ---------------------------------------------------------------- audit, policy, public reading


def test_every_state_change_writes_exactly_one_audit_entry(town):
    staff = town["staff"]
    body_before = audit_count()
    body = service.create_body(staff, town["community"], kind="residents_meeting", name="会").body
    assert audit_count() == body_before + 1
    steps = [
        lambda: service.create_meeting(
            staff,
            town["community"],
            body_id=body.id,
            title="会",
            starts_at=NOW + timedelta(days=12),
            agenda=[service.NewItem("重大", "major")],
        ),
    ]
    meeting = steps[0]()
    item = meeting.agenda[0]
    for step, action in [
        (
            lambda: service.add_agenda_item(staff, meeting, title="b", decision_type="ordinary"),
            "meetings:agenda:edit",
        ),
        (lambda: service.notice_meeting(staff, meeting), "meetings:meeting:notice"),
        (
            lambda: service.record_party_review(staff, item, reference="r"),
            "meetings:agenda:party_review",
        ),
        (
            lambda: service.open_meeting(staff, meeting, at=meeting.starts_at),
            "meetings:meeting:open",
        ),
        (lambda: sign_in(town, meeting, town["people"][0]), "meetings:attendance:record"),
        (
            lambda: service.record_departure(staff, meeting, resident_id=town["people"][0].id),
            "meetings:attendance:record",
        ),
        (
            lambda: service.correct_attendance(
                staff, meeting, resident_id=town["people"][0].id, status="absent", reason="r"
            ),
            "meetings:attendance:correct",
        ),
        (
            lambda: service.adjourn_meeting(
                staff, meeting, at=meeting.starts_at + timedelta(hours=1)
            ),
            "meetings:meeting:adjourn",
        ),
    ]:
        total, named = audit_count(), audit_count(action)
        step()
        assert (audit_count(), audit_count(action)) == (total + 1, named + 1), action


def test_residents_and_strangers_may_not_run_meetings(town):
    meeting = in_session(town)
    with pytest.raises(NotAllowed):
        service.record_attendance(
            town["resident"], meeting, resident_id=town["people"][1].id, status="present"
        )
    with pytest.raises(Unauthenticated):
        service.open_meeting(Actor.anonymous(), meeting)
    outsider = Actor(user_id=None, community_id=None, roles=frozenset({Role.STAFF}))
    with pytest.raises(NotAllowed):
        service.notice_meeting(outsider, meeting)


def test_the_public_sees_noticed_meetings_with_counts_but_not_drafts(town):
    draft = make_meeting(town["community"], title="草稿")
    noticed = make_meeting(town["community"], title="已通知", state="noticed")
    past = make_meeting(town["community"], title="已结束", state="adjourned")
    anonymous = Actor.anonymous()
    assert [m.title for m in service.list_meetings(anonymous, town["community"])] == [
        m.title for m in sorted([noticed, past], key=lambda m: (m.starts_at, m.id), reverse=True)
    ]
    assert service.list_meetings(anonymous, town["community"], when="past") == [past]
    assert service.list_meetings(anonymous, town["community"], when="upcoming") == [noticed]
    assert draft in service.list_meetings(town["staff"], town["community"], public=False)
    with pytest.raises(NotFound):
        service.get_meeting(anonymous, draft.id)
    summary = service.meeting_summary(service.get_meeting(anonymous, noticed.id))
    assert summary["notice"]["rule"]["id"] == "URC25-22"
    assert summary["agenda"][0]["rule"]["id"] == "URC25-23"
    assert summary["attendance"]["present"] == 0
    assert summary["members"] == 8
