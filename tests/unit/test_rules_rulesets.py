"""The rule sets: which body may take which decision under which text, and what the statute says
about it (RULES.md §2 and §3(b)). Every combination a rule set defines cites its article; every
other combination raises NotAvailable with a message."""

from __future__ import annotations

import ast
import re
import sys
from datetime import date
from pathlib import Path

import pytest

from consult.rules.errors import NoRuleSetInForce, NotAvailable, RulesError, UnknownRuleSet
from consult.rules.model import (
    Abstentions,
    BodyKind,
    DecisionType,
    GateKind,
    MemberKind,
    Mode,
    Motion,
    Population,
    ProxyHolder,
)
from consult.rules.rulesets import RULE_SET_IDS, all_rule_sets, get_rule_set, rule_set_in_force
from consult.rules.thresholds import Basis, Op, Threshold, minimum_count

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

RM, RC, GM = "residents_meeting", "representative_council", "group_meeting"
CO, SC, MM = "committee", "supervisory_council", "members_meeting"
RR03 = ("RR-03", "第44节", "§44")

# (rule set, body, decision type) → (rule id, Chinese article, English article) of the pass rule.
EXPECTED: dict[tuple[str, str, str], tuple[str, str, str]] = {}


def _expect(rule_set: str, body: str, table: dict[str, tuple[str, str, str]]) -> None:
    for dtype, cited in table.items():
        EXPECTED[(rule_set, body, dtype)] = cited


# urban-2026: 城市居民委员会组织法 (2025 revision)
_A27 = ("URC25-23", "第二十七条", "Art. 27")
_A29 = ("URC25-26", "第二十九条", "Art. 29")
_A32 = ("URC25-30", "第三十二条", "Art. 32")
_ELECT = ("URC25-12", "第十九条第二款", "Art. 19, para. 2")
_RECALL = ("URC25-16", "第二十条第二款", "Art. 20, para. 2")
_expect("urban-2026", RM, {
    "ordinary": _A27, "major": _A27, "charter": _A27, "election": _ELECT, "recall": _RECALL,
    "evaluation": _A27, "procedural": RR03, "consultation": _A32,
})  # fmt: skip
_expect("urban-2026", RC, {
    "ordinary": _A29, "major": _A29, "charter": _A29, "election": _ELECT, "recall": _RECALL,
    "evaluation": _A29, "procedural": RR03, "consultation": _A32,
})  # fmt: skip
_expect("urban-2026", CO, {
    "ordinary": ("URC25-31", "第三十三条", "Art. 33"), "procedural": RR03, "consultation": _A32,
})  # fmt: skip
_expect("urban-2026", SC, {
    "ordinary": ("URC25-35", "第三十六条", "Art. 36"), "procedural": RR03, "consultation": _A32,
})  # fmt: skip

# urban-1990: the 2018 text
_A9 = ("URC18-05", "（2018年修正）第九条第三款", "(2018 text), Art. 9, para. 3")
_POL = ("POL-05", "第五部分", "part 5")
_expect("urban-1990", RM, {
    "ordinary": _A9, "major": _A9, "charter": _A9, "recall": _A9, "procedural": RR03,
    "consultation": _POL,
})  # fmt: skip
_expect("urban-1990", CO, {
    "ordinary": ("URC18-08", "第十一条", "Art. 11"), "procedural": RR03, "consultation": _POL,
})  # fmt: skip

# village-2026: 村民委员会组织法 (2025 amendment)
_V26 = ("VC25-14", "第二十六条", "Art. 26")
_V30 = ("VC25-21", "第三十条第二款", "Art. 30, para. 2")
_V33 = ("VC25-24", "第三十三条", "Art. 33")
_LAND = (
    "LAND-01",
    "《农村土地承包法》第十九条第（三）项",
    "Rural Land Contracting Law, Art. 19(3)",
)
_expect("village-2026", RM, {
    "ordinary": _V26, "major": _V26, "charter": _V26, "land_contracting": _LAND,
    "election": ("VC25-07", "第十八条第二款", "Art. 18, para. 2"),
    "recall": ("VC25-10", "第十九条", "Art. 19"), "evaluation": _V26, "procedural": RR03,
    "consultation": _V33,
})  # fmt: skip
_expect("village-2026", RC, {
    "ordinary": _V30, "major": _V30, "land_contracting": _LAND, "evaluation": _V30,
    "procedural": RR03, "consultation": _V33,
})  # fmt: skip
_expect("village-2026", GM, {
    "ordinary": ("VC25-23", "第三十二条", "Art. 32"), "procedural": RR03, "consultation": _V33,
})  # fmt: skip
_expect("village-2026", CO, {
    "ordinary": ("VC25-25", "第三十四条", "Art. 34"), "procedural": RR03, "consultation": _V33,
})  # fmt: skip
_expect("village-2026", SC, {
    "ordinary": ("VC25-30", "第三十七条", "Art. 37"), "procedural": RR03, "consultation": _V33,
})  # fmt: skip

