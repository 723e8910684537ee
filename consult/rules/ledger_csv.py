"""The ledger CSV (INTERFACES.md §4): reading a whole file all-or-nothing, money as integer fen,
statements that reconcile, and exports a spreadsheet cannot run as formulas.

    date,voucher,summary,category,direction,amount,counterparty
    2026-10-08,记-001,购买办公用品,办公费,expense,356.80,某某文具店

- UTF-8 (a byte-order mark is accepted, as Excel's "CSV UTF-8" writes it); the header row is
  exactly those seven columns in that order.
- `date` ISO 8601 (`2026-10-08`); `direction` `income` or `expense`; `amount` yuan, more than
  zero, at most two decimal places, digits and a point only (`1234.5`, `0.08`), read into
  integer fen without ever passing through a float.
- `summary` and `category` are required text (INTERFACES.md names no list of categories, so a
  category is a community's own word, at most 40 characters); `voucher` (凭证号) and
  `counterparty` may be empty.
- A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is refused (OWASP "CSV
  Injection"): it would run as a formula when the published ledger is opened in a spreadsheet.

`parse_ledger` returns every entry, or raises one `LedgerCSVError` carrying every bad line with
its number (the header is line 1) and reason, so nothing is imported from a file with one bad
line. Standard library only, like the rest of `consult.rules`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from consult.rules.disclosure import MAX_YEAR, MIN_YEAR, Period, PeriodKind

HEADER = ("date", "voucher", "summary", "category", "direction", "amount", "counterparty")
DEFAULT_MAX_LINES = 20_000  # entries in one file; a busy community's year is a few thousand
MAX_AMOUNT_FEN = 99_999_999_999_999  # 999,999,999,999.99 yuan: twelve digits before the point
MAX_LENGTHS: Mapping[str, int] = MappingProxyType(
    {"voucher": 40, "summary": 200, "category": 40, "counterparty": 100}
)
REQUIRED_TEXT = ("summary", "category")

# OWASP CSV Injection: a cell starting with one of these may run as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Line breaks, tabs, NUL and DEL have no place in a ledger cell.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_AMOUNT = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


class Direction(StrEnum):
    INCOME = "income"
    EXPENSE = "expense"


@dataclass(frozen=True)
class LedgerEntry:
    """One line of the ledger: `on` is its date; `amount_fen` is always more than zero."""

    line: int
    on: date
    voucher: str | None
    summary: str
    category: str
    direction: Direction
    amount_fen: int
    counterparty: str | None

    @property
    def signed_fen(self) -> int:
        """The entry's effect on the balance: + for income, − for expense."""
        return self.amount_fen if self.direction is Direction.INCOME else -self.amount_fen


@dataclass(frozen=True)
class LineError:
    """A bad line (1 is the header) and why, as the residents CSV reports them."""

    line: int
    error: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "error": self.error}


class LedgerCSVError(ValueError):
    """The file was refused: `errors` holds every bad line, in line order."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        self.errors = tuple(sorted(errors, key=lambda e: e.line))
        shown = "; ".join(f"line {e.line}: {e.error}" for e in self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        super().__init__(f"the ledger was not imported: {shown}{more}")

    def as_details(self) -> list[dict[str, object]]:
        """The 422 `details` of INTERFACES.md §3: `[{"line", "error"}]`."""
        return [e.as_dict() for e in self.errors]


class AmountError(ValueError):
    """An amount that is not a positive number of yuan with at most two decimals."""


# ------------------------------------------------------------------------------------------------
# Money


def parse_amount(text: str) -> int:
    """Yuan as text ("1234.5", "0.08") → integer fen (123450, 8); never through a float.

    Raises AmountError for an empty, negative, zero, three-decimal or malformed amount.
    """
    value = text.strip()
    if not value:
        raise AmountError("amount is empty")
    if value.startswith("-"):
        raise AmountError(
            f"amount {value[:40]!r} is negative: write a positive amount and say income or "
            "expense in the direction column"
        )
    match = _AMOUNT.fullmatch(value)
    if match is None:
        raise AmountError(
            f"amount must be yuan written with digits and at most two decimals, like 1234.56 "
            f"(no currency sign, thousands separator or spaces), not {value[:40]!r}"
        )
    whole, fraction = match[1], match[2] or ""
    if len(fraction) > 2:
        raise AmountError(
            f"amount {value[:40]!r} has {len(fraction)} decimal places: at most two (fen)"
        )
    digits = whole.lstrip("0")
    if len(digits) > 12:
        raise AmountError(f"amount {value[:40]!r} is too large (at most 999999999999.99)")
    fen = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if fen == 0:
        raise AmountError("amount is zero: leave out an entry that moves no money")
    return fen


def format_fen(fen: int, *, grouping: bool = False) -> str:
    """Integer fen → yuan with two decimals: 123450 → "1234.50", -5 → "-0.05"; with
    `grouping`, thousands separated for people to read: 123456789 → "1,234,567.89" (files and
    exports keep the plain form)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"amounts are integer fen, not {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}" if grouping else f"{sign}{yuan}.{cents:02d}"


