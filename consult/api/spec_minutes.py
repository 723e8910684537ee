"""The OpenAPI description of signed minutes and the PDF check (issue 5); openapi.py merges it
into the document."""

from __future__ import annotations

from typing import Any

from consult.api.spec import _ID, _body, _error, _ok, operation, ref
from consult.documents.models import MinutesState, SigningRole

_BINARY = {"type": "string", "format": "binary"}
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}

SCHEMAS: dict[str, Any] = {
    "Minutes": {
        "type": "object",
        "required": ["id", "meeting_id", "version", "state", "document_id", "signatures"],
        "properties": {
            "id": _ID,
            "meeting_id": _ID,
            "version": {"type": "integer", "minimum": 1},
            "previous_id": {"type": ["integer", "null"], "description": "the version corrected"},
            "erratum_reason": {"type": ["string", "null"]},
            "state": {"type": "string", "enum": [s.value for s in MinutesState]},
            "document_id": {"type": "string", "description": "printed on every page"},
            "text": {"type": "string", "description": "the recorder's free text (Markdown)"},
            "lang": {"type": "string", "enum": ["zh-Hans", "en"]},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"agenda_item_id": _ID, "notes": {"type": "string"}},
                },
            },
            "signatures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "role": {"type": "string", "enum": [r.value for r in SigningRole]},
                        "signed_at": {"type": "string", "format": "date-time"},
                        "sha256": _SHA256,
                    },
                },
            },
            "next_signer": {"type": ["string", "null"], "enum": [*SigningRole, None]},
            "published_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "MinutesDraft": {
        "type": "object",
        "properties": {
            "text": {"type": "string", "maxLength": 50000},
            "lang": {
                "type": "string",
                "enum": ["zh-Hans", "en"],
                "description": "the language the PDF's labels are printed in (default zh-Hans)",
            },
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["agenda_item_id"],
                    "properties": {"agenda_item_id": _ID, "notes": {"type": "string"}},
                },
            },
        },
    },
    "MinutesSigning": {
        "type": "object",
        "required": ["role", "passphrase"],
        "properties": {
            "role": {"type": "string", "enum": [r.value for r in SigningRole]},
            "passphrase": {
                "type": "string",
                "description": "opens the signer's PKCS#12; the first signature in a role "
                "sets it (at least 8 characters). consult never stores it.",
            },
        },
    },
    "PdfCheck": {
        "type": "object",
        "required": ["file", "signatures", "modified_after_last_signature"],
        "properties": {
            "file": {"type": "string"},
            "signatures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "signer": {"type": ["string", "null"]},
                        "role": {"type": ["string", "null"]},
                        "signed_at": {"type": ["string", "null"], "format": "date-time"},
                        "intact": {"type": "boolean"},
                        "valid": {"type": "boolean"},
                        "trusted": {"type": "boolean"},
                        "covers_whole_document": {"type": "boolean"},
                        "problems": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "modified_after_last_signature": {"type": "boolean"},
            "ok": {"type": "boolean", "description": "valid, untouched and trusted"},
            "sha256": _SHA256,
            "known": {"type": "boolean", "description": "consult issued this exact file"},
            "document_id": {"type": ["string", "null"]},
            "version": {"type": ["integer", "null"]},
            "state": {"type": ["string", "null"]},
            "is_current": {"type": "boolean"},
            "meeting_id": {"type": ["integer", "null"]},
        },
    },
}

