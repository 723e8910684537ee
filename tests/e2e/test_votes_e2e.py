"""Voting in a real browser (issue 4): a resident signs in on a phone-sized screen, votes in a
secret ballot, keeps the receipt the browser made; after the chair closes the vote, anyone finds
that receipt on the public result page, counted as cast."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from consult import clock
from consult.actor import Actor
from consult.extensions import db
from consult.meetings import service as meetings
from consult.registry.enrolment import create_resident_account
from consult.registry.service import create_community
from consult.voting import service as voting
from consult.voting.models import Vote

pytestmark = pytest.mark.e2e

PASSWORD = "resident-password-e2e"
CODE = "xinhe"


@pytest.fixture(scope="module")
def seeded(live_app: Any) -> dict[str, Any]:
    """A meeting in session with two residents signed in and a secret vote open."""
    from tests.factories import make_body, make_resident

    with live_app.app_context():
        system = Actor.system("e2e")
        community = create_community(system, CODE, "新河社区", "urban")
        people = [
            make_resident(community, name=name, household=household)
            for name, household in (("刘桂英", "3-101"), ("陈志强", "3-102"))
        ]
        create_resident_account(system, community, people[0].id, "liu@xinhe.test", PASSWORD)
        body = make_body(community, name="新河社区居民会议")
        meeting = meetings.create_meeting(
            system,
            community,
            body_id=body.id,
            title="新河社区居民会议（临时）",
            starts_at=clock.now() + timedelta(minutes=30),
            location="社区活动室",
            agenda=[meetings.NewItem("小区大门改造方案", "ordinary")],
            short_notice_reason="施工单位下周进场，须本周决定",
        )
        meetings.notice_meeting(system, meeting)
        meetings.open_meeting(system, meeting)
        for person in people:
            meetings.record_attendance(system, meeting, resident_id=person.id, status="present")
        vote = voting.open_vote(system, voting.create_vote(system, meeting.agenda[0], secret=True))
        db.session.commit()
        return {"vote_id": vote.id, "email": "liu@xinhe.test"}


def test_a_resident_votes_on_a_phone_and_finds_the_receipt_after_close(
    browser: Any, live_server: str, live_app: Any, seeded: dict[str, Any]
) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = phone.new_page()
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", seeded["email"])
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server}/**")
        page.goto(f"{live_server}/votes")
        main = page.locator("main")
        assert "小区大门改造方案" in main.inner_text()
        page.click("text=去投票")
        assert "无记名投票" in main.inner_text()
        page.click("label.choice-yes")
        page.click("button:has-text('投出这一票')")
        page.wait_for_selector("#receipt-code")
        shown = page.locator("#receipt-code").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-7]{5}(-[A-Z2-7]{5}){3}-[A-Z2-7]{6}", shown), shown
        assert "这张回执只显示这一次" in main.inner_text()
        assert page.locator(".receipt-qr svg").count() == 1
        # The browser made the receipt (receipt.js): the server stored only its hash.
        page.goto(f"{live_server}/votes/{seeded['vote_id']}/ballot")
        assert "已投票" in main.inner_text()
    finally:
        phone.close()

    with live_app.app_context():
        vote = db.session.get(Vote, seeded["vote_id"])
        voting.close_vote(Actor.system("e2e"), vote, live_app.extensions["consult.field_cipher"])
        db.session.commit()

    visitor = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        public = visitor.new_page()
        public.goto(f"{live_server}/votes/{seeded['vote_id']}")
        text = public.locator("main").inner_text()
        assert "赞成" in text
        assert "名单上 2 人中有 1 人投票。" in text
        public.fill("input[name=receipt]", shown.replace("-", " ").lower())
        public.click("button:has-text('核对')")
        assert "已在清单中找到，计为：赞成" in public.locator("main").inner_text()
    finally:
        visitor.close()
