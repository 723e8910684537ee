"""Forms of the public disclosure board (Flask-WTF): the board's and the archive's filters (a GET
form, no CSRF: it changes nothing), a resident's query or objection (CSRF), and the kiosk's
bounded number of seconds per screen."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from consult.accounts.forms import REQUIRED, TOO_LONG
from consult.disclosure.models import QueryKind
from consult.disclosure.queries import MAX_TEXT
from consult.rules.disclosure import CATEGORY_NAMES, Category, parse_period

#: The kiosk shows each disclosure this long unless `?seconds=` says otherwise (within bounds).
KIOSK_SECONDS = 20
KIOSK_MIN_SECONDS = 5
KIOSK_MAX_SECONDS = 120

NOT_A_CHOICE = _l("Choose one of the options given.")


def kiosk_seconds(value: str | None) -> int:
    """`?seconds=` as a whole number from 5 to 120 (out of range: the nearest bound; not a
    number: the default). A screen that changes too fast cannot be read; too slow, not seen."""
    try:
        seconds = int(value) if value is not None else KIOSK_SECONDS
    except ValueError:
        return KIOSK_SECONDS
    return max(KIOSK_MIN_SECONDS, min(KIOSK_MAX_SECONDS, seconds))


class FilterForm(FlaskForm):
    """Which category and period the board or the archive shows (empty: all)."""

    class Meta:
        csrf = False  # a GET form: the filters change nothing

    category = SelectField(_l("Category"), validate_choice=False)
    period = SelectField(_l("Period"), validate_choice=False)

    def __init__(self, *args: Any, lang: str, periods: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zh = lang.startswith("zh")
        self.category.choices = [("", str(_l("All categories")))] + [
            (c.value, CATEGORY_NAMES[c][0 if zh else 1]) for c in Category
        ]
        self.period.choices = [("", str(_l("All periods")))] + [
            (p, parse_period(p).text(lang)) for p in periods
        ]

    def validate_category(self, field: SelectField) -> None:
        if field.data and field.data not in {c.value for c in Category}:
            field.errors.append(str(NOT_A_CHOICE))

    def validate_period(self, field: SelectField) -> None:
        if not field.data:
            return
        try:
            field.data = str(parse_period(field.data.strip()))
        except ValueError:
            field.errors.append(str(_l("Write a month like 2026-10 or a quarter like 2026-Q4.")))

    def wanted(self) -> tuple[str | None, str | None]:
        """The valid filters (a wrong one is dropped, and its field says why)."""
        self.validate()
        category = self.category.data if self.category.data and not self.category.errors else None
        period = self.period.data if self.period.data and not self.period.errors else None
        return category, period


class QueryForm(FlaskForm):
    """A verified resident asks about a published disclosure, or objects to it."""

    kind = RadioField(
        _l("What do you want to do?"),
        default=QueryKind.QUERY.value,
        validators=[DataRequired(REQUIRED)],
    )
    text = TextAreaField(
        _l("Your question or objection"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_TEXT, message=TOO_LONG)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not in the field: WTForms 3.3 warns about tuples given to the constructor.
        self.kind.choices = [
            (QueryKind.QUERY.value, str(_l("Ask a question"))),
            (QueryKind.OBJECTION.value, str(_l("Raise an objection"))),
        ]
