"""Build the Actor for this request from the session user or a bearer token."""

from __future__ import annotations

from flask import g
from flask_login import current_user

from consult.accounts.models import User
from consult.accounts.service import user_for_token
from consult.actor import Actor, Role
from consult.registry.enrolment import actor_for
from consult.registry.models import Community


def request_user() -> User | None:
    """The signed-in user: a bearer token wins over the browser session."""
    if "api_user" in g:
        return g.api_user
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def load_token_user(authorization: str | None) -> None:
    """Called for /api requests: resolve `Authorization: Bearer ...` once."""
    if authorization and authorization.lower().startswith("bearer "):
        g.api_user = user_for_token(authorization[7:].strip())
        g.api_token_given = True


def current_actor(
    community: Community | None = None,
    assigned: frozenset[Role] | None = None,
    resident_here: bool | None = None,
) -> Actor:
    """The actor in `community` (or in the user's own community when none is given).
    `assigned` and `resident_here`: what community_and_roles read with the community."""
    user = request_user()
    if user is None:
        return Actor.anonymous()
    if community is None:
        return actor_for(user, None)
    return actor_for(user, community.id, assigned, resident_here)
