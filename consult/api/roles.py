"""Roles in a community: who holds which, granting and ending them (staff)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify

from consult.accounts import service as accounts
from consult.accounts.models import User
from consult.api import bp
from consult.api.common import ID, Field, created, page_of, paging, read_body
from consult.api.render import role_json
from consult.extensions import db
from consult.web.permissions import permission


@bp.route("/communities/<code>/roles", methods=["GET"])
@permission("accounts:roles:read")
def list_roles(code: str) -> Any:
    page, per_page = paging()
    holders = accounts.role_holders(g.actor, g.community.id)
    return page_of(holders, page, per_page, lambda pair: role_json(pair[0], pair[1], g.community))


@bp.route("/communities/<code>/roles", methods=["POST"])
@permission("accounts:roles:manage")
def grant_role(code: str) -> Any:
    body = read_body({"email": Field(max_length=254), "role": Field(max_length=40)})
    assignment = accounts.grant_role(g.actor, g.community.id, body["email"], body["role"])
    user = db.session.get(User, assignment.user_id)
    assert user is not None
    return created(role_json(assignment, user, g.community))


@bp.route(f"/communities/<code>/roles/<{ID}:assignment_id>/revoke", methods=["POST"])
@permission("accounts:roles:manage")
def revoke_role(code: str, assignment_id: int) -> Any:
    assignment = accounts.revoke_role(g.actor, g.community.id, assignment_id)
    user = db.session.get(User, assignment.user_id)
    assert user is not None
    return jsonify(role_json(assignment, user, g.community))
