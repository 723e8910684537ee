"""`collective-2025`: 农村集体经济组织法 (2024, in force 2025-05-01), rows COL-* of RULES.md.

The members' general meeting (成员大会) decides by two-thirds of ALL members (COL-07), not of
those present; the representative assembly (成员代表大会) by two-thirds of all representatives,
and it may not decide the charter or land contracting (COL-08). The board (理事会) is the
`committee` body kind here.
"""

from __future__ import annotations

from datetime import date

from consult.rules._build import consultation, ge, gt, make_rule_set, procedural, variant
from consult.rules.citations import COLLECTIVE_2024, POL_05, Citation
from consult.rules.model import (
    BodyInfo,
    BodyKind,
    DecisionRule,
    DecisionType,
    Gate,
    GateKind,
    MemberKind,
    Members,
    Name,
    Notice,
    ProxyHolder,
    ProxyRule,
    QuorumAlternative,
    RuleSet,
    RuleSetKind,
)
from consult.rules.thresholds import Basis

B = BodyKind
D = DecisionType


def _c(
    rule_id: str, article: int, paragraph: int | None = None, *, practice: bool = False
) -> Citation:
    return Citation(rule_id, COLLECTIVE_2024, article, paragraph, number_is_practice=practice)


COL_01 = _c("COL-01", 26)  # the members' general meeting: members with full capacity
COL_02 = _c("COL-02", 26, 1)  # its powers: charter, land contracting, property, elections...
COL_03 = _c("COL-03", 26, 2)  # important matters first studied by the Party organization
COL_04 = _c("COL-04", 27, 1)  # notice ≥ 10 days with time, place and agenda
COL_05 = _c("COL-05", 27, 1)  # quorum ≥ 2/3; online attendance; proxy: same household
COL_06 = _c("COL-06", 27, 2)  # at least once a year
COL_07 = _c("COL-07", 27, 3)  # decision: ≥ 2/3 of ALL members
COL_08 = _c("COL-08", 28)  # representative assembly: ≥ 2/3 of all representatives
COL_08_PRACTICE = _c("COL-08", 28, practice=True)  # its quorum is not stated
COL_09 = _c("COL-09", 31)  # board: quorum ≥ 2/3; decisions > 1/2 of all directors

MEMBERS = Name("具有完全民事行为能力的成员", "the members with full civil capacity")
REPRESENTATIVES = Name("成员代表", "the members' representatives")
DIRECTORS = Name("理事会成员", "the directors")


