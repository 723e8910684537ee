"""The OpenAPI description of the charter and membership operations (issue 3); openapi.py
merges it into the document."""

from __future__ import annotations

from typing import Any

from consult.api.spec import _CONFLICT, _NOT_FOUND, _body, _ok, operation, ref
from consult.rules.model import BodyKind, DecisionType, Mode, Population
from consult.rules.thresholds import Basis, Op

_THRESHOLD = {
    "type": "object",
    "required": ["basis", "op", "num", "den"],
    "properties": {
        "basis": {"type": "string", "enum": [b.value for b in Basis]},
        "op": {
            "type": "string",
            "enum": [o.value for o in Op],
            "description": '">": 过半数 / 超过 (the share itself is not enough); ">=": 以上',
        },
        "num": {"type": "integer", "minimum": 1},
        "den": {"type": "integer", "minimum": 1},
    },
}
_SHARE = {
    "type": "object",
    "required": ["op", "num", "den"],
    "properties": {
        "op": {"type": "string", "enum": [o.value for o in Op]},
        "num": {"type": "integer", "minimum": 1},
        "den": {"type": "integer", "minimum": 1},
    },
}
_WARNINGS = {"type": "array", "items": ref("CompositionWarning")}

SCHEMAS: dict[str, Any] = {
    "CharterRule": {
        "type": "object",
        "required": ["body"],
        "description": "Stricter values for one decision of a body (or, without "
        "decision_type, every decision of it). Each must be at least as strict as the statute "
        "(RULES.md: a charter may tighten, never loosen): a higher share or a wider basis for "
        "`threshold` and `quorum`, more `notice_days`, fewer proxies, a lower `demand` share.",
        "properties": {
            "body": {"type": "string", "enum": [k.value for k in BodyKind]},
            "decision_type": {
                "type": ["string", "null"],
                "enum": [*(d.value for d in DecisionType), None],
            },
            "threshold": _THRESHOLD,
            "quorum": {
                "type": "object",
                "description": "by body mode, or `any` for the alternative of councils and "
                "committees",
                "propertyNames": {"enum": [*(m.value for m in Mode), "any"]},
                "additionalProperties": _THRESHOLD,
            },
            "notice_days": {"type": "integer", "minimum": 0, "maximum": 365},
            "short_notice_allowed": {"type": "boolean"},
            "proxies_allowed": {"type": "boolean"},
            "proxy_max_per_holder": {"type": "integer", "minimum": 1},
            "candidates_may_hold_proxies": {"type": "boolean"},
            "demand": {
                "type": "object",
                "propertyNames": {"enum": [p.value for p in Population]},
                "additionalProperties": _SHARE,
            },
        },
    },
    "NewCharter": {
        "type": "object",
        "required": ["title", "article", "effective_from", "decision_reference", "rules"],
        "properties": {
            "title": {"type": "string", "maxLength": 200, "examples": ["和平里社区居民自治章程"]},
            "title_en": {"type": "string", "maxLength": 200},
            "kind": {"type": "string", "enum": ["charter", "provincial"], "default": "charter"},
            "article": {"type": "integer", "minimum": 1},
            "effective_from": {
                "type": "string",
                "format": "date",
                "description": "today or later: a charter never judges past meetings",
            },
            "decision_reference": {
                "type": "string",
                "maxLength": 200,
                "description": "the decision that adopted it (a meeting's resolution)",
            },
            "rules": {"type": "array", "items": ref("CharterRule"), "maxItems": 100},
            "supersedes": {
                "type": "integer",
                "description": "the latest version the caller saw: 409 if another was adopted",
            },
        },
    },
    "Charter": {
        "type": "object",
        "required": ["id", "version", "kind", "title", "article", "citation", "effective_from"],
        "properties": {
            "id": {"type": "integer"},
            "version": {"type": "integer", "minimum": 1},
            "previous_id": {"type": ["integer", "null"]},
            "kind": {"type": "string", "enum": ["charter", "provincial"]},
            "title": {"type": "string"},
            "title_en": {"type": ["string", "null"]},
            "article": {"type": "integer"},
            "citation": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "examples": ["CHARTER-v1"]},
                    "zh": {"type": "string", "examples": ["《和平里社区居民自治章程》第十二条"]},
                    "en": {"type": "string"},
                },
            },
            "effective_from": {"type": "string", "format": "date"},
            "decision_reference": {"type": "string"},
            "rules": {"type": "array", "items": ref("CharterRule")},
            "adopted_at": {"type": "string", "format": "date-time"},
        },
    },
    "Charters": {
        "type": "object",
        "required": ["on", "current", "versions"],
        "properties": {
            "on": {"type": "string", "format": "date"},
            "current": {"oneOf": [ref("Charter"), {"type": "null"}]},
            "versions": {"type": "array", "items": ref("Charter")},
        },
    },
    "NewMember": {
        "type": "object",
        "required": ["resident_id", "starts_on"],
        "properties": {
            "resident_id": {"type": "integer"},
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date", "description": "the term's last day"},
        },
    },
    "EndMembership": {
        "type": "object",
        "required": ["ends_on", "reason"],
        "properties": {
            "ends_on": {"type": "string", "format": "date", "description": "the last day"},
            "reason": {"type": "string", "maxLength": 2000},
        },
    },
    "Membership": {
        "type": "object",
        "required": ["id", "body_id", "resident_id", "starts_on", "ends_on", "warnings"],
        "properties": {
            "id": {"type": "integer"},
            "body_id": {"type": "integer"},
            "resident_id": {"type": "integer"},
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": ["string", "null"], "format": "date"},
            "ended_at": {"type": ["string", "null"], "format": "date-time"},
            "end_reason": {"type": ["string", "null"]},
            "warnings": _WARNINGS,
        },
    },
}

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/communities/{code}/charter": {
        "get": operation(
            "getCharter",
            "The charter or provincial overlay in force today, and every version (public)",
            tag="meetings",
            public=True,
            parameters=("code",),
            in_community=True,
            responses={"200": _ok("The charter.", ref("Charters"))},
        ),
        "post": operation(
            "adoptCharter",
            "Record a new version of the charter or provincial overlay (staff)",
            tag="meetings",
            description="A new version points at the one it supersedes; none is overwritten. "
            "Meetings on or after `effective_from` are judged by the statute tightened by it. "
            "422 (`looser_than_statute`) if any value is looser than the statute, naming the "
            "rule and the statutory value; nothing is stored then.",
            parameters=("code",),
            in_community=True,
            reads_json=True,
            body=_body(
                ref("NewCharter"),
                example={
                    "title": "和平里社区居民自治章程",
                    "article": 12,
                    "effective_from": "2026-07-01",
                    "decision_reference": "2026年第一次居民会议决议",
                    "rules": [
                        {
                            "body": "residents_meeting",
                            "decision_type": "major",
                            "threshold": {"basis": "present", "op": ">=", "num": 2, "den": 3},
                        }
                    ],
                },
            ),
            responses={"201": _ok("Adopted.", ref("Charter")), **_CONFLICT},
        ),
    },
    "/api/v1/bodies/{body_id}/members": {
        "post": operation(
            "addMember",
            "Seat a resident on a council or committee for a term (staff)",
            tag="meetings",
            description="422: not a resident of this community, or a body whose members come "
            "from the register. 409 (`already_member`): a seat overlapping that term. "
            "Composition warnings are recomputed, returned and recorded.",
            parameters=("body_id",),
            reads_json=True,
            body=_body(ref("NewMember"), example={"resident_id": 1, "starts_on": "2026-07-01"}),
            responses={"201": _ok("Seated.", ref("Membership")), **_NOT_FOUND, **_CONFLICT},
        )
    },
    "/api/v1/bodies/{body_id}/members/{resident_id}/end": {
        "post": operation(
            "endMembership",
            "End a resident's seat: its last day, set once, with the reason (staff)",
            tag="meetings",
            description="404: no seat on this body. 409 (`already_ended`): ended before. 422: "
            "a day in the past, before the seat began or after its term.",
            parameters=("body_id", "resident_id"),
            reads_json=True,
            body=_body(ref("EndMembership"), example={"ends_on": "2026-07-31", "reason": "辞职"}),
            responses={"200": _ok("Ended.", ref("Membership")), **_NOT_FOUND, **_CONFLICT},
        )
    },
}
