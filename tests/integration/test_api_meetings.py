"""The meetings API (INTERFACES.md §3): bodies, meetings from notice to adjournment, attendance,
proxies and quorum, through the test client on SQLite and PostgreSQL. Each bad input of issue 3
gets its exact status, and a look afterwards that nothing changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from consult import clock
from tests.conftest import World
from tests.factories import make_community, make_resident
from tests.integration.api_support import error_of, headers_for

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
STARTS = "2026-06-20T19:00:00+08:00"
STARTS_AT = datetime(2026, 6, 20, 11, 0, tzinfo=UTC)


class Api:
    """The client as one role of the world, with short helpers."""

    def __init__(self, client: Any, world: World, role: str) -> None:
        self.client = client
        self.headers = headers_for(world, role)

    def get(self, url: str) -> Any:
        return self.client.get("/api/v1" + url, headers=self.headers)

    def post(self, url: str, body: Any = None) -> Any:
        return self.client.post("/api/v1" + url, json=body, headers=self.headers)


@pytest.fixture
def town(client: Any, world: World, db_session: Any) -> dict[str, Any]:
    clock.freeze(NOW)
    community = world.community
    adults = [
        make_resident(community, name=f"居民{n}", household=f"K{n // 2}", gender="MF"[n % 2])
        for n in range(6)
    ]
    child = make_resident(community, name="小孩", household="K0", birth_date=date(2016, 1, 1))
    stranger = make_resident(make_community(), name="外人")
    db_session.commit()
    return {
        "staff": Api(client, world, "staff"),
        "resident": Api(client, world, "resident"),
        "anonymous": Api(client, world, "anonymous"),
        "adults": adults,
        "child": child,
        "stranger": stranger,
        "world": world,
    }


def new_body(api: Api, **body: Any) -> int:
    response = api.post(
        "/communities/heping/bodies", {"kind": "residents_meeting", "name": "居民会议", **body}
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def new_meeting(api: Api, body_id: int, **extra: Any) -> dict[str, Any]:
    body = {
        "body_id": body_id,
        "title": "2026年第二次居民会议",
        "starts_at": STARTS,
        "location": "社区活动室",
        "agenda": [{"title": "年度工作报告", "decision_type": "ordinary"}],
        **extra,
    }
    response = api.post("/communities/heping/meetings", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def running(town: dict[str, Any], **body: Any) -> int:
    """A noticed, open meeting of a new body; the clock at its start."""
    api = town["staff"]
    meeting = new_meeting(api, new_body(api, **body))
    assert api.post(f"/meetings/{meeting['id']}/notice").status_code == 200
    clock.freeze(STARTS_AT - timedelta(minutes=30))
    assert api.post(f"/meetings/{meeting['id']}/open").status_code == 200
    return int(meeting["id"])


def attend(api: Api, meeting_id: int, who: Any, status: str = "present", **extra: Any) -> Any:
    return api.post(
        f"/meetings/{meeting_id}/attendance", {"resident_id": who.id, "status": status, **extra}
    )


def sheet(api: Api, meeting_id: int) -> list[dict[str, Any]]:
    response = api.get(f"/meetings/{meeting_id}/attendance?per_page=500")
    assert response.status_code == 200
    return response.get_json()["items"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- the whole journey


def test_a_residents_meeting_from_notice_to_adjournment(town):
    api, adults = town["staff"], town["adults"]
    body_id = new_body(api)
    created = new_meeting(api, body_id)
    assert created["state"] == "draft"
    assert [set(i) >= {"id"} for i in created["agenda"]] == [True]
    assert created["rule_set"] == "urban-2026"
    meeting_id = created["id"]

    noticed = api.post(f"/meetings/{meeting_id}/notice").get_json()
    assert noticed["state"] == "noticed"
    assert noticed["notice"]["days_required"] == 10
    assert noticed["notice"]["rule"]["id"] == "URC25-22"

    too_early = api.post(f"/meetings/{meeting_id}/open")
    assert too_early.status_code == 409
    clock.freeze(STARTS_AT - timedelta(minutes=60))
    assert api.post(f"/meetings/{meeting_id}/open").get_json()["state"] == "in_session"

    # 6 adults of the committee's test register + the world's 2 residents = 8 members.
    quorum = api.get(f"/meetings/{meeting_id}/quorum").get_json()
    assert {k: quorum[k] for k in ("members", "present", "required", "met")} == {
        "members": 8,
        "present": 0,
        "required": 5,
        "met": False,
    }
    assert quorum["rule"]["id"] == "URC25-23"
    assert "第二十七条" in quorum["rule"]["citation"]
    for person in adults[:5]:
        response = attend(api, meeting_id, person)
        assert response.status_code == 201, response.get_json()
    quorum = town["anonymous"].get(f"/meetings/{meeting_id}/quorum").get_json()
    assert (quorum["present"], quorum["met"]) == (5, True)

    departed = api.post(f"/meetings/{meeting_id}/attendance/{adults[0].id}/departure")
    assert departed.status_code == 200
    assert departed.get_json()["departed_at"]
    assert api.get(f"/meetings/{meeting_id}/quorum").get_json()["met"] is False

    adjourned = api.post(f"/meetings/{meeting_id}/adjourn").get_json()
    assert adjourned["state"] == "adjourned"
    public = town["anonymous"].get(f"/meetings/{meeting_id}").get_json()
    assert public["attendance"]["present"] == 4
    assert public["attendance"]["departed"] == 1


def test_the_public_reads_noticed_meetings_without_an_account(town):
    api = town["staff"]
    body_id = new_body(api)
    draft = new_meeting(api, body_id, title="草稿会议")
    noticed = new_meeting(api, body_id, title="已通知的会议")
    api.post(f"/meetings/{noticed['id']}/notice")
    anonymous = town["anonymous"]
    listed = anonymous.get("/communities/heping/meetings?when=upcoming").get_json()
    assert [m["title"] for m in listed["items"]] == ["已通知的会议"]
    assert anonymous.get(f"/meetings/{draft['id']}").status_code == 404
    assert anonymous.get(f"/meetings/{noticed['id']}").status_code == 200
    assert anonymous.get("/communities/heping/meetings?drafts=1").status_code == 401
    staff_list = api.get("/communities/heping/meetings?drafts=1").get_json()
    assert staff_list["total"] == 2
    assert anonymous.get("/communities/heping/bodies").get_json()["total"] == 1
    assert anonymous.get(f"/bodies/{body_id}").status_code == 401
    assert api.get(f"/bodies/{body_id}").get_json()["members_count"] == 8


def test_body_composition_warnings_come_back_with_the_201(town):
    api, adults = town["staff"], town["adults"]
    response = api.post(
        "/communities/heping/bodies",
        {"kind": "committee", "name": "居委会", "members": [a.id for a in adults[:4]]},
    )
    assert response.status_code == 201
    codes = [w["code"] for w in response.get_json()["warnings"]]
    assert codes == ["committee_size"]  # 4 members; URC25-02 wants 5 to 9
    assert response.get_json()["warnings"][0]["rule"]["id"] == "URC25-02"


# ---------------------------------------------------------------- bad input: nothing changes


def test_a_meeting_inside_the_notice_period_is_409_and_stays_a_draft(town):
    api = town["staff"]
    meeting = new_meeting(api, new_body(api), starts_at="2026-06-05T19:00:00+08:00")
    response = api.post(f"/meetings/{meeting['id']}/notice")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "notice_period"
    assert error["details"]["rule"]["id"] == "URC25-22"
    assert api.get(f"/meetings/{meeting['id']}").get_json()["state"] == "draft"


def test_a_recorded_short_notice_reason_lets_the_notice_through(town):
    api = town["staff"]
    meeting = new_meeting(
        api,
        new_body(api),
        starts_at="2026-06-05T19:00:00+08:00",
        short_notice_reason="暴雨后紧急排涝",
    )
    response = api.post(f"/meetings/{meeting['id']}/notice")
    assert response.status_code == 200
    assert response.get_json()["notice"]["is_short_notice"] is True
    assert response.get_json()["notice"]["short_notice_reason"] == "暴雨后紧急排涝"


def test_an_unknown_decision_type_is_422_and_nothing_is_created(town):
    api = town["staff"]
    body_id = new_body(api)
    for decision_type in ("land_contracting", "referendum"):
        response = api.post(
            "/communities/heping/meetings",
            {
                "body_id": body_id,
                "title": "会议",
                "starts_at": STARTS,
                "agenda": [{"title": "议题", "decision_type": decision_type}],
            },
        )
        assert response.status_code == 422
        assert "agenda[0].decision_type" in error_of(response)["details"]
    assert api.get("/communities/heping/meetings?drafts=1").get_json()["total"] == 0


def test_editing_the_agenda_after_notice_is_409_and_changes_nothing(town):
    api = town["staff"]
    meeting = new_meeting(api, new_body(api))
    added = api.post(
        f"/meetings/{meeting['id']}/agenda", {"title": "补充议题", "decision_type": "ordinary"}
    )
    assert added.status_code == 201  # a draft takes items
    api.post(f"/meetings/{meeting['id']}/notice")
    response = api.post(
        f"/meetings/{meeting['id']}/agenda", {"title": "迟到的议题", "decision_type": "ordinary"}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "agenda_frozen"
    assert len(api.get(f"/meetings/{meeting['id']}").get_json()["agenda"]) == 2


def test_signing_in_a_non_member_is_422_and_nothing_changes(town):
    api = town["staff"]
    meeting_id = running(town)
    for who in (town["child"], town["stranger"]):
        response = attend(api, meeting_id, who)
        assert response.status_code == 422
        assert error_of(response)["code"] == "not_a_member"
    assert sheet(api, meeting_id) == []


def test_the_same_person_twice_is_409_and_nothing_changes(town):
    api = town["staff"]
    meeting_id = running(town)
    assert attend(api, meeting_id, town["adults"][0]).status_code == 201
    before = sheet(api, meeting_id)
    response = attend(api, meeting_id, town["adults"][0], status="absent")
    assert response.status_code == 409
    assert error_of(response)["code"] == "already_signed_in"
    assert sheet(api, meeting_id) == before


def test_a_second_person_of_a_household_is_409_in_household_mode(town):
    api, adults = town["staff"], town["adults"]
    meeting_id = running(town, mode="households")
    assert attend(api, meeting_id, adults[0]).status_code == 201  # household K0
    response = attend(api, meeting_id, adults[1])  # K0 again
    assert response.status_code == 409
    assert error_of(response)["code"] == "household_represented"
    assert len(sheet(api, meeting_id)) == 1
    quorum = api.get(f"/meetings/{meeting_id}/quorum").get_json()
    # Households of adults: K0, K1, K2 and the world's H001, H002.
    assert (quorum["members"], quorum["present"], quorum["unit"]) == (5, 1, "households")


def test_a_proxy_beyond_the_limit_is_409_and_one_held_by_a_non_member_422(town):
    api, adults = town["staff"], town["adults"]
    meeting_id = running(town)
    holder = adults[0]
    attend(api, meeting_id, holder)
    for principal in adults[1:4]:
        response = attend(api, meeting_id, principal, "proxy", proxy_holder_id=holder.id)
        assert response.status_code == 201, response.get_json()
    before = sheet(api, meeting_id)
    fourth = attend(api, meeting_id, adults[4], "proxy", proxy_holder_id=holder.id)
    assert fourth.status_code == 409
    assert error_of(fourth)["code"] == "proxy_limit"
    assert error_of(fourth)["details"]["rule"]["id"] == "URC25-14"
    outsider = attend(api, meeting_id, adults[4], "proxy", proxy_holder_id=town["stranger"].id)
    assert outsider.status_code == 422
    assert "proxy_holder_id" in error_of(outsider)["details"]
    assert sheet(api, meeting_id) == before
    assert api.get(f"/meetings/{meeting_id}/quorum").get_json()["present"] == 4


def test_every_change_to_an_adjourned_meeting_is_409(town):
    api, adults = town["staff"], town["adults"]
    meeting_id = running(town)
    attend(api, meeting_id, adults[0])
    api.post(f"/meetings/{meeting_id}/adjourn")
    before = (sheet(api, meeting_id), api.get(f"/meetings/{meeting_id}").get_json())
    attempts = [
        attend(api, meeting_id, adults[1]),
        api.post(f"/meetings/{meeting_id}/attendance/{adults[0].id}/departure"),
        api.post(
            f"/meetings/{meeting_id}/attendance/{adults[0].id}/correction",
            {"status": "absent", "reason": "记错"},
        ),
        api.post(
            f"/meetings/{meeting_id}/agenda",
            {"title": "x", "decision_type": "ordinary", "urgent_decision": "y"},
        ),
        api.post(f"/meetings/{meeting_id}/open"),
        api.post(f"/meetings/{meeting_id}/notice"),
        api.post(f"/meetings/{meeting_id}/adjourn"),
    ]
    assert [r.status_code for r in attempts] == [409] * len(attempts)
    assert (sheet(api, meeting_id), api.get(f"/meetings/{meeting_id}").get_json()) == before


def test_a_major_item_records_its_party_review_once(town):
    api = town["staff"]
    meeting = new_meeting(
        api, new_body(api), agenda=[{"title": "老旧小区改造方案", "decision_type": "major"}]
    )
    item = meeting["agenda"][0]
    assert item["party_review"] == {
        "required": True,
        "rule": "URC25-28",
        "reviewed_at": None,
        "reference": None,
    }
    url = f"/agenda-items/{item['id']}/party-review"
    assert api.post(url, {}).status_code == 422
    response = api.post(url, {"reference": "社区党委2026年第6次会议纪要"})
    assert response.status_code == 200
    assert response.get_json()["party_review"]["reference"] == "社区党委2026年第6次会议纪要"
    assert response.get_json()["can_vote"]["ok"] is False  # not in session yet
    assert api.post(url, {"reference": "again"}).status_code == 409


# ---------------------------------------------------------------- who may


def test_residents_read_but_do_not_run_meetings(town):
    meeting_id = running(town)
    resident, anonymous = town["resident"], town["anonymous"]
    assert attend(resident, meeting_id, town["adults"][0]).status_code == 403
    assert attend(anonymous, meeting_id, town["adults"][0]).status_code == 401
    assert resident.post(f"/meetings/{meeting_id}/adjourn").status_code == 403
    assert resident.get(f"/meetings/{meeting_id}/attendance").status_code == 403
    assert resident.get(f"/meetings/{meeting_id}/quorum").status_code == 200
    assert sheet(town["staff"], meeting_id) == []


def test_unknown_meetings_and_malformed_bodies(town):
    api = town["staff"]
    assert api.get("/meetings/999999").status_code == 404
    assert api.post("/meetings/999999/notice").status_code == 404
    assert api.post("/agenda-items/999999/party-review", {"reference": "r"}).status_code == 404
    meeting_id = running(town)
    response = api.client.post(
        f"/api/v1/meetings/{meeting_id}/attendance",
        data="{not json",
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    missing = api.post(f"/meetings/{meeting_id}/attendance", {"status": "present"})
    assert missing.status_code == 422
    assert error_of(missing)["details"] == {"resident_id": "required"}
    bad_time = api.post(
        "/communities/heping/meetings",
        {"body_id": new_body(api), "title": "x", "starts_at": "next tuesday"},
    )
    assert bad_time.status_code == 422
