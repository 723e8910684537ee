"""The vocabulary of rule sets: bodies, decision types, and the rule for one decision.

A `RuleSet` (see `consult.rules.rulesets` for the catalogue) maps each (body kind, decision type)
it allows to a `DecisionRule`, which says everything the product needs about that decision:

- `members`: who the members are (machine value and description);
- `quorum`: the alternatives (persons OR households...), met if any one is met;
- `threshold`: the pass threshold with its basis (None for a non-binding consultation);
- `abstentions` (count against unless the basis is votes cast) and `ties` (always fail);
- `demand`: the shares whose request obliges the committee to convene (or to start a recall);
- `notice`: the notice period in days; `voter_roll`: days the voter roll is published before;
- `gates`: Party-organization review, supervisory committee invited or presiding, publication;
- `proxies`: whether proxies are allowed and their limits;
- `citation` (the pass rule), `quorum_citation`, `also` (powers, gates): rule id, law, article.

Names (body kinds, decision types, modes) are those of INTERFACES.md §3 and must not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from consult.rules.citations import RR_05, RR_11, Citation, localized
from consult.rules.errors import NotAvailable
from consult.rules.thresholds import (
    Basis,
    Op,
    Threshold,
    Unit,
    check_share,
    threshold_en,
    threshold_zh,
    words_en,
    words_zh,
)


class BodyKind(StrEnum):
    """INTERFACES.md §3 body kinds."""

    RESIDENTS_MEETING = "residents_meeting"  # 居民会议 / 村民会议 (all adults or households)
    REPRESENTATIVE_COUNCIL = "representative_council"  # 居民代表会议 / 村民代表会议 / 成员代表大会
    GROUP_MEETING = "group_meeting"  # 村民小组会议
    COMMITTEE = "committee"  # 居民委员会 / 村民委员会 / 理事会
    SUPERVISORY_COUNCIL = "supervisory_council"  # 居务监督委员会 / 村务监督委员会
    MEMBERS_MEETING = "members_meeting"  # 集体经济组织成员大会


class DecisionType(StrEnum):
    """INTERFACES.md §3 agenda item decision types."""

    ORDINARY = "ordinary"
    MAJOR = "major"  # a reserved / important matter: Party-organization review first
    CHARTER = "charter"  # 自治章程 (居民公约 under the 2018 urban text)
    COLLECTIVE_PROPERTY = "collective_property"
    LAND_CONTRACTING = "land_contracting"
    ELECTION = "election"
    RECALL = "recall"
    EVALUATION = "evaluation"  # 民主评议
    PROCEDURAL = "procedural"  # a motion on the conduct of the meeting (Robert's Rules)
    CONSULTATION = "consultation"  # non-binding (D17)


class Mode(StrEnum):
    """How a residents' or villagers' meeting is composed (INTERFACES.md §3 body `mode`)."""

    ALL_ADULTS = "all_adults"
    HOUSEHOLDS = "households"
    GROUP_REPRESENTATIVES = "group_representatives"  # urban-1990 only (URC18-04)


class MemberKind(StrEnum):
    """Who the members of a decision are, as a machine value."""

    ALL_ADULTS = "all_adults"  # residents / villagers aged 18 or over
    HOUSEHOLDS = "households"  # one representative per household
    BODY_MEMBERS = "body_members"  # the members of a council or committee
    REGISTERED_VOTERS = "registered_voters"  # the voter roll
    CAPABLE_MEMBERS = "capable_members"  # collective members with full civil capacity (COL-01)


class Population(StrEnum):
    """Whose share a demand threshold counts."""

    ADULTS = "adults"
    HOUSEHOLDS = "households"
    REPRESENTATIVES = "representatives"
    RESIDENTS_GROUPS = "residents_groups"
    VOTERS = "voters"


class GateKind(StrEnum):
    PARTY_REVIEW = "party_review"  # VC25-17, URC25-28, COL-03
    SUPERVISORY_INVITED = "supervisory_invited"  # URC25-35, VC25-30
    SUPERVISORY_CHAIRS = "supervisory_chairs"  # democratic evaluation: URC25-36, VC25-31
    PUBLISH_DECISION = "publish_decision"  # URC25-32 (1), VC25-26 (1)


class ProxyHolder(StrEnum):
    """Who may hold a proxy."""

    ANY_VOTER = "any_voter"  # URC25-14: another voter of the community
    CLOSE_RELATIVE_OR_VILLAGER = "close_relative_or_villager"  # VC25-09
    CLOSE_RELATIVE = "close_relative"  # VC18-03
    SAME_HOUSEHOLD = "same_household"  # COL-05


class Abstentions(StrEnum):
    COUNT_AGAINST = "count_against"  # the base includes them: present, voted, all members
    IGNORED = "ignored"  # Robert's Rules: votes cast excluding abstentions
    NOT_APPLICABLE = "not_applicable"  # a consultation is not a binding vote


class Motion(StrEnum):
    """Procedural motions (D16); those in TWO_THIRDS_MOTIONS need two-thirds of votes cast."""

    ADOPT_AGENDA = "adopt_agenda"
    AMEND = "amend"
    POSTPONE = "postpone"
    REFER = "refer"
    RECESS = "recess"
    ADJOURN = "adjourn"
    CLOSE_DEBATE = "close_debate"
    LIMIT_DEBATE = "limit_debate"
    EXTEND_DEBATE = "extend_debate"
    SUSPEND_RULES = "suspend_rules"
    OBJECT_TO_CONSIDERATION = "object_to_consideration"
    CLOSE_NOMINATIONS = "close_nominations"
    RESCIND = "rescind"


# RR-05: two-thirds of votes cast; RR-11: rescind without previous notice.
TWO_THIRDS_MOTIONS = frozenset(
    {
        Motion.CLOSE_DEBATE,
        Motion.LIMIT_DEBATE,
        Motion.EXTEND_DEBATE,
        Motion.SUSPEND_RULES,
        Motion.OBJECT_TO_CONSIDERATION,
        Motion.CLOSE_NOMINATIONS,
        Motion.RESCIND,
    }
)

BODY_NAMES_EN = {
    BodyKind.RESIDENTS_MEETING: "residents' or villagers' meeting",
    BodyKind.REPRESENTATIVE_COUNCIL: "representative meeting",
    BodyKind.GROUP_MEETING: "villagers' group meeting",
    BodyKind.COMMITTEE: "committee",
    BodyKind.SUPERVISORY_COUNCIL: "supervisory committee",
    BodyKind.MEMBERS_MEETING: "members' general meeting",
}
DECISION_NAMES = {
    DecisionType.ORDINARY: ("一般事项", "ordinary matter"),
    DecisionType.MAJOR: ("重要事项", "major (reserved) matter"),
    DecisionType.CHARTER: ("自治章程", "charter"),
    DecisionType.COLLECTIVE_PROPERTY: ("集体财产事项", "collective property matter"),
    DecisionType.LAND_CONTRACTING: ("土地承包事项", "land contracting matter"),
    DecisionType.ELECTION: ("选举", "election"),
    DecisionType.RECALL: ("罢免", "recall"),
    DecisionType.EVALUATION: ("民主评议", "democratic evaluation"),
    DecisionType.PROCEDURAL: ("程序性动议", "procedural motion"),
    DecisionType.CONSULTATION: ("协商", "consultation"),
}


def parse_mode(mode: Mode | str) -> Mode:
    try:
        return Mode(mode)
    except ValueError:
        raise NotAvailable(f"unknown body mode {mode!r}") from None


@dataclass(frozen=True)
class Name:
    zh: str
    en: str

    def text(self, locale: str | None = None) -> str:
        return localized(self.zh, self.en, locale)


@dataclass(frozen=True)
class Members:
    kind: MemberKind
    zh: str
    en: str


@dataclass(frozen=True)
class QuorumAlternative:
    """One way to be quorate: `threshold` of `population` attend (or vote, for elections).

    `mode` ties the alternative to a body mode (all adults / households / group
    representatives); None means it applies whatever the mode (councils, committees).
    """

    members: MemberKind
    threshold: Threshold
    population: Name
    mode: Mode | None = None
    counts_voters: bool = False  # elections and recalls: turnout, those who voted

    @property
    def unit(self) -> Unit:
        return self.threshold.unit

    @property
    def zh(self) -> str:
        verb = "投票" if self.counts_voters else "参加"
        return words_zh(self.threshold, self.population.zh) + verb

    @property
    def en(self) -> str:
        verb = "vote" if self.counts_voters else "attend"
        return f"{words_en(self.threshold, self.population.en)} {verb}"


@dataclass(frozen=True)
class Demand:
    """A share of `population` whose joint request obliges the committee to act."""

    population: Population
    op: Op
    num: int
    den: int
    population_name: Name
    citation: Citation

    def __post_init__(self) -> None:
        check_share(self.op, self.num, self.den)

    @property
    def zh(self) -> str:
        return words_zh(self, self.population_name.zh)

    @property
    def en(self) -> str:
        return words_en(self, self.population_name.en)


@dataclass(frozen=True)
class Notice:
    """Notice before the meeting, in whole days (SEM-3: counted from the next day)."""

    days: int
    citation: Citation | None
    short_notice_allowed: bool = False  # "遇有特殊情况的，可以临时通知"
    with_agenda: bool = False  # COL-04: time, place and agenda


@dataclass(frozen=True)
class Period:
    days: int
    citation: Citation


@dataclass(frozen=True)
class ProxyRule:
    allowed: bool
    citation: Citation | None = None
    max_per_holder: int | None = None  # None: the statute sets no cap
    holder: ProxyHolder | None = None
    candidates_may_hold: bool = False
    in_writing: bool = True
    # The statute sets these limits for elections; consult applies them to the meeting's votes.
    by_analogy: bool = False


NO_PROXIES = ProxyRule(allowed=False)


@dataclass(frozen=True)
class Gate:
    kind: GateKind
    citation: Citation


@dataclass(frozen=True)
class BodyInfo:
    kind: BodyKind
    name: Name
    min_meetings_per_year: int | None = None
    frequency_citation: Citation | None = None


@dataclass(frozen=True)
class DecisionRule:
    """Everything about one decision type of one body under one rule set."""

    rule_set_id: str
    body: BodyKind
    decision_type: DecisionType
    body_name: Name
    members: Members
    quorum: tuple[QuorumAlternative, ...]
    quorum_citation: Citation | None
    threshold: Threshold | None  # None: not binding (consultation)
    citation: Citation
    supplementary: Threshold | None = None  # election: supplementary round (另行选举)
    demand: tuple[Demand, ...] = ()
    notice: Notice | None = None
    voter_roll: Period | None = None
    proxies: ProxyRule = NO_PROXIES
    gates: tuple[Gate, ...] = ()
    delegated_from: BodyKind | None = None  # may decide only if that body delegated it
    motion: Motion | None = None
    also: tuple[Citation, ...] = ()
    overlays: tuple[str, ...] = ()  # ids of the overlays applied on top of the statute

    # -- plain facts --------------------------------------------------------------------------
    @property
    def rule_id(self) -> str:
        return self.citation.rule_id

    @property
    def binding(self) -> bool:
        return self.threshold is not None

    @property
    def basis(self) -> Basis | None:
        return self.threshold.basis if self.threshold else None

    @property
    def abstentions(self) -> Abstentions:
        if self.threshold is None:
            return Abstentions.NOT_APPLICABLE
        if self.threshold.abstentions_count_against:
            return Abstentions.COUNT_AGAINST
        return Abstentions.IGNORED

    @property
    def ties(self) -> str:
        """A tie never adopts: half is not "more than half" (SEM-2, RR-04)."""
        return "fail"

    @property
    def notice_days(self) -> int | None:
        return self.notice.days if self.notice else None

    def gate(self, kind: GateKind) -> Gate | None:
        return next((g for g in self.gates if g.kind is kind), None)

    @property
    def party_review_required(self) -> bool:
        return self.gate(GateKind.PARTY_REVIEW) is not None

    @property
    def supervisory_invited(self) -> bool:
        return self.gate(GateKind.SUPERVISORY_INVITED) is not None

    @property
    def supervisory_chairs(self) -> bool:
        return self.gate(GateKind.SUPERVISORY_CHAIRS) is not None

    @property
    def citations(self) -> tuple[Citation, ...]:
        """Every citation, the pass rule's first, without repeats."""
        seen: list[Citation] = []
        for c in (self.citation, self.quorum_citation, *self.also):
            if c is not None and c not in seen:
                seen.append(c)
        return tuple(seen)

    @property
    def practice(self) -> bool:
        """True when the pass rule or the quorum rests on practice, not statute."""
        return self.citation.practice or bool(
            self.quorum_citation and self.quorum_citation.practice
        )

    # -- quorum -------------------------------------------------------------------------------
    def quorum_for(self, mode: Mode | str | None = None) -> tuple[QuorumAlternative, ...]:
        """The quorum alternatives that apply to a body in `mode` (all of them for None)."""
        if mode is None or not self.quorum:
            return self.quorum
        wanted = parse_mode(mode)
        found = tuple(a for a in self.quorum if a.mode is None or a.mode is wanted)
        if not found:
            modes = ", ".join(sorted({a.mode.value for a in self.quorum if a.mode})) or "none"
            raise NotAvailable(
                f"{self.rule_set_id}: the {self.body_name.en} ({self.body_name.zh}) cannot take "
                f"{DECISION_NAMES[self.decision_type][1]} decisions ({self.decision_type.value}) "
                f"in {wanted.value} mode; modes allowed: {modes}"
            )
        return found

    # -- words --------------------------------------------------------------------------------
    def quorum_words(self, locale: str | None = None, mode: Mode | str | None = None) -> str:
        alternatives = self.quorum_for(mode)
        if not alternatives:
            return localized("无法定人数要求", "no quorum required", locale)
        zh = "，或者".join(a.zh for a in alternatives)
        en = ", or ".join(a.en for a in alternatives)
        return localized(zh, en, locale)

    def threshold_words(self, locale: str | None = None) -> str:
        if self.threshold is None:
            return localized(
                "不作表决，形成协商意见", "no binding vote: a consultation opinion", locale
            )
        return localized(threshold_zh(self.threshold), threshold_en(self.threshold), locale)