# village-2018: shared VC25 rows under their 2018 article numbers, VC18 rows where texts differ
_V22 = ("VC25-14", "（2018年修正）第二十二条", "(2018 text), Art. 22")
_V26_18 = ("VC25-21", "（2018年修正）第二十六条", "(2018 text), Art. 26")
_expect("village-2018", RM, {
    "ordinary": _V22, "major": _V22, "charter": _V22, "collective_property": _V22,
    "land_contracting": _LAND, "election": ("VC25-07", "第十五条第二款", "Art. 15, para. 2"),
    "recall": ("VC25-10", "第十六条", "Art. 16"), "evaluation": _V22, "procedural": RR03,
    "consultation": _POL,
})  # fmt: skip
_expect("village-2018", RC, {
    "ordinary": _V26_18, "major": _V26_18, "collective_property": _V26_18,
    "land_contracting": _LAND, "evaluation": _V26_18, "procedural": RR03, "consultation": _POL,
})  # fmt: skip
_expect("village-2018", GM, {
    "ordinary": ("VC25-23", "第二十八条", "Art. 28"), "procedural": RR03, "consultation": _POL,
})  # fmt: skip
_expect("village-2018", CO, {
    "ordinary": ("VC25-25", "第二十九条", "Art. 29"), "procedural": RR03, "consultation": _POL,
})  # fmt: skip
_expect("village-2018", SC, {
    "ordinary": ("VC18-05", "第三十二条", "Art. 32"), "procedural": RR03, "consultation": _POL,
})  # fmt: skip

# collective-2025: 农村集体经济组织法
_C27 = ("COL-07", "《农村集体经济组织法》第二十七条第三款", "Art. 27, para. 3")
_C28 = ("COL-08", "第二十八条", "Art. 28")
_expect("collective-2025", MM, {
    "ordinary": _C27, "major": _C27, "charter": _C27, "collective_property": _C27,
    "land_contracting": _C27, "election": _C27, "recall": _C27, "procedural": RR03,
    "consultation": _POL,
})  # fmt: skip
_expect("collective-2025", RC, {
    "ordinary": _C28, "major": _C28, "collective_property": _C28, "procedural": RR03,
    "consultation": _POL,
})  # fmt: skip
_expect("collective-2025", CO, {
    "ordinary": ("COL-09", "第三十一条", "Art. 31"), "procedural": RR03, "consultation": _POL,
})  # fmt: skip

# general: Robert's Rules, for every body kind
for _body in BodyKind:
    _expect("general", _body.value, {
        "ordinary": RR03, "charter": ("RR-12", "第57节", "§57"), "election": RR03,
        "procedural": RR03, "consultation": _POL,
    })  # fmt: skip

ALL_COMBINATIONS = [
    (rs, body.value, dtype.value)
    for rs in RULE_SET_IDS
    for body in BodyKind
    for dtype in DecisionType
]


def rule(rule_set: str, body: str, dtype: str, **kw):
    return get_rule_set(rule_set).rule_for(body, dtype, **kw)


# -- the catalogue -------------------------------------------------------------------------------


def test_the_catalogue_has_the_six_rule_sets_of_rules_md():
    assert set(RULE_SET_IDS) == {
        "urban-2026",
        "village-2026",
        "urban-1990",
        "village-2018",
        "collective-2025",
        "general",
    }
    assert [rs.id for rs in all_rule_sets()] == list(RULE_SET_IDS)


def test_an_unknown_rule_set_id_is_refused():
    with pytest.raises(UnknownRuleSet, match="urban-2027"):
        get_rule_set("urban-2027")


