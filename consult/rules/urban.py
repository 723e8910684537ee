"""Urban rule sets: `urban-2026` (城市居民委员会组织法, 2025 revision, in force 2026-01-01) and
`urban-1990` (the text in force from 1990-01-01 to 2025-12-31, last amended 2018).

Every number cites its RULES.md row (URC25-*, URC18-*). Build them through
`consult.rules.rulesets.get_rule_set`, not from here.
"""

from __future__ import annotations

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
from consult.rules.citations import POL_05, URBAN_2018, URBAN_2025, Citation
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


def _c(
    rule_id: str, article: int, paragraph: int | None = None, *, practice: bool = False
) -> Citation:
    return Citation(rule_id, URBAN_2025, article, paragraph, number_is_practice=practice)


URC25_09 = _c("URC25-09", 17)  # voter roll ≥ 20 days before election day
URC25_11 = _c("URC25-11", 19, 1)  # election valid: > 1/2 voters / households; > 2/3 reps
URC25_12 = _c("URC25-12", 19, 2)  # elected: > 1/2 of those who voted; supplementary ≥ 1/3
URC25_14 = _c("URC25-14", 19, 4)  # proxies: ≤ 3 per holder, no candidates, none in rep mode
URC25_15 = _c("URC25-15", 20, 1)  # recall initiation
URC25_16 = _c("URC25-16", 20, 2)  # recall vote
URC25_22 = _c("URC25-22", 26)  # residents' meeting: composition, demand, 10 days' notice
URC25_23 = _c("URC25-23", 27)  # residents' meeting: quorum and decision
URC25_24 = _c("URC25-24", 28, 1)  # representative meeting: composition
URC25_25 = _c("URC25-25", 28, 2)  # representative meeting: twice a year, demand ≥ 1/5
URC25_26 = _c("URC25-26", 29)  # representative meeting: quorum and decision
URC25_27 = _c("URC25-27", 30)  # powers: charter, important matters; delegation
URC25_28 = _c("URC25-28", 30, 4)  # Party-organization review of important matters
URC25_29 = _c("URC25-29", 31)  # charter filed with the district or subdistrict
URC25_30 = _c("URC25-30", 32)  # consultation
URC25_31_PRACTICE = _c("URC25-31", 33, practice=True)  # 少数服从多数: no numbers
URC25_32 = _c("URC25-32", 34, 2)  # disclosure of decisions and their implementation
URC25_35 = _c("URC25-35", 36)  # supervisory committee: may attend committee and rep meetings
URC25_35_PRACTICE = _c("URC25-35", 36, practice=True)
URC25_36 = _c("URC25-36", 37)  # democratic evaluation, chaired by the supervisory committee

ADULTS = Name("本社区十八周岁以上居民", "the residents of the community aged 18 or over")
HOUSEHOLDS = Name("本社区全体户的代表", "the household representatives of the community")
VOTERS = Name("本社区选民", "the registered voters of the community")
REPRESENTATIVES = Name("居民代表", "the residents' representatives")
MEETING_MEMBERS = Name("居民代表会议组成人员", "the members of the representative meeting")

_PROXY_ELECTION = ProxyRule(
    allowed=True, citation=URC25_14, max_per_holder=3, holder=ProxyHolder.ANY_VOTER
)
_PROXY_MEETING = ProxyRule(
    allowed=True,
    citation=URC25_14,
    max_per_holder=3,
    holder=ProxyHolder.ANY_VOTER,
    by_analogy=True,
)
# URC25-14: no proxies when representatives elect; consult keeps representatives in person.
_NO_PROXY_REPRESENTATIVES = ProxyRule(allowed=False, citation=URC25_14, by_analogy=True)

_PUBLISH = Gate(GateKind.PUBLISH_DECISION, URC25_32)
_PARTY_REVIEW = Gate(GateKind.PARTY_REVIEW, URC25_28)
_SUPERVISORY_INVITED = Gate(GateKind.SUPERVISORY_INVITED, URC25_35)
_SUPERVISORY_CHAIRS = Gate(GateKind.SUPERVISORY_CHAIRS, URC25_36)
_SUPPLEMENTARY = ge(1, 3, Basis.BALLOTS_CAST)  # URC25-12: "不得少于已投选票数的三分之一"

