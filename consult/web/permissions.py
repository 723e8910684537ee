"""Every route names its permission; one gate checks it before the view runs.

A view without a permission is refused (a bug, caught by the access-matrix test). The community
named by the URL's `code` is loaded here, so each view gets `g.community` and `g.actor`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import ScalarSelect

from consult.accounts.policy import PUBLIC, require
from consult.actor import Role
from consult.disclosure.state import (
    COMMUNITY_ID_OF_DISCLOSURE,
    COMMUNITY_ID_OF_LEDGER_ENTRY,
    COMMUNITY_ID_OF_QUERY,
)
from consult.errors import NotFound, Unauthenticated
from consult.extensions import csrf
from consult.meetings.attachments import COMMUNITY_ID_OF_ATTACHMENT
from consult.meetings.service import (
    COMMUNITY_ID_OF_AGENDA_ITEM,
    COMMUNITY_ID_OF_BODY,
    COMMUNITY_ID_OF_MEETING,
)
from consult.registry.enrolment import (
    COMMUNITY_ID_BY_CODE,
    TokenHolder,
    actor_for,
    community_and_roles,
    token_community_and_roles,
)
from consult.voting.service import COMMUNITY_ID_OF_VOTE
from consult.web.actor import current_actor, load_token_user, request_user

F = TypeVar("F", bound=Callable[..., Any])

#: A route open to anyone signed in, whatever their roles.
AUTHENTICATED = "authenticated"

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: URL arguments that name a community or an object inside one: the gate loads that community,
#: so the permission is checked there (a user may hold roles in several communities). Each gives
#: the subquery for that community's id (on the parameter `object_id`); the user's roles there
#: are read with it, in one round trip (with the bearer token's user too, for the API).
COMMUNITY_OF: dict[str, ScalarSelect[int]] = {
    "code": COMMUNITY_ID_BY_CODE,
    "meeting_id": COMMUNITY_ID_OF_MEETING,
    "item_id": COMMUNITY_ID_OF_AGENDA_ITEM,
    "body_id": COMMUNITY_ID_OF_BODY,
    "attachment_id": COMMUNITY_ID_OF_ATTACHMENT,
    "vote_id": COMMUNITY_ID_OF_VOTE,
    "disclosure_id": COMMUNITY_ID_OF_DISCLOSURE,
    "query_id": COMMUNITY_ID_OF_QUERY,
    "entry_id": COMMUNITY_ID_OF_LEDGER_ENTRY,
}


def _named_object(view_args: dict[str, Any]) -> tuple[str, Any] | None:
    """The URL argument the gate finds the community by (a community's code first)."""
    for argument in COMMUNITY_OF:
        value = view_args.get(argument)
        if value is not None:
            if argument == "code" and "\x00" in value:
                # PostgreSQL refuses NUL in text: no community has it
                raise NotFound("no such community")
            return argument, value
    return None


def _not_found(argument: str) -> NotFound:
    return NotFound(
        f"no such {'community' if argument == 'code' else argument.removesuffix('_id')}"
    )


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
        named = _named_object(request.view_args or {})
        authorization = request.headers.get("Authorization") if is_api else None
        holder: TokenHolder | None = None
        if authorization and authorization[:7].lower() == "bearer " and named is not None:
            # An API call on an object: the token's user, the community and the roles at once,
            # as columns; g.api_user and g.community are loaded only if a view reads them.
            holder, community_id, roles, here = token_community_and_roles(
                authorization[7:].strip(), COMMUNITY_OF[named[0]], named[1]
            )
            g.api_token_given = True
            if holder is None:
                raise Unauthenticated("the bearer token is unknown or revoked")
            g.defer("api_user", holder.id)
            if community_id is None:
                raise _not_found(named[0])
            g.defer("community", community_id)
        elif is_api:
            load_token_user(authorization)
            if g.get("api_token_given") and g.get("api_user") is None:
                raise Unauthenticated("the bearer token is unknown or revoked")
        # Cookie-authenticated API calls must prove they come from our pages.
        if (
            is_api
            and request.method in MUTATING
            and not g.get("api_token_given")
            and current_user.is_authenticated
        ):
            csrf.protect()
        name = route_permission(app, endpoint, request.method)
        if name is None:
            raise RuntimeError(f"route {endpoint!r} names no permission")
        if holder is not None:
            assert community_id is not None  # refused above otherwise
            g.actor = actor_for(holder, community_id, roles, here)
            community_id_checked: int | None = community_id
        else:
            community = None
            assigned: frozenset[Role] | None = None
            resident_here: bool | None = None
            if named is not None:
                user = request_user()
                community, assigned, resident_here = community_and_roles(
                    COMMUNITY_OF[named[0]],
                    named[1],
                    user.id if user is not None else None,
                    user.resident_id if user is not None else None,
                )
                if community is None:
                    raise _not_found(named[0])
            g.community = community
            g.actor = current_actor(community, assigned, resident_here)
            community_id_checked = community.id if community is not None else None
        if name == PUBLIC:
            return
        if name == AUTHENTICATED:
            if not g.actor.is_authenticated:
                raise Unauthenticated("sign in first")
            return
        require(g.actor, name, community_id_checked)