@pytest.mark.parametrize(
    ("kind", "on", "expected"),
    [
        ("urban", date(2025, 12, 31), "urban-1990"),
        ("urban", date(2026, 1, 1), "urban-2026"),
        ("urban", date(1990, 1, 1), "urban-1990"),
        ("urban", date(2040, 6, 1), "urban-2026"),
        ("village", date(2025, 12, 31), "village-2018"),
        ("village", date(2026, 1, 1), "village-2026"),
        ("village", date(2018, 12, 29), "village-2018"),
        ("collective", date(2025, 5, 1), "collective-2025"),
        ("general", date(1900, 1, 1), "general"),
    ],
)
def test_a_meeting_is_judged_by_the_rule_set_in_force_on_its_date(kind, on, expected):
    assert rule_set_in_force(kind, on).id == expected


@pytest.mark.parametrize(
    ("kind", "on"),
    [
        ("urban", date(1989, 12, 31)),
        ("village", date(2018, 12, 28)),
        ("collective", date(2025, 4, 30)),
    ],
)
def test_no_rule_set_before_the_earliest_text(kind, on):
    with pytest.raises(NoRuleSetInForce, match=on.isoformat()):
        rule_set_in_force(kind, on)


def test_an_unknown_kind_of_rule_set_is_refused():
    with pytest.raises(UnknownRuleSet, match="township"):
        rule_set_in_force("township", date(2026, 1, 1))


def test_the_superseded_texts_end_the_day_before_the_new_ones_begin():
    for old, new in (("urban-1990", "urban-2026"), ("village-2018", "village-2026")):
        assert get_rule_set(old).effective_to == date(2025, 12, 31)
        assert get_rule_set(new).effective_from == date(2026, 1, 1)
        assert get_rule_set(new).effective_to is None


# -- every combination ---------------------------------------------------------------------------


@pytest.mark.parametrize(("rule_set", "body", "dtype"), sorted(EXPECTED))
def test_each_defined_decision_cites_its_rule_and_article(rule_set, body, dtype):
    r = rule(rule_set, body, dtype)
    rule_id, zh, en = EXPECTED[(rule_set, body, dtype)]
    assert (r.rule_set_id, r.body.value, r.decision_type.value) == (rule_set, body, dtype)
    assert r.rule_id == rule_id
    assert zh in r.citation.zh
    assert en in r.citation.en
    assert r.citation.zh.startswith("《")


@pytest.mark.parametrize(
    ("rule_set", "body", "dtype"), [c for c in ALL_COMBINATIONS if c not in EXPECTED]
)
def test_each_undefined_decision_raises_a_clear_error(rule_set, body, dtype):
    with pytest.raises(NotAvailable) as raised:
        rule(rule_set, body, dtype)
    message = str(raised.value)
    assert rule_set in message
    assert body in message or dtype in message


def test_the_table_of_expectations_covers_exactly_what_the_rule_sets_define():
    defined = {
        (rs.id, body.value, dtype.value) for rs in all_rule_sets() for (body, dtype) in rs.rules
    }
    assert defined == set(EXPECTED)


def test_decision_types_lists_what_a_body_may_take_in_order():
    assert get_rule_set("urban-2026").decision_types("committee") == (
        DecisionType.ORDINARY,
        DecisionType.PROCEDURAL,
        DecisionType.CONSULTATION,
    )


@pytest.mark.parametrize(
    ("rule_set", "body", "dtype", "reason"),
    [
        ("urban-2026", RM, "land_contracting", "rural collectives"),
        ("urban-2026", GM, "ordinary", "no group meeting"),
        ("urban-2026", MM, "ordinary", "collective-2025"),
        ("urban-1990", RC, "ordinary", "2025 revision"),
        ("urban-1990", RM, "election", "provincial election rules"),
        ("village-2026", RM, "collective_property", "collective-2025"),
        ("village-2026", RC, "election", "registered voters"),
        ("village-2026", RC, "charter", "villagers' meeting"),
        ("collective-2025", RC, "land_contracting", "members' general meeting"),
        ("general", RM, "major", "statutory"),
    ],
)
def test_refusals_explain_why(rule_set, body, dtype, reason):
    with pytest.raises(NotAvailable, match=re.escape(reason)):
        rule(rule_set, body, dtype)