_RECALL_DEMAND = (
    Demand(Population.VOTERS, Op.GE, 1, 10, VOTERS, URC25_15),
    Demand(Population.HOUSEHOLDS, Op.GE, 1, 10, HOUSEHOLDS, URC25_15),
    Demand(Population.REPRESENTATIVES, Op.GE, 1, 3, REPRESENTATIVES, URC25_15),
)

_NOT_URBAN = "land contracting and collective property belong to rural collectives"
_RESERVED = "reserved to the residents' meeting or, if delegated, the representative meeting"


def _residents_meeting_2026(rs: str) -> list[DecisionRule]:
    name = Name("居民会议", "residents' meeting")
    ordinary = DecisionRule(
        rule_set_id=rs,
        body=B.RESIDENTS_MEETING,
        decision_type=D.ORDINARY,
        body_name=name,
        members=Members(
            MemberKind.ALL_ADULTS,
            "本社区十八周岁以上的居民，或者每户派出的代表",
            "residents of the community aged 18 or over, or one representative per household",
        ),
        # URC25-23: > 1/2 of 18+ residents, or > 1/2 of all households' representatives.
        quorum=(
            QuorumAlternative(
                MemberKind.ALL_ADULTS, gt(1, 2, Basis.ELIGIBLE), ADULTS, Mode.ALL_ADULTS
            ),
            QuorumAlternative(
                MemberKind.HOUSEHOLDS, gt(1, 2, Basis.HOUSEHOLDS), HOUSEHOLDS, Mode.HOUSEHOLDS
            ),
        ),
        quorum_citation=URC25_23,
        threshold=MORE_THAN_HALF_PRESENT,  # URC25-23: 到会人员的过半数同意
        citation=URC25_23,
        # URC25-22: ≥ 1/10 of 18+ residents or of household reps, or ≥ 1/3 of representatives.
        demand=(
            Demand(Population.ADULTS, Op.GE, 1, 10, ADULTS, URC25_22),
            Demand(Population.HOUSEHOLDS, Op.GE, 1, 10, HOUSEHOLDS, URC25_22),
            Demand(Population.REPRESENTATIVES, Op.GE, 1, 3, REPRESENTATIVES, URC25_22),
        ),
        notice=Notice(10, URC25_22, short_notice_allowed=True),  # URC25-22: 提前十日
        proxies=_PROXY_MEETING,
        gates=(_PUBLISH,),
        also=(URC25_22,),
    )
    election = variant(
        ordinary,
        D.ELECTION,
        members=Members(
            MemberKind.REGISTERED_VOTERS,
            "本社区登记的选民（或者每户派出的代表）",
            "the community's registered voters (or one representative per household)",
        ),
        # URC25-11: valid when > 1/2 of voters, or > 1/2 of household reps, vote.
        quorum=(
            QuorumAlternative(
                MemberKind.REGISTERED_VOTERS,
                gt(1, 2, Basis.ELIGIBLE),
                VOTERS,
                Mode.ALL_ADULTS,
                counts_voters=True,
            ),
            QuorumAlternative(
                MemberKind.HOUSEHOLDS,
                gt(1, 2, Basis.HOUSEHOLDS),
                HOUSEHOLDS,
                Mode.HOUSEHOLDS,
                counts_voters=True,
            ),
        ),
        quorum_citation=URC25_11,
        threshold=gt(1, 2, Basis.VOTED),  # URC25-12: 参加投票的人员过半数的选票
        citation=URC25_12,
        supplementary=_SUPPLEMENTARY,
        demand=(),
        voter_roll=Period(20, URC25_09),
        proxies=_PROXY_ELECTION,
        gates=(),
        also=(URC25_11, URC25_14, URC25_09),
    )
    return [
        ordinary,
        variant(ordinary, D.MAJOR, gates=(_PARTY_REVIEW, _PUBLISH), also=(URC25_27, URC25_22)),
        variant(ordinary, D.CHARTER, also=(URC25_27, URC25_29, URC25_22)),
        election,
        variant(
            election,
            D.RECALL,
            quorum_citation=URC25_16,
            citation=URC25_16,
            supplementary=None,
            demand=_RECALL_DEMAND,
            voter_roll=None,
            proxies=_PROXY_MEETING,
            also=(URC25_15,),
        ),
        variant(ordinary, D.EVALUATION, gates=(_SUPERVISORY_CHAIRS, _PUBLISH), also=(URC25_36,)),
        procedural(ordinary),
        consultation(ordinary, URC25_30, (_PUBLISH,)),
    ]


