"""The edge's side of signing: the documents service's Toolkit, built from the running app (its
templates and locale, field cipher, instance folder and public address). Used by the pages, the
API and the demo; never by the services themselves."""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale

from consult.documents.disclosure_layout import DisclosureDocument, render_disclosure
from consult.documents.minutes_layout import MinutesDocument, render_minutes
from consult.documents.render import RenderedPdf
from consult.documents.service import Toolkit

#: The document's `lang` (BCP 47) → the Flask-Babel locale its labels are rendered in.
_LOCALES = {"zh-Hans": "zh_Hans", "en": "en"}


def _render(document: MinutesDocument) -> RenderedPdf:
    # The PDF speaks the document's language, whatever the signer's page is in.
    with force_locale(_LOCALES.get(document.lang, "zh_Hans")):
        return render_minutes(current_app.jinja_env, document)


def _render_disclosure(document: DisclosureDocument) -> RenderedPdf:
    with force_locale(_LOCALES.get(document.lang, "zh_Hans")):
        return render_disclosure(current_app.jinja_env, document)


#: Where the printed QR code points when neither CONSULT_PUBLIC_URL nor a request says (the
#: demo, loaded from the command line, served by `make run`).
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"


def _verification_url(document_id: str) -> str:
    """The public verification page for a document: under CONSULT_PUBLIC_URL when set (a
    printed PDF should name the site's public address, not whichever host the signer used),
    else the request's own address."""
    base = current_app.config.get("PUBLIC_URL")
    if base is None and has_request_context():
        return url_for("documents.verify", document=document_id, _external=True)
    parts = urlsplit(base or DEFAULT_PUBLIC_URL)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build("documents.verify", {"document": document_id}, force_external=True)


def toolkit() -> Toolkit:
    return Toolkit(
        cipher=current_app.extensions["consult.field_cipher"],
        render=_render,
        verification_url=_verification_url,
        font_dir=Path(current_app.instance_path) / "fonts",
        timestamp_url=current_app.config.get("TIMESTAMP_URL") or None,
        render_disclosure=_render_disclosure,
    )


def timestamp_roots() -> list[x509.Certificate]:
    """The roots of the RFC 3161 time-stamping authorities trusted for signature timestamps:
    the PEM bundle CONSULT_TIMESTAMP_ROOTS names (a timestamp authority does not chain to a
    community's CA, so without its root every timestamped signature would be judged invalid)."""
    path = current_app.config.get("TIMESTAMP_ROOTS")
    if not path:
        return []
    return _load_roots(str(path))


@functools.cache
def _load_roots(path: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(Path(path).read_bytes())
