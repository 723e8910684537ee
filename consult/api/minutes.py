"""Minutes (INTERFACES.md §3): the recorder's draft, the signatures in order, the signed PDF;
and a check of any PDF anyone sends."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from consult.api import bp
from consult.api.common import ID, Field, Malformed, created, read_body
from consult.documents import service as documents
from consult.documents.toolkit import timestamp_roots, toolkit
from consult.errors import Invalid, NotAllowed
from consult.extensions import db
from consult.meetings import service as meetings
from consult.web.limits import login_attempts, rate_limited
from consult.web.permissions import permission

_DRAFT = {
    "text": Field(required=False, max_length=documents.MAX_TEXT, single_line=False),
    "items": Field(kind=list, required=False),
    "lang": Field(required=False, max_length=10),
}


def _notes(items: list[Any] | None) -> dict[int, str]:
    """`items`: [{"agenda_item_id", "notes"}] → {agenda_item_id: notes}."""
    notes: dict[int, str] = {}
    for n, entry in enumerate(items or []):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("agenda_item_id"), int)
            or isinstance(entry.get("agenda_item_id"), bool)
            or not isinstance(entry.get("notes", ""), str)
        ):
            raise Invalid(
                "each item is {agenda_item_id: integer, notes: string}",
                details={f"items[{n}]": "not {agenda_item_id, notes}"},
            )
        notes[entry["agenda_item_id"]] = entry.get("notes", "")
    return notes


@bp.route(f"/meetings/<{ID}:meeting_id>/minutes", methods=["PUT"])
@permission("minutes:minutes:write")
def save_minutes(meeting_id: int) -> Any:
    body = read_body(_DRAFT)
    meeting = meetings.get_meeting(g.actor, meeting_id)
    minutes = documents.save_minutes(
        g.actor, meeting, body["text"] or "", _notes(body["items"]), body["lang"]
    )
    return jsonify(documents.minutes_json(minutes))


@bp.route(f"/meetings/<{ID}:meeting_id>/minutes", methods=["GET"])
@permission("minutes:minutes:read")
def get_minutes(meeting_id: int) -> Any:
    """Every version the caller may see, newest first (the public sees published ones)."""
    meeting = meetings.get_meeting(g.actor, meeting_id)
    return jsonify(
        {
            "meeting_id": meeting.id,
            "versions": [documents.minutes_json(m) for m in documents.versions(g.actor, meeting)],
        }
    )


@bp.route(f"/meetings/<{ID}:meeting_id>/minutes/sign", methods=["POST"])
@permission("minutes:minutes:sign")
@rate_limited(login_attempts, methods=["POST"])
def sign_minutes(meeting_id: int) -> Any:
    body = read_body(
        {"role": Field(max_length=20), "passphrase": Field(max_length=1024, single_line=False)}
    )
    meeting = meetings.get_meeting(g.actor, meeting_id)
    try:
        signature = documents.sign_minutes(
            g.actor, meeting, body["role"], body["passphrase"], toolkit()
        )
    except NotAllowed as exc:
        if exc.code == "passphrase_wrong":
            db.session.commit()  # the failed attempt counts toward the key's throttle
        raise
    minutes = documents.current_minutes(g.actor, meeting)
    assert minutes is not None
    return created(
        {
            **documents.minutes_json(minutes),
            "signed": {"role": signature.role, "sha256": signature.sha256},
        }
    )


@bp.route(f"/meetings/<{ID}:meeting_id>/minutes/erratum", methods=["POST"])
@permission("minutes:minutes:write")
def start_erratum(meeting_id: int) -> Any:
    body = read_body({"reason": Field(max_length=2000, single_line=False)})
    meeting = meetings.get_meeting(g.actor, meeting_id)
    erratum = documents.start_erratum(g.actor, meeting, body["reason"])
    return created(documents.minutes_json(erratum))


@bp.route(f"/meetings/<{ID}:meeting_id>/minutes.pdf", methods=["GET"])
@permission("minutes:minutes:read")
def minutes_pdf(meeting_id: int) -> Any:
    meeting = meetings.get_meeting(g.actor, meeting_id)
    minutes, pdf = documents.minutes_pdf(g.actor, meeting)
    response = Response(pdf, mimetype="application/pdf")  # the stored bytes, never re-saved
    response.headers["Content-Disposition"] = (
        f'inline; filename="minutes-{meeting.id}-v{minutes.version}.pdf"'
    )
    response.headers["X-Document-Id"] = minutes.document_id
    return response


@bp.route("/documents/verify", methods=["POST"])
@permission("documents:pdf:verify")
def verify_document() -> Any:
    """Send a PDF as the body (application/pdf): the signatures judged as `consult pdf verify`
    does, and whether consult issued this exact file and it is the current version."""
    if request.mimetype != "application/pdf":
        raise UnsupportedMediaType("send the PDF itself as application/pdf")
    limit = current_app.config["VERIFY_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the file is too large: at most {limit} bytes")
    data = request.get_data(cache=False)
    if not data:
        raise Malformed("send the PDF as the request body", details={"body": "empty"})
    if len(data) > limit:
        raise RequestEntityTooLarge(f"the file is too large: at most {limit} bytes")
    check = documents.check_pdf(data, timestamp_roots=timestamp_roots())
    return jsonify(check.as_json("upload.pdf"))
