"""Translated labels for stored codes (kinds, roles, genders, categories) and the register
import's line errors. Stored values stay English codes; people see these labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from flask.sansio.app import App
from flask_babel import get_locale
from flask_babel import gettext as _

from consult.rules.eligibility import Citation


def kind_label(kind: str) -> str:
    """社区 kinds as the statutes name their committees (GLOSSARY.md)."""
    labels = {
        "urban": _("Residents' committee"),
        "village": _("Villagers' committee"),
    }
    return labels.get(kind, kind)


def role_label(role: str) -> str:
    labels = {
        "staff": _("Committee staff"),
        "chair": _("Chair"),
        "recorder": _("Recorder"),
        "supervisor": _("Supervisory committee member"),
        "representative": _("Representative"),
        "resident": _("Resident"),
        "admin": _("Administrator"),
    }
    return labels.get(role, role)


def gender_label(gender: str) -> str:
    return {"M": _("Male"), "F": _("Female")}.get(gender, gender)


def registration_label(registration: str) -> str:
    """The statutory registration categories (URC25-08, VC25-04)."""
    labels = {
        "household_register": _("Household register"),
        "habitual_resident": _("Habitual resident (applied)"),
        "worker": _("Works in the community"),
    }
    return labels.get(registration, registration)


def ineligibility_label(reason: str) -> str:
    labels = {
        "under_age": _("Not yet 18 years old"),
        "deprived_of_political_rights": _("Deprived of political rights"),
        "registration_period_not_met": _(
            "Has not yet lived or worked here for the period the law requires"
        ),
        "registration_date_missing": _(
            "The register does not say since when this person lives or works here"
        ),
    }
    return labels.get(reason, reason)


def version_source_label(source: str) -> str:
    labels = {
        "import": _("Register import"),
        "edit": _("Edited by staff"),
        "political_rights": _("Political rights recorded"),
    }
    return labels.get(source, source)


def domain_message(message: str) -> str:
    """A service's English error message or detail (consult/errors.py) as pages show it:
    translated where known, unchanged otherwise. The API keeps the English (INTERFACES.md §3)."""
    labels = {
        # accounts
        "not an e-mail address": _("This is not an e-mail address."),
        "password too short": _("The password must have at least 8 characters."),
        "an account with this e-mail already exists": _(
            "An account with this e-mail already exists."
        ),
        "already registered": _("An account with this e-mail already exists."),
        "no account with this e-mail": _("There is no account with this e-mail."),
        "no such account": _("There is no account with this e-mail."),
        "unknown role": _("Choose one of the roles in the list."),
        "this person already holds this role": _("This person already holds this role."),
        "no such role assignment": _("This role was not found."),
        "this role has already ended": _("This role has already ended."),
        "you cannot remove your own staff role": _("You cannot remove your own staff role."),
        # register and enrolment
        "no such community": _("There is no such community."),
        "no such resident in this community": _("There is no such resident in this community."),
        "the register already says this": _("The register already says this; nothing was changed."),
        "the register changed while importing; try again": _(
            "The register changed while importing. Please try again."
        ),
        "a reason is required": _("A reason is required."),
        "required": _("Please fill this in."),
        "the reason is too long": _("At most 2000 characters."),
        "at most 2000 characters": _("At most 2000 characters."),
        "this resident already has an account": _("This resident already has an account."),
        "this resident is already linked to another account": _(
            "This resident is already linked to another account."
        ),
        "this account is already verified": _("This account is already verified."),
        "this code is not valid": _("This code is not valid."),
        "this code has already been used": _("This code has already been used."),
        "this code has expired; ask the committee for a new one": _(
            "This code has expired. Ask the committee for a new one."
        ),
        "sign in first": _("Please sign in first."),
    }
    return labels.get(message, message)


def citation_text(citation: Citation, locale: str) -> str:
    return citation.zh if locale.startswith("zh") else citation.en


# ---------------------------------------------------------------- import line errors
#
# The register service explains each bad line in English (consult/registry/csvio.py). Here the
# common fixed phrasings are translated; the variable parts (column names, the value that was
# given) are kept as they were, and anything not recognised is shown unchanged.

_Translate = Callable[[re.Match[str]], str]


def _column(code: str) -> str:
    """A CSV column as a line error names it: the code typed in the file's header, and for a
    reader of another language its name in their words, e.g. "birth_date（出生日期）"."""
    names = {
        "household": _("Household"),
        "name": _("Name"),
        "birth_date": _("Birth date"),
        "gender": _("Gender"),
        "group": _("Group"),
        "phone": _("Phone"),
        "id_number": _("ID number"),
        "registration": _("Registration"),
        "registered_since": _("Registered since"),
    }
    if code not in names or get_locale() is None or get_locale().language == "en":
        return code
    return _("%(code)s (%(name)s)", code=code, name=names[code])


_LINE_ERRORS: list[tuple[re.Pattern[str], _Translate]] = [
    (
        re.compile(r"the file is not UTF-8 text \(save it as CSV UTF-8\)"),
        lambda m: _("The file is not UTF-8 text (save it as “CSV UTF-8”)."),
    ),
    (re.compile(r"the file is empty"), lambda m: _("The file is empty.")),
    (
        re.compile(r"the file has a header but no residents"),
        lambda m: _("The file has a header row but no residents."),
    ),
    (
        re.compile(r"missing column\(s\): (?P<v>.*)"),
        lambda m: _("Missing column(s): %(columns)s", columns=m["v"]),
    ),
    (
        re.compile(r"unknown column\(s\): (?P<v>.*)"),
        lambda m: _("Unknown column(s): %(columns)s", columns=m["v"]),
    ),
    (
        re.compile(r"repeated column\(s\): (?P<v>.*)"),
        lambda m: _("Repeated column(s): %(columns)s", columns=m["v"]),
    ),
    (
        re.compile(r"the header row is not valid CSV: (?P<v>.*)"),
        lambda m: _("The header row is not valid CSV: %(detail)s", detail=m["v"]),
    ),
    (
        re.compile(r"not valid CSV: (?P<v>.*)"),
        lambda m: _("Not valid CSV: %(detail)s", detail=m["v"]),
    ),
    (
        re.compile(r"expected (?P<w>\d+) fields, found (?P<n>\d+)"),
        lambda m: _(
            "Expected %(expected)s fields, found %(found)s.", expected=m["w"], found=m["n"]
        ),
    ),
    (
        re.compile(r"(?P<f>\w+) contains a line break or another control character"),
        lambda m: _(
            "%(column)s contains a line break or another control character.", column=_column(m["f"])
        ),
    ),
    (
        re.compile(r"(?P<f>\w+) is empty"),
        lambda m: _("%(column)s is empty.", column=_column(m["f"])),
    ),
    (
        re.compile(r"(?P<f>\w+) is longer than (?P<n>\d+) characters"),
        lambda m: _(
            "%(column)s is longer than %(n)s characters.", column=_column(m["f"]), n=m["n"]
        ),
    ),
    (
        re.compile(r"(?P<f>\w+) must be a date like 1960-05-01, not (?P<v>.*)"),
        lambda m: _(
            "%(column)s must be a date like 1960-05-01, not %(value)s.",
            column=_column(m["f"]),
            value=m["v"],
        ),
    ),
    (
        re.compile(r"(?P<f>\w+) (?P<v>\S+) is in the future"),
        lambda m: _("%(column)s %(value)s is in the future.", column=_column(m["f"]), value=m["v"]),
    ),
    (
        re.compile(r"(?P<f>\w+) (?P<v>\S+) is too far in the past"),
        lambda m: _(
            "%(column)s %(value)s is too far in the past.", column=_column(m["f"]), value=m["v"]
        ),
    ),
    (
        re.compile(r"gender must be M or F, not (?P<v>.*)"),
        lambda m: _("gender must be M or F, not %(value)s.", value=m["v"]),
    ),
    (
        re.compile(r"phone may hold only digits, \+, - and spaces \(5 to 20 characters\)"),
        lambda m: _("phone may hold only digits, +, - and spaces (5 to 20 characters)."),
    ),
    (
        re.compile(r"an ID number has 17 digits and a final digit or X"),
        lambda m: _("An ID number has 17 digits and a final digit or X."),
    ),
    (
        re.compile(r"the ID number's check digit is wrong \(a digit may be mistyped\)"),
        lambda m: _("The ID number's check digit is wrong (a digit may be mistyped)."),
    ),
    (
        re.compile(r"the ID number does not contain a valid birth date"),
        lambda m: _("The ID number does not contain a valid birth date."),
    ),
    (
        re.compile(r"birth_date does not match the birth date in the ID number"),
        lambda m: _("birth_date does not match the birth date in the ID number."),
    ),
    (
        re.compile(r"gender does not match the ID number"),
        lambda m: _("gender does not match the ID number."),
    ),
    (
        re.compile(r"registration must be one of (?P<a>.*), not (?P<v>.*)"),
        lambda m: _(
            "registration must be one of %(allowed)s, not %(value)s.",
            allowed=m["a"],
            value=m["v"],
        ),
    ),
    (
        re.compile(r"the same resident as line (?P<n>\d+)"),
        lambda m: _("The same resident as line %(line)s.", line=m["n"]),
    ),
    (
        re.compile(
            r"several residents of this household have this name; "
            r"add their ID numbers to tell them apart"
        ),
        lambda m: _(
            "Several residents of this household have this name; "
            "add their ID numbers to tell them apart."
        ),
    ),
]

_EXPECTED_HEADER = re.compile(r"^(?P<rest>.*) \(expected header: (?P<header>[^)]*)\)$", re.S)
# The one reason that itself contains "; " and must not be split there.
_UNSPLIT = "several residents of this household have this name; add their ID numbers"


def translate_reason(part: str, table: Sequence[tuple[re.Pattern[str], _Translate]]) -> str:
    """A service's English reason in the reader's words: the first pattern of `table` that
    matches it whole, or the reason unchanged (never loses detail). Used for the register's
    lines here and the ledger's (consult.disclosure.views)."""
    for pattern, translate in table:
        match = pattern.fullmatch(part)
        if match:
            return translate(match)
    return part


def import_error_text(error: str) -> str:
    """One bad line's reason, translated where the phrasing is known; never loses detail."""
    suffix = ""
    expected = _EXPECTED_HEADER.match(error)
    if expected:
        error = expected["rest"]
        suffix = " " + _("Expected header: %(header)s", header=expected["header"])
    protected = error.replace(_UNSPLIT, _UNSPLIT.replace("; ", "\x00"))
    parts = [p.replace("\x00", "; ") for p in protected.split("; ")]
    return " ".join(translate_reason(p, _LINE_ERRORS) for p in parts) + suffix


def register_labels(app: App) -> None:
    """Make the labels available to every template."""
    for function in (
        kind_label,
        role_label,
        gender_label,
        registration_label,
        ineligibility_label,
        version_source_label,
        citation_text,
        import_error_text,
        domain_message,
    ):
        app.add_template_global(function)
