"""Signed minutes in a real browser (issue 5): the recorder writes the draft and signs it (the
first time with a new passphrase, typed twice), the chair signs, a member of the supervisory
committee countersigns; then a resident on a phone downloads the published PDF from the notice
board and checks it on the public verification page: a green verdict, three signatures.

Each signature renders or signs a real PDF (a second or two on this machine): the timeouts are
generous."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from consult import clock
from consult.actor import Actor
from consult.extensions import db
from consult.meetings import service as meetings
from consult.registry.enrolment import create_resident_account
from consult.registry.service import create_community

pytestmark = pytest.mark.e2e

CODE = "minhe"
PASSWORD = "minutes-password-e2e"
SIGNERS = {"recorder": "林小红", "chair": "郭建国", "supervisor": "马秀兰"}
PASSPHRASE = {role: f"{role} 的签名口令 2026" for role in SIGNERS}
SIGNING_MS = 60_000


@pytest.fixture(scope="module")
def seeded(live_app: Any) -> dict[str, Any]:
    """An adjourned meeting of a new community, its three signers and a resident."""
    from consult.accounts.service import grant_role
    from tests.factories import make_body, make_resident

    with live_app.app_context():
        system = Actor.system("e2e")
        community = create_community(system, CODE, "民和社区", "urban")
        for n, (role, name) in enumerate(SIGNERS.items()):
            person = make_resident(community, name=name, household=f"5-10{n}")
            create_resident_account(system, community, person.id, f"{role}@minhe.test", PASSWORD)
            grant_role(system, community.id, f"{role}@minhe.test", role)
        resident = make_resident(community, name="何淑芬", household="6-101")
        create_resident_account(system, community, resident.id, "he@minhe.test", PASSWORD)
        body = make_body(community, name="民和社区居民会议")
        meeting = meetings.create_meeting(
            system,
            community,
            body_id=body.id,
            title="民和社区居民会议（临时）",
            starts_at=clock.now() + timedelta(minutes=30),
            location="社区活动室",
            agenda=[meetings.NewItem("垃圾分类投放点调整", "ordinary")],
            short_notice_reason="投放点下周施工，须本周决定",
        )
        meetings.notice_meeting(system, meeting)
        meetings.open_meeting(system, meeting)
        meetings.record_attendance(system, meeting, resident_id=resident.id, status="present")
        meetings.adjourn_meeting(system, meeting)
        db.session.commit()
        return {"meeting_id": meeting.id}


def sign_in(browser: Any, live_server: str, email: str, **context: Any) -> Any:
    options = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN", **context}
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(SIGNING_MS)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    return page


def sign(page: Any, live_server: str, meeting_id: int, *, first: bool, role: str) -> None:
    page.goto(f"{live_server}/meetings/{meeting_id}#minutes")
    page.click(f"#minutes a[href='/meetings/{meeting_id}/minutes/sign']")
    page.fill("input[name=passphrase]", PASSPHRASE[role])
    if first:
        assert "这是您第一次以" in page.locator(".first-signature").inner_text()
        page.fill("input[name=confirm]", PASSPHRASE[role])
    page.click(".sign-card button[type=submit]")
    page.wait_for_url(f"{live_server}/meetings/{meeting_id}#minutes")
    assert "已签名" in page.locator(".flash.success").inner_text()


def test_three_sign_and_a_resident_on_a_phone_checks_the_published_pdf(
    browser: Any, live_server: str, seeded: dict[str, Any], tmp_path: Any
) -> None:
    meeting_id = seeded["meeting_id"]
    recorder = sign_in(browser, live_server, "recorder@minhe.test")
    try:
        recorder.goto(f"{live_server}/meetings/{meeting_id}")
        recorder.click(f"#minutes a[href='/meetings/{meeting_id}/minutes/edit']")
        recorder.fill("textarea[name^=item_]", "居民一致同意将投放点移至**北门**。")
        recorder.fill("textarea[name=text]", "会议按时召开，秩序良好。")
        recorder.click(".minutes-editor button[type=submit]")
        assert "<strong>北门</strong>" in recorder.locator("#preview").inner_html()
        sign(recorder, live_server, meeting_id, first=True, role="recorder")
    finally:
        recorder.context.close()
    for role in ("chair", "supervisor"):
        signer = sign_in(browser, live_server, f"{role}@minhe.test")
        try:
            sign(signer, live_server, meeting_id, first=True, role=role)
            if role == "supervisor":
                assert "已发布" in signer.locator("#minutes").inner_text()
        finally:
            signer.context.close()

    phone = sign_in(
        browser,
        live_server,
        "he@minhe.test",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    try:
        phone.goto(f"{live_server}/c/{CODE}/notice-board")
        link = phone.locator(f"a[href='/meetings/{meeting_id}/minutes.pdf']")
        assert link.is_visible()
        with phone.expect_download() as download:
            # A tap opens the PDF in the browser's viewer; Alt-click saves it, as a long press
            # and "Download link" does on a phone.
            link.click(modifiers=["Alt"])
        saved = tmp_path / "minutes.pdf"
        download.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF-")

        phone.goto(f"{live_server}/notices/{meeting_id}")
        phone.click("#minutes a:has-text('核验')")
        phone.set_input_files("input[name=file]", str(saved))
        phone.click("main form button[type=submit]")
        verdict = phone.locator(".verdict-box")
        assert "good" in (verdict.get_attribute("class") or "")
        assert "签名有效" in verdict.inner_text()
        assert phone.locator("ol.sig-list li.sig.good").count() == 3
        page_text = phone.locator("main").inner_text()
        for name in SIGNERS.values():
            assert name in page_text
        # Readable on a 390 px screen: nothing wider than the viewport.
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
    finally:
        phone.context.close()
