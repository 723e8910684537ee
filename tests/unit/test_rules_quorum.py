"""Judging meetings and votes from counts: RULES.md §3(b) worked examples, every boundary, and
properties that hold for every rule of every rule set."""

from __future__ import annotations

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from consult.rules.errors import InvalidCounts, NotAvailable
from consult.rules.model import DecisionType, Mode
from consult.rules.quorum import Counts, Outcome, evaluate, quorum_status, votes_required
from consult.rules.rulesets import all_rule_sets, get_rule_set
from consult.rules.thresholds import Basis, Unit, is_met

pytestmark = pytest.mark.unit


def rule(rule_set: str, body: str, dtype: str, **kw):
    return get_rule_set(rule_set).rule_for(body, dtype, **kw)


VILLAGERS_MEETING = rule("village-2026", "residents_meeting", "ordinary")
RESIDENTS_MEETING = rule("urban-2026", "residents_meeting", "ordinary")
REPRESENTATIVES = rule("village-2026", "representative_council", "ordinary")


# -- RULES.md §3(b): worked examples for tests --------------------------------------------------


def test_villagers_meeting_of_800_adults_needs_401_present():
    assert quorum_status(VILLAGERS_MEETING, Counts(members=800, present=400)).met is False
    status = quorum_status(VILLAGERS_MEETING, Counts(members=800, present=401))
    assert (status.met, status.required, status.members, status.present) == (True, 401, 800, 401)


def test_with_401_present_a_motion_needs_201_yes_votes():
    adopted = evaluate(VILLAGERS_MEETING, Counts(800, 401, yes=201, no=200))
    assert adopted.outcome is Outcome.ADOPTED
    assert adopted.votes_required == 201
    assert adopted.required_present == 401
    assert (
        evaluate(VILLAGERS_MEETING, Counts(800, 401, yes=200, no=201)).outcome is Outcome.REJECTED
    )


def test_abstentions_count_against_so_200_yes_100_no_101_abstain_fails_though_roberts_rules_pass():
    counts = Counts(members=800, present=401, yes=200, no=100, abstain=101)
    statutory = evaluate(VILLAGERS_MEETING, counts)
    assert statutory.outcome is Outcome.REJECTED  # VC25-14: 到会人员的过半数
    assert statutory.basis is Basis.PRESENT
    roberts = evaluate(rule("general", "residents_meeting", "ordinary"), counts)
    assert roberts.outcome is Outcome.ADOPTED  # RR-03: 200 of 300 votes cast
    assert roberts.basis is Basis.VOTES_CAST_EXCL_ABSTAIN
    assert roberts.votes_required == 101


def test_representative_meeting_of_45_members_needs_30_present_and_then_16_yes():
    assert not quorum_status(REPRESENTATIVES, Counts(members=45, present=29)).met
    status = quorum_status(REPRESENTATIVES, Counts(members=45, present=30))
    assert (status.met, status.required) == (True, 30)  # 2/3 of 45 = 30, "以上" includes it
    assert evaluate(REPRESENTATIVES, Counts(45, 30, yes=16, no=14)).outcome is Outcome.ADOPTED
    tie = evaluate(REPRESENTATIVES, Counts(45, 30, yes=15, no=15))
    assert tie.outcome is Outcome.REJECTED
    assert tie.votes_required == 16


def test_an_election_by_60_representatives_is_valid_only_if_41_vote():
    election = rule("urban-2026", "representative_council", "election")  # URC25-11
    forty = evaluate(election, Counts(members=60, present=40, yes=40))
    assert forty.outcome is Outcome.NO_QUORUM  # 40 is exactly 2/3: "超过" excludes it
    assert forty.required_present == 41
    assert evaluate(election, Counts(members=60, present=41, yes=21)).outcome is Outcome.ADOPTED
    assert evaluate(election, Counts(members=60, present=41, yes=20)).outcome is Outcome.REJECTED


