"""Judging a meeting and a vote from plain counts.

    rule = get_rule_set("village-2026").rule_for("residents_meeting", "ordinary")
    ev = evaluate(rule, Counts(members=800, present=401, yes=200, no=100, abstain=101))
    ev.quorum.met, ev.quorum.required      -> True, 401
    ev.votes_required, ev.outcome          -> 201, Outcome.REJECTED
    ev.as_dict()   -> {"outcome": "rejected", "rule": {"id", "quorum", "basis", ...}}

`Counts` is everything the engine needs:

- `members`: the membership in persons: adults (or registered voters, or capable members) for
  an assembly, the members of a council or committee, the group representatives (urban-1990);
- `households`, `present_households`: for the household alternative (household mode);
- `present`: persons present, proxies' principals included. For elections and recalls, whose
  quorum is turnout, `voted` (those who returned a ballot; it defaults to `present`);
- `yes`, `no`, `abstain`: the votes (for an election, the votes of one candidate are `yes`);
- `ballots_cast`: for the supplementary round's one-third (defaults to `voted`).

The base of each basis: eligible / body_members / all_members → `members`; households →
`households`; present → `present`; voted → `voted`; ballots_cast → `ballots_cast`;
votes_cast_excl_abstain → `yes + no`. So abstentions and non-votes count against whenever the
basis is not votes cast (RULES.md "How to encode" 3), and a tie never adopts.

Quorum: the alternatives of the rule (filtered by the body's `mode` if given) are tried in
order; the quorum is met if any is met. `QuorumStatus` reports the first alternative that is met
(or the first that applies), in its unit: persons, or households.

Outcome: `not_binding` for a consultation (D17), else `no_quorum`, else `adopted` or `rejected`.
A meeting with nobody present is never quorate and nothing is adopted on a base of 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from consult.rules.citations import localized
from consult.rules.errors import InvalidCounts, NotAvailable
from consult.rules.model import DecisionRule, Mode, QuorumAlternative, parse_mode
from consult.rules.thresholds import (
    Basis,
    Threshold,
    Unit,
    is_met,
    minimum_count,
    minimum_yes_of_votes_cast,
    threshold_en,
    threshold_zh,
)


class Outcome(StrEnum):
    ADOPTED = "adopted"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"
    NOT_BINDING = "not_binding"  # a consultation: recorded, not decided (D17)


@dataclass(frozen=True)
class Counts:
    members: int
    present: int
    yes: int = 0
    no: int = 0
    abstain: int = 0
    households: int | None = None
    present_households: int | None = None
    voted: int | None = None
    ballots_cast: int | None = None

    def __post_init__(self) -> None:
        for name in (
            "members",
            "present",
            "yes",
            "no",
            "abstain",
            "households",
            "present_households",
            "voted",
            "ballots_cast",
        ):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value < 0):
                raise InvalidCounts(f"{name} must be a whole number of at least 0, not {value!r}")
        if self.present > self.members:
            raise InvalidCounts(f"{self.present} present out of {self.members} members")
        if (self.households is None) != (self.present_households is None):
            raise InvalidCounts("households and present_households are given together")
        if (
            self.households is not None
            and self.present_households is not None
            and self.present_households > self.households
        ):
            raise InvalidCounts(
                f"{self.present_households} households present out of {self.households}"
            )
        if self.voters > self.members:
            raise InvalidCounts(f"{self.voters} voted out of {self.members} members")
        votes = self.yes + self.no + self.abstain
        if votes > self.voters:
            raise InvalidCounts(
                f"{votes} votes (yes {self.yes}, no {self.no}, abstain {self.abstain}) "
                f"from {self.voters} voters"
            )
        if self.yes > self.ballots:
            raise InvalidCounts(f"{self.yes} votes from {self.ballots} ballots cast")

    @property
    def voters(self) -> int:
        """Those who voted: `voted`, or everyone present when not given."""
        return self.present if self.voted is None else self.voted

    @property
    def ballots(self) -> int:
        return self.voters if self.ballots_cast is None else self.ballots_cast

    def base(self, basis: Basis) -> int:
        """The count a share of `basis` is taken of."""
        if basis in (Basis.ELIGIBLE, Basis.BODY_MEMBERS, Basis.ALL_MEMBERS):
            return self.members
        if basis is Basis.HOUSEHOLDS:
            if self.households is None:
                raise InvalidCounts("this rule counts households: give households")
            return self.households
        if basis is Basis.PRESENT:
            return self.present
        if basis is Basis.VOTED:
            return self.voters
        if basis is Basis.BALLOTS_CAST:
            return self.ballots
        return self.yes + self.no  # votes cast excluding abstentions (RR-03)

    def attending(self, alternative: QuorumAlternative) -> int:
        """Who counts toward a quorum alternative, in its unit."""
        if alternative.unit is Unit.HOUSEHOLDS:
            if self.present_households is None:
                raise InvalidCounts("this quorum counts households: give present_households")
            return self.present_households
        return self.voters if alternative.counts_voters else self.present


@dataclass(frozen=True)
class QuorumStatus:
    """Whether a meeting is quorate, in the unit of the alternative reported."""

    rule: DecisionRule
    alternative: QuorumAlternative | None  # None: the decision needs no quorum
    members: int
    present: int
    required: int
    met: bool
    mode: Mode | None = None

    @property
    def unit(self) -> Unit:
        return self.alternative.unit if self.alternative else Unit.PERSONS

    def as_dict(self, locale: str | None = None) -> dict[str, object]:
        """`GET /meetings/{id}/quorum`: {"members", "present", "required", "met", "rule"}."""
        citation = self.rule.quorum_citation or self.rule.citation
        return {
            "members": self.members,
            "present": self.present,
            "required": self.required,
            "met": self.met,
            "unit": self.unit.value,
            "rule": {
                "id": citation.rule_id,
                "citation": citation.text(locale),
                "rule_set": self.rule.rule_set_id,
                "quorum": self.rule.quorum_words(locale, self.mode),
                "practice": citation.practice,
            },
        }


def _applicable(
    rule: DecisionRule, counts: Counts, mode: Mode | str | None
) -> list[QuorumAlternative]:
    alternatives = list(rule.quorum_for(mode))
    if mode is None:
        # Without a mode, the household alternative applies only when households were counted.
        alternatives = [
            a for a in alternatives if a.unit is Unit.PERSONS or counts.households is not None
        ]
    return alternatives


def quorum_status(
    rule: DecisionRule, counts: Counts, mode: Mode | str | None = None
) -> QuorumStatus:
    """Whether the meeting is quorate for `rule`; `mode` is the body's mode, if it has one."""
    alternatives = _applicable(rule, counts, mode)
    wanted = parse_mode(mode) if mode is not None else None
    if not rule.quorum:
        return QuorumStatus(rule, None, counts.members, counts.present, 0, True, wanted)
    if not alternatives:
        raise NotAvailable(f"{rule.rule_set_id}: no quorum alternative applies to these counts")
    statuses = []
    for alternative in alternatives:
        base = counts.base(alternative.threshold.basis)
        attending = counts.attending(alternative)
        met = is_met(alternative.threshold, attending, base)
        required = minimum_count(alternative.threshold, base)
        statuses.append(QuorumStatus(rule, alternative, base, attending, required, met, wanted))
    return next((s for s in statuses if s.met), statuses[0])


