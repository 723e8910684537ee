"""Account forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

# Our own plain words rather than WTForms' generic ones ("Field must be equal to password.").
REQUIRED = _l("Please fill this in.")
TOO_LONG = _l("At most %(max)d characters.")
NOT_EMAIL = _l("This is not an e-mail address.")
PASSWORD_LENGTH = _l("The password must have at least %(min)d characters.")


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254, message=TOO_LONG)]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)]
    )


class SignUpForm(FlaskForm):
    display_name = StringField(
        _l("Your name"), validators=[DataRequired(REQUIRED), Length(max=100, message=TOO_LONG)]
    )
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(REQUIRED),
            Email(NOT_EMAIL, check_deliverability=False),
            Length(max=254, message=TOO_LONG),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=8, message=PASSWORD_LENGTH),
            Length(max=200, message=TOO_LONG),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


class VerifyCodeForm(FlaskForm):
    code = StringField(
        _l("Verification code"),
        validators=[DataRequired(REQUIRED), Length(max=40, message=TOO_LONG)],
    )


class GrantRoleForm(FlaskForm):
    email = EmailField(
        _l("E-mail of the account"),
        validators=[DataRequired(REQUIRED), Length(max=254, message=TOO_LONG)],
    )
    role = SelectField(_l("Role"), choices=[])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: for buttons that change something."""
