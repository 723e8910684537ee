"""Tokens and the caller's own account: sign in for a token, revoke it, who am I, verify by code."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from sqlalchemy import select

from consult.accounts import service as accounts
from consult.accounts.models import ApiToken
from consult.accounts.policy import PUBLIC
from consult.api import bp
from consult.api.common import Field, Malformed, read_body
from consult.api.render import account_json
from consult.crypto.fields import token_hash
from consult.errors import Invalid, Unauthenticated
from consult.extensions import db
from consult.registry.enrolment import actor_for, communities_of, redeem_verification_code
from consult.registry.models import Community
from consult.web.actor import request_user
from consult.web.limits import login_attempts, rate_limited
from consult.web.permissions import AUTHENTICATED, permission

_CREDENTIALS = {
    "email": Field(max_length=254),
    "password": Field(max_length=1024, single_line=False),
    "name": Field(required=False, max_length=100),
}


@bp.route("/auth/token", methods=["POST"])
@permission(PUBLIC)
@rate_limited(login_attempts, methods=["POST"])
def create_token() -> Any:
    body = read_body(_CREDENTIALS)
    user = accounts.authenticate(
        body["email"],
        body["password"],
        max_failures=current_app.config["LOGIN_FAILURES_MAX"],
        window_minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"],
    )  # TooMany -> 429
    if user is None:
        db.session.commit()  # the failure must be counted even though we answer with an error
        raise Unauthenticated("the e-mail or password is not right")
    row, token = accounts.create_token(actor_for(user, None), user, body["name"] or "api")
    return jsonify(
        {"token": token, "id": row.id, "name": row.name, "created_at": row.created_at.isoformat()}
    )


def _calling_token() -> ApiToken:
    header = request.headers.get("Authorization") or ""
    if not g.get("api_token_given") or not header.lower().startswith("bearer "):
        raise Malformed(
            "revoke a token by calling with it: Authorization: Bearer TOKEN",
            details={"Authorization": "no bearer token"},
        )
    digest = token_hash(header[7:].strip())
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == digest)
    ).scalar_one_or_none()
    if row is None:  # the gate has already refused unknown tokens; a race at most
        raise Unauthenticated("the bearer token is unknown or revoked")
    return row


@bp.route("/auth/token", methods=["DELETE"])
@bp.route("/auth/token/revoke", methods=["POST"])
@permission(AUTHENTICATED)
def revoke_token() -> Any:
    row = accounts.revoke_token(g.actor, _calling_token().id)
    return jsonify(
        {"id": row.id, "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None}
    )


@bp.route("/me", methods=["GET"])
@permission(AUTHENTICATED)
def me() -> Any:
    user = request_user()
    assert user is not None  # the gate let only signed-in callers through
    communities = []
    for community_id in communities_of(user):
        community = db.session.get(Community, community_id)
        if community is None:
            continue
        roles = sorted(role.value for role in actor_for(user, community_id).roles)
        communities.append(
            {"code": community.code, "name": community.name, "kind": community.kind, "roles": roles}
        )
    return jsonify(
        {
            **account_json(user),
            "display_name": user.display_name,
            "is_admin": bool(user.is_admin),
            "communities": communities,
        }
    )


@bp.route("/me/verify", methods=["POST"])
@permission(AUTHENTICATED)
@rate_limited(login_attempts, methods=["POST"])
def verify_me() -> Any:
    body = read_body({"code": Field(max_length=40)})
    try:
        user = redeem_verification_code(
            g.actor, body["code"], max_failures=current_app.config["VERIFY_FAILURES_MAX"]
        )
    except Invalid:
        db.session.commit()  # count the failed attempt (the per-account limit lives in the DB)
        raise
    return jsonify(account_json(user))
