"""Seats on councils and committees after a body is created: a member added for a term, a
membership ended once with its reason (never deleted), composition warnings recomputed and
recorded; through the services and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.audit.models import AuditEntry
from consult.errors import Conflict, Invalid, NotAllowed, NotFound
from consult.extensions import db
from consult.meetings import memberships, service
from consult.meetings.models import Membership
from consult.registry.enrolment import actor_for
from tests.conftest import World
from tests.factories import make_body, make_community, make_resident, make_user
from tests.integration.api_support import error_of, headers_for

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
TODAY = date(2026, 6, 1)


@pytest.fixture
def town(db_session: Any) -> dict[str, Any]:
    clock.freeze(NOW)
    community = make_community("xingfu", name="幸福里社区")
    people = [
        make_resident(community, name=f"居民{n}", household=f"X{n}", gender="MF"[n % 2])
        for n in range(8)
    ]
    stranger = make_resident(make_community(), name="外人")
    staff = make_user(community=community, roles=("staff",))
    resident = make_user(resident=people[0])
    db_session.flush()
    return {
        "community": community,
        "people": people,
        "stranger": stranger,
        "staff": actor_for(staff, community.id),
        "resident": actor_for(resident, community.id),
    }


def rows(body_id: int, resident_id: int) -> list[Membership]:
    return list(
        db.session.execute(
            select(Membership)
            .where(Membership.body_id == body_id, Membership.resident_id == resident_id)
            .order_by(Membership.start_date)
        ).scalars()
    )


def audits(action: str) -> int:
    query = select(func.count(AuditEntry.id)).where(AuditEntry.action == action)
    return int(db.session.execute(query).scalar_one())


def council(town: dict[str, Any], n: int = 5) -> Any:
    return make_body(town["community"], "representative_council", members=town["people"][:n])


def test_a_member_is_added_for_a_term_and_counts_from_its_first_day(town):
    body = council(town)
    newcomer = town["people"][6]
    result = memberships.add_member(
        town["staff"],
        body,
        resident_id=newcomer.id,
        starts_on=date(2026, 6, 10),
        ends_on=date(2029, 6, 9),
    )
    assert result.membership.start_date == date(2026, 6, 10)
    assert audits("meetings:memberships:add") == 1
    community = town["community"]
    assert not service.is_member(body, community, newcomer, date(2026, 6, 9))
    assert service.is_member(body, community, newcomer, date(2026, 6, 10))
    assert service.is_member(body, community, newcomer, date(2029, 6, 9))
    assert not service.is_member(body, community, newcomer, date(2029, 6, 10))


def test_a_resident_of_another_community_is_refused(town):
    body = council(town)
    with pytest.raises(Invalid) as caught:
        memberships.add_member(
            town["staff"], body, resident_id=town["stranger"].id, starts_on=TODAY
        )
    assert "resident_id" in caught.value.details
    assert rows(body.id, town["stranger"].id) == []
    assert audits("meetings:memberships:add") == 0


def test_an_overlapping_second_seat_is_a_conflict(town):
    body = council(town)
    sitting = town["people"][0]  # open-ended seat from today
    with pytest.raises(Conflict) as caught:
        memberships.add_member(
            town["staff"], body, resident_id=sitting.id, starts_on=date(2027, 1, 1)
        )
    assert caught.value.code == "already_member"
    assert len(rows(body.id, sitting.id)) == 1


def test_a_seat_after_a_term_that_ended_is_allowed(town):
    body = council(town)
    person = town["people"][6]
    memberships.add_member(
        town["staff"], body, resident_id=person.id, starts_on=TODAY, ends_on=date(2026, 12, 31)
    )
    with pytest.raises(Conflict):
        memberships.add_member(
            town["staff"], body, resident_id=person.id, starts_on=date(2026, 12, 31)
        )
    memberships.add_member(town["staff"], body, resident_id=person.id, starts_on=date(2027, 1, 1))
    assert len(rows(body.id, person.id)) == 2


def test_a_term_that_ends_before_it_starts_is_invalid(town):
    with pytest.raises(Invalid):
        memberships.add_member(
            town["staff"],
            council(town),
            resident_id=town["people"][6].id,
            starts_on=TODAY,
            ends_on=date(2026, 5, 1),
        )


def test_a_residents_meeting_takes_its_members_from_the_register(town):
    with pytest.raises(Invalid) as caught:
        memberships.add_member(
            town["staff"],
            make_body(town["community"]),
            resident_id=town["people"][6].id,
            starts_on=TODAY,
        )
    assert "body_id" in caught.value.details


def test_ending_a_membership_sets_its_last_day_once_and_keeps_the_row(town):
    body = council(town)
    person = town["people"][1]
    result = memberships.end_membership(
        town["staff"], body, resident_id=person.id, ends_on=date(2026, 6, 30), reason="辞职"
    )
    kept = rows(body.id, person.id)
    assert len(kept) == 1
    assert kept[0].end_date == date(2026, 6, 30)
    assert kept[0].end_reason == "辞职"
    assert kept[0].ended_at is not None
    assert result.membership.id == kept[0].id
    assert audits("meetings:memberships:end") == 1
    assert service.is_member(body, town["community"], person, date(2026, 6, 30))
    assert not service.is_member(body, town["community"], person, date(2026, 7, 1))


def test_ending_twice_is_a_conflict(town):
    body = council(town)
    person = town["people"][1]
    memberships.end_membership(
        town["staff"], body, resident_id=person.id, ends_on=date(2026, 6, 30), reason="辞职"
    )
    with pytest.raises(Conflict) as caught:
        memberships.end_membership(
            town["staff"], body, resident_id=person.id, ends_on=date(2026, 6, 20), reason="再次"
        )
    assert caught.value.code == "already_ended"
    assert rows(body.id, person.id)[0].end_date == date(2026, 6, 30)
    assert audits("meetings:memberships:end") == 1


@pytest.mark.parametrize(
    ("ends_on", "reason", "field"),
    [
        (date(2026, 5, 31), "辞职", "ends_on"),  # in the past
        (date(2026, 6, 30), "  ", "reason"),
    ],
)
def test_ending_needs_a_reason_and_a_day_from_today(town, ends_on, reason, field):
    body = council(town)
    with pytest.raises(Invalid) as caught:
        memberships.end_membership(
            town["staff"], body, resident_id=town["people"][1].id, ends_on=ends_on, reason=reason
        )
    assert field in caught.value.details
    assert rows(body.id, town["people"][1].id)[0].end_date is None


def test_ending_a_seat_nobody_held_is_not_found(town):
    with pytest.raises(NotFound):
        memberships.end_membership(
            town["staff"],
            council(town),
            resident_id=town["people"][7].id,
            ends_on=TODAY,
            reason="x",
        )


def test_composition_warnings_are_recomputed_and_recorded(town):
    # A supervisory committee with a committee member on it: URC25-35 warns.
    committee = make_body(town["community"], "committee", members=town["people"][:5])
    supervisors = make_body(town["community"], "supervisory_council", members=town["people"][5:7])
    result = memberships.add_member(
        town["staff"], supervisors, resident_id=town["people"][0].id, starts_on=TODAY
    )
    codes = {w.code for w in result.warnings}
    assert "supervisory_committee_member" in codes
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "meetings:memberships:add")
    ).scalar_one()
    recorded = json.loads(entry.payload)["warnings"]
    assert "supervisory_committee_member" in {w["code"] for w in recorded}
    # Ending the committee member's seat on the committee clears the warning from the next day.
    ended = memberships.end_membership(
        town["staff"], committee, resident_id=town["people"][0].id, ends_on=TODAY, reason="换届"
    )
    assert committee.id == ended.membership.body_id
    later = service.composition_warnings(
        town["community"],
        supervisors.body_kind,
        [town["people"][0], *town["people"][5:7]],
        date(2026, 6, 2),
    )
    assert "supervisory_committee_member" not in {w.code for w in later}


def test_only_staff_change_seats(town):
    body = council(town)
    with pytest.raises(NotAllowed):
        memberships.add_member(
            town["resident"], body, resident_id=town["people"][6].id, starts_on=TODAY
        )
    with pytest.raises(NotAllowed):
        memberships.end_membership(
            town["resident"], body, resident_id=town["people"][1].id, ends_on=TODAY, reason="x"
        )


# ---------------------------------------------------------------- the API


@pytest.fixture
def api(client: Any, world: World, db_session: Any) -> dict[str, Any]:
    clock.freeze(NOW)
    people = [
        make_resident(world.community, name=f"代表{n}", household=f"D{n}", gender="MF"[n % 2])
        for n in range(4)
    ]
    body = make_body(world.community, "representative_council", members=people[:3])
    db_session.commit()
    return {
        "client": client,
        "staff": headers_for(world, "staff"),
        "resident": headers_for(world, "resident"),
        "people": people,
        "body": body,
        "world": world,
    }


def post(api: dict[str, Any], url: str, body: Any, role: str = "staff") -> Any:
    return api["client"].post("/api/v1" + url, json=body, headers=api[role])


def test_api_add_and_end_a_member(api):
    body_id = api["body"].id
    newcomer = api["people"][3]
    added = post(
        api, f"/bodies/{body_id}/members", {"resident_id": newcomer.id, "starts_on": "2026-06-01"}
    )
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["starts_on"] == "2026-06-01"
    assert added.get_json()["ends_on"] is None
    detail = api["client"].get(f"/api/v1/bodies/{body_id}", headers=api["staff"]).get_json()
    assert newcomer.id in {m["resident_id"] for m in detail["memberships"] if m["current"]}
    ended = post(
        api,
        f"/bodies/{body_id}/members/{newcomer.id}/end",
        {"ends_on": "2026-06-30", "reason": "迁出本社区"},
    )
    assert ended.status_code == 200, ended.get_json()
    assert ended.get_json()["ends_on"] == "2026-06-30"
    again = post(
        api,
        f"/bodies/{body_id}/members/{newcomer.id}/end",
        {"ends_on": "2026-06-30", "reason": "x"},
    )
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_ended"


def test_api_overlap_is_409_and_a_stranger_422(api):
    body_id = api["body"].id
    sitting = api["people"][0]
    twice = post(
        api, f"/bodies/{body_id}/members", {"resident_id": sitting.id, "starts_on": "2026-07-01"}
    )
    assert twice.status_code == 409
    assert error_of(twice)["code"] == "already_member"
    stranger = api["world"].residents["other_resident"]
    response = post(
        api, f"/bodies/{body_id}/members", {"resident_id": stranger.id, "starts_on": "2026-07-01"}
    )
    assert response.status_code == 422
    assert "resident_id" in error_of(response)["details"]


def test_api_bad_input_and_unknown_objects(api):
    body_id = api["body"].id
    assert post(api, f"/bodies/{body_id}/members", None).status_code == 400
    bad_date = post(api, f"/bodies/{body_id}/members", {"resident_id": 1, "starts_on": "soon"})
    assert bad_date.status_code == 422
    assert (
        post(
            api, "/bodies/999999/members", {"resident_id": 1, "starts_on": "2026-06-01"}
        ).status_code
        == 404
    )
    nobody = post(
        api,
        f"/bodies/{body_id}/members/{api['people'][3].id}/end",
        {"ends_on": "2026-06-30", "reason": "x"},
    )
    assert nobody.status_code == 404


def test_api_a_resident_may_not_change_seats(api):
    body_id = api["body"].id
    response = post(
        api,
        f"/bodies/{body_id}/members",
        {"resident_id": api["people"][3].id, "starts_on": "2026-06-01"},
        role="resident",
    )
    assert response.status_code == 403
