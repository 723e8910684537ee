"""The OpenAPI description of the meetings operations (bodies, meetings, agenda, attendance,
quorum, Party-organization review); openapi.py merges it into the document."""

from __future__ import annotations

from typing import Any

from consult.api.spec import (
    _CONFLICT,
    _ID,
    _INVALID,
    _NOT_FOUND,
    _PAGE,
    _body,
    _error,
    _ok,
    _page_of,
    operation,
    ref,
)
from consult.rules.model import BodyKind, DecisionType, Mode

_RULE = {
    "type": "object",
    "required": ["id", "citation"],
    "properties": {
        "id": {"type": "string", "examples": ["URC25-23"]},
        "citation": {"type": "string", "examples": ["《城市居民委员会组织法》第二十七条"]},
        "citation_en": {"type": "string"},
        "practice": {
            "type": "boolean",
            "description": "true: the number is practice, not statute (惯例，非法定)",
        },
        "overlays": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the charter or provincial overlay versions that tighten this rule "
            "(章程加严); empty: the statute alone",
        },
    },
}

SCHEMAS: dict[str, Any] = {
    "BodyKind": {
        "type": "string",
        "enum": [k.value for k in BodyKind],
        "description": "residents_meeting: 居民会议 / 村民会议; "
        "representative_council: 居民代表会议 / 村民代表会议; group_meeting: 村民小组会议; "
        "committee: 居民委员会 / 村民委员会; "
        "supervisory_council: 居务 / 村务监督委员会; members_meeting: 集体经济组织成员大会",
    },
    "DecisionType": {
        "type": "string",
        "enum": [d.value for d in DecisionType],
        "description": "Selects the rule an item is decided by, under the rule set in force on "
        "the meeting's date; `major` needs the Party-organization review first (VC25-17, "
        "URC25-28); `consultation` is not a binding vote.",
    },
    "CompositionWarning": {
        "type": "object",
        "required": ["code", "message", "rule"],
        "properties": {
            "code": {
                "type": "string",
                "enum": [
                    "representatives_share",
                    "women_share",
                    "supervisory_committee_member",
                    "supervisory_close_relative",
                    "committee_size",
                    "committee_no_woman",
                ],
            },
            "message": {"type": "string"},
            "message_zh": {"type": "string"},
            "rule": _RULE,
            "residents": {"type": "array", "items": {"type": "integer"}},
            "approximated": {
                "type": "boolean",
                "description": "close relatives judged by living in the same household",
            },
        },
    },
    "NewBody": {
        "type": "object",
        "required": ["kind", "name"],
        "properties": {
            "kind": ref("BodyKind"),
            "name": {"type": "string", "maxLength": 200},
            "mode": {
                "type": "string",
                "enum": [m.value for m in Mode],
                "description": "residents' and villagers' meetings and group meetings (default "
                "all_adults); group_representatives only in urban communities, for meetings "
                "under the superseded urban-1990 rule set",
            },
            "members": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "resident ids: councils, committees, members' meetings, and "
                "group_representatives mode; the others are computed from the register",
            },
            "group": {"type": "string", "description": "a group meeting's villagers' group code"},
            "term_start": {"type": "string", "format": "date", "description": "default today"},
            "term_end": {"type": "string", "format": "date"},
        },
    },
    "Body": {
        "type": "object",
        "required": ["id", "kind", "name", "mode"],
        "properties": {
            "id": {"type": "integer"},
            "kind": ref("BodyKind"),
            "name": {"type": "string"},
            "mode": {"type": ["string", "null"]},
        },
    },
    "CreatedBody": {
        "allOf": [
            ref("Body"),
            {
                "type": "object",
                "required": ["warnings"],
                "properties": {
                    "warnings": {"type": "array", "items": ref("CompositionWarning")},
                },
            },
        ]
    },
    "BodyDetail": {
        "allOf": [
            ref("CreatedBody"),
            {
                "type": "object",
                "properties": {
                    "members_count": {"type": "integer"},
                    "households_count": {"type": ["integer", "null"]},
                    "memberships": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "resident_id": {"type": "integer"},
                                "name": {"type": ["string", "null"]},
                                "start_date": {"type": "string", "format": "date"},
                                "end_date": {"type": ["string", "null"], "format": "date"},
                                "current": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
        ]
    },
    "BodyPage": _page_of("Body"),
    "NewAgendaItem": {
        "type": "object",
        "required": ["title", "decision_type"],
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "decision_type": ref("DecisionType"),
            "urgent_decision": {
                "type": "string",
                "description": "in session only: the recorded decision admitting an urgent item",
            },
        },
    },
    "NewMeeting": {
        "type": "object",
        "required": ["body_id", "title", "starts_at"],
        "properties": {
            "body_id": {"type": "integer"},
            "title": {"type": "string", "maxLength": 200},
            "starts_at": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601; without an offset, the community's local time",
            },
            "location": {"type": "string", "maxLength": 200},
            "agenda": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["title"],
                    "properties": {
                        "title": {"type": "string"},
                        "decision_type": ref("DecisionType"),
                    },
                },
            },
            "short_notice_reason": {
                "type": "string",
                "description": "the special case (遇有特殊情况) that allows notice shorter than "
                "the statutory period; recorded and shown with the notice",
            },
        },
    },
    "AgendaItem": {
        "type": "object",
        "required": ["id", "position", "title", "decision_type", "rule"],
        "properties": {
            "id": {"type": "integer"},
            "position": {"type": "integer"},
            "title": {"type": "string"},
            "decision_type": ref("DecisionType"),
            "urgent": {"type": "boolean"},
            "urgent_decision": {"type": ["string", "null"]},
            "party_review": {
                "type": "object",
                "properties": {
                    "required": {"type": "boolean"},
                    "rule": {"type": ["string", "null"]},
                    "reviewed_at": {"type": ["string", "null"], "format": "date-time"},
                    "reference": {"type": ["string", "null"]},
                },
            },
            "rule": _RULE,
            "can_vote": {
                "type": "object",
                "properties": {
                    "ok": {"type": "boolean"},
                    "reasons": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "AttendanceCounts": {
        "type": "object",
        "properties": {
            name: {"type": "integer"}
            for name in ("present", "present_households", "absent", "proxies", "departed", "late")
        },
    },
    "Meeting": {
        "type": "object",
        "required": ["id", "agenda", "state", "starts_at", "body", "notice", "attendance"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "body": ref("Body"),
            "starts_at": {"type": "string", "format": "date-time"},
            "location": {"type": "string"},
            "state": {"type": "string", "enum": ["draft", "noticed", "in_session", "adjourned"]},
            "rule_set": {"type": "string", "examples": ["urban-2026"]},
            "notice": {
                "type": "object",
                "properties": {
                    "noticed_at": {"type": ["string", "null"], "format": "date-time"},
                    "days_required": {"type": ["integer", "null"]},
                    "is_short_notice": {"type": "boolean"},
                    "short_notice_reason": {"type": ["string", "null"]},
                    "rule": {"oneOf": [{"type": "null"}, _RULE]},
                },
            },
            "opened_at": {"type": ["string", "null"], "format": "date-time"},
            "adjourned_at": {"type": ["string", "null"], "format": "date-time"},
            "agenda": {"type": "array", "items": ref("AgendaItem")},
            "invitations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "body_id": {"type": "integer"},
                        "rule": {"type": "string", "examples": ["URC25-35"]},
                        "invited_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
            "members": {"type": "integer"},
            "households": {"type": ["integer", "null"]},
            "attendance": ref("AttendanceCounts"),
            "attachments": {
                "type": "array",
                "items": ref("Attachment"),
                "description": "the meeting's files, oldest first; withdrawn ones are listed "
                "with their reason and no `url`",
            },
        },
    },
    "MeetingPage": _page_of("Meeting"),
    "NewAttendance": {
        "type": "object",
        "required": ["resident_id", "status"],
        "properties": {
            "resident_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["present", "absent", "proxy"]},
            "proxy_holder_id": {
                "type": "integer",
                "description": "with status proxy: a member already signed in as present",
            },
        },
    },
    "AttendanceCorrection": {
        "type": "object",
        "required": ["status", "reason"],
        "properties": {
            "status": {"type": "string", "enum": ["present", "absent", "proxy"]},
            "proxy_holder_id": {"type": "integer"},
            "reason": {"type": "string", "maxLength": 2000},
        },
    },
    "Attendance": {
        "type": "object",
        "required": ["id", "resident_id", "status"],
        "properties": {
            "id": {"type": "integer"},
            "resident_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["present", "absent", "proxy"]},
            "proxy_holder_id": {"type": ["integer", "null"]},
            "household_id": {
                "type": ["integer", "null"],
                "description": "household mode: the household this person attends for",
            },
            "arrived_at": {"type": ["string", "null"], "format": "date-time"},
            "departed_at": {"type": ["string", "null"], "format": "date-time"},
            "version": {"type": "integer"},
            "recorded_at": {"type": "string", "format": "date-time"},
        },
    },
    "AttendancePage": _page_of("Attendance"),
    "Quorum": {
        "type": "object",
        "required": ["members", "present", "required", "met", "rule"],
        "properties": {
            "members": {"type": "integer", "description": "in the quorum's unit"},
            "present": {"type": "integer", "description": "proxies' principals included"},
            "required": {
                "type": "integer",
                "description": "the smallest number present that meets the quorum",
            },
            "met": {"type": "boolean"},
            "unit": {"type": "string", "enum": ["persons", "households"]},
            "rule": {
                "type": "object",
                "required": ["id", "citation"],
                "properties": {
                    "id": {"type": "string", "examples": ["URC25-23"]},
                    "citation": {"type": "string"},
                    "rule_set": {"type": "string"},
                    "quorum": {"type": "string"},
                    "practice": {"type": "boolean"},
                },
            },
        },
    },
    "PartyReview": {
        "type": "object",
        "required": ["reference"],
        "properties": {
            "reference": {
                "type": "string",
                "maxLength": 200,
                "description": "the Party organization's meeting or minute that studied the item",
            },
            "note": {"type": "string", "maxLength": 2000},
        },
    },
}

PARAMETERS: dict[str, Any] = {
    "meeting_id": {"name": "meeting_id", "in": "path", "required": True, "schema": _ID},
    "body_id": {"name": "body_id", "in": "path", "required": True, "schema": _ID},
    "item_id": {
        "name": "item_id",
        "in": "path",
        "required": True,
        "description": "an agenda item's id",
        "schema": _ID,
    },
    "when": {
        "name": "when",
        "in": "query",
        "required": False,
        "description": "upcoming (not yet adjourned, soonest first) or past (adjourned)",
        "schema": {"type": "string", "enum": ["upcoming", "past"]},
    },
    "drafts": {
        "name": "drafts",
        "in": "query",
        "required": False,
        "description": "1: include drafts (committee and supervisors only)",
        "schema": {"type": "string", "enum": ["0", "1"]},
    },
    "decision_type": {
        "name": "decision_type",
        "in": "query",
        "required": False,
        "description": "the quorum of this decision type (default ordinary)",
        "schema": ref("DecisionType"),
    },
}

_MEETING = ("meeting_id",)
_ACTION_ERRORS = {**_CONFLICT, **_NOT_FOUND}
# Actions without a body still refuse one that is not a JSON object.
_NO_BODY = {"400": _error("BadRequest"), "415": _error("UnsupportedMediaType")}

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/communities/{code}/bodies": {
        "get": operation(
            "listBodies",
            "The community's bodies (public)",
            tag="meetings",
            public=True,
            parameters=("code", *_PAGE),
            in_community=True,
            responses={"200": _ok("A page of bodies.", ref("BodyPage")), **_INVALID},
        ),
        "post": operation(
            "createBody",
            "Create a body with its members (staff)",
            tag="meetings",
            description="Composition problems the statutes name (URC25-24, VC25-19, URC25-35, "
            "VC25-30, URC25-02, VC25-01) come back as `warnings` and are recorded in the audit "
            "trail; they do not stop the body being recorded.",
            parameters=("code",),
            in_community=True,
            reads_json=True,
            body=_body(
                ref("NewBody"),
                example={"kind": "residents_meeting", "name": "居民会议", "mode": "all_adults"},
            ),
            responses={"201": _ok("Created.", ref("CreatedBody"))},
        ),
    },
    "/api/v1/bodies/{body_id}": {
        "get": operation(
            "getBody",
            "A body, its memberships and composition warnings (committee and supervisors)",
            tag="meetings",
            parameters=("body_id",),
            responses={"200": _ok("The body.", ref("BodyDetail")), **_NOT_FOUND},
        )
    },
    "/api/v1/communities/{code}/meetings": {
        "get": operation(
            "listMeetings",
            "The community's meetings: notice, agenda and attendance counts (public)",
            tag="meetings",
            public=True,
            parameters=("code", "when", "drafts", *_PAGE),
            in_community=True,
            responses={"200": _ok("A page of meetings.", ref("MeetingPage")), **_INVALID},
        ),
        "post": operation(
            "createMeeting",
            "Create a draft meeting with its agenda (staff, chair)",
            tag="meetings",
            description="The rule set in force on the meeting's local date decides which "
            "decision types exist (422 otherwise) and the notice period.",
            parameters=("code",),
            in_community=True,
            reads_json=True,
            body=_body(
                ref("NewMeeting"),
                example={
                    "body_id": 1,
                    "title": "2026年第二次居民会议",
                    "starts_at": "2026-06-20T19:00:00+08:00",
                    "location": "社区活动室",
                    "agenda": [{"title": "年度工作报告", "decision_type": "ordinary"}],
                },
            ),
            responses={"201": _ok("Created.", ref("Meeting"))},
        ),
    },
    "/api/v1/meetings/{meeting_id}": {
        "get": operation(
            "getMeeting",
            "A meeting: notice, agenda with each item's rule, attendance counts (public once "
            "noticed)",
            tag="meetings",
            public=True,
            parameters=_MEETING,
            responses={"200": _ok("The meeting.", ref("Meeting")), **_NOT_FOUND},
        )
    },
    "/api/v1/meetings/{meeting_id}/agenda": {
        "post": operation(
            "addAgendaItem",
            "Add an agenda item: drafts only, or an urgent item in session (staff, chair)",
            tag="meetings",
            description="409 once noticed (the agenda is frozen) and after adjournment; in "
            "session only with `urgent_decision`.",
            parameters=_MEETING,
            reads_json=True,
            body=_body(ref("NewAgendaItem")),
            responses={"201": _ok("Added.", ref("AgendaItem")), **_ACTION_ERRORS},
        )
    },
    "/api/v1/meetings/{meeting_id}/notice": {
        "post": operation(
            "noticeMeeting",
            "Publish the notice (staff, chair)",
            tag="meetings",
            description="409 if the meeting starts sooner than the statutory notice period "
            "(URC25-22, VC25-13: 10 days; COL-04: 10 days, no exception) and no "
            "short_notice_reason was recorded. Freezes the agenda; invites the supervisory "
            "committee to committee and representative meetings (URC25-35, VC25-30).",
            parameters=_MEETING,
            responses={
                "200": _ok("Noticed.", ref("Meeting")),
                **_ACTION_ERRORS,
                **_INVALID,
                **_NO_BODY,
            },
        )
    },
    "/api/v1/meetings/{meeting_id}/open": {
        "post": operation(
            "openMeeting",
            "Open the session, from 60 minutes before it starts (staff, chair)",
            tag="meetings",
            parameters=_MEETING,
            responses={"200": _ok("In session.", ref("Meeting")), **_ACTION_ERRORS, **_NO_BODY},
        )
    },
    "/api/v1/meetings/{meeting_id}/adjourn": {
        "post": operation(
            "adjournMeeting",
            "Adjourn: the record closes (staff, chair)",
            tag="meetings",
            parameters=_MEETING,
            responses={"200": _ok("Adjourned.", ref("Meeting")), **_ACTION_ERRORS, **_NO_BODY},
        )
    },
    "/api/v1/meetings/{meeting_id}/attendance": {
        "get": operation(
            "listAttendance",
            "The sign-in sheet (committee and supervisors)",
            tag="meetings",
            parameters=(*_MEETING, *_PAGE),
            responses={"200": _ok("A page of entries.", ref("AttendancePage")), **_NOT_FOUND},
        ),
        "post": operation(
            "recordAttendance",
            "Sign someone in, record an absence, or register a proxy (the sign-in desk)",
            tag="meetings",
            description="422: not a member of the meeting (or the proxy holder is not). 409: "
            "already recorded; household already represented (household mode); the proxy "
            "limits (at most three per holder, URC25-14 / VC25-09; a collective's members' "
            "meeting: same household only, COL-05; none at representative meetings); the "
            "meeting not in session.",
            parameters=_MEETING,
            reads_json=True,
            body=_body(ref("NewAttendance"), example={"resident_id": 1, "status": "present"}),
            responses={"201": _ok("Recorded.", ref("Attendance")), **_ACTION_ERRORS},
        ),
    },
    "/api/v1/meetings/{meeting_id}/attendance/{resident_id}/departure": {
        "post": operation(
            "recordDeparture",
            "Record an early departure (set once)",
            tag="meetings",
            parameters=("meeting_id", "resident_id"),
            responses={"200": _ok("Recorded.", ref("Attendance")), **_ACTION_ERRORS, **_NO_BODY},
        )
    },
    "/api/v1/meetings/{meeting_id}/attendance/{resident_id}/correction": {
        "post": operation(
            "correctAttendance",
            "Correct an entry: a new version with its reason (staff, chair)",
            tag="meetings",
            parameters=("meeting_id", "resident_id"),
            reads_json=True,
            body=_body(ref("AttendanceCorrection")),
            responses={"200": _ok("Corrected.", ref("Attendance")), **_ACTION_ERRORS},
        )
    },
    "/api/v1/meetings/{meeting_id}/quorum": {
        "get": operation(
            "getQuorum",
            "The quorum now, from the statute, with its article (public once noticed)",
            tag="meetings",
            public=True,
            parameters=(*_MEETING, "decision_type"),
            responses={"200": _ok("The quorum.", ref("Quorum")), **_NOT_FOUND, **_INVALID},
        )
    },
    "/api/v1/agenda-items/{item_id}/party-review": {
        "post": operation(
            "recordPartyReview",
            "Record the Party organization's review of a major item (staff, chair)",
            tag="meetings",
            description="VC25-17, URC25-28, COL-03: important matters are first studied by the "
            "Party organization; until this is recorded the item cannot go to a vote "
            "(`can_vote`). 409 if already recorded or not needed for the item's decision type.",
            parameters=("item_id",),
            reads_json=True,
            body=_body(ref("PartyReview")),
            responses={"200": _ok("Recorded.", ref("AgendaItem")), **_ACTION_ERRORS},
        )
    },
}

TAGS = [{"name": "meetings", "description": "Bodies, meetings, attendance and quorum"}]