def _representative_council_2026(rs: str) -> list[DecisionRule]:
    name = Name("居民代表会议", "residents' representative meeting")
    ordinary = DecisionRule(
        rule_set_id=rs,
        body=B.REPRESENTATIVE_COUNCIL,
        decision_type=D.ORDINARY,
        body_name=name,
        members=Members(
            MemberKind.BODY_MEMBERS,
            "居民委员会成员和居民代表（居民代表不少于五分之四）",
            "committee members and residents' representatives (representatives at least 4/5)",
        ),
        # URC25-26: 三分之二以上的组成人员参加.
        quorum=(
            QuorumAlternative(
                MemberKind.BODY_MEMBERS, ge(2, 3, Basis.BODY_MEMBERS), MEETING_MEMBERS
            ),
        ),
        quorum_citation=URC25_26,
        threshold=MORE_THAN_HALF_PRESENT,
        citation=URC25_26,
        demand=(Demand(Population.REPRESENTATIVES, Op.GE, 1, 5, REPRESENTATIVES, URC25_25),),
        notice=None,  # the law sets no notice period for the representative meeting
        proxies=_NO_PROXY_REPRESENTATIVES,
        gates=(_SUPERVISORY_INVITED, _PUBLISH),
        also=(URC25_24, URC25_25),
    )
    election = variant(
        ordinary,
        D.ELECTION,
        members=Members(
            MemberKind.BODY_MEMBERS,
            "居民代表（经居民同意由居民代表选举时）",
            "the residents' representatives (when residents agreed to election by them)",
        ),
        # URC25-11: 超过三分之二的居民代表参加投票 — 2/3 exactly is not enough.
        quorum=(
            QuorumAlternative(
                MemberKind.BODY_MEMBERS,
                gt(2, 3, Basis.BODY_MEMBERS),
                REPRESENTATIVES,
                counts_voters=True,
            ),
        ),
        quorum_citation=URC25_11,
        threshold=gt(1, 2, Basis.VOTED),
        citation=URC25_12,
        supplementary=_SUPPLEMENTARY,
        demand=(),
        voter_roll=Period(20, URC25_09),
        proxies=ProxyRule(allowed=False, citation=URC25_14),  # none in representative mode
        gates=(_SUPERVISORY_INVITED,),
        also=(URC25_11, URC25_14, URC25_09),
    )
    return [
        ordinary,
        variant(
            ordinary,
            D.MAJOR,
            delegated_from=B.RESIDENTS_MEETING,
            gates=(_PARTY_REVIEW, _SUPERVISORY_INVITED, _PUBLISH),
            also=(URC25_27, URC25_24, URC25_25),
        ),
        variant(
            ordinary,
            D.CHARTER,
            delegated_from=B.RESIDENTS_MEETING,
            also=(URC25_27, URC25_29, URC25_24),
        ),
        election,
        variant(
            election,
            D.RECALL,
            quorum_citation=URC25_16,
            citation=URC25_16,
            supplementary=None,
            demand=_RECALL_DEMAND,
            voter_roll=None,
            also=(URC25_15,),
        ),
        variant(
            ordinary,
            D.EVALUATION,
            gates=(_SUPERVISORY_CHAIRS, _SUPERVISORY_INVITED, _PUBLISH),
            also=(URC25_36,),
        ),
        procedural(ordinary),
        consultation(ordinary, URC25_30, (_SUPERVISORY_INVITED, _PUBLISH)),
    ]


