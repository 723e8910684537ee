"""Meeting forms (Flask-WTF: CSRF on every one). Choices that depend on the community are set
by the view."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from consult.accounts.forms import REQUIRED, TOO_LONG

#: Empty agenda lines offered on the form (no JavaScript needed; empty lines are ignored).
AGENDA_LINES = 5


class BodyForm(FlaskForm):
    kind = SelectField(_l("Kind of body"), validators=[DataRequired(REQUIRED)])
    name = StringField(
        _l("Name"), validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)]
    )
    mode = SelectField(_l("Who takes part (residents' or villagers' meeting)"))
    group = SelectField(_l("Villagers' group (group meetings)"), validate_choice=False)
    members = TextAreaField(
        _l("Members (councils and committees): one name per line"),
        validators=[Optional(), Length(max=20000, message=TOO_LONG)],
    )


class AgendaLine(Form):
    """One agenda line of the meeting form (a sub-form: the outer form carries the CSRF token)."""

    title = StringField(_l("Item"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    decision_type = SelectField(_l("Decision type"), validate_choice=False)  # the service checks


class MeetingForm(FlaskForm):
    body_id = SelectField(_l("Body"), coerce=int, validators=[InputRequired(REQUIRED)])
    title = StringField(
        _l("Title"), validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)]
    )
    starts_at = StringField(
        _l("Starts at"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(
                r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$",
                message=_l("Give a date and time like 2026-12-20 19:30."),
            ),
        ],
    )
    location = StringField(
        _l("Location"), validators=[Optional(), Length(max=200, message=TOO_LONG)]
    )
    agenda = FieldList(FormField(AgendaLine), min_entries=AGENDA_LINES, max_entries=20)
    short_notice_reason = TextAreaField(
        _l("Reason for short notice (only if the meeting cannot wait for the notice period)"),
        validators=[Optional(), Length(max=2000, message=TOO_LONG)],
    )


class PartyReviewForm(FlaskForm):
    reference = StringField(
        _l("Reference of the Party organization's meeting or minutes"),
        validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000, message=TOO_LONG)])


class DeskForm(FlaskForm):
    """A tap at the sign-in desk: who, and for a proxy, who holds it."""

    resident_id = IntegerField(validators=[InputRequired(REQUIRED)])
    proxy_holder_id = IntegerField(validators=[Optional()])
    q = HiddenField()


class AdvanceForm(FlaskForm):
    to = IntegerField(validators=[InputRequired(REQUIRED)])


class CheckInForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(REQUIRED)])


class AttachmentForm(FlaskForm):
    """A file for the meeting's papers or one agenda item (the service checks type and size)."""

    file = FileField(_l("File (PDF, PNG or JPEG)"), validators=[FileRequired(REQUIRED)])
    item_id = HiddenField()  # empty: the whole meeting's papers


class CandidateForm(FlaskForm):
    """A candidate of an election item, found in the register by name (and household when two
    residents share the name)."""

    name = StringField(
        _l("Candidate's name"),
        validators=[DataRequired(REQUIRED), Length(max=100, message=TOO_LONG)],
    )
    household = StringField(
        _l("Household (only if two residents share the name)"),
        validators=[Optional(), Length(max=100, message=TOO_LONG)],
    )
    nominated_by = SelectField(_l("Nominated by"), validators=[DataRequired(REQUIRED)])
    nomination_note = StringField(
        _l("How the nomination was made"),
        validators=[Optional(), Length(max=2000, message=TOO_LONG)],
    )


class WithdrawCandidateForm(FlaskForm):
    reason = StringField(
        _l("Reason for the withdrawal"),
        validators=[DataRequired(REQUIRED), Length(max=2000, message=TOO_LONG)],
    )


class WithdrawAttachmentForm(FlaskForm):
    reason = StringField(
        _l("Reason for withdrawing"),
        validators=[DataRequired(REQUIRED), Length(max=2000, message=TOO_LONG)],
    )


class UrgentItemForm(FlaskForm):
    """An urgent item added in session: only with the recorded decision that admits it."""

    title = StringField(
        _l("Item"), validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)]
    )
    decision_type = SelectField(_l("Decision type"), validate_choice=False)  # the service checks
    urgent_decision = TextAreaField(
        _l("The meeting's recorded decision to add it (reference and wording)"),
        validators=[DataRequired(REQUIRED), Length(max=2000, message=TOO_LONG)],
    )


class CorrectionForm(FlaskForm):
    """A correction of a sign-in entry at the desk: a new version with its reason."""

    resident_id = IntegerField(validators=[InputRequired(REQUIRED)])
    status = SelectField(_l("Correct to"), validate_choice=False)  # the service checks
    proxy_holder_id = IntegerField(validators=[Optional()])
    reason = StringField(
        _l("Reason for the correction"),
        validators=[DataRequired(REQUIRED), Length(max=2000, message=TOO_LONG)],
    )
    q = HiddenField()
