"""Meeting use cases: bodies, meetings from notice to adjournment, agenda, attendance, quorum.

Every number comes from the rule set in force on the meeting's date in the community's zone
(`consult.rules.rulesets.rule_set_in_force`): notice periods, quorum, proxies, Party-organization
review and the supervisory committee's invitation. Each state change checks the policy, changes
state, records one audit entry named like its permission, and flushes. Nothing here commits.

A meeting's row is locked (SELECT ... FOR UPDATE) by every change to it or its attendance:
sign-ins at several desks then queue per meeting, so the proxy cap and the audit sequence are
never raced (SQLite serialises writers anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from consult import clock
from consult.accounts.policy import can, require
from consult.actor import Actor
from consult.audit.service import record
from consult.errors import Conflict, Invalid, NotFound
from consult.extensions import db
from consult.meetings.candidate_models import Candidate
from consult.meetings.charter import with_charter
from consult.meetings.models import (
    NAMED_MEMBERS,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    AttendanceVersion,
    Body,
    Invitation,
    Meeting,
    MeetingState,
    Membership,
)
from consult.registry.models import Community, Resident, ResidentGroup
from consult.rules.composition import CompositionWarning, Seat, check_composition
from consult.rules.eligibility import CommunityKind, Registration, eligibility
from consult.rules.errors import RulesError
from consult.rules.model import (
    BodyKind,
    DecisionRule,
    DecisionType,
    GateKind,
    Mode,
    Notice,
    ProxyHolder,
    ProxyRule,
    RuleSet,
    RuleSetKind,
)
from consult.rules.quorum import Counts, QuorumStatus, quorum_status
from consult.rules.rulesets import all_rule_sets, get_rule_set, rule_set_in_force

MAX_TITLE = 200
MAX_TEXT = 2000

# ---------------------------------------------------------------- rule sets


def local_date(community: Community, at: datetime) -> date:
    """The date of `at` where the community is: a meeting is judged by the rules of that day."""
    return at.astimezone(ZoneInfo(community.timezone)).date()


def rule_set_kind(community: Community, kind: BodyKind) -> RuleSetKind:
    """The statute a body answers to: a village's members' meeting is the collective's
    (农村集体经济组织法, VC25-18); everything else follows the community's organic law."""
    if kind is BodyKind.MEMBERS_MEETING and community.kind == CommunityKind.VILLAGE:
        return RuleSetKind.COLLECTIVE
    return RuleSetKind(community.kind)


def rules_on(community: Community, kind: BodyKind, on: date) -> RuleSet:
    """The rule set in force on `on` for a body of `kind`, tightened by the community's charter
    in force that day (consult.meetings.charter); 422 before the earliest text."""
    try:
        statute = rule_set_in_force(rule_set_kind(community, kind), on)
    except RulesError as exc:
        raise Invalid(str(exc), details={"starts_at": str(exc)}) from None
    return with_charter(statute, community, on)


def _rule(
    rules: RuleSet, body: Body, decision_type: DecisionType | str, where: str
) -> DecisionRule:
    try:
        rule = rules.rule_for(body.body_kind, decision_type)
        rule.quorum_for(body.body_mode)  # NotAvailable for a mode this rule set does not know
    except RulesError as exc:
        raise Invalid(str(exc), details={where: str(exc)}) from None
    return rule


def meeting_rules(meeting: Meeting) -> RuleSet:
    """The meeting's statutory rule set with the charter in force on the meeting's date."""
    community = _community(meeting.community_id)
    on = local_date(community, meeting.starts_at)
    return with_charter(get_rule_set(meeting.rule_set_id), community, on)


def decision_rule(
    meeting: Meeting, decision_type: DecisionType | str = DecisionType.ORDINARY
) -> DecisionRule:
    """The rule `meeting` decides `decision_type` by (422 if its rule set has none)."""
    return _rule(meeting_rules(meeting), meeting.body, decision_type, "decision_type")


# ---------------------------------------------------------------- small checks


def _text(
    details: dict[str, str], name: str, value: str | None, *, required: bool, limit: int
) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            details[name] = "required"
        return None
    if len(text) > limit:
        details[name] = f"at most {limit} characters"
        return None
    return text


def lock_meeting(meeting: Meeting) -> None:
    """Take the meeting's row lock (and re-read it): changes to one meeting queue up."""
    db.session.refresh(meeting, with_for_update=True)


_SHARE_LOCKED = "consult.meetings.share_locked_in"


def _innermost_transaction() -> object:
    # A savepoint rolled back releases the row locks taken inside it: a lock counts only in the
    # (sub)transaction that took it.
    session = db.session()
    return session.get_nested_transaction() or session.get_transaction()


def _mark_share_locked(meeting: Meeting) -> None:
    inspect(meeting).info[_SHARE_LOCKED] = _innermost_transaction()


def _share_lock(meeting: Meeting) -> None:
    """Take the meeting's shared row lock (and re-read it), unless this transaction has already
    read it under that lock (get_meeting(for_share=True)): once per transaction is enough."""
    held_in = inspect(meeting).info.get(_SHARE_LOCKED)
    if held_in is None or held_in is not _innermost_transaction():
        db.session.refresh(meeting, with_for_update={"read": True})
        _mark_share_locked(meeting)


def _now(at: datetime | None) -> datetime:
    if at is None:
        return clock.now()
    if at.tzinfo is None:
        raise Invalid("times must carry a time zone", details={"at": "naive datetime"})
    return at


# ---------------------------------------------------------------- bodies


@dataclass(frozen=True)
class BodyResult:
    body: Body
    warnings: tuple[CompositionWarning, ...] = ()


def _kind_exists(community: Community, kind: BodyKind) -> bool:
    wanted = rule_set_kind(community, kind)
    return any(rs.kind is wanted and kind in rs.bodies for rs in all_rule_sets())


def body_kinds(community: Community) -> list[BodyKind]:
    """The kinds of body some rule set provides for this community (a villagers' group meeting
    exists only in a village, for instance), in the order BodyKind lists them."""
    return [kind for kind in BodyKind if _kind_exists(community, kind)]


def _committee_member_ids(community: Community, on: date) -> set[int]:
    rows = db.session.execute(
        select(Membership.resident_id)
        .join(Body, Body.id == Membership.body_id)
        .where(
            Body.community_id == community.id,
            Body.kind == BodyKind.COMMITTEE,
            Membership.start_date <= on,
            (Membership.end_date.is_(None)) | (Membership.end_date >= on),
        )
    ).scalars()
    return set(rows)


def composition_warnings(
    community: Community, kind: BodyKind, residents: Sequence[Resident], on: date
) -> tuple[CompositionWarning, ...]:
    """URC25-24, VC25-19, URC25-35, VC25-30, URC25-02, VC25-01 as warnings (see
    consult.rules.composition). Committee membership is read from the community's committee
    bodies; close relatives are approximated by the same household."""
    committee = _committee_member_ids(community, on)
    if kind is BodyKind.COMMITTEE:
        committee |= {r.id for r in residents}
    committee_households: set[int] = set()
    if committee:
        committee_households = set(
            db.session.execute(
                select(Resident.household_id).where(Resident.id.in_(committee))
            ).scalars()
        )
    seats = [
        Seat(r.id, r.gender, r.household_id, is_committee_member=r.id in committee)
        for r in residents
    ]
    return check_composition(community.kind, kind, seats, committee_households)