@pytest.mark.parametrize(
    ("body", "dtype"), [("assembly", "ordinary"), (RM, "referendum")], ids=["body", "dtype"]
)
def test_unknown_body_kinds_and_decision_types_are_refused(body, dtype):
    with pytest.raises(NotAvailable, match="unknown"):
        rule("urban-2026", body, dtype)


def test_all_rules_errors_share_one_base_class():
    assert issubclass(NotAvailable, RulesError)
    assert issubclass(NotAvailable, LookupError)


# -- residents' and villagers' meetings ----------------------------------------------------------


def test_residents_meeting_needs_more_than_half_of_adults_or_of_households():
    r = rule("urban-2026", RM, "ordinary")
    assert [(a.mode, a.threshold) for a in r.quorum] == [
        (Mode.ALL_ADULTS, Threshold(Basis.ELIGIBLE, Op.GT, 1, 2)),
        (Mode.HOUSEHOLDS, Threshold(Basis.HOUSEHOLDS, Op.GT, 1, 2)),
    ]  # URC25-23
    assert r.threshold == Threshold(Basis.PRESENT, Op.GT, 1, 2)
    assert r.members.kind is MemberKind.ALL_ADULTS


def test_villagers_meeting_needs_more_than_half_of_adults_or_two_thirds_of_households():
    r = rule("village-2026", RM, "ordinary")
    assert [(a.mode, a.threshold) for a in r.quorum] == [
        (Mode.ALL_ADULTS, Threshold(Basis.ELIGIBLE, Op.GT, 1, 2)),
        (Mode.HOUSEHOLDS, Threshold(Basis.HOUSEHOLDS, Op.GE, 2, 3)),
    ]  # VC25-14
    assert r.threshold == Threshold(Basis.PRESENT, Op.GT, 1, 2)


def test_representative_meetings_need_two_thirds_of_members_present():
    for rs in ("urban-2026", "village-2026", "village-2018"):
        r = rule(rs, RC, "ordinary")
        assert [a.threshold for a in r.quorum] == [Threshold(Basis.BODY_MEMBERS, Op.GE, 2, 3)]
        assert r.threshold == Threshold(Basis.PRESENT, Op.GT, 1, 2)


def test_villagers_group_meeting_needs_two_thirds_of_its_adults_or_households():
    r = rule("village-2026", GM, "ordinary")  # VC25-23
    assert [a.threshold for a in r.quorum] == [
        Threshold(Basis.ELIGIBLE, Op.GE, 2, 3),
        Threshold(Basis.HOUSEHOLDS, Op.GE, 2, 3),
    ]


def test_the_1990_urban_text_also_allowed_meetings_of_group_representatives():
    r = rule("urban-1990", RM, "ordinary")  # URC18-04, URC18-05
    assert [a.mode for a in r.quorum_for()] == [
        Mode.ALL_ADULTS,
        Mode.HOUSEHOLDS,
        Mode.GROUP_REPRESENTATIVES,
    ]
    assert r.quorum_for("group_representatives")[0].threshold == Threshold(
        Basis.BODY_MEMBERS, Op.GT, 1, 2
    )
    with pytest.raises(NotAvailable, match="group_representatives"):
        rule("urban-2026", RM, "ordinary").quorum_for(Mode.GROUP_REPRESENTATIVES)


def test_quorum_alternatives_are_filtered_by_the_body_mode():
    r = rule("village-2026", RM, "ordinary")
    assert [a.mode for a in r.quorum_for("households")] == [Mode.HOUSEHOLDS]
    assert [a.mode for a in r.quorum_for(Mode.ALL_ADULTS)] == [Mode.ALL_ADULTS]
    with pytest.raises(NotAvailable, match="unknown body mode"):
        r.quorum_for("by_lot")


def test_village_elections_are_by_registered_voters_never_by_household():
    r = rule("village-2026", RM, "election")  # VC25-07
    assert r.members.kind is MemberKind.REGISTERED_VOTERS
    with pytest.raises(NotAvailable, match="households mode"):
        r.quorum_for(Mode.HOUSEHOLDS)


