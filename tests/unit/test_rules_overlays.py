"""Charters and provincial overlays may tighten the statute, never loosen it (RULES.md "How to
encode" 4): stricter or equal is accepted; looser is refused with LooserThanStatute naming the
rule and the statutory value."""

from __future__ import annotations

from fractions import Fraction
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.rules.citations import Authority, Citation, Law
from consult.rules.errors import LooserThanStatute, NotAvailable, OverlayError
from consult.rules.model import BodyKind, DecisionType, Mode, Name, Population
from consult.rules.overlays import (
    PRESETS,
    SHANGHAI_PROXY_CAP,
    ZHEJIANG_REPRESENTATIVE_NOTICE,
    Overlay,
    OverlayEntry,
    Share,
    apply_overlay,
)
from consult.rules.quorum import Counts, Outcome, evaluate
from consult.rules.rulesets import get_rule_set
from consult.rules.thresholds import Basis, Op, Threshold, at_least_as_strict

pytestmark = pytest.mark.unit

RM = BodyKind.RESIDENTS_MEETING
RC = BodyKind.REPRESENTATIVE_COUNCIL
MM = BodyKind.MEMBERS_MEETING
D = DecisionType

CHARTER_LAW = Law(
    "和平社区居民自治章程", "Heping Community Self-Governance Charter", Authority.CHARTER
)
CHARTER_SOURCE = Citation("CHARTER-HP", CHARTER_LAW, 12)


def charter(entries, applies_to=()):
    return Overlay(
        id="charter-hp",
        title=Name("和平社区居民自治章程", "Heping charter"),
        source=CHARTER_SOURCE,
        entries=MappingProxyType(entries),
        applies_to=applies_to,
    )


URBAN = get_rule_set("urban-2026")
VILLAGE = get_rule_set("village-2026")


# -- pass thresholds -----------------------------------------------------------------------------


def test_a_charter_may_require_two_thirds_of_those_present_for_charter_changes():
    tightened = apply_overlay(
        URBAN,
        charter({(RM, D.CHARTER): OverlayEntry(threshold=Threshold(Basis.PRESENT, Op.GE, 2, 3))}),
    )
    r = tightened.rule_for(RM, D.CHARTER)
    assert r.threshold == Threshold(Basis.PRESENT, Op.GE, 2, 3)
    assert r.citation == CHARTER_SOURCE
    assert "URC25-23" in {c.rule_id for c in r.also}  # the statutory floor stays cited
    assert r.overlays == ("charter-hp",)
    assert evaluate(r, Counts(100, 60, yes=39)).outcome is Outcome.REJECTED  # 39 < 40
    assert evaluate(r, Counts(100, 60, yes=40)).outcome is Outcome.ADOPTED
    # Other decisions keep the statute.
    assert tightened.rule_for(RM, D.ORDINARY).threshold == URBAN.rule_for(RM, D.ORDINARY).threshold


def test_an_overlay_equal_to_the_statute_is_accepted():
    same = apply_overlay(
        URBAN, charter({(RM, None): OverlayEntry(threshold=Threshold(Basis.PRESENT, Op.GT, 1, 2))})
    )
    assert same.rule_for(RM, D.ORDINARY).threshold == Threshold(Basis.PRESENT, Op.GT, 1, 2)


def test_half_or_more_is_looser_than_more_than_half():
    with pytest.raises(LooserThanStatute) as raised:
        apply_overlay(
            URBAN,
            charter(
                {(RM, D.ORDINARY): OverlayEntry(threshold=Threshold(Basis.PRESENT, Op.GE, 1, 2))}
            ),
        )
    message = str(raised.value)
    assert "URC25-23" in message  # the rule
    assert "more than half of those present" in message  # the statutory value
    assert "Art. 27" in message


def test_a_lower_fraction_is_looser():
    with pytest.raises(LooserThanStatute, match="VC25-21"):
        apply_overlay(
            VILLAGE,
            charter(
                {(RC, D.ORDINARY): OverlayEntry(threshold=Threshold(Basis.PRESENT, Op.GT, 2, 5))}
            ),
        )