# ------------------------------------------------------------------------------------------------
# Reading


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM accepted); raises LedgerCSVError naming the first bad byte's offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LedgerCSVError(
            [
                LineError(
                    line,
                    f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start} (save it as CSV UTF-8)",
                )
            ]
        ) from None


def parse_ledger(
    data: bytes | str,
    *,
    max_lines: int = DEFAULT_MAX_LINES,
    within: Period | None = None,
    today: date | None = None,
) -> list[LedgerEntry]:
    """Every entry of a ledger CSV, or LedgerCSVError with every bad line.

    `max_lines` limits the entries in one file; `within` refuses entries dated outside a
    disclosure's period; `today` refuses entries dated in the future. Blank lines are skipped.
    """
    if max_lines < 1:
        raise ValueError("max_lines must be at least 1")
    text = decode(data) if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise LedgerCSVError([LineError(1, "the file is empty")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise LedgerCSVError([LineError(1, "the header row: " + _csv_error(exc))]) from None
    problem = _header_problem(header)
    if problem:
        raise LedgerCSVError([LineError(1, problem)])
    entries: list[LedgerEntry] = []
    errors: list[LineError] = []
    count = 0
    try:
        end_of_previous = reader.line_num
        for record in reader:
            # A quoted cell may hold a line break: report the line where the record starts.
            line, end_of_previous = end_of_previous + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            count += 1
            if count > max_lines:
                errors.append(
                    LineError(
                        line, f"the file has more than {max_lines} entries: split it into periods"
                    )
                )
                break
            entry, reasons = _parse_record(record, line, within, today)
            if reasons:
                errors.append(LineError(line, "; ".join(reasons)))
            elif entry is not None:
                entries.append(entry)
    except csv.Error as exc:
        errors.append(LineError(end_of_previous + 1, _csv_error(exc)))
    if not entries and not errors:
        errors.append(LineError(1, "the file has a header but no entries"))
    if errors:
        raise LedgerCSVError(errors)
    return entries


def _csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "not valid CSV: a quoted cell is not closed before the end of the file"
    if "expected after" in text:
        return (
            "not valid CSV: a quote in the middle of a cell (put the whole cell in quotes and "
            'write a quote inside it as "")'
        )
    return f"not valid CSV: {text}"


def _header_problem(header: list[str]) -> str | None:
    names = [h.strip().lower() for h in header]
    if tuple(names) == HEADER:
        return None
    expected = ",".join(HEADER)
    missing = [c for c in HEADER if c not in names]
    unknown = [c or "(no name)" for c in names if c not in HEADER]
    repeated = sorted({c for c in names if c in HEADER and names.count(c) > 1})
    problems = []
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if unknown:
        problems.append("unknown column(s): " + ", ".join(u[:40] for u in unknown))
    if repeated:
        problems.append("repeated column(s): " + ", ".join(repeated))
    if not problems:
        problems.append("the columns are in the wrong order")
    return "; ".join(problems) + f" (the header must be exactly: {expected})"


def formula_problem(column: str, cell: str) -> str | None:
    """Why a cell would run as a spreadsheet formula (OWASP CSV injection), or None."""
    if not cell:
        return None
    first = cell[0] if cell[0] in "\t\r" else cell.strip(" \u3000")[:1]
    if first and first in FORMULA_START:
        shown = {"\t": "a tab", "\r": "a carriage return"}.get(first, repr(first))
        return (
            f"{column} starts with {shown}, which a spreadsheet may run as a formula: "
            "remove it (or put the text in other words)"
        )
    return None


def _parse_record(
    record: list[str], line: int, within: Period | None, today: date | None
) -> tuple[LedgerEntry | None, list[str]]:
    if len(record) != len(HEADER):
        return None, [f"expected {len(HEADER)} fields, found {len(record)}"]
    raw = dict(zip(HEADER, record, strict=True))
    reasons: list[str] = []
    bad: set[str] = set()  # columns already reported: their other checks are skipped
    for column in HEADER:
        # A leading "-" in the amount is a negative amount, and parse_amount says so.
        if column == "amount" and raw[column].strip().startswith("-"):
            continue
        problem = formula_problem(column, raw[column])
        if problem is None and _CONTROL.search(raw[column].strip(" \u3000")):
            problem = f"{column} contains a line break, a tab or another control character"
        if problem:
            reasons.append(problem)
            bad.add(column)

    on = None
    if "date" not in bad:
        on, problem = _parse_date(raw["date"].strip(), within, today)
        if problem:
            reasons.append(problem)
    texts: dict[str, str] = {}
    for column, limit in MAX_LENGTHS.items():
        value = raw[column].strip(" \u3000")
        texts[column] = value
        if column in bad:
            continue
        if not value and column in REQUIRED_TEXT:
            reasons.append(f"{column} is empty")
        elif len(value) > limit:
            reasons.append(f"{column} is longer than {limit} characters")
    direction = None
    if "direction" not in bad:
        value = raw["direction"].strip()
        try:
            direction = Direction(value.lower())
        except ValueError:
            reasons.append(f"direction must be income or expense, not {value[:40]!r}")
    amount = None
    if "amount" not in bad:
        try:
            amount = parse_amount(raw["amount"])
        except AmountError as exc:
            reasons.append(str(exc))
    if reasons or on is None or direction is None or amount is None:
        return None, reasons or ["the line is incomplete"]
    return LedgerEntry(
        line=line,
        on=on,
        voucher=texts["voucher"] or None,
        summary=texts["summary"],
        category=texts["category"],
        direction=direction,
        amount_fen=amount,
        counterparty=texts["counterparty"] or None,
    ), []


def _parse_date(
    value: str, within: Period | None, today: date | None
) -> tuple[date | None, str | None]:
    if not value:
        return None, "date is empty"
    parsed = None
    if _ISO_DATE.fullmatch(value):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return None, f"date {value!r} is not a day of the calendar"
    if parsed is None:
        return None, f"date must be ISO 8601 like 2026-10-08, not {value[:40]!r}"
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None, f"date {value} is out of range ({MIN_YEAR} to {MAX_YEAR})"
    if today is not None and parsed > today:
        return None, f"date {value} is in the future"
    if within is not None and parsed not in within:
        return None, (
            f"date {value} is outside the period {within} "
            f"({within.first.isoformat()} to {within.last.isoformat()})"
        )
    return parsed, None


# ------------------------------------------------------------------------------------------------
# Statements


@dataclass(frozen=True)
class Totals:
    income_fen: int = 0
    expense_fen: int = 0
    count: int = 0

    @property
    def net_fen(self) -> int:
        return self.income_fen - self.expense_fen

    def add(self, entry: LedgerEntry) -> Totals:
        if entry.direction is Direction.INCOME:
            return Totals(self.income_fen + entry.amount_fen, self.expense_fen, self.count + 1)
        return Totals(self.income_fen, self.expense_fen + entry.amount_fen, self.count + 1)


@dataclass(frozen=True)
class MonthTotals:
    """One month of a statement, with its balances: opening + income − expense = closing."""

    month: Period
    opening_fen: int
    totals: Totals

    @property
    def income_fen(self) -> int:
        return self.totals.income_fen

    @property
    def expense_fen(self) -> int:
        return self.totals.expense_fen

    @property
    def closing_fen(self) -> int:
        return self.opening_fen + self.totals.net_fen


@dataclass(frozen=True)
class Statement:
    """A period statement: opening balance + income − expense = closing balance, with totals by
    category (sorted by name) and month by month (every month from the first to the last, or
    every month of `period`)."""

    opening_fen: int
    income_fen: int
    expense_fen: int
    closing_fen: int
    count: int
    by_category: Mapping[str, Totals]
    by_month: tuple[MonthTotals, ...]
    period: Period | None = None

    @property
    def reconciles(self) -> bool:
        return check_statement(
            self.opening_fen, self.income_fen, self.expense_fen, self.closing_fen
        ).ok

    def check(self, stated_closing_fen: int) -> Reconciliation:
        """Whether a closing balance stated elsewhere (on a bank statement, by the bookkeeper)
        agrees with these entries."""
        return check_statement(
            self.opening_fen, self.income_fen, self.expense_fen, stated_closing_fen
        )


def _check_fen(name: str, value: object, *, negative: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be integer fen (never a float), not {value!r}")
    if not negative and value < 0:
        raise ValueError(f"{name} must not be negative, not {value}")
    return value


def reconcile(
    opening_fen: int, entries: Iterable[LedgerEntry], *, period: Period | None = None
) -> Statement:
    """The statement of `entries` from an opening balance (which may be negative: a debt)."""
    opening = _check_fen("opening_fen", opening_fen, negative=True)
    items = sorted(entries, key=lambda e: (e.on, e.line))
    if period is not None:
        outside = [e.line for e in items if e.on not in period]
        if outside:
            lines = ", ".join(str(n) for n in outside[:10])
            raise ValueError(f"entries on line(s) {lines} are dated outside the period {period}")
    total = Totals()
    categories: dict[str, Totals] = {}
    months: dict[Period, Totals] = {}
    for entry in items:
        total = total.add(entry)
        categories[entry.category] = categories.get(entry.category, Totals()).add(entry)
        month = Period.containing(PeriodKind.MONTH, entry.on)
        months[month] = months.get(month, Totals()).add(entry)
    by_month: list[MonthTotals] = []
    span = None
    if period is not None:
        span = (period.first, period.last)
    elif items:
        span = (items[0].on, items[-1].on)
    if span is not None:
        month = Period.containing(PeriodKind.MONTH, span[0])
        balance = opening
        while True:
            totals = months.get(month, Totals())
            by_month.append(MonthTotals(month, balance, totals))
            balance += totals.net_fen
            if month.last >= span[1]:
                break
            month = month.next()
    return Statement(
        opening_fen=opening,
        income_fen=total.income_fen,
        expense_fen=total.expense_fen,
        closing_fen=opening + total.net_fen,
        count=total.count,
        by_category=MappingProxyType(dict(sorted(categories.items()))),
        by_month=tuple(by_month),
        period=period,
    )


@dataclass(frozen=True)
class Reconciliation:
    """Whether opening + income − expense equals the stated closing balance."""

    ok: bool
    expected_closing_fen: int
    stated_closing_fen: int

    @property
    def difference_fen(self) -> int:
        """Stated minus expected: positive when the stated balance is too high."""
        return self.stated_closing_fen - self.expected_closing_fen

    @property
    def message(self) -> str:
        if self.ok:
            return f"the closing balance {format_fen(self.stated_closing_fen)} reconciles"
        return (
            f"the statement does not reconcile: opening + income − expense = "
            f"{format_fen(self.expected_closing_fen)}, but the closing balance is "
            f"{format_fen(self.stated_closing_fen)} (a difference of "
            f"{format_fen(self.difference_fen)} yuan)"
        )


def check_statement(
    opening_fen: int, income_fen: int, expense_fen: int, closing_fen: int
) -> Reconciliation:
    """Whether a stated closing balance reconciles: opening + income − expense = closing.

    All four are integer fen; income and expense are totals and cannot be negative; balances
    can (a fund in debt). Raises ValueError for anything else (a float above all).
    """
    opening = _check_fen("opening_fen", opening_fen, negative=True)
    income = _check_fen("income_fen", income_fen, negative=False)
    expense = _check_fen("expense_fen", expense_fen, negative=False)
    closing = _check_fen("closing_fen", closing_fen, negative=True)
    expected = opening + income - expense
    return Reconciliation(expected == closing, expected, closing)


# ------------------------------------------------------------------------------------------------
# Writing (open-data exports)


def neutralise(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection: prefix `'`).

    Numbers pass unchanged: integers, Decimals and text that is a plain number ("-12.50"), none
    of which a spreadsheet can run; any other text starting with = + - @, a tab or a carriage
    return gets a leading apostrophe.
    """
    if value is None:
        return ""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def write_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV text for an open-data export: every cell neutralised, CRLF lines, a BOM so that Excel
    on Chinese Windows opens it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return "\ufeff" + out.getvalue()


def write_ledger_csv(entries: Iterable[LedgerEntry]) -> str:
    """A published ledger in the format it was imported in (INTERFACES.md §4)."""
    return write_csv(
        HEADER,
        (
            (
                e.on.isoformat(),
                e.voucher or "",
                e.summary,
                e.category,
                e.direction.value,
                format_fen(e.amount_fen),
                e.counterparty or "",
            )
            for e in entries
        ),
    )
