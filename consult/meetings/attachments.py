"""Attachments of meetings and agenda items: upload, withdraw, read.

A file is part of the agenda it belongs to, so it follows the agenda's rule (issue 3, item 3):
attached while the meeting is a draft; frozen at notice (409); in session only to an urgent item
(one admitted by a recorded decision); never after adjournment. Its type is what its first bytes
say (PDF, PNG or JPEG), never what its name says; the name is cleaned and given the extension of
the type found. Each upload or withdrawal records one audit entry and flushes; nothing here
commits or imports Flask.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from consult import clock
from consult.accounts.policy import can, require
from consult.actor import Actor
from consult.audit.service import record
from consult.errors import Conflict, Invalid, NotFound
from consult.extensions import db
from consult.meetings.attachment_models import Attachment, AttachmentBlob, AttachmentType
from consult.meetings.models import AgendaItem, Meeting, MeetingState
from consult.meetings.service import get_meeting, lock_meeting

#: The default limit per file; the edge passes Config.ATTACHMENT_MAX_BYTES
#: (CONSULT_ATTACHMENT_MAX_MB).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILENAME = 120
MAX_REASON = 2000

#: Magic bytes -> type: what the file is, whatever it is called.
_MAGIC: tuple[tuple[bytes, AttachmentType], ...] = (
    (b"%PDF-", AttachmentType.PDF),
    (b"\x89PNG\r\n\x1a\n", AttachmentType.PNG),
    (b"\xff\xd8\xff", AttachmentType.JPEG),
)
EXTENSIONS = {AttachmentType.PDF: "pdf", AttachmentType.PNG: "png", AttachmentType.JPEG: "jpg"}
# Characters no file system or Content-Disposition header should see in a name.
_UNSAFE = re.compile(r'[<>:"/\\|?*;=,`$&%\']')


def detect_type(content: bytes) -> AttachmentType | None:
    """The type the first bytes name, or None for anything else (HTML, scripts, archives ...)."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    return None


def clean_filename(name: str | None, kind: AttachmentType) -> str:
    """A name safe to store and to send back: no directories, no control or bidi characters,
    nothing a header or a shell would read, at most MAX_FILENAME characters, and the extension
    of the type the content really is (`report.html` holding a PDF becomes `report.pdf`)."""
    base = unicodedata.normalize("NFC", name or "")
    base = base.replace("\\", "/").rsplit("/", 1)[-1]
    # Categories C*: controls, format characters (bidi overrides), surrogates, private use.
    base = "".join(ch for ch in base if not unicodedata.category(ch).startswith("C"))
    base = _UNSAFE.sub("_", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"\s+", " ", stem).strip(" ._-")
    ext = EXTENSIONS[kind]
    stem = stem[: MAX_FILENAME - len(ext) - 1].rstrip(" ._-") or "attachment"
    return f"{stem}.{ext}"


def _require_open_agenda(meeting: Meeting, item: AgendaItem | None) -> None:
    """An attachment is an agenda change: drafts only, or an urgent item in session."""
    meeting.require_not_adjourned("attach a file")
    state = meeting.meeting_state
    if state is MeetingState.DRAFT:
        return
    if state is MeetingState.IN_SESSION and item is not None and item.is_urgent:
        return
    raise Conflict(
        "the agenda is frozen at notice; in session a file may be attached only to an urgent "
        "item admitted by a recorded decision",
        details={"state": meeting.state},
        code="agenda_frozen",
    )


def _blob(sha256: str, content: bytes) -> AttachmentBlob:
    """The stored bytes for `sha256`, written once (another upload may have written them)."""
    found = db.session.get(AttachmentBlob, sha256)
    if found is not None:
        return found
    blob = AttachmentBlob(sha256=sha256, size=len(content), content=content, created_at=clock.now())
    try:
        with db.session.begin_nested():
            db.session.add(blob)
            db.session.flush()
    except IntegrityError:  # the same bytes, uploaded at the same moment to another meeting
        found = db.session.get(AttachmentBlob, sha256)
        assert found is not None
        return found
    return blob


