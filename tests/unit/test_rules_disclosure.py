"""The disclosure schedule (RULES.md §4(c), URC25-32..34, VC25-26..30): which category is
disclosed how often under which text, when it is due, how long it stays on the board, and when a
query is answered. Numbers the law gives are cited; numbers it leaves open are marked policy."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.rules.disclosure import (
    CATEGORY_NAMES,
    DEFAULT_POLICY,
    POSTING_DAYS,
    SCHEDULE_IDS,
    Category,
    DisclosurePolicy,
    DueState,
    Frequency,
    Period,
    PeriodKind,
    add_days,
    answer_due,
    answer_status,
    due,
    due_date,
    format_period,
    get_schedule,
    parse_category,
    parse_period,
    periods_due,
    posted_long_enough,
    posting_days,
    posting_ends,
    schedule_for,
    status,
)
from consult.rules.errors import NoRuleSetInForce, NotAvailable, RulesError, UnknownRuleSet

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
D = date
P = parse_period
ALL = [c.value for c in Category]
GENERAL = [c for c in ALL if c != "finance"]


# -- categories (INTERFACES.md §3) ----------------------------------------------------------------


def test_the_categories_are_exactly_those_of_the_api():
    assert ALL == [
        "decisions",
        "government_funds",
        "facilities",
        "services",
        "consultations",
        "assistance",
        "finance",
        "other",
    ]
    assert set(CATEGORY_NAMES) == set(Category)


def test_an_unknown_category_is_refused_with_the_allowed_ones():
    with pytest.raises(NotAvailable, match=r"unknown disclosure category 'budget'.*decisions"):
        parse_category("budget")
    with pytest.raises(NotAvailable):
        due_date("village", "budget", "2026-Q4")


# -- the schedule of each text --------------------------------------------------------------------

# (schedule, category) → (frequency, frequency rule ids, item rule ids, item citation's end)
V_Q = ("quarterly", ("DS-01", "VC25-27"), ("DS-01", "VC25-26"))  # VC25-26 items, VC25-27
V_M = ("monthly", ("DS-02", "VC25-27"), ("DS-02", "VC25-27"))  # VC25-27: finance monthly
U_Q = ("quarterly", ("DSP-01", "URC25-33"), ("DS-04", "URC25-32"))  # no statutory frequency
U_M = ("monthly", ("DSP-02", "URC25-33"), ("DS-05", "URC25-40"))  # funds raised: URC25-40
O_Q = ("quarterly", ("DS-01", "VC18-04"), ("DS-01", "VC18-04"))  # 2018 text: Art. 30
O_M = ("monthly", ("DS-02", "VC18-04"), ("DS-02", "VC18-04"))
SCHEDULES = {
    ("village-2026", "decisions"): (*V_Q, "第三十五条第二款第（一）项"),
    ("village-2026", "government_funds"): (*V_Q, "第三十五条第二款第（二）项"),
    ("village-2026", "assistance"): (*V_Q, "第三十五条第二款第（三）项"),
    ("village-2026", "consultations"): (*V_Q, "第三十五条第二款第（四）项"),
    ("village-2026", "other"): (*V_Q, "第三十五条第二款第（五）项"),
    ("village-2026", "facilities"): (*V_Q, "第三十五条第二款第（五）项"),  # no item of its own
    ("village-2026", "services"): (*V_Q, "第三十五条第二款第（五）项"),  # no item of its own
    ("village-2026", "finance"): (*V_M, "第三十五条第三款"),
    ("urban-2026", "decisions"): (*U_Q, "第三十四条第二款第（一）项"),
    ("urban-2026", "government_funds"): (*U_Q, "第三十四条第二款第（二）项"),
    ("urban-2026", "facilities"): (*U_Q, "第三十四条第二款第（三）项"),
    ("urban-2026", "services"): (*U_Q, "第三十四条第二款第（四）项"),
    ("urban-2026", "consultations"): (*U_Q, "第三十四条第二款第（五）项"),
    ("urban-2026", "assistance"): (*U_Q, "第三十四条第二款第（六）项"),
    ("urban-2026", "other"): (*U_Q, "第三十四条第二款第（七）项"),
    ("urban-2026", "finance"): (*U_M, "第四十二条"),
    **{("village-2018", c): (*O_Q, "第三十条") for c in GENERAL},
    ("village-2018", "finance"): (*O_M, "第三十条"),
}


@pytest.mark.parametrize(("schedule_id", "category"), sorted(SCHEDULES))
def test_every_category_has_its_frequency_and_item_with_their_rules(schedule_id, category):
    frequency, frequency_ids, item_ids, article = SCHEDULES[(schedule_id, category)]
    rule = get_schedule(schedule_id).category(category)
    assert rule.frequency.value == frequency
    assert rule.frequency_rule.ids == frequency_ids
    assert rule.item.ids == item_ids
    assert rule.item.citation is not None
    assert rule.item.citation.zh.endswith(article)


def test_the_table_covers_every_schedule_and_category():
    assert {(s, c) for s in SCHEDULE_IDS for c in ALL} == set(SCHEDULES)


def test_village_frequencies_are_law_and_urban_frequencies_are_policy():
    village = get_schedule("village-2026")
    urban = get_schedule("urban-2026")
    for category in Category:
        assert not village.category(category).frequency_rule.practice  # VC25-27
        assert village.category(category).frequency_rule.citation.is_statute
        assert urban.category(category).frequency_rule.policy  # URC25-33: no frequency
        assert urban.category(category).frequency_rule.practice
        assert urban.category(category).frequency_rule.citation.number_is_practice


def test_major_matters_are_disclosed_at_once_in_villages_and_promptly_in_residents_committees():
    for category in Category:
        at_once = get_schedule("village-2026").category(category).at_once
        assert at_once.ids == ("DS-03", "VC25-27")
        assert "随时" in at_once.zh
        promptly = get_schedule("urban-2026").category(category).at_once
        assert promptly.ids == ("DS-04", "URC25-32")
        assert "及时" in promptly.zh


def test_posting_review_queries_and_complaints_cite_their_rows():
    village, urban = get_schedule("village-2026"), get_schedule("urban-2026")
    old = get_schedule("village-2018")
    assert village.posting_days == urban.posting_days == POSTING_DAYS == 15
    assert village.posting.ids == ("VC25-28",)
    assert village.posting.citation.zh == "《村民委员会组织法》第三十五条第四款"
    assert urban.posting.ids == ("URC25-33",)
    assert urban.posting.citation.zh == "《城市居民委员会组织法》第三十四条第三款"
    assert old.posting_days is None  # VC18-04: no 15-day minimum before 2026
    assert village.review.ids == ("DS-18", "VC25-30")
    assert not village.review.practice
    assert urban.review.ids == ("DS-18", "URC25-35")
    assert urban.review.policy  # by analogy: DS-18 cites the village text
    assert village.complaints.ids == ("DS-15", "VC25-29")
    assert urban.complaints.ids == ("DS-15", "URC25-34")
    assert village.queries.ids == ("VC25-28",)
    assert urban.queries.ids == ("URC25-33",)
    assert village.answer.id == urban.answer.id == "DSP-05"
    assert village.answer.policy


def test_policy_rules_say_so_in_both_languages_and_statutory_ones_do_not():
    schedule = get_schedule("urban-2026")
    assert schedule.grace.policy
    assert schedule.grace.id == "DSP-03"
    assert schedule.at_once_deadline.id == "DSP-04"
    assert schedule.grace.as_dict()["policy"] is True
    posting = schedule.posting.as_dict()
    assert posting["policy"] is False
    assert posting["citation"]["id"] == "URC25-33"
    assert schedule.posting.text("zh") == "公布的期限不得少于十五日"
    assert schedule.posting.text("en") == "posted for at least 15 days"


@pytest.mark.parametrize(
    ("kind", "on", "expected"),
    [
        ("village", D(2018, 12, 29), "village-2018"),
        ("village", D(2025, 12, 31), "village-2018"),
        ("village", D(2026, 1, 1), "village-2026"),
        ("village", D(2030, 6, 1), "village-2026"),
        ("urban", D(2026, 1, 1), "urban-2026"),
        ("urban", D(2040, 1, 1), "urban-2026"),
    ],
)
def test_the_schedule_in_force_on_a_day(kind, on, expected):
    assert schedule_for(kind, on).id == expected


def test_no_schedule_before_the_texts_and_none_for_other_kinds():
    with pytest.raises(NoRuleSetInForce, match="URC18-10"):
        schedule_for("urban", D(2025, 12, 31))
    with pytest.raises(NoRuleSetInForce):
        schedule_for("village", D(2018, 12, 28))
    with pytest.raises(UnknownRuleSet):
        schedule_for("town", D(2026, 1, 1))
    with pytest.raises(NotAvailable, match="urban or village"):
        schedule_for("collective", D(2026, 1, 1))
    with pytest.raises(UnknownRuleSet):
        get_schedule("urban-1990")
    assert issubclass(NoRuleSetInForce, RulesError)


def test_a_period_is_judged_by_the_text_in_force_on_its_last_day():
    assert due("village", "decisions", "2025-Q4").schedule_id == "village-2018"
    assert due("village", "decisions", "2026-Q1").schedule_id == "village-2026"
    with pytest.raises(NoRuleSetInForce):
        due("urban", "decisions", "2025-Q4")


# -- periods --------------------------------------------------------------------------------------

PERIODS = [
    ("2026-10", PeriodKind.MONTH, D(2026, 10, 1), D(2026, 10, 31)),
    ("2026-02", PeriodKind.MONTH, D(2026, 2, 1), D(2026, 2, 28)),
    ("2028-02", PeriodKind.MONTH, D(2028, 2, 1), D(2028, 2, 29)),  # leap year
    ("2000-02", PeriodKind.MONTH, D(2000, 2, 1), D(2000, 2, 29)),  # divisible by 400
    ("2100-02", PeriodKind.MONTH, D(2100, 2, 1), D(2100, 2, 28)),  # divisible by 100 only
    ("2026-12", PeriodKind.MONTH, D(2026, 12, 1), D(2026, 12, 31)),
    ("2026-Q1", PeriodKind.QUARTER, D(2026, 1, 1), D(2026, 3, 31)),
    ("2026-Q2", PeriodKind.QUARTER, D(2026, 4, 1), D(2026, 6, 30)),
    ("2026-Q3", PeriodKind.QUARTER, D(2026, 7, 1), D(2026, 9, 30)),
    ("2026-Q4", PeriodKind.QUARTER, D(2026, 10, 1), D(2026, 12, 31)),
    ("2026-10-15", PeriodKind.DAY, D(2026, 10, 15), D(2026, 10, 15)),
    ("2028-02-29", PeriodKind.DAY, D(2028, 2, 29), D(2028, 2, 29)),
]


@pytest.mark.parametrize(("text", "kind", "first", "last"), PERIODS)
def test_a_period_parses_to_its_days_and_formats_back(text, kind, first, last):
    period = parse_period(text)
    assert (period.kind, period.first, period.last) == (kind, first, last)
    assert format_period(period) == str(period) == text
    assert repr(period) == f"Period({text!r})"


def test_a_lower_case_quarter_is_accepted_and_written_canonically():
    assert str(parse_period("2026-q4")) == "2026-Q4"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "write a month like 2026-10, a quarter like 2026-Q4 or a date like 2026-10-15"),
        ("2026", "write a month like 2026-10"),
        ("2026-1", "write a month like 2026-10"),
        ("2026-10 ", "write a month"),
        (" 2026-10", "write a month"),
        ("26-10", "write a month"),
        ("2026/10", "write a month"),
        ("2026-13", "there is no month 13"),
        ("2026-00", "there is no month 00"),
        ("2026-Q0", "there is no quarter Q0"),
        ("2026-Q5", "there is no quarter Q5"),
        ("2026-Q10", "write a month"),
        ("2026-H2", "write a month"),
        ("2026-02-29", "not a date in the calendar"),  # not a leap year
        ("2026-02-30", "not a date in the calendar"),
        ("2026-04-31", "not a date in the calendar"),
        ("20261015", "write a month"),
        ("2026-10-15T00:00", "write a month"),
        ("２０２６-10", "write a month"),  # full-width digits
        ("1899-12", "between 1900 and 2999"),
        ("3000-Q1", "between 1900 and 2999"),
        ("3000-01-01", "between 1900 and 2999"),
    ],
)
def test_a_bad_period_is_refused_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_period(text)


def test_a_period_that_is_not_text_is_refused():
    with pytest.raises(ValueError, match="a period is text"):
        parse_period(202610)  # type: ignore[arg-type]


def test_a_period_cannot_be_built_with_days_that_do_not_match_its_kind():
    with pytest.raises(ValueError, match="is not a month"):
        Period(D(2026, 10, 1), D(2026, 10, 30), PeriodKind.MONTH)
    with pytest.raises(ValueError, match="is not a quarter"):
        Period(D(2026, 11, 1), D(2026, 12, 31), PeriodKind.QUARTER)
    assert Period(D(2026, 10, 1), D(2026, 12, 31), PeriodKind.QUARTER) == P("2026-Q4")


def test_periods_follow_each_other_across_year_ends_and_sort_by_their_first_day():
    assert P("2026-12").next() == P("2027-01")
    assert P("2026-Q4").next() == P("2027-Q1")
    assert P("2028-02-28").next() == P("2028-02-29")
    assert sorted([P("2026-Q4"), P("2026-10"), P("2026-09")]) == [
        P("2026-09"),
        P("2026-10"),
        P("2026-Q4"),
    ]
    assert D(2026, 11, 30) in P("2026-Q4")
    assert D(2027, 1, 1) not in P("2026-Q4")
    assert Period.containing(Frequency.QUARTERLY, D(2026, 8, 15)) == P("2026-Q3")


def test_periods_read_in_both_languages():
    assert P("2026-10").text("zh") == "2026年10月"
    assert P("2026-10").text("en") == "October 2026"
    assert P("2026-Q4").text("zh") == "2026年第四季度"
    assert P("2026-Q4").text("en") == "Q4 2026"
    assert P("2026-10-05").text("zh") == "2026年10月5日"


periods = st.one_of(
    st.builds(Period.month, st.integers(1900, 2999), st.integers(1, 12)),
    st.builds(Period.quarter, st.integers(1900, 2999), st.integers(1, 4)),
    st.builds(Period.day, st.dates(D(1900, 1, 1), D(2999, 12, 31))),
)


@given(periods)
def test_period_text_round_trips(period):
    assert parse_period(format_period(period)) == period


@given(periods)
def test_a_period_covers_its_days_and_the_next_one_starts_the_day_after(period):
    assert period.first <= period.last
    assert period.first in period
    assert period.last in period
    if period.last < D(2999, 12, 1):
        assert period.next().first == period.last + timedelta(days=1)
        assert period.next().kind is period.kind


# -- due dates ------------------------------------------------------------------------------------

# (kind, category, period) → due date, with the default policy (DSP-03: 10 days after the
# period ends; DSP-04: 5 days after an ad-hoc matter's day).
DUE = [
    # village finance monthly (DS-02)
    ("village", "finance", "2026-01", D(2026, 2, 10)),
    ("village", "finance", "2026-02", D(2026, 3, 10)),  # 28-day February
    ("village", "finance", "2028-02", D(2028, 3, 10)),  # leap February ends on the 29th
    ("village", "finance", "2026-04", D(2026, 5, 10)),  # 30-day month
    ("village", "finance", "2026-10", D(2026, 11, 10)),
    ("village", "finance", "2026-12", D(2027, 1, 10)),  # across the year end
    # village general items quarterly (DS-01)
    ("village", "decisions", "2026-Q1", D(2026, 4, 10)),
    ("village", "decisions", "2026-Q2", D(2026, 7, 10)),
    ("village", "assistance", "2026-Q3", D(2026, 10, 10)),
    ("village", "other", "2026-Q4", D(2027, 1, 10)),  # across the year end
    ("village", "decisions", "2025-Q4", D(2026, 1, 10)),  # under village-2018
    # village major matters at once (DS-03, DSP-04)
    ("village", "decisions", "2026-10-15", D(2026, 10, 20)),
    ("village", "decisions", "2026-10-29", D(2026, 11, 3)),  # across a month end
    ("village", "government_funds", "2026-12-30", D(2027, 1, 4)),  # across the year end
    ("village", "decisions", "2028-02-26", D(2028, 3, 2)),  # over a leap day
    ("village", "decisions", "2026-02-26", D(2026, 3, 3)),  # no leap day
    ("village", "finance", "2026-10-15", D(2026, 10, 20)),  # ad-hoc finance matter
    # residents' committees: policy frequencies (DSP-01, DSP-02) and "promptly" (DS-04)
    ("urban", "decisions", "2026-Q1", D(2026, 4, 10)),
    ("urban", "services", "2026-Q4", D(2027, 1, 10)),
    ("urban", "finance", "2026-02", D(2026, 3, 10)),
    ("urban", "finance", "2026-12", D(2027, 1, 10)),
    ("urban", "facilities", "2028-02-29", D(2028, 3, 5)),
    ("urban", "consultations", "2026-12-31", D(2027, 1, 5)),
]


@pytest.mark.parametrize(("kind", "category", "period", "expected"), DUE)
def test_due_dates(kind, category, period, expected):
    assert due_date(kind, category, period) == expected
    assert due_date(kind, category, P(period)) == expected


def test_a_due_date_says_where_its_days_and_its_period_come_from():
    regular = due("village", "finance", "2026-10")
    assert regular.rule.id == "DSP-03"
    assert regular.rule.policy
    assert regular.frequency_rule.ids == ("DS-02", "VC25-27")
    ad_hoc = due("village", "decisions", "2026-10-15")
    assert ad_hoc.rule.id == "DSP-04"
    assert ad_hoc.frequency_rule.ids == ("DS-03", "VC25-27")
    assert due("urban", "decisions", "2026-10-15").frequency_rule.ids == ("DS-04", "URC25-32")


@pytest.mark.parametrize(
    ("kind", "category", "period", "message"),
    [
        ("village", "finance", "2026-Q4", "monthly (DS-02): its period is a month like 2026-10"),
        ("village", "other", "2026-10", "quarterly (DS-01): its period is a quarter like 2026-Q4"),
        ("urban", "finance", "2026-Q1", "monthly (DSP-02)"),
        ("urban", "other", "2026-03", "quarterly (DSP-01): its period is a quarter like 2026-Q1"),
    ],
)  # fmt: skip
def test_a_period_of_the_wrong_kind_is_refused(kind, category, period, message):
    with pytest.raises(NotAvailable, match=re.escape(message)):
        due_date(kind, category, period)


def test_the_policy_sets_the_days_and_the_residents_frequencies():
    policy = DisclosurePolicy(grace_days=0, at_once_days=1, urban_general="monthly")
    assert due_date("village", "finance", "2026-10", policy=policy) == D(2026, 10, 31)
    assert due_date("village", "decisions", "2026-12-31", policy=policy) == D(2027, 1, 1)
    assert due_date("urban", "decisions", "2026-10", policy=policy) == D(2026, 10, 31)
    assert get_schedule("urban-2026", policy).category("decisions").frequency_rule.en == (
        "general items monthly (the law says only 'promptly')"
    )
    quarterly = DisclosurePolicy(urban_finance=Frequency.QUARTERLY)
    assert due_date("urban", "finance", "2026-Q4", policy=quarterly) == D(2027, 1, 10)


def test_a_village_with_few_transactions_may_disclose_finance_quarterly():
    policy = DisclosurePolicy(village_finance=Frequency.QUARTERLY)
    rule = get_schedule("village-2026", policy).category("finance")
    assert rule.frequency is Frequency.QUARTERLY
    assert rule.frequency_rule.ids == ("DS-01", "VC25-27")
    assert due_date("village", "finance", "2026-Q3", policy=policy) == D(2026, 10, 10)
    assert get_schedule("village-2026").category("finance").frequency is Frequency.MONTHLY


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"grace_days": -1}, "grace_days must be a whole number of days from 0 to 27"),
        ({"grace_days": 28}, "from 0 to 27"),  # a month's disclosure due after the next ended
        ({"grace_days": 1.5}, "grace_days"),
        ({"grace_days": True}, "grace_days"),
        ({"at_once_days": -1}, "at_once_days"),
        ({"at_once_days": 28}, "at_once_days"),
        ({"answer_days": 0}, "answer_days must be a whole number of days from 1 to 60"),
        ({"answer_days": 61}, "answer_days"),
        ({"urban_general": "yearly"}, "urban_general must be monthly or quarterly"),
        ({"village_finance": "weekly"}, "village_finance must be monthly or quarterly"),
    ],
)
def test_a_policy_out_of_bounds_is_refused(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DisclosurePolicy(**changes)


def test_a_deadline_on_a_rest_day_moves_to_the_next_working_day():
    # SEM-3 (民法典 Art. 203): 2026-11-10 and 11 are rest days → due on the 12th.
    rest = {D(2026, 11, 10), D(2026, 11, 11)}
    assert due_date("village", "finance", "2026-10", rest_days=rest) == D(2026, 11, 12)
    # Rest days inside the period do not move it: only the last day moves.
    assert due_date("village", "finance", "2026-10", rest_days={D(2026, 11, 9)}) == D(2026, 11, 10)
    # The National Day holiday: 2026-10-01..07 (a caller-supplied calendar).
    golden_week = {D(2026, 10, d) for d in range(1, 8)}
    assert due_date("urban", "other", "2026-Q3", rest_days=golden_week) == D(2026, 10, 10)
    assert due_date("urban", "other", "2026-09-28", rest_days=golden_week) == D(2026, 10, 8)
    assert add_days(D(2026, 12, 31), 1, {D(2027, 1, 1), D(2027, 1, 2)}) == D(2027, 1, 3)


# -- what falls due in a window -------------------------------------------------------------------

MONTHS_2026 = [f"2026-{m:02d}" for m in range(1, 13)]
QUARTERS_2026 = [f"2026-Q{q}" for q in range(1, 5)]


@pytest.mark.parametrize(
    ("kind", "category", "start", "end", "expected"),
    [
        ("village", "finance", D(2026, 11, 1), D(2026, 11, 30), ["2026-10"]),
        ("village", "finance", D(2026, 11, 10), D(2026, 11, 10), ["2026-10"]),
        ("village", "finance", D(2026, 11, 11), D(2026, 12, 9), []),
        ("village", "finance", D(2026, 1, 1), D(2026, 12, 31), ["2025-12", *MONTHS_2026[:11]]),
        ("village", "decisions", D(2026, 1, 1), D(2026, 12, 31), ["2025-Q4", *QUARTERS_2026[:3]]),
        ("village", "decisions", D(2026, 12, 1), D(2027, 1, 31), ["2026-Q4"]),
        ("village", "decisions", D(2027, 1, 10), D(2027, 1, 10), ["2026-Q4"]),
        ("village", "decisions", D(2027, 1, 11), D(2027, 4, 9), []),
        ("urban", "decisions", D(2025, 1, 1), D(2026, 12, 31), ["2026-Q1", "2026-Q2", "2026-Q3"]),
        ("urban", "finance", D(2025, 6, 1), D(2026, 3, 31), ["2026-01", "2026-02"]),
        ("urban", "finance", D(2028, 3, 1), D(2028, 3, 31), ["2028-02"]),
    ],
)  # fmt: skip
def test_periods_due_in_a_window(kind, category, start, end, expected):
    assert [str(p) for p in periods_due(kind, category, start, end)] == expected


def test_periods_due_follow_the_policy_and_rest_days():
    policy = DisclosurePolicy(grace_days=0)
    assert periods_due("village", "finance", D(2026, 10, 31), D(2026, 10, 31), policy=policy) == [
        P("2026-10")
    ]
    rest = {D(2026, 11, 10)}
    assert periods_due("village", "finance", D(2026, 11, 11), D(2026, 11, 11), rest_days=rest) == [
        P("2026-10")
    ]


def test_periods_due_refuses_a_reversed_window_and_survives_extreme_dates():
    with pytest.raises(ValueError, match="after to_date"):
        periods_due("village", "finance", D(2026, 2, 1), D(2026, 1, 1))
    assert periods_due("urban", "decisions", D(1, 1, 1), D(1, 12, 31)) == []
    tail = periods_due("village", "decisions", D(2999, 1, 1), D(9999, 12, 31))
    assert [str(p) for p in tail] == ["2998-Q4", "2999-Q1", "2999-Q2", "2999-Q3", "2999-Q4"]


@given(
    st.sampled_from(["village", "urban"]),
    st.sampled_from(ALL),
    st.dates(D(2026, 1, 1), D(2030, 12, 31)),
    st.integers(0, 400),
)
def test_every_period_listed_is_due_inside_the_window_and_none_is_missed(kind, category, start, n):
    end = start + timedelta(days=n)
    listed = periods_due(kind, category, start, end)
    assert all(start <= due_date(kind, category, p) <= end for p in listed)
    frequency = get_schedule(f"{kind}-2026").category(category).frequency
    period = Period.containing(frequency, D(2025, 10, 1))  # 2025's last periods fall due in 2026
    expected = []
    while period.first <= end:
        try:
            on = due_date(kind, category, period)
        except NoRuleSetInForce:  # an urban period before 2026 owes nothing
            on = None
        if on is not None and start <= on <= end:
            expected.append(period)
        period = period.next()
    assert listed == expected


# -- status ---------------------------------------------------------------------------------------

# village finance 2026-10: due 2026-11-10
STATUS = [
    (None, D(2026, 10, 20), DueState.OPEN, {"days_left": 21}),
    (None, D(2026, 10, 31), DueState.OPEN, {"days_left": 10}),
    (None, D(2026, 11, 1), DueState.DUE, {"days_left": 9}),
    (None, D(2026, 11, 10), DueState.DUE, {"days_left": 0}),
    (None, D(2026, 11, 11), DueState.OVERDUE, {"days_overdue": 1}),
    (None, D(2026, 12, 10), DueState.OVERDUE, {"days_overdue": 30}),
    (None, D(2027, 11, 10), DueState.OVERDUE, {"days_overdue": 365}),
    (D(2026, 10, 25), D(2026, 10, 26), DueState.ON_TIME, {}),
    (D(2026, 11, 3), D(2026, 12, 1), DueState.ON_TIME, {}),
    (D(2026, 11, 10), D(2026, 11, 10), DueState.ON_TIME, {}),
    (D(2026, 11, 11), D(2026, 11, 11), DueState.LATE, {"days_late": 1}),
    (D(2026, 12, 1), D(2027, 1, 1), DueState.LATE, {"days_late": 21}),
]


@pytest.mark.parametrize(("published", "today", "state", "days"), STATUS)
def test_status_of_a_monthly_disclosure(published, today, state, days):
    result = status("village", "finance", "2026-10", published, today)
    assert result.state is state
    assert result.due_on == D(2026, 11, 10)
    assert result.period == P("2026-10")
    counts = {"days_left": 0, "days_overdue": 0, "days_late": 0} | days
    assert (result.days_left, result.days_overdue, result.days_late) == (
        counts["days_left"],
        counts["days_overdue"],
        counts["days_late"],
    )
    assert result.is_overdue is (state is DueState.OVERDUE)


LEAP = "2028-02-27"
S = DueState


@pytest.mark.parametrize(
    ("kind", "category", "period", "published", "today", "state", "due_on"),
    [
        # quarterly, across the year end: 2026-Q4 is due 2027-01-10
        ("village", "decisions", "2026-Q4", None, D(2026, 12, 31), S.OPEN, D(2027, 1, 10)),
        ("village", "decisions", "2026-Q4", None, D(2027, 1, 1), S.DUE, D(2027, 1, 10)),
        ("village", "decisions", "2026-Q4", None, D(2027, 2, 1), S.OVERDUE, D(2027, 1, 10)),
        ("urban", "other", "2026-Q4", D(2027, 1, 9), D(2027, 1, 9), S.ON_TIME, D(2027, 1, 10)),
        # at once: a major matter of 2028-02-27, due 2028-03-03 (over the leap day)
        ("village", "decisions", LEAP, None, D(2028, 2, 26), S.OPEN, D(2028, 3, 3)),
        ("village", "decisions", LEAP, None, D(2028, 2, 27), S.DUE, D(2028, 3, 3)),
        ("village", "decisions", LEAP, None, D(2028, 3, 4), S.OVERDUE, D(2028, 3, 3)),
        ("village", "decisions", LEAP, D(2028, 3, 4), D(2028, 3, 4), S.LATE, D(2028, 3, 3)),
        ("village", "decisions", LEAP, D(2028, 2, 20), D(2028, 3, 4), S.ON_TIME, D(2028, 3, 3)),
    ],
)  # fmt: skip
def test_status_of_quarterly_and_ad_hoc_disclosures(
    kind, category, period, published, today, state, due_on
):
    result = status(kind, category, period, published, today)
    assert (result.state, result.due_on) == (state, due_on)


def test_status_says_how_many_days_overdue_and_serialises():
    result = status("urban", "decisions", "2026-Q1", None, D(2026, 5, 1))
    assert result.as_dict() == {
        "state": "overdue",
        "due_on": "2026-04-10",
        "period": "2026-Q1",
        "days_left": 0,
        "days_overdue": 21,
        "days_late": 0,
        "rule": get_schedule("urban-2026").grace.as_dict(),
    }


def test_a_publication_after_today_is_refused():
    with pytest.raises(ValueError, match="after today"):
        status("village", "finance", "2026-10", D(2026, 11, 5), D(2026, 11, 4))


# -- posting: at least 15 days (URC25-33, VC25-28; SEM-3) -----------------------------------------

# published on → last day it must stay up (15 days, the day of publication not counted)
POSTING = [
    (D(2026, 11, 5), D(2026, 11, 20)),
    (D(2026, 1, 20), D(2026, 2, 4)),  # across a month end
    (D(2026, 12, 20), D(2027, 1, 4)),  # across the year end
    (D(2026, 2, 14), D(2026, 3, 1)),  # February of a common year
    (D(2028, 2, 14), D(2028, 2, 29)),  # ... of a leap year ends on the 29th
    (D(2028, 2, 15), D(2028, 3, 1)),  # ... over the leap day
]


@pytest.mark.parametrize(("published", "last_day"), POSTING)
def test_a_disclosure_stays_up_fifteen_days_after_the_day_it_went_up(published, last_day):
    assert posting_ends(published) == last_day
    assert posting_ends(published, kind="village") == last_day
    assert posting_ends(published, kind="urban") == last_day
    # still up: not yet long enough on its last day, long enough the day after
    assert not posted_long_enough(published, None, last_day)
    assert posted_long_enough(published, None, last_day + timedelta(days=1))
    # taken down: on its last day is too early, the day after is fine
    later = last_day + timedelta(days=30)
    assert not posted_long_enough(published, last_day, later)
    assert posted_long_enough(published, last_day + timedelta(days=1), later)
    assert not posted_long_enough(published, published, later)


def test_posting_ends_moves_past_rest_days():
    rest = {D(2026, 11, 21), D(2026, 11, 22)}
    assert posting_ends(D(2026, 11, 6), rest_days=rest) == D(2026, 11, 23)
    assert not posted_long_enough(D(2026, 11, 6), None, D(2026, 11, 23), rest_days=rest)
    assert posted_long_enough(D(2026, 11, 6), None, D(2026, 11, 24), rest_days=rest)


def test_before_2026_a_village_disclosure_had_no_minimum_posting():
    # VC18-04: the 15 days are new in the 2025 amendment.
    assert posting_days("village", D(2025, 12, 31)) is None
    assert posting_days("village", D(2026, 1, 1)) == 15
    assert posting_days() == 15
    assert posting_days("urban", D(2025, 12, 31)) is None  # no residents' disclosure before 2026
    assert posting_days("urban", D(2026, 1, 1)) == 15
    with pytest.raises(UnknownRuleSet):
        posting_days("town", D(2026, 1, 1))
    assert posting_ends(D(2025, 12, 20), kind="village") is None
    assert posted_long_enough(D(2025, 12, 20), D(2025, 12, 21), D(2026, 1, 1), kind="village")
    assert not posted_long_enough(D(2026, 1, 1), D(2026, 1, 2), D(2026, 2, 1), kind="village")


@pytest.mark.parametrize(
    ("published", "removed", "today", "message"),
    [
        (D(2026, 11, 5), None, D(2026, 11, 4), "published_on 2026-11-05 is after today"),
        (D(2026, 11, 5), D(2026, 11, 4), D(2026, 12, 1), "is before published_on"),
        (D(2026, 11, 5), D(2026, 12, 2), D(2026, 12, 1), "removed_on 2026-12-02 is after today"),
    ],
)
def test_impossible_posting_dates_are_refused(published, removed, today, message):
    with pytest.raises(ValueError, match=message):
        posted_long_enough(published, removed, today)


# -- answers to queries and objections (DSP-05: 10 days, policy) ----------------------------------

ANSWERS = [
    (D(2026, 11, 5), 10, D(2026, 11, 15)),
    (D(2026, 1, 25), 10, D(2026, 2, 4)),  # across a month end
    (D(2026, 12, 25), 10, D(2027, 1, 4)),  # across the year end
    (D(2026, 2, 20), 10, D(2026, 3, 2)),  # common February
    (D(2028, 2, 20), 10, D(2028, 3, 1)),  # leap February
    (D(2028, 2, 28), 1, D(2028, 2, 29)),
    (D(2026, 11, 5), 5, D(2026, 11, 10)),  # a Shandong-style 5 days (DS-16)
]


@pytest.mark.parametrize(("filed", "days", "expected"), ANSWERS)
def test_answer_due(filed, days, expected):
    assert answer_due(filed, days) == expected


def test_the_answer_deadline_defaults_to_ten_days_of_policy():
    assert DEFAULT_POLICY.answer_days == 10
    assert answer_due(D(2026, 11, 5)) == D(2026, 11, 15)
    assert answer_due(D(2026, 11, 5), rest_days={D(2026, 11, 15)}) == D(2026, 11, 16)


@pytest.mark.parametrize("days", [0, -1, 61, 2.5, True])
def test_an_answer_deadline_out_of_bounds_is_refused(days):
    with pytest.raises(ValueError, match="policy_days"):
        answer_due(D(2026, 11, 5), days)


@pytest.mark.parametrize(
    ("answered", "today", "state", "counts"),
    [
        (None, D(2026, 11, 5), DueState.DUE, (10, 0, 0)),
        (None, D(2026, 11, 15), DueState.DUE, (0, 0, 0)),
        (None, D(2026, 11, 16), DueState.OVERDUE, (0, 1, 0)),
        (D(2026, 11, 15), D(2026, 11, 20), DueState.ON_TIME, (0, 0, 0)),
        (D(2026, 11, 18), D(2026, 11, 20), DueState.LATE, (0, 0, 3)),
    ],
)
def test_answer_status(answered, today, state, counts):
    result = answer_status(D(2026, 11, 5), answered, today)
    assert result.state is state
    assert (result.days_left, result.days_overdue, result.days_late) == counts
    assert result.rule.id == "DSP-05"
    assert result.rule.policy
    assert result.period is None


def test_impossible_answer_dates_are_refused():
    with pytest.raises(ValueError, match="filed_on"):
        answer_status(D(2026, 11, 5), None, D(2026, 11, 4))
    with pytest.raises(ValueError, match="before filed_on"):
        answer_status(D(2026, 11, 5), D(2026, 11, 4), D(2026, 11, 6))
    with pytest.raises(ValueError, match="after today"):
        answer_status(D(2026, 11, 5), D(2026, 11, 9), D(2026, 11, 6))


@given(st.dates(D(1900, 1, 1), D(2999, 1, 1)), st.integers(1, 60))
def test_an_answer_is_due_exactly_that_many_days_later_without_rest_days(filed, days):
    assert (answer_due(filed, days) - filed).days == days


# -- every id is a RULES.md row or a documented policy --------------------------------------------


def _cited_ids() -> set[str]:
    ids: set[str] = set()
    for schedule_id in SCHEDULE_IDS:
        for policy in (DEFAULT_POLICY, DisclosurePolicy(village_finance=Frequency.QUARTERLY)):
            s = get_schedule(schedule_id, policy)
            rules = [s.posting, s.queries, s.review, s.complaints, s.grace, s.at_once_deadline]
            rules.append(s.answer)
            for c in s.categories.values():
                rules += [c.item, c.frequency_rule, c.at_once]
            for rule in rules:
                ids |= set(rule.ids)
    return ids


def test_policy_ids_are_consults_own_and_do_not_reuse_the_rules_md_prefixes():
    ids = _cited_ids()
    policy = {i for i in ids if i.startswith("DSP-")}
    assert policy == {"DSP-01", "DSP-02", "DSP-03", "DSP-04", "DSP-05"}
    assert not {i for i in ids if i.startswith("POL-")}


def test_every_statutory_id_is_a_row_of_rules_md():
    snapshot = ROOT / "tests" / "unit" / "vectors" / "rules_md_row_ids.txt"
    rows = {
        line.strip()
        for line in snapshot.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    missing = {i for i in _cited_ids() if not i.startswith("DSP-")} - rows
    assert not missing
    # Where the design is beside the checkout, the snapshot must still be RULES.md's rows.
    rules_md = ROOT.parent / "shared" / "design" / "RULES.md"
    if rules_md.exists():
        text = rules_md.read_text("utf-8")
        assert rows == set(re.findall(r"^\| ([A-Z0-9]+-[0-9]+) \|", text, re.M))


def test_the_guide_explains_every_id_the_schedule_cites():
    guide = (ROOT / "docs" / "disclosure-rules.md").read_text(encoding="utf-8")
    missing = {i for i in _cited_ids() if i not in guide}
    assert not missing
