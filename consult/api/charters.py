"""A community's charter (自治章程) or provincial overlay, and seats on councils and committees
(issue 3): `POST/GET /communities/{code}/charter`, `POST /bodies/{body_id}/members`,
`POST /bodies/{body_id}/members/{resident_id}/end`."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, jsonify

from consult.api import bp
from consult.api.common import ID, Field, created, read_body
from consult.errors import Invalid
from consult.meetings import charter as charters
from consult.meetings import memberships
from consult.meetings import service as meetings
from consult.web.permissions import permission


def _date(name: str, value: str | None, *, required: bool = False) -> date | None:
    if value is None:
        if required:
            raise Invalid("the request is not valid", details={name: "required"})
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("the request is not valid", details={name: "an ISO 8601 date"}) from None


# ---------------------------------------------------------------- the charter

_NEW_CHARTER = {
    "title": Field(max_length=200),
    "title_en": Field(required=False, max_length=200),
    "kind": Field(required=False, max_length=20),
    "article": Field(kind=int),
    "effective_from": Field(max_length=10),
    "decision_reference": Field(max_length=200),
    "rules": Field(kind=list),
    "supersedes": Field(kind=int, required=False),
}


@bp.route("/communities/<code>/charter", methods=["POST"])
@permission("meetings:charter:adopt")
def adopt_charter(code: str) -> Any:
    body = read_body(_NEW_CHARTER)
    effective_from = _date("effective_from", body["effective_from"], required=True)
    assert effective_from is not None
    charter = charters.adopt_charter(
        g.actor,
        g.community,
        title=body["title"],
        title_en=body["title_en"],
        kind=body["kind"] or "charter",
        article=body["article"],
        effective_from=effective_from,
        decision_reference=body["decision_reference"],
        rules=body["rules"],
        supersedes=body["supersedes"],
    )
    return created(charters.charter_json(charter, g.community))


@bp.route("/communities/<code>/charter", methods=["GET"])
@permission("meetings:public:read")
def get_charter(code: str) -> Any:
    return jsonify(charters.charters_json(g.community))


# ---------------------------------------------------------------- memberships

_NEW_MEMBER = {
    "resident_id": Field(kind=int),
    "starts_on": Field(max_length=10),
    "ends_on": Field(required=False, max_length=10),
}
_END_MEMBER = {
    "ends_on": Field(max_length=10),
    "reason": Field(max_length=2000, single_line=False),
}


@bp.route(f"/bodies/<{ID}:body_id>/members", methods=["POST"])
@permission("meetings:memberships:add")
def add_member(body_id: int) -> Any:
    data = read_body(_NEW_MEMBER)
    starts_on = _date("starts_on", data["starts_on"], required=True)
    assert starts_on is not None
    body = meetings.get_body(g.community, body_id)
    result = memberships.add_member(
        g.actor,
        body,
        resident_id=data["resident_id"],
        starts_on=starts_on,
        ends_on=_date("ends_on", data["ends_on"]),
    )
    return created(memberships.membership_json(result))


@bp.route(f"/bodies/<{ID}:body_id>/members/<{ID}:resident_id>/end", methods=["POST"])
@permission("meetings:memberships:end")
def end_member(body_id: int, resident_id: int) -> Any:
    data = read_body(_END_MEMBER)
    ends_on = _date("ends_on", data["ends_on"], required=True)
    assert ends_on is not None
    body = meetings.get_body(g.community, body_id)
    result = memberships.end_membership(
        g.actor, body, resident_id=resident_id, ends_on=ends_on, reason=data["reason"]
    )
    return jsonify(memberships.membership_json(result))
