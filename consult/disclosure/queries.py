"""Residents' queries and objections on published disclosures (质询/异议; URC25-33, VC25-28),
the committee's answers within the community's deadline (DSP-05, policy), and the supervisory
committee's escalation of overdue ones.

The exchange is public; who filed a query is not (staff and supervisors only).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from consult import clock
from consult.accounts.policy import can, require
from consult.actor import Actor
from consult.audit.service import record
from consult.errors import Conflict, Invalid, NotAllowed, NotFound
from consult.extensions import db
from consult.registry.models import Community
from consult.rules import disclosure as rules

from .models import Disclosure, DisclosureQuery, DisclosureState, QueryKind
from .service import community_policy
from .state import local_today

MAX_TEXT = 4000


def _text(value: str, name: str = "text") -> str:
    value = value.strip()
    if not value:
        raise Invalid(f"the {name} is required", details={name: "required"})
    if len(value) > MAX_TEXT:
        raise Invalid(f"the {name} is too long", details={name: f"at most {MAX_TEXT} characters"})
    return value


def file_query(
    actor: Actor, disclosure: Disclosure, text: str, kind: str = "query"
) -> DisclosureQuery:
    """A verified resident of the community queries or objects to a published disclosure."""
    if actor.resident_id is None:
        raise NotAllowed(
            "only a verified resident of this community files a query", code="not_resident"
        )
    require(actor, "disclosure:query:file", disclosure.community_id)
    try:
        parsed = QueryKind(kind)
    except ValueError:
        raise Invalid("a query or an objection", details={"kind": "query or objection"}) from None
    text = _text(text)
    if disclosure.disclosure_state is not DisclosureState.PUBLISHED:
        raise Conflict(
            "queries are filed on the published version of a disclosure",
            details={"state": disclosure.state},
            code="not_published",
        )
    community = db.session.get(Community, disclosure.community_id)
    assert community is not None
    filed_on = local_today(community)
    found = DisclosureQuery(
        disclosure_id=disclosure.id,
        community_id=disclosure.community_id,
        kind=parsed.value,
        text=text,
        filed_by=actor.user_id,
        resident_id=actor.resident_id,
        filed_at=clock.now(),
        due_on=rules.answer_due(filed_on, community_policy(community).answer_days),
    )
    db.session.add(found)
    db.session.flush()
    # The audit entry names the query, not the text or the filer's name: the log is published.
    record(
        actor,
        "disclosure:query:file",
        "disclosure_query",
        found.id,
        community_id=disclosure.community_id,
        payload={"disclosure_id": disclosure.id, "kind": parsed.value, "due_on": str(found.due_on)},
    )
    return found


def get_query(actor: Actor, query_id: int) -> DisclosureQuery:
    found = db.session.get(DisclosureQuery, query_id)
    if found is None:
        raise NotFound("no such query")
    return found


def _lock(found: DisclosureQuery) -> DisclosureQuery:
    db.session.execute(
        select(DisclosureQuery.id).where(DisclosureQuery.id == found.id).with_for_update()
    ).all()
    db.session.refresh(found)
    return found


def answer_query(actor: Actor, found: DisclosureQuery, text: str) -> DisclosureQuery:
    """The committee's answer, given once. A query on a version that a correction has since
    superseded is not answered there: the correction is the answer's place (409)."""
    require(actor, "disclosure:query:answer", found.community_id)
    text = _text(text, "answer")
    _lock(found)
    if found.answered_at is not None:
        raise Conflict("this query has been answered", code="already_answered")
    disclosure = db.session.get(Disclosure, found.disclosure_id)
    assert disclosure is not None
    if disclosure.disclosure_state is DisclosureState.SUPERSEDED:
        raise Conflict(
            "this disclosure was superseded by a correction: the query was carried to the "
            "correction, answer it there",
            details={
                "state": disclosure.state,
                "carried_to": getattr(carried_to(found), "id", None),
            },
            code="superseded",
        )
    found.answer = text
    found.answered_at = clock.now()
    found.answered_by = actor.user_id
    db.session.flush()
    record(
        actor,
        "disclosure:query:answer",
        "disclosure_query",
        found.id,
        community_id=found.community_id,
        payload={"disclosure_id": found.disclosure_id, "late": is_late(found)},
    )
    return found


