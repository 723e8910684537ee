"""Who may vote: URC25-08 (urban, Art. 16) and VC25-04 (village, Art. 16).

18 or older on the day that matters, not deprived of political rights, and registered under a
statutory category; SEM-1 ("以上" includes the number) decides the boundaries of the periods.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.rules.eligibility import (
    URBAN_CITATION,
    VILLAGE_CITATION,
    VOTING_AGE,
    CommunityKind,
    Eligibility,
    Ineligibility,
    Registration,
    add_months,
    age_on,
    eligibility,
    required_months,
)

pytestmark = pytest.mark.unit

URBAN, VILLAGE = CommunityKind.URBAN, CommunityKind.VILLAGE
HOUSEHOLD = Registration.HOUSEHOLD_REGISTER
HABITUAL = Registration.HABITUAL_RESIDENT
WORKER = Registration.WORKER


def judge(
    *,
    born: date = date(1970, 1, 1),
    on: date = date(2026, 6, 1),
    kind: CommunityKind = URBAN,
    deprived: bool = False,
    registration: Registration = HOUSEHOLD,
    since: date | None = None,
) -> Eligibility:
    return eligibility(
        kind=kind,
        birth_date=born,
        on=on,
        is_deprived_of_political_rights=deprived,
        registration=registration,
        registered_since=since,
    )


# ---------------------------------------------------------------- age (URC25-08, VC25-04)


def test_voting_age_is_eighteen():
    assert VOTING_AGE == 18


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2008, 3, 15), date(2026, 3, 14), 17),  # the day before the 18th birthday
        (date(2008, 3, 15), date(2026, 3, 15), 18),  # on the birthday
        (date(2008, 3, 15), date(2026, 3, 16), 18),
        (date(2008, 12, 31), date(2026, 12, 30), 17),
        (date(2008, 12, 31), date(2026, 12, 31), 18),
        (date(2009, 1, 1), date(2026, 12, 31), 17),  # the year does not count, the day does
        (date(2000, 6, 1), date(2000, 6, 1), 0),
        (date(2000, 6, 1), date(2001, 5, 31), 0),
        (date(1926, 1, 1), date(2026, 1, 1), 100),
        # 29 February births: a year older on 1 March in a common year ...
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        # ... and on 29 February itself in a leap year.
        (date(2008, 2, 29), date(2028, 2, 28), 19),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2008, 2, 29), date(2028, 3, 1), 20),
        # born 1 March: a leap day before the birthday changes nothing
        (date(2008, 3, 1), date(2028, 2, 29), 19),
        (date(2008, 3, 1), date(2028, 3, 1), 20),
    ],
)
def test_age_counts_completed_years(born, on, age):
    assert age_on(born, on) == age


def test_person_is_not_eligible_the_day_before_the_eighteenth_birthday():
    result = judge(born=date(2008, 3, 15), on=date(2026, 3, 14))
    assert result == Eligibility(False, (Ineligibility.UNDER_AGE,), URBAN_CITATION)


def test_person_is_eligible_on_the_eighteenth_birthday():
    result = judge(born=date(2008, 3, 15), on=date(2026, 3, 15))
    assert result.eligible
    assert result.reasons == ()


@pytest.mark.parametrize("kind", list(CommunityKind))
def test_person_born_on_29_february_comes_of_age_on_1_march_in_a_common_year(kind):
    born = date(2008, 2, 29)
    assert not judge(kind=kind, born=born, on=date(2026, 2, 28)).eligible
    assert judge(kind=kind, born=born, on=date(2026, 3, 1)).eligible


def test_person_born_on_29_february_of_a_leap_year_is_eligible_after_the_birthday():
    # Born in the leap year 2004, eighteen on 1 March 2022 (2022 is a common year).
    assert judge(born=date(2004, 2, 29), on=date(2022, 2, 28)).reasons == (Ineligibility.UNDER_AGE,)
    assert judge(born=date(2004, 2, 29), on=date(2022, 3, 1)).eligible


# ---------------------------------------------------------------- political rights


@pytest.mark.parametrize("kind", list(CommunityKind))
@pytest.mark.parametrize("registration", list(Registration))
def test_person_deprived_of_political_rights_is_never_eligible(kind, registration):
    result = judge(kind=kind, deprived=True, registration=registration, since=date(2000, 1, 1))
    assert not result.eligible
    assert result.reasons == (Ineligibility.DEPRIVED,)


def test_every_reason_is_reported_at_once():
    result = judge(
        born=date(2010, 1, 1), deprived=True, registration=WORKER, since=None, on=date(2026, 6, 1)
    )
    assert result.reasons == (
        Ineligibility.UNDER_AGE,
        Ineligibility.DEPRIVED,
        Ineligibility.PERIOD_UNKNOWN,
    )
    assert not result.eligible


# ---------------------------------------------------------------- registration categories


@pytest.mark.parametrize(
    ("kind", "registration", "months"),
    [
        (URBAN, HOUSEHOLD, 0),  # URC25-08 (1): 户籍在本社区
        (URBAN, HABITUAL, 0),  # URC25-08 (2): the habitual resident need only apply
        (URBAN, WORKER, 6),  # URC25-08 (3): 工作满六个月以上
        (VILLAGE, HOUSEHOLD, 0),  # VC25-04 (1), (2): 户籍在本村
        (VILLAGE, HABITUAL, 12),  # VC25-04 (3): 居住一年以上
        (VILLAGE, WORKER, 12),  # VC25-04 (3): 在本村工作一年以上
    ],
)
def test_required_months_follow_the_statutes(kind, registration, months):
    assert required_months(kind, registration) == months


def test_worker_in_a_city_needs_six_months_of_work():
    since = date(2025, 9, 15)
    short = judge(registration=WORKER, since=since, on=date(2026, 3, 14))
    assert short.reasons == (Ineligibility.NOT_LONG_ENOUGH,)
    # SEM-1: "满六个月以上" includes the sixth month's last day.
    assert judge(registration=WORKER, since=since, on=date(2026, 3, 15)).eligible


def test_habitual_resident_of_a_city_needs_no_period():
    result = judge(registration=HABITUAL, since=date(2026, 5, 31), on=date(2026, 6, 1))
    assert result.eligible


def test_habitual_resident_of_a_city_without_a_registration_date_is_eligible():
    assert judge(registration=HABITUAL, since=None).eligible


def test_household_register_needs_no_period_and_no_date():
    for kind in CommunityKind:
        assert judge(kind=kind, registration=HOUSEHOLD, since=None).eligible
        assert judge(kind=kind, registration=HOUSEHOLD, since=date(2026, 6, 1)).eligible


@pytest.mark.parametrize("registration", [HABITUAL, WORKER])
def test_non_hukou_person_in_a_village_needs_a_year(registration):
    since = date(2025, 6, 2)
    short = judge(kind=VILLAGE, registration=registration, since=since, on=date(2026, 6, 1))
    assert short.reasons == (Ineligibility.NOT_LONG_ENOUGH,)
    assert short.citation == VILLAGE_CITATION
    # VC25-04: "一年以上" includes the year's last day (SEM-1).
    assert judge(kind=VILLAGE, registration=registration, since=since, on=date(2026, 6, 2)).eligible


def test_six_months_in_a_village_is_not_enough_for_a_worker():
    since = date(2025, 9, 15)
    assert not judge(kind=VILLAGE, registration=WORKER, since=since, on=date(2026, 3, 15)).eligible
    assert judge(kind=URBAN, registration=WORKER, since=since, on=date(2026, 3, 15)).eligible


@pytest.mark.parametrize(
    ("kind", "registration"), [(URBAN, WORKER), (VILLAGE, HABITUAL), (VILLAGE, WORKER)]
)
def test_missing_registration_date_is_reported_when_a_period_is_required(kind, registration):
    result = judge(kind=kind, registration=registration, since=None)
    assert result.reasons == (Ineligibility.PERIOD_UNKNOWN,)


def test_registration_dated_in_the_future_is_not_long_enough():
    result = judge(registration=WORKER, since=date(2026, 7, 1), on=date(2026, 6, 1))
    assert result.reasons == (Ineligibility.NOT_LONG_ENOUGH,)


def test_worker_registered_on_31_august_qualifies_at_the_end_of_february():
    # The six months end on the month's last day when there is no 31 February.
    since = date(2025, 8, 31)
    assert not judge(registration=WORKER, since=since, on=date(2026, 2, 27)).eligible
    assert judge(registration=WORKER, since=since, on=date(2026, 2, 28)).eligible


@pytest.mark.parametrize(
    ("kind", "citation", "rule_id"),
    [(URBAN, URBAN_CITATION, "URC25-08"), (VILLAGE, VILLAGE_CITATION, "VC25-04")],
)
def test_result_cites_the_statute_of_the_communitys_kind(kind, citation, rule_id):
    result = judge(kind=kind)
    assert result.citation == citation
    assert citation.rule_id == rule_id
    assert "第十六条" in citation.zh
    assert "Art. 16" in citation.en


# ---------------------------------------------------------------- add_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),  # across the year end
        (date(2025, 7, 1), 6, date(2026, 1, 1)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # clamped to the month's end
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # ... in a leap year
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 5, 31), 1, date(2025, 6, 30)),
        (date(2025, 1, 30), 1, date(2025, 2, 28)),
        (date(2024, 1, 29), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 10, 31), 12, date(2026, 10, 31)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2020, 1, 1), 120, date(2030, 1, 1)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


# ---------------------------------------------------------------- properties

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(born=dates, d1=dates, d2=dates)
def test_age_never_decreases_as_the_date_increases(born, d1, d2):
    early, late = sorted((d1, d2))
    assert age_on(born, early) <= age_on(born, late)


@given(born=dates, years=st.integers(min_value=0, max_value=150))
def test_age_on_the_anniversary_is_the_number_of_years(born, years):
    if born.month == 2 and born.day == 29:
        born = born - timedelta(days=1)  # no anniversary in common years; tested above
    on = date(born.year + years, born.month, born.day)
    assert age_on(born, on) == years
    assert age_on(born, on - timedelta(days=1)) == years - 1


@given(
    born=dates,
    since=st.one_of(st.none(), dates),
    d1=dates,
    d2=dates,
    kind=st.sampled_from(list(CommunityKind)),
    registration=st.sampled_from(list(Registration)),
)
def test_eligibility_is_never_lost_by_waiting(born, since, d1, d2, kind, registration):
    early, late = sorted((d1, d2))
    first = judge(born=born, on=early, kind=kind, registration=registration, since=since)
    later = judge(born=born, on=late, kind=kind, registration=registration, since=since)
    if first.eligible:
        assert later.eligible
    if age_on(born, early) >= VOTING_AGE:
        assert Ineligibility.UNDER_AGE not in later.reasons


@given(
    born=dates,
    since=st.one_of(st.none(), dates),
    on=dates,
    kind=st.sampled_from(list(CommunityKind)),
    registration=st.sampled_from(list(Registration)),
)
def test_deprived_person_is_never_eligible_whatever_else_holds(born, since, on, kind, registration):
    result = judge(
        born=born, on=on, kind=kind, registration=registration, since=since, deprived=True
    )
    assert not result.eligible
    assert Ineligibility.DEPRIVED in result.reasons


@given(
    born=dates,
    since=st.one_of(st.none(), dates),
    on=dates,
    kind=st.sampled_from(list(CommunityKind)),
    registration=st.sampled_from(list(Registration)),
    deprived=st.booleans(),
)
def test_eligible_exactly_when_there_is_no_reason(born, since, on, kind, registration, deprived):
    result = judge(
        born=born, on=on, kind=kind, registration=registration, since=since, deprived=deprived
    )
    assert result.eligible == (result.reasons == ())
    assert len(set(result.reasons)) == len(result.reasons)


@given(start=dates, months=st.integers(min_value=0, max_value=600))
def test_add_months_lands_in_the_right_month_never_later_than_the_same_day(start, months):
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day <= start.day
    assert end.day == start.day or (end + timedelta(days=1)).day == 1  # clamped: month's end
