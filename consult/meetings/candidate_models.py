"""Candidates (候选人) of an election item on a meeting's agenda.

A candidate is registered on an agenda item whose decision type is `election`, with who
nominated them (URC25-10, VC25-06: the Party organization, or voters jointly). The list is
public once the meeting is noticed (the statutes have it published before the vote). A
candidate may not hold proxies at that meeting (URC25-14, VC25-09). Withdrawal records when,
by whom and why; the row stays.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult import clock
from consult.db import UTCDateTime
from consult.extensions import Model


class Nomination(StrEnum):
    """Who put the candidate forward (URC25-10, VC25-06)."""

    PARTY_ORGANIZATION = "party_organization"  # 党组织提名
    VOTERS = "voters"  # 选民联名提名 / 村民直接提名


class Candidate(Model):
    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("agenda_item_id", "resident_id"),
        CheckConstraint(
            "nominated_by IN (" + ", ".join(f"'{n.value}'" for n in Nomination) + ")",
            name="nominated_by",
        ),
        CheckConstraint("(withdrawn_at IS NULL) = (withdrawn_reason IS NULL)", name="withdrawal"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    nominated_by: Mapped[str] = mapped_column(String(30))
    # How the nomination was made, as the paper record says (e.g. "居民12人联名，附联名表").
    nomination_note: Mapped[str | None] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class VoterRollPublication(Model):
    """That the voter roll (选民名单) of an election item was published, and on which day
    (URC25-09, VC25-05: at least 20 days before election day). Usually on the notice board: the
    committee records it here. A republication after objections is another row."""

    __tablename__ = "voter_roll_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    published_on: Mapped[date] = mapped_column(Date)
    where: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
