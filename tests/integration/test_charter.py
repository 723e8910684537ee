"""A community's charter (自治章程) or provincial overlay: versioned records that only tighten
the statute (RULES.md "How to encode" 4), applied by the meetings service to meetings on or
after their effective date; through the services and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.errors import Conflict, Invalid, NotAllowed
from consult.extensions import db
from consult.meetings import charter as charters
from consult.meetings import service
from consult.meetings.charter_models import Charter
from consult.registry.enrolment import actor_for
from consult.rules.thresholds import Basis, Op, Threshold
from tests.conftest import World
from tests.factories import make_body, make_community, make_meeting, make_resident, make_user
from tests.integration.api_support import error_of, headers_for

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
TWO_THIRDS_PRESENT = {"basis": "present", "op": ">=", "num": 2, "den": 3}
MAJOR_TWO_THIRDS = [
    {"body": "residents_meeting", "decision_type": "major", "threshold": TWO_THIRDS_PRESENT}
]


@pytest.fixture
def town(db_session: Any) -> dict[str, Any]:
    clock.freeze(NOW)
    community = make_community("anle", name="安乐里社区")
    people = [
        make_resident(community, name=f"居民{n}", household=f"A{n}", gender="MF"[n % 2])
        for n in range(6)
    ]
    staff = make_user(community=community, roles=("staff",))
    resident = make_user(resident=people[0])
    db_session.flush()
    return {
        "community": community,
        "people": people,
        "staff": actor_for(staff, community.id),
        "resident": actor_for(resident, community.id),
    }


def adopt(town: dict[str, Any], rules: Any = None, **extra: Any) -> Charter:
    args: dict[str, Any] = {
        "title": "安乐里社区居民自治章程",
        "article": 12,
        "effective_from": date(2026, 6, 10),
        "decision_reference": "2026年第一次居民会议决议",
        "rules": MAJOR_TWO_THIRDS if rules is None else rules,
        **extra,
    }
    return charters.adopt_charter(town["staff"], town["community"], **args)


def count(model: Any, *where: Any) -> int:
    return int(
        db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
    )


def audits(action: str) -> int:
    return count(AuditEntry, AuditEntry.action == action)


# ---------------------------------------------------------------- adopting


def test_a_stricter_charter_is_stored_as_version_one_with_one_audit_entry(town):
    charter = adopt(town)
    assert charter.version == 1
    assert charter.previous_id is None
    assert json.loads(charter.rules) == MAJOR_TWO_THIRDS
    assert audits("meetings:charter:adopt") == 1
    shown = charters.charter_json(charter, town["community"])
    assert shown["citation"]["zh"] == "《安乐里社区居民自治章程》第十二条"


def test_a_charter_looser_than_the_statute_is_refused_naming_the_rule_and_nothing_is_stored(town):
    looser = [
        {
            "body": "residents_meeting",
            "decision_type": "ordinary",
            "threshold": {"basis": "votes_cast_excl_abstain", "op": ">", "num": 1, "den": 2},
        }
    ]
    with pytest.raises(Invalid) as caught:
        adopt(town, looser)
    assert caught.value.code == "looser_than_statute"
    problem = caught.value.details["rules[0]"]
    assert "URC25-23" in problem
    assert "more than half of those present" in problem
    assert count(Charter) == 0
    assert audits("meetings:charter:adopt") == 0


@pytest.mark.parametrize(
    ("rule", "statute"),
    [
        # URC25-23: a quorum of more than half of the adults; a third is looser.
        (
            {
                "body": "residents_meeting",
                "quorum": {"all_adults": {"basis": "eligible", "op": ">=", "num": 1, "den": 3}},
            },
            "URC25-23",
        ),
        ({"body": "residents_meeting", "notice_days": 5}, "10 days"),
        ({"body": "residents_meeting", "proxy_max_per_holder": 5}, "at most 3"),
        # URC25-26: two-thirds of the representatives; more than half is looser.
        (
            {
                "body": "representative_council",
                "quorum": {"any": {"basis": "body_members", "op": ">", "num": 1, "den": 2}},
            },
            "URC25-26",
        ),
    ],
)
def test_every_kind_of_looser_value_is_refused(town, rule, statute):
    with pytest.raises(Invalid) as caught:
        adopt(town, [rule])
    assert statute in caught.value.details["rules[0]"]
    assert count(Charter) == 0


def test_a_rule_for_a_body_the_statute_does_not_have_is_refused(town):
    with pytest.raises(Invalid) as caught:
        adopt(town, [{"body": "members_meeting", "notice_days": 15}])
    assert "members_meeting" in caught.value.details["rules[0]"]


def test_bad_shapes_and_missing_fields_are_422_with_details(town):
    with pytest.raises(Invalid) as caught:
        charters.adopt_charter(
            town["staff"],
            town["community"],
            title=" ",
            article=0,
            effective_from=date(2026, 5, 1),  # before today
            decision_reference="",
            rules=[{"body": "residents_meeting"}],
            kind="decree",
        )
    assert set(caught.value.details) >= {
        "title",
        "article",
        "effective_from",
        "decision_reference",
        "rules[0]",
        "kind",
    }
    assert count(Charter) == 0


def test_a_new_version_points_at_the_old_one_which_stays_unchanged(town):
    first = adopt(town)
    before = first.rules
    second = adopt(
        town,
        [*MAJOR_TWO_THIRDS, {"body": "residents_meeting", "notice_days": 15}],
        effective_from=date(2026, 7, 1),
        supersedes=1,
    )
    assert (second.version, second.previous_id) == (2, first.id)
    assert first.rules == before
    assert charters.charter_in_force(town["community"].id, date(2026, 6, 20)).id == first.id
    assert charters.charter_in_force(town["community"].id, date(2026, 7, 1)).id == second.id
    assert charters.charter_in_force(town["community"].id, date(2026, 6, 9)) is None


def test_a_stale_version_number_is_a_conflict(town):
    adopt(town)
    with pytest.raises(Conflict):
        adopt(town, supersedes=0, effective_from=date(2026, 7, 1))
    assert count(Charter) == 1


def test_a_new_version_cannot_take_effect_before_the_one_it_supersedes(town):
    adopt(town, effective_from=date(2026, 7, 1))
    with pytest.raises(Invalid) as caught:
        adopt(town, effective_from=date(2026, 6, 15))
    assert "effective_from" in caught.value.details


def test_only_staff_adopt_a_charter(town):
    with pytest.raises(NotAllowed):
        charters.adopt_charter(
            town["resident"],
            town["community"],
            title="章程",
            article=1,
            effective_from=date(2026, 6, 10),
            decision_reference="x",
            rules=MAJOR_TWO_THIRDS,
        )


# ---------------------------------------------------------------- meetings apply it


def test_a_meeting_after_the_effective_date_is_judged_by_the_charter(town):
    adopt(town)
    body = make_body(town["community"])
    meeting = make_meeting(
        town["community"], body, agenda=(("年度报告", "ordinary"), ("重大事项", "major"))
    )
    major = service.decision_rule(meeting, "major")
    assert major.threshold == Threshold(Basis.PRESENT, Op.GE, 2, 3)
    assert major.citation.zh == "《安乐里社区居民自治章程》第十二条"
    assert major.overlays
    # The statute stays where the charter says nothing.
    ordinary = service.decision_rule(meeting, "ordinary")
    assert ordinary.threshold == Threshold(Basis.PRESENT, Op.GT, 1, 2)
    assert not ordinary.overlays
    assert meeting.rule_set_id == "urban-2026"
    item = next(
        i for i in service.meeting_summary(meeting)["agenda"] if i["decision_type"] == "major"
    )
    assert item["rule"]["id"] == "CHARTER-v1"
    assert item["rule"]["overlays"] == ["charter-anle-v1"]


def test_a_meeting_before_the_effective_date_keeps_the_statute(town):
    adopt(town, effective_from=date(2026, 7, 1))
    meeting = make_meeting(
        town["community"],
        make_body(town["community"]),
        starts_at=NOW + timedelta(days=20),
        agenda=(("重大事项", "major"),),
    )
    assert service.decision_rule(meeting, "major").threshold == Threshold(
        Basis.PRESENT, Op.GT, 1, 2
    )


def test_a_stricter_quorum_raises_the_number_required(town):
    council = make_body(town["community"], "representative_council", members=town["people"])
    meeting = make_meeting(town["community"], council)
    assert service.quorum(meeting).required == 4  # URC25-26: two-thirds of 6
    adopt(
        town,
        [
            {
                "body": "representative_council",
                "quorum": {"any": {"basis": "body_members", "op": ">", "num": 3, "den": 4}},
            }
        ],
    )
    assert service.quorum(meeting).required == 5  # more than three quarters of 6


def test_a_longer_notice_period_is_required_of_new_meetings(town):
    adopt(town, [{"body": "residents_meeting", "notice_days": 15}])
    meeting = make_meeting(town["community"], make_body(town["community"]))
    assert meeting.notice_days_required == 15
    late = service.create_meeting(
        Actor.system("tests"),
        town["community"],
        body_id=meeting.body_id,
        title="太近的会议",
        starts_at=NOW + timedelta(days=12),
        agenda=[service.NewItem("年度报告", "ordinary")],
    )
    with pytest.raises(Conflict):
        service.notice_meeting(Actor.system("tests"), late)


# ---------------------------------------------------------------- the API


class Api:
    def __init__(self, client: Any, world: World, role: str) -> None:
        self.client = client
        self.headers = headers_for(world, role)

    def get(self, url: str) -> Any:
        return self.client.get("/api/v1" + url, headers=self.headers)

    def post(self, url: str, body: Any = None) -> Any:
        return self.client.post("/api/v1" + url, json=body, headers=self.headers)


NEW = {
    "title": "《和平里社区居民自治章程》",
    "article": 12,
    "effective_from": "2026-06-10",
    "decision_reference": "2026年第一次居民会议决议",
    "rules": MAJOR_TWO_THIRDS,
}


@pytest.fixture
def api(client: Any, world: World) -> dict[str, Api]:
    clock.freeze(NOW)
    return {role: Api(client, world, role) for role in ("staff", "resident", "anonymous")}


def test_api_staff_adopt_and_anyone_reads_the_charter(api):
    empty = api["anonymous"].get("/communities/heping/charter")
    assert empty.status_code == 200
    assert empty.get_json() == {"on": "2026-06-01", "current": None, "versions": []}
    response = api["staff"].post("/communities/heping/charter", NEW)
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["version"] == 1
    assert made["title"] == "和平里社区居民自治章程"
    assert made["citation"]["id"] == "CHARTER-v1"
    clock.freeze(NOW + timedelta(days=10))
    shown = api["anonymous"].get("/communities/heping/charter").get_json()
    assert shown["current"]["id"] == made["id"]
    assert [v["version"] for v in shown["versions"]] == [1]


def test_api_a_looser_charter_is_422_naming_the_rule(api):
    looser = {
        **NEW,
        "rules": [
            {
                "body": "residents_meeting",
                "decision_type": "major",
                "threshold": {"basis": "voted", "op": ">", "num": 1, "den": 2},
            }
        ],
    }
    response = api["staff"].post("/communities/heping/charter", looser)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "looser_than_statute"
    assert "URC25-23" in error["details"]["rules[0]"]
    assert api["staff"].get("/communities/heping/charter").get_json()["versions"] == []


def test_api_bad_bodies_are_400_or_422(api):
    assert api["staff"].post("/communities/heping/charter", None).status_code == 400
    response = api["staff"].post("/communities/heping/charter", {**NEW, "rules": "strict"})
    assert response.status_code == 422
    response = api["staff"].post("/communities/heping/charter", {**NEW, "effective_from": "soon"})
    assert response.status_code == 422
    assert "effective_from" in error_of(response)["details"]


def test_api_a_resident_may_not_adopt_a_charter(api):
    assert api["resident"].post("/communities/heping/charter", NEW).status_code == 403
    assert api["anonymous"].post("/communities/heping/charter", NEW).status_code == 401