def test_a_supplementary_round_with_1000_ballots_needs_334_votes():
    election = rule("village-2026", "residents_meeting", "election")  # VC25-07
    counts = Counts(members=1500, present=1000, voted=1000, ballots_cast=1000, yes=334)
    winner = evaluate(election, counts, supplementary=True)
    assert winner.outcome is Outcome.ADOPTED
    assert winner.votes_required == 334
    assert winner.basis is Basis.BALLOTS_CAST
    short = Counts(members=1500, present=1000, voted=1000, ballots_cast=1000, yes=333)
    assert evaluate(election, short, supplementary=True).outcome is Outcome.REJECTED
    assert evaluate(election, counts).outcome is Outcome.REJECTED  # first round: > 500


def test_only_elections_have_a_supplementary_round():
    with pytest.raises(NotAvailable, match="supplementary"):
        evaluate(VILLAGERS_MEETING, Counts(10, 6, yes=6), supplementary=True)


# -- boundaries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "yes", "outcome"),
    [
        (10, 5, Outcome.REJECTED),  # exactly half is not more than half (SEM-2)
        (10, 6, Outcome.ADOPTED),  # one more than half
        (11, 6, Outcome.ADOPTED),
        (11, 5, Outcome.REJECTED),
    ],
)
def test_a_decision_needs_more_than_half_of_those_present(present, yes, outcome):
    assert evaluate(RESIDENTS_MEETING, Counts(members=12, present=present, yes=yes)).outcome is (
        outcome
    )


def test_exactly_half_of_adults_present_is_no_quorum():
    assert not quorum_status(RESIDENTS_MEETING, Counts(members=10, present=5)).met
    assert quorum_status(RESIDENTS_MEETING, Counts(members=10, present=6)).met


def test_villagers_household_quorum_includes_exactly_two_thirds():
    met = quorum_status(
        VILLAGERS_MEETING,
        Counts(members=900, present=200, households=300, present_households=200),
        Mode.HOUSEHOLDS,
    )
    assert (met.met, met.required, met.unit, met.members) == (True, 200, Unit.HOUSEHOLDS, 300)
    short = Counts(members=900, present=199, households=300, present_households=199)
    assert not quorum_status(VILLAGERS_MEETING, short, "households").met


def test_residents_household_quorum_needs_more_than_half_of_households():
    counts = Counts(members=900, present=150, households=300, present_households=150)
    assert not quorum_status(RESIDENTS_MEETING, counts, "households").met
    counts = Counts(members=900, present=151, households=300, present_households=151)
    status = quorum_status(RESIDENTS_MEETING, counts, "households")
    assert (status.met, status.required) == (True, 151)


def test_either_quorum_alternative_suffices_without_a_mode():
    # 300 of 900 adults is short, but 200 of 300 households is two-thirds (VC25-14).
    counts = Counts(members=900, present=300, households=300, present_households=200)
    status = quorum_status(VILLAGERS_MEETING, counts)
    assert status.met
    assert status.unit is Unit.HOUSEHOLDS
    persons_only = quorum_status(VILLAGERS_MEETING, Counts(members=900, present=300))
    assert not persons_only.met
    assert persons_only.unit is Unit.PERSONS


def test_household_mode_needs_household_counts():
    with pytest.raises(InvalidCounts, match="households"):
        quorum_status(VILLAGERS_MEETING, Counts(members=900, present=300), "households")


def test_zero_present_is_never_quorate_and_never_adopts():
    for r in (VILLAGERS_MEETING, REPRESENTATIVES, rule("general", "committee", "ordinary")):
        evaluation = evaluate(r, Counts(members=10, present=0))
        assert evaluation.outcome is Outcome.NO_QUORUM
        assert not evaluation.adopted


def test_a_body_without_members_has_no_quorum():
    status = quorum_status(REPRESENTATIVES, Counts(members=0, present=0))
    assert (status.met, status.required, status.members) == (False, 1, 0)


def test_a_decision_on_a_base_of_zero_is_never_adopted_even_at_two_thirds_or_more():
    collective = rule("collective-2025", "members_meeting", "ordinary")
    assert evaluate(collective, Counts(members=0, present=0)).outcome is Outcome.NO_QUORUM


