"""Vote forms (Flask-WTF: CSRF on every one). The ballot's choices are set by the view."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from consult.accounts.forms import REQUIRED, TOO_LONG


class BallotForm(FlaskForm):
    choice = RadioField(_l("Your vote"), validators=[DataRequired(REQUIRED)])
    # Filled by static/js/receipt.js in the voter's browser; empty without JavaScript, and then
    # the server makes the receipt (VOTING.md).
    receipt = HiddenField(validators=[Optional(), Length(max=100)])
    on_behalf_of = IntegerField(validators=[Optional()])


class NewVoteForm(FlaskForm):
    secret = BooleanField(_l("Secret ballot (each voter gets a receipt)"), default=True)
    options = TextAreaField(
        _l("Options, one per line (leave empty for in favour / against / abstain)"),
        validators=[Optional(), Length(max=4000, message=TOO_LONG)],
    )


class ReceiptCheckForm(FlaskForm):
    receipt = StringField(
        _l("Your receipt"), validators=[DataRequired(REQUIRED), Length(max=100, message=TOO_LONG)]
    )
