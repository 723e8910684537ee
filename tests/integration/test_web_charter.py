"""The charter page and the body page through the test client: staff adopt a stricter charter
and the meeting page marks the rule it tightens (章程加严); a looser one is refused and
nothing is stored; staff add a member and end a membership on the body page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult import clock
from consult.extensions import db
from consult.meetings.charter_models import Charter
from consult.meetings.models import Membership
from tests.conftest import World, csrf_token, login
from tests.factories import make_body, make_meeting, make_resident

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def post(client: FlaskClient, page: str, url: str, **data: Any) -> Any:
    token = csrf_token(text_of(client.get(page)))
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)


CHARTER = {
    "title": "和平里社区居民自治章程",
    "kind": "charter",
    "article": "12",
    "effective_from": "2026-06-05",
    "decision_reference": "2026年第一次居民会议决议",
    "body": "residents_meeting",
    "decision_type": "major",
    "basis": "present",
    "op": ">=",
    "num": "2",
    "den": "3",
}


def test_staff_adopt_a_charter_and_the_meeting_page_marks_the_stricter_rule(
    client: FlaskClient, world: World
) -> None:
    clock.freeze(NOW)
    login(client, world.users["staff"].email)
    page = client.get("/c/heping/charter")
    assert page.status_code == 200
    assert "自治章程" in text_of(page)
    done = post(client, "/c/heping/charter", "/c/heping/charter", **CHARTER)
    assert done.status_code == 200
    assert "《和平里社区居民自治章程》第十二条" in text_of(done)
    # The stricter rule in words, not only as data.
    assert "<strong>居民会议 · 重要事项</strong>：通过：到会人员三分之二以上" in text_of(done)
    meeting = make_meeting(world.community, agenda=(("重大事项", "major"),))
    db.session.commit()
    shown = text_of(client.get(f"/meetings/{meeting.id}"))
    assert "章程加严" in shown
    assert "《和平里社区居民自治章程》第十二条" in shown
    assert "CHARTER-v1" in shown


def test_a_looser_charter_is_refused_on_the_page_and_nothing_is_stored(
    client: FlaskClient, world: World
) -> None:
    clock.freeze(NOW)
    login(client, world.users["staff"].email)
    looser = {**CHARTER, "basis": "votes_cast_excl_abstain", "op": ">", "num": "1", "den": "2"}
    refused = post(client, "/c/heping/charter", "/c/heping/charter", **looser)
    assert refused.status_code == 422
    assert "URC25-23" in text_of(refused)
    assert db.session.execute(select(func.count(Charter.id))).scalar_one() == 0


def test_staff_add_and_end_a_member_on_the_body_page(client: FlaskClient, world: World) -> None:
    clock.freeze(NOW)
    people = [
        make_resident(world.community, name=f"代表{n}", household=f"B{n}", gender="MF"[n % 2])
        for n in range(4)
    ]
    body = make_body(world.community, "representative_council", members=people[:3])
    db.session.commit()
    login(client, world.users["staff"].email)
    page = f"/bodies/{body.id}"
    assert "代表0" in text_of(client.get(page))
    added = post(
        client, page, f"/bodies/{body.id}/members", resident="代表3", starts_on="2026-06-01"
    )
    assert added.status_code == 200
    ended = post(
        client,
        page,
        f"/bodies/{body.id}/members/{people[0].id}/end",
        ends_on="2026-06-30",
        reason="辞职",
    )
    assert ended.status_code == 200
    rows = {
        m.resident_id: m
        for m in db.session.execute(
            select(Membership).where(Membership.body_id == body.id)
        ).scalars()
    }
    assert people[3].id in rows
    assert rows[people[0].id].end_date == date(2026, 6, 30)
    again = post(
        client,
        page,
        f"/bodies/{body.id}/members/{people[0].id}/end",
        ends_on="2026-06-29",
        reason="again",
    )
    assert rows[people[0].id].end_date == date(2026, 6, 30)
    assert again.status_code == 200


def test_a_seat_that_breaks_a_composition_rule_is_added_with_its_warning_shown(
    client: FlaskClient, world: World
) -> None:
    """A committee member seated on the supervisory committee: allowed, but staff see why the
    statute objects, with the article (the warning is recorded, not silently ignored)."""
    clock.freeze(NOW)
    people = [make_resident(world.community, name=f"委员{n}", household=f"W{n}") for n in range(4)]
    make_body(world.community, "committee", members=people[:1])
    body = make_body(world.community, "supervisory_council", members=people[1:3])
    db.session.commit()
    login(client, world.users["staff"].email)
    page = f"/bodies/{body.id}"
    added = post(
        client, page, f"/bodies/{body.id}/members", resident="委员0", starts_on="2026-06-01"
    )
    assert added.status_code == 200
    html = text_of(added)
    assert 'class="flash warning"' in html
    assert "URC25-" in html
    seated = select(Membership.resident_id).where(Membership.body_id == body.id)
    assert people[0].id in set(db.session.execute(seated).scalars())
