"""Resident identity card numbers (GB 11643-1999): ISO 7064 MOD 11-2 check digit, birth date,
and sex from the parity of the 17th digit."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.rules.idcard import IdNumberError, check_digit, make_id_number, parse_id_number

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("number", "born", "sex"),
    [
        # The example number of GB 11643-1999 and of countless textbooks (female, check X).
        ("11010519491231002X", date(1949, 12, 31), "F"),
        # Another widely published example (male, born 1 January 1880).
        ("440524188001010014", date(1880, 1, 1), "M"),
    ],
)
def test_published_example_numbers_are_valid(number, born, sex):
    assert parse_id_number(number) == (born, sex)
    assert check_digit(number[:17]) == number[17]


def test_check_digit_is_iso_7064_mod_11_2():
    # Weighted sum of 11010519491231002 is 167; 167 mod 11 = 2 -> "X".
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"
    assert check_digit("00000000000000000") == "1"


def test_lower_case_x_and_surrounding_spaces_are_accepted():
    assert parse_id_number(" 11010519491231002x ") == (date(1949, 12, 31), "F")


@pytest.mark.parametrize("last", ["0", "1", "2", "9"])
def test_wrong_check_digit_is_refused(last):
    with pytest.raises(IdNumberError, match="check digit"):
        parse_id_number("11010519491231002" + last)


@pytest.mark.parametrize(
    "position", [0, 5, 8, 13, 16], ids=["area", "area-end", "year", "day", "sequence"]
)
def test_a_single_mistyped_digit_is_caught(position):
    number = "11010519491231002X"
    digit = str((int(number[position]) + 1) % 10)
    mistyped = number[:position] + digit + number[position + 1 :]
    with pytest.raises(IdNumberError):
        parse_id_number(mistyped)


def test_swapped_neighbouring_digits_are_caught():
    with pytest.raises(IdNumberError):
        parse_id_number("11010591491231002X")  # 19 -> 91


@pytest.mark.parametrize(
    "first17",
    [
        "11010519490231002",  # 31 February
        "11010520230229002",  # 29 February in a common year
        "11010519491301002",  # month 13
        "11010519490001002",  # month 0
        "11010519491200002",  # day 0
        "11010500000101002",  # year 0
    ],
)
def test_number_with_an_impossible_birth_date_is_refused(first17):
    number = first17 + check_digit(first17)  # the checksum is right; the date is not
    with pytest.raises(IdNumberError, match="birth date"):
        parse_id_number(number)


def test_29_february_in_a_leap_year_is_a_valid_birth_date():
    first17 = "11010520000229001"
    assert parse_id_number(first17 + check_digit(first17)) == (date(2000, 2, 29), "M")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19
        "110105194912310",  # the old 15-digit form
        "X1010519491231002X",  # X only at the end
        "1101051949123100A2",
        "11010519491231002Y",
        "110105-1949123100X",
        "1101051949123100²X",  # "²".isdigit() is true, int("²") is not
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits
    ],
)
def test_malformed_number_is_refused_with_a_clear_reason(value):
    with pytest.raises(IdNumberError, match="17 digits"):
        parse_id_number(value)


@pytest.mark.parametrize(
    ("sequence_digit", "sex"), [("1", "M"), ("3", "M"), ("9", "M"), ("0", "F"), ("2", "F")]
)
def test_odd_seventeenth_digit_means_male_and_even_female(sequence_digit, sex):
    first17 = "1101051949123100" + sequence_digit
    assert parse_id_number(first17 + check_digit(first17))[1] == sex


def test_make_id_number_matches_the_published_example():
    # Sequence 1 for a woman gives order 002 (even), as in the example number.
    assert make_id_number("110105", date(1949, 12, 31), 1, "F") == "11010519491231002X"


@given(
    area=st.text(alphabet="0123456789", min_size=6, max_size=6),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sequence=st.integers(min_value=0, max_value=10**6),
    sex=st.sampled_from(["M", "F"]),
)
def test_made_numbers_parse_back_to_their_birth_date_and_sex(area, born, sequence, sex):
    number = make_id_number(area, born, sequence, sex)
    assert len(number) == 18
    assert number.startswith(area)
    assert parse_id_number(number) == (born, sex)


@given(
    area=st.text(alphabet="0123456789", min_size=6, max_size=6),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sequence=st.integers(min_value=0, max_value=499),
    sex=st.sampled_from(["M", "F"]),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_error_is_detected(area, born, sequence, sex, position, delta):
    number = make_id_number(area, born, sequence, sex)
    wrong = str((int(number[position]) + delta) % 10)
    mistyped = number[:position] + wrong + number[position + 1 :]
    with pytest.raises(IdNumberError):
        parse_id_number(mistyped)
