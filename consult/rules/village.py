"""Village rule sets: `village-2026` (村民委员会组织法, 2025 amendment, in force 2026-01-01) and
`village-2018` (the 2018 text, in force 2018-12-29 to 2025-12-31).

The two texts share most rules under different article numbers (RULES.md gives the 2018 number
in brackets: VC25-14 is Art. 26 [22]); the 2018 set cites the shared VC25 rows with their 2018
article, and its own VC18 rows where the texts differ. Land contracting thresholds come from the
Rural Land Contracting Law (LAND-01) under both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from consult.rules._build import (
    MORE_THAN_HALF_PRESENT,
    consultation,
    ge,
    gt,
    make_rule_set,
    procedural,
    variant,
)
from consult.rules.citations import (
    LAND_CONTRACTING,
    POL_05,
    VILLAGE_2018,
    VILLAGE_2025,
    Citation,
    Law,
)
from consult.rules.model import (
    BodyInfo,
    BodyKind,
    DecisionRule,
    DecisionType,
    Demand,
    Gate,
    GateKind,
    MemberKind,
    Members,
    Mode,
    Name,
    Notice,
    Period,
    Population,
    ProxyHolder,
    ProxyRule,
    QuorumAlternative,
    RuleSet,
    RuleSetKind,
)
from consult.rules.thresholds import Basis, Op

B = BodyKind
D = DecisionType

# LAND-01: 本集体经济组织成员的村民会议三分之二以上成员或者三分之二以上村民代表的同意.
# "成员" is read as all members, not those present (the prevailing reading; RULES.md §2.3 note).
LAND_01 = Citation("LAND-01", LAND_CONTRACTING, 19, item=3)

VILLAGERS = Name("本村十八周岁以上村民", "the villagers aged 18 or over")
HOUSEHOLDS = Name("本村的户的代表", "the household representatives of the village")
VOTERS = Name("登记参加选举的村民", "the registered voters")
VILLAGERS_DEMAND = Name("本村村民", "the villagers")
REPRESENTATIVES = Name("村民代表", "the villagers' representatives")
MEETING_MEMBERS = Name("村民代表会议组成人员", "the members of the representative meeting")
GROUP_VILLAGERS = Name("本村民小组十八周岁以上的村民", "the group's villagers aged 18 or over")
GROUP_HOUSEHOLDS = Name("本村民小组的户的代表", "the group's household representatives")


@dataclass(frozen=True)
class _Edition:
    """The citations of one text; None where the text has no such rule."""

    id: str
    law: Law
    voter_roll: Citation  # VC25-05
    election: Citation  # VC25-07
    proxies: Citation  # VC25-09 / VC18-03
    recall: Citation  # VC25-10
    convening: Citation  # VC25-13
    quorum: Citation  # VC25-14
    reserved: Citation  # VC25-16 / VC18-01
    party_review: Citation | None  # VC25-17
    collective: Citation | None  # VC25-18
    rep_composition: Citation  # VC25-19
    rep_convening: Citation  # VC25-20
    rep_quorum: Citation  # VC25-21
    charter: Citation  # VC25-22
    group: Citation  # VC25-23
    consultation: Citation  # VC25-24, or the 2015 opinion (practice) before 2026
    committee: Citation  # VC25-25 (numbers are practice)
    disclosure: Citation  # VC25-26 / VC18-04
    supervisory: Citation  # VC25-30 / VC18-05
    supervisory_practice: Citation
    evaluation: Citation  # VC25-31
    meeting_frequency: Citation | None  # VC25-13: at least once a year (new in 2025)
    proxy_rule: ProxyRule
    proxy_meeting: ProxyRule
    supervisory_at_representative_meeting: bool  # new in 2025 (VC18-05: committee only)


def _edition_2026() -> _Edition:
    def c(
        rule_id: str, article: int, paragraph: int | None = None, *, practice: bool = False
    ) -> Citation:
        return Citation(rule_id, VILLAGE_2025, article, paragraph, number_is_practice=practice)

    proxies = c("VC25-09", 18, 4)
    return _Edition(
        id="village-2026",
        law=VILLAGE_2025,
        voter_roll=c("VC25-05", 17),
        election=c("VC25-07", 18, 2),
        proxies=proxies,
        recall=c("VC25-10", 19),
        convening=c("VC25-13", 25),
        quorum=c("VC25-14", 26),
        reserved=c("VC25-16", 28),
        party_review=c("VC25-17", 28, 3),
        collective=c("VC25-18", 28, 4),
        rep_composition=c("VC25-19", 29),
        rep_convening=c("VC25-20", 30, 1),
        rep_quorum=c("VC25-21", 30, 2),
        charter=c("VC25-22", 31),
        group=c("VC25-23", 32),
        consultation=c("VC25-24", 33),
        committee=c("VC25-25", 34, practice=True),
        disclosure=c("VC25-26", 35, 2),
        supervisory=c("VC25-30", 37),
        supervisory_practice=c("VC25-30", 37, practice=True),
        evaluation=c("VC25-31", 38),
        meeting_frequency=c("VC25-13", 25),
        # VC25-09: a close relative or another villager; ≤ 3 per holder; no candidates.
        proxy_rule=ProxyRule(
            allowed=True,
            citation=proxies,
            max_per_holder=3,
            holder=ProxyHolder.CLOSE_RELATIVE_OR_VILLAGER,
        ),
        proxy_meeting=ProxyRule(
            allowed=True,
            citation=proxies,
            max_per_holder=3,
            holder=ProxyHolder.CLOSE_RELATIVE_OR_VILLAGER,
            by_analogy=True,
        ),
        supervisory_at_representative_meeting=True,
    )


def _edition_2018() -> _Edition:
    def c(
        rule_id: str, article: int, paragraph: int | None = None, *, practice: bool = False
    ) -> Citation:
        return Citation(rule_id, VILLAGE_2018, article, paragraph, number_is_practice=practice)

    proxies = c("VC18-03", 15, 4)
    return _Edition(
        id="village-2018",
        law=VILLAGE_2018,
        voter_roll=c("VC25-05", 14),
        election=c("VC25-07", 15, 2),
        proxies=proxies,
        recall=c("VC25-10", 16),
        convening=c("VC25-13", 21),
        quorum=c("VC25-14", 22),
        reserved=c("VC18-01", 24),
        party_review=None,
        collective=None,
        rep_composition=c("VC25-19", 25),
        rep_convening=c("VC25-20", 26),
        rep_quorum=c("VC25-21", 26),
        charter=c("VC25-22", 27),
        group=c("VC25-23", 28),
        consultation=POL_05,
        committee=c("VC25-25", 29, practice=True),
        disclosure=c("VC18-04", 30),
        supervisory=c("VC18-05", 32),
        supervisory_practice=c("VC18-05", 32, practice=True),
        evaluation=c("VC25-31", 33),
        meeting_frequency=None,  # VC18-02: no minimum for the villagers' meeting
        # VC18-03: a close relative only; the 2018 text sets no cap and no candidate rule.
        proxy_rule=ProxyRule(
            allowed=True,
            citation=proxies,
            max_per_holder=None,
            holder=ProxyHolder.CLOSE_RELATIVE,
            candidates_may_hold=True,
        ),
        proxy_meeting=ProxyRule(
            allowed=True,
            citation=proxies,
            max_per_holder=None,
            holder=ProxyHolder.CLOSE_RELATIVE,
            candidates_may_hold=True,
            by_analogy=True,
        ),
        supervisory_at_representative_meeting=False,
    )


def _villagers_meeting(e: _Edition) -> list[DecisionRule]:
    publish = Gate(GateKind.PUBLISH_DECISION, e.disclosure)
    party = (Gate(GateKind.PARTY_REVIEW, e.party_review),) if e.party_review else ()
    chairs = Gate(GateKind.SUPERVISORY_CHAIRS, e.evaluation)
    ordinary = DecisionRule(
        rule_set_id=e.id,
        body=B.RESIDENTS_MEETING,
        decision_type=D.ORDINARY,
        body_name=Name("村民会议", "villagers' meeting"),
        members=Members(
            MemberKind.ALL_ADULTS,
            "本村十八周岁以上的村民，或者本村的户的代表",
            "villagers aged 18 or over, or the household representatives of the village",
        ),
        # VC25-14: > 1/2 of 18+ villagers, or ≥ 2/3 of households' representatives.
        quorum=(
            QuorumAlternative(
                MemberKind.ALL_ADULTS, gt(1, 2, Basis.ELIGIBLE), VILLAGERS, Mode.ALL_ADULTS
            ),
            QuorumAlternative(
                MemberKind.HOUSEHOLDS, ge(2, 3, Basis.HOUSEHOLDS), HOUSEHOLDS, Mode.HOUSEHOLDS
            ),
        ),
        quorum_citation=e.quorum,
        threshold=MORE_THAN_HALF_PRESENT,  # VC25-14: 到会人员的过半数通过
        citation=e.quorum,
        # VC25-13: ≥ 1/10 of villagers or ≥ 1/3 of villagers' representatives.
        demand=(
            Demand(Population.ADULTS, Op.GE, 1, 10, VILLAGERS_DEMAND, e.convening),
            Demand(Population.REPRESENTATIVES, Op.GE, 1, 3, REPRESENTATIVES, e.convening),
        ),
        notice=Notice(10, e.convening, short_notice_allowed=True),  # VC25-13: 提前十天
        proxies=e.proxy_meeting,
        gates=(publish,),
        also=(e.convening,),
    )
    election = variant(
        ordinary,
        D.ELECTION,
        members=Members(MemberKind.REGISTERED_VOTERS, "登记参加选举的村民", "registered voters"),
        # VC25-07 (双过半): valid if > 1/2 of registered voters vote; no household mode.
        quorum=(
            QuorumAlternative(
                MemberKind.REGISTERED_VOTERS,
                gt(1, 2, Basis.ELIGIBLE),
                VOTERS,
                Mode.ALL_ADULTS,
                counts_voters=True,
            ),
        ),
        quorum_citation=e.election,
        threshold=gt(1, 2, Basis.VOTED),  # VC25-07: 参加投票的村民过半数的选票
        citation=e.election,
        supplementary=ge(1, 3, Basis.BALLOTS_CAST),  # VC25-07: 不得少于已投选票总数的三分之一
        demand=(),
        voter_roll=Period(20, e.voter_roll),  # VC25-05: 选举日的二十日前公布
        proxies=e.proxy_rule,
        gates=(),
        also=(e.proxies, e.voter_roll),
    )
    land = variant(
        ordinary,
        D.LAND_CONTRACTING,
        members=Members(
            MemberKind.ALL_ADULTS,
            "本集体经济组织成员的村民会议的全体成员",
            "all members of the villagers' meeting of the collective",
        ),
        threshold=ge(2, 3, Basis.ALL_MEMBERS),  # LAND-01: 三分之二以上成员
        citation=LAND_01,
        gates=(*party, publish),
        also=(e.quorum, e.reserved),
    )
    rules = [
        ordinary,
        variant(ordinary, D.MAJOR, gates=(*party, publish), also=(e.reserved, e.convening)),
        variant(ordinary, D.CHARTER, also=(e.charter, e.convening)),
        land,
        election,
        variant(
            election,
            D.RECALL,
            quorum_citation=e.recall,
            citation=e.recall,  # VC25-10: > 1/2 of registered voters vote, > 1/2 approve
            supplementary=None,
            # VC25-10: ≥ 1/5 of voters or ≥ 1/3 of villagers' representatives.
            demand=(
                Demand(Population.VOTERS, Op.GE, 1, 5, VOTERS, e.recall),
                Demand(Population.REPRESENTATIVES, Op.GE, 1, 3, REPRESENTATIVES, e.recall),
            ),
            voter_roll=None,
            proxies=e.proxy_meeting,
            also=(),
        ),
        variant(ordinary, D.EVALUATION, gates=(chairs, publish), also=(e.evaluation,)),
        procedural(ordinary),
        consultation(ordinary, e.consultation, (publish,)),
    ]
    if e.collective is None:
        # VC18-01: disposal of collective property was reserved to the villagers' meeting.
        rules.append(variant(ordinary, D.COLLECTIVE_PROPERTY, also=(e.reserved, e.convening)))
    return rules


def _representative_meeting(e: _Edition) -> list[DecisionRule]:
    publish = Gate(GateKind.PUBLISH_DECISION, e.disclosure)
    invited = (
        (Gate(GateKind.SUPERVISORY_INVITED, e.supervisory),)
        if e.supervisory_at_representative_meeting
        else ()
    )
    party = (Gate(GateKind.PARTY_REVIEW, e.party_review),) if e.party_review else ()
    ordinary = DecisionRule(
        rule_set_id=e.id,
        body=B.REPRESENTATIVE_COUNCIL,
        decision_type=D.ORDINARY,
        body_name=Name("村民代表会议", "villagers' representative meeting"),
        members=Members(
            MemberKind.BODY_MEMBERS,
            "村民委员会成员和村民代表（村民代表不少于五分之四，妇女不少于三分之一）",
            "committee members and villagers' representatives (representatives at least 4/5, "
            "women at least 1/3)",
        ),
        # VC25-21: 三分之二以上的组成人员参加; 到会人员的过半数同意.
        quorum=(
            QuorumAlternative(
                MemberKind.BODY_MEMBERS, ge(2, 3, Basis.BODY_MEMBERS), MEETING_MEMBERS
            ),
        ),
        quorum_citation=e.rep_quorum,
        threshold=MORE_THAN_HALF_PRESENT,
        citation=e.rep_quorum,
        demand=(Demand(Population.REPRESENTATIVES, Op.GE, 1, 5, REPRESENTATIVES, e.rep_convening),),
        notice=None,  # the law sets none; provinces may (LOC-10: Zhejiang 3 days)
        gates=(*invited, publish),
        also=(e.rep_composition, e.rep_convening),
    )
    rules = [
        ordinary,
        variant(
            ordinary,
            D.MAJOR,
            delegated_from=B.RESIDENTS_MEETING,
            gates=(*party, *invited, publish),
            also=(e.reserved, e.rep_composition),
        ),
        variant(
            ordinary,
            D.LAND_CONTRACTING,
            members=Members(
                MemberKind.BODY_MEMBERS, "全体村民代表", "all the villagers' representatives"
            ),
            threshold=ge(2, 3, Basis.ALL_MEMBERS),  # LAND-01: 三分之二以上村民代表
            citation=LAND_01,
            gates=(*party, *invited, publish),
            also=(e.rep_quorum, e.reserved),
        ),
        variant(
            ordinary,
            D.EVALUATION,
            gates=(Gate(GateKind.SUPERVISORY_CHAIRS, e.evaluation), *invited, publish),
            also=(e.evaluation,),
        ),
        procedural(ordinary),
        consultation(ordinary, e.consultation, (*invited, publish)),
    ]
    if e.collective is None:
        rules.append(
            variant(
                ordinary,
                D.COLLECTIVE_PROPERTY,
                delegated_from=B.RESIDENTS_MEETING,
                also=(e.reserved, e.rep_composition),
            )
        )
    return rules


def _group_meeting(e: _Edition) -> list[DecisionRule]:
    ordinary = DecisionRule(
        rule_set_id=e.id,
        body=B.GROUP_MEETING,
        decision_type=D.ORDINARY,
        body_name=Name("村民小组会议", "villagers' group meeting"),
        members=Members(
            MemberKind.ALL_ADULTS,
            "本村民小组十八周岁以上的村民，或者本村民小组的户的代表",
            "the group's villagers aged 18 or over, or its household representatives",
        ),
        # VC25-23: ≥ 2/3 of the group's 18+ villagers or ≥ 2/3 of its households.
        quorum=(
            QuorumAlternative(
                MemberKind.ALL_ADULTS, ge(2, 3, Basis.ELIGIBLE), GROUP_VILLAGERS, Mode.ALL_ADULTS
            ),
            QuorumAlternative(
                MemberKind.HOUSEHOLDS,
                ge(2, 3, Basis.HOUSEHOLDS),
                GROUP_HOUSEHOLDS,
                Mode.HOUSEHOLDS,
            ),
        ),
        quorum_citation=e.group,
        threshold=MORE_THAN_HALF_PRESENT,
        citation=e.group,
        proxies=e.proxy_meeting,
    )
    return [ordinary, procedural(ordinary), consultation(ordinary, e.consultation)]


def _small_body(
    e: _Edition,
    body: BodyKind,
    name: Name,
    members: Members,
    practice: Citation,
    gates: tuple[Gate, ...],
) -> list[DecisionRule]:
    """D6: "少数服从多数" without numbers; defaults are practice, not statute."""
    ordinary = DecisionRule(
        rule_set_id=e.id,
        body=body,
        decision_type=D.ORDINARY,
        body_name=name,
        members=members,
        quorum=(
            QuorumAlternative(
                MemberKind.BODY_MEMBERS,
                gt(1, 2, Basis.BODY_MEMBERS),
                Name("组成人员", "the members"),
            ),
        ),
        quorum_citation=practice,
        threshold=MORE_THAN_HALF_PRESENT,
        citation=practice,
        gates=gates,
    )
    return [ordinary, procedural(ordinary), consultation(ordinary, e.consultation, gates)]


def _village(e: _Edition, title: Name, start: date, end: date | None) -> RuleSet:
    committee = Name("村民委员会", "villagers' committee")
    supervisory = Name("村务监督委员会", "village affairs supervisory committee")
    rules = [
        *_villagers_meeting(e),
        *_representative_meeting(e),
        *_group_meeting(e),
        *_small_body(
            e,
            B.COMMITTEE,
            committee,
            Members(
                MemberKind.BODY_MEMBERS,
                "村民委员会主任、副主任和委员",
                "the chair, vice-chairs and members of the villagers' committee",
            ),
            e.committee,
            (Gate(GateKind.SUPERVISORY_INVITED, e.supervisory),),  # VC25-30, VC18-05
        ),
        *_small_body(
            e,
            B.SUPERVISORY_COUNCIL,
            supervisory,
            Members(
                MemberKind.BODY_MEMBERS,
                "村务监督委员会成员",
                "the members of the village affairs supervisory committee",
            ),
            e.supervisory_practice,
            (),
        ),
    ]
    by_voters = "village committees are elected and recalled by all registered voters (VC25-07)"
    meeting_only = "the charter is made by the villagers' meeting (VC25-22)"
    refusals: dict[tuple[BodyKind, DecisionType | None], str] = {
        (B.MEMBERS_MEETING, None): "the collective's members' general meeting follows the "
        "Rural Collective Economic Organizations Law (rule set collective-2025)",
        (B.REPRESENTATIVE_COUNCIL, D.ELECTION): by_voters,
        (B.REPRESENTATIVE_COUNCIL, D.RECALL): by_voters,
        (B.REPRESENTATIVE_COUNCIL, D.CHARTER): meeting_only,
    }
    if e.collective is not None:
        moved = (
            "since 2026 collective property follows the Rural Collective Economic "
            "Organizations Law (VC25-18, Art. 28 para. 4): use a members' general meeting "
            "under collective-2025"
        )
        refusals[(B.RESIDENTS_MEETING, D.COLLECTIVE_PROPERTY)] = moved
        refusals[(B.REPRESENTATIVE_COUNCIL, D.COLLECTIVE_PROPERTY)] = moved
    for body in (B.COMMITTEE, B.SUPERVISORY_COUNCIL, B.GROUP_MEETING):
        for dtype in (D.MAJOR, D.CHARTER, D.LAND_CONTRACTING, D.COLLECTIVE_PROPERTY):
            refusals.setdefault(
                (body, dtype),
                "reserved to the villagers' meeting or, if delegated, the representative meeting",
            )
        refusals[(body, D.ELECTION)] = by_voters
        refusals[(body, D.RECALL)] = by_voters
    return make_rule_set(
        id=e.id,
        kind=RuleSetKind.VILLAGE,
        title=title,
        effective_from=start,
        effective_to=end,
        bodies=[
            BodyInfo(
                B.RESIDENTS_MEETING,
                Name("村民会议", "villagers' meeting"),
                min_meetings_per_year=1 if e.meeting_frequency else None,
                frequency_citation=e.meeting_frequency,
            ),
            BodyInfo(
                B.REPRESENTATIVE_COUNCIL,
                Name("村民代表会议", "villagers' representative meeting"),
                min_meetings_per_year=4,  # VC25-20: 每季度召开一次
                frequency_citation=e.rep_convening,
            ),
            BodyInfo(B.GROUP_MEETING, Name("村民小组会议", "villagers' group meeting")),
            BodyInfo(B.COMMITTEE, committee),
            BodyInfo(B.SUPERVISORY_COUNCIL, supervisory),
        ],
        rules=rules,
        refusals=refusals,
    )


def village_2026() -> RuleSet:
    return _village(
        _edition_2026(),
        Name(
            "《村民委员会组织法》（2025年修正，2026年1月1日起施行）",
            "Villagers' Committees Law (2025 amendment, in force 2026-01-01)",
        ),
        date(2026, 1, 1),
        None,
    )


def village_2018() -> RuleSet:
    return _village(
        _edition_2018(),
        Name(
            "《村民委员会组织法》（2018年修正；2025年12月31日止）",
            "Villagers' Committees Law (2018 text, in force to 2025-12-31)",
        ),
        date(2018, 12, 29),
        date(2025, 12, 31),
    )