def test_counting_votes_cast_instead_of_those_present_is_looser():
    with pytest.raises(LooserThanStatute, match="more than half of those present"):
        apply_overlay(
            URBAN,
            charter(
                {
                    (RM, D.ORDINARY): OverlayEntry(
                        threshold=Threshold(Basis.VOTES_CAST_EXCL_ABSTAIN, Op.GT, 1, 2)
                    )
                }
            ),
        )


def test_counting_all_members_instead_of_those_present_is_stricter():
    tightened = apply_overlay(
        URBAN,
        charter({(RM, D.MAJOR): OverlayEntry(threshold=Threshold(Basis.ALL_MEMBERS, Op.GT, 1, 2))}),
    )
    assert tightened.rule_for(RM, D.MAJOR).threshold.basis is Basis.ALL_MEMBERS


def test_collective_two_thirds_of_all_members_cannot_become_two_thirds_of_those_present():
    with pytest.raises(LooserThanStatute, match="COL-07"):
        apply_overlay(
            get_rule_set("collective-2025"),
            charter({(MM, None): OverlayEntry(threshold=Threshold(Basis.PRESENT, Op.GE, 2, 3))}),
        )


# -- quorum ----------------------------------------------------------------------------------------


def test_a_stricter_quorum_is_accepted_per_mode():
    tightened = apply_overlay(
        VILLAGE,
        charter(
            {
                (RM, D.ORDINARY): OverlayEntry(
                    quorum={Mode.HOUSEHOLDS: Threshold(Basis.HOUSEHOLDS, Op.GE, 3, 4)}
                )
            }
        ),
    )
    r = tightened.rule_for(RM, D.ORDINARY)
    assert [a.threshold for a in r.quorum] == [
        Threshold(Basis.ELIGIBLE, Op.GT, 1, 2),  # untouched
        Threshold(Basis.HOUSEHOLDS, Op.GE, 3, 4),
    ]
    assert r.quorum_citation == CHARTER_SOURCE


def test_a_looser_quorum_is_refused():
    with pytest.raises(LooserThanStatute) as raised:
        apply_overlay(
            VILLAGE,
            charter(
                {
                    (RM, D.ORDINARY): OverlayEntry(
                        quorum={Mode.HOUSEHOLDS: Threshold(Basis.HOUSEHOLDS, Op.GT, 1, 2)}
                    )
                }
            ),
        )
    assert "VC25-14" in str(raised.value)
    assert "two-thirds or more of household representatives" in str(raised.value)


def test_a_council_quorum_is_keyed_without_a_mode():
    tightened = apply_overlay(
        URBAN,
        charter(
            {(RC, None): OverlayEntry(quorum={None: Threshold(Basis.BODY_MEMBERS, Op.GE, 3, 4)})}
        ),
    )
    assert tightened.rule_for(RC, D.ORDINARY).quorum[0].threshold.share == Fraction(3, 4)
    with pytest.raises(LooserThanStatute, match="URC25-26"):
        apply_overlay(
            URBAN,
            charter(
                {
                    (RC, None): OverlayEntry(
                        quorum={None: Threshold(Basis.BODY_MEMBERS, Op.GT, 1, 2)}
                    )
                }
            ),
        )


def test_a_quorum_for_a_mode_the_statute_lacks_is_refused():
    with pytest.raises(OverlayError, match="group_representatives"):
        apply_overlay(
            URBAN,
            charter(
                {
                    (RM, D.ORDINARY): OverlayEntry(
                        quorum={
                            Mode.GROUP_REPRESENTATIVES: Threshold(Basis.BODY_MEMBERS, Op.GT, 1, 2)
                        }
                    )
                }
            ),
        )


# -- notice ----------------------------------------------------------------------------------------


def test_fewer_days_notice_than_the_statute_is_refused():
    with pytest.raises(LooserThanStatute) as raised:
        apply_overlay(VILLAGE, charter({(RM, None): OverlayEntry(notice_days=9)}))
    assert "VC25-13" in str(raised.value)
    assert "10 days" in str(raised.value)


def test_more_days_notice_is_accepted():
    tightened = apply_overlay(VILLAGE, charter({(RM, None): OverlayEntry(notice_days=15)}))
    assert tightened.rule_for(RM, D.ORDINARY).notice_days == 15
    assert tightened.rule_for(RM, D.ORDINARY).notice.citation == CHARTER_SOURCE