def create_body(
    actor: Actor,
    community: Community,
    *,
    kind: str,
    name: str,
    mode: str | None = None,
    members: Sequence[int] | None = None,
    group: str | None = None,
    term_start: date | None = None,
    term_end: date | None = None,
) -> BodyResult:
    """A body of the community. Councils and committees name their members for a term;
    residents' and group meetings take theirs from the register. Composition problems that the
    statutes name come back as warnings and go into the audit entry."""
    require(actor, "meetings:bodies:create", community.id)
    details: dict[str, str] = {}
    clean_name = _text(details, "name", name, required=True, limit=MAX_TITLE)
    body_kind: BodyKind | None = None
    try:
        body_kind = BodyKind(kind)
    except ValueError:
        details["kind"] = "one of " + ", ".join(k.value for k in BodyKind)
    body_mode: Mode | None = None
    group_row: ResidentGroup | None = None
    today = local_date(community, clock.now())
    start = term_start or today
    if term_end is not None and term_end < start:
        details["term_end"] = "on or after the start of the term"
    if body_kind is not None:
        if not _kind_exists(community, body_kind):
            details["kind"] = (
                f"a {community.kind} community has no {body_kind.value} under any rule set"
            )
        assembly = body_kind in (BodyKind.RESIDENTS_MEETING, BodyKind.GROUP_MEETING)
        if assembly:
            try:
                body_mode = Mode(mode or Mode.ALL_ADULTS)
            except ValueError:
                details["mode"] = "all_adults or households (group_representatives: urban-1990)"
            if body_mode is Mode.GROUP_REPRESENTATIVES and (
                body_kind is not BodyKind.RESIDENTS_MEETING or community.kind != CommunityKind.URBAN
            ):
                details["mode"] = "group_representatives exists only under urban-1990 (URC18-04)"
        elif mode is not None:
            details["mode"] = (
                "only residents' or villagers' meetings and group meetings have a mode"
            )
        if body_kind is BodyKind.GROUP_MEETING:
            group_row = db.session.execute(
                select(ResidentGroup).where(
                    ResidentGroup.community_id == community.id, ResidentGroup.code == (group or "")
                )
            ).scalar_one_or_none()
            if group_row is None:
                details["group"] = "the code of one of the community's villagers' groups"
        named = body_kind in NAMED_MEMBERS or body_mode is Mode.GROUP_REPRESENTATIVES
        if named and not members:
            details["members"] = "required: the resident ids of the members"
        if not named and members:
            details["members"] = "computed from the register for this kind of body"
    residents: list[Resident] = []
    if members:
        ids = list(members)
        if len(set(ids)) != len(ids):
            details["members"] = "a resident is listed twice"
        found = {
            r.id: r
            for r in db.session.execute(
                select(Resident).where(Resident.id.in_(ids), Resident.community_id == community.id)
            ).scalars()
        }
        missing = [i for i in ids if i not in found]
        if missing:
            details["members"] = "not residents of this community: " + ", ".join(
                str(i) for i in missing[:20]
            )
        residents = [found[i] for i in dict.fromkeys(ids) if i in found]
    if details:
        raise Invalid("the body is not valid", details=details)
    assert body_kind is not None
    assert clean_name is not None
    body = Body(
        community_id=community.id,
        kind=body_kind.value,
        name=clean_name,
        mode=body_mode.value if body_mode else None,
        group_id=group_row.id if group_row else None,
        created_at=clock.now(),
        created_by=actor.user_id,
    )
    db.session.add(body)
    db.session.flush()
    for resident in residents:
        db.session.add(
            Membership(
                body_id=body.id,
                resident_id=resident.id,
                start_date=start,
                end_date=term_end,
                created_at=clock.now(),
            )
        )
    warnings = composition_warnings(community, body_kind, residents, start) if residents else ()
    db.session.flush()
    record(
        actor,
        "meetings:bodies:create",
        "body",
        body.id,
        community_id=community.id,
        payload={
            "kind": body.kind,
            "name": body.name,
            "mode": body.mode,
            "group": group_row.code if group_row else None,
            "members": [r.id for r in residents],
            "term": {"start": start.isoformat(), "end": term_end.isoformat() if term_end else None},
            "warnings": [w.as_dict() for w in warnings],
        },
    )
    return BodyResult(body, warnings)


def list_bodies(community: Community) -> list[Body]:
    """The community's bodies (public: their names and kinds are no secret)."""
    return list(
        db.session.execute(
            select(Body).where(Body.community_id == community.id).order_by(Body.id)
        ).scalars()
    )


def get_body(community: Community, body_id: int) -> Body:
    body = db.session.get(Body, body_id)
    if body is None or body.community_id != community.id:
        raise NotFound("no such body in this community")
    return body


def body_detail(actor: Actor, body: Body, on: date | None = None) -> dict[str, Any]:
    """A body with its current members and composition warnings (committee and supervisors)."""
    require(actor, "meetings:bodies:read", body.community_id)
    community = _community(body.community_id)
    day = on or local_date(community, clock.now())
    memberships = list(
        db.session.execute(
            select(Membership)
            .where(Membership.body_id == body.id)
            .order_by(Membership.start_date, Membership.id)
        ).scalars()
    )
    current = [m for m in memberships if m.is_current(day)]
    residents = _residents([m.resident_id for m in current])
    warnings = (
        composition_warnings(community, body.body_kind, list(residents.values()), day)
        if current
        else ()
    )
    roll = _roll(body, community, day)
    return {
        **body_json(body),
        "members_count": roll.members,
        "households_count": roll.households,
        "memberships": [
            {
                "resident_id": m.resident_id,
                "name": residents[m.resident_id].name if m.resident_id in residents else None,
                "start_date": m.start_date.isoformat(),
                "end_date": m.end_date.isoformat() if m.end_date else None,
                "current": m.is_current(day),
            }
            for m in memberships
        ],
        "warnings": [w.as_dict() for w in warnings],
    }


def body_json(body: Body) -> dict[str, Any]:
    return {"id": body.id, "kind": body.kind, "name": body.name, "mode": body.mode}


def _community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    assert community is not None
    return community


def _residents(ids: Iterable[int]) -> dict[int, Resident]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = db.session.execute(select(Resident).where(Resident.id.in_(wanted))).scalars()
    return {r.id: r for r in rows}


# ---------------------------------------------------------------- who the members are


@dataclass(frozen=True)
class Roll:
    """The size of a meeting's membership on its date: persons, and households in household
    mode (URC25-23, VC25-14: the household alternative)."""

    members: int
    households: int | None = None


def is_eligible(community: Community, on: date, row: Any) -> bool:
    """URC25-08 / VC25-04, computed from the register (consult.rules.eligibility)."""
    return eligibility(
        kind=community.community_kind,
        birth_date=row.birth_date,
        on=on,
        is_deprived_of_political_rights=row.is_deprived_of_political_rights,
        registration=Registration(row.registration),
        registered_since=row.registered_since,
    ).eligible


def _register_rows(body: Body, community: Community) -> Any:
    query = select(
        Resident.id,
        Resident.household_id,
        Resident.birth_date,
        Resident.registration,
        Resident.registered_since,
        Resident.is_deprived_of_political_rights,
    ).where(Resident.community_id == community.id)
    if body.group_id is not None:
        query = query.where(Resident.group_id == body.group_id)
    return db.session.execute(query)


