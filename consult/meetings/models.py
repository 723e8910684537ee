"""Meetings under the statutes: bodies and their members, meetings, agenda items, attendance.

The database holds the invariants: one attendance row per person per meeting, one person per
household in household mode, an urgent item always carries its decision reference. State changes
of a meeting are guarded here (`meeting.open()` from the wrong state raises Conflict); the rules
that need the statute (notice periods, quorum, proxies) live in the service, which asks
`consult.rules`.

Nothing the public has seen is deleted or overwritten: a membership ends by setting `end_date`
once, a departure sets `departed_at` once, an attendance correction writes a new
AttendanceVersion and bumps `version`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult import clock
from consult.db import UTCDateTime
from consult.errors import Conflict
from consult.extensions import Model
from consult.rules.model import BodyKind, DecisionType, Mode

#: Sign-in at the door may begin this long before the meeting starts (INTERFACES.md §3).
OPEN_EARLY = timedelta(minutes=60)


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in values) + ")"


class MeetingState(StrEnum):
    DRAFT = "draft"
    NOTICED = "noticed"
    IN_SESSION = "in_session"
    ADJOURNED = "adjourned"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    PROXY = "proxy"  # 委托: represented by `proxy_holder_id`, who is present


#: Body kinds whose members are named one by one (the rest are computed from the register).
NAMED_MEMBERS = frozenset(
    {
        BodyKind.REPRESENTATIVE_COUNCIL,
        BodyKind.COMMITTEE,
        BodyKind.SUPERVISORY_COUNCIL,
        BodyKind.MEMBERS_MEETING,
    }
)


class Body(Model):
    """A deciding body of a community: 居民会议, 居民代表会议, 村民小组会议, 委员会 ..."""

    __tablename__ = "bodies"
    __table_args__ = (
        CheckConstraint(_in("kind", BodyKind), name="kind"),
        CheckConstraint("mode IS NULL OR " + _in("mode", Mode), name="mode"),
        Index("ix_bodies_community_kind", "community_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    # Residents' and villagers' meetings: all adults or one per household (urban-1990 also
    # group representatives, who are then named members). None for the other kinds.
    mode: Mapped[str | None] = mapped_column(String(40))
    # A villagers' group meeting is the meeting of one group (VC25-23).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("resident_groups.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def body_kind(self) -> BodyKind:
        return BodyKind(self.kind)

    @property
    def body_mode(self) -> Mode | None:
        return Mode(self.mode) if self.mode else None

    @property
    def has_named_members(self) -> bool:
        return self.body_kind in NAMED_MEMBERS or self.body_mode is Mode.GROUP_REPRESENTATIVES


class Membership(Model):
    """One person's seat on a body for a term. Ending it sets `end_date`; the row stays."""

    __tablename__ = "body_memberships"
    __table_args__ = (
        UniqueConstraint("body_id", "resident_id", "start_date"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="term"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # the last day of the term, inclusive
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Ending a membership early (consult.meetings.memberships.end_membership) sets these once,
    # with `end_date`; the term end planned before stays in the audit entry.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)

    def is_current(self, on: date) -> bool:
        return self.start_date <= on and (self.end_date is None or on <= self.end_date)


class Meeting(Model):
    """A meeting of a body: draft → noticed → in_session → adjourned.

    `rule_set_id` is the rule set in force on the meeting's date in the community's zone,
    fixed when the meeting is created (and re-fixed if its date moves while still a draft).
    """

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint(_in("state", MeetingState), name="state"),
        Index("ix_meetings_community_starts_at", "community_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20), default=MeetingState.DRAFT)
    rule_set_id: Mapped[str] = mapped_column(String(80))
    # "遇有特殊情况的，可以临时通知" (URC25-22, VC25-13): why the notice is short, if it is.
    short_notice_reason: Mapped[str | None] = mapped_column(Text)
    is_short_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    notice_days_required: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    adjourned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The chair's console: the position of the agenda item under discussion (None: not yet
    # begun). Each move is an audit entry (consult.meetings.checkin.advance_agenda).
    current_position: Mapped[int | None] = mapped_column(Integer)

    body: Mapped[Body] = relationship(lazy="joined", innerjoin=True)
    agenda: Mapped[list[AgendaItem]] = relationship(
        order_by="AgendaItem.position", back_populates="meeting"
    )

    @property
    def meeting_state(self) -> MeetingState:
        return MeetingState(self.state)

    def _require(self, *states: MeetingState, doing: str) -> None:
        if self.meeting_state not in states:
            wanted = " or ".join(s.value for s in states)
            raise Conflict(
                f"cannot {doing}: the meeting is {self.state}, not {wanted}",
                details={"state": self.state},
                code="wrong_state",
            )

    def require_not_adjourned(self, doing: str) -> None:
        if self.meeting_state is MeetingState.ADJOURNED:
            raise Conflict(
                f"cannot {doing}: the meeting is adjourned and its record is closed",
                details={"state": self.state},
                code="adjourned",
            )

    def require_draft(self, doing: str) -> None:
        self.require_not_adjourned(doing)
        self._require(MeetingState.DRAFT, doing=f"{doing} (the agenda is frozen at notice)")

    def require_in_session(self, doing: str) -> None:
        self.require_not_adjourned(doing)
        self._require(MeetingState.IN_SESSION, doing=doing)

    def notice(self, at: datetime) -> None:
        self.require_draft("give notice")
        self.state = MeetingState.NOTICED
        self.noticed_at = at

    def open(self, at: datetime) -> None:
        self.require_not_adjourned("open the meeting")
        self._require(MeetingState.NOTICED, doing="open the meeting")
        if at < self.starts_at - OPEN_EARLY:
            raise Conflict(
                "the meeting can be opened from 60 minutes before it starts",
                details={"opens_from": (self.starts_at - OPEN_EARLY).isoformat()},
                code="too_early",
            )
        self.state = MeetingState.IN_SESSION
        self.opened_at = at

    def adjourn(self, at: datetime) -> None:
        self.require_in_session("adjourn the meeting")
        self.state = MeetingState.ADJOURNED
        self.adjourned_at = at

    @property
    def is_public(self) -> bool:
        """Drafts are the committee's; from notice on the meeting is public (URC25-32, DS-13)."""
        return self.meeting_state is not MeetingState.DRAFT


class AgendaItem(Model):
    """An item of the agenda (议题). Its decision type selects the rule it is decided by."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        CheckConstraint(_in("decision_type", DecisionType), name="decision_type"),
        # An item added in session needs the recorded decision that let it in.
        CheckConstraint("NOT is_urgent OR urgent_decision IS NOT NULL", name="urgent_decision"),
        CheckConstraint(
            "(party_reviewed_at IS NULL) = (party_review_reference IS NULL)", name="party_review"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    decision_type: Mapped[str] = mapped_column(String(40))
    is_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_decision: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # VC25-17, URC25-28, COL-03: 先经党组织研究讨论. Set once.
    party_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    party_review_reference: Mapped[str | None] = mapped_column(String(200))
    party_review_note: Mapped[str | None] = mapped_column(Text)
    party_review_recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")

    @property
    def decision(self) -> DecisionType:
        return DecisionType(self.decision_type)

    @property
    def is_party_reviewed(self) -> bool:
        return self.party_reviewed_at is not None

    def record_party_review(
        self, at: datetime, reference: str, note: str | None, user_id: int | None
    ) -> None:
        if self.is_party_reviewed:
            raise Conflict(
                "the Party-organization review of this item is already recorded",
                details={"reviewed_at": self.party_reviewed_at.isoformat()},  # type: ignore[union-attr]
                code="already_recorded",
            )
        self.party_reviewed_at = at
        self.party_review_reference = reference
        self.party_review_note = note
        self.party_review_recorded_by = user_id


class Invitation(Model):
    """A body invited to a meeting: the supervisory committee to committee and representative
    meetings (URC25-35, VC25-30). Recorded when the notice is given."""

    __tablename__ = "meeting_invitations"
    __table_args__ = (UniqueConstraint("meeting_id", "body_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    rule_id: Mapped[str] = mapped_column(String(40))  # the citation's rule id, e.g. VC25-30
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attendance(Model):
    """Whether one person attended one meeting: present, absent, or by proxy.

    UNIQUE(meeting, resident) is one-person-one-row; UNIQUE(meeting, represented_household)
    is one-person-per-household in household mode (the column is NULL otherwise, and NULLs
    never collide). A correction bumps `version` and appends an AttendanceVersion.
    """

    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("meeting_id", "resident_id"),
        UniqueConstraint("meeting_id", "represented_household_id"),
        CheckConstraint(_in("status", AttendanceStatus), name="status"),
        CheckConstraint("(status = 'proxy') = (proxy_holder_id IS NOT NULL)", name="proxy_holder"),
        CheckConstraint("proxy_holder_id IS NULL OR proxy_holder_id <> resident_id", name="self"),
        CheckConstraint(
            "departed_at IS NULL OR arrived_at IS NULL OR departed_at >= arrived_at",
            name="departure",
        ),
        Index("ix_attendances_meeting_holder", "meeting_id", "proxy_holder_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    status: Mapped[str] = mapped_column(String(10))
    proxy_holder_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    represented_household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # present: signed in
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # set once
    version: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def attendance_status(self) -> AttendanceStatus:
        return AttendanceStatus(self.status)

    def depart(self, at: datetime) -> None:
        if self.attendance_status is not AttendanceStatus.PRESENT:
            raise Conflict("only someone present can leave early", details={"status": self.status})
        if self.departed_at is not None:
            raise Conflict(
                "the departure is already recorded",
                details={"departed_at": self.departed_at.isoformat()},
                code="already_recorded",
            )
        self.departed_at = at


class AttendanceVersion(Model):
    """Every state an attendance row has had, the first included: the sign-in sheet's history."""

    __tablename__ = "attendance_versions"
    __table_args__ = (UniqueConstraint("attendance_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendance_id: Mapped[int] = mapped_column(ForeignKey("attendances.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    proxy_holder_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)  # why a correction was made
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
