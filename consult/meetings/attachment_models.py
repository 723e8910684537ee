"""Attachments of meetings and agenda items (PDF, PNG, JPEG), stored by content hash.

Where the bytes live: in the database, one `attachment_blobs` row per SHA-256, shared by every
attachment with the same content (deduplicated). The database is the simplest place for a
committee's office: one backup holds the record and its papers, an upload commits or rolls back
with its audit entry (a file under instance/ could outlive a rolled-back request, or be missing
from a backup), and both SQLite and PostgreSQL take blobs of this size well; the size limit
(CONSULT_ATTACHMENT_MAX_MB, 10 MB by default) keeps the database sane.

Nothing the public has seen is deleted: an attachment is withdrawn by recording when, by whom
and why; its row and its bytes stay.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult import clock
from consult.db import UTCDateTime
from consult.extensions import Model


class AttachmentType(StrEnum):
    """The content types accepted, each recognised by its magic bytes (never by the name)."""

    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"


class AttachmentBlob(Model):
    """The bytes of one file, keyed by their SHA-256 (hex): stored once however often used."""

    __tablename__ = "attachment_blobs"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256"),
        CheckConstraint("size > 0", name="size"),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Attachment(Model):
    """A file attached to a meeting (the whole meeting's papers) or to one of its agenda items.

    Withdrawal sets `withdrawn_at`, `withdrawn_by` and `withdrawn_reason` once; nothing else
    changes after the upload.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(
            "content_type IN (" + ", ".join(f"'{t.value}'" for t in AttachmentType) + ")",
            name="content_type",
        ),
        CheckConstraint(
            "(withdrawn_at IS NULL) = (withdrawn_reason IS NULL)", name="withdrawal_reason"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("attachment_blobs.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(160))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    blob: Mapped[AttachmentBlob] = relationship(lazy="select")

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None
