"""Votes, their frozen rolls, participation, and ballots (VOTING.md "Data").

- `vote_roll`: who may vote, frozen when the vote opens: one row per voter key (the resident in
  person mode, the household in household mode) and the resident who casts for it — the voter,
  or the holder of the voter's proxy.
- `participations`: UNIQUE (vote_id, voter_key) — the one-vote guarantee, held by the database.
- `open_ballots`: a named vote's ballots, with the voter.
- `secret_ballots`: a secret vote's ballots: a random id (not a sequence), the choice and the
  receipt's hash — no voter, no time, nothing that orders them by insertion. The participation
  row and the ballot row are written in the same transaction.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from consult import clock
from consult.db import UTCDateTime
from consult.errors import Conflict
from consult.extensions import Model


class VoteState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class VoterUnit(StrEnum):
    PERSONS = "persons"
    HOUSEHOLDS = "households"


class Channel(StrEnum):
    ONLINE = "online"
    PAPER = "paper"
    HANDS = "hands"


DEFAULT_OPTIONS = ("yes", "no", "abstain")


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in values) + ")"


class Vote(Model):
    """A vote on an agenda item: draft → open → closed. The result and the signed ledger are
    written once, at close, and never change (a recount is a new vote)."""

    __tablename__ = "votes"
    __table_args__ = (
        CheckConstraint(_in("state", VoteState), name="state"),
        CheckConstraint(_in("unit", VoterUnit), name="unit"),
        CheckConstraint("(state = 'closed') = (result IS NOT NULL)", name="result"),
        CheckConstraint("(meeting_id IS NULL) = (agenda_item_id IS NULL)", name="item"),
        CheckConstraint("seats IS NULL OR seats >= 1", name="seats"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    # A vote in a meeting is on one of its agenda items; a standalone vote (all the body's
    # members, online and on paper, over a time window) has neither.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    # The day whose rule set (and charter) judges the vote: the meeting's date, or the day a
    # standalone vote was created.
    rule_date: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    decision_type: Mapped[str] = mapped_column(String(40))
    secret: Mapped[bool] = mapped_column(Boolean)
    options_json: Mapped[str] = mapped_column("options", Text)
    # An election: the seats to fill (each ballot marks at most that many candidates), the
    # candidates' resident ids in the order of `options` (their names as on the ballot), and
    # whether this is the supplementary round (另行选举: URC25-12, VC25-07).
    seats: Mapped[int | None] = mapped_column(Integer)
    candidates_json: Mapped[str | None] = mapped_column("candidates", Text)
    supplementary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    unit: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=VoteState.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The time window for casting, when set: ballots before `opens_at` or from `closes_at` on
    # are refused (409); opening freezes the roll and closing counts, as always.
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Frozen at open: the roll's size, and who was present (the quorum is judged on these).
    eligible: Mapped[int | None] = mapped_column(Integer)
    present_persons: Mapped[int | None] = mapped_column(Integer)
    present_households: Mapped[int | None] = mapped_column(Integer)
    members: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    # Written at close: the tally as JSON, and the signed ledger (canonical JSON).
    result: Mapped[str | None] = mapped_column(Text)
    # Deferred: a 1,000,000-ballot ledger is ~100 MB, read only when served or checked.
    ledger: Mapped[str | None] = mapped_column(Text, deferred=True)
    merkle_root: Mapped[str | None] = mapped_column(String(64))

    @property
    def options(self) -> list[str]:
        return list(json.loads(self.options_json))

    @property
    def is_election(self) -> bool:
        return self.seats is not None

    @property
    def candidate_ids(self) -> list[int]:
        return list(json.loads(self.candidates_json)) if self.candidates_json else []

    @property
    def vote_state(self) -> VoteState:
        return VoteState(self.state)

    @property
    def result_data(self) -> dict[str, Any] | None:
        return json.loads(self.result) if self.result else None

    def require(self, state: VoteState, doing: str) -> None:
        if self.vote_state is not state:
            code = "vote_closed" if self.vote_state is VoteState.CLOSED else "vote_not_open"
            if state is VoteState.DRAFT:
                code = "wrong_state"
            raise Conflict(
                f"cannot {doing}: the vote is {self.state}",
                details={"state": self.state},
                code=code,
            )


class VoteRoll(Model):
    """Who may vote, frozen at open: a voter key and the resident who casts for it."""

    __tablename__ = "vote_roll"
    __table_args__ = (
        PrimaryKeyConstraint("vote_id", "voter_key", "caster_id"),
        # A cast finds the caster's entries, paper ballots the principal's: each a direct probe
        # (the primary key holds caster_id behind voter_key, so a lookup by it would walk the
        # whole roll of the vote: a scan of 20,000 entries per ballot in the last hour's rush).
        Index("ix_vote_roll_vote_caster", "vote_id", "caster_id"),
        Index("ix_vote_roll_vote_principal", "vote_id", "principal_id"),
    )

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"))
    voter_key: Mapped[int] = mapped_column(Integer)  # resident id, or household id
    caster_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))  # whose vote it is
    by_proxy: Mapped[bool] = mapped_column(Boolean, default=False)


class Participation(Model):
    """That a voter (or household) voted, and how — never what they chose."""

    __tablename__ = "participations"
    __table_args__ = (
        UniqueConstraint("vote_id", "voter_key"),
        CheckConstraint(_in("channel", Channel), name="channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No index of its own: the unique (vote_id, voter_key) serves lookups by vote, and every
    # ballot would write one more index.
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"))
    voter_key: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    cast_by: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    by_proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class OpenBallot(Model):
    """A named vote's ballot: who voted how is recorded (and shown to members and supervisors)."""

    __tablename__ = "open_ballots"
    __table_args__ = (UniqueConstraint("vote_id", "voter_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), index=True)
    voter_key: Mapped[int] = mapped_column(Integer)
    voter: Mapped[str] = mapped_column(String(200))  # the name as the minutes record it
    choice: Mapped[str] = mapped_column(Text)
    receipt_hash: Mapped[str] = mapped_column(String(64))


class SecretBallot(Model):
    """A secret vote's ballot. Deliberately bare: a random id, the choice, the receipt's hash."""

    __tablename__ = "secret_ballots"
    __table_args__ = (
        PrimaryKeyConstraint("vote_id", "id"),
        UniqueConstraint("vote_id", "receipt_hash"),
    )

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"))
    id: Mapped[str] = mapped_column(String(32))  # 128 random bits, hex: orders nothing
    # An option; in an election, the canonical JSON list of the candidates marked.
    choice: Mapped[str] = mapped_column(Text)
    receipt_hash: Mapped[str] = mapped_column(String(64))


class PaperEntry(Model):
    """One staff member's reading of one paper ballot: the receipt code on its stub and the
    choice marked. Two staff enter the same ballots independently (double entry); a ballot is
    counted when their readings agree, and listed for resolution when they do not."""

    __tablename__ = "paper_entries"
    __table_args__ = (UniqueConstraint("vote_id", "entered_by", "receipt_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), index=True)
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    receipt_hash: Mapped[str] = mapped_column(String(64))
    choice: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class PaperResolution(Model):
    """How a disagreement between the two readings was settled (the choice, or none when the
    ballot is void), by whom and why."""

    __tablename__ = "paper_resolutions"
    __table_args__ = (UniqueConstraint("vote_id", "receipt_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), index=True)
    receipt_hash: Mapped[str] = mapped_column(String(64))
    choice: Mapped[str | None] = mapped_column(Text)  # None: void (not counted)
    reason: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class HandCount(Model):
    """A show of hands: the totals per option and the scrutineers (监票人) and counters (计票人)
    who counted them. A correction is a new row pointing at the one it replaces."""

    __tablename__ = "hand_counts"
    __table_args__ = (UniqueConstraint("previous_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), index=True)
    counts_json: Mapped[str] = mapped_column("counts", Text)
    scrutineers: Mapped[str] = mapped_column(Text)
    counters: Mapped[str] = mapped_column(Text)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("hand_counts.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    @property
    def counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in json.loads(self.counts_json).items()}