def collective_2025() -> RuleSet:
    rs = "collective-2025"
    party = Gate(GateKind.PARTY_REVIEW, COL_03)
    meeting = DecisionRule(
        rule_set_id=rs,
        body=B.MEMBERS_MEETING,
        decision_type=D.ORDINARY,
        body_name=Name("成员大会", "members' general meeting"),
        members=Members(
            MemberKind.CAPABLE_MEMBERS,
            "本集体经济组织具有完全民事行为能力的全体成员",
            "all members of the collective with full civil capacity",
        ),
        # COL-05: 三分之二以上具有完全民事行为能力的成员参加 (online attendance counts).
        quorum=(QuorumAlternative(MemberKind.CAPABLE_MEMBERS, ge(2, 3, Basis.ELIGIBLE), MEMBERS),),
        quorum_citation=COL_05,
        threshold=ge(2, 3, Basis.ALL_MEMBERS),  # COL-07: 全体成员三分之二以上同意
        citation=COL_07,
        notice=Notice(10, COL_04, short_notice_allowed=False, with_agenda=True),
        # COL-05: only another capable member of the same household, in writing; no cap stated.
        proxies=ProxyRule(allowed=True, citation=COL_05, holder=ProxyHolder.SAME_HOUSEHOLD),
        also=(COL_01, COL_04),
    )
    assembly = DecisionRule(
        rule_set_id=rs,
        body=B.REPRESENTATIVE_COUNCIL,
        decision_type=D.ORDINARY,
        body_name=Name("成员代表大会", "members' representative assembly"),
        members=Members(
            MemberKind.BODY_MEMBERS,
            "成员代表（每五户至十五户选举一名，总数超过二十名）",
            "members' representatives (one per 5 to 15 households, more than 20 in all)",
        ),
        # D8a: the law states no quorum; suggested two-thirds (practice, not statute).
        quorum=(
            QuorumAlternative(
                MemberKind.BODY_MEMBERS, ge(2, 3, Basis.BODY_MEMBERS), REPRESENTATIVES
            ),
        ),
        quorum_citation=COL_08_PRACTICE,
        threshold=ge(2, 3, Basis.ALL_MEMBERS),  # COL-08: 全体成员代表三分之二以上同意
        citation=COL_08,
    )
    board = DecisionRule(
        rule_set_id=rs,
        body=B.COMMITTEE,
        decision_type=D.ORDINARY,
        body_name=Name("理事会", "board of directors"),
        members=Members(
            MemberKind.BODY_MEMBERS, "理事会成员（三至七名，单数）", "the directors (3 to 7, odd)"
        ),
        quorum=(
            QuorumAlternative(MemberKind.BODY_MEMBERS, ge(2, 3, Basis.BODY_MEMBERS), DIRECTORS),
        ),
        quorum_citation=COL_09,
        threshold=gt(1, 2, Basis.ALL_MEMBERS),  # COL-09: 全体理事的过半数
        citation=COL_09,
    )
    important = {"gates": (party,), "also": (COL_02, COL_03, COL_04)}
    rules = [
        meeting,
        variant(meeting, D.MAJOR, **important),
        variant(meeting, D.CHARTER, **important),
        variant(meeting, D.COLLECTIVE_PROPERTY, **important),
        variant(meeting, D.LAND_CONTRACTING, **important),
        variant(meeting, D.ELECTION, also=(COL_02, COL_04)),
        variant(meeting, D.RECALL, also=(COL_02, COL_04)),
        procedural(meeting),
        consultation(meeting, POL_05),
        assembly,
        variant(assembly, D.MAJOR, gates=(party,), also=(COL_03,)),
        variant(assembly, D.COLLECTIVE_PROPERTY, gates=(party,), also=(COL_03,)),
        procedural(assembly),
        consultation(assembly, POL_05),
        board,
        procedural(board),
        consultation(board, POL_05),
    ]
    reserved = (
        "reserved to the members' general meeting (COL-08, Art. 28): charter, membership, "
        "land contracting, homesteads, shares, compensation, merger or split"
    )
    statutory_only = "the members' general meeting decides it (COL-02)"
    refusals: dict[tuple[BodyKind, DecisionType | None], str] = {
        (B.RESIDENTS_MEETING, None): "the villagers' meeting follows the Villagers' "
        "Committees Law (rule set village-2026)",
        (B.GROUP_MEETING, None): "the villagers' group meeting follows the Villagers' "
        "Committees Law (rule set village-2026)",
        (B.SUPERVISORY_COUNCIL, None): "the law names a board of supervisors but sets no "
        "decision rule for it",
        (B.REPRESENTATIVE_COUNCIL, D.CHARTER): reserved,
        (B.REPRESENTATIVE_COUNCIL, D.LAND_CONTRACTING): reserved,
        (B.MEMBERS_MEETING, D.EVALUATION): "democratic evaluation belongs to the "
        "villagers' committee laws",
    }
    for dtype in (D.MAJOR, D.CHARTER, D.COLLECTIVE_PROPERTY, D.LAND_CONTRACTING):
        refusals[(B.COMMITTEE, dtype)] = statutory_only
    return make_rule_set(
        id=rs,
        kind=RuleSetKind.COLLECTIVE,
        title=Name(
            "《农村集体经济组织法》（2025年5月1日起施行）",
            "Rural Collective Economic Organizations Law (in force 2025-05-01)",
        ),
        effective_from=date(2025, 5, 1),
        effective_to=None,
        bodies=[
            BodyInfo(
                B.MEMBERS_MEETING,
                Name("成员大会", "members' general meeting"),
                min_meetings_per_year=1,  # COL-06: 每年至少召开一次
                frequency_citation=COL_06,
            ),
            BodyInfo(
                B.REPRESENTATIVE_COUNCIL, Name("成员代表大会", "members' representative assembly")
            ),
            BodyInfo(B.COMMITTEE, Name("理事会", "board of directors")),
        ],
        rules=rules,
        refusals=refusals,
    )
