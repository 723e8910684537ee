"""Register forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, PasswordField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from consult.accounts.forms import PASSWORD_LENGTH, REQUIRED, TOO_LONG


class ImportForm(FlaskForm):
    file = FileField(
        _l("Register file (CSV, UTF-8)"),
        validators=[FileRequired(_l("Choose a CSV file to import."))],
    )


class PoliticalRightsForm(FlaskForm):
    """Record that a resident is deprived of political rights, or has them restored."""

    is_deprived = HiddenField(validators=[AnyOf(("1", "0"))])
    reason = TextAreaField(
        _l("Reason (for example the court judgment and its date)"),
        validators=[
            DataRequired(_l("A reason is required.")),
            Length(max=2000, message=_l("At most 2000 characters.")),
        ],
    )


class IssueCodeForm(FlaskForm):
    """Only the CSRF token: staff press a button to print a new verification code."""


class ResidentAccountForm(FlaskForm):
    """Staff create a verified account for a resident at the desk."""

    email = EmailField(
        _l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254, message=TOO_LONG)]
    )
    password = PasswordField(
        _l("Initial password (at least 8 characters)"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=8, message=PASSWORD_LENGTH),
            Length(max=200, message=TOO_LONG),
        ],
    )


class DeskVerifyForm(FlaskForm):
    """Staff confirm in person that an existing account belongs to this resident."""

    account_email = EmailField(
        _l("E-mail of the resident's account"),
        validators=[DataRequired(REQUIRED), Length(max=254, message=TOO_LONG)],
    )
