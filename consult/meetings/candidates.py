"""Candidates of a meeting's election items: register, withdraw, list.

A candidate stands in an agenda item whose decision type is `election`, nominated by the Party
organization or by voters (URC25-10, VC25-06), and must be a voter of the community on the
meeting's date (URC25-08, VC25-04). While standing they may not hold proxies at that meeting
(URC25-14, VC25-09): registering someone who already carries proxies is refused, and so is a
proxy handed to a candidate (consult.meetings.service._check_proxy). Both take the meeting's
lock, so neither can slip past the other. Nothing is deleted: a withdrawal is recorded with its
reason. Each change records one audit entry and flushes; nothing here commits or imports Flask.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from consult import clock
from consult.accounts.policy import require
from consult.actor import Actor
from consult.audit.service import record
from consult.errors import Conflict, Invalid, NotFound
from consult.extensions import db
from consult.meetings.candidate_models import Candidate, Nomination, VoterRollPublication
from consult.meetings.models import AgendaItem, Attendance
from consult.meetings.service import (
    decision_rule,
    get_meeting,
    is_eligible,
    local_date,
    lock_meeting,
    proxy_bar_on_candidates,
)
from consult.registry.models import Community, Resident
from consult.rules.model import DecisionType

MAX_NOTE = 2000


def _election(actor: Actor, item: AgendaItem) -> None:
    meeting = get_meeting(actor, item.meeting_id)
    require(actor, "meetings:agenda:edit", meeting.community_id)
    if item.decision_type != DecisionType.ELECTION:
        raise Invalid(
            "candidates stand only in an election item",
            details={"agenda_item_id": "not an election item"},
            code="not_an_election",
        )
    lock_meeting(meeting)
    meeting.require_not_adjourned("change the candidates")


def _candidate(item: AgendaItem, resident_id: int) -> Candidate | None:
    return db.session.execute(
        select(Candidate).where(
            Candidate.agenda_item_id == item.id, Candidate.resident_id == resident_id
        )
    ).scalar_one_or_none()


def register_candidate(
    actor: Actor,
    item: AgendaItem,
    *,
    resident_id: int,
    nominated_by: str,
    nomination_note: str | None = None,
) -> Candidate:
    """Put a resident on an election item's list of candidates."""
    _election(actor, item)
    meeting = item.meeting
    community = db.session.get(Community, meeting.community_id)
    assert community is not None
    details: dict[str, str] = {}
    if nominated_by not in {n.value for n in Nomination}:
        details["nominated_by"] = "party_organization or voters"
    note = (nomination_note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        details["nomination_note"] = f"at most {MAX_NOTE} characters"
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.community_id != community.id:
        details["resident_id"] = "not a resident of this community"
    elif not is_eligible(community, local_date(community, meeting.starts_at), resident):
        details["resident_id"] = "not a voter of this community on the meeting's date"
    if details:
        raise Invalid("the candidate is not valid", details=details)
    assert resident is not None
    if _candidate(item, resident.id) is not None:
        raise Conflict(
            "this person is already on the list of candidates (withdrawn ones stay on record)",
            details={"resident_id": resident.id},
            code="already_recorded",
        )
    barred = proxy_bar_on_candidates(meeting)  # this item is an election: its rule decides
    if barred is not None:
        holding = db.session.execute(
            select(func.count(Attendance.id)).where(
                Attendance.meeting_id == meeting.id, Attendance.proxy_holder_id == resident.id
            )
        ).scalar_one()
        if holding:
            cited = (
                {"rule": {"id": barred.citation.rule_id, "citation": barred.citation.zh}}
                if barred.citation
                else {}
            )
            raise Conflict(
                "this person holds proxies at this meeting, and a candidate may not",
                details={"resident_id": resident.id, "holding": holding, **cited},
                code="candidate_holds_proxies",
            )
    candidate = Candidate(
        agenda_item_id=item.id,
        resident_id=resident.id,
        nominated_by=nominated_by,
        nomination_note=note,
        registered_at=clock.now(),
        registered_by=actor.user_id,
    )
    db.session.add(candidate)
    db.session.flush()
    record(
        actor,
        "meetings:candidate:register",
        "candidate",
        candidate.id,
        community_id=meeting.community_id,
        payload={
            "meeting_id": meeting.id,
            "agenda_item_id": item.id,
            "resident_id": resident.id,
            "nominated_by": nominated_by,
            "nomination_note": note,
        },
    )
    return candidate


def withdraw_candidate(
    actor: Actor, item: AgendaItem, *, resident_id: int, reason: str
) -> Candidate:
    """A candidate withdraws (or is struck off) with the reason; the row stays."""
    _election(actor, item)
    candidate = _candidate(item, resident_id)
    if candidate is None:
        raise NotFound("this person is not a candidate in this item")
    text = (reason or "").strip()
    if not text or len(text) > MAX_NOTE:
        detail = "required" if not text else f"at most {MAX_NOTE} characters"
        raise Invalid("the withdrawal needs its reason", details={"reason": detail})
    if candidate.is_withdrawn:
        raise Conflict(
            "the candidate has already withdrawn",
            details={"resident_id": resident_id},
            code="already_recorded",
        )
    candidate.withdrawn_at = clock.now()
    candidate.withdrawn_by = actor.user_id
    candidate.withdrawn_reason = text
    db.session.flush()
    record(
        actor,
        "meetings:candidate:withdraw",
        "candidate",
        candidate.id,
        community_id=item.meeting.community_id,
        payload={
            "meeting_id": item.meeting_id,
            "agenda_item_id": item.id,
            "resident_id": resident_id,
            "reason": text,
        },
    )
    return candidate


def list_candidates(actor: Actor, item: AgendaItem) -> list[tuple[Candidate, str]]:
    """An election item's candidates with their names, in the order registered (withdrawn ones
    too, marked). Public once the meeting is noticed, like the agenda."""
    get_meeting(actor, item.meeting_id)
    rows = db.session.execute(
        select(Candidate, Resident.name)
        .join(Resident, Resident.id == Candidate.resident_id)
        .where(Candidate.agenda_item_id == item.id)
        .order_by(Candidate.id)
    ).all()
    return [(candidate, name) for candidate, name in rows]


def candidate_json(candidate: Candidate, name: str | None = None) -> dict[str, object]:
    """The candidate as the API shows it (`name` looked up when not given)."""
    if name is None:
        resident = db.session.get(Resident, candidate.resident_id)
        name = resident.name if resident else ""
    return {
        "id": candidate.id,
        "agenda_item_id": candidate.agenda_item_id,
        "resident_id": candidate.resident_id,
        "name": name,
        "nominated_by": candidate.nominated_by,
        "nomination_note": candidate.nomination_note,
        "registered_at": candidate.registered_at.isoformat(),
        "withdrawn_at": candidate.withdrawn_at.isoformat() if candidate.withdrawn_at else None,
        "withdrawn_reason": candidate.withdrawn_reason,
    }


# ---------------------------------------------------------------- the voter roll (选民名单)


def record_voter_roll(
    actor: Actor, item: AgendaItem, *, published_on: date, where: str | None = None
) -> VoterRollPublication:
    """Record that the election's voter roll was published (usually on the notice board) on
    `published_on` — today or earlier, never later."""
    _election(actor, item)
    community = db.session.get(Community, item.meeting.community_id)
    assert community is not None
    if published_on > local_date(community, clock.now()):
        raise Invalid(
            "a publication is recorded once it has happened",
            details={"published_on": "today or earlier"},
        )
    place = (where or "").strip() or None
    if place is not None and len(place) > MAX_NOTE:
        raise Invalid("the place is too long", details={"where": f"at most {MAX_NOTE}"})
    row = VoterRollPublication(
        agenda_item_id=item.id,
        published_on=published_on,
        where=place,
        recorded_at=clock.now(),
        recorded_by=actor.user_id,
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "meetings:voter_roll:publish",
        "agenda_item",
        item.id,
        community_id=community.id,
        payload={"published_on": published_on.isoformat(), "where": place},
    )
    return row


def voter_roll_standing(item: AgendaItem) -> dict[str, Any] | None:
    """Whether the voter roll was published early enough for the election (URC25-09, VC25-05:
    at least 20 days before election day, counted in whole days); None when the rule set asks
    nothing (or the item is not an election)."""
    if item.decision_type != DecisionType.ELECTION:
        return None
    meeting = item.meeting
    period = decision_rule(meeting, DecisionType.ELECTION).voter_roll
    if period is None:
        return None
    community = db.session.get(Community, meeting.community_id)
    assert community is not None
    first = db.session.execute(
        select(func.min(VoterRollPublication.published_on)).where(
            VoterRollPublication.agenda_item_id == item.id
        )
    ).scalar_one()
    election_day = local_date(community, meeting.starts_at)
    days = (election_day - first).days if first is not None else None
    return {
        "published_on": first.isoformat() if first is not None else None,
        "days_before": days,
        "required": period.days,
        "ok": days is not None and days >= period.days,
        "rule": {"id": period.citation.rule_id, "citation": period.citation.zh},
    }
