"""The ledger CSV (INTERFACES.md §4, issue 6): a file is imported whole or not at all, every bad
line is refused with its number and reason, money is integer fen, statements reconcile, and an
export cannot run as a spreadsheet formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consult.rules.disclosure import parse_period
from consult.rules.ledger_csv import (
    DEFAULT_MAX_LINES,
    HEADER,
    MAX_AMOUNT_FEN,
    AmountError,
    Direction,
    LedgerCSVError,
    LedgerEntry,
    LineError,
    check_statement,
    format_fen,
    neutralise,
    parse_amount,
    parse_ledger,
    reconcile,
    write_csv,
    write_ledger_csv,
)

pytestmark = pytest.mark.unit

HEAD = "date,voucher,summary,category,direction,amount,counterparty"
GOOD = "2026-10-08,记-001,购买办公用品,办公费,expense,356.80,某某文具店"
INCOME = "2026-10-09,记-002,上级拨付环境整治资金,专项资金,income,10000,镇财政所"


def text(*lines: str, header: str = HEAD) -> str:
    return "\n".join((header, *lines)) + "\n"


def refused(*lines: str, header: str = HEAD, **options: object) -> tuple[LineError, ...]:
    with pytest.raises(LedgerCSVError) as info:
        parse_ledger(text(*lines, header=header), **options)  # type: ignore[arg-type]
    return info.value.errors


def only_error(*lines: str, header: str = HEAD, **options: object) -> LineError:
    errors = refused(*lines, header=header, **options)
    assert len(errors) == 1, errors
    return errors[0]


def row(**cells: str) -> str:
    """A good line with some cells replaced."""
    values = dict(zip(HEADER, GOOD.split(","), strict=True)) | cells
    out = io.StringIO()
    # "\r\n" makes the writer quote a cell holding a line break (with "" it would not).
    csv.writer(out, lineterminator="\r\n").writerow([values[c] for c in HEADER])
    return out.getvalue().removesuffix("\r\n")


# -- a good file ----------------------------------------------------------------------------------


def test_a_good_file_gives_every_entry_with_its_values():
    entries = parse_ledger(text(GOOD, INCOME))
    assert entries == [
        LedgerEntry(
            line=2,
            on=date(2026, 10, 8),
            voucher="记-001",
            summary="购买办公用品",
            category="办公费",
            direction=Direction.EXPENSE,
            amount_fen=35680,
            counterparty="某某文具店",
        ),
        LedgerEntry(
            line=3,
            on=date(2026, 10, 9),
            voucher="记-002",
            summary="上级拨付环境整治资金",
            category="专项资金",
            direction=Direction.INCOME,
            amount_fen=1_000_000,
            counterparty="镇财政所",
        ),
    ]
    assert [e.signed_fen for e in entries] == [-35680, 1_000_000]


@pytest.mark.parametrize(
    "data",
    [
        ("\ufeff" + text(GOOD)).encode("utf-8"),  # Excel's "CSV UTF-8"
        text(GOOD).encode("utf-8"),
        text(GOOD).replace("\n", "\r\n").encode("utf-8"),  # Windows line ends
        "\ufeff" + text(GOOD),  # a BOM left in the text by the caller
        text(GOOD, header=" Date , VOUCHER,summary,category,direction,amount,counterparty"),
        text("", GOOD, "  ,  ,,,,,", ""),  # blank lines are skipped
    ],
)
def test_accepted_encodings_line_ends_and_headers(data):
    entries = parse_ledger(data)
    assert len(entries) == 1
    assert entries[0].amount_fen == 35680


def test_optional_cells_may_be_empty_and_quoted_cells_may_hold_commas():
    (entry,) = parse_ledger(text('2026-10-08,,"修缮道路, 第一期",基建,Income, 12.5 ,'))
    assert entry.voucher is None
    assert entry.counterparty is None
    assert entry.summary == "修缮道路, 第一期"
    assert entry.direction is Direction.INCOME
    assert entry.amount_fen == 1250


def test_a_record_spanning_lines_is_reported_at_the_line_where_it_starts():
    errors = refused('2026-10-08,1,"two\nlines",c,income,1,', "2026-10-08,1,s,c,sideways,1,")
    assert [e.line for e in errors] == [2, 4]


# -- amounts: yuan with at most two decimals → integer fen ---------------------------------------


@pytest.mark.parametrize(
    ("amount", "fen"),
    [
        ("1", 100),
        ("1.5", 150),
        ("1.05", 105),
        ("0.01", 1),
        ("0.1", 10),
        ("007.50", 750),
        ("1234.56", 123456),
        (" 88 ", 8800),
        ("999999999999.99", MAX_AMOUNT_FEN),
        ("0.29", 29),  # 0.29 * 100 is 28.999999999999996 as a float
        ("1.13", 113),  # 1.13 * 100 is 112.99999999999999 as a float
    ],
)
def test_amounts_are_read_into_fen_without_floats(amount, fen):
    assert parse_amount(amount) == fen


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "is negative"),
        ("-0.01", "is negative"),
        ("1.234", "has 3 decimal places: at most two"),
        ("1.230", "has 3 decimal places"),
        ("0.001", "has 3 decimal places"),
        ("0", "amount is zero"),
        ("0.00", "amount is zero"),
        ("", "amount is empty"),
        ("1,234.56", "no currency sign, thousands separator"),
        ("¥12", "like 1234.56"),
        ("12元", "like 1234.56"),
        ("12.", "like 1234.56"),
        (".5", "like 1234.56"),
        ("1e3", "like 1234.56"),
        ("NaN", "like 1234.56"),
        ("Infinity", "like 1234.56"),
        ("１２", "like 1234.56"),  # full-width digits
        ("1 000", "like 1234.56"),
        ("1000000000000", "too large"),
        ("1000000000000.00", "too large"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(amount, message):
    with pytest.raises(AmountError, match=re.escape(message)):
        parse_amount(amount)
    error = only_error(row(amount=amount))
    assert error.line == 2
    assert message in error.error


def test_a_leading_plus_on_an_amount_is_a_formula():
    assert "amount starts with '+'" in only_error(row(amount="+5")).error


@pytest.mark.parametrize(
    ("fen", "text_"),
    [(0, "0.00"), (1, "0.01"), (10, "0.10"), (100, "1.00"), (123456, "1234.56"), (-5, "-0.05")],
)
def test_fen_are_formatted_as_yuan(fen, text_):
    assert format_fen(fen) == text_


@pytest.mark.parametrize("value", [1.5, Decimal("1.50"), True, "100"])
def test_only_integers_are_fen(value):
    with pytest.raises(TypeError, match="integer fen"):
        format_fen(value)


@given(st.integers(1, MAX_AMOUNT_FEN))
def test_fen_round_trip_through_text(fen):
    assert parse_amount(format_fen(fen)) == fen


@given(st.from_regex(r"\A(0\.(0[1-9]|[1-9][0-9])|[1-9][0-9]{0,11}\.[0-9]{2})\Z"))
def test_canonical_amount_text_round_trips(amount):
    assert format_fen(parse_amount(amount)) == amount


# -- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-01", "date '2026-13-01' is not a day of the calendar"),
        ("2026-02-29", "is not a day of the calendar"),  # not a leap year
        ("2026-04-31", "is not a day of the calendar"),
        ("2026/10/01", "date must be ISO 8601 like 2026-10-08"),
        ("2026-10-1", "ISO 8601"),
        ("20261001", "ISO 8601"),
        ("10/01/2026", "ISO 8601"),
        ("2026-10-01T08:00", "ISO 8601"),
        ("２０２６-10-01", "ISO 8601"),
        ("", "date is empty"),
        ("1899-12-31", "out of range"),
    ],
)
def test_bad_dates_are_refused(value, message):
    error = only_error(row(date=value))
    assert (error.line, message in error.error) == (2, True), error


def test_a_leap_day_is_a_date():
    assert parse_ledger(text(row(date="2028-02-29")))[0].on == date(2028, 2, 29)


def test_entries_in_the_future_or_outside_the_period_are_refused_when_asked():
    today = date(2026, 10, 31)
    assert "in the future" in only_error(row(date="2026-11-01"), today=today).error
    assert parse_ledger(text(row(date="2026-10-31")), today=today)
    october = parse_period("2026-10")
    error = only_error(row(date="2026-09-30"), within=october)
    assert error.error == "date 2026-09-30 is outside the period 2026-10 (2026-10-01 to 2026-10-31)"
    assert parse_ledger(text(row(date="2026-12-31")), within=parse_period("2026-Q4"))


# -- direction, text cells ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["in", "收入", "支出", "", "incomes", "debit"])
def test_an_unknown_direction_is_refused(value):
    assert f"direction must be income or expense, not {value!r}" in (
        only_error(row(direction=value)).error
    )


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"summary": ""}, "summary is empty"),
        ({"category": "  "}, "category is empty"),
        ({"summary": "x" * 201}, "summary is longer than 200 characters"),
        ({"category": "类" * 41}, "category is longer than 40 characters"),
        ({"voucher": "v" * 41}, "voucher is longer than 40 characters"),
        ({"counterparty": "c" * 101}, "counterparty is longer than 100 characters"),
        ({"summary": "a\nb"}, "summary contains a line break"),
        ({"counterparty": "a\x00b"}, "counterparty contains a line break, a tab or another"),
        ({"category": "a\x7fb"}, "category contains"),
        ({"voucher": "a\tb"}, "voucher contains"),
    ],
)
def test_bad_text_cells_are_refused(cells, message):
    assert message in only_error(row(**cells)).error


def test_limits_are_inclusive():
    (entry,) = parse_ledger(text(row(summary="x" * 200, category="类" * 40)))
    assert len(entry.summary) == 200


# -- formula injection (OWASP) -------------------------------------------------------------------


@pytest.mark.parametrize("column", ["voucher", "summary", "category", "counterparty", "date"])
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'='"),
        ('=HYPERLINK("http://x.test","click")', "'='"),
        ("+86 138", "'+'"),
        ("-", "'-'"),
        ("-2+3+cmd|' /C calc'!A0", "'-'"),
        ("@SUM(A1:A9)", "'@'"),
        ("\t=1+1", "a tab"),
        ("\r=1+1", "a carriage return"),
        ("  =1+1", "'='"),  # spaces before it do not help
        ("\u3000=1+1", "'='"),  # nor does an ideographic space
    ],
)
def test_formula_injection_cells_are_refused(column, value, shown):
    error = only_error(row(**{column: value}))
    assert error.line == 2
    assert f"{column} starts with {shown}, which a spreadsheet may run as a formula" in error.error


def test_a_formula_in_the_direction_is_refused_as_a_formula():
    assert "direction starts with '@'" in only_error(row(direction="@income")).error


def test_a_sign_inside_a_cell_is_fine():
    (entry,) = parse_ledger(text(row(summary="购买A4纸-白色", counterparty="张三@某公司")))
    assert entry.summary == "购买A4纸-白色"


# -- whole-file problems --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("date,voucher,summary,category,direction,amount", "missing column(s): counterparty"),
        ("date,summary,voucher,category,direction,amount,counterparty", "in the wrong order"),
        (
            "voucher,date,summary,category,direction,amount,counterparty",
            "in the wrong order",
        ),
        (HEAD + ",note", "unknown column(s): note"),
        ("日期,凭证号,摘要,类别,收支,金额,对方", "missing column(s): date, voucher"),
        (
            "date,date,summary,category,direction,amount,counterparty",
            "missing column(s): voucher; repeated column(s): date",
        ),
        ("2026-10-08,1,s,c,income,1,x", "unknown column(s)"),  # no header at all
        (",,,,,,", "unknown column(s): (no name)"),
    ],
)
def test_a_missing_or_reordered_header_is_refused(header, message):
    error = only_error(GOOD, header=header)
    assert error.line == 1
    assert message in error.error
    assert error.error.endswith(f"(the header must be exactly: {HEAD})")


@pytest.mark.parametrize("data", [b"", "", "\ufeff", " \n\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(data):
    with pytest.raises(LedgerCSVError) as info:
        parse_ledger(data)
    assert info.value.errors == (LineError(1, "the file is empty"),)


def test_a_header_without_entries_is_refused():
    assert only_error(header=HEAD) == LineError(1, "the file has a header but no entries")


def test_non_utf8_bytes_are_one_error_for_the_file_with_the_byte_offset():
    data = text(GOOD).encode("utf-8") + "2026-10-09,2,张三,c,income,1,\n".encode("gbk")
    with pytest.raises(LedgerCSVError) as info:
        parse_ledger(data)
    offset = len(text(GOOD).encode("utf-8")) + len("2026-10-09,2,")
    assert info.value.errors == (
        LineError(
            3,
            f"the file is not UTF-8 text: byte 0x{data[offset]:02x} at offset {offset} "
            "(save it as CSV UTF-8)",
        ),
    )


def test_a_gbk_file_from_an_old_excel_is_refused_at_its_first_byte():
    with pytest.raises(LedgerCSVError, match="byte 0xc8 at offset 0"):
        parse_ledger("日期\n".encode("gbk"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-10-08,1,s,c,income,1", "expected 7 fields, found 6"),
        ("2026-10-08,1,s,c,income,1,x,y", "expected 7 fields, found 8"),
        ('2026-10-08,1,"s"t,c,income,1,', "a quote in the middle of a cell"),
        ('2026-10-08,1,"s,c,income,1,', "a quoted cell is not closed"),
    ],
)
def test_malformed_csv_is_refused_with_the_line(line, message):
    error = only_error(GOOD, line)
    assert error.line == 3
    assert message in error.error


def test_too_many_lines_are_refused():
    assert DEFAULT_MAX_LINES == 20_000
    lines = [GOOD] * 4
    assert len(parse_ledger(text(*lines), max_lines=4)) == 4
    error = only_error(*lines, max_lines=3)
    assert error == LineError(5, "the file has more than 3 entries: split it into periods")
    with pytest.raises(ValueError, match="max_lines"):
        parse_ledger(text(GOOD), max_lines=0)


def test_every_bad_line_is_reported_and_nothing_is_returned():
    errors = refused(
        GOOD,
        row(date="2026-13-01"),
        row(amount="-5", direction="in"),
        GOOD,
        row(summary="=cmd", amount="1.234"),
        row(counterparty="-", amount="0"),
    )
    assert [e.line for e in errors] == [3, 4, 6, 7]
    assert "is negative" in errors[1].error
    assert "direction must be income or expense" in errors[1].error
    assert "summary starts with '='" in errors[2].error
    assert "3 decimal places" in errors[2].error
    assert "counterparty starts with '-'" in errors[3].error


def test_the_error_reads_well_and_serialises_for_the_api():
    with pytest.raises(LedgerCSVError) as info:
        parse_ledger(text(row(amount="-1"), row(amount="1.001")))
    error = info.value
    assert isinstance(error, ValueError)
    assert str(error).startswith("the ledger was not imported: line 2: amount '-1' is negative")
    assert error.as_details()[1] == {"line": 3, "error": error.errors[1].error}
    many = LedgerCSVError([LineError(n, "x") for n in (5, 2, 4, 3)])
    assert [e.line for e in many.errors] == [2, 3, 4, 5]
    assert str(many).endswith("(and 1 more)")


# -- statements -----------------------------------------------------------------------------------


def entry(on: str, category: str, direction: str, fen: int, line: int = 2) -> LedgerEntry:
    return LedgerEntry(
        line, date.fromisoformat(on), None, "s", category, Direction(direction), fen, None
    )


def test_a_statement_totals_by_category_and_month_and_reconciles():
    entries = [
        entry("2026-10-08", "办公费", "expense", 35680),
        entry("2026-10-09", "专项资金", "income", 1_000_000),
        entry("2026-12-01", "办公费", "expense", 20),
        entry("2026-12-31", "利息", "income", 5),
    ]
    statement = reconcile(50_000, entries, period=parse_period("2026-Q4"))
    assert (statement.income_fen, statement.expense_fen) == (1_000_005, 35700)
    assert statement.closing_fen == 50_000 + 1_000_005 - 35700
    assert statement.count == 4
    assert statement.reconciles
    assert list(statement.by_category) == sorted(["办公费", "专项资金", "利息"])
    assert statement.by_category["办公费"].expense_fen == 35700
    assert statement.by_category["办公费"].count == 2
    assert statement.by_category["专项资金"].net_fen == 1_000_000
    months = statement.by_month
    assert [str(m.month) for m in months] == ["2026-10", "2026-11", "2026-12"]
    assert [m.opening_fen for m in months] == [50_000, 1_014_320, 1_014_320]
    assert (months[1].income_fen, months[1].expense_fen) == (0, 0)  # a quiet month is shown
    assert months[-1].closing_fen == statement.closing_fen
    assert statement.check(statement.closing_fen).ok
    assert not statement.check(statement.closing_fen + 1).ok


def test_a_statement_without_a_period_runs_from_the_first_to_the_last_month():
    entries = [entry("2027-01-02", "a", "income", 1), entry("2026-11-30", "a", "expense", 1)]
    statement = reconcile(0, entries)
    assert [str(m.month) for m in statement.by_month] == ["2026-11", "2026-12", "2027-01"]
    assert statement.closing_fen == 0
    assert reconcile(7, []).by_month == ()
    assert reconcile(7, []).closing_fen == 7
    empty_month = reconcile(7, [], period=parse_period("2026-10"))
    assert [(str(m.month), m.opening_fen, m.closing_fen) for m in empty_month.by_month] == [
        ("2026-10", 7, 7)
    ]


def test_a_balance_may_be_negative_but_must_be_integer_fen():
    assert reconcile(-500, [entry("2026-10-01", "a", "expense", 100)]).closing_fen == -600
    with pytest.raises(ValueError, match="integer fen"):
        reconcile(1.5, [])  # type: ignore[arg-type]


def test_entries_outside_the_statements_period_are_refused():
    entries = [entry("2026-09-30", "a", "income", 1, line=7)]
    with pytest.raises(ValueError, match="line\\(s\\) 7 are dated outside the period 2026-10"):
        reconcile(0, entries, period=parse_period("2026-10"))


@pytest.mark.parametrize(
    ("opening", "income", "expense", "closing", "ok", "difference"),
    [
        (10_000, 5_000, 3_000, 12_000, True, 0),
        (10_000, 5_000, 3_000, 12_001, False, 1),
        (10_000, 5_000, 3_000, 11_999, False, -1),
        (0, 0, 0, 0, True, 0),
        (-100, 0, 50, -150, True, 0),
        (100, 0, 500, -400, True, 0),
    ],
)
def test_check_statement(opening, income, expense, closing, ok, difference):
    result = check_statement(opening, income, expense, closing)
    assert (result.ok, result.difference_fen) == (ok, difference)
    assert result.expected_closing_fen == opening + income - expense


def test_a_statement_that_does_not_reconcile_says_by_how_much():
    result = check_statement(10_000, 5_000, 3_000, 12_050)
    assert result.message == (
        "the statement does not reconcile: opening + income − expense = 120.00, but the "
        "closing balance is 120.50 (a difference of 0.50 yuan)"
    )
    assert check_statement(1, 0, 0, 1).message == "the closing balance 0.01 reconciles"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.1, 0, 0, 0), "opening_fen must be integer fen"),
        ((0, Decimal(1), 0, 1), "income_fen must be integer fen"),
        ((0, 0, True, 0), "expense_fen must be integer fen"),
        ((0, 0, 0, "0"), "closing_fen must be integer fen"),
        ((0, -1, 0, -1), "income_fen must not be negative"),
        ((0, 0, -1, 1), "expense_fen must not be negative"),
    ],
)
def test_check_statement_refuses_anything_but_integer_fen(args, message):
    with pytest.raises(ValueError, match=message):
        check_statement(*args)


entries_strategy = st.lists(
    st.builds(
        LedgerEntry,
        line=st.integers(2, 10_000),
        on=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
        voucher=st.none(),
        summary=st.just("s"),
        category=st.sampled_from(["办公费", "专项资金", "利息", "other"]),
        direction=st.sampled_from(Direction),
        amount_fen=st.integers(1, MAX_AMOUNT_FEN),
        counterparty=st.none(),
    ),
    max_size=40,
)


@given(st.integers(-(10**15), 10**15), entries_strategy)
def test_opening_plus_income_minus_expense_is_closing_for_any_entries(opening, entries):
    statement = reconcile(opening, entries)
    income = sum(e.amount_fen for e in entries if e.direction is Direction.INCOME)
    expense = sum(e.amount_fen for e in entries if e.direction is Direction.EXPENSE)
    assert (statement.income_fen, statement.expense_fen) == (income, expense)
    assert statement.closing_fen == opening + income - expense
    assert statement.reconciles
    assert check_statement(opening, income, expense, statement.closing_fen).ok
    assert sum(t.income_fen for t in statement.by_category.values()) == income
    assert sum(t.expense_fen for t in statement.by_category.values()) == expense
    assert sum(t.count for t in statement.by_category.values()) == len(entries)
    balance = opening
    for month in statement.by_month:  # each month opens where the last one closed
        assert month.opening_fen == balance
        balance = month.closing_fen
    assert balance == statement.closing_fen


# -- export ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-x", "'-x"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.50", "-12.50"),  # a plain number cannot run
        ("12", "12"),
        (-5, "-5"),
        (Decimal("-1.50"), "-1.50"),
        (None, ""),
        ("购买办公用品", "购买办公用品"),
        ("a=b", "a=b"),
    ],
)
def test_exports_neutralise_formula_cells(value, cell):
    assert neutralise(value) == cell


def test_an_export_is_utf8_csv_with_a_bom_and_crlf_that_a_reader_reads_back_as_text():
    out = write_csv(["summary", "amount"], [["=1+1", "12.00"], ['say "hi", then go', "-3.00"]])
    assert out.startswith("\ufeffsummary,amount\r\n")
    rows = list(csv.reader(io.StringIO(out.removeprefix("\ufeff"), newline="")))
    assert rows == [["summary", "amount"], ["'=1+1", "12.00"], ['say "hi", then go', "-3.00"]]


def test_a_published_ledger_exports_in_the_format_it_was_imported_in():
    entries = parse_ledger(text(GOOD, INCOME, '2026-10-10,,"a, b",c,income,0.05,'))
    out = write_ledger_csv(entries)
    assert out.splitlines()[0] == "\ufeff" + HEAD
    assert out.splitlines()[3] == '2026-10-10,,"a, b",c,income,0.05,'
    assert parse_ledger(out.encode("utf-8")) == entries


safe_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=30
).filter(lambda s: s[0] not in "=+-@")


@given(
    st.lists(
        st.builds(
            lambda i, on, voucher, summary, category, direction, fen, party: LedgerEntry(
                i, on, voucher, summary, category, direction, fen, party
            ),
            st.just(0),
            st.dates(date(1900, 1, 1), date(2999, 12, 31)),
            st.none() | safe_text,
            safe_text,
            safe_text,
            st.sampled_from(Direction),
            st.integers(1, MAX_AMOUNT_FEN),
            st.none() | safe_text,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_export_then_import_gives_the_same_entries(entries):
    numbered = [replace(e, line=n) for n, e in enumerate(entries, start=2)]
    assert parse_ledger(write_ledger_csv(numbered).encode("utf-8")) == numbered


def test_dates_across_the_year_end_and_leap_days_survive_the_round_trip():
    days = [date(2027, 12, 31), date(2028, 1, 1), date(2028, 2, 29), date(2028, 3, 1)]
    entries = [entry(d.isoformat(), "a", "income", 1, line=n) for n, d in enumerate(days, 2)]
    assert [e.on for e in parse_ledger(write_ledger_csv(entries))] == days
    assert days[1] - days[0] == timedelta(days=1)
