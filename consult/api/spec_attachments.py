"""The OpenAPI description of attachments (issue 3): upload to an agenda item, download;
openapi.py merges it into the document."""

from __future__ import annotations

from typing import Any

from consult.api.spec import _ID, _error, _ok, operation, ref

_TYPES = ("application/pdf", "image/png", "image/jpeg")
_BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}

SCHEMAS: dict[str, Any] = {
    "Attachment": {
        "type": "object",
        "required": ["id", "sha256", "size", "content_type", "filename"],
        "properties": {
            "id": _ID,
            "meeting_id": _ID,
            "agenda_item_id": {"type": ["integer", "null"]},
            "filename": {
                "type": "string",
                "description": "cleaned: no directories or control characters, at most 120 "
                "characters, with the extension of the type found in the content",
            },
            "content_type": {"type": "string", "enum": list(_TYPES)},
            "size": {"type": "integer", "minimum": 1},
            "sha256": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "SHA-256 of the content: files are stored once per hash",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "withdrawn_at": {"type": ["string", "null"], "format": "date-time"},
            "withdrawn_reason": {"type": ["string", "null"]},
            "url": {
                "type": ["string", "null"],
                "description": "where to download it; null once withdrawn",
            },
        },
    },
    "AttachmentWithdrawal": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}},
    },
    "AttachmentUpload": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {**_BINARY, "description": "the file; its part's filename is kept (cleaned)"}
        },
    },
}

PARAMETERS: dict[str, Any] = {
    "attachment_id": {"name": "attachment_id", "in": "path", "required": True, "schema": _ID},
    "X-Filename": {
        "name": "X-Filename",
        "in": "header",
        "required": False,
        "description": "with a raw body: the file's name, percent-encoded UTF-8 "
        "(e.g. `%E9%80%9A%E7%9F%A5.pdf` for 通知.pdf)",
        "schema": {"type": "string", "maxLength": 1000},
    },
}

_UPLOAD_DESCRIPTION = (
    "Send the file either as `multipart/form-data` with the part `file`, or as the raw body "
    "(`application/pdf`, `image/png`, `image/jpeg` or `application/octet-stream`) with its name "
    "in the `X-Filename` header. The type is judged by the content's first bytes, never by the "
    "name: PDF, PNG and JPEG only (422 `file_type`). At most CONSULT_ATTACHMENT_MAX_MB (10 MB) "
    "per file (422 `file_too_large`); a request over CONSULT_MAX_UPLOAD_MB is refused before it "
    "is read (413). A file is an agenda change: 409 `agenda_frozen` once the meeting is noticed, "
    "except for an urgent item added in session; 409 `adjourned` after adjournment. Identical "
    "content is stored once (same `sha256`)."
)

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/agenda-items/{item_id}/attachments": {
        "post": operation(
            "addAttachment",
            "Attach a PDF, PNG or JPEG to an agenda item (staff, chair)",
            tag="meetings",
            description=_UPLOAD_DESCRIPTION,
            parameters=("item_id", "X-Filename"),
            body={
                "required": True,
                "content": {
                    "multipart/form-data": {"schema": ref("AttachmentUpload")},
                    **{t: {"schema": _BINARY} for t in _TYPES},
                    "application/octet-stream": {"schema": _BINARY},
                },
            },
            responses={
                "201": _ok("Attached; Location names the download.", ref("Attachment")),
                "404": _error("NotFound"),
                "409": _error("Conflict"),
                "413": _error("TooLarge"),
                "415": _error("UnsupportedMediaType"),
                "422": _error("Invalid"),
            },
        )
    },
    "/api/v1/attachments/{attachment_id}/withdraw": {
        "post": operation(
            "withdrawAttachment",
            "Withdraw an attachment with its reason (staff, chair)",
            tag="meetings",
            description="A correction, not a deletion: the record and the bytes stay, the "
            "meeting's JSON and pages list the file with when and why it was withdrawn, and the "
            "public download becomes 404. 409 `already_recorded` if already withdrawn, 409 "
            "`adjourned` after adjournment; 422 without a reason.",
            parameters=("attachment_id",),
            body={
                "required": True,
                "content": {"application/json": {"schema": ref("AttachmentWithdrawal")}},
            },
            responses={
                "200": _ok("Withdrawn.", ref("Attachment")),
                "404": _error("NotFound"),
                "409": _error("Conflict"),
                "422": _error("Invalid"),
            },
        )
    },
    "/api/v1/attachments/{attachment_id}": {
        "get": operation(
            "getAttachment",
            "Download an attachment (public once the meeting is noticed)",
            tag="meetings",
            description="Always a download: `Content-Disposition: attachment`, the checked "
            "Content-Type, `X-Content-Type-Options: nosniff`; the ETag is the SHA-256. A "
            "withdrawn file is 404 to the public.",
            public=True,
            parameters=("attachment_id",),
            responses={
                "200": {
                    "description": "The file.",
                    "content": {t: {"schema": _BINARY} for t in _TYPES},
                },
                "404": _error("NotFound"),
            },
        )
    },
}
