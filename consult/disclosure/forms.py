"""Forms of the committee's disclosure pages (Flask-WTF: CSRF on every one).

Amounts are typed in yuan and read into integer fen by consult.rules.ledger_csv (never a float);
a balance may be negative (a fund in debt). Choices that depend on the reader's language are set
when the form is made. The signing forms are the minutes' (consult.documents.forms), used by the
views: this package sits below the documents layer.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from consult.accounts.forms import REQUIRED, TOO_LONG
from consult.rules import disclosure as rules
from consult.rules.citations import localized
from consult.rules.ledger_csv import MAX_LENGTHS, AmountError, parse_amount

from .service import DOCUMENT_LANGUAGES, MAX_BODY, MAX_COMMENT, MAX_REASON, MAX_TITLE

#: The languages a disclosure's PDF is printed in, as their own readers name them.
LANGUAGE_NAMES = {"zh-Hans": "简体中文", "en": "English"}
_ZERO = re.compile(r"0+(?:\.0{1,2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def category_choices(locale: str) -> list[tuple[str, str]]:
    """Every category, named in the reader's language (CATEGORY_NAMES)."""
    return [(c.value, localized(*rules.CATEGORY_NAMES[c], locale)) for c in rules.Category]


def parse_balance(text: str) -> int:
    """A balance in yuan ("12345.6", "-80", "0") → integer fen, never through a float. A
    balance may be zero or negative; the digits are read exactly as a ledger amount is."""
    value = text.strip()
    negative = value.startswith("-")
    digits = value[1:].strip() if negative else value
    if _ZERO.fullmatch(digits):
        return 0
    fen = parse_amount(digits)  # AmountError for anything but digits and two decimals
    return -fen if negative else fen


def _period(form: FlaskForm, field: Field) -> None:
    try:
        rules.parse_period((field.data or "").strip())
    except ValueError:
        raise ValidationError(
            _l("Write a month like 2026-10, a quarter like 2026-Q4, or a date like 2026-10-15.")
        ) from None


def _balance(form: FlaskForm, field: Field) -> None:
    if not (field.data or "").strip():
        return
    try:
        parse_balance(field.data)
    except AmountError:
        raise ValidationError(
            _l(
                "Write yuan with digits and at most two decimals, like 12345.60 or -80 (no "
                "currency sign, commas or spaces)."
            )
        ) from None


def _amount(form: FlaskForm, field: Field) -> None:
    try:
        parse_amount(field.data or "")
    except AmountError:
        raise ValidationError(
            _l(
                "Write an amount of more than zero in yuan, with at most two decimals, like "
                "356.80 (no currency sign, commas or spaces)."
            )
        ) from None


def _iso_date(form: FlaskForm, field: Field) -> None:
    value = (field.data or "").strip()
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        raise ValidationError(_l("Write a date like 2026-10-08.")) from None


