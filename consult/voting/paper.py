"""Paper ballots and shows of hands, beside online ballots in one vote.

Paper (secret votes only): at the desk, staff hand a voter on the roll a paper ballot and mark
them as having voted on paper (a participation row: they can no longer vote online, and someone
who voted online gets no paper ballot). Each paper ballot carries a receipt code on its stub.
After collection two staff enter the ballots independently (double entry): a ballot is counted
when at least two staff read the same choice for its receipt and nobody read another; any
other case — one reading only, or readings that differ — is listed for resolution by the chair
or staff with a reason, never averaged away. Closing refuses while anything is unresolved, and
never counts more paper ballots than were handed out.

Show of hands (named votes only): the totals per option with the names of the scrutineers
(监票人) and counters (计票人); totals plus the ballots cast otherwise never exceed the roll. A
correction is a new record pointing at the one it replaces.

Each change records one audit entry and flushes; nothing here commits or imports Flask. The
counting itself happens in close_vote, through the hooks registered at the bottom.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from consult import clock
from consult.accounts.policy import require
from consult.actor import Actor
from consult.audit.service import record
from consult.crypto.receipts import InvalidReceipt, normalise_receipt, receipt_hash
from consult.errors import Conflict, Invalid, NotAllowed
from consult.extensions import db
from consult.registry.models import Resident
from consult.voting import service as voting
from consult.voting.models import (
    Channel,
    HandCount,
    PaperEntry,
    PaperResolution,
    Participation,
    SecretBallot,
    Vote,
    VoteRoll,
    VoteState,
)

MAX_NAMES = 500
MAX_REASON = 2000


# ---------------------------------------------------------------- at the desk


def issue_paper_ballot(actor: Actor, vote: Vote, *, resident_id: int) -> int:
    """Hand `resident_id` (or the holder of their proxy) a paper ballot: from now on that
    voter has voted, on paper. 409 `already_voted` if they (or their household) voted online."""
    require(actor, "votes:paper:enter", vote.community_id)
    vote = voting.get_vote(actor, vote.id, lock="share")
    vote.require(VoteState.OPEN, "hand out a paper ballot")
    voting.in_window(vote)
    _secret_only(vote)
    row = (
        db.session.execute(
            select(VoteRoll).where(
                VoteRoll.vote_id == vote.id, VoteRoll.principal_id == resident_id
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        raise NotAllowed(
            "this person is not on the vote's roll: it holds those present when it opened",
            code="not_eligible",
        )
    taken = voting.insert_ignoring_duplicates(
        Participation,
        {
            "vote_id": vote.id,
            "voter_key": row.voter_key,
            "channel": Channel.PAPER.value,
            "cast_by": row.caster_id,
            "by_proxy": row.by_proxy,
            "recorded_at": clock.now(),
        },
    )
    if not taken:
        raise Conflict(
            "this voter has already voted (online or on paper): no paper ballot",
            details={"resident_id": resident_id},
            code="already_voted",
        )
    record(
        actor,
        "votes:paper:issue",
        "vote",
        vote.id,
        community_id=vote.community_id,
        payload={"resident_id": resident_id, "voter_key": row.voter_key},
    )
    return row.voter_key


def _stub(receipt: str) -> str:
    """The hash of the receipt code printed on a ballot's stub, as a voter's receipt is hashed."""
    try:
        return receipt_hash(normalise_receipt(receipt))
    except InvalidReceipt as exc:
        raise Invalid(
            "the receipt on the stub is not valid",
            details={"receipt": str(exc)},
            code="receipt_invalid",
        ) from None


def _secret_only(vote: Vote) -> None:
    if not vote.secret:
        raise Invalid(
            "paper ballots with receipts are for secret votes; a named vote is taken online or "
            "by a show of hands",
            details={"vote_id": "a named vote"},
            code="paper_secret_only",
        )


@dataclass(frozen=True)
class RollLine:
    principal_id: int
    name: str
    by_proxy: bool
    channel: str | None  # how this voter voted, or None


def roll_sheet(actor: Actor, vote: Vote, query: str, *, limit: int = 50) -> list[RollLine]:
    """The vote's roll as the desk sees it: whose vote, and whether (and how) it was cast —
    never how. Filtered by a part of the name."""
    require(actor, "votes:paper:enter", vote.community_id)
    statement = (
        select(VoteRoll.principal_id, Resident.name, VoteRoll.by_proxy, Participation.channel)
        .join(Resident, Resident.id == VoteRoll.principal_id)
        .join(
            Participation,
            (Participation.vote_id == VoteRoll.vote_id)
            & (Participation.voter_key == VoteRoll.voter_key),
            isouter=True,
        )
        .where(VoteRoll.vote_id == vote.id)
        .order_by(Resident.name, VoteRoll.principal_id)
        .limit(limit)
    )
    text = query.strip()[:100]
    if text:
        statement = statement.where(Resident.name.contains(text, autoescape=True))
    return [RollLine(r[0], r[1], r[2], r[3]) for r in db.session.execute(statement)]


# ---------------------------------------------------------------- double entry


def enter_paper_ballot(
    actor: Actor,
    vote: Vote,
    *,
    receipt: str,
    choice: str | None = None,
    marks: Sequence[str] | None = None,
) -> PaperEntry:
    """One staff member's reading of one ballot. The same staff member enters each ballot once;
    a second reading by the same person is 409 (a correction goes through resolution)."""
    require(actor, "votes:paper:enter", vote.community_id)
    if actor.user_id is None:
        raise NotAllowed("paper ballots are entered by a named staff member")
    vote = voting.get_vote(actor, vote.id, lock="share")
    vote.require(VoteState.OPEN, "enter a paper ballot")
    _secret_only(vote)
    digest = _stub(receipt)
    choice = voting.ballot_choice(vote, choice, marks)  # an election: the marks, checked
    values = {
        "vote_id": vote.id,
        "entered_by": actor.user_id,
        "receipt_hash": digest,
        "choice": choice,
        "entered_at": clock.now(),
    }
    if not voting.insert_ignoring_duplicates(PaperEntry, values):
        raise Conflict(
            "you have already entered this ballot; a second reading must be someone else's",
            details={"receipt_hash": digest},
            code="already_recorded",
        )
    entry = db.session.execute(
        select(PaperEntry).where(
            PaperEntry.vote_id == vote.id,
            PaperEntry.entered_by == actor.user_id,
            PaperEntry.receipt_hash == digest,
        )
    ).scalar_one()
    # Who read which stub, not what it said: the reading itself is in paper_entries.
    record(
        actor,
        "votes:paper:enter",
        "vote",
        vote.id,
        community_id=vote.community_id,
        payload={"receipt_hash": digest},
    )
    return entry


@dataclass(frozen=True)
class PaperStanding:
    """Where the double entry stands: what will be counted and what needs resolving."""

    issued: int
    agreed: dict[str, str]  # receipt hash -> choice (two readings or more, all the same)
    resolved: dict[str, str | None]  # receipt hash -> choice, None for void
    disputes: list[dict[str, Any]]  # {"receipt_hash", "readings": {user_id: choice}, "why"}

    @property
    def counted(self) -> dict[str, str]:
        chosen = dict(self.agreed)
        for digest, choice in self.resolved.items():
            chosen.pop(digest, None)
            if choice is not None:
                chosen[digest] = choice
        return chosen

    def as_dict(self) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "counted": len(self.counted),
            "agreed": len(self.agreed),
            "resolved": len(self.resolved),
            "disputes": self.disputes,
        }


def paper_standing(vote: Vote) -> PaperStanding:
    issued = int(
        db.session.execute(
            select(func.count(Participation.id)).where(
                Participation.vote_id == vote.id, Participation.channel == Channel.PAPER
            )
        ).scalar_one()
    )
    readings: dict[str, dict[int, str]] = defaultdict(dict)
    for entry in db.session.execute(
        select(PaperEntry.receipt_hash, PaperEntry.entered_by, PaperEntry.choice).where(
            PaperEntry.vote_id == vote.id
        )
    ):
        readings[entry.receipt_hash][entry.entered_by] = entry.choice
    resolved: dict[str, str | None] = {
        r.receipt_hash: r.choice
        for r in db.session.execute(
            select(PaperResolution).where(PaperResolution.vote_id == vote.id)
        ).scalars()
    }
    agreed: dict[str, str] = {}
    disputes: list[dict[str, Any]] = []
    for digest, by_user in sorted(readings.items()):
        choices = set(by_user.values())
        if len(by_user) >= 2 and len(choices) == 1:
            agreed[digest] = next(iter(choices))
        elif digest not in resolved:
            why = "one reading only" if len(by_user) == 1 else "the readings differ"
            disputes.append(
                {
                    "receipt_hash": digest,
                    "readings": {str(u): c for u, c in sorted(by_user.items())},
                    "why": why,
                }
            )
    return PaperStanding(issued, agreed, resolved, disputes)


def resolve_paper_ballot(
    actor: Actor,
    vote: Vote,
    *,
    receipt: str,
    choice: str | None,
    reason: str,
    marks: Sequence[str] | None = None,
    void: bool = False,
) -> PaperResolution:
    """Settle a disputed ballot: the choice it bears, or None when it is void; with the reason
    (e.g. "三人复核原件，所选为反对")."""
    require(actor, "votes:vote:manage", vote.community_id)
    vote = voting.get_vote(actor, vote.id, lock="update")
    vote.require(VoteState.OPEN, "resolve a paper ballot")
    digest = _stub(receipt)
    if void or (choice is None and not vote.is_election):
        choice = None
    else:
        choice = voting.ballot_choice(vote, choice, marks)
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise Invalid(
            "a resolution needs its reason",
            details={"reason": "required" if not text else f"at most {MAX_REASON} characters"},
            code="reason_required",
        )
    standing = paper_standing(vote)
    if digest not in {d["receipt_hash"] for d in standing.disputes}:
        raise Conflict(
            "this ballot is not in dispute (or already resolved)",
            details={"receipt_hash": digest},
            code="not_disputed",
        )
    resolution = PaperResolution(
        vote_id=vote.id,
        receipt_hash=digest,
        choice=choice,
        reason=text,
        resolved_by=actor.user_id,
        resolved_at=clock.now(),
    )
    db.session.add(resolution)
    db.session.flush()
    record(
        actor,
        "votes:paper:resolve",
        "vote",
        vote.id,
        community_id=vote.community_id,
        payload={"receipt_hash": digest, "void": choice is None, "reason": text},
    )
    return resolution


def _count_paper(actor: Actor, vote: Vote) -> None:
    """Before counting (close_vote): every paper ballot settled, no more than were handed out,
    then each becomes a ballot like an online one (a random id, the choice, the receipt hash)."""
    if not vote.secret:
        return
    standing = paper_standing(vote)
    if standing.disputes:
        raise Conflict(
            "paper ballots are still in dispute: resolve them before closing",
            details={"disputes": len(standing.disputes)},
            code="paper_unresolved",
        )
    counted = standing.counted
    if len(counted) > standing.issued:
        raise Conflict(
            f"{len(counted)} paper ballots read, but only {standing.issued} were handed out",
            details={"counted": len(counted), "issued": standing.issued},
            code="paper_exceeds_issued",
        )
    for digest, choice in counted.items():
        stored = voting.insert_ignoring_duplicates(
            SecretBallot,
            {
                "vote_id": vote.id,
                "id": secrets.token_hex(16),
                "choice": choice,
                "receipt_hash": digest,
            },
        )
        if not stored:
            raise Conflict(
                "a paper ballot's receipt is already in the ledger",
                details={"receipt_hash": digest},
                code="receipt_taken",
            )


# ---------------------------------------------------------------- show of hands


def _names(values: Sequence[str], field: str) -> list[str]:
    cleaned = [str(v).strip() for v in values if str(v).strip()]
    if not cleaned or len(cleaned) > MAX_NAMES or any(len(n) > 100 for n in cleaned):
        raise Invalid(
            "name the scrutineers and counters",
            details={field: "one or more names, each short"},
            code="names_required",
        )
    return cleaned


def latest_hand_count(vote: Vote) -> HandCount | None:
    rows = list(
        db.session.execute(
            select(HandCount).where(HandCount.vote_id == vote.id).order_by(HandCount.id)
        ).scalars()
    )
    replaced = {r.previous_id for r in rows if r.previous_id is not None}
    current = [r for r in rows if r.id not in replaced]
    return current[-1] if current else None


def record_hands(
    actor: Actor,
    vote: Vote,
    *,
    counts: Mapping[str, int],
    scrutineers: Sequence[str],
    counters: Sequence[str],
    reason: str | None = None,
) -> HandCount:
    """The totals of a show of hands (named votes), with who watched and who counted. Entering
    them again is a correction: it needs a reason and replaces the earlier totals on record."""
    require(actor, "votes:paper:enter", vote.community_id)
    vote = voting.get_vote(actor, vote.id, lock="update")
    vote.require(VoteState.OPEN, "record a show of hands")
    if vote.secret:
        raise Invalid(
            "a secret vote is not taken by a show of hands",
            details={"vote_id": "a secret vote"},
            code="hands_not_secret",
        )
    unknown = [k for k in counts if k not in vote.options]
    bad = [k for k, v in counts.items() if isinstance(v, bool) or not isinstance(v, int) or v < 0]
    if unknown or bad:
        raise Invalid(
            "the totals are not valid",
            details={"counts": "a whole number of 0 or more for options of the vote"},
            code="invalid_counts",
        )
    totals = {o: int(counts.get(o, 0)) for o in vote.options}
    others = int(
        db.session.execute(
            select(func.count(Participation.id)).where(Participation.vote_id == vote.id)
        ).scalar_one()
    )
    roll = vote.eligible or 0
    if sum(totals.values()) + others > roll:
        raise Conflict(
            f"{sum(totals.values())} hands and {others} other ballots exceed the {roll} on the "
            "roll (those present when the vote opened)",
            details={"hands": sum(totals.values()), "other_ballots": others, "roll": roll},
            code="exceeds_present",
        )
    previous = latest_hand_count(vote)
    why = (reason or "").strip() or None
    if previous is not None and why is None:
        raise Invalid(
            "a correction of the totals needs its reason",
            details={"reason": "required for a correction"},
            code="reason_required",
        )
    row = HandCount(
        vote_id=vote.id,
        counts_json=json.dumps(totals, ensure_ascii=False),
        scrutineers=json.dumps(_names(scrutineers, "scrutineers"), ensure_ascii=False),
        counters=json.dumps(_names(counters, "counters"), ensure_ascii=False),
        previous_id=previous.id if previous else None,
        reason=why,
        entered_by=actor.user_id,
        entered_at=clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "votes:hands:record",
        "vote",
        vote.id,
        community_id=vote.community_id,
        payload={
            "counts": totals,
            "scrutineers": json.loads(row.scrutineers),
            "counters": json.loads(row.counters),
            "replaces": row.previous_id,
            "reason": why,
        },
    )
    return row


def _hands(vote: Vote) -> Counter[str]:
    current = latest_hand_count(vote)
    return Counter(current.counts) if current else Counter()


def _void(vote: Vote) -> int:
    """Paper ballots settled as void: returned, so among those who voted (SEM-5)."""
    if not vote.secret:
        return 0
    return sum(1 for choice in paper_standing(vote).resolved.values() if choice is None)


voting.BEFORE_CLOSE.append(_count_paper)
voting.EXTRA_COUNTS.append(_hands)
voting.VOID_COUNTS.append(_void)