def test_elections_are_valid_with_more_than_half_voting_and_won_with_more_than_half_of_votes():
    for rs in ("village-2026", "village-2018", "urban-2026"):
        r = rule(rs, RM, "election")  # VC25-07, URC25-11, URC25-12
        assert r.quorum[0].threshold == Threshold(Basis.ELIGIBLE, Op.GT, 1, 2)
        assert r.quorum[0].counts_voters
        assert r.threshold == Threshold(Basis.VOTED, Op.GT, 1, 2)
        assert r.supplementary == Threshold(Basis.BALLOTS_CAST, Op.GE, 1, 3)
        assert r.voter_roll is not None
        assert r.voter_roll.days == 20  # URC25-09, VC25-05


def test_an_election_by_representatives_needs_more_than_two_thirds_voting():
    r = rule("urban-2026", RC, "election")  # URC25-11: 超过三分之二
    assert r.quorum[0].threshold == Threshold(Basis.BODY_MEMBERS, Op.GT, 2, 3)
    assert not r.proxies.allowed  # URC25-14: no proxies in representative mode


def test_land_contracting_needs_two_thirds_of_all_members_of_the_meeting():
    for body in (RM, RC):
        r = rule("village-2026", body, "land_contracting")  # LAND-01
        assert r.threshold == Threshold(Basis.ALL_MEMBERS, Op.GE, 2, 3)
        assert r.quorum == rule("village-2026", body, "ordinary").quorum


def test_collective_decisions_need_two_thirds_of_all_members_and_a_two_thirds_quorum():
    r = rule("collective-2025", MM, "collective_property")
    assert r.quorum[0].threshold == Threshold(Basis.ELIGIBLE, Op.GE, 2, 3)  # COL-05
    assert r.threshold == Threshold(Basis.ALL_MEMBERS, Op.GE, 2, 3)  # COL-07
    assert r.members.kind is MemberKind.CAPABLE_MEMBERS
    board = rule("collective-2025", CO, "ordinary")  # COL-09
    assert board.threshold == Threshold(Basis.ALL_MEMBERS, Op.GT, 1, 2)


def test_committee_numbers_are_practice_not_statute():
    for rs in ("urban-2026", "village-2026", "village-2018", "urban-1990"):
        r = rule(rs, CO, "ordinary")  # D6: 少数服从多数, no numbers in the law
        assert r.citation.practice
        assert not r.citation.is_statute
        assert r.practice


def test_statutory_rules_are_not_flagged_as_practice():
    r = rule("urban-2026", RM, "ordinary")
    assert not r.practice
    assert r.citation.is_statute


def test_robert_rules_and_rows_known_only_secondhand_are_practice():
    assert rule("general", CO, "ordinary").citation.practice  # RR-03 is C2
    assert rule("urban-2026", RM, "procedural").citation.practice
    assert rule("village-2018", RM, "consultation").citation.practice  # POL-05 is M
    assert rule("collective-2025", RC, "ordinary").practice  # D8a: quorum suggested
    assert not rule("collective-2025", RC, "ordinary").citation.practice  # COL-08 is C


def test_every_rule_gives_members_and_words_in_both_languages():
    for rs in all_rule_sets():
        for r in rs.rules.values():
            assert r.members.zh
            assert r.members.en
            for locale in ("zh", "en", None):
                assert r.quorum_words(locale)
                assert r.threshold_words(locale)
                assert r.citation.text(locale)
            for c in r.citations:
                assert c.zh.startswith("《")
                assert c.as_dict()["id"] == c.rule_id


def test_threshold_words_follow_the_statute():
    r = rule("village-2026", RM, "ordinary")
    assert r.threshold_words("zh") == "到会人员过半数"
    assert r.threshold_words("en") == "more than half of those present"
    assert r.threshold_words() == "到会人员过半数 (more than half of those present)"
    assert "本村十八周岁以上村民过半数参加" in r.quorum_words("zh")
    assert "或者" in r.quorum_words("zh")
    assert r.quorum_words("en", "households") == (
        "two-thirds or more of the household representatives of the village attend"
    )


