"""Composition checks: URC25-24 / VC25-19 (representatives at least 4/5; village women
representatives at least 1/3), URC25-35 / VC25-30 (no committee members or their close
relatives on the supervisory committee), URC25-02 / VC25-01 (committee size, a woman)."""

from __future__ import annotations

import pytest

from consult.rules.composition import Seat, check_composition
from consult.rules.model import BodyKind

pytestmark = pytest.mark.unit


def seats(representatives: int, committee: int, women: int = 0) -> list[Seat]:
    """`women` of the representatives are women; committee members are men."""
    out = [Seat(n, "F" if n < women else "M", n) for n in range(representatives)]
    out += [Seat(100 + n, "M", 100 + n, is_committee_member=True) for n in range(committee)]
    return out


def codes(warnings) -> list[str]:
    return [w.code for w in warnings]


@pytest.mark.parametrize(
    ("representatives", "committee", "warned"),
    [
        (4, 1, False),  # exactly four fifths: "以上" includes it (SEM-1)
        (3, 1, True),  # 3/4 < 4/5
        (39, 10, True),  # 39/49 < 4/5
        (40, 10, False),  # 40/50 = 4/5
        (7, 0, False),
    ],
)
def test_representatives_are_at_least_four_fifths_of_a_representative_meeting(
    representatives, committee, warned
):
    found = check_composition(
        "urban", BodyKind.REPRESENTATIVE_COUNCIL, seats(representatives, committee)
    )
    assert ("representatives_share" in codes(found)) is warned
    if warned:
        assert found[0].citation.rule_id == "URC25-24"


@pytest.mark.parametrize(
    ("women", "warned"),
    [(4, False), (3, True), (5, False)],  # 12 members (10 reps + 2 committee): 4 is one third
)
def test_village_women_representatives_are_at_least_a_third(women, warned):
    found = check_composition("village", BodyKind.REPRESENTATIVE_COUNCIL, seats(10, 2, women))
    assert ("women_share" in codes(found)) is warned
    urban = check_composition("urban", BodyKind.REPRESENTATIVE_COUNCIL, seats(10, 2, women))
    assert "women_share" not in codes(urban)  # the urban law has no women quota


def test_women_on_the_committee_do_not_count_as_women_representatives():
    members = [Seat(1, "F", 1, is_committee_member=True), *seats(5, 0)]
    assert "women_share" in codes(
        check_composition("village", BodyKind.REPRESENTATIVE_COUNCIL, members)
    )


def test_supervisory_committee_excludes_committee_members_and_same_household_relatives():
    members = [
        Seat(1, "M", 10, is_committee_member=True),
        Seat(2, "F", 20),  # lives with a committee member
        Seat(3, "F", 30),
    ]
    found = {w.code: w for w in check_composition("village", "supervisory_council", members, [20])}
    assert found["supervisory_committee_member"].residents == (1,)
    assert found["supervisory_close_relative"].residents == (2,)
    assert found["supervisory_close_relative"].approximated
    assert found["supervisory_close_relative"].citation.rule_id == "VC25-30"
    assert check_composition("village", "supervisory_council", members[2:], [20]) == ()


@pytest.mark.parametrize(
    ("kind", "size", "warned"),
    [
        ("urban", 4, True),
        ("urban", 5, False),
        ("urban", 9, False),
        ("urban", 10, True),
        ("village", 3, False),
        ("village", 2, True),
        ("village", 7, False),
        ("village", 8, True),
    ],
)
def test_committee_size(kind, size, warned):
    members = [Seat(n, "F" if n == 0 else "M", n) for n in range(size)]
    assert ("committee_size" in codes(check_composition(kind, "committee", members))) is warned


def test_a_committee_without_a_woman_is_warned():
    members = [Seat(n, "M", n) for n in range(5)]
    found = check_composition("urban", "committee", members)
    assert codes(found) == ["committee_no_woman"]
    assert found[0].as_dict()["rule"]["id"] == "URC25-02"
