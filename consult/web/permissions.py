"""Every route names its permission; one gate checks it before the view runs.

A view without a permission is refused (a bug, caught by the access-matrix test). The community
named by the URL's `code` is loaded here, so each view gets `g.community` and `g.actor`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import Select, select

from consult.accounts.policy import PUBLIC, require
from consult.actor import Role
from consult.errors import NotFound, Unauthenticated
from consult.extensions import csrf
from consult.meetings.attachments import community_of_attachment
from consult.meetings.service import (
    community_of_agenda_item,
    community_of_body,
    community_of_meeting,
)
from consult.registry.enrolment import community_and_roles
from consult.registry.models import Community
from consult.voting.service import community_of_vote
from consult.web.actor import current_actor, load_token_user, request_user

F = TypeVar("F", bound=Callable[..., Any])

#: A route open to anyone signed in, whatever their roles.
AUTHENTICATED = "authenticated"

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: URL arguments that name an object inside one community: the gate loads that community, so the
#: permission is checked there (a user may hold roles in several communities). Each gives the
#: query for that community; the user's roles there are read with it, in one round trip.
COMMUNITY_OF: dict[str, Callable[[int], Select[Community]]] = {
    "meeting_id": community_of_meeting,
    "item_id": community_of_agenda_item,
    "body_id": community_of_body,
    "attachment_id": community_of_attachment,
    "vote_id": community_of_vote,
}


def permission(name: str, **by_method: str) -> Callable[[F], F]:
    """Name the permission a route needs (a key of accounts.policy.PERMISSIONS, PUBLIC or
    AUTHENTICATED). A route that does something else on another method names that method's
    permission too: `@permission("accounts:roles:read", POST="accounts:roles:manage")`."""

    def mark(view: F) -> F:
        view.permission = name  # type: ignore[attr-defined]
        others = {method.upper(): other for method, other in by_method.items()}
        view.permission_by_method = others  # type: ignore[attr-defined]
        return view

    return mark


def route_permission(app: Flask, endpoint: str, method: str | None = None) -> str | None:
    """The permission `endpoint` needs (on `method`, when given)."""
    view = app.view_functions.get(endpoint)
    if method is not None:
        method = "GET" if method.upper() == "HEAD" else method.upper()
        by_method: dict[str, str] = getattr(view, "permission_by_method", {})
        if method in by_method:
            return by_method[method]
    return getattr(view, "permission", None)


def register_permission_gate(app: Flask) -> None:
    @app.before_request
    def _gate() -> None:
        endpoint = request.endpoint
        if endpoint is None or endpoint == "static":
            return
        is_api = request.path.startswith("/api/")
        if is_api:
            load_token_user(request.headers.get("Authorization"))
            if g.get("api_token_given") and g.get("api_user") is None:
                raise Unauthenticated("the bearer token is unknown or revoked")
            # Cookie-authenticated API calls must prove they come from our pages.
            if (
                request.method in MUTATING
                and not g.get("api_token_given")
                and current_user.is_authenticated
            ):
                csrf.protect()
        name = route_permission(app, endpoint, request.method)
        if name is None:
            raise RuntimeError(f"route {endpoint!r} names no permission")
        code = (request.view_args or {}).get("code")
        user = request_user()
        user_id = user.id if user is not None else None
        community = None
        assigned: frozenset[Role] | None = None
        resident_here: bool | None = None
        resident_id = user.resident_id if user is not None else None
        if code is not None:
            if "\x00" in code:  # PostgreSQL refuses NUL in text: no community has it
                raise NotFound("no such community")
            community, assigned, resident_here = community_and_roles(
                select(Community).where(Community.code == code), user_id, resident_id
            )
            if community is None:
                raise NotFound("no such community")
        else:
            for argument, community_of in COMMUNITY_OF.items():
                value = (request.view_args or {}).get(argument)
                if value is not None:
                    community, assigned, resident_here = community_and_roles(
                        community_of(value), user_id, resident_id
                    )
                    if community is None:
                        raise NotFound(f"no such {argument.removesuffix('_id')}")
                    break
        g.community = community
        g.actor = current_actor(community, assigned, resident_here)
        if name == PUBLIC:
            return
        if name == AUTHENTICATED:
            if not g.actor.is_authenticated:
                raise Unauthenticated("sign in first")
            return
        require(g.actor, name, community.id if community is not None else None)