_MEETING = ("meeting_id",)

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/meetings/{meeting_id}/minutes": {
        "get": operation(
            "listMinutes",
            "The meeting's minutes, every version the caller may see, newest first",
            tag="minutes",
            description="The public sees published (and superseded) versions; the committee "
            "and the supervisors also see drafts and versions being signed.",
            public=True,
            parameters=_MEETING,
            responses={"200": _ok("The versions."), "404": _error("NotFound")},
        ),
        "put": operation(
            "saveMinutes",
            "Write the draft (recorder, staff)",
            tag="minutes",
            description="Attendance, quorum and vote results are filled in by consult itself "
            "when the recorder signs. 409 `minutes_signed` once the first signature is on: a "
            "correction is an erratum; 409 `meeting_not_begun` before the meeting opens; 422 "
            "`unknown_item` for notes on another meeting's item.",
            parameters=_MEETING,
            reads_json=True,
            body=_body(
                ref("MinutesDraft"),
                example={
                    "text": "会议由主持人宣布开始。",
                    "items": [{"agenda_item_id": 1, "notes": "讨论充分。"}],
                },
            ),
            responses={
                "200": _ok("The draft.", ref("Minutes")),
                "404": _error("NotFound"),
                "409": _error("Conflict"),
                "422": _error("Invalid"),
            },
        ),
    },
    "/api/v1/meetings/{meeting_id}/minutes/sign": {
        "post": operation(
            "signMinutes",
            "Sign the minutes in your role: recorder, then chair, then a supervisor",
            tag="minutes",
            description="The recorder's signature renders the PDF/A and certifies it (creating "
            "the chair's and the supervisor's fields); each later one is an incremental update "
            "that leaves the earlier valid; the supervisor's countersignature publishes. 403 "
            "`not_signer` without that role, `passphrase_wrong`; 409 `out_of_order`, "
            "`already_signed`, `same_signer`, `meeting_open` (not adjourned), `no_minutes`; "
            "422 `passphrase_short` for a first passphrase under 8 characters, `missing_glyph` "
            "for text no installed font can print; 409 `signer_unnamed` (no name on record), "
            "`stamp_font`, `signing_failed`; 429 `passphrase_locked` after 5 wrong passphrases "
            "for one key within 15 minutes (and a per-address limit).",
            parameters=_MEETING,
            reads_json=True,
            body=_body(ref("MinutesSigning"), example={"role": "recorder", "passphrase": "…"}),
            responses={
                "201": _ok("Signed; the minutes and the new document's SHA-256.", ref("Minutes")),
                "404": _error("NotFound"),
                "409": _error("Conflict"),
                "422": _error("Invalid"),
                "429": _error("RateLimited"),
            },
        )
    },
    "/api/v1/meetings/{meeting_id}/minutes/erratum": {
        "post": operation(
            "startErratum",
            "Correct published minutes: a new draft version pointing at the old (recorder, staff)",
            tag="minutes",
            description="The published version stays published until the erratum is signed "
            "by all three, then shows as superseded. 409 `minutes_not_published`.",
            parameters=_MEETING,
            reads_json=True,
            body=_body(
                {
                    "type": "object",
                    "required": ["reason"],
                    "properties": {"reason": {"type": "string", "maxLength": 2000}},
                }
            ),
            responses={
                "201": _ok("The new draft.", ref("Minutes")),
                "404": _error("NotFound"),
                "409": _error("Conflict"),
                "422": _error("Invalid"),
            },
        )
    },
    "/api/v1/meetings/{meeting_id}/minutes.pdf": {
        "get": operation(
            "getMinutesPdf",
            "The signed minutes PDF (public once published)",
            tag="minutes",
            description="The stored bytes, never re-saved: the published version for anyone; "
            "the version being signed for the committee and the supervisors. `X-Document-Id` "
            "names it.",
            public=True,
            parameters=_MEETING,
            responses={
                "200": {
                    "description": "The PDF.",
                    "content": {"application/pdf": {"schema": _BINARY}},
                },
                "404": _error("NotFound"),
            },
        )
    },
    "/api/v1/documents/verify": {
        "post": operation(
            "verifyPdf",
            "Check any PDF: its signatures, and whether consult issued this exact file",
            tag="minutes",
            description="As `consult pdf verify --json` (INTERFACES.md §2), judged by pyHanko "
            "against every community's certificate authority; plus whether this is a stage of "
            "minutes consult issued and the current version (a file consult issued is judged as "
            "of consult's record of its last signature). 415 unless `application/pdf`; 413 "
            "over CONSULT_VERIFY_MAX_MB; 422 `not_pdf`.",
            public=True,
            body=_body(_BINARY, media="application/pdf"),
            responses={
                "200": _ok("The check.", ref("PdfCheck")),
                "413": _error("TooLarge"),
                "415": _error("UnsupportedMediaType"),
                "422": _error("Invalid"),
            },
        )
    },
}
