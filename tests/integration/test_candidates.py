"""Candidates of an election item: registered with their nomination, listed publicly once the
meeting is noticed, withdrawn with a reason and never deleted — and, while standing, barred from
holding proxies at that meeting (URC25-14, VC25-09), whichever comes first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

from consult import clock
from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.errors import Conflict, Invalid, NotFound
from consult.extensions import db
from consult.meetings import candidates, checkin, service
from consult.meetings.candidate_models import Candidate
from consult.meetings.models import Attendance, Meeting
from consult.registry.enrolment import actor_for
from tests.conftest import World
from tests.factories import make_community, make_meeting, make_resident, make_user
from tests.integration.api_support import error_of, headers_for

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
SYSTEM = Actor.system("tests")
ELECTION = (("选举居民委员会成员", "election"), ("年度工作报告", "ordinary"))


@pytest.fixture
def town(db_session: Any) -> dict[str, Any]:
    clock.freeze(NOW)
    community = make_community("anle", name="安乐社区")
    people = [
        make_resident(community, name=f"居民{n}", household=f"H{n}", gender="MF"[n % 2])
        for n in range(8)
    ]
    child = make_resident(community, name="孩子", household="H0", birth_date=date(2016, 1, 1))
    staff = actor_for(make_user(community=community, roles=("staff",)), community.id)
    db_session.flush()
    return {"community": community, "people": people, "child": child, "staff": staff}


def _meeting(town: dict[str, Any], state: str = "in_session") -> Meeting:
    return make_meeting(town["community"], agenda=ELECTION, state=state)


def _rows() -> int:
    return int(db.session.execute(select(func.count(Candidate.id))).scalar_one())


def test_register_list_and_withdraw_a_candidate(town: dict[str, Any]) -> None:
    meeting = _meeting(town, "noticed")
    election = meeting.agenda[0]
    zhang = town["people"][0]
    candidate = candidates.register_candidate(
        town["staff"],
        election,
        resident_id=zhang.id,
        nominated_by="voters",
        nomination_note="居民12人联名，附联名表",
    )
    assert candidate.nominated_by == "voters"
    listed = candidates.list_candidates(Actor.anonymous(), election)  # public once noticed
    assert [(c.resident_id, name) for c, name in listed] == [(zhang.id, "居民0")]
    done = candidates.withdraw_candidate(
        town["staff"], election, resident_id=zhang.id, reason="本人因病申请退出"
    )
    assert done.withdrawn_reason == "本人因病申请退出"
    assert _rows() == 1  # withdrawn, not deleted
    actions = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.action.like("meetings:candidate:%"))
    ).scalars()
    assert sorted(actions) == ["meetings:candidate:register", "meetings:candidate:withdraw"]
    json = candidates.candidate_json(done)
    assert json["name"] == "居民0"
    assert json["withdrawn_reason"] == "本人因病申请退出"


def test_bad_candidates_are_refused_and_nothing_is_recorded(town: dict[str, Any]) -> None:
    meeting = _meeting(town, "noticed")
    election, ordinary = meeting.agenda
    staff = town["staff"]
    with pytest.raises(Invalid) as not_election:
        candidates.register_candidate(
            staff, ordinary, resident_id=town["people"][0].id, nominated_by="voters"
        )
    assert not_election.value.code == "not_an_election"
    with pytest.raises(Invalid) as child:
        candidates.register_candidate(
            staff, election, resident_id=town["child"].id, nominated_by="voters"
        )
    assert "resident_id" in child.value.details
    stranger = make_resident(make_community("yuanfang"), name="外人")
    with pytest.raises(Invalid):
        candidates.register_candidate(
            staff, election, resident_id=stranger.id, nominated_by="voters"
        )
    with pytest.raises(Invalid) as nomination:
        candidates.register_candidate(
            staff, election, resident_id=town["people"][0].id, nominated_by="myself"
        )
    assert "nominated_by" in nomination.value.details
    assert _rows() == 0
    candidates.register_candidate(
        staff, election, resident_id=town["people"][0].id, nominated_by="party_organization"
    )
    with pytest.raises(Conflict) as twice:
        candidates.register_candidate(
            staff, election, resident_id=town["people"][0].id, nominated_by="voters"
        )
    assert twice.value.code == "already_recorded"
    with pytest.raises(Invalid):
        candidates.withdraw_candidate(staff, election, resident_id=town["people"][0].id, reason="")
    with pytest.raises(NotFound):
        candidates.withdraw_candidate(staff, election, resident_id=town["people"][1].id, reason="x")
    assert _rows() == 1


def test_an_adjourned_meeting_takes_no_candidate(town: dict[str, Any]) -> None:
    meeting = _meeting(town, "adjourned")
    with pytest.raises(Conflict):
        candidates.register_candidate(
            town["staff"],
            meeting.agenda[0],
            resident_id=town["people"][0].id,
            nominated_by="voters",
        )
    assert _rows() == 0


def test_a_candidate_may_not_hold_a_proxy_and_a_proxy_holder_may_not_stand(
    town: dict[str, Any],
) -> None:
    """URC25-14: 候选人不得接受委托 — refused whichever is recorded first."""
    meeting = _meeting(town)
    election = meeting.agenda[0]
    staff = town["staff"]
    a, b, c, d = town["people"][:4]
    for person in (a, b):
        service.record_attendance(staff, meeting, resident_id=person.id, status="present")
    candidates.register_candidate(staff, election, resident_id=a.id, nominated_by="voters")
    holders = {h.resident_id for h in checkin.proxy_holders(staff, meeting)}
    assert holders == {b.id}  # the desk does not offer the candidate
    with pytest.raises(Conflict) as refused:
        service.record_attendance(
            staff, meeting, resident_id=c.id, status="proxy", proxy_holder_id=a.id
        )
    assert refused.value.code == "proxy_candidate"
    assert refused.value.details["rule"]["id"] == "URC25-14"
    # b holds a proxy, so b cannot then stand.
    service.record_attendance(
        staff, meeting, resident_id=d.id, status="proxy", proxy_holder_id=b.id
    )
    with pytest.raises(Conflict) as holding:
        candidates.register_candidate(staff, election, resident_id=b.id, nominated_by="voters")
    assert holding.value.code == "candidate_holds_proxies"
    assert holding.value.details["holding"] == 1
    # Once a withdraws, a may carry a proxy again.
    candidates.withdraw_candidate(staff, election, resident_id=a.id, reason="退出选举")
    service.record_attendance(
        staff, meeting, resident_id=c.id, status="proxy", proxy_holder_id=a.id
    )
    carried = select(func.count(Attendance.id)).where(Attendance.proxy_holder_id == a.id)
    assert db.session.execute(carried).scalar_one() == 1


def test_without_an_election_nobody_is_barred(town: dict[str, Any]) -> None:
    meeting = make_meeting(town["community"], state="in_session")
    assert service.proxy_bar_on_candidates(meeting) is None


# ---------------------------------------------------------------- the API


def test_api_candidates(app: Flask, world: World) -> None:
    clock.freeze(NOW)
    meeting = make_meeting(world.community, agenda=ELECTION, state="noticed")
    db.session.commit()
    item = meeting.agenda[0]
    api = app.test_client()
    url = f"/api/v1/agenda-items/{item.id}/candidates"
    person = world.residents["representative"].id
    denied = api.post(
        url,
        headers=headers_for(world, "resident"),
        json={"resident_id": person, "nominated_by": "voters"},
    )
    assert denied.status_code == 403
    made = api.post(
        url,
        headers=headers_for(world, "staff"),
        json={"resident_id": person, "nominated_by": "voters", "nomination_note": "联名"},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["name"] == "王建国"
    again = api.post(
        url,
        headers=headers_for(world, "staff"),
        json={"resident_id": person, "nominated_by": "voters"},
    )
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_recorded"
    wrong = api.post(
        f"/api/v1/agenda-items/{meeting.agenda[1].id}/candidates",
        headers=headers_for(world, "staff"),
        json={"resident_id": person, "nominated_by": "voters"},
    )
    assert wrong.status_code == 422
    assert error_of(wrong)["code"] == "not_an_election"
    public = api.get(url).get_json()  # anyone, once noticed
    assert public["total"] == 1
    assert public["items"][0]["nominated_by"] == "voters"
    withdrawn = api.post(
        f"{url}/{person}/withdraw", headers=headers_for(world, "staff"), json={"reason": "退出"}
    )
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["withdrawn_reason"] == "退出"
    assert api.get(url).get_json()["items"][0]["withdrawn_at"] is not None


def test_an_election_meetings_proxies_are_published_by_name(
    app: Flask, town: dict[str, Any]
) -> None:
    """URC25-14: 委托人和受委托人名单 are published; a meeting without an election shows none."""
    meeting = _meeting(town)
    staff = town["staff"]
    a, b = town["people"][:2]
    service.record_attendance(staff, meeting, resident_id=a.id, status="present")
    service.record_attendance(
        staff, meeting, resident_id=b.id, status="proxy", proxy_holder_id=a.id
    )
    plain = make_meeting(town["community"], state="in_session")
    service.record_attendance(staff, plain, resident_id=a.id, status="present")
    service.record_attendance(staff, plain, resident_id=b.id, status="proxy", proxy_holder_id=a.id)
    db.session.commit()
    rule, pairs = service.published_proxies(meeting)
    assert pairs == [("居民1", "居民0")]
    assert rule.citation.rule_id == "URC25-14"
    assert service.published_proxies(plain) is None
    page = app.test_client().get(f"/notices/{meeting.id}").get_data(as_text=True)
    assert "居民1" in page
    assert "URC25-14" in page
    other = app.test_client().get(f"/notices/{plain.id}").get_data(as_text=True)
    assert "居民1" not in other


def test_the_voter_roll_publication_is_recorded_and_judged(town: dict[str, Any]) -> None:
    """URC25-09: the voter roll is published at least 20 days before election day."""
    from datetime import timedelta

    meeting = _meeting(town, "noticed")  # starts 20 days after the clock's now
    item = meeting.agenda[0]
    staff = town["staff"]
    missing = candidates.voter_roll_standing(item)
    assert missing is not None
    assert (missing["ok"], missing["published_on"], missing["required"]) == (False, None, 20)
    assert missing["rule"]["id"] == "URC25-09"
    today = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()
    with pytest.raises(Invalid):
        candidates.record_voter_roll(staff, item, published_on=today + timedelta(days=1))
    candidates.record_voter_roll(staff, item, published_on=today, where="社区公告栏")
    standing = candidates.voter_roll_standing(item)
    assert standing is not None
    assert standing["days_before"] == 20
    assert standing["ok"] is True
    ordinary = make_meeting(town["community"], state="noticed")
    assert candidates.voter_roll_standing(ordinary.agenda[0]) is None