def add_attachment(
    actor: Actor,
    meeting: Meeting,
    *,
    filename: str | None,
    content: bytes,
    item: AgendaItem | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Attachment:
    """Attach a PDF, PNG or JPEG to `meeting` (or to its agenda `item`): 422 if empty, too
    large or of another type; 409 once the agenda is frozen (see `_require_open_agenda`)."""
    require(actor, "meetings:agenda:edit", meeting.community_id)
    if item is not None and item.meeting_id != meeting.id:
        raise NotFound("no such agenda item in this meeting")
    lock_meeting(meeting)  # as the agenda's other changes take it
    _require_open_agenda(meeting, item)
    if not content:
        raise Invalid("the file is empty", details={"file": "empty"}, code="file_empty")
    if len(content) > max_bytes:
        raise Invalid(
            f"the file is larger than {max_bytes} bytes",
            details={"file": f"at most {max_bytes} bytes", "size": len(content)},
            code="file_too_large",
        )
    kind = detect_type(content)
    if kind is None:
        raise Invalid(
            "only PDF, PNG and JPEG files can be attached",
            details={"file": "PDF, PNG or JPEG (by content, not by name)"},
            code="file_type",
        )
    sha256 = hashlib.sha256(content).hexdigest()
    _blob(sha256, content)
    attachment = Attachment(
        meeting_id=meeting.id,
        agenda_item_id=item.id if item is not None else None,
        sha256=sha256,
        filename=clean_filename(filename, kind),
        content_type=kind.value,
        size=len(content),
        created_at=clock.now(),
        created_by=actor.user_id,
    )
    db.session.add(attachment)
    db.session.flush()
    record(
        actor,
        "meetings:agenda:edit",
        "attachment",
        attachment.id,
        community_id=meeting.community_id,
        payload={
            "meeting_id": meeting.id,
            "agenda_item_id": attachment.agenda_item_id,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": sha256,
        },
    )
    return attachment


def withdraw_attachment(actor: Actor, attachment: Attachment, *, reason: str) -> Attachment:
    """Withdraw a file with the reason: the row and the bytes stay, the public no longer gets
    the file, and the page says when and why it was withdrawn. 409 after adjournment."""
    meeting = get_meeting(actor, attachment.meeting_id)
    require(actor, "meetings:agenda:edit", meeting.community_id)
    lock_meeting(meeting)
    meeting.require_not_adjourned("withdraw a file")
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        detail = "required" if not text else f"at most {MAX_REASON} characters"
        raise Invalid("the withdrawal needs its reason", details={"reason": detail})
    if attachment.is_withdrawn:
        raise Conflict(
            "the file is already withdrawn",
            details={"withdrawn_at": attachment.withdrawn_at.isoformat()},  # type: ignore[union-attr]
            code="already_recorded",
        )
    attachment.withdrawn_at = clock.now()
    attachment.withdrawn_by = actor.user_id
    attachment.withdrawn_reason = text
    db.session.flush()
    record(
        actor,
        "meetings:agenda:edit",
        "attachment",
        attachment.id,
        community_id=meeting.community_id,
        payload={"meeting_id": meeting.id, "withdrawn": True, "reason": text},
    )
    return attachment


def get_attachment(actor: Actor, attachment_id: int) -> Attachment:
    """An attachment the actor may see: of a noticed meeting, anyone; of a draft, the committee.
    A withdrawn file is kept from the public (404) but not from the committee."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("no such attachment")
    meeting = get_meeting(actor, attachment.meeting_id)
    if attachment.is_withdrawn and not can(actor, "meetings:meeting:read", meeting.community_id):
        raise NotFound("the attachment was withdrawn")
    return attachment


def content_of(attachment: Attachment) -> bytes:
    return attachment.blob.content


def list_attachments(meeting: Meeting) -> list[Attachment]:
    """The meeting's files, the whole meeting's and its items', oldest first (withdrawn too)."""
    return list(
        db.session.execute(
            select(Attachment).where(Attachment.meeting_id == meeting.id).order_by(Attachment.id)
        ).scalars()
    )


def by_item(meeting: Meeting) -> dict[int | None, list[Attachment]]:
    """The meeting's files grouped by agenda item id (None: the whole meeting's)."""
    grouped: dict[int | None, list[Attachment]] = {}
    for attachment in list_attachments(meeting):
        grouped.setdefault(attachment.agenda_item_id, []).append(attachment)
    return grouped


#: For the edge's permission gate: the id of an attachment's community (bound `object_id`).
COMMUNITY_ID_OF_ATTACHMENT = (
    select(Meeting.community_id)
    .join(Attachment, Attachment.meeting_id == Meeting.id)
    .where(Attachment.id == bindparam("object_id"))
    .scalar_subquery()
)


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "meeting_id": attachment.meeting_id,
        "agenda_item_id": attachment.agenda_item_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "created_at": attachment.created_at.isoformat(),
        "withdrawn_at": attachment.withdrawn_at.isoformat() if attachment.withdrawn_at else None,
        "withdrawn_reason": attachment.withdrawn_reason,
    }