def test_short_notice_may_be_withdrawn_but_not_granted():
    tightened = apply_overlay(
        URBAN, charter({(RM, None): OverlayEntry(short_notice_allowed=False)})
    )
    assert not tightened.rule_for(RM, D.ORDINARY).notice.short_notice_allowed
    with pytest.raises(LooserThanStatute, match="COL-04"):
        apply_overlay(
            get_rule_set("collective-2025"),
            charter({(MM, None): OverlayEntry(short_notice_allowed=True)}),
        )


def test_zhejiang_fills_the_gap_with_three_days_notice_of_representative_meetings():
    tightened = apply_overlay(VILLAGE, PRESETS["zhejiang-loc10"])
    for dtype in tightened.decision_types(RC):
        r = tightened.rule_for(RC, dtype)
        assert r.notice_days == 3  # LOC-10
        assert r.notice.citation.rule_id == "LOC-10"
        assert r.notice.citation.is_statute  # a provincial regulation, not practice
    assert tightened.rule_for(RM, D.ORDINARY).notice_days == 10  # untouched
    assert tightened.id == "village-2026+zhejiang-loc10"
    assert tightened.statute_id == "village-2026"
    assert tightened.rule_for(RC, D.ORDINARY).rule_set_id == tightened.id


# -- proxies ---------------------------------------------------------------------------------------


def test_more_than_three_proxies_per_holder_is_refused():
    with pytest.raises(LooserThanStatute) as raised:
        apply_overlay(VILLAGE, charter({(RM, D.ELECTION): OverlayEntry(proxy_max_per_holder=4)}))
    assert "VC25-09" in str(raised.value)
    assert "at most 3" in str(raised.value)


def test_a_lower_proxy_cap_or_no_proxies_is_accepted():
    capped = apply_overlay(URBAN, charter({(RM, None): OverlayEntry(proxy_max_per_holder=2)}))
    assert capped.rule_for(RM, D.ELECTION).proxies.max_per_holder == 2
    none = apply_overlay(URBAN, charter({(RM, None): OverlayEntry(proxies_allowed=False)}))
    assert not none.rule_for(RM, D.ORDINARY).proxies.allowed


def test_proxies_cannot_be_allowed_where_the_statute_has_none():
    with pytest.raises(LooserThanStatute, match="URC25-14"):
        apply_overlay(URBAN, charter({(RC, D.ELECTION): OverlayEntry(proxies_allowed=True)}))


def test_candidates_cannot_be_allowed_to_hold_proxies():
    with pytest.raises(LooserThanStatute, match="candidates"):
        apply_overlay(
            URBAN, charter({(RM, D.ELECTION): OverlayEntry(candidates_may_hold_proxies=True)})
        )


def test_a_proxy_cap_of_zero_is_refused_in_favour_of_forbidding_proxies():
    with pytest.raises(OverlayError, match="at least 1"):
        apply_overlay(URBAN, charter({(RM, D.ELECTION): OverlayEntry(proxy_max_per_holder=0)}))


def test_shanghai_caps_proxies_where_the_2018_village_law_set_no_cap():
    old = get_rule_set("village-2018")
    assert old.rule_for(RM, D.ELECTION).proxies.max_per_holder is None
    tightened = apply_overlay(old, SHANGHAI_PROXY_CAP)
    assert tightened.rule_for(RM, D.ELECTION).proxies.max_per_holder == 3  # LOC-05


def test_a_preset_refuses_a_rule_set_it_was_not_written_for():
    with pytest.raises(OverlayError, match="village-2018"):
        apply_overlay(VILLAGE, SHANGHAI_PROXY_CAP)
    with pytest.raises(OverlayError, match="urban-2026"):
        apply_overlay(URBAN, ZHEJIANG_REPRESENTATIVE_NOTICE)


# -- demand ----------------------------------------------------------------------------------------


def test_beijings_one_fifth_demand_threshold_is_refused_under_the_2025_law():
    beijing = charter({(RM, None): OverlayEntry(demand={Population.ADULTS: Share(Op.GE, 1, 5)})})
    with pytest.raises(LooserThanStatute) as raised:
        apply_overlay(URBAN, beijing)
    assert "URC25-22" in str(raised.value)
    assert "one-tenth or more" in str(raised.value)


