"""The residents CSV (INTERFACES.md §4): every bad input is refused with its line and reason;
exports cannot run as spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.registry.csvio import (
    REQUIRED_COLUMNS,
    LineError,
    ResidentRow,
    decode,
    neutralise,
    parse_residents,
    write_csv,
)
from consult.rules.eligibility import Registration
from consult.rules.idcard import make_id_number

pytestmark = pytest.mark.unit

TODAY = date(2026, 6, 1)
HEADER = "household,name,birth_date,gender,group,phone,id_number"
ID_F = "11010519491231002X"  # a woman born 1949-12-31
GOOD = f"H001,张秀英,1949-12-31,F,G1,13800138000,{ID_F}"


def parse(*lines: str, header: str = HEADER) -> tuple[list[ResidentRow], list[LineError]]:
    return parse_residents("\n".join((header, *lines)) + "\n", TODAY)


def errors_of(*lines: str, header: str = HEADER) -> list[LineError]:
    return parse(*lines, header=header)[1]


def only_error(*lines: str, header: str = HEADER) -> LineError:
    errors = errors_of(*lines, header=header)
    assert len(errors) == 1, errors
    return errors[0]


# ---------------------------------------------------------------- a good file


def test_good_file_gives_every_row_with_its_values():
    rows, errors = parse(GOOD, "H001,王建国,1948-05-01,M,G1,,")
    assert errors == []
    assert rows == [
        ResidentRow(
            line=2,
            household="H001",
            name="张秀英",
            birth_date=date(1949, 12, 31),
            gender="F",
            group="G1",
            phone="13800138000",
            id_number=ID_F,
            registration=Registration.HOUSEHOLD_REGISTER,
            registered_since=None,
        ),
        ResidentRow(
            line=3,
            household="H001",
            name="王建国",
            birth_date=date(1948, 5, 1),
            gender="M",
            group="G1",
            phone=None,
            id_number=None,
            registration=Registration.HOUSEHOLD_REGISTER,
            registered_since=None,
        ),
    ]


def test_columns_may_come_in_any_order_and_any_case_with_spaces():
    header = " ID_Number , Phone,GROUP,gender,birth_date,name,household"
    rows, errors = parse(f"{ID_F},,G2,f,1949-12-31,张秀英,H9", header=header)
    assert errors == []
    assert (rows[0].household, rows[0].group, rows[0].gender) == ("H9", "G2", "F")


def test_cells_are_trimmed_and_id_number_upper_cased():
    rows, _ = parse(" H001 , 张秀英 , 1949-12-31 , f , G1 , 13800138000 , 11010519491231002x ")
    assert rows[0].name == "张秀英"
    assert rows[0].gender == "F"
    assert rows[0].id_number == ID_F


@pytest.mark.parametrize("registration", list(Registration))
def test_optional_registration_column_takes_each_statutory_category(registration):
    rows, errors = parse(
        f"H1,甲,1980-01-01,M,G1,,,{registration.value},2020-03-01",
        header=HEADER + ",registration,registered_since",
    )
    assert errors == []
    assert rows[0].registration is registration
    assert rows[0].registered_since == date(2020, 3, 1)


def test_empty_registration_means_household_register():
    rows, _ = parse("H1,甲,1980-01-01,M,G1,,,", header=HEADER + ",registration")
    assert rows[0].registration is Registration.HOUSEHOLD_REGISTER
    assert rows[0].registered_since is None


# ---------------------------------------------------------------- the header


def test_wrong_header_is_refused_on_line_1():
    error = only_error(GOOD, header="户号,姓名,出生日期,性别,小组,电话,身份证号")
    assert error.line == 1
    assert "missing column(s): household, name" in error.error
    assert "unknown column(s): 户号" in error.error
    assert "expected header: " + ",".join(REQUIRED_COLUMNS) in error.error


def test_missing_column_is_named():
    error = only_error(
        "H1,甲,1980-01-01,M,G1,", header="household,name,birth_date,gender,group,phone"
    )
    assert error.line == 1
    assert "missing column(s): id_number" in error.error
    assert "unknown" not in error.error


def test_unknown_column_is_named():
    error = only_error(GOOD + ",x", header=HEADER + ",nickname")
    assert error.line == 1
    assert "unknown column(s): nickname" in error.error


def test_unnamed_column_is_called_so():
    error = only_error(GOOD + ",", header=HEADER + ",")
    assert "unknown column(s): (no name)" in error.error


def test_repeated_column_is_named():
    error = only_error(GOOD + ",张秀英", header=HEADER + ",name")
    assert error.line == 1
    assert "repeated column(s): name" in error.error


def test_several_header_problems_are_reported_together():
    error = only_error(header="household,household,名字,birth_date,gender,group,phone,id_number")
    assert "missing column(s): name" in error.error
    assert "unknown column(s): 名字" in error.error
    assert "repeated column(s): household" in error.error


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "\r\n \r\n"])
def test_empty_file_is_refused(text):
    assert parse_residents(text, TODAY) == ([], [LineError(1, "the file is empty")])


@pytest.mark.parametrize("text", [HEADER, HEADER + "\n", HEADER + "\n\n,,,,,,\n"])
def test_header_without_residents_is_refused(text):
    assert parse_residents(text, TODAY) == (
        [],
        [LineError(1, "the file has a header but no residents")],
    )


# ---------------------------------------------------------------- bad cells


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("1949/12/31", "birth_date must be a date like 1960-05-01, not '1949/12/31'"),
        ("31.12.1949", "birth_date must be a date like 1960-05-01"),
        ("1949-02-30", "birth_date must be a date like 1960-05-01"),
        ("", "birth_date must be a date like 1960-05-01, not ''"),
        ("昨天", "birth_date must be a date"),
        ("2026-06-02", "birth_date 2026-06-02 is in the future"),
        ("1879-12-31", "birth_date 1879-12-31 is too far in the past"),
    ],
)
def test_bad_birth_date_is_refused(cell, reason):
    error = only_error(f"H1,甲,{cell},M,G1,,")
    assert error.line == 2
    assert reason in error.error


def test_birth_today_is_accepted():
    rows, errors = parse(f"H1,甲,{TODAY.isoformat()},M,G1,,")
    assert errors == []
    assert rows[0].birth_date == TODAY


@pytest.mark.parametrize("cell", ["X", "男", "女", "male", "", "MF", "0"])
def test_unknown_gender_is_refused(cell):
    error = only_error(f"H1,甲,1980-01-01,{cell},G1,,")
    assert f"gender must be M or F, not {cell!r}" in error.error


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("H1,甲,1980-01-01,M,G1,", 6),
        ("H1,甲,1980-01-01,M,G1,,,", 8),
        ("H1", 1),
    ],
)
def test_wrong_field_count_is_refused(line, found):
    assert only_error(line) == LineError(2, f"expected 7 fields, found {found}")


@pytest.mark.parametrize(
    "phone", ["1380013800a", "1234", "1" * 21, "=1+1", "138;0013", "(010)1234567"]
)
def test_bad_phone_is_refused(phone):
    error = only_error(f'H1,甲,1980-01-01,M,G1,"{phone}",')
    assert "phone may hold only digits" in error.error


@pytest.mark.parametrize("phone", ["13800138000", "+86 138 0013 8000", "010-62345678", "12345"])
def test_good_phone_is_kept(phone):
    rows, errors = parse(f"H1,甲,1980-01-01,M,G1,{phone},")
    assert errors == []
    assert rows[0].phone == phone


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("110105194912310021", "check digit is wrong"),
        ("1101051949123100", "17 digits and a final digit or X"),
        ("11010519491231002Y", "17 digits and a final digit or X"),
        ("1101051949123100²X", "17 digits and a final digit or X"),
    ],
)
def test_bad_id_number_is_refused(cell, reason):
    error = only_error(f"H1,张秀英,1949-12-31,F,G1,,{cell}")
    assert reason in error.error


def test_id_number_must_match_the_birth_date():
    error = only_error(f"H1,张秀英,1949-12-30,F,G1,,{ID_F}")
    assert "birth_date does not match the birth date in the ID number" in error.error


def test_id_number_must_match_the_gender():
    error = only_error(f"H1,张秀英,1949-12-31,M,G1,,{ID_F}")
    assert "gender does not match the ID number" in error.error


def test_bad_registration_is_refused():
    error = only_error("H1,甲,1980-01-01,M,G1,,,resident", header=HEADER + ",registration")
    assert (
        "registration must be one of household_register, habitual_resident, worker, "
        "not 'resident'" in error.error
    )


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2020/01/01", "registered_since must be a date like 1960-05-01, not '2020/01/01'"),
        ("2026-07-01", "registered_since 2026-07-01 is in the future"),
    ],
)
def test_bad_registered_since_is_refused(cell, reason):
    header = HEADER + ",registration,registered_since"
    error = only_error(f"H1,甲,1980-01-01,M,G1,,,worker,{cell}", header=header)
    assert reason in error.error


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (",甲,1980-01-01,M,G1,,", "household is empty"),
        ("H1,,1980-01-01,M,G1,,", "name is empty"),
        ("H1,甲,1980-01-01,M,,,", "group is empty"),
        ("H" * 61 + ",甲,1980-01-01,M,G1,,", "household is longer than 60 characters"),
        ("H1," + "名" * 101 + ",1980-01-01,M,G1,,", "name is longer than 100 characters"),
        ("H1,甲,1980-01-01,M," + "G" * 41 + ",,", "group is longer than 40 characters"),
        ('H1,"甲\x00",1980-01-01,M,G1,,', "name contains a line break or another control"),
        ('H1,"甲\t乙",1980-01-01,M,G1,,', "name contains a line break or another control"),
        ('"H\n1",甲,1980-01-01,M,G1,,', "household contains a line break"),
    ],
)
def test_bad_names_and_codes_are_refused(line, reason):
    assert reason in only_error(line).error


def test_every_reason_of_a_line_is_given_at_once():
    error = only_error("H1,,1980-13-01,Q,G1,abc,")
    for reason in ("name is empty", "birth_date must be a date", "gender must be M or F", "phone"):
        assert reason in error.error


def test_html_and_sql_in_names_are_data_not_errors():
    rows, errors = parse(
        "H1,<script>alert(1)</script>,1980-01-01,M,G1,,",
        "H1,'; DROP TABLE residents;--,1980-01-01,M,G1,,",
    )
    assert errors == []
    assert rows[0].name == "<script>alert(1)</script>"
    assert rows[1].name == "'; DROP TABLE residents;--"


# ---------------------------------------------------------------- line numbers


def test_every_bad_line_is_listed_with_its_line_number():
    lines = [f"H{i},居民{i},1980-01-01,M,G1,," for i in range(100)]
    lines[9] = "H9,居民9,1980-01-01,X,G1,,"  # line 11
    lines[49] = "H49,居民49,not a date,M,G1,,"  # line 51
    lines[99] = "H99,居民99,1980-01-01,M,G1"  # line 101
    errors = errors_of(*lines)
    assert [e.line for e in errors] == [11, 51, 101]


def test_blank_lines_are_skipped_but_still_counted():
    text = f"{HEADER}\n\nH1,甲,1980-01-01,M,G1,,\n   \n,,,,,,\nH2,乙,1980-01-01,X,G1,,\n"
    rows, errors = parse_residents(text, TODAY)
    assert [r.line for r in rows] == [3]
    assert errors == [LineError(6, "gender must be M or F, not 'X'")]
    rows, errors = parse_residents(text.replace(",X,", ",F,"), TODAY)
    assert [r.line for r in rows] == [3, 6]
    assert [r.name for r in rows] == ["甲", "乙"]


def test_line_numbers_count_the_lines_inside_quoted_fields():
    text = (
        f"{HEADER}\n"
        'H1,"甲\n乙",1980-01-01,M,G1,,\n'  # lines 2 and 3: one record, a name with a line break
        "H2,丙,1980-01-01,X,G1,,\n"  # line 4
        'H3,丁,1980-01-01,M,G1,"1380013\n8000",\n'  # lines 5 and 6
        "H4,戊,1980-01-01,M,G1,,\n"  # line 7, good
    )
    rows, errors = parse_residents(text, TODAY)
    assert [r.line for r in rows] == [7]
    assert [e.line for e in errors] == [2, 4, 5]
    assert "name contains a line break" in errors[0].error
    assert "phone" in errors[2].error


def test_good_row_after_a_multi_line_record_has_its_own_line_number():
    text = f'{HEADER}\nH1,甲,1949-12-31,F,G1,,"{ID_F}\n"\nH2,乙,1980-01-01,M,G1,,\n'
    rows, errors = parse_residents(text, TODAY)
    assert errors == []  # the line break is trimmed from the ID number
    assert [r.line for r in rows] == [2, 4]


def test_windows_line_endings_are_accepted():
    text = f"{HEADER}\r\nH1,甲,1980-01-01,M,G1,,\r\nH2,乙,1980-01-01,Q,G1,,\r\n"
    rows, errors = parse_residents(text, TODAY)
    assert [r.line for r in rows] == [2]
    assert errors == [LineError(3, "gender must be M or F, not 'Q'")]


def test_unterminated_quote_is_reported_on_its_line():
    error = only_error(
        "H1,甲,1980-01-01,M,G1,,", 'H2,"乙,1980-01-01,M,G1,,', "H3,丙,1980-01-01,M,G1,,"
    )
    assert error.line == 3
    assert "expected 7 fields" in error.error


# ---------------------------------------------------------------- bytes


def test_bom_is_accepted():
    data = ("\ufeff" + HEADER + "\n" + GOOD + "\n").encode("utf-8")
    text, problems = decode(data)
    assert problems == []
    assert text is not None
    assert not text.startswith("\ufeff")
    rows, errors = parse_residents(text, TODAY)
    assert errors == []
    assert rows[0].household == "H001"


def test_bom_left_in_the_text_is_accepted():
    rows, errors = parse_residents("\ufeff" + HEADER + "\n" + GOOD + "\n", TODAY)
    assert errors == []
    assert len(rows) == 1


def test_non_utf8_bytes_are_reported_on_their_line():
    data = (HEADER + "\n" + GOOD + "\n").encode("utf-8") + "H2,李明,1980-01-01,M,G1,,\n".encode(
        "gb18030"
    )
    text, problems = decode(data)
    assert text is None
    assert problems == [LineError(3, "the file is not UTF-8 text (save it as CSV UTF-8)")]


def test_gbk_file_is_reported_on_line_1():
    text, problems = decode((HEADER.replace("household", "户号") + "\n").encode("gbk"))
    assert text is None
    assert problems[0].line == 1


def test_utf8_without_bom_decodes_unchanged():
    assert decode("户,名\n".encode()) == ("户,名\n", [])


def test_line_error_as_dict_is_the_api_shape():
    assert LineError(3, "bad").as_dict() == {"line": 3, "error": "bad"}


# ---------------------------------------------------------------- export


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("张秀英", "张秀英"),
        ("1+1", "1+1"),  # only the first character matters
        ("", ""),
        (None, ""),
        (42, "42"),
        (-1, "'-1"),
        (date(1949, 12, 31), "1949-12-31"),
    ],
)
def test_neutralise_stops_spreadsheets_running_formulas(value, shown):
    assert neutralise(value) == shown


@given(st.text())
def test_no_neutralised_cell_starts_a_formula(value):
    assert not neutralise(value).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_write_csv_starts_with_a_bom_and_neutralises_rows_but_not_the_header():
    out = write_csv(["name", "phone"], [["=cmd|'/c calc'!A1", "+8613800138000"], ["张三", None]])
    assert out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out.removeprefix("\ufeff"), newline="")))
    assert rows == [
        ["name", "phone"],
        ["'=cmd|'/c calc'!A1", "'+8613800138000"],
        ["张三", ""],
    ]
    assert "\r\n" in out


def test_written_file_parses_back():
    number = make_id_number("110105", date(1980, 1, 1), 7, "M")
    out = write_csv(
        REQUIRED_COLUMNS, [["H1", '甲,"乙"\n丙', "1980-01-01", "M", "G1", "13800138000", number]]
    )
    text, problems = decode(out.encode("utf-8"))
    assert problems == []
    assert text is not None
    rows, errors = parse_residents(text, TODAY)
    # The name's line break is refused, on the line where the record starts.
    assert rows == []
    assert errors[0].line == 2
    assert "name contains a line break" in errors[0].error
