"""Forms of the charter page and the body page (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.accounts.forms import REQUIRED, TOO_LONG


class CharterForm(FlaskForm):
    """A new version of the charter: one stricter rule from the fields, or many as JSON."""

    title = StringField(
        _l("Title of the charter or regulation"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
    )
    kind = SelectField(_l("Kind"), validators=[DataRequired(REQUIRED)])
    article = IntegerField(
        _l("Article"), validators=[InputRequired(REQUIRED), NumberRange(min=1, max=10000)]
    )
    effective_from = DateField(_l("In force from"), validators=[InputRequired(REQUIRED)])
    decision_reference = StringField(
        _l("The decision that adopted it"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
    )
    body = SelectField(_l("Body"), validators=[Optional()])
    decision_type = SelectField(_l("Decision type"), validators=[Optional()])
    basis = SelectField(_l("To pass: share of"), validators=[Optional()])
    op = SelectField(_l("Comparison"), validators=[Optional()])
    num = IntegerField(_l("Numerator"), validators=[Optional(), NumberRange(min=1, max=1000)])
    den = IntegerField(_l("Denominator"), validators=[Optional(), NumberRange(min=1, max=1000)])
    notice_days = IntegerField(
        _l("Days of notice"), validators=[Optional(), NumberRange(min=0, max=365)]
    )
    rules_json = TextAreaField(
        _l("Or every rule as JSON (as the API takes it)"),
        validators=[Optional(), Length(max=20000, message=TOO_LONG)],
    )


class MemberForm(FlaskForm):
    resident = StringField(
        _l("Name as in the register"),
        validators=[DataRequired(REQUIRED), Length(max=100, message=TOO_LONG)],
    )
    starts_on = DateField(_l("First day"), validators=[InputRequired(REQUIRED)])
    ends_on = DateField(_l("Last day of the term (optional)"), validators=[Optional()])


class EndMembershipForm(FlaskForm):
    ends_on = DateField(_l("Last day"), validators=[InputRequired(REQUIRED)])
    reason = StringField(
        _l("Reason"), validators=[DataRequired(REQUIRED), Length(max=2000, message=TOO_LONG)]
    )
