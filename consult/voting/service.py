"""Votes on agenda items: create, open (the roll frozen), cast, close (tally and ledger).

The guarantees of VOTING.md, and where each is held:
- one vote per voter (or household): UNIQUE (vote_id, voter_key) on `participations`; a
  second ballot inserts nothing and is refused (409 `already_voted`), under any concurrency;
- eligibility: the roll frozen at open — those present (with the principals of the proxies
  they carry), in persons or in households as the body counts;
- secrecy: a secret ballot row holds a random id, the choice and the receipt's hash; the
  participation row, written in the same transaction, says only that the voter voted. No audit
  entry is written per ballot (it would be a timeline of voters beside the anonymous ballots,
  and it would serialise the rush on the audit log): participations are the record of who
  voted, the signed ledger the record of what was cast, and opening and closing are audited;
- casts take the vote's row in share mode, closing takes it exclusively: a ballot is either
  in the tally or refused (409 `vote_closed`), never lost.

Nothing here commits or imports Flask; the edge passes the field cipher for the signing key.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, NoReturn, Protocol

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from consult import clock
from consult.accounts.policy import can, require
from consult.actor import Actor, Role
from consult.audit.service import record
from consult.crypto.canonical import canonical_json
from consult.crypto.fields import FieldCipher
from consult.crypto.ledger import LedgerKind, build_ledger_text, public_summary
from consult.crypto.receipts import InvalidReceipt, new_receipt, normalise_receipt, receipt_hash
from consult.db import as_utc, driver_row
from consult.errors import Conflict, Invalid, NotAllowed, NotFound
from consult.extensions import db
from consult.meetings import candidates as candidacy
from consult.meetings import service as meetings
from consult.meetings.models import AgendaItem, Body, Meeting
from consult.registry.keys import signing_key
from consult.registry.models import Community, Resident
from consult.rules.model import DecisionRule, Mode
from consult.rules.quorum import Counts, Outcome, evaluate
from consult.voting import elections
from consult.voting.models import (
    DEFAULT_OPTIONS,
    Channel,
    OpenBallot,
    Participation,
    SecretBallot,
    Vote,
    VoteRoll,
    VoterUnit,
    VoteState,
)

MAX_OPTIONS = 20
MAX_OPTION = 200


# ---------------------------------------------------------------- reading


#: The advisory-lock class of votes (PostgreSQL's two-key form: class, vote id).
_VOTE_LOCK_CLASS = 0x564F  # "VO"


def _queue(vote_id: int, lock: str) -> None:
    """PostgreSQL: queue for the vote fairly before taking its row lock. Row locks let new
    sharers pass a writer that waits, so in a rush the chair's close could wait until the rush
    ends; advisory locks are granted in order, so a close waits only for the casts already in
    flight, and casts that come after it wait for it (then find the vote closed)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite: writers are serialised by BEGIN IMMEDIATE anyway
    function = "pg_advisory_xact_lock_shared" if lock == "share" else "pg_advisory_xact_lock"
    db.session.execute(
        text(f"SELECT {function}(:cls, :vote)"), {"cls": _VOTE_LOCK_CLASS, "vote": vote_id}
    )


def _share_locked(vote_id: int) -> Vote | None:
    """PostgreSQL, for a cast: the vote read under its shared row lock in one statement, the
    fair queue's advisory lock taken in the same statement before the row lock (_queue)."""
    statement = (
        select(Vote, func.pg_advisory_xact_lock_shared(_VOTE_LOCK_CLASS, vote_id))
        .where(Vote.id == vote_id)
        .with_for_update(read=True, of=Vote)
        .execution_options(populate_existing=True)
    )
    return db.session.execute(statement).scalars().first()


class BallotBox(Protocol):
    """What checking and storing a ballot reads of its vote (a Vote, or a CastTarget)."""

    @property
    def id(self) -> int: ...
    @property
    def unit(self) -> str: ...
    @property
    def seats(self) -> int | None: ...
    @property
    def opens_at(self) -> datetime | None: ...
    @property
    def closes_at(self) -> datetime | None: ...
    @property
    def options(self) -> list[str]: ...
    @property
    def is_election(self) -> bool: ...


@dataclass(frozen=True)
class CastTarget:
    """An open secret vote as a cast reads it under its locks: only what a ballot needs (the
    rush of the last hour reads this once per ballot, without loading the whole Vote)."""

    id: int
    community_id: int
    unit: str
    seats: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    options: list[str]

    @property
    def is_election(self) -> bool:
        return self.seats is not None


#: PostgreSQL, for a cast: queue for the vote (its shared advisory lock, _queue) and read what a
#: secret cast needs, in one statement. Its snapshot is taken before the lock is granted, so the
#: state it reads may be stale: a close that committed while this cast waited is not seen. That
#: is why the cast itself (_CAST_SECRET, a later statement, so a snapshot taken after the lock)
#: checks again that the vote is open. Every change of a vote's state (open, close) holds the
#: exclusive advisory lock until it commits, and nothing else of an open vote changes (its
#: window is set when it opens), so what this read gives besides the state is current. No row
#: lock is needed. (A row lock shared by concurrent casts would make PostgreSQL write a lock
#: record and a new MultiXact for every ballot.) Built once.
_READ_FOR_CAST = (
    "SELECT pg_advisory_xact_lock_shared(%(cls)s, id), id, community_id, state, secret, unit, "
    "seats, opens_at, closes_at, options FROM votes WHERE id = %(vote)s"
)