def test_the_citation_names_the_law_and_article_in_both_languages():
    c = rule("urban-2026", RM, "ordinary").citation
    assert c.zh == "《城市居民委员会组织法》第二十七条"
    assert c.en == "Urban Residents' Committees Law, Art. 27"
    old = rule("village-2018", RM, "ordinary").citation
    assert old.zh == "《村民委员会组织法》（2018年修正）第二十二条"
    assert old.en == "Villagers' Committees Law (2018 text), Art. 22"


# -- abstentions, ties, consultation ---------------------------------------------------------------


def test_abstentions_count_against_under_the_statutes_and_are_ignored_under_roberts_rules():
    assert rule("urban-2026", RM, "ordinary").abstentions is Abstentions.COUNT_AGAINST
    assert rule("collective-2025", MM, "ordinary").abstentions is Abstentions.COUNT_AGAINST
    assert rule("general", RM, "ordinary").abstentions is Abstentions.IGNORED
    assert rule("urban-2026", RM, "procedural").abstentions is Abstentions.IGNORED
    assert rule("urban-2026", RM, "consultation").abstentions is Abstentions.NOT_APPLICABLE


def test_ties_always_fail():
    assert {r.ties for rs in all_rule_sets() for r in rs.rules.values()} == {"fail"}


def test_consultation_is_never_binding():
    for rs in all_rule_sets():
        for (_body, dtype), r in rs.rules.items():
            assert r.binding is (dtype is not DecisionType.CONSULTATION)
            if dtype is DecisionType.CONSULTATION:
                assert r.threshold is None
                assert r.quorum == ()
                assert r.basis is None


# -- procedural motions (D16) ---------------------------------------------------------------------


@pytest.mark.parametrize("motion", [Motion.CLOSE_DEBATE, Motion.SUSPEND_RULES, Motion.LIMIT_DEBATE])
def test_closing_or_limiting_debate_needs_two_thirds_of_votes_cast(motion):
    r = rule("urban-2026", RM, "procedural", motion=motion)  # RR-05
    assert r.threshold == Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GE, 2, 3)
    assert r.rule_id == "RR-05"
    assert r.motion is motion
    assert r.quorum == rule("urban-2026", RM, "ordinary").quorum  # the meeting stays quorate


def test_ordinary_procedural_motions_need_a_majority_of_votes_cast():
    r = rule("village-2026", RC, "procedural", motion="adopt_agenda")  # RR-03
    assert r.threshold == Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GT, 1, 2)
    assert r.rule_id == "RR-03"
    assert rule("general", CO, "procedural", motion=Motion.RESCIND).rule_id == "RR-11"


def test_motions_apply_only_to_procedural_decisions():
    with pytest.raises(NotAvailable, match="only to procedural"):
        rule("urban-2026", RM, "ordinary", motion=Motion.CLOSE_DEBATE)
    with pytest.raises(NotAvailable, match="unknown procedural motion"):
        rule("urban-2026", RM, "procedural", motion="filibuster")


# -- demand, notice, gates, proxies ----------------------------------------------------------------


def _demands(r):
    return [(d.population, d.op, d.num, d.den, d.citation.rule_id) for d in r.demand]


def test_a_tenth_of_adults_or_households_or_a_third_of_representatives_can_demand_a_meeting():
    assert _demands(rule("urban-2026", RM, "ordinary")) == [
        (Population.ADULTS, Op.GE, 1, 10, "URC25-22"),
        (Population.HOUSEHOLDS, Op.GE, 1, 10, "URC25-22"),
        (Population.REPRESENTATIVES, Op.GE, 1, 3, "URC25-22"),
    ]
    assert _demands(rule("village-2026", RM, "ordinary")) == [
        (Population.ADULTS, Op.GE, 1, 10, "VC25-13"),
        (Population.REPRESENTATIVES, Op.GE, 1, 3, "VC25-13"),
    ]


def test_a_fifth_of_representatives_can_demand_a_representative_meeting():
    assert _demands(rule("urban-2026", RC, "ordinary")) == [
        (Population.REPRESENTATIVES, Op.GE, 1, 5, "URC25-25")
    ]
    assert _demands(rule("village-2026", RC, "ordinary")) == [
        (Population.REPRESENTATIVES, Op.GE, 1, 5, "VC25-20")
    ]


