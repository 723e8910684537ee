"""A staff member's first five minutes, in a real browser: sign in, import a register with a bad
line and read the error (in Chinese, the default language), import the fixed file, find a
resident, switch to English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consult.accounts.service import create_user, grant_role
from consult.actor import Actor
from consult.extensions import db
from consult.registry.service import create_community
from consult.rules.idcard import make_id_number

pytestmark = pytest.mark.e2e

HEADER = "household,name,birth_date,gender,group,phone,id_number\n"
PASSWORD = "staff-password-e2e"


@pytest.fixture(scope="module")
def seeded(live_app: Any) -> dict[str, str]:
    with live_app.app_context():
        system = Actor.system("e2e")
        community = create_community(system, "heping", "和平里社区", "urban")
        create_user(system, "staff@e2e.test", PASSWORD)
        grant_role(system, community.id, "staff@e2e.test", "staff")
        db.session.commit()
    return {"code": "heping", "email": "staff@e2e.test"}


def _csv(tmp_path: Path, name: str, bad: bool) -> Path:
    from datetime import date

    id_number = make_id_number("110101", date(1948, 3, 12), 1, "F")
    lines = [
        f"H001,张秀英,1948-03-12,F,G1,13800000001,{id_number}",
        "H001,王建国,1946-11-02,M,G1,13800000002,",
        "H002,李雪梅,1985-07-30,F,G2,,",
        "H002,李小龙,2012-05-01,M,G2,,",
        "H003,赵德明,1960-01-15,X,G3,," if bad else "H003,赵德明,1960-01-15,M,G3,,",
    ]
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_staff_imports_a_register_finds_a_resident_and_switches_to_english(
    page: Any, live_server: str, seeded: dict[str, str], tmp_path: Path
) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", seeded["email"])
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/**")
    assert "/login" not in page.url
    # Chinese is the default language: nobody has chosen one.
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "已登录。" in page.locator("main").inner_text()
    assert "退出登录" in page.locator("header").inner_text()

    # A bad line: the whole file is refused and the line is named.
    page.goto(f"{live_server}/c/heping/residents/import")
    page.set_input_files("input[type=file]", str(_csv(tmp_path, "bad.csv", bad=True)))
    page.click("main form button[type=submit]")
    body = page.locator("main").inner_text()
    assert "没有导入任何内容" in body
    assert "文件中有 1 行有误。请改正后重新导入整个文件。" in body
    rows = page.locator("table.problems-table tbody tr")
    assert rows.count() == 1
    assert rows.locator("td").all_inner_texts() == [
        "6",  # the header is line 1: 赵德明 is on line 6
        "gender（性别）列应填 M（男）或 F（女），不能填 'X'。",
    ]
    page.goto(f"{live_server}/c/heping/residents")
    assert "张秀英" not in page.locator("main").inner_text()

    # The fixed file goes in whole.
    page.goto(f"{live_server}/c/heping/residents/import")
    page.set_input_files("input[type=file]", str(_csv(tmp_path, "good.csv", bad=False)))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "新增 5 人，更新 0 人，0 人没有变化" in page.locator("main").inner_text()

    # Find a resident by name and open the page: the ID number is masked.
    page.goto(f"{live_server}/c/heping/residents")
    page.fill("input[name=q]", "张秀英")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    page.click("text=张秀英")
    detail = page.locator("main").inner_text()
    assert "张秀英" in detail
    assert "身份证号码" in detail
    assert "选民资格" in detail
    full = make_id_number("110101", __import__("datetime").date(1948, 3, 12), 1, "F")
    assert full not in page.content()
    assert full[-4:] in detail

    # Switch to English and the interface follows.
    page.click("header button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Sign out" in page.locator("header").inner_text()
    english = page.locator("main").inner_text()
    assert "ID number" in english
    assert "Eligibility to vote" in english
    assert "身份证号码" not in english
