"""Threshold arithmetic: SEM-1 ("以上" includes the number, "超过" excludes it), SEM-2 ("过半数" is
strictly more than half), exact Fractions, and the zero base."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.rules.thresholds import (
    Basis,
    Op,
    Threshold,
    Unit,
    at_least_as_strict,
    chinese_numeral,
    is_attainable,
    is_met,
    minimum_count,
    minimum_yes_of_votes_cast,
    share_en,
    share_zh,
    threshold_en,
    threshold_zh,
)

pytestmark = pytest.mark.unit

MORE_THAN_HALF = Threshold(Basis.PRESENT, Op.GT, 1, 2)
HALF_OR_MORE = Threshold(Basis.PRESENT, Op.GE, 1, 2)
TWO_THIRDS_OR_MORE = Threshold(Basis.BODY_MEMBERS, Op.GE, 2, 3)
MORE_THAN_TWO_THIRDS = Threshold(Basis.BODY_MEMBERS, Op.GT, 2, 3)
ONE_THIRD_OR_MORE = Threshold(Basis.BALLOTS_CAST, Op.GE, 1, 3)


@pytest.mark.parametrize(
    ("threshold", "base", "expected"),
    [
        (MORE_THAN_HALF, 10, 6),  # SEM-2: 10 present → at least 6
        (MORE_THAN_HALF, 11, 6),
        (MORE_THAN_HALF, 800, 401),  # VC25-14 worked example
        (MORE_THAN_HALF, 401, 201),
        (MORE_THAN_HALF, 1, 1),
        (MORE_THAN_HALF, 2, 2),
        (TWO_THIRDS_OR_MORE, 45, 30),  # URC25-26 / VC25-21: "以上" includes 30
        (TWO_THIRDS_OR_MORE, 46, 31),
        (TWO_THIRDS_OR_MORE, 3, 2),
        (MORE_THAN_TWO_THIRDS, 60, 41),  # URC25-11: "超过三分之二": 40 is not enough
        (MORE_THAN_TWO_THIRDS, 61, 41),
        (ONE_THIRD_OR_MORE, 1000, 334),  # URC25-12 / VC25-07: 1000/3 = 333.3…
        (ONE_THIRD_OR_MORE, 999, 333),
        (Threshold(Basis.ELIGIBLE, Op.GE, 1, 10), 3000, 300),  # URC25-22 demand
        (Threshold(Basis.ELIGIBLE, Op.GE, 1, 10), 3001, 301),
        (Threshold(Basis.ALL_MEMBERS, Op.GE, 3, 4), 100, 75),  # COL-13
        (Threshold(Basis.ALL_MEMBERS, Op.GE, 1, 1), 7, 7),  # unanimity
    ],
)
def test_minimum_count_is_the_least_count_that_meets_the_threshold(threshold, base, expected):
    assert minimum_count(threshold, base) == expected
    assert is_met(threshold, expected, base)
    assert not is_met(threshold, expected - 1, base)


def test_exactly_half_is_not_more_than_half():
    assert not is_met(MORE_THAN_HALF, 5, 10)
    assert is_met(MORE_THAN_HALF, 6, 10)


def test_half_or_more_includes_exactly_half():
    assert is_met(HALF_OR_MORE, 5, 10)
    assert not is_met(HALF_OR_MORE, 4, 10)


def test_exactly_two_thirds_meets_two_thirds_or_more_but_not_more_than_two_thirds():
    assert is_met(TWO_THIRDS_OR_MORE, 40, 60)  # 以上: includes the number (SEM-1)
    assert not is_met(MORE_THAN_TWO_THIRDS, 40, 60)  # 超过: excludes it (SEM-1)
    assert is_met(MORE_THAN_TWO_THIRDS, 41, 60)


def test_yi_shang_and_chao_guo_differ_only_at_the_exact_share():
    for base in range(1, 200):
        for count in range(base + 1):
            exact = Fraction(count, base) == Fraction(2, 3)
            ge = is_met(TWO_THIRDS_OR_MORE, count, base)
            gt = is_met(MORE_THAN_TWO_THIRDS, count, base)
            assert (ge != gt) is exact
            assert ge or not gt  # whatever is more than two-thirds is two-thirds or more


@pytest.mark.parametrize(
    "threshold", [MORE_THAN_HALF, HALF_OR_MORE, TWO_THIRDS_OR_MORE, ONE_THIRD_OR_MORE]
)
def test_nothing_is_met_on_a_base_of_zero(threshold):
    assert not is_met(threshold, 0, 0)  # even ">=": 0 >= 0 is not a decision
    assert minimum_count(threshold, 0) == 1
    assert not is_attainable(threshold, 0)


def test_a_base_of_one_or_more_is_always_attainable():
    assert is_attainable(MORE_THAN_HALF, 1)
    assert is_attainable(Threshold(Basis.ALL_MEMBERS, Op.GE, 1, 1), 5)


def test_no_float_rounding_at_one_third_of_a_large_base():
    # 3 × (10**18 // 3) exactly: a float would lose the last digits.
    base = 3 * 333_333_333_333_333_333
    assert minimum_count(ONE_THIRD_OR_MORE, base) == 333_333_333_333_333_333
    assert minimum_count(Threshold(Basis.BALLOTS_CAST, Op.GT, 1, 3), base) == (
        333_333_333_333_333_334
    )


@pytest.mark.parametrize(
    ("count", "base"), [(-1, 10), (1, -1), (11, 10)], ids=["negative", "neg-base", "over"]
)
def test_impossible_counts_are_refused(count, base):
    with pytest.raises(ValueError, match=r"count|base|negative"):
        is_met(MORE_THAN_HALF, count, base)


def test_a_negative_base_has_no_minimum():
    with pytest.raises(ValueError, match="negative"):
        minimum_count(MORE_THAN_HALF, -1)


@pytest.mark.parametrize(
    ("op", "num", "den"),
    [(Op.GT, 0, 2), (Op.GE, 3, 2), (Op.GT, 1, 1), (Op.GE, 1, 0), (Op.GE, True, 2)],
)
def test_a_threshold_share_must_lie_between_zero_and_one(op, num, den):
    with pytest.raises(ValueError, match=r"share|whole|integers"):
        Threshold(Basis.PRESENT, op, num, den)


def test_threshold_is_data_and_round_trips_through_a_dict():
    data = MORE_THAN_TWO_THIRDS.as_dict()
    assert data == {"basis": "body_members", "op": ">", "num": 2, "den": 3}
    assert Threshold.from_dict(data) == MORE_THAN_TWO_THIRDS
    with pytest.raises(ValueError, match="integer"):
        Threshold.from_dict({"basis": "present", "op": ">", "num": "1", "den": 2})
    with pytest.raises(ValueError, match="everyone"):
        Threshold.from_dict({"basis": "everyone", "op": ">", "num": 1, "den": 2})


def test_household_thresholds_count_households_and_others_count_persons():
    assert Threshold(Basis.HOUSEHOLDS, Op.GE, 2, 3).unit is Unit.HOUSEHOLDS
    assert MORE_THAN_HALF.unit is Unit.PERSONS


def test_abstentions_count_against_unless_the_base_is_votes_cast():
    assert MORE_THAN_HALF.abstentions_count_against
    assert Threshold(Basis.ALL_MEMBERS, Op.GE, 2, 3).abstentions_count_against
    assert not Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GT, 1, 2).abstentions_count_against


# -- Robert's Rules: the base grows with each yes vote -----------------------------------------

MAJORITY_OF_VOTES_CAST = Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GT, 1, 2)
TWO_THIRDS_OF_VOTES_CAST = Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GE, 2, 3)


@pytest.mark.parametrize(
    ("threshold", "no", "expected"),
    [
        (MAJORITY_OF_VOTES_CAST, 0, 1),
        (MAJORITY_OF_VOTES_CAST, 100, 101),  # a tie fails (RR-04)
        (TWO_THIRDS_OF_VOTES_CAST, 0, 1),
        (TWO_THIRDS_OF_VOTES_CAST, 10, 20),  # 20 of 30 is exactly two-thirds
        (TWO_THIRDS_OF_VOTES_CAST, 11, 22),
        (Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GT, 2, 3), 10, 21),
        (Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GE, 1, 1), 0, 1),
        (Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GE, 1, 1), 1, None),
    ],
)
def test_yes_votes_needed_against_a_number_of_no_votes(threshold, no, expected):
    assert minimum_yes_of_votes_cast(threshold, no) == expected


def test_yes_votes_needed_refuses_negative_no_votes():
    with pytest.raises(ValueError, match="negative"):
        minimum_yes_of_votes_cast(MAJORITY_OF_VOTES_CAST, -1)


# -- words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "zh"),
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (19, "十九"),
        (20, "二十"),
        (27, "二十七"),
        (50, "五十"),
        (100, "一百"),
        (101, "一百零一"),
        (110, "一百一十"),
        (1005, "一千零五"),
        (1259, "一千二百五十九"),
        (9999, "九千九百九十九"),
    ],
)
def test_article_numbers_are_written_in_chinese_numerals(n, zh):
    assert chinese_numeral(n) == zh


@pytest.mark.parametrize("n", [0, 10000])
def test_chinese_numerals_cover_one_to_9999(n):
    with pytest.raises(ValueError, match=r"1\.\.9999"):
        chinese_numeral(n)


@pytest.mark.parametrize(
    ("threshold", "zh", "en"),
    [
        (MORE_THAN_HALF, "到会人员过半数", "more than half of those present"),
        (HALF_OR_MORE, "到会人员半数以上", "half or more of those present"),
        (
            TWO_THIRDS_OR_MORE,
            "组成人员三分之二以上",
            "two-thirds or more of the members of the body",
        ),
        (
            MORE_THAN_TWO_THIRDS,
            "超过组成人员的三分之二",
            "more than two-thirds of the members of the body",
        ),
        (ONE_THIRD_OR_MORE, "已投选票三分之一以上", "one-third or more of the ballots cast"),
        (
            Threshold(Basis.ALL_MEMBERS, Op.GE, 2, 3),
            "全体成员三分之二以上",
            "two-thirds or more of all members",
        ),
        (
            Threshold(Basis.VOTED, Op.GT, 1, 2),
            "参加投票的人员过半数",
            "more than half of those who voted",
        ),
        (
            Threshold(Basis.ALL_MEMBERS, Op.GE, 3, 5),
            "全体成员五分之三以上",
            "3/5 or more of all members",
        ),
    ],
)
def test_thresholds_are_described_in_the_statutes_words(threshold, zh, en):
    assert threshold_zh(threshold) == zh
    assert threshold_en(threshold) == en


def test_unanimity_is_described_as_all():
    unanimous = Threshold(Basis.ALL_MEMBERS, Op.GE, 1, 1)
    assert share_zh(unanimous) == "全部"
    assert share_en(unanimous) == "all"


# -- strictness ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "statute", "expected"),
    [
        (MORE_THAN_HALF, MORE_THAN_HALF, True),  # equal is accepted
        (Threshold(Basis.PRESENT, Op.GE, 2, 3), MORE_THAN_HALF, True),
        (HALF_OR_MORE, MORE_THAN_HALF, False),  # ">=" where the statute says ">"
        (Threshold(Basis.PRESENT, Op.GT, 2, 5), MORE_THAN_HALF, False),  # lower fraction
        (Threshold(Basis.ALL_MEMBERS, Op.GT, 1, 2), MORE_THAN_HALF, True),  # larger base
        (Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GT, 1, 2), MORE_THAN_HALF, False),
        (MORE_THAN_TWO_THIRDS, TWO_THIRDS_OR_MORE, True),
        (TWO_THIRDS_OR_MORE, MORE_THAN_TWO_THIRDS, False),
        (Threshold(Basis.HOUSEHOLDS, Op.GE, 3, 4), Threshold(Basis.ELIGIBLE, Op.GT, 1, 2), False),
    ],
)
def test_a_threshold_is_as_strict_only_with_as_large_a_base_and_share(candidate, statute, expected):
    assert at_least_as_strict(candidate, statute) is expected


# -- properties ----------------------------------------------------------------------------------

shares = st.tuples(st.integers(1, 12), st.integers(1, 12)).filter(lambda p: p[0] <= p[1])
ops = st.sampled_from(list(Op))


@st.composite
def thresholds(draw, bases=tuple(Basis)):
    num, den = draw(shares)
    op = draw(ops)
    if op is Op.GT and num == den:
        op = Op.GE
    return Threshold(draw(st.sampled_from(bases)), op, num, den)


@given(thresholds(), st.integers(0, 3000))
def test_minimum_count_is_the_least_n_with_is_met(threshold, base):
    n = minimum_count(threshold, base)
    if n <= base:
        assert is_met(threshold, n, base)
        assert n == 0 or not is_met(threshold, n - 1, base)
    else:
        assert not any(is_met(threshold, k, base) for k in range(base + 1))


@given(thresholds(), st.integers(1, 500), st.data())
def test_meeting_a_threshold_is_monotone_in_the_count(threshold, base, data):
    count = data.draw(st.integers(0, base - 1))
    if is_met(threshold, count, base):
        assert is_met(threshold, count + 1, base)


@given(thresholds(bases=(Basis.VOTES_CAST_EXCL_ABSTAIN,)), st.integers(0, 500))
def test_yes_votes_needed_is_the_least_that_beats_the_no_votes(threshold, no):
    y = minimum_yes_of_votes_cast(threshold, no)
    if y is None:
        assert not any(is_met(threshold, k, k + no) for k in range(0, 2 * no + 2))
    else:
        assert is_met(threshold, y, y + no)
        assert y == 1 or not is_met(threshold, y - 1, y - 1 + no)


@st.composite
def consistent_counts(draw):
    """members ≥ present ≥ yes + no + abstain, so each basis has its natural base."""
    members = draw(st.integers(0, 200))
    present = draw(st.integers(0, members))
    yes = draw(st.integers(0, present))
    no = draw(st.integers(0, present - yes))
    return members, present, yes, no


def _base(basis, members, present, yes, no):
    if basis is Basis.VOTES_CAST_EXCL_ABSTAIN:
        return yes + no
    if basis in (Basis.PRESENT, Basis.VOTED, Basis.BALLOTS_CAST):
        return present
    return members


@given(thresholds(), thresholds(), consistent_counts())
def test_a_stricter_threshold_never_passes_what_the_statute_refuses(candidate, statute, counts):
    members, present, yes, no = counts
    if at_least_as_strict(candidate, statute) and is_met(
        candidate, yes, _base(candidate.basis, *counts)
    ):
        assert is_met(statute, yes, _base(statute.basis, members, present, yes, no))
