"""The OpenAPI description of candidates of election items (issue 3: who may not hold proxies);
openapi.py merges it into the document."""

from __future__ import annotations

from typing import Any

from consult.api.spec import (
    _CONFLICT,
    _ID,
    _INVALID,
    _NOT_FOUND,
    _PAGE,
    _body,
    _ok,
    _page_of,
    operation,
    ref,
)
from consult.meetings.candidate_models import Nomination

SCHEMAS: dict[str, Any] = {
    "Candidate": {
        "type": "object",
        "required": ["id", "agenda_item_id", "resident_id", "name", "nominated_by"],
        "properties": {
            "id": _ID,
            "agenda_item_id": _ID,
            "resident_id": _ID,
            "name": {"type": "string"},
            "nominated_by": {"type": "string", "enum": [n.value for n in Nomination]},
            "nomination_note": {"type": ["string", "null"]},
            "registered_at": {"type": "string", "format": "date-time"},
            "withdrawn_at": {"type": ["string", "null"], "format": "date-time"},
            "withdrawn_reason": {"type": ["string", "null"]},
        },
    },
    "CandidatePage": _page_of("Candidate"),
    "NewCandidate": {
        "type": "object",
        "required": ["resident_id", "nominated_by"],
        "properties": {
            "resident_id": _ID,
            "nominated_by": {
                "type": "string",
                "enum": [n.value for n in Nomination],
                "description": "the Party organization, or voters jointly (URC25-10, VC25-06)",
            },
            "nomination_note": {
                "type": "string",
                "maxLength": 2000,
                "description": "how the nomination was made, as the paper record says",
            },
        },
    },
    "CandidateWithdrawal": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}},
    },
}

_ITEM = ("item_id",)
_RESIDENT = ("item_id", "resident_id")

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/agenda-items/{item_id}/candidates": {
        "get": operation(
            "listCandidates",
            "An election item's candidates (public once the meeting is noticed)",
            tag="meetings",
            description="In the order registered; withdrawn candidates are listed with when and "
            "why.",
            public=True,
            parameters=(*_ITEM, *_PAGE),
            responses={"200": _ok("A page of candidates.", ref("CandidatePage")), **_NOT_FOUND},
        ),
        "post": operation(
            "registerCandidate",
            "Register a candidate in an election item (staff, chair)",
            tag="meetings",
            description="422: not an election item (`not_an_election`), not a voter of the "
            "community on the meeting's date, an unknown nomination. 409: already on the list "
            "(`already_recorded`); the person holds proxies at this meeting and a candidate may "
            "not (`candidate_holds_proxies`, URC25-14 / VC25-09); the meeting is adjourned. "
            "While standing, a candidate cannot be given a proxy (409 `proxy_candidate`).",
            parameters=_ITEM,
            reads_json=True,
            body=_body(ref("NewCandidate"), example={"resident_id": 1, "nominated_by": "voters"}),
            responses={
                "201": _ok("Registered.", ref("Candidate")),
                **_NOT_FOUND,
                **_CONFLICT,
                **_INVALID,
            },
        ),
    },
    "/api/v1/agenda-items/{item_id}/voter-roll": {
        "post": operation(
            "recordVoterRoll",
            "Record the day the election's voter roll was published (staff, chair)",
            tag="meetings",
            description="URC25-09 / VC25-05: at least 20 days before election day. consult "
            "records it and shows whether it was early enough (`ok`); the election's result "
            "carries the same standing. `published_on`: YYYY-MM-DD, today or earlier.",
            parameters=_ITEM,
            reads_json=True,
            body=_body(
                {
                    "type": "object",
                    "required": ["published_on"],
                    "properties": {
                        "published_on": {"type": "string", "format": "date"},
                        "where": {"type": "string", "maxLength": 2000},
                    },
                },
                example={"published_on": "2026-12-01", "where": "社区公告栏"},
            ),
            responses={"201": _ok("Recorded; the standing."), **_NOT_FOUND, **_INVALID},
        ),
        "get": operation(
            "voterRollStanding",
            "When the election's voter roll was published, and whether early enough",
            tag="meetings",
            public=True,
            parameters=_ITEM,
            responses={
                "200": _ok("The standing ({} for an item that is not an election)."),
                **_NOT_FOUND,
            },
        ),
    },
    "/api/v1/agenda-items/{item_id}/candidates/{resident_id}/withdraw": {
        "post": operation(
            "withdrawCandidate",
            "A candidate withdraws, with the reason (staff, chair)",
            tag="meetings",
            description="The row stays with when, by whom and why. 409 `already_recorded` if "
            "already withdrawn; 422 without a reason.",
            parameters=_RESIDENT,
            reads_json=True,
            body=_body(ref("CandidateWithdrawal")),
            responses={
                "200": _ok("Withdrawn.", ref("Candidate")),
                **_NOT_FOUND,
                **_CONFLICT,
                **_INVALID,
            },
        )
    },
}
