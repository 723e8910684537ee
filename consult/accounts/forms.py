"""Account forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class SignUpForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password")]
    )


class VerifyCodeForm(FlaskForm):
    code = StringField(_l("Verification code"), validators=[DataRequired(), Length(max=40)])


class GrantRoleForm(FlaskForm):
    email = EmailField(_l("E-mail of the account"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: for buttons that change something."""