def escalate_query(actor: Actor, found: DisclosureQuery, note: str) -> DisclosureQuery:
    """The supervisory committee takes up a query (overdue, or answered badly), recording why."""
    require(actor, "disclosure:query:escalate", found.community_id)
    note = _text(note, "note")
    _lock(found)
    if found.escalated_at is not None:
        raise Conflict("this query has been escalated already", code="already_escalated")
    found.escalated_at = clock.now()
    found.escalated_by = actor.user_id
    found.escalation_note = note
    db.session.flush()
    record(
        actor,
        "disclosure:query:escalate",
        "disclosure_query",
        found.id,
        community_id=found.community_id,
        payload={"disclosure_id": found.disclosure_id, "note": note},
    )
    return found


def _community(found: DisclosureQuery) -> Community:
    community = db.session.get(Community, found.community_id)
    assert community is not None
    return community


def answer_status(found: DisclosureQuery) -> rules.DueStatus:
    community = _community(found)
    zone = ZoneInfo(community.timezone)
    filed_on = found.filed_at.astimezone(zone).date()
    answered_on = found.answered_at.astimezone(zone).date() if found.answered_at else None
    today = local_today(community)
    days = (found.due_on - filed_on).days
    return rules.answer_status(
        filed_on, answered_on, today, policy_days=max(1, min(days, rules.MAX_ANSWER_DAYS))
    )


def is_late(found: DisclosureQuery) -> bool:
    return answer_status(found).state in (rules.DueState.OVERDUE, rules.DueState.LATE)


def queries_on(disclosure: Disclosure) -> list[DisclosureQuery]:
    return list(
        db.session.execute(
            select(DisclosureQuery)
            .where(DisclosureQuery.disclosure_id == disclosure.id)
            .order_by(DisclosureQuery.id)
        ).scalars()
    )


def open_queries(community: Community) -> list[DisclosureQuery]:
    """Unanswered queries, the oldest deadline first (the dashboard flags the overdue ones).
    A query on a superseded version is not listed: it was carried to the correction."""
    return list(
        db.session.execute(
            select(DisclosureQuery)
            .join(Disclosure, Disclosure.id == DisclosureQuery.disclosure_id)
            .where(
                DisclosureQuery.community_id == community.id,
                DisclosureQuery.answered_at.is_(None),
                Disclosure.state != DisclosureState.SUPERSEDED.value,
            )
            .order_by(DisclosureQuery.due_on, DisclosureQuery.id)
        ).scalars()
    )


def carry_open_queries(actor: Actor, previous: Disclosure, correction: Disclosure) -> int:
    """When a correction is published, the queries left unanswered on the version it
    supersedes move to it: a new row each, pointing at the old one, with the same text, filing
    time and deadline (a correction does not buy the committee more time)."""
    carried = 0
    for old in queries_on(previous):
        if old.answered_at is not None:
            continue
        db.session.add(
            DisclosureQuery(
                disclosure_id=correction.id,
                community_id=old.community_id,
                kind=old.kind,
                text=old.text,
                filed_by=old.filed_by,
                resident_id=old.resident_id,
                filed_at=old.filed_at,
                due_on=old.due_on,
                escalated_at=old.escalated_at,
                escalated_by=old.escalated_by,
                escalation_note=old.escalation_note,
                carried_from_id=old.id,
            )
        )
        carried += 1
    if carried:
        db.session.flush()
        record(
            actor,
            "disclosure:query:carry",
            "disclosure",
            correction.id,
            community_id=correction.community_id,
            payload={"from": previous.id, "queries": carried},
        )
    return carried


def carried_to(found: DisclosureQuery) -> DisclosureQuery | None:
    """The row a query was carried to, when a correction superseded its version."""
    return db.session.execute(
        select(DisclosureQuery).where(DisclosureQuery.carried_from_id == found.id)
    ).scalar_one_or_none()


def query_json(actor: Actor, found: DisclosureQuery) -> dict[str, Any]:
    status = answer_status(found)
    data: dict[str, Any] = {
        "id": found.id,
        "disclosure_id": found.disclosure_id,
        "kind": found.kind,
        "text": found.text,
        "filed_at": found.filed_at.isoformat(),
        "due_on": found.due_on.isoformat(),
        "answer": found.answer,
        "answered_at": found.answered_at.isoformat() if found.answered_at else None,
        "escalated_at": found.escalated_at.isoformat() if found.escalated_at else None,
        "escalation_note": found.escalation_note,
        "carried_from_id": found.carried_from_id,
        "status": status.as_dict(),
    }
    if can(actor, "disclosure:query:filer", found.community_id):
        data["resident_id"] = found.resident_id
    return data