def test_collective_decisions_count_absent_members_against():
    collective = rule("collective-2025", "members_meeting", "collective_property")
    # 60 of 90 capable members present: quorate (COL-05: ≥ 2/3).
    all_yes = evaluate(collective, Counts(members=90, present=60, yes=60))
    assert all_yes.outcome is Outcome.ADOPTED  # 60 ≥ 2/3 × 90
    nearly = evaluate(collective, Counts(members=90, present=60, yes=59, no=1))
    assert nearly.outcome is Outcome.REJECTED  # 59 of 60 present, but < 2/3 of all members
    assert nearly.votes_required == 60
    assert nearly.basis is Basis.ALL_MEMBERS


def test_land_contracting_needs_two_thirds_of_all_villagers_not_of_those_present():
    land = rule("village-2026", "residents_meeting", "land_contracting")  # LAND-01
    result = evaluate(land, Counts(members=300, present=160, yes=160))
    assert result.outcome is Outcome.REJECTED
    assert result.votes_required == 200


def test_a_collective_board_decides_by_more_than_half_of_all_directors():
    board = rule("collective-2025", "committee", "ordinary")  # COL-09
    assert evaluate(board, Counts(members=7, present=5, yes=4)).outcome is Outcome.ADOPTED
    assert evaluate(board, Counts(members=7, present=5, yes=3)).outcome is Outcome.REJECTED
    assert quorum_status(board, Counts(members=7, present=4)).met is False  # < 2/3 of 7


def test_a_recall_needs_more_than_half_of_voters_voting_and_more_than_half_of_them_in_favour():
    recall = rule("village-2026", "residents_meeting", "recall")  # VC25-10
    assert evaluate(recall, Counts(1000, 500, yes=500)).outcome is Outcome.NO_QUORUM
    assert evaluate(recall, Counts(1000, 501, yes=251)).outcome is Outcome.ADOPTED
    assert evaluate(recall, Counts(1000, 501, yes=250, no=251)).outcome is Outcome.REJECTED


def test_election_turnout_counts_those_who_voted():
    election = rule("urban-2026", "residents_meeting", "election")
    counts = Counts(members=100, present=60, voted=50, yes=40)
    status = quorum_status(election, counts, "all_adults")
    assert (status.present, status.met) == (50, False)  # 50 of 100 is not more than half


def test_consultation_is_recorded_as_not_binding():
    consultation = rule("urban-2026", "residents_meeting", "consultation")
    result = evaluate(consultation, Counts(members=100, present=3, yes=3))
    assert result.outcome is Outcome.NOT_BINDING
    assert result.quorum.met
    assert result.quorum.required == 0
    assert result.votes_required is None
    assert result.as_dict("en")["rule"]["basis"] is None


def test_a_procedural_motion_needs_two_thirds_of_votes_cast_to_close_debate():
    close = rule("urban-2026", "residents_meeting", "procedural", motion="close_debate")
    assert evaluate(close, Counts(100, 60, yes=20, no=10, abstain=30)).outcome is Outcome.ADOPTED
    assert evaluate(close, Counts(100, 60, yes=19, no=10, abstain=31)).outcome is Outcome.REJECTED
    assert evaluate(close, Counts(100, 50, yes=50)).outcome is Outcome.NO_QUORUM  # quorum stays


# -- counts that cannot happen --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"members": -1, "present": 0},
        {"members": 10, "present": 11},
        {"members": 10, "present": 5, "yes": 4, "no": 2},
        {"members": 10, "present": 5, "households": 4},
        {"members": 10, "present": 5, "households": 4, "present_households": 5},
        {"members": 10, "present": 5, "voted": 11},
        {"members": 10, "present": 5, "yes": 3, "ballots_cast": 2},
        {"members": 10, "present": True},
    ],
)
def test_impossible_counts_are_refused(kwargs):
    with pytest.raises(InvalidCounts):
        Counts(**kwargs)


def test_more_yes_votes_than_the_base_is_refused():
    # Those who voted may exceed those present only if counted apart; the base is present.
    with pytest.raises(InvalidCounts, match="exceed"):
        evaluate(RESIDENTS_MEETING, Counts(members=10, present=4, voted=8, yes=6))