def _open_secret_vote(vote_id: int) -> CastTarget | None:
    """PostgreSQL: the secret vote `vote_id` as it was open when this statement began, read while
    queueing for it; None for anything else (not open, named, unknown: the general path reads
    it again and refuses it)."""
    row = driver_row(db.session, _READ_FOR_CAST, {"cls": _VOTE_LOCK_CLASS, "vote": vote_id})
    if row is None:
        return None
    _, id_, community_id, state, secret, unit, seats, opens_at, closes_at, options = row
    if state != VoteState.OPEN or not secret:
        return None
    return CastTarget(
        id=id_,
        community_id=community_id,
        unit=unit,
        seats=seats,
        opens_at=as_utc(opens_at),
        closes_at=as_utc(closes_at),
        options=list(json.loads(options)),
    )


def get_vote(actor: Actor, vote_id: int, *, lock: str | None = None) -> Vote:
    """A vote the actor may see (its meeting's visibility decides). `lock`: "share" for a
    cast, "update" for opening and closing."""
    if lock == "share" and db.session.get_bind().dialect.name == "postgresql":
        found = _share_locked(vote_id)
        if found is not None and found.vote_state is VoteState.OPEN:
            return found  # open: its meeting is in session, hence public (or it is standalone)
        lock = None  # not open: the caller refuses it; read it as anyone may see it
    if lock is not None:
        _queue(vote_id, lock)
    if lock == "share":
        vote = db.session.get(Vote, vote_id, with_for_update={"read": True}, populate_existing=True)
    elif lock == "update":
        vote = db.session.get(Vote, vote_id, with_for_update=True, populate_existing=True)
    else:
        vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise NotFound("no such vote")
    if vote.meeting_id is not None:
        meetings.get_meeting(actor, vote.meeting_id)  # 404 for a draft meeting's vote
    elif vote.vote_state is VoteState.DRAFT and not can(
        actor, "meetings:meeting:read", vote.community_id
    ):
        raise NotFound("no such vote")  # a standalone vote is public once opened
    return vote


#: For the edge's permission gate: the id of a vote's community (bound `object_id`).
COMMUNITY_ID_OF_VOTE = (
    select(Vote.community_id).where(Vote.id == bindparam("object_id")).scalar_subquery()
)


def votes_of_item(item: AgendaItem) -> list[Vote]:
    return list(
        db.session.execute(
            select(Vote).where(Vote.agenda_item_id == item.id).order_by(Vote.id)
        ).scalars()
    )


def votes_of_meeting(meeting: Meeting) -> list[Vote]:
    return list(
        db.session.execute(
            select(Vote).where(Vote.meeting_id == meeting.id).order_by(Vote.id)
        ).scalars()
    )


def _no_vote_left_open(meeting: Meeting) -> None:
    """A meeting is not adjourned with a vote still open: its ballots would never be counted."""
    still_open = db.session.execute(
        select(Vote.id).where(Vote.meeting_id == meeting.id, Vote.state == VoteState.OPEN)
    ).first()
    if still_open is not None:
        raise Conflict(
            "a vote of this meeting is still open: close it before adjourning",
            details={"vote_id": still_open[0]},
            code="vote_still_open",
        )


meetings.ADJOURN_CHECKS.append(_no_vote_left_open)


# ---------------------------------------------------------------- creating and opening


def _options(options: Sequence[str] | None) -> list[str]:
    if options is None:
        return list(DEFAULT_OPTIONS)
    cleaned = [str(o).strip() for o in options]
    problem = None
    if len(cleaned) < 2:
        problem = "at least two options"
    elif len(cleaned) > MAX_OPTIONS:
        problem = f"at most {MAX_OPTIONS} options"
    elif any(not o or len(o) > MAX_OPTION for o in cleaned):
        problem = f"each option 1 to {MAX_OPTION} characters"
    elif len(set(cleaned)) != len(cleaned):
        problem = "options must differ"
    if problem:
        raise Invalid(
            "the options are not valid", details={"options": problem}, code="invalid_options"
        )
    return cleaned


def _window(opens_at: datetime | None, closes_at: datetime | None) -> None:
    details: dict[str, str] = {}
    for name, value in (("opens_at", opens_at), ("closes_at", closes_at)):
        if value is not None and value.tzinfo is None:
            details[name] = "a date and time with its zone"
    if not details and opens_at and closes_at and closes_at <= opens_at:
        details["closes_at"] = "after opens_at"
    if not details and closes_at and closes_at <= clock.now():
        details["closes_at"] = "in the future"
    if details:
        raise Invalid("the time window is not valid", details=details)


def _draft(
    actor: Actor,
    body: Body,
    options: list[str],
    *,
    secret: bool,
    opens_at: datetime | None,
    closes_at: datetime | None,
    **fields: Any,
) -> Vote:
    """A new vote of `body`, a draft: counted in persons, or households in household mode."""
    unit = VoterUnit.HOUSEHOLDS if body.body_mode is Mode.HOUSEHOLDS else VoterUnit.PERSONS
    vote = Vote(
        community_id=body.community_id,
        body_id=body.id,
        secret=bool(secret),
        options_json=json.dumps(options, ensure_ascii=False),
        unit=unit.value,
        state=VoteState.DRAFT.value,
        opens_at=opens_at,
        closes_at=closes_at,
        created_at=clock.now(),
        created_by=actor.user_id,
        **fields,
    )
    db.session.add(vote)
    db.session.flush()
    return vote


