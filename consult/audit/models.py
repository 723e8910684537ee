"""Audit entries: appended, never updated, never deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from consult.db import UTCDateTime
from consult.errors import Conflict
from consult.extensions import Model

PLATFORM_LOG = "platform"


def log_id_for(community_id: int | None) -> str:
    """Each community has its own log (a later issue seals each into a Merkle tree)."""
    return PLATFORM_LOG if community_id is None else f"community:{community_id}"


class AuditEntry(Model):
    """One state change. `leaf` is the canonical JSON a checkpoint will hash (RFC 9162 leaf)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        UniqueConstraint("log_id", "seq"),
        Index("ix_audit_entries_community_action", "community_id", "action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_id: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, never secrets
    leaf: Mapped[str] = mapped_column(Text)  # canonical JSON of the whole entry
    leaf_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of `leaf`

    def as_dict(self) -> dict[str, Any]:
        import json

        return json.loads(self.leaf)


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise Conflict("audit entries are never updated")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise Conflict("audit entries are never deleted")
