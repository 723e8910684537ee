"""The room: the sign-in desk's search, self check-in by a time-limited QR code, and the chair
moving through the agenda. Built on consult.meetings.service; nothing here commits.

A check-in token is `<meeting id>.<expiry, Unix seconds>.<HMAC-SHA256>` keyed with the app's
secret: bound to one meeting, expiring with the consult clock (tests move it), unforgeable
without the key. It proves the holder saw the code in the room; the resident still signs in as
themselves, and the service still checks that they are a member of the meeting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from consult import clock
from consult.accounts.policy import require
from consult.actor import Actor
from consult.audit.service import record
from consult.errors import Conflict, Invalid
from consult.extensions import db
from consult.meetings import service
from consult.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingState
from consult.registry.models import Community, Household, Resident, ResidentGroup

#: How long a QR code shown in the room stays valid.
TOKEN_LIFETIME = timedelta(minutes=10)
DESK_LIMIT = 30

# ---------------------------------------------------------------- the sign-in desk


@dataclass(frozen=True)
class DeskRow:
    """One person as the desk shows them: who, and what the sign-in sheet says of them."""

    resident_id: int
    name: str
    household: str
    group: str
    status: str | None  # None: not yet recorded
    proxy_holder: str | None
    arrived_at: datetime | None
    departed_at: datetime | None

    @property
    def is_here(self) -> bool:
        return self.status == AttendanceStatus.PRESENT and self.departed_at is None


def desk_search(
    actor: Actor, meeting: Meeting, query: str, *, limit: int = DESK_LIMIT
) -> list[DeskRow]:
    """Members of the meeting whose name contains `query`, or whose household or group code
    (or group name) is `query`. Without a query: the named members of a council, or nobody
    for a residents' meeting (thousands of people: search first)."""
    require(actor, "meetings:attendance:record", meeting.community_id)
    community = db.session.get(Community, meeting.community_id)
    assert community is not None
    text = query.strip()[:100]
    stmt = (
        select(Resident, Household.code, ResidentGroup.code, ResidentGroup.name)
        .join(Household, Household.id == Resident.household_id)
        .join(ResidentGroup, ResidentGroup.id == Resident.group_id, isouter=True)
        .where(Resident.community_id == community.id)
        .order_by(Household.code, Resident.id)
    )
    if text:
        stmt = stmt.where(
            or_(
                Resident.name.contains(text, autoescape=True),
                Household.code == text,
                ResidentGroup.code == text,
                ResidentGroup.name == text,
            )
        )
    elif not meeting.body.has_named_members:
        return []
    on = service.local_date(community, meeting.starts_at)
    found: list[tuple[Resident, str, str]] = []
    for resident, household, group_code, group_name in db.session.execute(stmt):
        if service.is_member(meeting.body, community, resident, on):
            found.append((resident, household, group_name or group_code or ""))
            if len(found) >= limit:
                break
    rows = _sheet(meeting, [r.id for r, _, _ in found])
    holders = service._residents(a.proxy_holder_id for a in rows.values() if a.proxy_holder_id)
    result = []
    for resident, household, group in found:
        a = rows.get(resident.id)
        holder = holders.get(a.proxy_holder_id) if a and a.proxy_holder_id else None
        result.append(
            DeskRow(
                resident_id=resident.id,
                name=resident.name,
                household=household,
                group=group,
                status=a.status if a else None,
                proxy_holder=holder.name if holder else None,
                arrived_at=a.arrived_at if a else None,
                departed_at=a.departed_at if a else None,
            )
        )
    return result


def _sheet(meeting: Meeting, resident_ids: list[int]) -> dict[int, Attendance]:
    if not resident_ids:
        return {}
    rows = db.session.execute(
        select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.resident_id.in_(resident_ids)
        )
    ).scalars()
    return {a.resident_id: a for a in rows}


@dataclass(frozen=True)
class Holder:
    resident_id: int
    name: str


