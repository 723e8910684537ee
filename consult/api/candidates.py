"""Candidates of election items: register, withdraw, list (INTERFACES.md §3 "add freely")."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, jsonify

from consult.api import bp
from consult.api.common import ID, Field, created, page_of, paging, read_body
from consult.errors import Invalid
from consult.meetings import candidates
from consult.meetings import service as meetings
from consult.web.permissions import permission

_NEW_CANDIDATE = {
    "resident_id": Field(kind=int),
    "nominated_by": Field(max_length=40),
    "nomination_note": Field(required=False, max_length=2000, single_line=False),
}


@bp.route(f"/agenda-items/<{ID}:item_id>/candidates", methods=["GET"])
@permission("meetings:public:read")
def list_candidates(item_id: int) -> Any:
    page, per_page = paging()
    rows = candidates.list_candidates(g.actor, meetings.get_agenda_item(g.actor, item_id))
    return page_of(rows, page, per_page, lambda row: candidates.candidate_json(*row))


@bp.route(f"/agenda-items/<{ID}:item_id>/candidates", methods=["POST"])
@permission("meetings:agenda:edit")
def register_candidate(item_id: int) -> Any:
    body = read_body(_NEW_CANDIDATE)
    item = meetings.get_agenda_item(g.actor, item_id)
    candidate = candidates.register_candidate(
        g.actor,
        item,
        resident_id=body["resident_id"],
        nominated_by=body["nominated_by"],
        nomination_note=body["nomination_note"],
    )
    return created(candidates.candidate_json(candidate))


@bp.route(f"/agenda-items/<{ID}:item_id>/candidates/<{ID}:resident_id>/withdraw", methods=["POST"])
@permission("meetings:agenda:edit")
def withdraw_candidate(item_id: int, resident_id: int) -> Any:
    body = read_body({"reason": Field(max_length=2000, single_line=False)})
    item = meetings.get_agenda_item(g.actor, item_id)
    candidate = candidates.withdraw_candidate(
        g.actor, item, resident_id=resident_id, reason=body["reason"]
    )
    return jsonify(candidates.candidate_json(candidate))


@bp.route(f"/agenda-items/<{ID}:item_id>/voter-roll", methods=["POST"])
@permission("meetings:agenda:edit")
def record_voter_roll(item_id: int) -> Any:
    """Record the day an election's voter roll was published (URC25-09, VC25-05)."""
    body = read_body(
        {
            "published_on": Field(max_length=10),
            "where": Field(required=False, max_length=2000),
        }
    )
    try:
        day = date.fromisoformat(body["published_on"])
    except ValueError:
        raise Invalid("the date is not valid", details={"published_on": "YYYY-MM-DD"}) from None
    item = meetings.get_agenda_item(g.actor, item_id)
    candidates.record_voter_roll(g.actor, item, published_on=day, where=body["where"])
    return created(candidates.voter_roll_standing(item) or {})


@bp.route(f"/agenda-items/<{ID}:item_id>/voter-roll", methods=["GET"])
@permission("meetings:public:read")
def voter_roll(item_id: int) -> Any:
    item = meetings.get_agenda_item(g.actor, item_id)
    return jsonify(candidates.voter_roll_standing(item) or {})
