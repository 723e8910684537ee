"""Helpers for the /api/v1 tests: bearer tokens for the world's people, and a committed world.

An error response rolls the request's unit of work back, and in tests that is the savepoint the
test's own data lives in; so API tests commit the world first (the outer transaction still rolls
everything back when the test ends).
"""

from __future__ import annotations

from typing import Any

from consult.accounts.models import User
from consult.accounts.service import create_token
from consult.actor import Actor
from consult.extensions import db

HEADER = "household,name,birth_date,gender,group,phone,id_number"


def token_for(user: User) -> str:
    _, token = create_token(Actor.system("tests"), user, "tests")
    db.session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def headers_for(world: Any, role: str) -> dict[str, str]:
    """Headers that make a request as `role` of the world ("anonymous": none)."""
    if role == "anonymous":
        return {}
    return bearer(token_for(world.users[role]))


def error_of(response: Any) -> dict[str, Any]:
    """The JSON error body, checked for the shape INTERFACES.md §3 promises."""
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]  # type: ignore[no-any-return]


def csv_body(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *lines)) + "\n").encode("utf-8")
