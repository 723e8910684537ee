"""Forms of the public disclosure board (Flask-WTF): a resident's query or objection (CSRF), and
the kiosk's bounded number of seconds per screen. (The board's filters are a plain GET form
rendered with the cached board: board_views.)"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from consult.accounts.forms import REQUIRED, TOO_LONG
from consult.disclosure.models import QueryKind
from consult.disclosure.queries import MAX_TEXT

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
