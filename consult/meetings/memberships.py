"""Seats on councils and committees after a body is created: add a member for a term, end a
membership early. Nothing is deleted: a membership ends by setting its last day once, with the
reason and who recorded it. Composition warnings (consult.rules.composition: representatives'
and women's shares, committee members and their relatives kept off the supervisory committee)
are recomputed for the day the change takes effect, returned, and recorded in the audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from consult import clock
from consult.accounts.policy import require
from consult.actor import Actor
from consult.audit.service import record
from consult.errors import Conflict, Invalid, NotFound
from consult.extensions import db
from consult.meetings.models import Body, Membership
from consult.meetings.service import composition_warnings, local_date
from consult.registry.models import Community, Resident
from consult.rules.composition import CompositionWarning

MAX_REASON = 2000


@dataclass(frozen=True)
class MembershipResult:
    membership: Membership
    warnings: tuple[CompositionWarning, ...] = ()


def _community(body: Body) -> Community:
    community = db.session.get(Community, body.community_id)
    assert community is not None
    return community


def _lock(body: Body) -> None:
    """Changes to one body's seats queue up, so two overlapping seats cannot both be added."""
    db.session.execute(select(Body.id).where(Body.id == body.id).with_for_update())


def _resident(community: Community, resident_id: int) -> Resident:
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.community_id != community.id:
        raise Invalid(
            "the membership is not valid",
            details={"resident_id": "not a resident of this community"},
        )
    return resident


def _warnings_on(body: Body, community: Community, day: date) -> tuple[CompositionWarning, ...]:
    rows = db.session.execute(
        select(Resident)
        .join(Membership, Membership.resident_id == Resident.id)
        .where(
            Membership.body_id == body.id,
            Membership.start_date <= day,
            (Membership.end_date.is_(None)) | (Membership.end_date >= day),
        )
        .order_by(Resident.id)
    ).scalars()
    residents = list(rows)
    if not residents:
        return ()
    return composition_warnings(community, body.body_kind, residents, day)


def add_member(
    actor: Actor,
    body: Body,
    *,
    resident_id: int,
    starts_on: date,
    ends_on: date | None = None,
) -> MembershipResult:
    """Seat a resident of the body's community on a council or committee for a term.

    422: the body's members come from the register, the resident is not of this community, or
    the term ends before it starts. 409: the resident already holds a seat in that period.
    """
    require(actor, "meetings:memberships:add", body.community_id)
    community = _community(body)
    details: dict[str, str] = {}
    if not body.has_named_members:
        details["body_id"] = "this body's members are computed from the register"
    if ends_on is not None and ends_on < starts_on:
        details["ends_on"] = "on or after starts_on"
    if details:
        raise Invalid("the membership is not valid", details=details)
    resident = _resident(community, resident_id)
    _lock(body)
    overlapping = db.session.execute(
        select(Membership)
        .where(
            Membership.body_id == body.id,
            Membership.resident_id == resident.id,
            (Membership.end_date.is_(None)) | (Membership.end_date >= starts_on),
            *([Membership.start_date <= ends_on] if ends_on is not None else []),
        )
        .limit(1)
    ).scalar_one_or_none()
    if overlapping is not None:
        ends = overlapping.end_date.isoformat() if overlapping.end_date else "open-ended"
        raise Conflict(
            f"{resident.name} already holds a seat on this body from "
            f"{overlapping.start_date.isoformat()} ({ends})",
            details={
                "resident_id": resident.id,
                "start_date": overlapping.start_date.isoformat(),
                "end_date": overlapping.end_date.isoformat() if overlapping.end_date else None,
            },
            code="already_member",
        )
    membership = Membership(
        body_id=body.id,
        resident_id=resident.id,
        start_date=starts_on,
        end_date=ends_on,
        created_at=clock.now(),
        created_by=actor.user_id,
    )
    db.session.add(membership)
    db.session.flush()
    warnings = _warnings_on(body, community, starts_on)
    record(
        actor,
        "meetings:memberships:add",
        "body",
        body.id,
        community_id=community.id,
        payload={
            "membership": membership.id,
            "resident_id": resident.id,
            "start_date": starts_on.isoformat(),
            "end_date": ends_on.isoformat() if ends_on else None,
            "warnings": [w.as_dict() for w in warnings],
        },
    )
    return MembershipResult(membership, warnings)


def end_membership(
    actor: Actor,
    body: Body,
    *,
    resident_id: int,
    ends_on: date,
    reason: str,
) -> MembershipResult:
    """End a resident's latest seat on the body: `ends_on` is the last day, set once.

    404: the resident never held a seat here. 409: already ended, or the term is over. 422:
    no reason, a last day before the seat began or after its term, or a day in the past
    (which would change the record of meetings already held).
    """
    require(actor, "meetings:memberships:end", body.community_id)
    community = _community(body)
    clean_reason = (reason or "").strip()
    details: dict[str, str] = {}
    if not clean_reason:
        details["reason"] = "required"
    elif len(clean_reason) > MAX_REASON:
        details["reason"] = f"at most {MAX_REASON} characters"
    _lock(body)
    membership = db.session.execute(
        select(Membership)
        .where(Membership.body_id == body.id, Membership.resident_id == resident_id)
        .order_by(Membership.start_date.desc())
        .limit(1)
    ).scalar_one_or_none()
    if membership is None:
        raise NotFound("this resident holds no seat on this body")
    if membership.ended_at is not None:
        raise Conflict(
            f"the membership already ended on {membership.end_date}",
            details={"end_date": membership.end_date.isoformat() if membership.end_date else None},
            code="already_ended",
        )
    today = local_date(community, clock.now())
    planned = membership.end_date
    if planned is not None and planned < today:
        raise Conflict(
            f"the term already ended on {planned.isoformat()}",
            details={"end_date": planned.isoformat()},
            code="already_ended",
        )
    if ends_on < membership.start_date:
        details["ends_on"] = f"on or after {membership.start_date.isoformat()}, when the seat began"
    elif ends_on < today:
        details["ends_on"] = (
            f"today ({today.isoformat()}) or later: a past date would change meetings already held"
        )
    elif planned is not None and ends_on > planned:
        details["ends_on"] = f"on or before {planned.isoformat()}, the end of the term"
    if details:
        raise Invalid("the membership cannot end so", details=details)
    membership.end_date = ends_on
    membership.ended_at = clock.now()
    membership.ended_by = actor.user_id
    membership.end_reason = clean_reason
    db.session.flush()
    warnings = _warnings_on(body, community, ends_on + timedelta(days=1))
    record(
        actor,
        "meetings:memberships:end",
        "body",
        body.id,
        community_id=community.id,
        payload={
            "membership": membership.id,
            "resident_id": resident_id,
            "start_date": membership.start_date.isoformat(),
            "planned_end_date": planned.isoformat() if planned else None,
            "end_date": ends_on.isoformat(),
            "reason": clean_reason,
            "warnings": [w.as_dict() for w in warnings],
        },
    )
    return MembershipResult(membership, warnings)


def membership_json(result: MembershipResult) -> dict[str, Any]:
    m = result.membership
    return {
        "id": m.id,
        "body_id": m.body_id,
        "resident_id": m.resident_id,
        "starts_on": m.start_date.isoformat(),
        "ends_on": m.end_date.isoformat() if m.end_date else None,
        "ended_at": m.ended_at.isoformat() if m.ended_at else None,
        "end_reason": m.end_reason,
        "warnings": [w.as_dict() for w in result.warnings],
    }
