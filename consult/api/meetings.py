"""Bodies, meetings, agenda, attendance and quorum (INTERFACES.md §3; issue 3).

Routes under /meetings/{meeting_id}, /agenda-items/{item_id} and /bodies/{body_id} have no
community code in the URL: the permission gate loads the community the object belongs to
(consult.web.permissions.COMMUNITY_OF), so `g.actor` is the caller in that community.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, jsonify, request

from consult.api import bp
from consult.api.attachments import attachments_of
from consult.api.common import ID, Field, created, iso, json_object, page_of, paging, read_body
from consult.errors import Invalid
from consult.meetings import service as meetings
from consult.meetings.models import Attendance, Meeting
from consult.registry.models import Community
from consult.web.permissions import permission

# ---------------------------------------------------------------- reading bodies


def _parse_datetime(name: str, value: str, community: Community) -> datetime:
    """ISO 8601; without an offset the time is the community's local time."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            "the request is not valid", details={name: "an ISO 8601 date and time"}
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(community.timezone))
    return parsed


def _parse_date(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("the request is not valid", details={name: "an ISO 8601 date"}) from None


def _int_list(name: str, value: list[Any] | None) -> list[int] | None:
    if value is None:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise Invalid("the request is not valid", details={name: "a list of resident ids"})
    return list(value)


def _agenda(value: list[Any] | None) -> list[meetings.NewItem]:
    items: list[meetings.NewItem] = []
    details: dict[str, str] = {}
    for i, raw in enumerate(value or []):
        if not isinstance(raw, dict):
            details[f"agenda[{i}]"] = 'an object {"title", "decision_type"}'
            continue
        title, dtype = raw.get("title"), raw.get("decision_type", "ordinary")
        if not isinstance(title, str) or "\x00" in title:
            details[f"agenda[{i}].title"] = "a string"
        if not isinstance(dtype, str):
            details[f"agenda[{i}].decision_type"] = "a string"
        if isinstance(title, str) and isinstance(dtype, str):
            items.append(meetings.NewItem(title, dtype))
    if details:
        raise Invalid("the request is not valid", details=details)
    return items


def _meeting(meeting_id: int) -> Meeting:
    return meetings.get_meeting(g.actor, meeting_id)


def meeting_json(meeting: Meeting) -> dict[str, Any]:
    """The public summary of a meeting with its files (withdrawn ones listed, not served)."""
    return {**meetings.meeting_summary(meeting), "attachments": attachments_of(meeting)}


def attendance_json(row: Attendance) -> dict[str, Any]:
    return {
        "id": row.id,
        "resident_id": row.resident_id,
        "status": row.status,
        "proxy_holder_id": row.proxy_holder_id,
        "household_id": row.represented_household_id,
        "arrived_at": iso(row.arrived_at),
        "departed_at": iso(row.departed_at),
        "version": row.version,
        "recorded_at": iso(row.recorded_at),
    }


# ---------------------------------------------------------------- bodies

_NEW_BODY = {
    "kind": Field(max_length=40),
    "name": Field(max_length=200),
    "mode": Field(required=False, max_length=40),
    "members": Field(kind=list, required=False),
    "group": Field(required=False, max_length=40),
    "term_start": Field(required=False, max_length=10),
    "term_end": Field(required=False, max_length=10),
}


@bp.route("/communities/<code>/bodies", methods=["POST"])
@permission("meetings:bodies:create")
def create_body(code: str) -> Any:
    body = read_body(_NEW_BODY)
    result = meetings.create_body(
        g.actor,
        g.community,
        kind=body["kind"],
        name=body["name"],
        mode=body["mode"],
        members=_int_list("members", body["members"]),
        group=body["group"],
        term_start=_parse_date("term_start", body["term_start"]),
        term_end=_parse_date("term_end", body["term_end"]),
    )
    return created(
        {**meetings.body_json(result.body), "warnings": [w.as_dict() for w in result.warnings]}
    )


@bp.route("/communities/<code>/bodies", methods=["GET"])
@permission("meetings:public:read")
def list_bodies(code: str) -> Any:
    page, per_page = paging()
    return page_of(meetings.list_bodies(g.community), page, per_page, meetings.body_json)


@bp.route(f"/bodies/<{ID}:body_id>", methods=["GET"])
@permission("meetings:bodies:read")
def get_body(body_id: int) -> Any:
    body = meetings.get_body(g.community, body_id)
    return jsonify(meetings.body_detail(g.actor, body))


# ---------------------------------------------------------------- meetings

_NEW_MEETING = {
    "body_id": Field(kind=int),
    "title": Field(max_length=200),
    "starts_at": Field(max_length=40),
    "location": Field(required=False, max_length=200),
    "agenda": Field(kind=list, required=False),
    "short_notice_reason": Field(required=False, max_length=2000, single_line=False),
}


@bp.route("/communities/<code>/meetings", methods=["POST"])
@permission("meetings:meeting:create")
def create_meeting(code: str) -> Any:
    body = read_body(_NEW_MEETING)
    meeting = meetings.create_meeting(
        g.actor,
        g.community,
        body_id=body["body_id"],
        title=body["title"],
        starts_at=_parse_datetime("starts_at", body["starts_at"], g.community),
        location=body["location"],
        agenda=_agenda(body["agenda"]),
        short_notice_reason=body["short_notice_reason"],
    )
    return created(meeting_json(meeting))


@bp.route("/communities/<code>/meetings", methods=["GET"])
@permission("meetings:public:read")
def list_meetings(code: str) -> Any:
    page, per_page = paging()
    when = request.args.get("when") or None
    drafts = request.args.get("drafts") in ("1", "true")
    found = meetings.list_meetings(g.actor, g.community, public=not drafts, when=when)
    return page_of(found, page, per_page, meeting_json)


@bp.route(f"/meetings/<{ID}:meeting_id>", methods=["GET"])
@permission("meetings:public:read")
def get_meeting(meeting_id: int) -> Any:
    return jsonify(meeting_json(_meeting(meeting_id)))


@bp.route(f"/meetings/<{ID}:meeting_id>/agenda", methods=["POST"])
@permission("meetings:agenda:edit")
def add_agenda_item(meeting_id: int) -> Any:
    body = read_body(
        {
            "title": Field(max_length=200),
            "decision_type": Field(max_length=40),
            "urgent_decision": Field(required=False, max_length=2000, single_line=False),
        }
    )
    meeting = _meeting(meeting_id)
    item = meetings.add_agenda_item(
        g.actor,
        meeting,
        title=body["title"],
        decision_type=body["decision_type"],
        urgent_decision=body["urgent_decision"],
    )
    return created(meetings.agenda_item_json(meeting, item))


def _optional_body() -> None:
    """Actions take no body; if one is sent it must at least be a JSON object."""
    if request.get_data(cache=True).strip():
        json_object()


@bp.route(f"/meetings/<{ID}:meeting_id>/notice", methods=["POST"])
@permission("meetings:meeting:notice")
def notice_meeting(meeting_id: int) -> Any:
    _optional_body()
    meeting = meetings.notice_meeting(g.actor, _meeting(meeting_id))
    return jsonify(meeting_json(meeting))


@bp.route(f"/meetings/<{ID}:meeting_id>/open", methods=["POST"])
@permission("meetings:meeting:open")
def open_meeting(meeting_id: int) -> Any:
    _optional_body()
    meeting = meetings.open_meeting(g.actor, _meeting(meeting_id))
    return jsonify(meeting_json(meeting))


@bp.route(f"/meetings/<{ID}:meeting_id>/adjourn", methods=["POST"])
@permission("meetings:meeting:adjourn")
def adjourn_meeting(meeting_id: int) -> Any:
    _optional_body()
    meeting = meetings.adjourn_meeting(g.actor, _meeting(meeting_id))
    return jsonify(meeting_json(meeting))


# ---------------------------------------------------------------- attendance and quorum

_ATTENDANCE = {
    "resident_id": Field(kind=int),
    "status": Field(max_length=20),
    "proxy_holder_id": Field(kind=int, required=False),
}


@bp.route(f"/meetings/<{ID}:meeting_id>/attendance", methods=["POST"])
@permission("meetings:attendance:record")
def record_attendance(meeting_id: int) -> Any:
    body = read_body(_ATTENDANCE)
    row = meetings.record_attendance(
        g.actor,
        # Read under the shared lock the sign-in takes anyway: one query for the meeting.
        meetings.get_meeting(g.actor, meeting_id, for_share=True),
        resident_id=body["resident_id"],
        status=body["status"],
        proxy_holder_id=body["proxy_holder_id"],
    )
    return created(attendance_json(row))


@bp.route(f"/meetings/<{ID}:meeting_id>/attendance", methods=["GET"])
@permission("meetings:attendance:read")
def list_attendance(meeting_id: int) -> Any:
    page, per_page = paging()
    rows = meetings.list_attendance(g.actor, _meeting(meeting_id))
    return page_of(rows, page, per_page, attendance_json)


@bp.route(f"/meetings/<{ID}:meeting_id>/attendance/<{ID}:resident_id>/departure", methods=["POST"])
@permission("meetings:attendance:record")
def record_departure(meeting_id: int, resident_id: int) -> Any:
    _optional_body()
    row = meetings.record_departure(g.actor, _meeting(meeting_id), resident_id=resident_id)
    return jsonify(attendance_json(row))


@bp.route(f"/meetings/<{ID}:meeting_id>/attendance/<{ID}:resident_id>/correction", methods=["POST"])
@permission("meetings:attendance:correct")
def correct_attendance(meeting_id: int, resident_id: int) -> Any:
    body = read_body(
        {
            "status": Field(max_length=20),
            "proxy_holder_id": Field(kind=int, required=False),
            "reason": Field(max_length=2000, single_line=False),
        }
    )
    row = meetings.correct_attendance(
        g.actor,
        _meeting(meeting_id),
        resident_id=resident_id,
        status=body["status"],
        proxy_holder_id=body["proxy_holder_id"],
        reason=body["reason"],
    )
    return jsonify(attendance_json(row))


@bp.route(f"/meetings/<{ID}:meeting_id>/quorum", methods=["GET"])
@permission("meetings:public:read")
def get_quorum(meeting_id: int) -> Any:
    decision_type = request.args.get("decision_type") or None
    return jsonify(meetings.quorum_json(_meeting(meeting_id), decision_type))


# ---------------------------------------------------------------- Party-organization review


@bp.route(f"/agenda-items/<{ID}:item_id>/party-review", methods=["POST"])
@permission("meetings:agenda:party_review")
def record_party_review(item_id: int) -> Any:
    body = read_body(
        {
            "reference": Field(max_length=200),
            "note": Field(required=False, max_length=2000, single_line=False),
        }
    )
    item = meetings.get_agenda_item(g.actor, item_id)
    item = meetings.record_party_review(
        g.actor, item, reference=body["reference"], note=body["note"]
    )
    readiness = meetings.can_vote(item)
    return jsonify(
        {
            **meetings.agenda_item_json(item.meeting, item),
            "can_vote": {"ok": readiness.ok, "reasons": list(readiness.reasons)},
        }
    )
