"""Account pages through the test client: sign-in, sign-up, verification by a printed code
(single use, expiring, rate-limited), the unverified banner, and role management."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consult import clock
from consult.accounts.models import RoleAssignment, User
from consult.audit.models import AuditEntry
from consult.extensions import db
from tests.conftest import World, csrf_token
from tests.integration.test_web_register import text_of

pytestmark = pytest.mark.integration

CODE = re.compile(r'<dd class="code" lang="en">([2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5})</dd>')


def issue_code(staff: FlaskClient, resident_id: int) -> str:
    page = text_of(staff.get(f"/c/heping/residents/{resident_id}"))
    slip = staff.post(
        f"/c/heping/residents/{resident_id}/code", data={"csrf_token": csrf_token(page)}
    )
    assert slip.status_code == 200
    match = CODE.search(text_of(slip))
    assert match, "no code on the slip"
    return match.group(1)


def sign_up(app: Flask, email: str) -> FlaskClient:
    """A new browser: sign up through the page; the new account is signed in."""
    client = app.test_client()
    token = csrf_token(text_of(client.get("/signup?lang=en")))
    response = client.post(
        "/signup",
        data={
            "csrf_token": token,
            "display_name": "新居民",
            "email": email,
            "password": "a long password",
            "confirm": "a long password",
        },
    )
    assert response.status_code == 302, text_of(response)[:1000]
    assert response.headers["Location"].endswith("/verify")
    return client


def enter_code(client: FlaskClient, code: str) -> Any:
    token = csrf_token(text_of(client.get("/verify")))
    return client.post("/verify", data={"csrf_token": token, "code": code})


def user(email: str) -> User:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


@pytest.fixture
def new_resident(world: World) -> int:
    """A resident on the register with no account yet."""
    from tests.factories import make_resident

    return make_resident(world.community, name="郑丽华", household="H050").id


# ---------------------------------------------------------------- sign-in and sign-up


def test_the_sign_in_page_links_to_sign_up(client: FlaskClient) -> None:
    page = text_of(client.get("/login?lang=en"))
    assert 'name="csrf_token"' in page
    assert 'href="/signup"' in page
    assert 'autocomplete="current-password"' in page


def test_a_wrong_password_is_explained_on_the_page(client: FlaskClient, world: World) -> None:
    token = csrf_token(text_of(client.get("/login?lang=en")))
    response = client.post(
        "/login", data={"csrf_token": token, "email": "staff@example.org", "password": "nope"}
    )
    assert response.status_code == 200
    assert "The e-mail or password is not right." in text_of(response)
    assert 'aria-invalid="true"' in text_of(response)


def test_ten_wrong_passwords_lock_the_account_for_a_while(
    client: FlaskClient, world: World
) -> None:
    token = csrf_token(text_of(client.get("/login?lang=en")))
    for _ in range(10):
        client.post(
            "/login", data={"csrf_token": token, "email": "staff@example.org", "password": "x"}
        )
    locked = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "staff@example.org",
            "password": "correct horse battery",
        },
    )
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in text_of(locked)


def test_sign_up_refuses_a_mismatched_password_and_a_taken_email(
    client: FlaskClient, world: World
) -> None:
    token = csrf_token(text_of(client.get("/signup?lang=en")))
    base = {"csrf_token": token, "display_name": "x", "password": "a long password"}
    mismatch = client.post("/signup", data={**base, "email": "a@example.org", "confirm": "other"})
    assert mismatch.status_code == 200
    assert 'aria-invalid="true"' in text_of(mismatch)
    taken = client.post(
        "/signup", data={**base, "email": "staff@example.org", "confirm": "a long password"}
    )
    assert "An account with this e-mail already exists." in text_of(taken)


def test_a_new_account_sees_the_verification_banner(app: Flask, world: World) -> None:
    client = sign_up(app, "banner@example.org")
    page = text_of(client.get("/?lang=en"))
    assert "Your account is not yet verified." in page
    assert 'href="/verify"' in page


def test_staff_do_not_see_the_verification_banner(as_role: Any) -> None:
    page = text_of(as_role("staff").get("/?lang=en"))
    assert "Your account is not yet verified." not in page


# ---------------------------------------------------------------- verification codes


def test_a_printed_code_verifies_a_new_account(app: Flask, as_role: Any, new_resident: int) -> None:
    code = issue_code(as_role("staff"), new_resident)
    resident_client = sign_up(app, "zheng@example.org")
    response = enter_code(resident_client, code.lower().replace("-", " "))
    assert response.status_code == 302
    account = user("zheng@example.org")
    assert account.is_verified
    assert account.resident_id == new_resident
    assert account.verified_how == "code"
    home = text_of(resident_client.get("/?lang=en"))
    assert "Your account is not yet verified." not in home
    assert "和平里社区" in home
    assert "Resident" in home


def test_a_used_code_is_refused(app: Flask, as_role: Any, new_resident: int) -> None:
    code = issue_code(as_role("staff"), new_resident)
    assert enter_code(sign_up(app, "first@example.org"), code).status_code == 302
    second = enter_code(sign_up(app, "second@example.org"), code)
    assert second.status_code == 422
    assert "This code has already been used." in text_of(second)
    assert not user("second@example.org").is_verified


def test_an_expired_code_is_refused(app: Flask, as_role: Any, new_resident: int) -> None:
    code = issue_code(as_role("staff"), new_resident)
    clock.advance(timedelta(days=app.config["VERIFICATION_CODE_DAYS"], minutes=1))
    response = enter_code(sign_up(app, "late@example.org"), code)
    assert response.status_code == 422
    assert "This code has expired. Ask the committee for a new one." in text_of(response)
    assert not user("late@example.org").is_verified


def test_five_wrong_codes_then_429(app: Flask, as_role: Any, new_resident: int) -> None:
    real = issue_code(as_role("staff"), new_resident)
    client = sign_up(app, "guess@example.org")
    for _ in range(5):
        wrong = enter_code(client, "ABCDE-FGHJK")
        assert wrong.status_code == 422
        assert "This code is not valid." in text_of(wrong)
    blocked = enter_code(client, real)  # even the right code, until the window has passed
    assert blocked.status_code == 429
    assert "Too many wrong codes" in text_of(blocked)
    assert not user("guess@example.org").is_verified
    clock.advance(timedelta(minutes=16))
    assert enter_code(client, real).status_code == 302
    assert user("guess@example.org").is_verified


def test_the_verify_page_needs_sign_in(client: FlaskClient) -> None:
    response = client.get("/verify")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# ---------------------------------------------------------------- roles


def test_staff_grant_and_revoke_a_role_through_the_page(as_role: Any, world: World) -> None:
    from tests.factories import make_user

    make_user("helper@example.org")
    staff = as_role("staff")
    page = text_of(staff.get("/c/heping/roles?lang=en"))
    assert "Committee staff" in page
    assert "staff@example.org" in page
    granted = staff.post(
        "/c/heping/roles",
        data={"csrf_token": csrf_token(page), "email": "helper@example.org", "role": "recorder"},
    )
    assert granted.status_code == 302
    page = text_of(staff.get("/c/heping/roles"))
    assert "helper@example.org" in page
    assert "Recorder" in page
    assert "Role granted." in page

    assignment = db.session.execute(
        select(RoleAssignment)
        .join(User, User.id == RoleAssignment.user_id)
        .where(User.email == "helper@example.org", RoleAssignment.revoked_at.is_(None))
    ).scalar_one()
    assert f'action="/c/heping/roles/{assignment.id}/revoke"' in page
    revoked = staff.post(
        f"/c/heping/roles/{assignment.id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert revoked.status_code == 302
    page = text_of(staff.get("/c/heping/roles"))
    assert "Role ended." in page
    assert "helper@example.org" not in page
    actions = set(
        db.session.execute(
            select(AuditEntry.action).where(AuditEntry.action.like("accounts:roles:%"))
        ).scalars()
    )
    assert {"accounts:roles:grant", "accounts:roles:revoke"} <= actions


def test_granting_to_an_unknown_email_explains_why(as_role: Any, world: World) -> None:
    staff = as_role("staff")
    page = text_of(staff.get("/c/heping/roles?lang=en"))
    response = staff.post(
        "/c/heping/roles",
        data={"csrf_token": csrf_token(page), "email": "nobody@example.org", "role": "chair"},
    )
    assert response.status_code == 422
    assert "There is no account with this e-mail." in text_of(response)


def test_a_supervisor_sees_the_roles_but_cannot_change_them(as_role: Any, world: World) -> None:
    supervisor = as_role("supervisor")
    page = text_of(supervisor.get("/c/heping/roles?lang=en"))
    assert "staff@example.org" in page
    assert "/revoke" not in page
    assert "Grant a role" not in page
    staff_role = (
        db.session.execute(select(RoleAssignment.id).where(RoleAssignment.role == "staff"))
        .scalars()
        .first()
    )
    response = supervisor.post(
        f"/c/heping/roles/{staff_role}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 403


def test_a_form_without_its_csrf_token_is_refused(as_role: Any, world: World) -> None:
    staff = as_role("staff")
    response = staff.post(
        "/c/heping/roles?lang=en", data={"email": "staff@example.org", "role": "chair"}
    )
    assert response.status_code == 400
    assert "This form has expired" in text_of(response)