def proxy_holders(actor: Actor, meeting: Meeting) -> list[Holder]:
    """Who may carry a proxy now: those signed in and still here, less the candidates of the
    meeting's election where they may not hold one (the service checks the rest)."""
    require(actor, "meetings:attendance:record", meeting.community_id)
    barred = service.candidate_ids(meeting) if service.proxy_bar_on_candidates(meeting) else set()
    rows = db.session.execute(
        select(Resident.id, Resident.name)
        .join(Attendance, Attendance.resident_id == Resident.id)
        .where(
            Attendance.meeting_id == meeting.id,
            Attendance.status == AttendanceStatus.PRESENT,
            Attendance.departed_at.is_(None),
        )
        .order_by(Resident.name, Resident.id)
    ).all()
    return [Holder(r.id, r.name) for r in rows if r.id not in barred]


# ---------------------------------------------------------------- self check-in


def _signature(key: bytes, meeting_id: int, expires: int) -> str:
    mac = hmac.new(key, f"consult.checkin:{meeting_id}:{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode().rstrip("=")


def make_token(key: bytes, meeting_id: int, *, at: datetime | None = None) -> tuple[str, datetime]:
    """A check-in token for `meeting_id` and the moment it expires."""
    expires_at = (at or clock.now()) + TOKEN_LIFETIME
    expires = int(expires_at.timestamp())
    return f"{meeting_id}.{expires}.{_signature(key, meeting_id, expires)}", expires_at


def check_token(key: bytes, meeting_id: int, token: str, *, at: datetime | None = None) -> None:
    """Raise Invalid (token_forged, token_expired) unless `token` is good for the meeting now."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise Invalid("the check-in code is not valid", code="token_forged")
    token_meeting, expires = int(parts[0]), int(parts[1])
    good = _signature(key, token_meeting, expires)
    if not hmac.compare_digest(good, parts[2]) or token_meeting != meeting_id:
        raise Invalid("the check-in code is not valid", code="token_forged")
    if (at or clock.now()).timestamp() > expires:
        raise Invalid("the check-in code has expired", code="token_expired")


def self_check_in(
    actor: Actor, meeting: Meeting, key: bytes, token: str, *, at: datetime | None = None
) -> Attendance:
    """A verified resident signs themselves in as present with a code shown in the room."""
    require(actor, "meetings:attendance:self", meeting.community_id)
    check_token(key, meeting.id, token, at=at)
    if actor.resident_id is None:
        raise Invalid("not a member of this meeting", code="not_a_member")
    return service._record_attendance(
        actor,
        meeting,
        resident_id=actor.resident_id,
        status=AttendanceStatus.PRESENT.value,
        proxy_holder_id=None,
        at=at,
        action="meetings:attendance:self",
    )


def own_attendance(actor: Actor, meeting: Meeting) -> Attendance | None:
    """The actor's own line of the sign-in sheet, if any."""
    if actor.resident_id is None:
        return None
    return service._attendance(meeting, actor.resident_id)


# ---------------------------------------------------------------- the chair's console


def advance_agenda(
    actor: Actor, meeting: Meeting, *, to: int, at: datetime | None = None
) -> Meeting:
    """Move the meeting to agenda item `to` (a position; 1 is the first item). Recorded."""
    require(actor, "meetings:agenda:advance", meeting.community_id)
    now = at or clock.now()
    db.session.refresh(meeting, with_for_update=True)
    meeting.require_in_session("move through the agenda")
    positions = [i.position for i in meeting.agenda]
    if to not in positions:
        raise Invalid("no such agenda item", details={"to": "a position on the agenda"})
    if meeting.current_position == to:
        raise Conflict("the meeting is already at this item", code="unchanged")
    previous = meeting.current_position
    meeting.current_position = to
    db.session.flush()
    item = next(i for i in meeting.agenda if i.position == to)
    record(
        actor,
        "meetings:agenda:advance",
        "meeting",
        meeting.id,
        community_id=meeting.community_id,
        payload={
            "from": previous,
            "to": to,
            "agenda_item_id": item.id,
            "title": item.title,
            "at": now.isoformat(),
        },
    )
    return meeting


def next_step(meeting: Meeting) -> str:
    """What the chair should do next, as a code the console words: notice, open, begin, next,
    adjourn, done."""
    state = meeting.meeting_state
    if state is MeetingState.DRAFT:
        return "notice"
    if state is MeetingState.NOTICED:
        return "open"
    if state is MeetingState.ADJOURNED:
        return "done"
    last = max((i.position for i in meeting.agenda), default=0)
    if meeting.current_position is None and last:
        return "begin"
    if meeting.current_position is not None and meeting.current_position < last:
        return "next"
    return "adjourn"