def create_vote(
    actor: Actor,
    item: AgendaItem,
    *,
    secret: bool,
    options: Sequence[str] | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    seats: int | None = None,
    supplementary: bool = False,
    candidates: Sequence[int] | None = None,
) -> Vote:
    """A vote on `item` (a draft until opened): yes/no/abstain unless options are given; an
    optional time window outside which ballots are refused. On an election item: the standing
    candidates (or, for a supplementary round, those chosen) and the seats to fill."""
    meeting = item.meeting
    require(actor, "votes:vote:manage", meeting.community_id)
    meetings.lock_meeting(meeting)
    meeting.require_not_adjourned("create a vote")
    _window(opens_at, closes_at)
    rule = meetings.decision_rule(meeting, item.decision_type)  # 422 if the rule set has none
    if not rule.binding:
        raise Invalid(
            "a consultation records the opinions heard; it is not put to a binding vote",
            details={"agenda_item_id": "a consultation"},
            code="not_binding",
        )
    community = db.session.get(Community, meeting.community_id)
    assert community is not None
    candidate_ids: list[int] | None = None
    if item.decision_type == "election":
        if not secret:
            rule_id = elections.secret_ballot_rule(community)
            raise Invalid(
                f"an election is by secret ballot ({rule_id})",
                details={"secret": "true for an election", "rule": rule_id},
                code="election_secret",
            )
        if supplementary:
            candidates = _next_round(item, seats, candidates)
        chosen, candidate_ids = elections.ballot_of(
            actor, item, community, seats=seats, candidates=candidates
        )
    else:
        if seats is not None or supplementary or candidates is not None:
            raise Invalid(
                "seats and candidates belong to an election item",
                details={"seats": "only for an election"},
            )
        chosen = _options(options)
    vote = _draft(
        actor,
        meeting.body,
        chosen,
        secret=secret,
        opens_at=opens_at,
        closes_at=closes_at,
        rule_date=meetings.local_date(community, meeting.starts_at),
        meeting_id=meeting.id,
        agenda_item_id=item.id,
        title=item.title,
        decision_type=item.decision_type,
        seats=seats if candidate_ids is not None else None,
        candidates_json=json.dumps(candidate_ids) if candidate_ids is not None else None,
        supplementary=bool(supplementary) if candidate_ids is not None else False,
    )
    record(
        actor,
        "votes:vote:create",
        "vote",
        vote.id,
        community_id=meeting.community_id,
        payload={
            "agenda_item_id": item.id,
            "secret_ballot": vote.secret,
            "options": chosen,
            "seats": vote.seats,
            "supplementary": vote.supplementary,
            # URC25-09 / VC25-05: recorded (and shown), not enforced — the roll is usually
            # published on paper, and consult knows only what the committee recorded.
            "voter_roll": candidacy.voter_roll_standing(item),
        },
    )
    return vote


def _next_round(item: AgendaItem, seats: int | None, candidates: Sequence[int] | None) -> list[int]:
    """A supplementary round (另行选举) follows a closed round of this item that left seats
    unfilled: its candidates are among those that round sent on, and it fills no more seats
    than were left (URC25-12, VC25-07; after a tie, LOC-06)."""
    rounds = [v for v in votes_of_item(item) if v.is_election and v.state == VoteState.CLOSED]
    last = rounds[-1].result_data if rounds else None
    if not last or not last.get("next_round"):
        raise Invalid(
            "a supplementary round follows a round of this election that left seats unfilled",
            details={"supplementary": "no earlier round sent candidates on"},
            code="no_first_round",
        )
    by_name = dict(zip(rounds[-1].options, rounds[-1].candidate_ids, strict=True))
    allowed = [by_name[name] for name in last["next_round"]]
    chosen = list(candidates) if candidates is not None else allowed
    if not set(chosen) <= set(allowed):
        raise Invalid(
            "the supplementary round takes only the candidates the last round sent on",
            details={"candidates": [c for c in chosen if c not in allowed]},
            code="not_in_next_round",
        )
    if seats is not None and seats > int(last["unfilled_seats"]):
        raise Invalid(
            f"the last round left {last['unfilled_seats']} seat(s) to fill",
            details={"seats": f"at most {last['unfilled_seats']}"},
            code="too_many_seats",
        )
    return chosen


def _set_closing(vote: Vote, closes_at: datetime | None) -> None:
    """A time limit given when the vote opens (it counts from now); a window set earlier must
    not have passed already."""
    if closes_at is not None:
        _window(vote.opens_at, closes_at)
        vote.closes_at = closes_at
    elif vote.closes_at is not None and vote.closes_at <= clock.now():
        raise Conflict(
            "the time for ballots has already passed: prepare the vote again",
            details={"closes_at": vote.closes_at.isoformat()},
            code="window_passed",
        )


def open_vote(actor: Actor, vote: Vote, *, closes_at: datetime | None = None) -> Vote:
    """Open the vote: the meeting in session, the item ready (Party review recorded for a
    major item), no other vote of the meeting open; the roll is frozen now. `closes_at`: a
    time limit for ballots, set now."""
    if vote.meeting_id is None:
        return _open_standalone(actor, vote, closes_at)
    meeting = db.session.get(Meeting, vote.meeting_id)
    assert meeting is not None
    require(actor, "votes:vote:manage", vote.community_id)
    meetings.lock_meeting(meeting)  # attendance stands still while the roll is read
    vote = get_vote(actor, vote.id, lock="update")
    vote.require(VoteState.DRAFT, "open the vote")
    _set_closing(vote, closes_at)
    item = db.session.get(AgendaItem, vote.agenda_item_id)
    assert item is not None
    ready = meetings.can_vote(item)
    if not ready.ok:
        raise Conflict(
            "this item cannot go to a vote yet",
            details={"reasons": ready.reasons},
            code="not_ready",
        )
    already = db.session.execute(
        select(Vote.id).where(Vote.meeting_id == meeting.id, Vote.state == VoteState.OPEN)
    ).first()
    if already is not None:
        raise Conflict(
            "another vote of this meeting is open; close it first",
            details={"open_vote_id": already[0]},
            code="another_vote_open",
        )
    # The roll: those present now, and the principals of the proxies they carry (VOTING.md),
    # read once — the same reading gives the presence the quorum is judged on.
    present = meetings.counted(meeting)
    by_household = VoterUnit(vote.unit) is VoterUnit.HOUSEHOLDS
    roll = [
        VoteRoll(
            vote_id=vote.id,
            voter_key=person.household_id if by_household else person.resident_id,
            caster_id=person.carried_by,
            principal_id=person.resident_id,
            by_proxy=person.by_proxy,
        )
        for person in present
        if not (by_household and person.household_id is None)  # cannot happen; never guess
    ]
    size = meetings.roll(meeting)
    db.session.add_all(roll)
    vote.state = VoteState.OPEN.value
    vote.opened_at = clock.now()
    vote.opened_by = actor.user_id
    vote.eligible = len({r.voter_key for r in roll})
    vote.present_persons = len(present)
    vote.present_households = len({p.household_id for p in present} - {None})
    vote.members = size.members
    vote.households = size.households
    db.session.flush()
    record(
        actor,
        "votes:vote:open",
        "vote",
        vote.id,
        community_id=vote.community_id,
        payload={
            "eligible": vote.eligible,
            "present": vote.present_persons,
            "present_households": vote.present_households,
            "unit": vote.unit,
        },
    )
    return vote


