"""Attachments of agenda items: upload (staff, chair) and download (public once noticed).

`POST /agenda-items/{item_id}/attachments` takes the file either as `multipart/form-data` (the
part `file`, whose filename is used) or as the raw body (`Content-Type: application/pdf`,
`image/png`, `image/jpeg` or `application/octet-stream`) with the name in the `X-Filename`
header, percent-encoded UTF-8. Either way the type is judged by the content's first bytes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from flask import current_app, g, jsonify, request, url_for
from werkzeug.exceptions import UnsupportedMediaType

from consult.api import bp
from consult.api.common import ID, Field, created, read_body
from consult.errors import Invalid
from consult.meetings import attachments
from consult.meetings import service as meetings
from consult.meetings.attachment_models import Attachment
from consult.meetings.models import Meeting
from consult.web.downloads import attachment_response
from consult.web.permissions import permission

#: Raw bodies accepted besides multipart (the content decides the type in the end).
RAW_TYPES = frozenset(
    {"", "application/pdf", "image/png", "image/jpeg", "application/octet-stream"}
)
FILENAME_HEADER = "X-Filename"


def _upload() -> tuple[str | None, bytes]:
    """(filename, bytes) from a multipart part `file` or from the raw body."""
    if request.mimetype == "multipart/form-data":
        part = request.files.get("file")
        if part is None:
            raise Invalid("the request is not valid", details={"file": "required"})
        return part.filename, part.read()
    if request.mimetype not in RAW_TYPES:
        raise UnsupportedMediaType(
            "send multipart/form-data with a part `file`, or the file itself as the body"
        )
    raw_name = request.headers.get(FILENAME_HEADER)
    name = unquote(raw_name, errors="replace") if raw_name else None
    return name, request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413


def attachment_entry(attachment: Attachment) -> dict[str, Any]:
    """An attachment as the API shows it: its record and where to download it (null once it is
    withdrawn: the record stays, the file is no longer served to the public)."""
    return {
        **attachments.attachment_json(attachment),
        "url": None
        if attachment.is_withdrawn
        else url_for("api.get_attachment", attachment_id=attachment.id),
    }


def attachments_of(meeting: Meeting) -> list[dict[str, Any]]:
    return [attachment_entry(a) for a in attachments.list_attachments(meeting)]


@bp.route(f"/agenda-items/<{ID}:item_id>/attachments", methods=["POST"])
@permission("meetings:agenda:edit")
def add_attachment(item_id: int) -> Any:
    item = meetings.get_agenda_item(g.actor, item_id)
    filename, content = _upload()
    attachment = attachments.add_attachment(
        g.actor,
        item.meeting,
        item=item,
        filename=filename,
        content=content,
        max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"],
    )
    return created(
        attachment_entry(attachment),
        location=url_for("api.get_attachment", attachment_id=attachment.id),
    )


@bp.route(f"/attachments/<{ID}:attachment_id>/withdraw", methods=["POST"])
@permission("meetings:agenda:edit")
def withdraw_attachment(attachment_id: int) -> Any:
    """Withdraw a file with its reason (a correction: the record and the bytes stay)."""
    body = read_body({"reason": Field(max_length=2000, single_line=False)})
    attachment = attachments.get_attachment(g.actor, attachment_id)
    attachments.withdraw_attachment(g.actor, attachment, reason=body["reason"])
    return jsonify(attachment_entry(attachment))


@bp.route(f"/attachments/<{ID}:attachment_id>", methods=["GET"])
@permission("meetings:public:read")
def get_attachment(attachment_id: int) -> Any:
    return attachment_response(attachments.get_attachment(g.actor, attachment_id))
