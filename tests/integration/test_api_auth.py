"""/api/v1 tokens and the caller's own account: sign in for a token, use it, revoke it, the
per-account sign-in throttle shared with the web form, who am I, verification by code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from consult import clock
from consult.accounts.models import ApiToken, ThrottleEvent
from consult.crypto.fields import token_hash
from consult.extensions import db
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user
from tests.integration.api_support import bearer, error_of, headers_for, token_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("world")]


def _sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def _failures(email: str) -> int:
    return db.session.execute(
        select(func.count(ThrottleEvent.id)).where(
            ThrottleEvent.kind == "login", ThrottleEvent.key == email
        )
    ).scalar_one()


# ---------------------------------------------------------------- tokens


def test_a_token_from_the_right_password_works_as_a_bearer_token(client, world):
    response = _sign_in(client, world.users["staff"].email)
    assert response.status_code == 200
    token = response.get_json()["token"]
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    body = me.get_json()
    assert body["email"] == "staff@example.org"
    assert body["is_admin"] is False
    assert body["communities"] == [
        {"code": "heping", "name": "和平里社区", "kind": "urban", "roles": ["staff"]}
    ]


def test_the_database_never_holds_the_token_itself(client, world):
    token = _sign_in(client, world.users["staff"].email, PASSWORD).get_json()["token"]
    row = db.session.execute(
        select(ApiToken).where(ApiToken.user_id == world.users["staff"].id)
    ).scalar_one()
    assert row.token_hash == token_hash(token)
    assert token not in {row.token_hash, row.prefix, row.name}
    # Nowhere else either: not in the token table, not in the audit trail.
    for table in ("api_tokens", "audit_entries"):
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()
        assert rows
        assert all(token not in str(value) for r in rows for value in r)


def test_a_wrong_password_is_401_json_and_is_counted(client, world):
    email = world.users["staff"].email
    response = _sign_in(client, email, "not the password")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token" not in response.get_json()
    # The failure survived the rollback an error response brings.
    assert _failures(email) == 1


def test_an_unknown_account_is_401_too(client, world):
    response = _sign_in(client, "nobody@example.org", PASSWORD)
    assert response.status_code == 401
    assert error_of(response)["message"] == "the e-mail or password is not right"


def test_ten_failures_lock_the_account_for_fifteen_minutes(client, world):
    email = world.users["staff"].email
    for _ in range(10):
        assert _sign_in(client, email, "wrong password!").status_code == 401
    locked = _sign_in(client, email, PASSWORD)
    assert locked.status_code == 429
    assert error_of(locked)["code"] == "rate_limited"
    clock.advance(timedelta(minutes=14))
    assert _sign_in(client, email, PASSWORD).status_code == 429
    clock.advance(timedelta(minutes=2))
    assert _sign_in(client, email, PASSWORD).status_code == 200


def test_the_count_is_shared_with_the_web_sign_in_form(client, world):
    email = world.users["staff"].email
    for _ in range(5):
        page = client.get("/login")
        form = {"email": email, "password": "wrong!", "csrf_token": csrf_token(page.text)}
        assert client.post("/login", data=form).status_code == 200  # the form again, with an error
    for _ in range(5):
        assert _sign_in(client, email, "wrong!").status_code == 401
    assert _failures(email) == 10
    assert _sign_in(client, email, PASSWORD).status_code == 429
    page = client.get("/login")
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
    assert client.post("/login", data=form).status_code == 429


def test_other_accounts_are_not_locked_by_someone_elses_failures(client, world):
    for _ in range(10):
        _sign_in(client, world.users["staff"].email, "wrong!")
    assert _sign_in(client, world.users["supervisor"].email).status_code == 200


def test_the_per_address_limit_applies_on_top(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    emails = [world.users[r].email for r in ("staff", "supervisor", "admin")]
    assert all(_sign_in(client, e).status_code == 200 for e in emails)
    limited = _sign_in(client, world.users["representative"].email)
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "rate_limited"


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"password": PASSWORD}, "email", "required"),
        ({"email": "staff@example.org"}, "password", "required"),
        ({"email": 7, "password": PASSWORD}, "email", "must be a string"),
        ({"email": "staff@example.org", "password": ["x"]}, "password", "must be a string"),
        ({"email": "a\x00@example.org", "password": PASSWORD}, "email", "NUL"),
    ],
)
def test_a_bad_sign_in_body_is_422_with_field_details(client, world, body, field, reason):
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 422
    assert reason in error_of(response)["details"][field]


def test_a_token_may_be_named(client, world):
    body = {"email": world.users["staff"].email, "password": PASSWORD, "name": "nightly export"}
    response = client.post("/api/v1/auth/token", json=body)
    assert response.get_json()["name"] == "nightly export"


@pytest.mark.parametrize(
    ("method", "path"), [("DELETE", "/api/v1/auth/token"), ("POST", "/api/v1/auth/token/revoke")]
)
def test_a_revoked_token_no_longer_works(client, world, method, path):
    token = token_for(world.users["staff"])
    other = token_for(world.users["staff"])
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    response = client.open(path, method=method, headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["revoked_at"]
    refused = client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "unauthenticated"
    assert client.open(path, method=method, headers=bearer(token)).status_code == 401
    # Only the token used for the call is revoked.
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200


def test_an_unknown_token_is_401_even_on_public_operations(client, world):
    for path in ("/api/v1/me", "/api/v1/communities", "/api/v1/communities/heping"):
        response = client.get(path, headers=bearer("cst_not-a-token"))
        assert response.status_code == 401, path
        assert error_of(response)["code"] == "unauthenticated"


def test_revoking_without_a_token_is_refused(client, world):
    assert client.delete("/api/v1/auth/token").status_code == 401


# ---------------------------------------------------------------- the browser session


def _web_login(client: Any, email: str) -> str:
    page = client.get("/login")
    token = csrf_token(page.text)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return token


def test_the_browser_session_reads_the_api(client, world):
    _web_login(client, world.users["staff"].email)
    response = client.get("/api/v1/communities/heping/residents")
    assert response.status_code == 200
    assert response.get_json()["total"] == 2  # not the other community's resident


def test_a_cookie_authenticated_change_needs_the_csrf_header(client, world):
    token = _web_login(client, world.users["staff"].email)
    body = {"email": world.users["supervisor"].email, "role": "chair"}
    refused = client.post("/api/v1/communities/heping/roles", json=body)
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "csrf"
    allowed = client.post(
        "/api/v1/communities/heping/roles", json=body, headers={"X-CSRFToken": token}
    )
    assert allowed.status_code == 201


def test_revoking_with_only_a_session_is_400(client, world):
    token = _web_login(client, world.users["staff"].email)
    response = client.post("/api/v1/auth/token/revoke", headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


# ---------------------------------------------------------------- who am I


def test_me_needs_a_sign_in(client, world):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_me_for_a_resident_and_an_admin(client, world):
    resident = client.get("/api/v1/me", headers=headers_for(world, "resident")).get_json()
    assert resident["verified"] is True
    assert resident["resident_id"] == world.residents["resident"].id
    assert resident["communities"][0]["roles"] == ["resident"]
    admin = client.get("/api/v1/me", headers=headers_for(world, "admin")).get_json()
    assert admin["is_admin"] is True
    assert admin["communities"] == []


# ---------------------------------------------------------------- verification by code


def _issue_code(client: Any, world: Any, staff: dict[str, str]) -> str:
    resident_id = world.residents["resident"].id
    response = client.post(
        f"/api/v1/communities/heping/residents/{resident_id}/verification-codes", headers=staff
    )
    assert response.status_code == 201
    return str(response.get_json()["code"])


def _unlinked_user(world: Any) -> Any:
    """Someone who signed up and is not yet linked to the register (the world's resident is)."""
    user = make_user()
    db.session.commit()
    return user


def test_a_printed_code_verifies_a_new_account_once(client, world):
    # The world's resident already has an account; free the register entry for a new one.
    linked = world.users["resident"]
    linked.resident_id = None
    linked.is_verified = False
    db.session.commit()
    code = _issue_code(client, world, headers_for(world, "staff"))
    newcomer = bearer(token_for(_unlinked_user(world)))
    response = client.post("/api/v1/me/verify", json={"code": code.lower()}, headers=newcomer)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["verified"] is True
    assert response.get_json()["resident_id"] == world.residents["resident"].id
    me = client.get("/api/v1/me", headers=newcomer).get_json()
    assert me["communities"][0]["roles"] == ["resident"]
    again = client.post("/api/v1/me/verify", json={"code": code}, headers=newcomer)
    assert again.status_code == 409
    second = bearer(token_for(_unlinked_user(world)))
    reused = client.post("/api/v1/me/verify", json={"code": code}, headers=second)
    assert reused.status_code == 422
    assert error_of(reused)["details"]["code"] == "this code has already been used"


def test_an_expired_code_is_refused(client, world):
    code = _issue_code(client, world, headers_for(world, "staff"))
    clock.advance(timedelta(days=15))
    newcomer = bearer(token_for(_unlinked_user(world)))
    response = client.post("/api/v1/me/verify", json={"code": code}, headers=newcomer)
    assert response.status_code == 422
    assert "expired" in error_of(response)["details"]["code"]


def test_wrong_codes_are_counted_and_then_refused(client, world):
    newcomer = bearer(token_for(_unlinked_user(world)))
    for _ in range(5):
        response = client.post("/api/v1/me/verify", json={"code": "AAAAA-BBBBB"}, headers=newcomer)
        assert response.status_code == 422
    locked = client.post("/api/v1/me/verify", json={"code": "AAAAA-BBBBB"}, headers=newcomer)
    assert locked.status_code == 429
    assert error_of(locked)["code"] == "rate_limited"


def test_verifying_needs_a_sign_in_and_a_code(client, world):
    assert client.post("/api/v1/me/verify", json={"code": "X"}).status_code == 401
    newcomer = bearer(token_for(_unlinked_user(world)))
    missing = client.post("/api/v1/me/verify", json={}, headers=newcomer)
    assert missing.status_code == 422
    assert error_of(missing)["details"] == {"code": "required"}


def test_limits_are_declared_with_rate_limited(app):
    """Only routes marked by consult.web.limits.rate_limited are checked for limits (the others
    skip Flask-Limiter's work): a bare `limiter.limit` would silently never apply."""
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "consult"
    bare = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "limits.py" and "limiter.limit(" in path.read_text(encoding="utf-8")
    ]
    assert bare == []
    limited = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "rate_limited", False)
    }
    assert limited == {
        "accounts.login",
        "accounts.signup",
        "accounts.verify",
        "api.create_token",
        "api.verify_me",
        "api.sign_minutes",
        "documents.sign",
        "documents.upload",
        "documents.verify",
        # Signing a disclosure checks the signer's passphrase (issue 6).
        "api.publish_disclosure",
        "api.countersign_disclosure",
        "disclosure.publish",
        "disclosure.countersign",
    }


def test_the_limiters_hooks_run_only_where_a_route_has_a_limit(app, client, world, monkeypatch):
    """Flask-Limiter's before, after and teardown hooks are wrapped (consult.web.limits): on a
    limited route they count and answer with the limit's headers, elsewhere they do nothing."""
    from consult.extensions import limiter

    hooks = [
        *app.before_request_funcs[None],
        *app.after_request_funcs[None],
        *app.teardown_request_funcs[None],
    ]
    wrapped = [hook for hook in hooks if getattr(hook, "only_where_limited", False)]
    assert len(wrapped) == 3
    assert limiter._check_request_limit not in hooks
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    first = _sign_in(client, world.users["staff"].email)
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    unlimited = client.get("/api/v1/openapi.json")
    assert unlimited.status_code == 200
    assert "X-RateLimit-Limit" not in unlimited.headers
    assert _sign_in(client, world.users["supervisor"].email).status_code == 200
    assert _sign_in(client, world.users["admin"].email).status_code == 429