def _rule_and_mode(vote: Vote) -> tuple[DecisionRule, Mode | None]:
    """The rule the vote is judged by, and the body's mode: the meeting's rule for a vote in a
    meeting; for a standalone vote, the rule set and charter in force on its rule date."""
    body = db.session.get(Body, vote.body_id)
    assert body is not None
    if vote.meeting_id is not None:
        meeting = db.session.get(Meeting, vote.meeting_id)
        assert meeting is not None
        return meetings.decision_rule(meeting, vote.decision_type), body.body_mode
    community = db.session.get(Community, vote.community_id)
    assert community is not None
    rule = meetings.body_decision_rule(body, community, vote.rule_date, vote.decision_type)
    return rule, body.body_mode


def create_standalone_vote(
    actor: Actor,
    body: Body,
    *,
    title: str,
    decision_type: str = "ordinary",
    secret: bool,
    options: Sequence[str] | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Vote:
    """A vote of all the body's members outside a meeting (online, and on paper at the
    committee's office), judged by the rule set in force today. A matter that needs the Party
    organization's review first (a major item) goes through a meeting, where the review is
    recorded on the agenda item."""
    require(actor, "votes:vote:manage", body.community_id)
    community = db.session.get(Community, body.community_id)
    assert community is not None
    details: dict[str, str] = {}
    clean = (title or "").strip()
    if not clean or len(clean) > 200:
        details["title"] = "1 to 200 characters"
    chosen = _options(options)
    _window(opens_at, closes_at)
    today = meetings.local_date(community, clock.now())
    rule = meetings.body_decision_rule(body, community, today, decision_type)
    if rule.party_review_required:
        details["decision_type"] = "a major matter is decided in a meeting, after the Party review"
    if not rule.binding:
        details["decision_type"] = "a consultation is not put to a binding vote"
    if decision_type == "election":
        details["decision_type"] = "elections are held in a meeting with candidates and seats"
    if details:
        raise Invalid("the vote is not valid", details=details, code="standalone_invalid")
    vote = _draft(
        actor,
        body,
        chosen,
        secret=secret,
        opens_at=opens_at,
        closes_at=closes_at,
        rule_date=today,
        meeting_id=None,
        agenda_item_id=None,
        title=clean,
        decision_type=decision_type,
    )
    record(
        actor,
        "votes:vote:create",
        "vote",
        vote.id,
        community_id=body.community_id,
        payload={
            "body_id": body.id,
            "standalone": True,
            "title": clean,
            "decision_type": decision_type,
            "secret_ballot": vote.secret,
            "options": chosen,
        },
    )
    return vote


def _open_standalone(actor: Actor, vote: Vote, closes_at: datetime | None) -> Vote:
    """Open a standalone vote: the roll is every member of the body today — each eligible adult
    (or, in household mode, each household, for which any of its adults may cast)."""
    require(actor, "votes:vote:manage", vote.community_id)
    vote = get_vote(actor, vote.id, lock="update")
    vote.require(VoteState.DRAFT, "open the vote")
    _set_closing(vote, closes_at)
    body = db.session.get(Body, vote.body_id)
    community = db.session.get(Community, vote.community_id)
    assert body is not None
    assert community is not None
    today = meetings.local_date(community, clock.now())
    households = vote.unit == VoterUnit.HOUSEHOLDS
    members = meetings.members_of(body, community, today)
    db.session.add_all(
        VoteRoll(
            vote_id=vote.id,
            voter_key=household if households else resident,
            caster_id=resident,
            principal_id=resident,
            by_proxy=False,
        )
        for resident, household in members
    )
    size = meetings.body_roll(body, community, today)
    vote.state = VoteState.OPEN.value
    vote.opened_at = clock.now()
    vote.opened_by = actor.user_id
    vote.eligible = len({h if households else r for r, h in members})
    vote.members = size.members
    vote.households = size.households
    db.session.flush()
    record(
        actor,
        "votes:vote:open",
        "vote",
        vote.id,
        community_id=vote.community_id,
        payload={"eligible": vote.eligible, "unit": vote.unit, "standalone": True},
    )
    return vote


def votes_of_body(actor: Actor, body: Body) -> list[Vote]:
    """A body's standalone votes, newest first (drafts only for the committee)."""
    query = select(Vote).where(Vote.body_id == body.id, Vote.meeting_id.is_(None))
    if not can(actor, "meetings:meeting:read", body.community_id):
        query = query.where(Vote.state != VoteState.DRAFT)
    return list(db.session.execute(query.order_by(Vote.id.desc())).scalars())


# ---------------------------------------------------------------- casting


@dataclass(frozen=True)
class CastResult:
    receipt: str
    vote_id: int
    on_behalf_of: int | None  # the principal, when cast as a proxy holder


def insert_ignoring_duplicates(model: Any, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING: True if the row went in. The transaction stays usable
    either way (no savepoint), and a concurrent duplicate waits for the first and then yields."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    statement = insert(model).values(values).on_conflict_do_nothing().returning(table.c[0])
    return db.session.execute(statement).first() is not None


def _cast_secret(
    actor: Actor, vote: BallotBox, choice: str, code: str, on_behalf_of: int | None
) -> CastResult | None:
    """The ballot, in one statement; None if the vote is no longer open (closed while this cast
    queued): nothing was stored, and the general path refuses it with the reason."""
    assert actor.resident_id is not None
    row = driver_row(
        db.session,
        _CAST_SECRET,
        {
            "vote": vote.id,
            "caster": actor.resident_id,
            "principal": actor.resident_id if on_behalf_of is None else on_behalf_of,
            "now": clock.now().astimezone(UTC),
            "ballot": secrets.token_hex(16),
            "choice": choice,
            "hash": receipt_hash(code),
        },
    )
    assert row is not None  # an aggregate: always one row
    still_open, roll, took, stored = row
    if not still_open:
        return None
    if not roll:
        _not_on_roll(on_behalf_of)
    if not took:
        raise _already_voted(vote)
    if not stored:
        raise _receipt_taken()
    return CastResult(code, vote.id, on_behalf_of)


def _not_on_roll(on_behalf_of: int | None) -> NoReturn:
    raise NotAllowed(
        "you are not on this vote's roll"
        + (" for that person" if on_behalf_of is not None else "")
        + ": it holds those present when the vote opened",
        code="not_eligible",
    )


def _already_voted(vote: BallotBox) -> Conflict:
    return Conflict(
        "a ballot has already been cast for this voter"
        + (" (household)" if vote.unit == VoterUnit.HOUSEHOLDS else ""),
        code="already_voted",
    )


def _receipt_taken() -> Conflict:
    # Only a client-chosen receipt can collide: the client makes a new one (VOTING.md).
    return Conflict("this receipt is already taken: make a new one", code="receipt_taken")


def roll_entry(vote_id: int, caster_id: int, principal_id: int) -> Select[VoteRoll]:
    """The roll entry through which `caster_id` casts `principal_id`'s ballot (the general
    path's lookup; _CAST_SECRET makes the same one)."""
    return select(VoteRoll).where(
        VoteRoll.vote_id == vote_id,
        VoteRoll.caster_id == caster_id,
        VoteRoll.principal_id == principal_id,
    )


def _roll_row(vote: Vote, caster_id: int, on_behalf_of: int | None) -> VoteRoll:
    principal = caster_id if on_behalf_of is None else on_behalf_of
    row = db.session.execute(roll_entry(vote.id, caster_id, principal)).scalar_one_or_none()
    if row is None:
        _not_on_roll(on_behalf_of)
    return row


def _receipt(given: str | None) -> str:
    if given is None or given == "":
        return new_receipt()
    try:
        return normalise_receipt(given)
    except InvalidReceipt as exc:
        raise Invalid(
            "the receipt is not valid", details={"receipt": str(exc)}, code="receipt_invalid"
        ) from None


def in_window(vote: BallotBox) -> None:
    now = clock.now()
    if vote.opens_at is not None and now < vote.opens_at:
        raise Conflict(
            "voting has not begun: it opens at " + vote.opens_at.isoformat(),
            details={"opens_at": vote.opens_at.isoformat()},
            code="vote_not_open",
        )
    if vote.closes_at is not None and now >= vote.closes_at:
        raise Conflict(
            "voting has ended: it closed at " + vote.closes_at.isoformat(),
            details={"closes_at": vote.closes_at.isoformat()},
            code="vote_closed",
        )


def ballot_choice(vote: BallotBox, choice: str | None, marks: Sequence[str] | None) -> str:
    """What a ballot stores: one of the options, or for an election the candidates marked (at
    most the seats; none is a blank ballot) as canonical JSON."""
    if vote.is_election:
        assert vote.seats is not None
        return elections.marks_choice(vote.options, vote.seats, marks)
    if choice not in vote.options:
        raise Invalid(
            "the choice is not one of the options",
            details={"choice": "one of " + ", ".join(vote.options)},
            code="invalid_choice",
        )
    return choice


def _room_left(vote: Vote) -> None:
    """A named vote may also be taken by a show of hands: those hands and the ballots cast
    otherwise never exceed the roll (the hands are counted among those present)."""
    hands = sum(sum(source(vote).values()) for source in EXTRA_COUNTS)
    if not hands:
        return
    others = db.session.execute(
        select(func.count(Participation.id)).where(Participation.vote_id == vote.id)
    ).scalar_one()
    if hands + int(others) >= (vote.eligible or 0):
        raise Conflict(
            "the show of hands and the ballots already cast account for everyone on the roll",
            details={"hands": hands, "other_ballots": int(others), "roll": vote.eligible},
            code="exceeds_present",
        )


#: PostgreSQL, a secret ballot in one statement (the rush of the last hour): the vote still open
#: (this statement's snapshot is taken after the vote's advisory lock was granted: see
#: _READ_FOR_CAST), the voter's roll entry, the participation (ON CONFLICT: already voted) and
#: the ballot (ON CONFLICT: a receipt taken), each step only if the one before gave a row; the
#: four counts say which refused.
_CAST_SECRET = (
    "WITH still_open AS (SELECT id FROM votes WHERE id = %(vote)s AND state = 'open'), "  # noqa: S105 - SQL
    "roll AS (SELECT voter_key, by_proxy FROM vote_roll JOIN still_open "
    "ON still_open.id = vote_roll.vote_id WHERE vote_roll.vote_id = %(vote)s "
    "AND caster_id = %(caster)s AND principal_id = %(principal)s), "
    "took AS (INSERT INTO participations (vote_id, voter_key, channel, cast_by, by_proxy, "
    "recorded_at) SELECT %(vote)s, voter_key, 'online', %(caster)s, by_proxy, %(now)s "
    "FROM roll ON CONFLICT DO NOTHING RETURNING id), "
    "stored AS (INSERT INTO secret_ballots (vote_id, id, choice, receipt_hash) "
    "SELECT %(vote)s, %(ballot)s, %(choice)s, %(hash)s FROM took "
    "ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM still_open), (SELECT count(*) FROM roll), "
    "(SELECT count(*) FROM took), (SELECT count(*) FROM stored)"
)


def cast_ballot(
    actor: Actor,
    vote: Vote | int,
    *,
    choice: str | None = None,
    marks: Sequence[str] | None = None,
    receipt: str | None = None,
    on_behalf_of: int | None = None,
) -> CastResult:
    """The actor's ballot (or, as proxy holder, a principal's). `receipt`: generated in the
    voter's browser (VOTING.md); the server makes one when none is sent. `vote`: the vote or
    its id (read here, locked, once)."""
    if actor.resident_id is None:
        raise NotAllowed("only a verified resident votes", code="not_eligible")
    vote_id = vote if isinstance(vote, int) else vote.id
    if db.session.get_bind().dialect.name == "postgresql":
        # The rush of the last hour: an open secret vote, its lock, the checks and the
        # ballot in two statements (the read while queueing, then the cast).
        target = _open_secret_vote(vote_id)
        if target is not None:
            require(actor, "votes:ballot:cast", target.community_id)
            in_window(target)
            choice = ballot_choice(target, choice, marks)
            cast = _cast_secret(actor, target, choice, _receipt(receipt), on_behalf_of)
            if cast is not None:
                return cast
    vote = get_vote(actor, vote_id, lock="share")
    require(actor, "votes:ballot:cast", vote.community_id)
    vote.require(VoteState.OPEN, "vote")
    in_window(vote)
    choice = ballot_choice(vote, choice, marks)
    code = _receipt(receipt)
    row = _roll_row(vote, actor.resident_id, on_behalf_of)
    if not vote.secret:
        _room_left(vote)
    took = insert_ignoring_duplicates(
        Participation,
        {
            "vote_id": vote.id,
            "voter_key": row.voter_key,
            "channel": Channel.ONLINE.value,
            "cast_by": actor.resident_id,
            "by_proxy": row.by_proxy,
            "recorded_at": clock.now(),
        },
    )
    if not took:
        raise _already_voted(vote)
    digest = receipt_hash(code)
    if vote.secret:
        stored = insert_ignoring_duplicates(
            SecretBallot,
            {
                "vote_id": vote.id,
                "id": secrets.token_hex(16),
                "choice": choice,
                "receipt_hash": digest,
            },
        )
    else:
        principal = db.session.get(Resident, row.principal_id)
        assert principal is not None
        stored = insert_ignoring_duplicates(
            OpenBallot,
            {
                "vote_id": vote.id,
                "voter_key": row.voter_key,
                "voter": principal.name,
                "choice": choice,
                "receipt_hash": digest,
            },
        )
    if not stored:
        raise _receipt_taken()
    return CastResult(code, vote.id, on_behalf_of)


def my_ballots(actor: Actor, vote: Vote) -> list[dict[str, Any]]:
    """For the voter's page: each roll entry the actor casts for, and whether it has voted."""
    if actor.resident_id is None:
        return []
    rows = db.session.execute(
        select(VoteRoll, Resident.name, Participation.id)
        .join(Resident, Resident.id == VoteRoll.principal_id)
        .join(
            Participation,
            (Participation.vote_id == VoteRoll.vote_id)
            & (Participation.voter_key == VoteRoll.voter_key),
            isouter=True,
        )
        .where(VoteRoll.vote_id == vote.id, VoteRoll.caster_id == actor.resident_id)
        .order_by(VoteRoll.by_proxy, Resident.name)
    ).all()
    return [
        {
            "principal_id": roll.principal_id,
            "name": name,
            "by_proxy": roll.by_proxy,
            "voted": participation is not None,
        }
        for roll, name, participation in rows
    ]


def open_votes_for(actor: Actor) -> list[Vote]:
    """The open votes on whose roll the actor stands (to cast for themselves or a principal)."""
    if actor.resident_id is None:
        return []
    return list(
        db.session.execute(
            select(Vote)
            .join(VoteRoll, VoteRoll.vote_id == Vote.id)
            .where(VoteRoll.caster_id == actor.resident_id, Vote.state == VoteState.OPEN)
            .distinct()
            .order_by(Vote.id)
        ).scalars()
    )


def turnout(actor: Actor, vote: Vote) -> dict[str, int]:
    """How many have voted, of how many on the roll — never what they chose."""
    require(actor, "votes:turnout:read", vote.community_id)
    cast = db.session.execute(
        select(func.count(Participation.id)).where(Participation.vote_id == vote.id)
    ).scalar_one()
    return {"eligible": vote.eligible or 0, "cast": int(cast)}


# ---------------------------------------------------------------- closing: tally and ledger


def _choices(ballots: list[tuple[str, str]]) -> Counter[str]:
    """How many ballots (as _ledger_entries reads them) chose each choice; an election
    ballot's choice is the candidates it marks, as one string."""
    return Counter(map(itemgetter(0), ballots))


def _tally_election(
    vote: Vote, ballots: Counter[str], cast: int, rule: DecisionRule, mode: Mode | None
) -> dict[str, Any]:
    """An election's count: the base figures, then each candidate (consult.voting.elections).
    Validity counts those who voted (URC25-11, VC25-07): persons, or households."""
    household_mode = vote.unit == VoterUnit.HOUSEHOLDS
    members = vote.members or 0
    present = cast if vote.meeting_id is None else min(vote.present_persons or 0, members)
    base = Counts(
        members=members,
        present=max(present, 0),
        households=vote.households if household_mode else None,
        present_households=cast if household_mode else None,
        voted=cast if not household_mode else min(cast, members),
        ballots_cast=cast,
    )
    assert vote.seats is not None
    result = elections.tally_election(
        vote.options, vote.seats, vote.supplementary, ballots, base, rule, mode
    )
    item = db.session.get(AgendaItem, vote.agenda_item_id)
    roll = candidacy.voter_roll_standing(item) if item is not None else None
    return {**result, "eligible": vote.eligible or 0, "cast": cast, "voter_roll": roll}


def tally(vote: Vote, counts: Counter[str], cast: int) -> dict[str, Any]:
    """The result under the meeting's rule: quorum first (those present when the vote opened),
    then the pass threshold. A yes/no/abstain vote counts yes; a vote among options judges the
    option with the most votes, and a tie for the most adopts nothing (ties fail)."""
    rule, mode = _rule_and_mode(vote)
    options = vote.options
    if vote.is_election:
        return _tally_election(vote, counts, cast, rule, mode)
    motion = options == list(DEFAULT_OPTIONS)
    winner: str | None = None
    if motion:
        yes, no, abstain = counts["yes"], counts["no"], counts["abstain"]
    else:
        ranked = sorted(options, key=lambda o: -counts[o])
        top = counts[ranked[0]] if ranked else 0
        tied = [o for o in options if counts[o] == top]
        yes = top
        no = cast - top
        abstain = 0
        winner = ranked[0] if len(tied) == 1 and top > 0 else None
    household_mode = vote.unit == VoterUnit.HOUSEHOLDS
    if vote.meeting_id is None:  # standalone: those who voted are those who took part
        vote.present_persons = vote.present_households = cast
    figures = Counts(
        members=vote.members or 0,
        present=min(vote.present_persons or 0, vote.members or 0),
        yes=yes,
        no=no,
        abstain=abstain,
        households=vote.households if household_mode else None,
        present_households=vote.present_households if household_mode else None,
        voted=cast if not household_mode else None,
    )
    judged = evaluate(rule, figures, mode)
    outcome = judged.outcome
    if not motion and outcome is Outcome.ADOPTED and winner is None:
        outcome = Outcome.REJECTED  # a tie for the most votes adopts nothing
    result: dict[str, Any] = {
        "counts": {o: counts[o] for o in options},
        "eligible": vote.eligible or 0,
        "cast": cast,
        "outcome": outcome.value,
        "winner": winner if outcome is Outcome.ADOPTED else None,
        "quorum": {
            "members": judged.quorum.members,
            "present": judged.quorum.present,
            "required": judged.quorum.required,
            "met": judged.quorum.met,
            "unit": judged.quorum.unit.value,
        },
        "votes_required": judged.votes_required,
        "rule": judged.as_dict("zh")["rule"],
        "rule_en": judged.as_dict("en")["rule"],
    }
    return result


#: Run under the vote's lock before counting (paper ballots reconciled and added as ballots),
#: and sources of totals without ballots (a show of hands): consult.voting.paper registers them.
BEFORE_CLOSE: list[Callable[[Actor, Vote], None]] = []
EXTRA_COUNTS: list[Callable[[Vote], Counter[str]]] = []
#: Ballots returned but void (paper ballots settled as void): they count among those who voted.
VOID_COUNTS: list[Callable[[Vote], int]] = []


def close_vote(actor: Actor, vote: Vote, cipher: FieldCipher) -> Vote:
    """Close the vote: count, judge under the rule, sign the ledger. Never changes after."""
    require(actor, "votes:vote:manage", vote.community_id)
    vote = get_vote(actor, vote.id, lock="update")  # waits for casts in flight
    vote.require(VoteState.OPEN, "close the vote")
    now = clock.now().replace(microsecond=0)
    for step in BEFORE_CLOSE:  # paper ballots reconciled and added (consult.voting.paper)
        step(actor, vote)
    ballots = _ledger_entries(vote)  # read once: they are counted and they make the ledger
    counts = _choices(ballots)
    hands: Counter[str] = Counter()
    for source in EXTRA_COUNTS:  # show-of-hands totals (consult.voting.paper)
        hands.update(source(vote))
    counts.update(hands)
    # Cast: those who voted (SEM-5: ballots returned, blank and void ones included) — online
    # and paper ballots, void paper ballots, and hands raised.
    void = sum(source(vote) for source in VOID_COUNTS)
    cast = len(ballots) + sum(hands.values()) + void
    if cast > (vote.eligible or 0):
        raise Conflict(
            f"{cast} ballots for {vote.eligible} on the roll: correct the show of hands",
            details={"cast": cast, "roll": vote.eligible},
            code="exceeds_present",
        )
    result = {**tally(vote, counts, cast), "void": void}
    community = db.session.get(Community, vote.community_id)
    assert community is not None
    key = signing_key(actor, community, cipher)
    # An election ballot's choice is the list of candidates marked: the ledger counts each
    # distinct ballot (consult.voting.elections).
    options = sorted(counts) if vote.is_election else vote.options
    # Built straight to its canonical text (for a million ballots, 100 MB written once).
    kind = LedgerKind.SECRET if vote.secret else LedgerKind.OPEN
    ledger = build_ledger_text(vote.id, now, options, ballots, key, kind=kind)
    del ballots
    vote.state = VoteState.CLOSED.value
    vote.closed_at = now
    vote.closed_by = actor.user_id
    vote.result = json.dumps(result, ensure_ascii=False, sort_keys=True)
    if db.session.get_bind().dialect.name == "postgresql":
        # A big ledger is stored compressed; lz4 does it about three times faster than the
        # default pglz (a million ballots: 1 s instead of 3). PostgreSQL 14 and later, when
        # built with lz4; for this transaction only; reading needs nothing.
        db.session.execute(
            text(
                "SELECT set_config('default_toast_compression', 'lz4', true) "
                "FROM pg_settings WHERE name = 'default_toast_compression' "
                "AND 'lz4' = ANY(enumvals)"
            )
        )
    vote.ledger = ledger.text
    vote.merkle_root = ledger.merkle_root
    db.session.flush()
    record(
        actor,
        "votes:vote:close",
        "vote",
        vote.id,
        community_id=vote.community_id,
        payload={
            "counts": result["counts"],
            "cast": cast,
            "eligible": result["eligible"],
            "outcome": result["outcome"],
            "rule": result["rule"]["id"],
            "merkle_root": ledger.merkle_root,
            "tree_size": ledger.tree_size,
        },
    )
    return vote


def _ledger_entries(vote: Vote) -> list[tuple[str, str]]:
    """The ballots as pairs, in no particular order: (choice, receipt_hash) for a secret vote,
    (choice, voter) for a named one — what build_ledger_text takes. Fetched straight from the
    driver's cursor: as SQLAlchemy rows, a million would cost a second more than the query."""
    db.session.flush()  # ballots added in this transaction (paper ballots at close) count
    model: Any = SecretBallot if vote.secret else OpenBallot
    key = model.receipt_hash if vote.secret else model.voter
    result = db.session.connection().execute(
        select(model.choice, key).where(model.vote_id == vote.id)
    )
    try:
        return list(map(tuple, result.cursor.fetchall()))
    finally:
        result.close()


# ---------------------------------------------------------------- results and the ledger


def result_json(vote: Vote) -> dict[str, Any]:
    """INTERFACES.md §3: {"counts", "eligible", "cast", "outcome", "rule": {"id", "quorum",
    "basis", "threshold", "citation"}} — once closed. 409 before."""
    data = vote.result_data
    if data is None:
        raise Conflict(
            "the vote is not closed yet", details={"state": vote.state}, code="vote_not_closed"
        )
    return {"vote_id": vote.id, "closed_at": _iso(vote.closed_at), **data}


def _stored_ledger(vote: Vote) -> str:
    if vote.ledger is None:
        raise Conflict(
            "the ledger is published when the vote closes",
            details={"state": vote.state},
            code="vote_not_closed",
        )
    return vote.ledger


def ledger_document(actor: Actor, vote: Vote) -> dict[str, Any]:
    """The signed ledger. A secret vote's is public; a named vote's lists who voted how, so
    only the community's members and its supervisors read it whole (VOTING.md); anyone else
    gets the public summary (counts, tree size, root)."""
    return dict(json.loads(ledger_text(actor, vote)))


def ledger_text(actor: Actor, vote: Vote) -> str:
    """ledger_document as published text: the stored canonical JSON itself when the reader may
    have it whole (no parsing: a vote of a million ballots stores about 100 MB), otherwise the
    public summary's canonical JSON."""
    text = _stored_ledger(vote)
    if vote.secret or _may_read_names(actor, vote):
        return text
    return canonical_json(public_summary(json.loads(text)))


def ledger_facts(vote: Vote) -> dict[str, Any]:
    """The small fields of a stored ledger (merkle_root, public_key, signature, tree_size,
    vote_id), read from its tail: canonical JSON sorts the keys, so they all follow the
    entries, and a quote inside a string is escaped, so the last `"merkle_root":` is the key."""
    text = _stored_ledger(vote)
    start = text.rfind('"merkle_root":')
    return dict(json.loads("{" + text[start:]))


def _may_read_names(actor: Actor, vote: Vote) -> bool:
    if can(actor, "meetings:meeting:read", vote.community_id):  # committee and supervisors
        return True
    # A verified resident of this community (the RESIDENT role is theirs only at home).
    return actor.community_id == vote.community_id and Role.RESIDENT in actor.roles


def find_receipt(vote: Vote, text: str) -> dict[str, Any]:
    """Whether a receipt is in the closed vote's ledger, and with which choice."""
    try:
        digest = receipt_hash(normalise_receipt(text))
    except InvalidReceipt as exc:
        raise Invalid(
            "the receipt is not valid", details={"receipt": str(exc)}, code="receipt_invalid"
        ) from None
    _stored_ledger(vote)
    # The secret ballots of a closed vote are exactly its ledger's entries (close_vote builds
    # the one from the other): looked up by the receipt's hash, not by reading the ledger. A
    # named vote's ledger lists names, not receipts.
    choice = (
        db.session.execute(
            select(SecretBallot.choice).where(
                SecretBallot.vote_id == vote.id, SecretBallot.receipt_hash == digest
            )
        ).scalar_one_or_none()
        if vote.secret
        else None
    )
    return {"found": choice is not None, "receipt_hash": digest, "choice": choice}


def vote_json(vote: Vote) -> dict[str, Any]:
    return {
        "id": vote.id,
        "body_id": vote.body_id,
        "meeting_id": vote.meeting_id,
        "agenda_item_id": vote.agenda_item_id,
        "standalone": vote.meeting_id is None,
        "title": vote.title,
        "decision_type": vote.decision_type,
        "secret": vote.secret,
        "options": vote.options,
        "seats": vote.seats,
        "supplementary": vote.supplementary,
        "candidates": vote.candidate_ids if vote.is_election else None,
        "unit": vote.unit,
        "state": vote.state,
        "opens_at": _iso(vote.opens_at),
        "closes_at": _iso(vote.closes_at),
        "opened_at": _iso(vote.opened_at),
        "closed_at": _iso(vote.closed_at),
        "eligible": vote.eligible,
        "merkle_root": vote.merkle_root,
    }


def _iso(value: datetime | None) -> str | None:
    """In UTC, whatever zone the value was given in."""
    return value.astimezone(UTC).isoformat() if value else None