# -- the API shapes -------------------------------------------------------------------------------


def test_quorum_as_dict_has_the_api_shape():
    data = quorum_status(RESIDENTS_MEETING, Counts(members=3000, present=1200)).as_dict()
    assert {"members", "present", "required", "met", "rule"} <= set(data)
    assert (data["members"], data["present"], data["required"], data["met"]) == (
        3000,
        1200,
        1501,
        False,
    )
    assert data["rule"]["id"] == "URC25-23"
    assert "第二十七条" in data["rule"]["citation"]
    assert "Art. 27" in data["rule"]["citation"]
    assert quorum_status(RESIDENTS_MEETING, Counts(3000, 1501)).as_dict("en")["rule"][
        "citation"
    ] == ("Urban Residents' Committees Law, Art. 27")


def test_quorum_as_dict_reports_households_in_household_mode():
    counts = Counts(members=3000, present=700, households=1200, present_households=700)
    data = quorum_status(RESIDENTS_MEETING, counts, "households").as_dict("zh")
    assert (data["members"], data["present"], data["required"], data["met"]) == (
        1200,
        700,
        601,
        True,
    )
    assert data["unit"] == "households"
    assert data["rule"]["quorum"] == "本社区全体户的代表过半数参加"


def test_result_as_dict_has_the_api_shape():
    data = evaluate(VILLAGERS_MEETING, Counts(800, 401, yes=200, no=100, abstain=101)).as_dict("en")
    assert data["outcome"] == "rejected"
    assert {"id", "quorum", "basis", "threshold", "citation"} <= set(data["rule"])
    assert data["rule"]["id"] == "VC25-14"
    assert data["rule"]["basis"] == "present"
    assert data["rule"]["threshold"] == "more than half of those present"
    assert data["rule"]["citation"] == "Villagers' Committees Law, Art. 26"
    zh = evaluate(VILLAGERS_MEETING, Counts(800, 401, yes=201)).as_dict("zh")
    assert zh["outcome"] == "adopted"
    assert zh["rule"]["threshold"] == "到会人员过半数"
    assert zh["rule"]["citation"] == "《村民委员会组织法》第二十六条"


def test_the_quorum_citation_may_differ_from_the_pass_citation():
    land = rule("village-2026", "residents_meeting", "land_contracting")
    assert quorum_status(land, Counts(100, 60)).as_dict()["rule"]["id"] == "VC25-14"
    assert evaluate(land, Counts(100, 60)).as_dict()["rule"]["id"] == "LAND-01"


def test_practice_rules_are_flagged_in_the_api_shapes():
    committee = rule("urban-2026", "committee", "ordinary")
    assert evaluate(committee, Counts(7, 5, yes=3)).as_dict()["rule"]["practice"] is True
    assert quorum_status(committee, Counts(7, 5)).as_dict()["rule"]["practice"] is True
    assert evaluate(RESIDENTS_MEETING, Counts(7, 5, yes=3)).as_dict()["rule"]["practice"] is False


# -- properties over every rule --------------------------------------------------------------------

BINDING = [
    r
    for rs in all_rule_sets()
    for r in rs.rules.values()
    if r.decision_type is not DecisionType.CONSULTATION
]
ALL_RULES = [r for rs in all_rule_sets() for r in rs.rules.values()]