@dataclass(frozen=True)
class Evaluation:
    """The judgment of one vote (or one candidate's votes) under `rule`."""

    rule: DecisionRule
    counts: Counts
    quorum: QuorumStatus
    outcome: Outcome
    threshold: Threshold | None  # the pass threshold applied (supplementary round's if so)
    base: int | None  # the base of the threshold with these counts
    votes_required: int | None  # least yes votes that pass; None if none can (or not binding)

    @property
    def quorum_met(self) -> bool:
        return self.quorum.met

    @property
    def required_present(self) -> int:
        """The smallest number present (in the quorum's unit) that meets the quorum."""
        return self.quorum.required

    @property
    def adopted(self) -> bool:
        return self.outcome is Outcome.ADOPTED

    @property
    def basis(self) -> Basis | None:
        return self.threshold.basis if self.threshold else None

    def threshold_words(self, locale: str | None = None) -> str:
        if self.threshold is None:
            return self.rule.threshold_words(locale)
        return localized(threshold_zh(self.threshold), threshold_en(self.threshold), locale)

    def as_dict(self, locale: str | None = None) -> dict[str, object]:
        """The vote result: {"outcome", "rule": {"id", "quorum", "basis", "threshold", "citation"}}.

        Strings are in `locale` ("zh" or "en"), or both when None; extra keys may be added.
        """
        citation = self.rule.citation
        return {
            "outcome": self.outcome.value,
            "quorum_met": self.quorum.met,
            "required_present": self.quorum.required,
            "votes_required": self.votes_required,
            "rule": {
                "id": citation.rule_id,
                "quorum": self.rule.quorum_words(locale, self.quorum.mode),
                "basis": self.basis.value if self.basis else None,
                "threshold": self.threshold_words(locale),
                "citation": citation.text(locale),
                "rule_set": self.rule.rule_set_id,
                "abstentions": self.rule.abstentions.value,
                "practice": self.rule.practice,
            },
        }


def votes_required(threshold: Threshold, counts: Counts) -> int | None:
    """The fewest yes votes that pass with these counts; None if no number can."""
    if threshold.basis is Basis.VOTES_CAST_EXCL_ABSTAIN:
        return minimum_yes_of_votes_cast(threshold, counts.no)
    return minimum_count(threshold, counts.base(threshold.basis))


def evaluate(
    rule: DecisionRule,
    counts: Counts,
    mode: Mode | str | None = None,
    *,
    supplementary: bool = False,
) -> Evaluation:
    """Judge a vote: quorum first, then the pass threshold (or not binding, for consultations).

    `supplementary=True` judges a candidate in an election's supplementary round (另行选举):
    the caller ranks the candidates; the engine checks the one-third floor (URC25-12, VC25-07).
    """
    status = quorum_status(rule, counts, mode)
    threshold = rule.threshold
    if supplementary:
        if rule.supplementary is None:
            raise NotAvailable(
                f"{rule.rule_set_id}: {rule.decision_type} has no supplementary round"
            )
        threshold = rule.supplementary
    if threshold is None:
        return Evaluation(rule, counts, status, Outcome.NOT_BINDING, None, None, None)
    base = counts.base(threshold.basis)
    if counts.yes > base:
        raise InvalidCounts(f"{counts.yes} yes votes exceed the base of {base} ({threshold.basis})")
    needed = votes_required(threshold, counts)
    if not status.met:
        outcome = Outcome.NO_QUORUM
    elif is_met(threshold, counts.yes, base):
        outcome = Outcome.ADOPTED
    else:
        outcome = Outcome.REJECTED
    return Evaluation(rule, counts, status, outcome, threshold, base, needed)