def test_before_2026_a_fifth_of_urban_residents_was_needed_to_demand_a_meeting():
    assert _demands(rule("urban-1990", RM, "ordinary")) == [
        (Population.ADULTS, Op.GE, 1, 5, "URC18-06"),
        (Population.HOUSEHOLDS, Op.GE, 1, 5, "URC18-06"),
        (Population.RESIDENTS_GROUPS, Op.GE, 1, 3, "URC18-06"),
    ]


def test_a_recall_is_initiated_by_a_fifth_of_village_voters_or_a_tenth_of_urban_voters():
    assert _demands(rule("village-2026", RM, "recall")) == [
        (Population.VOTERS, Op.GE, 1, 5, "VC25-10"),
        (Population.REPRESENTATIVES, Op.GE, 1, 3, "VC25-10"),
    ]
    assert [d[:4] for d in _demands(rule("urban-2026", RC, "recall"))] == [
        (Population.VOTERS, Op.GE, 1, 10),
        (Population.HOUSEHOLDS, Op.GE, 1, 10),
        (Population.REPRESENTATIVES, Op.GE, 1, 3),
    ]


def test_demand_thresholds_count_with_the_same_arithmetic():
    tenth = rule("urban-2026", RM, "ordinary").demand[0]
    assert minimum_count(tenth, 3000) == 300  # "十分之一以上" includes 300
    assert tenth.zh == "本社区十八周岁以上居民十分之一以上"
    assert tenth.en == "one-tenth or more of the residents of the community aged 18 or over"


@pytest.mark.parametrize(
    ("rule_set", "body", "days", "short", "rule_id"),
    [
        ("urban-2026", RM, 10, True, "URC25-22"),
        ("village-2026", RM, 10, True, "VC25-13"),
        ("village-2018", RM, 10, True, "VC25-13"),
        ("collective-2025", MM, 10, False, "COL-04"),
    ],
)
def test_residents_villagers_and_members_meetings_need_ten_days_notice(
    rule_set, body, days, short, rule_id
):
    r = rule(rule_set, body, "ordinary")
    assert r.notice is not None
    assert (r.notice_days, r.notice.short_notice_allowed) == (days, short)
    assert r.notice.citation.rule_id == rule_id


def test_the_members_meeting_notice_includes_the_agenda():
    notice = rule("collective-2025", MM, "ordinary").notice
    assert notice is not None
    assert notice.with_agenda


@pytest.mark.parametrize(
    ("rule_set", "body"),
    [("urban-1990", RM), ("urban-2026", RC), ("village-2026", RC), ("urban-2026", CO)],
)
def test_no_statutory_notice_period_where_the_text_sets_none(rule_set, body):
    assert rule(rule_set, body, "ordinary").notice_days is None


@pytest.mark.parametrize(
    ("rule_set", "body", "dtype", "rule_id"),
    [
        ("urban-2026", RM, "major", "URC25-28"),
        ("urban-2026", RC, "major", "URC25-28"),
        ("village-2026", RM, "major", "VC25-17"),
        ("village-2026", RC, "major", "VC25-17"),
        ("village-2026", RM, "land_contracting", "VC25-17"),
        ("collective-2025", MM, "major", "COL-03"),
        ("collective-2025", MM, "collective_property", "COL-03"),
        ("collective-2025", MM, "land_contracting", "COL-03"),
        ("collective-2025", MM, "charter", "COL-03"),
    ],
)
def test_important_matters_go_to_the_party_organization_first(rule_set, body, dtype, rule_id):
    r = rule(rule_set, body, dtype)
    assert r.party_review_required
    gate = r.gate(GateKind.PARTY_REVIEW)
    assert gate is not None
    assert gate.citation.rule_id == rule_id


def test_the_party_review_gate_is_new_in_2025_and_not_for_ordinary_matters():
    assert not rule("urban-2026", RM, "ordinary").party_review_required
    assert not rule("village-2018", RM, "major").party_review_required
    assert not rule("urban-1990", RM, "major").party_review_required


@pytest.mark.parametrize(
    ("rule_set", "body", "invited"),
    [
        ("urban-2026", CO, True),  # URC25-35
        ("urban-2026", RC, True),
        ("urban-2026", RM, False),
        ("village-2026", CO, True),  # VC25-30
        ("village-2026", RC, True),
        ("village-2018", CO, True),  # VC18-05: committee meetings only
        ("village-2018", RC, False),
        ("urban-1990", CO, False),
    ],
)
def test_the_supervisory_committee_is_invited_to_committee_and_representative_meetings(
    rule_set, body, invited
):
    assert rule(rule_set, body, "ordinary").supervisory_invited is invited