def _small_body(
    rs: str,
    body: BodyKind,
    name: Name,
    members: Members,
    practice: Citation,
    gates: tuple[Gate, ...],
    consult_citation: Citation,
) -> list[DecisionRule]:
    """A committee's own decisions: the law says "少数服从多数" but gives no numbers (D6).

    Defaults (practice, not statute): more than half of the members present, decisions by more
    than half of those present.
    """
    ordinary = DecisionRule(
        rule_set_id=rs,
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
    return [ordinary, procedural(ordinary), consultation(ordinary, consult_citation, gates)]


def urban_2026() -> RuleSet:
    rs = "urban-2026"
    committee = Name("居民委员会", "residents' committee")
    supervisory = Name("居务监督委员会", "residents' affairs supervisory committee")
    rules = [
        *_residents_meeting_2026(rs),
        *_representative_council_2026(rs),
        *_small_body(
            rs,
            B.COMMITTEE,
            committee,
            Members(
                MemberKind.BODY_MEMBERS,
                "居民委员会主任、副主任和委员",
                "the chair, vice-chairs and members of the residents' committee",
            ),
            URC25_31_PRACTICE,
            (_SUPERVISORY_INVITED,),  # URC25-35: may attend committee meetings
            URC25_30,
        ),
        *_small_body(
            rs,
            B.SUPERVISORY_COUNCIL,
            supervisory,
            Members(
                MemberKind.BODY_MEMBERS,
                "居务监督委员会成员",
                "the members of the residents' affairs supervisory committee",
            ),
            URC25_35_PRACTICE,
            (),
            URC25_30,
        ),
    ]
    refusals: dict[tuple[BodyKind, DecisionType | None], str] = {
        (B.GROUP_MEETING, None): "the urban law has residents' groups but no group meeting",
        (B.MEMBERS_MEETING, None): "members' general meetings belong to rural collectives "
        "(rule set collective-2025)",
    }
    for body in (B.RESIDENTS_MEETING, B.REPRESENTATIVE_COUNCIL):
        refusals[(body, D.LAND_CONTRACTING)] = _NOT_URBAN
        refusals[(body, D.COLLECTIVE_PROPERTY)] = _NOT_URBAN
    for body in (B.COMMITTEE, B.SUPERVISORY_COUNCIL):
        for dtype in (D.MAJOR, D.CHARTER, D.EVALUATION):
            refusals[(body, dtype)] = _RESERVED + " (URC25-27, URC25-36)"
        refusals[(body, D.ELECTION)] = "committee members are elected by the residents (URC25-05)"
        refusals[(body, D.RECALL)] = "recall is voted by those who elected (URC25-16)"
    return make_rule_set(
        id=rs,
        kind=RuleSetKind.URBAN,
        title=Name(
            "《城市居民委员会组织法》（2025年修订，2026年1月1日起施行）",
            "Urban Residents' Committees Law (2025 revision, in force 2026-01-01)",
        ),
        effective_from=date(2026, 1, 1),
        effective_to=None,
        bodies=[
            BodyInfo(B.RESIDENTS_MEETING, Name("居民会议", "residents' meeting")),
            BodyInfo(
                B.REPRESENTATIVE_COUNCIL,
                Name("居民代表会议", "residents' representative meeting"),
                min_meetings_per_year=2,  # URC25-25: 至少每半年召开一次
                frequency_citation=URC25_25,
            ),
            BodyInfo(B.COMMITTEE, committee),
            BodyInfo(B.SUPERVISORY_COUNCIL, supervisory),
        ],
        rules=rules,
        refusals=refusals,
    )


# -- urban-1990: the text in force until 2025-12-31 (URC18 rows) -------------------------------


def _c18(
    rule_id: str, article: int, paragraph: int | None = None, *, practice: bool = False
) -> Citation:
    return Citation(rule_id, URBAN_2018, article, paragraph, number_is_practice=practice)


URC18_02 = _c18("URC18-02", 8)  # election modes; no thresholds in the text
URC18_04 = _c18("URC18-04", 9)  # composition: all adults, households, or group reps
URC18_05 = _c18("URC18-05", 9, 3)  # quorum > 1/2; decision > 1/2 of those present
URC18_06 = _c18("URC18-06", 10, 2)  # demand 1/5, 1/5, 1/3 of groups; important matters
URC18_07 = _c18("URC18-07", 10, 3)  # removal and by-election by the residents' meeting
URC18_08_PRACTICE = _c18("URC18-08", 11, practice=True)  # 少数服从多数
URC18_09 = _c18("URC18-09", 15)  # residents' convention

ADULTS_1990 = Name("本居住地区十八周岁以上的居民", "the residents of the area aged 18 or over")
HOUSEHOLDS_1990 = Name("户的代表", "the household representatives")
GROUP_REPS_1990 = Name("居民小组选举的代表", "the representatives elected by residents' groups")


def urban_1990() -> RuleSet:
    rs = "urban-1990"
    ordinary = DecisionRule(
        rule_set_id=rs,
        body=B.RESIDENTS_MEETING,
        decision_type=D.ORDINARY,
        body_name=Name("居民会议", "residents' meeting"),
        members=Members(
            MemberKind.ALL_ADULTS,
            "十八周岁以上的居民，或者每户派代表，或者每个居民小组选举的代表二至三人",
            "residents aged 18 or over, or one representative per household, or two or three "
            "representatives elected by each residents' group",
        ),
        # URC18-05: > 1/2 of the residents, household reps or group reps (whichever attend).
        quorum=(
            QuorumAlternative(
                MemberKind.ALL_ADULTS, gt(1, 2, Basis.ELIGIBLE), ADULTS_1990, Mode.ALL_ADULTS
            ),
            QuorumAlternative(
                MemberKind.HOUSEHOLDS,
                gt(1, 2, Basis.HOUSEHOLDS),
                HOUSEHOLDS_1990,
                Mode.HOUSEHOLDS,
            ),
            QuorumAlternative(
                MemberKind.BODY_MEMBERS,
                gt(1, 2, Basis.BODY_MEMBERS),
                GROUP_REPS_1990,
                Mode.GROUP_REPRESENTATIVES,
            ),
        ),
        quorum_citation=URC18_05,
        threshold=MORE_THAN_HALF_PRESENT,  # URC18-05: 由出席人的过半数通过
        citation=URC18_05,
        # URC18-06: ≥ 1/5 of 18+ residents, ≥ 1/5 of households, or ≥ 1/3 of residents' groups.
        demand=(
            Demand(Population.ADULTS, Op.GE, 1, 5, ADULTS_1990, URC18_06),
            Demand(Population.HOUSEHOLDS, Op.GE, 1, 5, Name("户", "the households"), URC18_06),
            Demand(
                Population.RESIDENTS_GROUPS,
                Op.GE,
                1,
                3,
                Name("居民小组", "the residents' groups"),
                URC18_06,
            ),
        ),
        notice=None,  # the 2018 text sets no notice period
        also=(URC18_04,),
    )
    committee = Name("居民委员会", "residents' committee")
    rules = [
        ordinary,
        variant(ordinary, D.MAJOR, also=(URC18_06, URC18_04)),
        variant(ordinary, D.CHARTER, also=(URC18_09, URC18_04)),  # 居民公约
        variant(ordinary, D.RECALL, also=(URC18_07, URC18_04)),
        procedural(ordinary),
        consultation(ordinary, POL_05),
        *_small_body(
            rs,
            B.COMMITTEE,
            committee,
            Members(
                MemberKind.BODY_MEMBERS,
                "居民委员会主任、副主任和委员",
                "the chair, vice-chairs and members of the residents' committee",
            ),
            URC18_08_PRACTICE,
            (),
            POL_05,
        ),
    ]
    new_in_2025 = "introduced by the 2025 revision (rule set urban-2026)"
    refusals: dict[tuple[BodyKind, DecisionType | None], str] = {
        (B.REPRESENTATIVE_COUNCIL, None): new_in_2025,
        (B.SUPERVISORY_COUNCIL, None): new_in_2025,
        (B.GROUP_MEETING, None): "the urban law has residents' groups but no group meeting",
        (B.MEMBERS_MEETING, None): "members' general meetings belong to rural collectives",
        (B.RESIDENTS_MEETING, D.ELECTION): "the 2018 text (URC18-02, Art. 8) names the "
        "election modes but sets no turnout or winning threshold; provincial election rules "
        "applied",
        (B.RESIDENTS_MEETING, D.EVALUATION): "democratic evaluation was " + new_in_2025,
        (B.RESIDENTS_MEETING, D.LAND_CONTRACTING): _NOT_URBAN,
        (B.RESIDENTS_MEETING, D.COLLECTIVE_PROPERTY): _NOT_URBAN,
    }
    return make_rule_set(
        id=rs,
        kind=RuleSetKind.URBAN,
        title=Name(
            "《城市居民委员会组织法》（1990年1月1日施行，2018年修正；2025年12月31日止）",
            "Urban Residents' Committees Law (in force 1990-01-01 to 2025-12-31, 2018 text)",
        ),
        effective_from=date(1990, 1, 1),
        effective_to=date(2025, 12, 31),
        bodies=[
            BodyInfo(B.RESIDENTS_MEETING, Name("居民会议", "residents' meeting")),
            BodyInfo(B.COMMITTEE, committee),
        ],
        rules=rules,
        refusals=refusals,
    )