def test_a_lower_demand_threshold_is_accepted():
    tightened = apply_overlay(
        URBAN,
        charter({(RM, D.ORDINARY): OverlayEntry(demand={Population.ADULTS: Share(Op.GE, 1, 20)})}),
    )
    demand = tightened.rule_for(RM, D.ORDINARY).demand[0]
    assert (demand.num, demand.den, demand.citation) == (1, 20, CHARTER_SOURCE)


def test_a_demand_right_the_statute_does_not_give_is_refused():
    with pytest.raises(OverlayError, match="residents_groups"):
        apply_overlay(
            URBAN,
            charter(
                {
                    (RM, D.ORDINARY): OverlayEntry(
                        demand={Population.RESIDENTS_GROUPS: Share(Op.GE, 1, 3)}
                    )
                }
            ),
        )


# -- applying --------------------------------------------------------------------------------------


def test_an_overlay_on_a_decision_the_rule_set_lacks_is_refused():
    with pytest.raises(NotAvailable, match="land_contracting"):
        apply_overlay(URBAN, charter({(RM, D.LAND_CONTRACTING): OverlayEntry(notice_days=20)}))
    with pytest.raises(NotAvailable, match="group_meeting"):
        apply_overlay(
            URBAN, charter({(BodyKind.GROUP_MEETING, None): OverlayEntry(notice_days=20)})
        )


def test_a_threshold_on_a_consultation_is_refused_when_named_and_skipped_otherwise():
    stricter = OverlayEntry(threshold=Threshold(Basis.PRESENT, Op.GE, 2, 3))
    with pytest.raises(OverlayError, match="not a binding vote"):
        apply_overlay(URBAN, charter({(RM, D.CONSULTATION): stricter}))
    tightened = apply_overlay(URBAN, charter({(RM, None): stricter}))
    assert tightened.rule_for(RM, D.CONSULTATION).threshold is None
    assert tightened.rule_for(RM, D.ORDINARY).threshold == stricter.threshold


def test_overlays_stack_and_each_must_be_stricter_than_the_last():
    first = apply_overlay(
        URBAN,
        charter({(RM, D.CHARTER): OverlayEntry(threshold=Threshold(Basis.PRESENT, Op.GE, 2, 3))}),
    )
    second = Overlay(
        "charter-hp-2",
        Name("修订", "amendment"),
        CHARTER_SOURCE,
        MappingProxyType(
            {(RM, D.CHARTER): OverlayEntry(threshold=Threshold(Basis.PRESENT, Op.GT, 1, 2))}
        ),
        applies_to=("urban-2026",),
    )
    with pytest.raises(LooserThanStatute, match="two-thirds or more of those present"):
        apply_overlay(first, second)
    assert first.overlays == ("charter-hp",)


def test_an_empty_overlay_changes_nothing_but_the_name():
    same = apply_overlay(URBAN, charter({(RM, None): OverlayEntry()}))
    assert same.id == "urban-2026+charter-hp"
    assert same.rule_for(RM, D.ORDINARY).citation == URBAN.rule_for(RM, D.ORDINARY).citation


# -- property: an accepted overlay is never looser ------------------------------------------

shares = st.tuples(st.integers(1, 10), st.integers(1, 10)).filter(lambda p: p[0] <= p[1])


@st.composite
def candidate_thresholds(draw):
    num, den = draw(shares)
    op = draw(st.sampled_from(list(Op)))
    if op is Op.GT and num == den:
        op = Op.GE
    basis = draw(st.sampled_from([b for b in Basis if b is not Basis.HOUSEHOLDS]))
    return Threshold(basis, op, num, den)


@given(
    candidate_thresholds(),
    st.sampled_from(
        [
            ("urban-2026", RM, D.ORDINARY),
            ("village-2026", RC, D.MAJOR),
            ("collective-2025", MM, D.CHARTER),
        ]
    ),
)
def test_an_overlay_is_accepted_exactly_when_it_is_at_least_as_strict(threshold, where):
    rule_set_id, body, dtype = where
    statute = get_rule_set(rule_set_id)
    overlay = charter({(body, dtype): OverlayEntry(threshold=threshold)})
    statutory = statute.rule_for(body, dtype).threshold
    if at_least_as_strict(threshold, statutory):
        assert apply_overlay(statute, overlay).rule_for(body, dtype).threshold == threshold
    else:
        with pytest.raises(LooserThanStatute):
            apply_overlay(statute, overlay)