def _roll(body: Body, community: Community, on: date) -> Roll:
    if body.has_named_members:
        count = db.session.execute(
            select(func.count(Membership.id)).where(
                Membership.body_id == body.id,
                Membership.start_date <= on,
                (Membership.end_date.is_(None)) | (Membership.end_date >= on),
            )
        ).scalar_one()
        return Roll(int(count))
    persons = 0
    households: set[int] = set()
    for row in _register_rows(body, community):
        if is_eligible(community, on, row):
            persons += 1
            households.add(row.household_id)
    if body.body_mode is Mode.HOUSEHOLDS:
        # A household counts when one of its members could attend for it (an adult voter).
        return Roll(persons, len(households))
    return Roll(persons)


def members_of(body: Body, community: Community, on: date) -> list[tuple[int, int]]:
    """(resident id, household id) of every member of `body` on `on`: the current seats of a
    named body, otherwise the community's (or group's) eligible adults (URC25-08, VC25-04)."""
    if body.has_named_members:
        rows = db.session.execute(
            select(Resident.id, Resident.household_id)
            .join(Membership, Membership.resident_id == Resident.id)
            .where(
                Membership.body_id == body.id,
                Membership.start_date <= on,
                (Membership.end_date.is_(None)) | (Membership.end_date >= on),
            )
        ).all()
        return sorted({(r[0], r[1]) for r in rows})
    return [
        (row.id, row.household_id)
        for row in _register_rows(body, community)
        if is_eligible(community, on, row)
    ]


def body_decision_rule(
    body: Body, community: Community, on: date, decision_type: DecisionType | str
) -> DecisionRule:
    """The rule a decision of `body` taken on `on` (outside a meeting) answers to, with the
    charter in force that day (422 if the rule set has none)."""
    return _rule(rules_on(community, body.body_kind, on), body, decision_type, "decision_type")


def body_roll(body: Body, community: Community, on: date) -> Roll:
    return _roll(body, community, on)


def is_member(body: Body, community: Community, resident: Resident, on: date) -> bool:
    """Whether `resident` belongs to `body` on `on`: a current membership for named bodies,
    otherwise an eligible adult of the community (of the group, for a group meeting)."""
    if resident.community_id != community.id:
        return False
    if body.has_named_members:
        found = db.session.execute(
            select(Membership.id).where(
                Membership.body_id == body.id,
                Membership.resident_id == resident.id,
                Membership.start_date <= on,
                (Membership.end_date.is_(None)) | (Membership.end_date >= on),
            )
        ).first()
        return found is not None
    if body.group_id is not None and resident.group_id != body.group_id:
        return False
    return is_eligible(community, on, resident)


# ---------------------------------------------------------------- meetings


@dataclass(frozen=True)
class NewItem:
    title: str
    decision_type: str


def longest_notice(rules: RuleSet, body: Body, decision_types: Iterable[str]) -> Notice | None:
    """The longest notice any item's rule asks for (URC25-22, VC25-13, COL-04: 10 days)."""
    notices = [
        rules.rule_for(body.body_kind, d).notice
        for d in sorted({DecisionType.ORDINARY.value, *decision_types})
    ]
    found = [n for n in notices if n is not None]
    return max(found, key=lambda n: n.days) if found else None


def _notice_days(rules: RuleSet, body: Body, decision_types: Iterable[str]) -> int | None:
    notice = longest_notice(rules, body, decision_types)
    return notice.days if notice else None


def create_meeting(
    actor: Actor,
    community: Community,
    *,
    body_id: int,
    title: str,
    starts_at: datetime,
    location: str | None = None,
    agenda: Sequence[NewItem] = (),
    short_notice_reason: str | None = None,
) -> Meeting:
    """A draft meeting of a body, judged by the rule set in force on its date; every agenda
    item's decision type must exist for that body under that rule set (else 422)."""
    require(actor, "meetings:meeting:create", community.id)
    details: dict[str, str] = {}
    body = db.session.get(Body, body_id)
    if body is None or body.community_id != community.id:
        raise Invalid("the meeting is not valid", details={"body_id": "no such body here"})
    clean_title = _text(details, "title", title, required=True, limit=MAX_TITLE)
    clean_location = _text(details, "location", location, required=False, limit=MAX_TITLE)
    reason = _text(
        details, "short_notice_reason", short_notice_reason, required=False, limit=MAX_TEXT
    )
    if starts_at.tzinfo is None:
        raise Invalid("the meeting is not valid", details={"starts_at": "needs a time zone"})
    rules = rules_on(community, body.body_kind, local_date(community, starts_at))
    _rule(rules, body, DecisionType.ORDINARY, "body_id")
    for i, item in enumerate(agenda):
        _text(details, f"agenda[{i}].title", item.title, required=True, limit=MAX_TITLE)
        try:
            _rule(rules, body, item.decision_type, f"agenda[{i}].decision_type")
        except Invalid as exc:
            details.update(exc.details or {})
    if details:
        raise Invalid("the meeting is not valid", details=details)
    meeting = Meeting(
        community_id=community.id,
        body_id=body.id,
        title=clean_title,
        location=clean_location or "",
        starts_at=starts_at,
        state=MeetingState.DRAFT,
        rule_set_id=rules.statute_id or rules.id,  # the statute; the charter is looked up
        short_notice_reason=reason,
        is_short_notice=False,
        notice_days_required=_notice_days(rules, body, (i.decision_type for i in agenda)),
        created_at=clock.now(),
        created_by=actor.user_id,
    )
    db.session.add(meeting)
    db.session.flush()
    items = [
        AgendaItem(
            meeting_id=meeting.id,
            position=n,
            title=item.title.strip(),
            decision_type=DecisionType(item.decision_type).value,
            is_urgent=False,
            created_at=clock.now(),
            created_by=actor.user_id,
        )
        for n, item in enumerate(agenda, start=1)
    ]
    db.session.add_all(items)
    db.session.flush()
    record(
        actor,
        "meetings:meeting:create",
        "meeting",
        meeting.id,
        community_id=community.id,
        payload={
            "body_id": body.id,
            "title": meeting.title,
            "starts_at": starts_at.isoformat(),
            "location": meeting.location,
            "rule_set": rules.id,
            "notice_days_required": meeting.notice_days_required,
            "short_notice_reason": reason,
            "agenda": [
                {"id": i.id, "title": i.title, "decision_type": i.decision_type} for i in items
            ],
        },
    )
    return meeting


def get_meeting(actor: Actor, meeting_id: int, *, for_share: bool = False) -> Meeting:
    """A meeting the actor may see: noticed meetings are public, drafts are the committee's.
    `for_share`: read it under the shared row lock sign-ins take (_share_lock), in one query."""
    if for_share:
        meeting = db.session.get(
            Meeting, meeting_id, with_for_update={"read": True}, populate_existing=True
        )
        if meeting is not None:
            _mark_share_locked(meeting)
    else:
        meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("no such meeting")
    if not meeting.is_public and not can(actor, "meetings:meeting:read", meeting.community_id):
        raise NotFound("no such meeting")
    return meeting