class NewDisclosureForm(FlaskForm):
    """A new draft: what it is about, for which period, its title and text."""

    category = SelectField(_l("Category"), validators=[DataRequired(REQUIRED)])
    period = StringField(
        _l("Period"),
        validators=[DataRequired(REQUIRED), Length(max=10, message=TOO_LONG), _period],
    )
    title = StringField(
        _l("Title"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_TITLE, message=TOO_LONG)],
    )
    body = TextAreaField(
        _l("Text"), validators=[Optional(), Length(max=MAX_BODY, message=TOO_LONG)]
    )
    lang = SelectField(_l("Language of the PDF"), validators=[DataRequired(REQUIRED)])

    def __init__(self, *args: Any, locale: str = "zh", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not in the field: WTForms 3.3 warns about tuples given to the constructor.
        self.category.choices = category_choices(locale)
        self.lang.choices = [(code, LANGUAGE_NAMES[code]) for code in DOCUMENT_LANGUAGES]


class EditDisclosureForm(FlaskForm):
    """A draft's text and, for a statement of funds, its balances in yuan."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_TITLE, message=TOO_LONG)],
    )
    body = TextAreaField(
        _l("Text"), validators=[Optional(), Length(max=MAX_BODY, message=TOO_LONG)]
    )
    lang = SelectField(_l("Language of the PDF"), validators=[DataRequired(REQUIRED)])
    opening_balance = StringField(
        _l("Opening balance (yuan)"),
        validators=[Optional(), Length(max=24, message=TOO_LONG), _balance],
    )
    closing_balance = StringField(
        _l("Closing balance (yuan)"),
        validators=[Optional(), Length(max=24, message=TOO_LONG), _balance],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang.choices = [(code, LANGUAGE_NAMES[code]) for code in DOCUMENT_LANGUAGES]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        opening = (self.opening_balance.data or "").strip()
        closing = (self.closing_balance.data or "").strip()
        if bool(opening) != bool(closing):
            missing = self.closing_balance if opening else self.opening_balance
            missing.errors = [
                *missing.errors,
                str(_l("Give the opening and the closing balance together.")),
            ]
            return False
        return ok

    def balances_fen(self) -> tuple[int | None, int | None]:
        """Both balances in fen, or (None, None) when both were left empty."""
        opening = (self.opening_balance.data or "").strip()
        closing = (self.closing_balance.data or "").strip()
        if not opening or not closing:
            return None, None
        return parse_balance(opening), parse_balance(closing)

    def balances_emptied(self) -> bool:
        """Both balance fields empty. The form shows the balances saved, so emptying both
        means the statement has none: the view removes any given before."""
        opening = (self.opening_balance.data or "").strip()
        closing = (self.closing_balance.data or "").strip()
        return not opening and not closing


class LedgerImportForm(FlaskForm):
    """The ledger as a CSV file (all-or-nothing)."""

    ledger_file = FileField(_l("The ledger file (CSV, UTF-8)"), validators=[FileRequired(REQUIRED)])
    replace = BooleanField(_l("Replace the lines already here (they are struck out, not deleted)"))


class EntryForm(FlaskForm):
    """One ledger line typed by hand, checked as a line of the CSV is."""

    entry_date = StringField(
        _l("Date"), validators=[DataRequired(REQUIRED), Length(max=10, message=TOO_LONG), _iso_date]
    )
    voucher = StringField(
        _l("Voucher number"),
        validators=[Optional(), Length(max=MAX_LENGTHS["voucher"], message=TOO_LONG)],
    )
    summary = StringField(
        _l("Summary"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTHS["summary"], message=TOO_LONG)],
    )
    category = StringField(
        _l("Account category"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTHS["category"], message=TOO_LONG)],
    )
    direction = RadioField(_l("Income or expense"), validators=[InputRequired(REQUIRED)])
    amount = StringField(
        _l("Amount (yuan)"),
        validators=[DataRequired(REQUIRED), Length(max=24, message=TOO_LONG), _amount],
    )
    counterparty = StringField(
        _l("Paid by or to"),
        validators=[Optional(), Length(max=MAX_LENGTHS["counterparty"], message=TOO_LONG)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direction.choices = [("income", _l("Income")), ("expense", _l("Expense"))]


class VoidForm(FlaskForm):
    """Strike out a ledger line: it stays, marked, with the reason."""

    void_reason = StringField(
        _l("Why is this line struck out?"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_REASON, message=TOO_LONG)],
    )


class VoucherForm(FlaskForm):
    """The scan of a voucher (PDF, PNG or JPEG, judged by its content)."""

    voucher_number = StringField(
        _l("Voucher number"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTHS["voucher"], message=TOO_LONG)],
    )
    scan = FileField(
        _l("Scan of the voucher (PDF, PNG or JPEG)"), validators=[FileRequired(REQUIRED)]
    )


class ReviewForm(FlaskForm):
    """The supervisory committee's decision (DS-18): approve, or return with a comment."""

    decision = RadioField(_l("Your decision"), validators=[InputRequired(REQUIRED)])
    comment = TextAreaField(
        _l("Comment"), validators=[Optional(), Length(max=MAX_COMMENT, message=TOO_LONG)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            ("approve", _l("Approve")),
            ("return", _l("Return for changes")),
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.decision.data == "return" and not (self.comment.data or "").strip():
            self.comment.errors = [
                *self.comment.errors,
                str(_l("Say why it is returned, so the staff know what to fix.")),
            ]
            return False
        return ok


class CorrectionForm(FlaskForm):
    reason = TextAreaField(
        _l("What does the correction change, and why?"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_REASON, message=TOO_LONG)],
    )


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("The committee's answer"),
        validators=[DataRequired(REQUIRED), Length(max=4000, message=TOO_LONG)],
    )


class EscalateForm(FlaskForm):
    note = TextAreaField(
        _l("Why the supervisory committee takes this up"),
        validators=[DataRequired(REQUIRED), Length(max=4000, message=TOO_LONG)],
    )


class PolicyForm(FlaskForm):
    """The community's own numbers where the law sets none (DSP-01…05), and the village's
    choice of how often finance is disclosed (VC25-27)."""

    grace_days = IntegerField(
        _l("Days after a month or quarter ends by which its disclosure is due"),
        validators=[
            InputRequired(REQUIRED),
            NumberRange(0, rules.MAX_GRACE_DAYS, _l("From %(min)s to %(max)s days.")),
        ],
    )
    at_once_days = IntegerField(
        _l("Days after a major matter by which it is disclosed"),
        validators=[
            InputRequired(REQUIRED),
            NumberRange(0, rules.MAX_AT_ONCE_DAYS, _l("From %(min)s to %(max)s days.")),
        ],
    )
    answer_days = IntegerField(
        _l("Days to answer a resident's query or objection"),
        validators=[
            InputRequired(REQUIRED),
            NumberRange(1, rules.MAX_ANSWER_DAYS, _l("From %(min)s to %(max)s days.")),
        ],
    )
    urban_general = SelectField(_l("How often general items are disclosed"))
    urban_finance = SelectField(_l("How often finance is disclosed"))
    village_finance = SelectField(_l("How often finance is disclosed"))

    def __init__(self, *args: Any, kind: str = "urban", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A residents' committee chooses both frequencies (the law sets none, URC25-33); a
        # village chooses only how often finance is disclosed (VC25-27: general items are
        # quarterly by statute).
        if kind == "village":
            del self.urban_general
            del self.urban_finance
            often_fields = [self.village_finance]
        else:
            del self.village_finance
            often_fields = [self.urban_general, self.urban_finance]
        often = [("monthly", _l("Every month")), ("quarterly", _l("Every quarter"))]
        for field in often_fields:
            field.choices = list(often)