def with_motion(rule: DecisionRule, motion: Motion) -> DecisionRule:
    """A procedural rule for one motion: two-thirds of votes cast where RR-05 / RR-11 say so."""
    if motion not in TWO_THIRDS_MOTIONS:
        return replace(rule, motion=motion)
    citation = RR_11 if motion is Motion.RESCIND else RR_05
    two_thirds = Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GE, 2, 3)
    return replace(rule, motion=motion, threshold=two_thirds, citation=citation)


class RuleSetKind(StrEnum):
    URBAN = "urban"
    VILLAGE = "village"
    COLLECTIVE = "collective"
    GENERAL = "general"


@dataclass(frozen=True, eq=False)
class RuleSet:
    """A versioned set of rules, in force from `effective_from` to `effective_to` inclusive."""

    id: str
    kind: RuleSetKind
    title: Name
    effective_from: date
    effective_to: date | None
    bodies: Mapping[BodyKind, BodyInfo]
    rules: Mapping[tuple[BodyKind, DecisionType], DecisionRule]
    # Why a combination is refused, where a specific reason helps; (body, None) = the whole body.
    refusals: Mapping[tuple[BodyKind, DecisionType | None], str] = field(
        default_factory=lambda: MappingProxyType({})
    )
    statute_id: str | None = None  # for an overlaid rule set: the statutory rule set's id
    overlays: tuple[str, ...] = ()

    def is_in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def body(self, body: BodyKind | str) -> BodyInfo:
        kind = _body_kind(body)
        info = self.bodies.get(kind)
        if info is None:
            reason = self.refusals.get((kind, None), "")
            raise NotAvailable(
                f"{self.id}: there is no {BODY_NAMES_EN[kind]} ({kind.value}) under "
                f"{self.title.en}" + (f": {reason}" if reason else "")
            )
        return info

    def decision_types(self, body: BodyKind | str) -> tuple[DecisionType, ...]:
        """The decision types `body` may take, in the order of `DecisionType`."""
        kind = self.body(body).kind
        return tuple(d for d in DecisionType if (kind, d) in self.rules)

    def rule_for(
        self,
        body: BodyKind | str,
        decision_type: DecisionType | str,
        *,
        motion: Motion | str | None = None,
    ) -> DecisionRule:
        """The rule for one decision; raises NotAvailable for anything the texts do not give."""
        info = self.body(body)
        try:
            dtype = DecisionType(decision_type)
        except ValueError:
            raise NotAvailable(f"unknown decision type {decision_type!r}") from None
        rule = self.rules.get((info.kind, dtype))
        if rule is None:
            reason = self.refusals.get((info.kind, dtype), "")
            raise NotAvailable(
                f"{self.id}: the {info.name.en} ({info.name.zh}) cannot take "
                f"{DECISION_NAMES[dtype][1]} decisions ({dtype.value}) under {self.title.en}"
                + (f": {reason}" if reason else "")
            )
        if motion is None:
            return rule
        if dtype is not DecisionType.PROCEDURAL:
            raise NotAvailable(f"a motion ({motion}) applies only to procedural decisions")
        try:
            parsed = Motion(motion)
        except ValueError:
            raise NotAvailable(f"unknown procedural motion {motion!r}") from None
        return with_motion(rule, parsed)


def _body_kind(body: BodyKind | str) -> BodyKind:
    try:
        return BodyKind(body)
    except ValueError:
        raise NotAvailable(f"unknown body kind {body!r}") from None