def get_agenda_item(actor: Actor, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("no such agenda item")
    get_meeting(actor, item.meeting_id)
    return item


#: For the edge's permission gate: the id of the community an object belongs to, as a scalar
#: subquery on the bound parameter `object_id`. Built once: the gate runs on every request.
COMMUNITY_ID_OF_MEETING = (
    select(Meeting.community_id).where(Meeting.id == bindparam("object_id")).scalar_subquery()
)
COMMUNITY_ID_OF_AGENDA_ITEM = (
    select(Meeting.community_id)
    .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
    .where(AgendaItem.id == bindparam("object_id"))
    .scalar_subquery()
)
COMMUNITY_ID_OF_BODY = (
    select(Body.community_id).where(Body.id == bindparam("object_id")).scalar_subquery()
)


def add_agenda_item(
    actor: Actor,
    meeting: Meeting,
    *,
    title: str,
    decision_type: str,
    urgent_decision: str | None = None,
) -> AgendaItem:
    """Add an item to a draft agenda; once noticed the agenda is frozen (409), and in session
    only an urgent item with the recorded decision that admits it (`urgent_decision`) gets in."""
    require(actor, "meetings:agenda:edit", meeting.community_id)
    lock_meeting(meeting)
    meeting.require_not_adjourned("change the agenda")
    details: dict[str, str] = {}
    clean_title = _text(details, "title", title, required=True, limit=MAX_TITLE)
    decision = _text(details, "urgent_decision", urgent_decision, required=False, limit=MAX_TEXT)
    state = meeting.meeting_state
    if state is MeetingState.NOTICED or (state is MeetingState.IN_SESSION and not decision):
        raise Conflict(
            "the agenda is frozen at notice; in session an urgent item needs the recorded "
            "decision that admits it (urgent_decision)",
            details={"state": meeting.state},
            code="agenda_frozen",
        )
    if state is MeetingState.DRAFT and decision:
        details["urgent_decision"] = "only for an urgent item added in session"
    try:
        _rule(meeting_rules(meeting), meeting.body, decision_type, "decision_type")
    except Invalid as exc:
        details.update(exc.details or {})
    if details:
        raise Invalid("the agenda item is not valid", details=details)
    assert clean_title is not None
    last = db.session.execute(
        select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
    ).scalar_one()
    item = AgendaItem(
        meeting_id=meeting.id,
        position=(last or 0) + 1,
        title=clean_title,
        decision_type=DecisionType(decision_type).value,
        is_urgent=state is MeetingState.IN_SESSION,
        urgent_decision=decision if state is MeetingState.IN_SESSION else None,
        created_at=clock.now(),
        created_by=actor.user_id,
    )
    db.session.add(item)
    if state is MeetingState.DRAFT:
        types = [i.decision_type for i in meeting.agenda] + [item.decision_type]
        meeting.notice_days_required = _notice_days(meeting_rules(meeting), meeting.body, types)
    db.session.flush()
    record(
        actor,
        "meetings:agenda:edit",
        "agenda_item",
        item.id,
        community_id=meeting.community_id,
        payload={
            "meeting_id": meeting.id,
            "position": item.position,
            "title": item.title,
            "decision_type": item.decision_type,
            "urgent": item.is_urgent,
            "urgent_decision": item.urgent_decision,
        },
    )
    return item


@dataclass(frozen=True)
class NoticeCheck:
    """Whether a notice given at `given_on` is long enough for a meeting on `meeting_on`."""

    days_required: int | None
    given_on: date
    meeting_on: date
    earliest_meeting_on: date | None

    @property
    def is_short(self) -> bool:
        return self.earliest_meeting_on is not None and self.meeting_on < self.earliest_meeting_on


def notice_check(meeting: Meeting, community: Community, at: datetime) -> NoticeCheck:
    """SEM-3: a period of N days starts the next day, so notice on day D allows a meeting on
    D + N at the earliest ("提前十日通知": URC25-22, VC25-13, COL-04). Holidays only move a
    deadline's last day, not a notice's first, so they play no part here."""
    days = meeting.notice_days_required
    given = local_date(community, at)
    earliest = given + timedelta(days=days) if days else None
    return NoticeCheck(days, given, local_date(community, meeting.starts_at), earliest)


def _supervisory_gate(meeting: Meeting) -> DecisionRule | None:
    rules = meeting_rules(meeting)
    types = {DecisionType.ORDINARY.value, *(i.decision_type for i in meeting.agenda)}
    for dtype in sorted(types):
        rule = rules.rule_for(meeting.body.body_kind, dtype)
        if rule.supervisory_invited:
            return rule
    return None


def notice_meeting(actor: Actor, meeting: Meeting, *, at: datetime | None = None) -> Meeting:
    """Publish the notice: the statutory period must be kept unless a short-notice reason was
    recorded (and the statute allows short notice); the agenda is frozen from now on; the
    supervisory committee is invited where the statute gives it the right to attend."""
    require(actor, "meetings:meeting:notice", meeting.community_id)
    now = _now(at)
    lock_meeting(meeting)
    meeting.require_draft("give notice")
    community = _community(meeting.community_id)
    if not meeting.agenda:
        raise Invalid("a notice needs an agenda", details={"agenda": "at least one item"})
    if meeting.starts_at <= now:
        raise Conflict(
            "the meeting has already started; a notice must come before it",
            details={"starts_at": meeting.starts_at.isoformat()},
            code="too_late",
        )
    check = notice_check(meeting, community, now)
    notice_rule = longest_notice(
        meeting_rules(meeting), meeting.body, (i.decision_type for i in meeting.agenda)
    )
    if check.is_short:
        citation = notice_rule.citation if notice_rule and notice_rule.citation else None
        short_allowed = notice_rule is not None and notice_rule.short_notice_allowed
        why = {
            "notice_days_required": check.days_required,
            "earliest_start": check.earliest_meeting_on.isoformat()
            if check.earliest_meeting_on
            else None,
            "rule": {"id": citation.rule_id, "citation": citation.zh} if citation else None,
        }
        if not meeting.short_notice_reason:
            raise Conflict(
                f"the meeting starts sooner than the statutory {check.days_required} days' "
                "notice; record a short_notice_reason for a special case",
                details=why,
                code="notice_period",
            )
        if not short_allowed:
            raise Conflict(
                f"the statute allows no short notice for this meeting ({check.days_required} days)",
                details=why,
                code="notice_period",
            )
        meeting.is_short_notice = True
    meeting.notice(now)
    invitations: list[dict[str, Any]] = []
    warnings: list[str] = []
    gate_rule = _supervisory_gate(meeting)
    if gate_rule is not None:
        gate = gate_rule.gate(GateKind.SUPERVISORY_INVITED)
        assert gate is not None
        supervisory = db.session.execute(
            select(Body)
            .where(
                Body.community_id == meeting.community_id,
                Body.kind == BodyKind.SUPERVISORY_COUNCIL,
            )
            .order_by(Body.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if supervisory is None:
            warnings.append(
                f"{gate.citation.rule_id}: the supervisory committee has the right to attend, "
                "but the community has no supervisory committee recorded to invite"
            )
        else:
            db.session.add(
                Invitation(
                    meeting_id=meeting.id,
                    body_id=supervisory.id,
                    rule_id=gate.citation.rule_id,
                    invited_at=now,
                )
            )
            invitations.append({"body_id": supervisory.id, "rule": gate.citation.rule_id})
    db.session.flush()
    record(
        actor,
        "meetings:meeting:notice",
        "meeting",
        meeting.id,
        community_id=meeting.community_id,
        payload={
            "noticed_at": now.isoformat(),
            "starts_at": meeting.starts_at.isoformat(),
            "rule_set": meeting.rule_set_id,
            "notice_days_required": check.days_required,
            "short_notice": meeting.is_short_notice,
            "short_notice_reason": meeting.short_notice_reason if meeting.is_short_notice else None,
            "agenda": [
                {"id": i.id, "title": i.title, "decision_type": i.decision_type}
                for i in meeting.agenda
            ],
            "invitations": invitations,
            "warnings": warnings,
        },
    )
    return meeting


def open_meeting(actor: Actor, meeting: Meeting, *, at: datetime | None = None) -> Meeting:
    """Open the session, from 60 minutes before it starts so sign-in can begin at the door."""
    require(actor, "meetings:meeting:open", meeting.community_id)
    now = _now(at)
    lock_meeting(meeting)
    meeting.open(now)
    db.session.flush()
    record(
        actor,
        "meetings:meeting:open",
        "meeting",
        meeting.id,
        community_id=meeting.community_id,
        payload={"opened_at": now.isoformat()},
    )
    return meeting


#: Checks run before a meeting is adjourned, each raising Conflict to refuse: the domains above
#: meetings register theirs (consult.voting: no vote may be left open), so this module needs
#: no import of them.
ADJOURN_CHECKS: list[Callable[[Meeting], None]] = []


def adjourn_meeting(actor: Actor, meeting: Meeting, *, at: datetime | None = None) -> Meeting:
    """Close the session; from now on its attendance and agenda never change (409)."""
    require(actor, "meetings:meeting:adjourn", meeting.community_id)
    now = _now(at)
    lock_meeting(meeting)
    for check in ADJOURN_CHECKS:
        check(meeting)
    meeting.adjourn(now)
    db.session.flush()
    counts = attendance_counts(meeting)
    record(
        actor,
        "meetings:meeting:adjourn",
        "meeting",
        meeting.id,
        community_id=meeting.community_id,
        payload={"adjourned_at": now.isoformat(), "attendance": counts},
    )
    return meeting


# ---------------------------------------------------------------- Party-organization review


def record_party_review(
    actor: Actor,
    item: AgendaItem,
    *,
    reference: str,
    note: str | None = None,
    at: datetime | None = None,
) -> AgendaItem:
    """Record that the Party organization studied a major item before the vote (VC25-17,
    URC25-28, COL-03): its meeting or minute reference, once."""
    meeting = item.meeting
    require(actor, "meetings:agenda:party_review", meeting.community_id)
    now = _now(at)
    lock_meeting(meeting)
    meeting.require_not_adjourned("record a Party-organization review")
    rule = decision_rule(meeting, item.decision_type)
    if not rule.party_review_required:
        raise Conflict(
            f"a {item.decision_type} item of this body has no Party-organization review step "
            f"under {meeting.rule_set_id}",
            details={"decision_type": item.decision_type},
            code="no_review_gate",
        )
    details: dict[str, str] = {}
    clean_reference = _text(details, "reference", reference, required=True, limit=MAX_TITLE)
    clean_note = _text(details, "note", note, required=False, limit=MAX_TEXT)
    if details:
        raise Invalid("the review is not valid", details=details)
    assert clean_reference is not None
    item.record_party_review(now, clean_reference, clean_note, actor.user_id)
    db.session.flush()
    gate = rule.gate(GateKind.PARTY_REVIEW)
    assert gate is not None
    record(
        actor,
        "meetings:agenda:party_review",
        "agenda_item",
        item.id,
        community_id=meeting.community_id,
        payload={
            "meeting_id": meeting.id,
            "reviewed_at": now.isoformat(),
            "reference": clean_reference,
            "note": clean_note,
            "rule": gate.citation.rule_id,
        },
    )
    return item


@dataclass(frozen=True)
class VoteReadiness:
    ok: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)


def can_vote(item: AgendaItem) -> VoteReadiness:
    """Whether `item` may go to a vote now (the voting issue calls this before opening one):
    the meeting is in session, and a major item's Party-organization review is recorded."""
    meeting = item.meeting
    reasons: list[str] = []
    if meeting.meeting_state is not MeetingState.IN_SESSION:
        reasons.append(f"the meeting is {meeting.state}, not in session")
    rule = decision_rule(meeting, item.decision_type)
    if rule.party_review_required and not item.is_party_reviewed:
        gate = rule.gate(GateKind.PARTY_REVIEW)
        assert gate is not None
        reasons.append(
            f"{gate.citation.rule_id}: the Party organization must study this item before the "
            f"vote ({gate.citation.zh})"
        )
    if not rule.binding:
        reasons.append("a consultation records an opinion; it is not put to a binding vote")
    return VoteReadiness(not reasons, tuple(reasons))


# ---------------------------------------------------------------- attendance


def candidate_ids(meeting: Meeting) -> set[int]:
    """The residents standing (not withdrawn) in any election item of the meeting."""
    return set(
        db.session.execute(
            select(Candidate.resident_id)
            .join(AgendaItem, AgendaItem.id == Candidate.agenda_item_id)
            .where(AgendaItem.meeting_id == meeting.id, Candidate.withdrawn_at.is_(None))
        ).scalars()
    )


def published_proxies(meeting: Meeting) -> tuple[ProxyRule, list[tuple[str, str]]] | None:
    """For a meeting that holds an election: its proxies, principal and holder by name, which
    the election laws have published (URC25-14, VC25-09: 委托人和受委托人名单公布); None
    for a meeting without an election."""
    if not any(i.decision_type == DecisionType.ELECTION for i in meeting.agenda):
        return None
    rule = decision_rule(meeting, DecisionType.ELECTION).proxies
    holder = aliased(Resident)
    rows = db.session.execute(
        select(Resident.name, holder.name)
        .join(Attendance, Attendance.resident_id == Resident.id)
        .join(holder, holder.id == Attendance.proxy_holder_id)
        .where(
            Attendance.meeting_id == meeting.id,
            Attendance.status == AttendanceStatus.PROXY,
        )
        .order_by(holder.name, Resident.name)
    ).all()
    return rule, [(principal, by) for principal, by in rows]


def proxy_bar_on_candidates(meeting: Meeting) -> ProxyRule | None:
    """The election's proxy rule when it forbids candidates to hold proxies (URC25-14, VC25-09),
    or None when candidates may (or the meeting holds no election)."""
    if not any(i.decision_type == DecisionType.ELECTION for i in meeting.agenda):
        return None
    rule = decision_rule(meeting, DecisionType.ELECTION).proxies
    return None if rule.candidates_may_hold else rule


def _resident_of(community: Community, resident_id: int | None, name: str) -> Resident:
    resident = db.session.get(Resident, resident_id) if resident_id is not None else None
    if resident is None or resident.community_id != community.id:
        raise Invalid(
            "not a member of this meeting",
            details={name: "not a member of this meeting"},
            code="not_a_member",
        )
    return resident


def _attendance(
    meeting: Meeting, resident_id: int, *, for_update: bool = False
) -> Attendance | None:
    query = select(Attendance).where(
        Attendance.meeting_id == meeting.id, Attendance.resident_id == resident_id
    )
    if for_update:
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


def _check_proxy(
    meeting: Meeting,
    community: Community,
    principal: Resident,
    holder_id: int | None,
    on: date,
) -> Resident:
    """The statutory limits on proxies (委托): URC25-14, VC25-09, VC18-03, COL-05."""
    if holder_id is None:
        raise Invalid(
            "a proxy names its holder", details={"proxy_holder_id": "required for a proxy"}
        )
    rule = decision_rule(meeting).proxies
    cited = (
        {"rule": {"id": rule.citation.rule_id, "citation": rule.citation.zh}}
        if rule.citation
        else {}
    )
    if not rule.allowed:
        raise Conflict(
            "this meeting takes no proxies: its members attend in person",
            details=cited,
            code="proxy_not_allowed",
        )
    if holder_id == principal.id:
        raise Invalid("nobody holds their own proxy", details={"proxy_holder_id": "the same"})
    holder = _resident_of(community, holder_id, "proxy_holder_id")
    if not is_member(meeting.body, community, holder, on):
        raise Invalid(
            "the proxy holder is not a member of this meeting",
            details={"proxy_holder_id": "not a member of this meeting"},
            code="not_a_member",
        )
    # The holder's own row, locked: two proxies handed to one holder at two desks queue here,
    # so the count below cannot be raced past the cap.
    held = _attendance(meeting, holder.id, for_update=True)
    if held is None or held.attendance_status is not AttendanceStatus.PRESENT or held.departed_at:
        raise Conflict(
            "sign the proxy holder in first: a proxy is carried by someone present",
            details={"proxy_holder_id": holder.id},
            code="holder_not_present",
        )
    # VC18-03 (close relative only) is approximated, as everywhere, by the same household.
    same_household_only = rule.holder in (ProxyHolder.SAME_HOUSEHOLD, ProxyHolder.CLOSE_RELATIVE)
    if same_household_only and holder.household_id != principal.household_id:
        raise Conflict(
            "here a proxy may be held only by a member of the same household",
            details=cited,
            code="proxy_household",
        )
    barred = proxy_bar_on_candidates(meeting)
    if barred is not None and holder.id in candidate_ids(meeting):
        raise Conflict(
            "a candidate in this meeting's election may not hold proxies",
            details={
                "proxy_holder_id": holder.id,
                **(
                    {"rule": {"id": barred.citation.rule_id, "citation": barred.citation.zh}}
                    if barred.citation
                    else {}
                ),
            },
            code="proxy_candidate",
        )
    if rule.max_per_holder is not None:
        holding = db.session.execute(
            select(func.count(Attendance.id)).where(
                Attendance.meeting_id == meeting.id, Attendance.proxy_holder_id == holder.id
            )
        ).scalar_one()
        if holding >= rule.max_per_holder:
            raise Conflict(
                f"a proxy holder may hold at most {rule.max_per_holder} proxies",
                details={**cited, "holding": holding},
                code="proxy_limit",
            )
    return holder


def _duplicate(meeting: Meeting, resident: Resident) -> Conflict:
    if _attendance(meeting, resident.id) is not None:
        return Conflict(
            "this person's attendance is already recorded",
            details={"resident_id": resident.id},
            code="already_signed_in",
        )
    return Conflict(
        "someone of this household already attends for it (household mode: one per household)",
        details={"household_id": resident.household_id},
        code="household_represented",
    )


#: A first version's columns, copied from its attendance row's (its reason stays empty).
_FIRST_VERSION_OF = {
    "attendance_id": "id",
    "version": "version",
    "status": "status",
    "proxy_holder_id": "proxy_holder_id",
    "arrived_at": "arrived_at",
    "departed_at": "departed_at",
    "recorded_at": "recorded_at",
    "recorded_by": "recorded_by",
}

#: What a sign-in writes to its attendance row (the parameters of _sign_in_statement).
_SIGN_IN_COLUMNS = (
    "meeting_id",
    "resident_id",
    "status",
    "proxy_holder_id",
    "represented_household_id",
    "arrived_at",
    "version",
    "recorded_at",
    "recorded_by",
)


@cache
def _sign_in_statement() -> Select[Attendance]:
    """PostgreSQL: INSERT the attendance row ON CONFLICT DO NOTHING and its first version, in
    one statement, returning the row (none when a unique constraint refused it). Built once:
    it runs on every sign-in, and building it costs more than running it."""
    table = Attendance.__table__
    inserted = (
        postgresql.insert(Attendance)
        .values({name: bindparam(name, type_=table.c[name].type) for name in _SIGN_IN_COLUMNS})
        .on_conflict_do_nothing()
        .returning(*table.c)
        .cte("inserted")
    )
    first_version = insert(AttendanceVersion).from_select(
        list(_FIRST_VERSION_OF), select(*(inserted.c[c] for c in _FIRST_VERSION_OF.values()))
    )
    return select(aliased(Attendance, inserted)).add_cte(first_version.cte("first_version"))


def _version(row: Attendance, reason: str | None, actor: Actor, at: datetime) -> None:
    db.session.add(
        AttendanceVersion(
            attendance_id=row.id,
            version=row.version,
            status=row.status,
            proxy_holder_id=row.proxy_holder_id,
            arrived_at=row.arrived_at,
            departed_at=row.departed_at,
            reason=reason,
            recorded_at=at,
            recorded_by=actor.user_id,
        )
    )


def record_attendance(
    actor: Actor,
    meeting: Meeting,
    *,
    resident_id: int,
    status: str,
    proxy_holder_id: int | None = None,
    at: datetime | None = None,
) -> Attendance:
    """Sign someone in (present), record an absence, or register a proxy. The database refuses
    a second row for the same person (409) and, in household mode, for the same household."""
    require(actor, "meetings:attendance:record", meeting.community_id)
    return _record_attendance(
        actor,
        meeting,
        resident_id=resident_id,
        status=status,
        proxy_holder_id=proxy_holder_id,
        at=at,
        action="meetings:attendance:record",
    )


def _record_attendance(
    actor: Actor,
    meeting: Meeting,
    *,
    resident_id: int,
    status: str,
    proxy_holder_id: int | None,
    at: datetime | None,
    action: str,
) -> Attendance:
    """record_attendance after its permission check; `action` names the audit entry (staff at
    the desk, or a resident's own check-in: consult.meetings.checkin)."""
    now = _now(at)
    # A shared lock: sign-ins at several desks proceed side by side, while opening, adjourning
    # or editing the meeting (which take the exclusive lock) wait for them. Duplicates are
    # refused by the database's unique constraints, the proxy cap by the holder's row lock.
    _share_lock(meeting)
    meeting.require_in_session("record attendance")
    try:
        wanted = AttendanceStatus(status)
    except ValueError:
        raise Invalid(
            "the attendance is not valid", details={"status": "present, absent or proxy"}
        ) from None
    if wanted is not AttendanceStatus.PROXY and proxy_holder_id is not None:
        raise Invalid(
            "only a proxy names a holder", details={"proxy_holder_id": "only with status proxy"}
        )
    community = _community(meeting.community_id)
    on = local_date(community, meeting.starts_at)
    resident = _resident_of(community, resident_id, "resident_id")
    if not is_member(meeting.body, community, resident, on):
        raise Invalid(
            "not a member of this meeting",
            details={"resident_id": "not a member of this meeting"},
            code="not_a_member",
        )
    holder = None
    if wanted is AttendanceStatus.PROXY:
        holder = _check_proxy(meeting, community, resident, proxy_holder_id, on)
    attends = wanted is not AttendanceStatus.ABSENT
    # The unique constraints refuse a second row for the person (or household): the INSERT
    # then inserts nothing (no savepoint needed, the transaction stays usable) and says so.
    values = {
        "meeting_id": meeting.id,
        "resident_id": resident.id,
        "status": wanted.value,
        "proxy_holder_id": holder.id if holder else None,
        "represented_household_id": (
            resident.household_id if attends and meeting.body.body_mode is Mode.HOUSEHOLDS else None
        ),
        "arrived_at": now if wanted is AttendanceStatus.PRESENT else None,
        "version": 1,
        "recorded_at": now,
        "recorded_by": actor.user_id,
    }
    if db.session.get_bind().dialect.name == "postgresql":
        # The row and its first version in one statement (one round trip): the version is
        # copied from what was inserted, so nothing is written when the INSERT yields.
        row = db.session.execute(_sign_in_statement(), values).scalar_one_or_none()
        if row is None:
            raise _duplicate(meeting, resident)
    else:
        row = db.session.execute(
            sqlite.insert(Attendance).values(values).on_conflict_do_nothing().returning(Attendance)
        ).scalar_one_or_none()
        if row is None:
            raise _duplicate(meeting, resident)
        _version(row, None, actor, now)
        db.session.flush()
    record(
        actor,
        action,
        "attendance",
        row.id,
        community_id=meeting.community_id,
        payload={
            "meeting_id": meeting.id,
            "resident_id": resident.id,
            "status": row.status,
            "proxy_holder_id": row.proxy_holder_id,
            "household_id": row.represented_household_id,
            "arrived_at": now.isoformat() if row.arrived_at else None,
            "late": bool(row.arrived_at and row.arrived_at > meeting.starts_at),
        },
    )
    return row


def record_departure(
    actor: Actor, meeting: Meeting, *, resident_id: int, at: datetime | None = None
) -> Attendance:
    """Someone present leaves early: the time is set once; the quorum drops with them (and
    with the proxies they carried)."""
    require(actor, "meetings:attendance:record", meeting.community_id)
    now = _now(at)
    lock_meeting(meeting)
    meeting.require_in_session("record a departure")
    row = _attendance(meeting, resident_id)
    if row is None:
        raise Conflict(
            "this person was not signed in", details={"resident_id": resident_id}, code="absent"
        )
    row.depart(now)
    db.session.flush()
    record(
        actor,
        "meetings:attendance:record",
        "attendance",
        row.id,
        community_id=meeting.community_id,
        payload={
            "meeting_id": meeting.id,
            "resident_id": resident_id,
            "departed_at": now.isoformat(),
        },
    )
    return row


def correct_attendance(
    actor: Actor,
    meeting: Meeting,
    *,
    resident_id: int,
    status: str,
    proxy_holder_id: int | None = None,
    reason: str,
    at: datetime | None = None,
) -> Attendance:
    """Correct a mistaken entry while in session: a new version with its reason; the earlier
    versions stay (AttendanceVersion)."""
    require(actor, "meetings:attendance:correct", meeting.community_id)
    now = _now(at)
    lock_meeting(meeting)
    meeting.require_in_session("correct attendance")
    details: dict[str, str] = {}
    clean_reason = _text(details, "reason", reason, required=True, limit=MAX_TEXT)
    try:
        wanted = AttendanceStatus(status)
    except ValueError:
        details["status"] = "present, absent or proxy"
        wanted = AttendanceStatus.ABSENT
    if wanted is not AttendanceStatus.PROXY and proxy_holder_id is not None:
        details["proxy_holder_id"] = "only with status proxy"
    if details:
        raise Invalid("the correction is not valid", details=details)
    row = _attendance(meeting, resident_id)
    if row is None:
        raise Conflict(
            "nothing to correct: record the attendance first",
            details={"resident_id": resident_id},
            code="absent",
        )
    community = _community(meeting.community_id)
    resident = _resident_of(community, resident_id, "resident_id")
    if wanted is AttendanceStatus.PROXY:
        if row.status == AttendanceStatus.PROXY and row.proxy_holder_id == proxy_holder_id:
            raise Conflict("the attendance already says so", code="unchanged")
        holder = _check_proxy(
            meeting, community, resident, proxy_holder_id, local_date(community, meeting.starts_at)
        )
        row.proxy_holder_id = holder.id
    else:
        if row.status == wanted.value:
            raise Conflict("the attendance already says so", code="unchanged")
        row.proxy_holder_id = None
    if wanted is not AttendanceStatus.PRESENT and row.status == AttendanceStatus.PRESENT:
        carried = db.session.execute(
            select(func.count(Attendance.id)).where(
                Attendance.meeting_id == meeting.id, Attendance.proxy_holder_id == resident_id
            )
        ).scalar_one()
        if carried:
            raise Conflict(
                "this person carries proxies; correct those first",
                details={"proxies": carried},
                code="holds_proxies",
            )
    row.status = wanted.value
    if wanted is AttendanceStatus.PRESENT and row.arrived_at is None:
        row.arrived_at = now
    row.represented_household_id = (
        resident.household_id
        if wanted is not AttendanceStatus.ABSENT and meeting.body.body_mode is Mode.HOUSEHOLDS
        else None
    )
    row.version += 1
    row.recorded_at = now
    row.recorded_by = actor.user_id
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            "someone of this household already attends for it",
            details={"household_id": resident.household_id},
            code="household_represented",
        ) from None
    _version(row, clean_reason, actor, now)
    db.session.flush()
    record(
        actor,
        "meetings:attendance:correct",
        "attendance",
        row.id,
        community_id=meeting.community_id,
        payload={
            "meeting_id": meeting.id,
            "resident_id": resident_id,
            "status": row.status,
            "proxy_holder_id": row.proxy_holder_id,
            "version": row.version,
            "reason": clean_reason,
        },
    )
    return row


def list_attendance(actor: Actor, meeting: Meeting) -> list[Attendance]:
    require(actor, "meetings:attendance:read", meeting.community_id)
    return list(
        db.session.execute(
            select(Attendance).where(Attendance.meeting_id == meeting.id).order_by(Attendance.id)
        ).scalars()
    )


# ---------------------------------------------------------------- counting


@dataclass(frozen=True)
class Presence:
    """Who counts as present now: those signed in and not departed, and the principals of the
    proxies they carry (Counts.present: "proxies' principals included")."""

    persons: int
    households: int
    absent: int
    proxies: int
    departed: int
    late: int


def _sheet_rows(meeting: Meeting) -> list[Any]:
    return list(
        db.session.execute(
            select(
                Attendance.resident_id,
                Attendance.status,
                Attendance.proxy_holder_id,
                Attendance.represented_household_id,
                Attendance.arrived_at,
                Attendance.departed_at,
            ).where(Attendance.meeting_id == meeting.id)
        ).all()
    )


def _here(rows: Iterable[Any]) -> set[int]:
    """Those signed in as present and not departed."""
    return {
        r.resident_id
        for r in rows
        if r.status == AttendanceStatus.PRESENT and r.departed_at is None
    }


@dataclass(frozen=True)
class Counted:
    """One person counted as present now: in person, or as the principal of a proxy whose
    holder is here (`carried_by`: who casts their vote)."""

    resident_id: int
    household_id: int | None  # the household they attend for (household mode)
    carried_by: int
    by_proxy: bool


def counted(meeting: Meeting) -> list[Counted]:
    """Who counts as present now, and who carries each one's vote (the vote's roll)."""
    rows = _sheet_rows(meeting)
    here = _here(rows)
    found = []
    for r in rows:
        if r.resident_id in here:
            found.append(Counted(r.resident_id, r.represented_household_id, r.resident_id, False))
        elif r.status == AttendanceStatus.PROXY and r.proxy_holder_id in here:
            found.append(
                Counted(r.resident_id, r.represented_household_id, r.proxy_holder_id, True)
            )
    return found


def presence(meeting: Meeting) -> Presence:
    rows = _sheet_rows(meeting)
    here = _here(rows)
    counted = [
        r
        for r in rows
        if r.resident_id in here
        or (r.status == AttendanceStatus.PROXY and r.proxy_holder_id in here)
    ]
    return Presence(
        persons=len(counted),
        households=len({r.represented_household_id for r in counted} - {None}),
        absent=sum(1 for r in rows if r.status == AttendanceStatus.ABSENT),
        proxies=sum(1 for r in rows if r.status == AttendanceStatus.PROXY),
        departed=sum(1 for r in rows if r.departed_at is not None),
        late=sum(1 for r in rows if r.arrived_at is not None and r.arrived_at > meeting.starts_at),
    )


def attendance_counts(meeting: Meeting, now: Presence | None = None) -> dict[str, int]:
    """The counts the public may see: no names. `now`: presence(meeting), if already read."""
    now = presence(meeting) if now is None else now
    return {
        "present": now.persons,
        "present_households": now.households,
        "absent": now.absent,
        "proxies": now.proxies,
        "departed": now.departed,
        "late": now.late,
    }


def roll(meeting: Meeting) -> Roll:
    community = _community(meeting.community_id)
    return _roll(meeting.body, community, local_date(community, meeting.starts_at))


def quorum(
    meeting: Meeting,
    decision_type: DecisionType | str = DecisionType.ORDINARY,
    now: Presence | None = None,
) -> QuorumStatus:
    """The quorum now, from the rules engine, in the unit of the alternative that applies:
    persons, or households in household mode. `required` is the least number present that
    meets it. `now`: presence(meeting), if the caller has read it already."""
    rule = decision_rule(meeting, decision_type)
    members = roll(meeting)
    now = presence(meeting) if now is None else now
    # The register may have changed since someone signed in (a birthday never removes anyone,
    # but a deprivation of political rights might): never claim more present than members.
    present = min(now.persons, members.members)
    if members.households is not None:
        counts = Counts(
            members=members.members,
            present=present,
            households=members.households,
            present_households=min(now.households, members.households),
        )
    else:
        counts = Counts(members=members.members, present=present)
    return quorum_status(rule, counts, meeting.body.body_mode)


def quorum_json(meeting: Meeting, decision_type: str | None = None) -> dict[str, Any]:
    """`GET /meetings/{id}/quorum`: {"members", "present", "required", "met", "rule": {"id",
    "citation", ...}}."""
    status = quorum(meeting, decision_type or DecisionType.ORDINARY)
    return status.as_dict()


# ---------------------------------------------------------------- public reading


def list_meetings(
    actor: Actor,
    community: Community,
    *,
    public: bool = True,
    when: str | None = None,
) -> list[Meeting]:
    """The community's meetings: upcoming (not yet adjourned, soonest first) or past
    (adjourned, latest first), or all. `public=True` shows what was noticed, to anyone;
    `public=False` adds drafts, for the committee."""
    if public:
        require(actor, "meetings:public:read", community.id)
    else:
        require(actor, "meetings:meeting:read", community.id)
    if when not in (None, "upcoming", "past"):
        raise Invalid("the query is not valid", details={"when": "upcoming or past"})
    query = select(Meeting).where(Meeting.community_id == community.id)
    if public:
        query = query.where(Meeting.state != MeetingState.DRAFT)
    if when == "upcoming":
        query = query.where(Meeting.state != MeetingState.ADJOURNED).order_by(
            Meeting.starts_at, Meeting.id
        )
    elif when == "past":
        query = query.where(Meeting.state == MeetingState.ADJOURNED).order_by(
            Meeting.starts_at.desc(), Meeting.id.desc()
        )
    else:
        query = query.order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    return list(db.session.execute(query).scalars())


def _citation(rule: DecisionRule) -> dict[str, Any]:
    return {
        "id": rule.citation.rule_id,
        "citation": rule.citation.zh,
        "citation_en": rule.citation.en,
        "practice": rule.practice,
    }


def agenda_item_json(meeting: Meeting, item: AgendaItem) -> dict[str, Any]:
    rule = decision_rule(meeting, item.decision_type)
    gate = rule.gate(GateKind.PARTY_REVIEW)
    return {
        "id": item.id,
        "position": item.position,
        "title": item.title,
        "decision_type": item.decision_type,
        "urgent": item.is_urgent,
        "urgent_decision": item.urgent_decision,
        "party_review": {
            "required": gate is not None,
            "rule": gate.citation.rule_id if gate else None,
            "reviewed_at": item.party_reviewed_at.isoformat() if item.party_reviewed_at else None,
            "reference": item.party_review_reference,
        },
        "rule": {
            **_citation(rule),
            "threshold": rule.threshold_words("en"),
            "threshold_zh": rule.threshold_words("zh"),
            # The charter versions that tighten this rule (consult.meetings.charter), if any.
            "overlays": list(rule.overlays),
        },
    }


def meeting_summary(meeting: Meeting) -> dict[str, Any]:
    """What anyone may read of a noticed meeting: the notice, the agenda with the rule each
    item is decided by, and attendance counts (no names)."""
    ordinary = decision_rule(meeting)
    notice = ordinary.notice
    invitations = list(
        db.session.execute(
            select(Invitation).where(Invitation.meeting_id == meeting.id).order_by(Invitation.id)
        ).scalars()
    )
    members = roll(meeting)
    return {
        "id": meeting.id,
        "title": meeting.title,
        "body": body_json(meeting.body),
        "starts_at": meeting.starts_at.isoformat(),
        "location": meeting.location,
        "state": meeting.state,
        "rule_set": meeting.rule_set_id,
        "notice": {
            "noticed_at": meeting.noticed_at.isoformat() if meeting.noticed_at else None,
            "days_required": meeting.notice_days_required,
            "is_short_notice": meeting.is_short_notice,
            "short_notice_reason": meeting.short_notice_reason,
            "rule": (
                {"id": notice.citation.rule_id, "citation": notice.citation.zh}
                if notice and notice.citation
                else None
            ),
        },
        "opened_at": meeting.opened_at.isoformat() if meeting.opened_at else None,
        "adjourned_at": meeting.adjourned_at.isoformat() if meeting.adjourned_at else None,
        "agenda": [agenda_item_json(meeting, item) for item in meeting.agenda],
        "invitations": [
            {"body_id": i.body_id, "rule": i.rule_id, "invited_at": i.invited_at.isoformat()}
            for i in invitations
        ],
        "members": members.members,
        "households": members.households,
        "attendance": attendance_counts(meeting),
    }
