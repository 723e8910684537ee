"""A meeting in a real browser: staff create a meeting (starting soon, with a recorded reason
for short notice), publish the notice, open it, sign people in at the desk until the quorum
banner turns green (and the chair's console, open beside it, follows without a reload); a
resident without an account reads the notice on the public board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from consult import clock
from consult.accounts.service import create_user, grant_role
from consult.actor import Actor
from consult.extensions import db
from consult.registry.service import create_community

pytestmark = pytest.mark.e2e

PASSWORD = "staff-password-e2e"
CODE = "yuhua"


@pytest.fixture(scope="module")
def seeded(live_app: Any) -> dict[str, str]:
    from tests.factories import make_body, make_resident

    with live_app.app_context():
        system = Actor.system("e2e")
        community = create_community(system, CODE, "育华社区", "urban")
        create_user(system, "staff@yuhua.test", PASSWORD)
        grant_role(system, community.id, "staff@yuhua.test", "staff")
        for name, household in (("孙玉兰", "1-101"), ("周海涛", "1-102"), ("吴晓梅", "2-201")):
            make_resident(community, name=name, household=household)
        make_body(community, name="育华社区居民会议")
        db.session.commit()
    return {"email": "staff@yuhua.test"}


def test_staff_run_a_meeting_until_the_quorum_is_met_and_the_public_sees_the_notice(
    page: Any, browser: Any, live_server: str, seeded: dict[str, str]
) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", seeded["email"])
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/**")

    # Create: the meeting starts in 40 minutes, so the short notice needs its reason.
    page.goto(f"{live_server}/c/{CODE}/meetings/new")
    starts = (clock.now() + timedelta(minutes=40)).astimezone(ZoneInfo("Asia/Shanghai"))
    page.fill("input[name=title]", "育华社区居民会议（临时）")
    page.fill("input[name=starts_at]", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=location]", "社区活动室")
    page.fill("input[name='agenda-0-title']", "楼道堆物清理")
    page.fill("textarea[name=short_notice_reason]", "消防检查发现楼道堆物，须尽快决定清理办法")
    page.click("main form button[type=submit]")
    main = page.locator("main")
    assert "会议已保存为草稿" in main.inner_text()
    assert "URC25-22" in main.inner_text()  # the notice period's article

    page.click("main button:has-text('发布通知')")
    assert "通知已在公告栏发布" in main.inner_text()
    page.click("main button:has-text('宣布开会')")
    assert "会议已开始" in main.inner_text()

    # The desk: three adults, the quorum is more than half: two.
    page.click("main a:has-text('签到台')")
    banner = page.locator("#quorum")
    assert "尚未达到法定人数" in banner.inner_text()
    assert "not-met" in (banner.get_attribute("class") or "")
    page.fill("input[name=q]", "孙玉兰")
    page.click("form.search button[type=submit]")
    page.click("button:has-text('为 孙玉兰 签到')")
    assert "孙玉兰 已签到。" in main.inner_text()
    assert "尚未达到法定人数" in page.locator("#quorum").inner_text()
    # The chair's console, open on another screen, follows the desk by itself (live.js).
    console = page.context.new_page()
    console.goto(page.url.split("/desk")[0] + "/console")
    assert "not-met" in (console.locator("#quorum").get_attribute("class") or "")
    console.evaluate("window.notReloaded = true")
    page.fill("input[name=q]", "1-102")  # by household
    page.click("form.search button[type=submit]")
    page.click("button:has-text('为 周海涛 签到')")
    banner = page.locator("#quorum")
    assert "已达到法定人数" in banner.inner_text()
    assert "met" in (banner.get_attribute("class") or "").split()
    assert "应到 3 人，实到 2 人；需要 2 人" in banner.inner_text()
    console.wait_for_selector("#quorum.met", timeout=15_000)
    assert "应到 3 人，实到 2 人；需要 2 人" in console.locator("#quorum").inner_text()
    assert console.locator("#counts dd").first.inner_text() == "2"
    assert console.evaluate("window.notReloaded") is True  # updated in place, not reloaded
    console.close()

    # A resident with no account reads the notice, and sees counts but no names.
    visitor = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        public = visitor.new_page()
        public.goto(f"{live_server}/")
        public.click(f"a[href='/c/{CODE}/notice-board']")
        public.click("text=育华社区居民会议（临时）")
        text = public.locator("main").inner_text()
        assert "楼道堆物清理" in text
        assert "消防检查发现楼道堆物" in text  # the short-notice reason is published
        assert "到会" in text
        assert "孙玉兰" not in text
        assert "周海涛" not in text
    finally:
        visitor.close()
