"""Elections on an agenda item: the ballot (the standing candidates, at most `seats` marks), and
the statutory count (URC25-11/12, VC25-07: 双过半; the supplementary round 另行选举 by plurality
with at least a third of the ballots; LOC-06: a tie for the last seat is voted again).

A ballot's choice is stored, and published in the ledger, as the canonical JSON list of the
candidates marked, sorted (`[]` for a blank ballot): the ledger's counts are per distinct
ballot, and anyone recomputes each candidate's votes from them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from consult.actor import Actor
from consult.crypto.canonical import canonical_json
from consult.errors import Invalid
from consult.extensions import db
from consult.meetings.candidates import list_candidates
from consult.meetings.models import AgendaItem
from consult.registry.models import Community, Household, Resident
from consult.rules.model import DecisionRule, Mode
from consult.rules.quorum import Counts, Outcome, evaluate


def secret_ballot_rule(community: Community) -> str:
    """The article that makes an election a secret ballot (无记名投票)."""
    return "URC25-13" if community.kind == "urban" else "VC25-08"


def ballot_of(
    actor: Actor,
    item: AgendaItem,
    community: Community,
    *,
    seats: int | None,
    candidates: Sequence[int] | None,
) -> tuple[list[str], list[int]]:
    """(names on the ballot, their resident ids) for an election on `item`: the standing
    candidates (or the chosen ones, for a supplementary round), more than the seats (差额,
    URC25-10 / VC25-06). Namesakes are told apart by their household number."""
    if seats is None or seats < 1:
        raise Invalid(
            "an election needs the number of seats to fill",
            details={"seats": "a whole number of at least 1"},
            code="seats_required",
        )
    standing = [
        (c.resident_id, name) for c, name in list_candidates(actor, item) if not c.is_withdrawn
    ]
    if candidates is not None:
        chosen = list(dict.fromkeys(candidates))
        unknown = [c for c in chosen if c not in {r for r, _ in standing}]
        if unknown:
            raise Invalid(
                "only standing candidates of this item can be on the ballot",
                details={"candidates": unknown},
                code="not_a_candidate",
            )
        standing = [(r, n) for r, n in standing if r in chosen]
    if len(standing) <= seats:
        rule = "URC25-10" if community.kind == "urban" else "VC25-06"
        raise Invalid(
            f"{len(standing)} candidates for {seats} seats: there must be more candidates than "
            f"seats (差额选举, {rule})",
            details={"candidates": len(standing), "seats": seats, "rule": rule},
            code="not_enough_candidates",
        )
    names = [n for _, n in standing]
    repeated = {n for n in names if names.count(n) > 1}
    if repeated:
        households = dict(
            db.session.execute(
                select(Resident.id, Household.code)
                .join(Household, Household.id == Resident.household_id)
                .where(Resident.id.in_([r for r, _ in standing]))
            ).all()
        )
        names = [f"{n}（{households[r]}）" if n in repeated else n for r, n in standing]
    return names, [r for r, _ in standing]


def marks_choice(options: Sequence[str], seats: int, marks: Sequence[str] | None) -> str:
    """The stored choice of an election ballot: the marks, checked, as canonical JSON."""
    chosen = list(marks or [])
    if len(set(chosen)) != len(chosen):
        raise Invalid("a candidate is marked twice", code="invalid_choice")
    unknown = [m for m in chosen if m not in options]
    if unknown:
        raise Invalid(
            "only the candidates on the ballot can be marked",
            details={"marks": unknown},
            code="invalid_choice",
        )
    if len(chosen) > seats:
        raise Invalid(
            f"at most {seats} marks on this ballot (the seats to fill)",
            details={"marks": f"{len(chosen)} marked, at most {seats}"},
            code="too_many_marks",
        )
    return canonical_json(sorted(chosen))


def marks_of(choice: str) -> list[str]:
    return [str(m) for m in json.loads(choice)]


def tally_election(
    options: Sequence[str],
    seats: int,
    supplementary: bool,
    ballots: Counter[str],
    base: Counts,
    rule: DecisionRule,
    mode: Mode | None,
) -> dict[str, Any]:
    """Judge every candidate under the rule and fill the seats in order of votes. A tie for the
    last seat elects none of the tied (LOC-06: they are voted on again); unfilled seats go to a
    supplementary round among the best-placed of those not elected."""
    votes = Counter(dict.fromkeys(options, 0))
    for choice, n in ballots.items():
        for mark in marks_of(choice):
            votes[mark] += n
    judged = {
        name: evaluate(rule, replace(base, yes=votes[name]), mode, supplementary=supplementary)
        for name in options
    }
    first = judged[options[0]]
    valid = first.quorum.met
    passing = sorted(
        (n for n in options if judged[n].outcome is Outcome.ADOPTED),
        key=lambda n: (-votes[n], options.index(n)),
    )
    elected: list[str] = []
    tied: list[str] = []
    if valid:
        if len(passing) <= seats:
            elected = passing
        else:
            cut = votes[passing[seats - 1]]
            if votes[passing[seats]] == cut:
                elected = [n for n in passing if votes[n] > cut]
                tied = [n for n in passing if votes[n] == cut]
            else:
                elected = passing[:seats]
    unfilled = seats - len(elected)
    if not valid:
        outcome = Outcome.NO_QUORUM
    elif unfilled == 0:
        outcome = Outcome.ADOPTED
    else:
        outcome = Outcome.REJECTED
    others = sorted(
        (n for n in options if n not in elected), key=lambda n: (-votes[n], options.index(n))
    )
    next_round: list[str] = []
    if tied:
        next_round = tied
    elif unfilled and valid:
        # The best-placed of those not elected, one more than the seats left (差额); all who
        # tie for the last place among them go on too, rather than the ballot's order deciding.
        cut = votes[others[min(unfilled, len(others) - 1)]] if others else 0
        next_round = [n for n in others if votes[n] >= cut]
    return {
        "counts": {o: votes[o] for o in options},
        "ballots": {c: ballots[c] for c in sorted(ballots)},
        "blank": ballots.get("[]", 0),
        "seats": seats,
        "supplementary": supplementary,
        "elected": elected,
        "tied": tied,
        "unfilled_seats": unfilled if valid else seats,
        "next_round": next_round,
        "outcome": outcome.value,
        "winner": None,
        "quorum": {
            "members": first.quorum.members,
            "present": first.quorum.present,
            "required": first.quorum.required,
            "met": first.quorum.met,
            "unit": first.quorum.unit.value,
        },
        "votes_required": first.votes_required,
        "rule": first.as_dict("zh")["rule"],
        "rule_en": first.as_dict("en")["rule"],
    }
