"""The edge's side of signing: the documents service's Toolkit, built from the app."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, url_for
from flask_babel import force_locale

from consult.documents.minutes_layout import MinutesDocument, render_minutes
from consult.documents.render import RenderedPdf
from consult.documents.service import Toolkit

#: The document's `lang` (BCP 47) → the Flask-Babel locale its labels are rendered in.
_LOCALES = {"zh-Hans": "zh_Hans", "en": "en"}


def _render(document: MinutesDocument) -> RenderedPdf:
    # The PDF speaks the document's language, whatever the signer's page is in.
    with force_locale(_LOCALES.get(document.lang, "zh_Hans")):
        return render_minutes(current_app.jinja_env, document)


def _verification_url(document_id: str) -> str:
    return url_for("documents.verify", document=document_id, _external=True)


def toolkit() -> Toolkit:
    return Toolkit(
        cipher=current_app.extensions["consult.field_cipher"],
        render=_render,
        verification_url=_verification_url,
        font_dir=Path(current_app.instance_path) / "fonts",
        timestamp_url=current_app.config.get("TIMESTAMP_URL") or None,
    )
