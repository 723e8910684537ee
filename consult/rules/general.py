"""`general`: Robert's Rules of Order (RR-* rows of RULES.md), for procedural motions and for
bodies no statute governs (a deliberation council that adopts them, for instance).

Majority of votes cast, abstentions not counted (RR-03); a tie fails (RR-04); two-thirds of votes
cast for closing or limiting debate, suspending the rules and the like (RR-05); quorum a majority
of the membership (RR-08). All of it is practice, not statute: statutory meetings use their own
rule set, and may use these bases only for procedural motions (RULES.md §2.6).
"""

from __future__ import annotations

from datetime import date

from consult.rules._build import MAJORITY_OF_VOTES_CAST, consultation, ge, gt, procedural, variant
from consult.rules._build import make_rule_set as _make
from consult.rules.citations import POL_05, RR_03, RR_08, RR_12
from consult.rules.model import (
    BodyInfo,
    BodyKind,
    DecisionRule,
    DecisionType,
    MemberKind,
    Members,
    Name,
    QuorumAlternative,
    RuleSet,
    RuleSetKind,
)
from consult.rules.thresholds import Basis

B = BodyKind
D = DecisionType

NAMES = {
    B.RESIDENTS_MEETING: Name("全体大会", "general assembly"),
    B.REPRESENTATIVE_COUNCIL: Name("代表会议", "representative council"),
    B.GROUP_MEETING: Name("小组会议", "group meeting"),
    B.COMMITTEE: Name("委员会", "committee"),
    B.SUPERVISORY_COUNCIL: Name("监督委员会", "supervisory committee"),
    B.MEMBERS_MEETING: Name("成员大会", "members' meeting"),
}


def _body(rs: str, body: BodyKind) -> list[DecisionRule]:
    ordinary = DecisionRule(
        rule_set_id=rs,
        body=body,
        decision_type=D.ORDINARY,
        body_name=NAMES[body],
        members=Members(MemberKind.BODY_MEMBERS, "该机构的成员", "the members of the body"),
        quorum=(
            QuorumAlternative(
                MemberKind.BODY_MEMBERS,
                gt(1, 2, Basis.BODY_MEMBERS),  # RR-08: a majority of the membership
                Name("成员", "the members"),
            ),
        ),
        quorum_citation=RR_08,
        threshold=MAJORITY_OF_VOTES_CAST,  # RR-03; RR-04: a tie is not a majority
        citation=RR_03,
    )
    return [
        ordinary,
        # RR-12: amending the bylaws takes previous notice and two-thirds of votes cast.
        variant(
            ordinary, D.CHARTER, threshold=ge(2, 3, Basis.VOTES_CAST_EXCL_ABSTAIN), citation=RR_12
        ),
        variant(ordinary, D.ELECTION),  # RR-03: a majority of votes cast; no plurality (RR-07)
        procedural(ordinary),
        consultation(ordinary, POL_05),
    ]


def general() -> RuleSet:
    rs = "general"
    statutory = "a statutory decision: use the community's rule set in force on the date"
    refusals: dict[tuple[BodyKind, DecisionType | None], str] = {}
    for body in BodyKind:
        for dtype in (
            D.MAJOR,
            D.COLLECTIVE_PROPERTY,
            D.LAND_CONTRACTING,
            D.RECALL,
            D.EVALUATION,
        ):
            refusals[(body, dtype)] = statutory
    return _make(
        id=rs,
        kind=RuleSetKind.GENERAL,
        title=Name("罗伯特议事规则（惯例）", "Robert's Rules of Order (practice)"),
        effective_from=date.min,
        effective_to=None,
        bodies=[BodyInfo(b, NAMES[b]) for b in BodyKind],
        rules=[rule for b in BodyKind for rule in _body(rs, b)],
        refusals=refusals,
    )
