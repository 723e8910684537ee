"""Overlay entries as plain data (charters stored and sent over the API): the shape is checked
field by field, and data → entries → data is the identity on well-formed input."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.rules.citations import Authority, Citation, Law
from consult.rules.errors import LooserThanStatute
from consult.rules.model import BodyKind, DecisionType, Mode, Name, Population
from consult.rules.overlay_data import (
    InvalidOverlayData,
    entries_as_data,
    entries_from_data,
)
from consult.rules.overlays import Overlay, Share, apply_overlay
from consult.rules.rulesets import get_rule_set
from consult.rules.thresholds import Basis, Op, Threshold

pytestmark = pytest.mark.unit

TWO_THIRDS_PRESENT = {"basis": "present", "op": ">=", "num": 2, "den": 3}
SOURCE = Citation(
    "CHARTER-v1", Law("和平里社区居民自治章程", "Heping charter", Authority.CHARTER), 12
)


def overlay(data: object) -> Overlay:
    entries = entries_from_data(data)
    return Overlay("charter-t", Name("章程", "charter"), SOURCE, MappingProxyType(entries))


def test_a_threshold_for_one_decision_is_read_as_an_overlay_entry() -> None:
    entries = entries_from_data(
        [{"body": "residents_meeting", "decision_type": "major", "threshold": TWO_THIRDS_PRESENT}]
    )
    entry = entries[(BodyKind.RESIDENTS_MEETING, DecisionType.MAJOR)]
    assert entry.threshold == Threshold(Basis.PRESENT, Op.GE, 2, 3)
    assert entry.quorum is None


def test_a_rule_without_a_decision_type_covers_every_decision_of_the_body() -> None:
    entries = entries_from_data(
        [
            {
                "body": "representative_council",
                "quorum": {"any": {"basis": "body_members", "op": ">=", "num": 3, "den": 4}},
                "notice_days": 5,
                "proxies_allowed": False,
            }
        ]
    )
    entry = entries[(BodyKind.REPRESENTATIVE_COUNCIL, None)]
    assert entry.quorum == {None: Threshold(Basis.BODY_MEMBERS, Op.GE, 3, 4)}
    assert entry.notice_days == 5
    assert entry.proxies_allowed is False


def test_quorum_by_mode_and_demand_by_population_are_read() -> None:
    entries = entries_from_data(
        [
            {
                "body": "residents_meeting",
                "decision_type": "ordinary",
                "quorum": {"households": {"basis": "households", "op": ">=", "num": 2, "den": 3}},
                "demand": {"adults": {"op": ">=", "num": 1, "den": 20}},
            }
        ]
    )
    entry = entries[(BodyKind.RESIDENTS_MEETING, DecisionType.ORDINARY)]
    assert entry.quorum == {Mode.HOUSEHOLDS: Threshold(Basis.HOUSEHOLDS, Op.GE, 2, 3)}
    assert entry.demand == {Population.ADULTS: Share(Op.GE, 1, 20)}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("not a list", "rules"),
        ([1], "rules[0]"),
        ([{"body": "parliament", "notice_days": 3}], "rules[0].body"),
        (
            [{"body": "committee", "decision_type": "coup", "notice_days": 3}],
            "rules[0].decision_type",
        ),
        ([{"body": "committee"}], "rules[0]"),
        ([{"body": "committee", "notice_days": -1}], "rules[0].notice_days"),
        ([{"body": "committee", "notice_days": True}], "rules[0].notice_days"),
        ([{"body": "committee", "proxies_allowed": "no"}], "rules[0].proxies_allowed"),
        ([{"body": "committee", "colour": "red"}], "rules[0].colour"),
        (
            [{"body": "committee", "threshold": {"basis": "moon", "op": ">", "num": 1, "den": 2}}],
            "rules[0].threshold.basis",
        ),
        (
            [
                {
                    "body": "committee",
                    "threshold": {"basis": "present", "op": "=", "num": 1, "den": 2},
                }
            ],
            "rules[0].threshold.op",
        ),
        (
            [
                {
                    "body": "committee",
                    "threshold": {"basis": "present", "op": ">", "num": 3, "den": 2},
                }
            ],
            "rules[0].threshold",
        ),
        (
            [
                {
                    "body": "committee",
                    "threshold": {"basis": "present", "op": ">", "num": "1", "den": 2},
                }
            ],
            "rules[0].threshold",
        ),
        (
            [{"body": "committee", "quorum": {"everyone": TWO_THIRDS_PRESENT}}],
            "rules[0].quorum.everyone",
        ),
        (
            [{"body": "committee", "demand": {"aliens": {"op": ">=", "num": 1, "den": 5}}}],
            "rules[0].demand.aliens",
        ),
        (
            [
                {"body": "committee", "notice_days": 3},
                {"body": "committee", "decision_type": None, "notice_days": 4},
            ],
            "rules[1]",
        ),
    ],
)
def test_bad_shapes_are_refused_with_the_field_named(data: object, field: str) -> None:
    with pytest.raises(InvalidOverlayData) as caught:
        entries_from_data(data)
    assert field in caught.value.details, caught.value.details


def test_read_data_is_accepted_by_the_overlay_engine_and_tightens_the_rule() -> None:
    rules = apply_overlay(
        get_rule_set("urban-2026"),
        overlay(
            [
                {
                    "body": "residents_meeting",
                    "decision_type": "major",
                    "threshold": TWO_THIRDS_PRESENT,
                }
            ]
        ),
    )
    rule = rules.rule_for("residents_meeting", "major")
    assert rule.threshold == Threshold(Basis.PRESENT, Op.GE, 2, 3)
    assert rule.citation == SOURCE
    assert rule.overlays == ("charter-t",)


def test_looser_data_is_refused_by_the_overlay_engine_naming_the_statute() -> None:
    looser = {"basis": "votes_cast_excl_abstain", "op": ">", "num": 1, "den": 2}
    with pytest.raises(LooserThanStatute, match="URC25"):
        apply_overlay(
            get_rule_set("urban-2026"),
            overlay(
                [{"body": "residents_meeting", "decision_type": "ordinary", "threshold": looser}]
            ),
        )


_thresholds = st.builds(
    lambda basis, op, den, num: {
        "basis": basis,
        "op": op,
        "num": min(num, den - (op == ">")),
        "den": den,
    },
    st.sampled_from([b.value for b in Basis]),
    st.sampled_from([">", ">="]),
    st.integers(2, 12),
    st.integers(1, 12),
)
_entries = st.fixed_dictionaries(
    {
        "body": st.sampled_from([k.value for k in BodyKind]),
        "decision_type": st.one_of(st.none(), st.sampled_from([d.value for d in DecisionType])),
    },
    optional={
        "threshold": _thresholds,
        "quorum": st.dictionaries(
            st.sampled_from([*(m.value for m in Mode), "any"]), _thresholds, min_size=1, max_size=2
        ),
        "notice_days": st.integers(0, 365),
        "short_notice_allowed": st.booleans(),
        "proxies_allowed": st.booleans(),
        "proxy_max_per_holder": st.integers(1, 5),
    },
).filter(lambda e: len(e) > 2)


def _key(entry: dict[str, object]) -> str:
    return json.dumps(entry, sort_keys=True)


@given(st.lists(_entries, max_size=6, unique_by=lambda e: (e["body"], e["decision_type"])))
def test_data_entries_data_is_the_identity(data: list[dict[str, object]]) -> None:
    once = entries_as_data(entries_from_data(data))
    assert entries_as_data(entries_from_data(once)) == once
    assert sorted(once, key=_key) == sorted(data, key=_key)


def test_entry_words_say_what_a_charter_asks_in_both_languages() -> None:
    from consult.rules.overlay_data import entry_words

    entry = {
        "body": "representative_council",
        "threshold": {"basis": "present", "op": ">=", "num": 2, "den": 3},
        "quorum": {"any": {"basis": "body_members", "op": ">", "num": 3, "den": 4}},
        "notice_days": 5,
        "proxies_allowed": False,
    }
    assert entry_words(entry, "zh") == [
        "通过：到会人员三分之二以上",
        "法定人数：超过组成人员的四分之三",
        "提前 5 日通知",
        "不得委托",
    ]
    assert entry_words(entry, "en") == [
        "to pass: two-thirds or more of those present",
        "quorum: more than three-quarters of the members of the body",
        "notice 5 days ahead",
        "no proxies",
    ]
    households = {"body": "residents_meeting", "quorum": {"households": entry["quorum"]["any"]}}
    assert entry_words(households, "zh") == ["法定人数（每户派代表）：超过组成人员的四分之三"]
