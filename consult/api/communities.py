"""Communities: the tenants. Anyone may read them; only a platform administrator creates one."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g, jsonify, url_for

from consult.accounts.policy import PUBLIC
from consult.api import bp
from consult.api.common import Field, created, page_of, paging, read_body
from consult.api.render import community_json
from consult.documents import service as documents
from consult.errors import Invalid
from consult.registry import service as registry
from consult.web.permissions import permission

_NEW_COMMUNITY = {
    "code": Field(max_length=40),
    "name": Field(max_length=200),
    "kind": Field(max_length=20),
    "timezone": Field(required=False, max_length=64),
    "rule_set": Field(required=False, max_length=40),
}


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(
            "the community is not valid", details={"timezone": "an IANA time zone name"}
        ) from None


@bp.route("/communities", methods=["POST"])
@permission("communities:community:create")
def create_community() -> Any:
    body = read_body(_NEW_COMMUNITY)
    timezone = body["timezone"] or "Asia/Shanghai"
    _check_timezone(timezone)
    community = registry.create_community(
        g.actor,
        body["code"],
        body["name"],
        body["kind"],
        timezone=timezone,
        rule_set=body["rule_set"],
    )
    # Its certificate authority for signed minutes, made with it (issue 5).
    documents.authority(g.actor, community, current_app.extensions["consult.field_cipher"])
    return created(community_json(community), url_for("api.get_community", code=community.code))


@bp.route("/communities", methods=["GET"])
@permission(PUBLIC)
def list_communities() -> Any:
    page, per_page = paging()
    return page_of(registry.list_communities(), page, per_page, community_json)


@bp.route("/communities/<code>", methods=["GET"])
@permission("communities:community:read")
def get_community(code: str) -> Any:
    return jsonify(community_json(g.community))
