"""Signed documents: each community's certificate authority, its signers' certificates, and the
minutes of meetings with the signed PDF after each signature (DOCUMENTS.md, issue 5).

- `certificate_authorities`: one per community; the CA key encrypted at rest with the field key.
- `signer_certificates`: a person's certificate for one role in one community, with their
  PKCS#12 encrypted by a passphrase consult never stores (or one they uploaded). Revoked, never
  deleted, when the role ends.
- `minutes`: versions of a meeting's minutes. A draft changes until its first signature; after
  that nothing changes in place: a correction (erratum) is a new version pointing at the old.
- `minutes_signatures`: the PDF as it stood after each signature (recorder, chair,
  supervisor), with its SHA-256 — stored and served unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from consult import clock
from consult.db import UTCDateTime
from consult.extensions import Model


class SigningRole(StrEnum):
    """The roles that sign minutes, in the order they sign (issue 5: recorder, chair, then a
    member of the supervisory committee countersigns)."""

    RECORDER = "recorder"
    CHAIR = "chair"
    SUPERVISOR = "supervisor"
    # Issue 6: staff sign a disclosure, a supervisor countersigns (consult.disclosure). Staff
    # hold certificates too; they never sign minutes (SIGNING_ORDER).
    STAFF = "staff"


SIGNING_ORDER = (SigningRole.RECORDER, SigningRole.CHAIR, SigningRole.SUPERVISOR)


class MinutesState(StrEnum):
    DRAFT = "draft"
    SIGNING = "signing"  # the recorder has signed; the chair and a supervisor are to follow
    PUBLISHED = "published"  # all three signatures
    SUPERSEDED = "superseded"  # a published version an erratum replaced (kept, shown as such)


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class CertificateAuthority(Model):
    """A community's own certificate authority (its certificate signs the signers')."""

    __tablename__ = "certificate_authorities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), unique=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    # PKCS#8 PEM of the CA key, encrypted with the field key (FieldCipher), bound to the row.
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the certificate (hex)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class SignerCertificate(Model):
    """A signer's certificate for one role in one community, and their encrypted PKCS#12."""

    __tablename__ = "signer_certificates"
    __table_args__ = (
        CheckConstraint(_in("role", SigningRole), name="role"),
        UniqueConstraint("fingerprint", name="uq_signer_certificates_fingerprint"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    serial: Mapped[str] = mapped_column(String(64))  # hex
    subject: Mapped[str] = mapped_column(String(200))
    certificate_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The private key lives only here, in a PKCS#12 encrypted with the signer's passphrase.
    pkcs12: Mapped[bytes] = mapped_column(LargeBinary)
    # Uploaded by the signer (issued elsewhere) rather than issued by the community's CA.
    is_external: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(String(40))


class Minutes(Model):
    """One version of a meeting's minutes."""

    __tablename__ = "minutes"
    __table_args__ = (
        CheckConstraint(_in("state", MinutesState), name="state"),
        UniqueConstraint("meeting_id", "version", name="uq_minutes_meeting_version"),
        CheckConstraint("(version = 1) = (previous_id IS NULL)", name="erratum"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("minutes.id"))
    erratum_reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=MinutesState.DRAFT)
    # The public id printed on every page and in the QR code's verification link.
    document_id: Mapped[str] = mapped_column(String(40), unique=True)
    text: Mapped[str] = mapped_column(Text, default="")  # the recorder's free text (Markdown)
    notes_json: Mapped[str] = mapped_column(Text, default="{}")  # {agenda_item_id: Markdown}
    lang: Mapped[str] = mapped_column(String(10), default="zh-Hans")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def minutes_state(self) -> MinutesState:
        return MinutesState(self.state)

    @property
    def notes(self) -> dict[int, str]:
        return {int(k): str(v) for k, v in json.loads(self.notes_json or "{}").items()}


class MinutesSignature(Model):
    """A signature on one version of the minutes: who, in which role, with which certificate,
    and the whole signed PDF as it stood afterwards (never re-saved)."""

    __tablename__ = "minutes_signatures"
    __table_args__ = (
        CheckConstraint(
            f"role IN ({', '.join(repr(r.value) for r in SIGNING_ORDER)})", name="role"
        ),
        UniqueConstraint("minutes_id", "role", name="uq_minutes_signatures_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    certificate_id: Mapped[int] = mapped_column(ForeignKey("signer_certificates.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