def test_democratic_evaluation_is_chaired_by_the_supervisory_committee():
    for rs, body in (("urban-2026", RM), ("urban-2026", RC), ("village-2026", RM)):
        assert rule(rs, body, "evaluation").supervisory_chairs
    assert not rule("urban-2026", RM, "ordinary").supervisory_chairs


def test_representative_meetings_may_decide_reserved_matters_only_if_delegated():
    assert rule("urban-2026", RC, "major").delegated_from is BodyKind.RESIDENTS_MEETING
    assert rule("urban-2026", RC, "charter").delegated_from is BodyKind.RESIDENTS_MEETING
    assert rule("village-2026", RC, "major").delegated_from is BodyKind.RESIDENTS_MEETING
    assert rule("urban-2026", RM, "major").delegated_from is None


def test_proxies_are_limited_to_three_per_holder_and_never_held_by_candidates():
    urban = rule("urban-2026", RM, "election").proxies  # URC25-14
    assert (urban.allowed, urban.max_per_holder, urban.candidates_may_hold) == (True, 3, False)
    assert urban.holder is ProxyHolder.ANY_VOTER
    assert not urban.by_analogy
    village = rule("village-2026", RM, "election").proxies  # VC25-09
    assert (village.max_per_holder, village.holder) == (3, ProxyHolder.CLOSE_RELATIVE_OR_VILLAGER)
    assert rule("village-2026", RM, "ordinary").proxies.by_analogy


def test_before_2026_village_proxies_were_close_relatives_only_without_a_cap():
    proxies = rule("village-2018", RM, "election").proxies  # VC18-03
    assert (proxies.holder, proxies.max_per_holder) == (ProxyHolder.CLOSE_RELATIVE, None)


def test_a_collective_member_may_hold_a_proxy_only_for_the_same_household():
    proxies = rule("collective-2025", MM, "ordinary").proxies  # COL-05
    assert proxies.allowed
    assert proxies.holder is ProxyHolder.SAME_HOUSEHOLD
    assert proxies.in_writing


def test_committees_and_representative_meetings_take_no_proxies():
    for rs, body in (("urban-2026", CO), ("urban-2026", RC), ("village-2026", RC)):
        assert not rule(rs, body, "ordinary").proxies.allowed


def test_meeting_frequencies_come_from_the_statute():
    assert get_rule_set("village-2026").body(RC).min_meetings_per_year == 4  # VC25-20
    assert get_rule_set("village-2026").body(RM).min_meetings_per_year == 1  # VC25-13
    assert get_rule_set("village-2018").body(RM).min_meetings_per_year is None  # VC18-02
    assert get_rule_set("urban-2026").body(RC).min_meetings_per_year == 2  # URC25-25
    assert get_rule_set("collective-2025").body(MM).min_meetings_per_year == 1  # COL-06


# -- purity and documentation --------------------------------------------------------------------


def test_the_rules_package_imports_nothing_but_the_standard_library():
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    for path in (ROOT / "consult" / "rules").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed or name.startswith("consult.rules"), (
                    f"{path.name} imports {name}"
                )


def test_the_user_guide_explains_every_rule_the_engine_cites():
    guide = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    cited = {"RR-05", "RR-11"}  # the two-thirds motions
    for rs in all_rule_sets():
        for r in rs.rules.values():
            cited |= {c.rule_id for c in r.citations}
            cited |= {g.citation.rule_id for g in r.gates}
            cited |= {d.citation.rule_id for d in r.demand}
            if r.proxies.citation:
                cited.add(r.proxies.citation.rule_id)
            if r.notice and r.notice.citation:
                cited.add(r.notice.citation.rule_id)
            if r.voter_roll:
                cited.add(r.voter_roll.citation.rule_id)
        cited |= {b.frequency_citation.rule_id for b in rs.bodies.values() if b.frequency_citation}
    missing = sorted(i for i in cited if i not in guide)
    assert not missing
    for rule_set_id in RULE_SET_IDS:
        assert f"`{rule_set_id}`" in guide
