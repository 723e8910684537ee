"""The residents CSV (INTERFACES.md §4): parsing and validating a whole file, and safe export.

Pure apart from the standard library and the rules: a file is read into rows or a list of every
bad line with its reason; nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from consult.rules.eligibility import Registration
from consult.rules.idcard import IdNumberError, parse_id_number

# Line breaks, tabs, NUL (which PostgreSQL refuses) and DEL have no place in a name or code.
_CONTROL = re.compile("[\x00-\x1f\x7f]")

REQUIRED_COLUMNS = ("household", "name", "birth_date", "gender", "group", "phone", "id_number")
OPTIONAL_COLUMNS = ("registration", "registered_since")
MAX_ERRORS_REPORTED = 1000
_PHONE_CHARS = set("0123456789+- ")


@dataclass(frozen=True)
class ResidentRow:
    line: int
    household: str
    name: str
    birth_date: date
    gender: str
    group: str
    phone: str | None
    id_number: str | None
    registration: Registration
    registered_since: date | None


@dataclass(frozen=True)
class LineError:
    line: int
    error: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "error": self.error}


def decode(data: bytes) -> tuple[str | None, list[LineError]]:
    """UTF-8 text (a BOM accepted), or the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [LineError(line, "the file is not UTF-8 text (save it as CSV UTF-8)")]


def _parse_date(value: str, field: str, today: date) -> tuple[date | None, str | None]:
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None, f"{field} must be a date like 1960-05-01, not {value[:40]!r}"
    if parsed > today:
        return None, f"{field} {value} is in the future"
    if parsed.year < 1880:
        return None, f"{field} {value} is too far in the past"
    return parsed, None


def parse_residents(text: str, today: date) -> tuple[list[ResidentRow], list[LineError]]:
    """Every row, or every error. Line numbers count the header as line 1."""
    text = text.removeprefix("\ufeff")  # a BOM left in by the caller, or written twice
    if not text.strip():
        return [], [LineError(1, "the file is empty")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        return [], [LineError(1, f"the header row is not valid CSV: {exc}")]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    problems = []
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if unknown:
        problems.append("unknown column(s): " + ", ".join(c or "(no name)" for c in unknown))
    if duplicated:
        problems.append("repeated column(s): " + ", ".join(duplicated))
    if problems:
        expected = ",".join(REQUIRED_COLUMNS)
        return [], [LineError(1, "; ".join(problems) + f" (expected header: {expected})")]
    index = {name: header.index(name) for name in header}
    rows: list[ResidentRow] = []
    errors: list[LineError] = []
    try:
        end_of_previous = reader.line_num
        for record in reader:
            # A quoted field may hold line breaks: report the line where the record starts.
            line, end_of_previous = end_of_previous + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank lines are not residents
            row, error = _parse_row(record, index, len(header), line, today)
            if error is not None:
                errors.append(LineError(line, error))
            elif row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.append(LineError(reader.line_num, f"not valid CSV: {exc}"))
    if not rows and not errors:
        errors.append(LineError(1, "the file has a header but no residents"))
    return rows, errors


def _parse_row(
    record: list[str], index: dict[str, int], width: int, line: int, today: date
) -> tuple[ResidentRow | None, str | None]:
    if len(record) != width:
        return None, f"expected {width} fields, found {len(record)}"

    def cell(name: str) -> str:
        i = index.get(name)
        return record[i].strip() if i is not None else ""

    reasons: list[str] = []
    household, name, group = cell("household"), cell("name"), cell("group")
    for label, text in (("household", household), ("name", name), ("group", group)):
        if _CONTROL.search(text):
            reasons.append(f"{label} contains a line break or another control character")
    if not household:
        reasons.append("household is empty")
    elif len(household) > 60:
        reasons.append("household is longer than 60 characters")
    if not name:
        reasons.append("name is empty")
    elif len(name) > 100:
        reasons.append("name is longer than 100 characters")
    if not group:
        reasons.append("group is empty")
    elif len(group) > 40:
        reasons.append("group is longer than 40 characters")
    birth, problem = _parse_date(cell("birth_date"), "birth_date", today)
    if problem:
        reasons.append(problem)
    gender = cell("gender").upper()
    if gender not in ("M", "F"):
        reasons.append(f"gender must be M or F, not {cell('gender')[:20]!r}")
    phone = cell("phone") or None
    if phone is not None and (not set(phone) <= _PHONE_CHARS or not 5 <= len(phone) <= 20):
        reasons.append("phone may hold only digits, +, - and spaces (5 to 20 characters)")
    id_number = cell("id_number").upper() or None
    if id_number is not None:
        try:
            id_birth, id_sex = parse_id_number(id_number)
        except IdNumberError as exc:
            reasons.append(str(exc))
        else:
            if birth is not None and id_birth != birth:
                reasons.append("birth_date does not match the birth date in the ID number")
            if gender in ("M", "F") and id_sex != gender:
                reasons.append("gender does not match the ID number")
    raw_registration = cell("registration") or Registration.HOUSEHOLD_REGISTER.value
    try:
        registration = Registration(raw_registration)
    except ValueError:
        allowed = ", ".join(r.value for r in Registration)
        reasons.append(f"registration must be one of {allowed}, not {raw_registration[:40]!r}")
        registration = Registration.HOUSEHOLD_REGISTER
    since = None
    if cell("registered_since"):
        since, problem = _parse_date(cell("registered_since"), "registered_since", today)
        if problem:
            reasons.append(problem)
    if reasons or birth is None:
        return None, "; ".join(reasons)
    return ResidentRow(
        line, household, name, birth, gender, group, phone, id_number, registration, since
    ), None


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return "\ufeff" + out.getvalue()  # BOM: Excel on Chinese Windows opens it as UTF-8
