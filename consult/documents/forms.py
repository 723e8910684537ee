"""Forms of the minutes and document pages (Flask-WTF: CSRF on every one).

The recorder's notes per agenda item are one field each, named after the item's id, so an item
added in session between opening the editor and saving cannot shift notes to another item.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, PasswordField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional

from consult.accounts.forms import REQUIRED, TOO_LONG
from consult.documents.models import SigningRole
from consult.documents.service import (
    KEY_COMPROMISE,
    MAX_TEXT,
    MIN_PASSPHRASE,
    ROLE_ENDED,
)

#: The longest passphrase accepted (a PKCS#12 passphrase; a long one is no use beyond this).
MAX_PASSPHRASE = 1024
#: Revoking a certificate because its passphrase is forgotten: its key is safe (nobody else has
#: it), so what it signed stays valid, and the next signature gets a new certificate.
FORGOTTEN = "superseded"
ROLES = [r.value for r in SigningRole]


class MinutesForm(FlaskForm):
    """The draft: the recorder's free text; `item_<id>` fields are added by `minutes_form`."""

    text = TextAreaField(
        _l("Other notes"),
        validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)],
    )
    lang = SelectField(_l("Language of the PDF"), validators=[DataRequired(REQUIRED)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not in the field: WTForms 3.3 warns about tuples given to the constructor.
        self.lang.choices = [("zh-Hans", "简体中文"), ("en", "English")]

    def notes(self, item_ids: Iterable[int]) -> dict[int, str]:
        return {i: self[f"item_{i}"].data or "" for i in item_ids}


def minutes_form(item_ids: Iterable[int], **kwargs: object) -> MinutesForm:
    """A MinutesForm with one notes box per agenda item."""

    class Form(MinutesForm):
        pass

    for item_id in item_ids:
        setattr(
            Form,
            f"item_{item_id}",
            TextAreaField(
                _l("Notes on this item"),
                validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)],
            ),
        )
    return Form(**kwargs)


class SignForm(FlaskForm):
    """Signing with the passphrase that opens the signer's key."""

    role = HiddenField(validators=[DataRequired(REQUIRED), AnyOf(ROLES)])
    passphrase = PasswordField(
        _l("Your signing passphrase"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_PASSPHRASE, message=TOO_LONG)],
    )


class FirstSignForm(FlaskForm):
    """The first signature in a role: a new passphrase, twice; it alone will guard the key."""

    role = HiddenField(validators=[DataRequired(REQUIRED), AnyOf(ROLES)])
    passphrase = PasswordField(
        _l("Choose a signing passphrase"),
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=MIN_PASSPHRASE,
                message=_l("The passphrase must have at least %(min)d characters."),
            ),
            Length(max=MAX_PASSPHRASE, message=TOO_LONG),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the passphrase"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("passphrase", _l("The two passphrases are not the same.")),
        ],
    )


class ErratumForm(FlaskForm):
    reason = TextAreaField(
        _l("What does the correction change, and why?"),
        validators=[DataRequired(REQUIRED), Length(max=2000, message=TOO_LONG)],
    )


class VerifyForm(FlaskForm):
    file = FileField(_l("The PDF file"), validators=[FileRequired(REQUIRED)])


class RevokeForm(FlaskForm):
    certificate_id = HiddenField(validators=[DataRequired(REQUIRED)])
    reason = SelectField(_l("Why?"), validators=[DataRequired(REQUIRED)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not in the field: WTForms 3.3 warns about tuples given to the constructor.
        self.reason.choices = [
            (FORGOTTEN, _l("I have forgotten the passphrase")),
            (KEY_COMPROMISE, _l("Someone else may know the passphrase")),
            (ROLE_ENDED, _l("My role has ended")),
        ]


class UploadCertificateForm(FlaskForm):
    """A PKCS#12 (.p12/.pfx) issued elsewhere, for one of the signer's roles."""

    role = SelectField(_l("For the role"), validators=[DataRequired(REQUIRED)])
    file = FileField(_l("The certificate file (.p12 or .pfx)"), validators=[FileRequired(REQUIRED)])
    passphrase = PasswordField(
        _l("Its passphrase"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_PASSPHRASE, message=TOO_LONG)],
    )
