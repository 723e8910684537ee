"""Charters (自治章程) and provincial overlays adopted by a community, as versioned records.

A version is never overwritten: adopting again writes a new row that points at the one it
supersedes (`previous_id`), with its own effective date and the decision that adopted it. The
charter in force on a day is the latest version effective on or before it. `rules` holds the
overlay entries as canonical JSON (consult.rules.overlay_data), which only tighten the statute.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult import clock
from consult.db import UTCDateTime
from consult.extensions import Model


class CharterKind(StrEnum):
    CHARTER = "charter"  # 居民自治章程 / 村民自治章程, adopted by the community itself
    PROVINCIAL = "provincial"  # a provincial regulation (地方性法规) the community applies


class Charter(Model):
    """One version of a community's charter or provincial overlay."""

    __tablename__ = "charters"
    __table_args__ = (
        UniqueConstraint("community_id", "version"),
        UniqueConstraint("previous_id"),  # a version is superseded at most once
        CheckConstraint("kind IN ('charter', 'provincial')", name="kind"),
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint("article >= 1", name="article"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("charters.id"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))  # 《和平里社区居民自治章程》
    title_en: Mapped[str | None] = mapped_column(String(200))
    article: Mapped[int] = mapped_column(Integer)  # the article the stricter rules stand in
    effective_from: Mapped[date] = mapped_column(Date)
    # The adopting decision: a meeting's resolution, or the regulation's promulgation.
    decision_reference: Mapped[str] = mapped_column(String(200))
    rules: Mapped[str] = mapped_column(Text)  # canonical JSON: a list of overlay entries
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    adopted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def charter_kind(self) -> CharterKind:
        return CharterKind(self.kind)