@st.composite
def meetings(draw, rules=BINDING):
    r = draw(st.sampled_from(rules))
    members = draw(st.integers(0, 120))
    # Half the time a well-attended, supportive meeting, so adoptions are common.
    supportive = draw(st.booleans())
    present = draw(st.integers(members * 2 // 3 if supportive else 0, members))
    yes = draw(st.integers(present * 2 // 3 if supportive else 0, present))
    no = draw(st.integers(0, present - yes))
    abstain = draw(st.integers(0, present - yes - no))
    households = draw(st.integers(0, 80))
    present_households = draw(st.integers(0, households))
    counts = Counts(members, present, yes, no, abstain, households, present_households)
    return r, counts


def _with(counts: Counts, **changes: int) -> Counts:
    values = {
        "members": counts.members,
        "present": counts.present,
        "yes": counts.yes,
        "no": counts.no,
        "abstain": counts.abstain,
        "households": counts.households,
        "present_households": counts.present_households,
    }
    values.update(changes)
    return Counts(**values)


@given(meetings())
def test_adding_a_yes_vote_from_a_new_attendee_never_undoes_adoption(meeting):
    r, counts = meeting
    assume(counts.present < counts.members)
    event(f"adopted: {evaluate(r, counts).adopted}")
    if evaluate(r, counts).adopted:
        more = _with(counts, present=counts.present + 1, yes=counts.yes + 1)
        assert evaluate(r, more).adopted


@given(meetings(), st.sampled_from(["no", "abstain"]))
def test_turning_a_no_or_abstention_into_yes_never_undoes_adoption(meeting, source):
    r, counts = meeting
    assume(getattr(counts, source) > 0)
    if evaluate(r, counts).adopted:
        changed = _with(counts, yes=counts.yes + 1, **{source: getattr(counts, source) - 1})
        assert evaluate(r, changed).adopted


@given(meetings(ALL_RULES))
def test_adding_an_attendee_never_turns_a_met_quorum_into_an_unmet_one(meeting):
    r, counts = meeting
    assume(counts.present < counts.members)
    if quorum_status(r, counts).met:
        assert quorum_status(r, _with(counts, present=counts.present + 1)).met


@given(meetings(ALL_RULES))
def test_adding_a_household_never_turns_a_met_quorum_into_an_unmet_one(meeting):
    r, counts = meeting
    assume(counts.present < counts.members)
    assert counts.households is not None
    assert counts.present_households is not None
    assume(counts.present_households < counts.households)
    if quorum_status(r, counts).met:
        more = _with(
            counts, present=counts.present + 1, present_households=counts.present_households + 1
        )
        assert quorum_status(r, more).met


@given(meetings())
def test_the_outcome_follows_quorum_then_threshold(meeting):
    r, counts = meeting
    result = evaluate(r, counts)
    assert result.threshold is not None
    assert result.base is not None
    if not result.quorum_met:
        assert result.outcome is Outcome.NO_QUORUM
    else:
        assert (result.outcome is Outcome.ADOPTED) == is_met(
            result.threshold, counts.yes, result.base
        )


@given(meetings())
def test_votes_required_is_exactly_the_least_yes_count_that_passes(meeting):
    r, counts = meeting
    assert r.threshold is not None
    needed = votes_required(r.threshold, counts)
    base = counts.base(r.threshold.basis)
    if r.threshold.basis is Basis.VOTES_CAST_EXCL_ABSTAIN:
        assert needed is not None
        assert is_met(r.threshold, needed, needed + counts.no)
        assert needed == 1 or not is_met(r.threshold, needed - 1, needed - 1 + counts.no)
    else:
        assert needed is not None
        assert needed == base + 1 or is_met(r.threshold, needed, base)
        assert needed == 1 or not is_met(r.threshold, min(needed - 1, base), base)


@given(meetings(ALL_RULES))
def test_required_present_is_the_least_attendance_that_meets_the_quorum(meeting):
    r, counts = meeting
    status = quorum_status(r, counts)
    if status.alternative is None:
        assert status.required == 0
        return
    assert status.met is is_met(status.alternative.threshold, status.present, status.members)
    assert status.met is (status.present >= status.required)


@given(meetings(ALL_RULES), st.sampled_from(["zh", "en", None]))
def test_every_evaluation_renders_the_api_shapes(meeting, locale):
    r, counts = meeting
    result = evaluate(r, counts)
    data = result.as_dict(locale)
    assert data["outcome"] in {o.value for o in Outcome}
    assert isinstance(data["rule"]["citation"], str)
    quorum = result.quorum.as_dict(locale)
    assert isinstance(quorum["required"], int)
    assert isinstance(quorum["met"], bool)
