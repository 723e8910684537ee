"""Meeting pages through the test client: staff create, notice and open a meeting, sign people
in at the desk until the quorum banner turns green, and adjourn; every bad input is a flash
error that changes nothing; the QR check-in with good, expired and forged codes; the chair's
console; the public notice board and its iCal events, which show counts and never names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult import clock
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.meetings import checkin, ical
from consult.meetings.models import Attendance, AttendanceVersion, Body, Meeting
from consult.registry.models import Resident
from tests.conftest import World, csrf_token, login
from tests.factories import make_body, make_meeting, make_resident

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def english(client: FlaskClient) -> None:
    """Read the pages in English (Chinese is the default; the catalogue is tested elsewhere)."""
    client.get("/prefs?lang=en&next=/")


def staff(client: FlaskClient, world: World) -> FlaskClient:
    login(client, world.users["staff"].email)
    english(client)
    return client


def post(client: FlaskClient, page: str, url: str, **data: Any) -> Any:
    token = csrf_token(text_of(client.get(page)))
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)


def attendances(meeting: Meeting) -> int:
    return int(
        db.session.execute(
            select(func.count(Attendance.id)).where(Attendance.meeting_id == meeting.id)
        ).scalar_one()
    )


def audit_actions(action: str) -> int:
    return int(
        db.session.execute(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == action)
        ).scalar_one()
    )


@pytest.fixture
def frozen(db_session: Any) -> datetime:
    clock.freeze(NOW)
    return NOW


# ---------------------------------------------------------------- the whole meeting


def test_staff_create_notice_open_sign_in_until_quorum_and_adjourn(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    staff(client, world)
    # No body yet: the new-meeting page sends staff to create one first.
    response = client.get("/c/heping/meetings/new")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/bodies/new")
    page = text_of(
        post(
            client,
            "/c/heping/bodies/new",
            "/c/heping/bodies/new",
            kind="residents_meeting",
            name="和平里社区居民会议",
            mode="all_adults",
            members="",
        )
    )
    assert "The body was created." in page
    starts = (NOW + timedelta(days=20)).astimezone(ZoneInfo("Asia/Shanghai"))
    response = post(
        client,
        "/c/heping/meetings/new",
        "/c/heping/meetings/new",
        body_id=str(db.session.execute(select(func.max(Body.id))).scalar_one()),
        title="年度居民会议",
        starts_at=starts.strftime("%Y-%m-%dT%H:%M"),
        location="社区活动室",
        **{
            "agenda-0-title": "年度工作报告",
            "agenda-0-decision_type": "ordinary",
            "agenda-1-title": "旧楼加装电梯",
            "agenda-1-decision_type": "major",
            "agenda-2-title": "",
            "agenda-2-decision_type": "ordinary",
        },
    )
    page = text_of(response)
    assert "The meeting was created as a draft" in page, page[:3000]
    meeting = db.session.execute(
        select(Meeting).where(Meeting.title == "年度居民会议")
    ).scalar_one()
    assert [(i.title, i.decision_type) for i in meeting.agenda] == [
        ("年度工作报告", "ordinary"),
        ("旧楼加装电梯", "major"),
    ]
    assert meeting.starts_at == starts.replace(second=0, microsecond=0)
    # The meeting page: the notice period with its citation, each item's rule, the Party gate.
    assert "URC25-22" in page  # 提前十日通知
    assert "10 days before the meeting" in page
    assert "URC25-28" in page  # the Party organization's review of a major item
    assert "Record the review" in page
    url = f"/meetings/{meeting.id}"
    page = text_of(post(client, url, f"{url}/notice"))
    assert "The notice is published" in page
    assert meeting.state == "noticed"
    # Opening too early is refused, and said so.
    page = text_of(post(client, url, f"{url}/open"))
    assert "from 60 minutes before it starts" in page
    assert meeting.state == "noticed"
    clock.freeze(meeting.starts_at - timedelta(minutes=30))
    page = text_of(post(client, url, f"{url}/open"))
    assert "The meeting is open" in page
    # The desk: two adult residents, so the quorum (more than half) needs both.
    desk = text_of(client.get(f"{url}/desk"))
    assert "Quorum not yet met" in desk
    assert 'class="quorum not-met"' in desk
    desk = text_of(client.get(f"{url}/desk?q=张秀英"))
    assert "Sign in 张秀英" in desk
    page = text_of(
        post(
            client,
            f"{url}/desk",
            f"{url}/desk/sign-in",
            resident_id=world.residents["resident"].id,
            q="张秀英",
        )
    )
    assert "张秀英 is signed in." in page
    assert 'class="quorum not-met"' in page
    # Search by household code.
    assert "Sign in 王建国" in text_of(client.get(f"{url}/desk?q=H002"))
    page = text_of(
        post(
            client,
            f"{url}/desk",
            f"{url}/desk/sign-in",
            resident_id=world.residents["representative"].id,
            q="H002",
        )
    )
    assert 'class="quorum met"' in page
    assert "Quorum met" in page
    assert "2 of 2 members present; 2 needed" in page
    # Someone leaves early: the quorum drops with them.
    page = text_of(
        post(
            client,
            f"{url}/desk",
            f"{url}/desk/departure",
            resident_id=world.residents["representative"].id,
        )
    )
    assert "departure time is recorded" in page
    assert 'class="quorum not-met"' in page
    page = text_of(post(client, url, f"{url}/adjourn"))
    assert "The meeting is adjourned" in page
    assert meeting.state == "adjourned"


# ---------------------------------------------------------------- bad inputs at the desk


@pytest.fixture
def in_session(world: World, frozen: datetime) -> Meeting:
    meeting = make_meeting(world.community, state="in_session", short_notice_reason=None)
    db.session.commit()
    return meeting


def test_the_desk_refuses_a_non_member_and_a_second_sign_in(
    client: FlaskClient, world: World, in_session: Meeting
) -> None:
    staff(client, world)
    url = f"/meetings/{in_session.id}"
    stranger = world.residents["other_resident"].id
    page = text_of(post(client, f"{url}/desk", f"{url}/desk/sign-in", resident_id=stranger))
    assert "This person is not a member of this meeting." in page
    assert 'class="flash error"' in page
    assert attendances(in_session) == 0
    me = world.residents["resident"].id
    post(client, f"{url}/desk", f"{url}/desk/sign-in", resident_id=me)
    before = audit_actions("meetings:attendance:record")
    page = text_of(post(client, f"{url}/desk", f"{url}/desk/sign-in", resident_id=me))
    assert "already signed in; nothing was changed" in page
    assert attendances(in_session) == 1
    assert audit_actions("meetings:attendance:record") == before
    # A form without a person is refused too.
    page = text_of(post(client, f"{url}/desk", f"{url}/desk/sign-in"))
    assert "Choose a person from the list." in page


def test_the_desk_refuses_a_fourth_proxy_and_a_proxy_without_a_holder_present(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    others = [
        make_resident(world.community, name=f"委托人{n}", household=f"P{n}") for n in range(4)
    ]
    meeting = make_meeting(world.community, state="in_session")
    db.session.commit()
    staff(client, world)
    url = f"/meetings/{meeting.id}"
    holder = world.residents["resident"].id
    # The holder is not here yet.
    page = text_of(
        post(
            client,
            f"{url}/desk",
            f"{url}/desk/proxy",
            resident_id=others[0].id,
            proxy_holder_id=holder,
        )
    )
    assert "Sign the proxy holder in first" in page
    assert attendances(meeting) == 0
    post(client, f"{url}/desk", f"{url}/desk/sign-in", resident_id=holder)
    desk = text_of(client.get(f"{url}/desk?q=委托人"))
    assert "Record proxy" in desk
    assert f'<option value="{holder}">张秀英</option>' in desk
    for principal in others[:3]:
        page = text_of(
            post(
                client,
                f"{url}/desk",
                f"{url}/desk/proxy",
                resident_id=principal.id,
                proxy_holder_id=holder,
            )
        )
        assert "is represented by proxy" in page
    page = text_of(
        post(
            client,
            f"{url}/desk",
            f"{url}/desk/proxy",
            resident_id=others[3].id,
            proxy_holder_id=holder,
        )
    )
    assert "already carries the most proxies the law allows" in page
    assert attendances(meeting) == 4
    assert "By proxy: 张秀英" in text_of(client.get(f"{url}/desk?q=委托人0"))


def test_actions_on_a_meeting_in_the_wrong_state_are_refused(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    noticed = make_meeting(world.community, state="noticed")
    adjourned = make_meeting(world.community, state="adjourned")
    db.session.commit()
    staff(client, world)
    me = world.residents["resident"].id
    page = text_of(
        post(
            client,
            f"/meetings/{noticed.id}/desk",
            f"/meetings/{noticed.id}/desk/sign-in",
            resident_id=me,
        )
    )
    assert "present state" in page
    assert "Sign-in begins when the meeting is opened." in page
    page = text_of(
        post(
            client,
            f"/meetings/{adjourned.id}/desk",
            f"/meetings/{adjourned.id}/desk/sign-in",
            resident_id=me,
        )
    )
    assert "The meeting is adjourned: its record is closed." in page
    page = text_of(post(client, f"/meetings/{noticed.id}", f"/meetings/{noticed.id}/notice"))
    assert 'class="flash error"' in page
    assert attendances(noticed) == 0
    assert attendances(adjourned) == 0


def test_a_meeting_too_soon_without_a_reason_cannot_be_noticed(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    soon = make_meeting(world.community, starts_at=NOW + timedelta(days=3))
    db.session.commit()
    staff(client, world)
    page = text_of(client.get(f"/meetings/{soon.id}"))
    assert "would start before the 10 days" in page
    page = text_of(post(client, f"/meetings/{soon.id}", f"/meetings/{soon.id}/notice"))
    assert "before the statutory notice period ends" in page
    assert soon.state == "draft"
    # With a recorded reason it may go out, and the reason is published.
    urgent = make_meeting(
        world.community, starts_at=NOW + timedelta(days=3), short_notice_reason="防汛紧急"
    )
    db.session.commit()
    post(client, f"/meetings/{urgent.id}", f"/meetings/{urgent.id}/notice")
    assert urgent.state == "noticed"
    assert urgent.is_short_notice
    assert "防汛紧急" in text_of(client.get(f"/notices/{urgent.id}"))


def test_the_party_review_is_recorded_from_the_meeting_page(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    meeting = make_meeting(world.community, agenda=(("加装电梯", "major"),))
    db.session.commit()
    staff(client, world)
    item = meeting.agenda[0]
    url = f"/meetings/{meeting.id}"
    page = text_of(post(client, url, f"/agenda-items/{item.id}/party-review", reference=""))
    assert "Give the reference" in page
    assert item.party_reviewed_at is None
    page = text_of(
        post(
            client, url, f"/agenda-items/{item.id}/party-review", reference="党委会纪要〔2026〕12号"
        )
    )
    assert "review is recorded" in page
    assert "党委会纪要〔2026〕12号" in page
    assert item.party_review_reference == "党委会纪要〔2026〕12号"


def test_a_body_with_unknown_members_is_refused_on_the_form(
    client: FlaskClient, world: World
) -> None:
    staff(client, world)
    token = csrf_token(text_of(client.get("/c/heping/bodies/new")))
    response = client.post(
        "/c/heping/bodies/new",
        data={
            "csrf_token": token,
            "kind": "representative_council",
            "name": "居民代表会议",
            "mode": "all_adults",
            "members": "张秀英\n查无此人",
        },
    )
    assert response.status_code == 422
    assert "查无此人" in text_of(response)
    response = post(
        client,
        "/c/heping/bodies/new",
        "/c/heping/bodies/new",
        kind="representative_council",
        name="居民代表会议",
        mode="all_adults",
        members="张秀英\n王建国",
    )
    assert "The body was created." in text_of(response)


# ---------------------------------------------------------------- the chair's console


def test_the_console_moves_through_the_agenda_and_records_it(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    meeting = make_meeting(
        world.community,
        agenda=(("工作报告", "ordinary"), ("加装电梯", "major")),
        state="in_session",
    )
    db.session.commit()
    staff(client, world)
    url = f"/meetings/{meeting.id}/console"
    page = text_of(client.get(url))
    assert "Begin item 1" in page
    assert "Quorum not yet met" in page
    page = text_of(post(client, url, f"{url}/advance", to="1"))
    assert "Now on item 1." in page
    assert "Move to item 2" in page
    assert meeting.current_position == 1
    page = text_of(post(client, url, f"{url}/advance", to="2"))
    assert "Back to item 1" in page
    assert "Adjourn the meeting" in page
    assert "This item cannot go to a vote yet." in page  # the major item's Party review
    page = text_of(post(client, url, f"{url}/advance", to="9"))
    assert 'class="flash error"' in page
    assert meeting.current_position == 2
    assert audit_actions("meetings:agenda:advance") == 2


def test_the_standing_fragment_follows_sign_ins_made_elsewhere(
    app: Any, client: FlaskClient, world: World, in_session: Meeting
) -> None:
    """What live.js polls: the banner and the counts with the ids the pages carry, never cached,
    and a stop signal once the meeting is adjourned."""
    from consult.actor import Actor
    from consult.meetings import service

    staff(client, world)
    console = text_of(client.get(f"/meetings/{in_session.id}/console"))
    assert f'data-live-src="/meetings/{in_session.id}/standing"' in console
    assert "/static/js/live.js" in console
    url = f"/meetings/{in_session.id}/standing"
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "X-Consult-Live" not in response.headers
    fragment = text_of(response)
    assert 'id="quorum"' in fragment
    assert 'id="counts"' in fragment
    assert "<html" not in fragment  # a fragment, not a page
    assert "Quorum not yet met" in fragment
    # Another desk signs everyone in: the next poll shows the banner met.
    system = Actor.system("tests")
    for name in ("resident", "representative"):  # the community's two adults
        resident_id = world.residents[name].id
        service.record_attendance(system, in_session, resident_id=resident_id, status="present")
    db.session.commit()
    fragment = text_of(client.get(url))
    assert "Quorum met" in fragment
    assert 'class="quorum met"' in fragment
    service.adjourn_meeting(system, in_session)
    db.session.commit()
    assert client.get(url).headers["X-Consult-Live"] == "stop"


def test_a_village_creates_a_villagers_group_meeting_and_a_town_is_not_offered_one(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    from tests.factories import make_community

    village = make_community("shiqiao", name="石桥村", kind="village")
    for n, group in enumerate(("一组", "一组", "二组")):
        make_resident(village, name=f"村民{n}", household=f"V{n}", group=group)
    db.session.commit()
    login(client, world.users["admin"].email)
    english(client)
    town = text_of(client.get("/c/heping/bodies/new"))
    assert 'value="group_meeting"' not in town
    assert 'name="group"' not in town
    page = text_of(client.get("/c/shiqiao/bodies/new"))
    assert 'value="group_meeting"' in page
    assert 'value="members_meeting"' in page
    assert '<option value="一组">' in page
    # A group meeting without its group: a form error, nothing created.
    response = post(
        client,
        "/c/shiqiao/bodies/new",
        "/c/shiqiao/bodies/new",
        kind="group_meeting",
        name="一组村民小组会议",
        mode="all_adults",
        group="",
        members="",
    )
    assert "Choose the villagers&#39; group whose meeting this is." in text_of(response)
    assert db.session.execute(select(func.count(Body.id))).scalar_one() == 0
    page = text_of(
        post(
            client,
            "/c/shiqiao/bodies/new",
            "/c/shiqiao/bodies/new",
            kind="group_meeting",
            name="一组村民小组会议",
            mode="households",
            group="一组",
            members="",
        )
    )
    assert "The body was created." in page
    body = db.session.execute(select(Body)).scalar_one()
    assert body.kind == "group_meeting"
    assert body.mode == "households"
    assert body.group_id is not None


def test_staff_register_and_withdraw_candidates_and_the_public_sees_the_list(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    meeting = make_meeting(
        world.community, agenda=(("选举居民委员会成员", "election"),), state="noticed"
    )
    make_resident(world.community, name="王建国", household="H009")  # a namesake
    db.session.commit()
    staff(client, world)
    url = f"/meetings/{meeting.id}"
    item = meeting.agenda[0]
    add = f"/agenda-items/{item.id}/candidates"
    page = text_of(client.get(url))
    assert "No candidates registered yet." in page
    page = text_of(post(client, url, add, name="王建国", nominated_by="voters"))
    assert "More than one resident has this name: give the household too." in page
    page = text_of(
        post(
            client,
            url,
            add,
            name="王建国",
            household="H002",
            nominated_by="voters",
            nomination_note="居民12人联名",
        )
    )
    assert "王建国 is registered as a candidate." in page
    assert "Nominated jointly by voters" in page
    page = text_of(post(client, url, add, name="张秀英", nominated_by="party_organization"))
    assert "张秀英 is registered as a candidate." in page
    public = text_of(client.application.test_client().get(f"/notices/{meeting.id}"))
    assert "王建国" in public
    assert "居民12人联名" in public
    assert "登记退出" not in public  # the public page has no staff forms
    assert 'name="reason"' not in public
    rep = world.residents["representative"].id
    page = text_of(post(client, url, f"{add}/{rep}/withdraw", reason=""))
    assert "Give the reason for the withdrawal." in page
    page = text_of(post(client, url, f"{add}/{rep}/withdraw", reason="本人申请退出"))
    assert "The withdrawal is recorded; the candidate stays on record." in page
    assert "本人申请退出" in page
    assert "<s>王建国</s>" in page


# ---------------------------------------------------------------- QR check-in


def _qr_link(client: FlaskClient, meeting: Meeting) -> str:
    page = text_of(client.get(f"/meetings/{meeting.id}/qr"))
    assert "<svg" in page
    assert "<script" not in page
    match = re.search(r"(/meetings/\d+/check-in\?t=[A-Za-z0-9._\-]+)", page)
    assert match
    return match.group(1)


def test_a_resident_checks_in_with_the_qr_code(
    app: Any, client: FlaskClient, world: World, in_session: Meeting
) -> None:
    staff(client, world)
    link = _qr_link(client, in_session)
    resident = app.test_client()
    # Not signed in: the code leads to the sign-in page first.
    response = resident.get(link)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    login(resident, world.users["resident"].email)
    english(resident)
    page = text_of(resident.get(link))
    assert "I am here: sign me in" in page
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    assert token
    page = text_of(
        resident.post(
            f"/meetings/{in_session.id}/check-in",
            data={"csrf_token": csrf_token(page), "token": token.group(1)},
        )
    )
    assert "You are signed in." in page
    row = db.session.execute(
        select(Attendance).where(Attendance.meeting_id == in_session.id)
    ).scalar_one()
    assert row.resident_id == world.residents["resident"].id
    assert row.status == "present"
    assert audit_actions("meetings:attendance:self") == 1
    assert "You are already signed in." in text_of(resident.get(link))


def test_an_expired_or_forged_code_signs_nobody_in(
    app: Any, client: FlaskClient, world: World, in_session: Meeting
) -> None:
    staff(client, world)
    link = _qr_link(client, in_session)
    resident = app.test_client()
    login(resident, world.users["resident"].email)
    english(resident)
    page_token = csrf_token(text_of(resident.get("/")))
    mid, expires, sig = link.split("t=")[1].split(".")
    forged = [
        f"{mid}.{int(expires) + 3600}.{sig}",  # a later expiry, same signature
        f"{mid}.{expires}.{'A' * len(sig)}",
        "nonsense",
    ]
    for token in forged:
        response = resident.get(f"/meetings/{in_session.id}/check-in?t={token}")
        assert response.status_code == 400, token
        assert "This check-in code is not valid" in text_of(response)
        response = resident.post(
            f"/meetings/{in_session.id}/check-in", data={"csrf_token": page_token, "token": token}
        )
        assert response.status_code == 400
    # A code of another meeting is no good here.
    other = make_meeting(world.community, state="in_session")
    db.session.commit()
    response = resident.get(f"/meetings/{other.id}/check-in?t={link.split('t=')[1]}")
    assert response.status_code == 400
    clock.advance(checkin.TOKEN_LIFETIME + timedelta(seconds=1))
    response = resident.post(
        f"/meetings/{in_session.id}/check-in",
        data={"csrf_token": page_token, "token": link.split("t=")[1]},
    )
    assert response.status_code == 400
    assert "This check-in code has expired" in text_of(response)
    assert attendances(in_session) == 0
    assert attendances(other) == 0


def test_a_resident_who_is_not_a_member_cannot_check_in(
    app: Any, client: FlaskClient, world: World, frozen: datetime
) -> None:
    council = make_body(
        world.community,
        "representative_council",
        members=[
            world.residents["representative"],
            *[make_resident(world.community) for _ in range(4)],
        ],
    )
    meeting = make_meeting(world.community, council, state="in_session")
    db.session.commit()
    staff(client, world)
    link = _qr_link(client, meeting)
    resident = app.test_client()
    login(resident, world.users["resident"].email)
    english(resident)
    page = text_of(resident.get(link))
    token = link.split("t=")[1]
    response = resident.post(
        f"/meetings/{meeting.id}/check-in", data={"csrf_token": csrf_token(page), "token": token}
    )
    assert response.status_code == 403
    assert "not a member of this meeting" in text_of(response)
    assert attendances(meeting) == 0


# ---------------------------------------------------------------- public pages and iCal


def test_the_notice_board_shows_notices_and_counts_without_an_account(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    draft = make_meeting(world.community, title="尚未公告的会议")
    upcoming = make_meeting(world.community, title="年度居民会议", state="noticed")
    past = make_meeting(world.community, title="上次居民会议", state="in_session")
    from consult.actor import Actor
    from consult.meetings import service

    system = Actor.system("tests")
    service.record_attendance(
        system, past, resident_id=world.residents["resident"].id, status="present"
    )
    service.adjourn_meeting(system, past, at=past.starts_at + timedelta(hours=1))
    db.session.commit()
    english(client)
    board = text_of(client.get("/c/heping/notice-board"))
    assert "年度居民会议" in board
    assert "上次居民会议" in board
    assert "尚未公告的会议" not in board
    assert "1 present" in board
    page = text_of(client.get(f"/notices/{upcoming.id}"))
    assert "年度工作报告" in page
    assert "URC25-22" in page
    assert "Add to calendar" in page
    page = text_of(client.get(f"/notices/{past.id}"))
    assert "Attendance" in page
    assert "Only the numbers are public" in page
    for name in ("张秀英", "王建国"):
        assert name not in page
        assert name not in board
    assert client.get(f"/notices/{draft.id}").status_code == 404
    assert client.get(f"/notices/{draft.id}.ics").status_code == 404
    # The home page links anonymous visitors to each community's notice board.
    assert "/c/heping/notice-board" in text_of(client.get("/"))


def test_the_ical_event_is_escaped_folded_in_utc_and_stable(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    meeting = make_meeting(
        world.community,
        title="年度会议; 预算, 选举\\事项",
        agenda=(
            ("关于小区停车位、绿化和加装电梯等事项的讨论与决定，请各位居民准时参加", "ordinary"),
        ),
        state="noticed",
    )
    db.session.commit()
    response = client.get(f"/notices/{meeting.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.get_data()
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line
    text = raw.decode("utf-8").replace("\r\n ", "")  # unfold
    assert f"DTSTART:{meeting.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in text
    assert "SUMMARY:和平里社区：年度会议\\; 预算\\, 选举\\\\事项" in text
    assert f"UID:meeting-{meeting.id}-heping@consult" in text
    assert "BEGIN:VEVENT" in text
    assert "END:VCALENDAR" in text
    assert client.get(f"/notices/{meeting.id}.ics").get_data() == raw  # stable


def test_ical_text_escaping_and_folding() -> None:
    assert ical.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = ical.fold("DESCRIPTION:" + "议" * 40)
    lines = folded.split("\r\n")
    assert all(len(x.encode()) <= 75 for x in lines)
    assert all(x.startswith(" ") for x in lines[1:])
    assert "".join(x[1:] if i else x for i, x in enumerate(lines)) == "DESCRIPTION:" + "议" * 40


def test_staff_pages_stay_private(client: FlaskClient, world: World, frozen: datetime) -> None:
    meeting = make_meeting(world.community, state="in_session")
    db.session.commit()
    login(client, world.users["resident"].email)
    for url in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/desk", "/c/heping/meetings"):
        assert client.get(url).status_code == 403, url
    assert Resident  # the register's names never reach the public pages (see above)


def test_the_demo_has_meetings_to_show(client: FlaskClient, db_session: Any) -> None:
    from consult.demo import load_demo

    demo = load_demo()
    titles = [m["title"] for m in demo["meetings"]]
    assert [m["state"] for m in demo["meetings"]] == [
        "noticed",
        "adjourned",
        "in_session",
        "noticed",
    ]
    board = text_of(client.get(demo["notice_board"]))
    assert all(t in board for t in titles)
    past = text_of(client.get(demo["meetings"][1]["public_page"]))
    assert "Attendance" in past or "出席情况" in past
    assert load_demo()["meetings"] == demo["meetings"]  # idempotent


# -------------------------------------------------------- in session: urgent items, corrections


def test_an_urgent_item_is_added_in_session_only_with_its_recorded_decision(
    client: FlaskClient, world: World, in_session: Meeting
) -> None:
    staff(client, world)
    url = f"/meetings/{in_session.id}"
    page = text_of(client.get(url))
    assert "Add an urgent item" in page
    assert 'name="urgent_decision"' in page
    assert "Add an urgent item" in text_of(client.get(f"{url}/console"))
    before = len(in_session.agenda)
    # Without the recorded decision: a flash, nothing added.
    page = text_of(
        post(client, url, f"{url}/agenda/urgent", title="防汛", decision_type="ordinary")
    )
    assert "title and the recorded decision that admits it." in page
    assert 'class="flash error"' in page
    db.session.refresh(in_session)
    assert len(in_session.agenda) == before
    # A decision type the rule set does not know: refused, nothing added.
    page = text_of(
        post(
            client,
            url,
            f"{url}/agenda/urgent",
            title="防汛",
            decision_type="no_such_type",
            urgent_decision="会议表决同意增加议题",
        )
    )
    assert "Something in the input is not right." in page
    db.session.refresh(in_session)
    assert len(in_session.agenda) == before
    page = text_of(
        post(
            client,
            url,
            f"{url}/agenda/urgent",
            title="防汛应急物资采购",
            decision_type="ordinary",
            urgent_decision="会议表决同意增加议题（第3号决定）",
        )
    )
    assert f"The urgent item is on the agenda as item {before + 1}." in page
    db.session.refresh(in_session)
    item = in_session.agenda[-1]
    assert (item.title, item.is_urgent, item.urgent_decision) == (
        "防汛应急物资采购",
        True,
        "会议表决同意增加议题（第3号决定）",
    )
    assert "urgent" in page
    # Only the urgent item takes a file in session.
    assert page.count("Attach a file to this item") == 1


def test_the_urgent_form_is_refused_before_the_session(
    client: FlaskClient, world: World, frozen: datetime
) -> None:
    meeting = make_meeting(world.community, state="noticed")
    db.session.commit()
    staff(client, world)
    url = f"/meetings/{meeting.id}"
    assert 'name="urgent_decision"' not in text_of(client.get(url))
    page = text_of(
        post(
            client,
            url,
            f"{url}/agenda/urgent",
            title="补充议题",
            decision_type="ordinary",
            urgent_decision="无",
        )
    )
    assert "The agenda is frozen at notice." in page
    db.session.refresh(meeting)
    assert len(meeting.agenda) == 1


def test_the_desk_corrects_an_entry_with_a_reason_as_a_new_version(
    client: FlaskClient, world: World, in_session: Meeting
) -> None:
    staff(client, world)
    url = f"/meetings/{in_session.id}"
    me = world.residents["resident"].id
    post(client, f"{url}/desk", f"{url}/desk/sign-in", resident_id=me)
    desk = text_of(client.get(f"{url}/desk?q=张"))
    assert "Correct this entry" in desk
    assert 'name="reason"' in desk
    row = db.session.execute(
        select(Attendance).where(Attendance.meeting_id == in_session.id)
    ).scalar_one()
    # No reason: a flash, nothing changed.
    page = text_of(
        post(client, f"{url}/desk", f"{url}/desk/correction", resident_id=me, status="absent")
    )
    assert "A correction needs the person, the right entry and its reason." in page
    db.session.refresh(row)
    assert (row.status, row.version) == ("present", 1)
    # The same status again: nothing to correct.
    page = text_of(
        post(
            client,
            f"{url}/desk",
            f"{url}/desk/correction",
            resident_id=me,
            status="present",
            reason="点错了",
        )
    )
    assert "Nothing changed." in page
    db.session.refresh(row)
    assert row.version == 1
    before = audit_actions("meetings:attendance:correct")
    page = text_of(
        post(
            client,
            f"{url}/desk",
            f"{url}/desk/correction",
            resident_id=me,
            status="absent",
            reason="签到时点错了人",
            q="张",
        )
    )
    assert "The entry of 张秀英 is corrected (version 2)." in page
    db.session.refresh(row)
    assert (row.status, row.version) == ("absent", 2)
    versions = db.session.execute(
        select(AttendanceVersion.version, AttendanceVersion.status, AttendanceVersion.reason)
        .where(AttendanceVersion.attendance_id == row.id)
        .order_by(AttendanceVersion.version)
    ).all()
    assert [tuple(v) for v in versions] == [(1, "present", None), (2, "absent", "签到时点错了人")]
    assert audit_actions("meetings:attendance:correct") == before + 1
    # Someone never signed in has nothing to correct.
    other = make_resident(world.community, name="赵六", household="H099")
    db.session.commit()
    page = text_of(
        post(
            client,
            f"{url}/desk",
            f"{url}/desk/correction",
            resident_id=other.id,
            status="present",
            reason="补签",
        )
    )
    assert "This person was not signed in." in page
