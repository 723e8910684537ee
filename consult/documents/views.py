"""Minutes and document pages (issue 5): the minutes section of a meeting's pages (through a
context processor, since the meeting pages are a lower layer), the recorder's draft editor, the
signing page, the erratum, the signed PDF as stored; the public verification page where anyone
checks a PDF; a signer's own certificates, and the community's CA certificate and CRL."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from consult import clock
from consult.accounts.policy import can
from consult.actor import Role
from consult.disclosure.models import Disclosure
from consult.documents import service as documents
from consult.documents.forms import (
    FORGOTTEN,
    ErratumForm,
    FirstSignForm,
    RevokeForm,
    SignForm,
    UploadCertificateForm,
    VerifyForm,
    minutes_form,
)
from consult.documents.markdown_text import markdown_to_safe_html
from consult.documents.models import (
    SIGNING_ORDER,
    Minutes,
    MinutesSignature,
    MinutesState,
    SignerCertificate,
    SigningRole,
)
from consult.documents.toolkit import timestamp_roots, toolkit
from consult.documents.verify import SignatureReport
from consult.errors import DomainError, Invalid, NotFound
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import Meeting, MeetingState
from consult.registry.models import Community
from consult.web.actions import act
from consult.web.labels import role_label
from consult.web.limits import login_attempts, rate_limited
from consult.web.permissions import permission

bp = Blueprint("documents", __name__)

#: A PKCS#12 is a few kilobytes; anything much larger is not one.
MAX_PKCS12_BYTES = 256 * 1024


# ---------------------------------------------------------------- words


def minutes_state_label(state: str) -> str:
    return {
        MinutesState.DRAFT: _("Draft"),
        MinutesState.SIGNING: _("Being signed"),
        MinutesState.PUBLISHED: _("Published"),
        MinutesState.SUPERSEDED: _("Superseded by a correction"),
    }.get(MinutesState(state), state)


def problem_label(code: str) -> str:
    """What a verification `problems` code (consult.documents.verify) means, in plain words."""
    return {
        "not_intact": _("The file was changed after this signature: it is not what was signed."),
        "bad_signature": _("The signature does not match the signer's certificate."),
        "revoked": _("The signer's certificate has been revoked."),
        "expired": _("The signer's certificate had expired."),
        "not_yet_valid": _("The signer's certificate was not yet valid."),
        "revocation_unknown": _("Whether the certificate was revoked could not be checked."),
        "untrusted": _(
            "The certificate was not issued by a community using consult: who signed cannot be "
            "confirmed."
        ),
        "timestamp_invalid": _("The signature's timestamp is not valid."),
        "seed_value_violation": _("The signature breaks the rules of its signature field."),
        "incomplete_coverage": _("The signature does not cover the document as it then stood."),
        "modified_after_signing": _("Something not allowed was added after this signature."),
        "unreadable": _("This signature cannot be read."),
    }.get(code, code)


def revocation_label(reason: str | None) -> str:
    return {
        FORGOTTEN: _("replaced (passphrase forgotten or a new certificate)"),
        documents.KEY_COMPROMISE: _("someone else may know the passphrase"),
        documents.ROLE_ENDED: _("the role ended"),
        "cessation_of_operation": _("no longer used"),
    }.get(reason or "", reason or "")


def problem_text(exc: DomainError) -> str:
    """A refusal of the documents service in the words the pages flash."""
    by_code = {
        "meeting_open": _("The minutes are signed once the meeting is adjourned."),
        "meeting_not_begun": _("Minutes are written once the meeting has begun."),
        "no_minutes": _("There are no minutes to sign yet: the recorder writes the draft first."),
        "already_signed": _("These minutes are already signed in this role; nothing was changed."),
        "same_signer": _(
            "One person signs the same minutes only once: another holder of this role signs."
        ),
        "not_signer": _("Only a holder of this role signs in it."),
        "passphrase_wrong": _("The passphrase is not right. Nothing was changed; try again."),
        "passphrase_short": _("Choose a passphrase of at least 8 characters."),
        "expired": _("The certificate has expired."),
        "certificate_known": _("This certificate is already registered."),
        "not_pkcs12": _(
            "This file is not a certificate with its key (PKCS#12, .p12 or .pfx) that consult "
            "can use."
        ),
        "invalid_reason": _("Choose a reason."),
        "already_revoked": _("This certificate is already revoked."),
        "minutes_signed": _(
            "These minutes are signed and no longer change: a correction is an erratum, a new "
            "version."
        ),
        "minutes_not_published": _(
            "Only published minutes are corrected by an erratum; a draft is simply edited."
        ),
        "unknown_item": _("Notes were given for an item that is not on this meeting's agenda."),
        "invalid_role": _("There is no such signing role."),
        "not_pdf": _("This file is not a PDF."),
        "forbidden": _("You are not allowed to do this."),
        "passphrase_locked": _(
            "Too many wrong passphrases for this signing key: wait 15 minutes and try again."
        ),
        "signer_unnamed": _(
            "A signature names its signer: ask staff to record your name before you sign."
        ),
        "missing_glyph": _(
            "Some characters cannot be printed in the PDF (no installed font has them): "
            "replace or remove them in the draft."
        ),
        "stamp_font": _("Signing is not set up on this server (the stamp font is missing)."),
        "certificate_other_person": _("This certificate names someone else, not you."),
    }
    if exc.code == "out_of_order" and isinstance(exc.details, dict):
        return _(
            "Not yet: the recorder signs first, then the chair, then a member of the supervisory "
            "committee. Next to sign: %(role)s.",
            role=role_label(str(exc.details.get("next", ""))),
        )
    if exc.code in by_code:
        return by_code[exc.code]
    if isinstance(exc, Invalid):
        return _("Something in the input is not right.")
    return _("This cannot be done now.")


# ---------------------------------------------------------------- what the pages show


@dataclass(frozen=True)
class Step:
    """One signature of a version: done (with who and when), next, or still to come."""

    role: str
    name: str = ""
    signed_at: datetime | None = None
    is_next: bool = False

    @property
    def done(self) -> bool:
        return self.signed_at is not None


@dataclass(frozen=True)
class Version:
    minutes: Minutes
    steps: tuple[Step, ...]
    next_role: str | None  # None once every signature is on it
    replaced_by: Minutes | None  # the erratum that superseded it
    signer_ids: frozenset[int]  # who signed it (one person signs a version once)

    @property
    def has_pdf(self) -> bool:
        return bool(self.signer_ids)


@dataclass(frozen=True)
class Panel:
    """The minutes section of a meeting page."""

    versions: tuple[Version, ...]
    can_write: bool
    sign_role: str | None  # the role in which the reader may sign the newest version now

    @property
    def latest(self) -> Version | None:
        return self.versions[0] if self.versions else None


def _version(
    minutes: Minutes, done: list[MinutesSignature], names: dict[int, str], newer: Minutes | None
) -> Version:
    by_role = {s.role: s for s in done}
    next_role = SIGNING_ORDER[len(done)].value if len(done) < len(SIGNING_ORDER) else None
    steps = tuple(
        Step(r.value, names.get(by_role[r.value].user_id, ""), by_role[r.value].signed_at)
        if r.value in by_role
        else Step(r.value, is_next=r.value == next_role)
        for r in SIGNING_ORDER
    )
    return Version(minutes, steps, next_role, newer, frozenset(s.user_id for s in done))


def _versions(meeting: Meeting, *, public: bool) -> tuple[Version, ...]:
    shown = documents.versions(g.actor, meeting)
    if public:
        shown = [m for m in shown if m.state in (MinutesState.PUBLISHED, MinutesState.SUPERSEDED)]
    signed = {m.id: documents.signatures(m) for m in shown}
    names = documents.person_names(s.user_id for done in signed.values() for s in done)
    newer = {m.previous_id: m for m in shown if m.previous_id is not None}
    return tuple(_version(m, signed[m.id], names, newer.get(m.id)) for m in shown)


def _sign_role(meeting: Meeting, latest: Version | None) -> str | None:
    """The role in which the reader signs the newest version now, if any."""
    if latest is None or latest.next_role is None or g.actor.user_id is None:
        return None
    if meeting.meeting_state is not MeetingState.ADJOURNED:
        return None
    if Role(latest.next_role) not in g.actor.roles or g.actor.user_id in latest.signer_ids:
        return None
    return latest.next_role


def minutes_panel(meeting: Meeting, public: bool = False) -> Panel:
    versions = _versions(meeting, public=public)
    return Panel(
        versions=versions,
        can_write=not public and can(g.actor, "minutes:minutes:write", meeting.community_id),
        sign_role=None if public else _sign_role(meeting, versions[0] if versions else None),
    )


@bp.app_context_processor
def _minutes_helpers() -> dict[str, Any]:
    # The meeting pages and the notice board (a lower layer) show the minutes through these,
    # without importing the documents package.
    return {
        "minutes_panel": minutes_panel,
        "published_minutes": documents.published_minutes,
        "minutes_state_label": minutes_state_label,
        "signing_role_label": role_label,
        "problem_label": problem_label,
        "revocation_label": revocation_label,
        "erratum_form": lambda: ErratumForm(formdata=None),
    }


# ---------------------------------------------------------------- the recorder's draft


def _meeting(meeting_id: int) -> Meeting:
    return meetings.get_meeting(g.actor, meeting_id)


def _meeting_page(meeting: Meeting) -> str:
    return url_for("meetings.meeting", meeting_id=meeting.id) + "#minutes"


def _editable(meeting: Meeting) -> str | None:
    """Why the draft cannot be edited now (a refusal code), or None."""
    if meeting.meeting_state in (MeetingState.DRAFT, MeetingState.NOTICED):
        return "meeting_not_begun"
    latest = documents.current_minutes(g.actor, meeting)
    if latest is not None and latest.minutes_state is not MinutesState.DRAFT:
        return "minutes_signed"
    return None


@bp.route("/meetings/<int:meeting_id>/minutes/edit", methods=["GET", "POST"])
@permission("minutes:minutes:write")
def edit(meeting_id: int) -> Any:
    """The draft: free text and notes per agenda item (Markdown), with a preview."""
    meeting = _meeting(meeting_id)
    refusal = _editable(meeting)
    if refusal is not None:
        flash(problem_text(DomainError("", code=refusal)), "info")
        return redirect(_meeting_page(meeting), 303)
    draft = documents.current_minutes(g.actor, meeting)
    items = [item.id for item in meeting.agenda]
    form = minutes_form(items, data=_draft_data(draft))
    if form.validate_on_submit():
        text, notes, lang = form.text.data or "", form.notes(items), form.lang.data
        return act(
            lambda: documents.save_minutes(g.actor, meeting, text, notes, lang),
            back=url_for("documents.edit", meeting_id=meeting.id) + "#preview",
            done=_("The draft is saved."),
            problem=problem_text,
        )
    return render_template(
        "minutes/edit.html",
        meeting=meeting,
        draft=draft,
        form=form,
        preview=_preview(draft),
        sign_role=minutes_panel(meeting).sign_role,
    ), (422 if form.errors else 200)


def _draft_data(draft: Minutes | None) -> dict[str, str]:
    if draft is None:
        return {"lang": "zh-Hans"}
    return {
        "text": draft.text,
        "lang": draft.lang,
        **{f"item_{k}": v for k, v in draft.notes.items()},
    }


def _preview(draft: Minutes | None) -> dict[str, Any] | None:
    """The saved draft as the PDF will print it (Markdown made safe)."""
    if draft is None:
        return None
    return {
        "text": markdown_to_safe_html(draft.text),
        "notes": {k: markdown_to_safe_html(v) for k, v in draft.notes.items()},
    }


@bp.route("/meetings/<int:meeting_id>/minutes/erratum", methods=["POST"])
@permission("minutes:minutes:write")
def erratum(meeting_id: int) -> Any:
    """Correct published minutes: a new draft version; the published one stays in force until
    the correction is published."""
    meeting = _meeting(meeting_id)
    form = ErratumForm()
    if not form.validate_on_submit():
        flash(_("Say what the correction changes, and why."), "error")
        return redirect(_meeting_page(meeting), 303)
    return act(
        lambda: documents.start_erratum(g.actor, meeting, form.reason.data or ""),
        back=_meeting_page(meeting),
        done=_("A corrected version is started from the published text: edit it, then sign it."),
        problem=problem_text,
    )


# ---------------------------------------------------------------- signing


@bp.route("/meetings/<int:meeting_id>/minutes/sign", methods=["GET", "POST"])
@permission("minutes:minutes:sign")
@rate_limited(login_attempts, methods=["POST"])
def sign(meeting_id: int) -> Any:
    """Sign the newest version in the role whose turn it is (the first time in a role, with a
    new passphrase that creates the signer's certificate)."""
    meeting = _meeting(meeting_id)
    panel = minutes_panel(meeting)
    role = _role_posted() or panel.sign_role
    if role is None or panel.latest is None:
        flash(_("There is nothing for you to sign in these minutes now."), "info")
        return redirect(_meeting_page(meeting), 303)
    first = _first_time(meeting, role)
    form = FirstSignForm() if first else SignForm()
    if form.validate_on_submit():
        return _sign_step(meeting, role, form.passphrase.data or "", retry=role == panel.sign_role)
    form.role.data = role
    return render_template(
        "minutes/sign.html",
        meeting=meeting,
        version=panel.latest,
        role=role,
        first=first,
        form=form,
        preview=_preview(panel.latest.minutes),
    ), (422 if form.errors else 200)


def _role_posted() -> str | None:
    posted = request.form.get("role", "")
    return posted if posted in {r.value for r in SigningRole} else None


def _first_time(meeting: Meeting, role: str) -> bool:
    assert g.actor.user_id is not None
    found = documents.signer_certificate(meeting.community_id, g.actor.user_id, SigningRole(role))
    return found is None


def _sign_step(meeting: Meeting, role: str, passphrase: str, *, retry: bool) -> Any:
    """Sign; refused, come back to the signing page to try again when it was the signer's
    turn (a mistyped passphrase), else to the meeting."""
    try:
        signature = documents.sign_minutes(g.actor, meeting, role, passphrase, toolkit())
    except DomainError as exc:
        if exc.code == "passphrase_wrong":
            db.session.commit()  # the failed attempt counts toward the key's throttle
        else:
            db.session.rollback()
        flash(problem_text(exc), "error")
        again = url_for("documents.sign", meeting_id=meeting.id) if retry else None
        return redirect(again or _meeting_page(meeting), 303)
    flash(_signed_text(signature), "success")
    return redirect(_meeting_page(meeting), 303)


def _signed_text(signature: MinutesSignature) -> str:
    if signature.role == SigningRole.SUPERVISOR:
        return _("Signed. The minutes are published: anyone can now download and check them.")
    following = SIGNING_ORDER[SIGNING_ORDER.index(SigningRole(signature.role)) + 1]
    return _(
        "Signed as %(role)s. Next to sign: %(next)s.",
        role=role_label(signature.role),
        next=role_label(following.value),
    )


# ---------------------------------------------------------------- the signed PDF


@bp.route("/meetings/<int:meeting_id>/minutes.pdf")
@permission("minutes:minutes:read")
def pdf(meeting_id: int) -> Any:
    """The signed PDF exactly as stored: the newest the reader may see, or `?version=N`."""
    meeting = _meeting(meeting_id)
    version = request.args.get("version", type=int)
    minutes, signature = _signed_stage(meeting, version)
    return _pdf_response(meeting, minutes, signature)


def _signed_stage(meeting: Meeting, version: int | None) -> tuple[Minutes, MinutesSignature]:
    for minutes in documents.versions(g.actor, meeting):
        if version is not None and minutes.version != version:
            continue
        done = documents.signatures(minutes)
        if done:
            return minutes, done[-1]
    raise NotFound("no signed minutes yet")


def _pdf_response(meeting: Meeting, minutes: Minutes, signature: MinutesSignature) -> Response:
    response = send_file(
        io.BytesIO(signature.pdf),  # the stored bytes, never re-saved
        mimetype="application/pdf",
        as_attachment=False,
        download_name=f"minutes-{meeting.id}-v{minutes.version}.pdf",
        etag=signature.sha256,
        max_age=0,
        conditional=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Document-Id"] = minutes.document_id
    return response


# ---------------------------------------------------------------- checking a PDF (public)


@dataclass(frozen=True)
class Checked:
    """An uploaded PDF as the verification page explains it."""

    check: documents.DocumentCheck
    filename: str
    community: Community | None  # whose minutes this file is, if consult issued it
    signed_at: tuple[datetime | None, ...]
    replaced_by: Minutes | None
    disclosure_replaced_by: Disclosure | None = None

    @property
    def timezone(self) -> str | None:
        return self.community.timezone if self.community is not None else None

    @property
    def rows(self) -> list[tuple[SignatureReport, datetime | None]]:
        return list(zip(self.check.report.signatures, self.signed_at, strict=True))

    @property
    def signatures_on_record(self) -> int:
        """How many signatures the version had at the stage this file is."""
        stage = self.check.stage
        return SIGNING_ORDER.index(SigningRole(stage.role)) + 1 if stage is not None else 0


@bp.route("/documents/verify", methods=["GET", "POST"])
@permission("documents:pdf:verify")
@rate_limited(login_attempts, methods=["POST"])
def verify() -> Any:
    """Anyone checks a PDF: who signed, in which role, when, intact, trusted, and whether it is
    the current version consult published. `?document=ID` (the QR code) says what that id is."""
    form = VerifyForm()
    checked, status = _check_upload(form) if request.method == "POST" else (None, 200)
    return render_template(
        "documents/verify.html",
        form=form,
        checked=checked,
        lookup=_lookup(request.args.get("document", "")),
        max_mb=max(1, current_app.config["VERIFY_MAX_BYTES"] // (1024 * 1024)),
    ), status


def _check_upload(form: VerifyForm) -> tuple[Checked | None, int]:
    if not form.validate_on_submit():
        return None, 422
    limit = current_app.config["VERIFY_MAX_BYTES"]
    data = form.file.data.read(limit + 1)
    if len(data) > limit:
        form.file.errors = [_("The file is too large: at most %(n)d MB.", n=max(1, limit >> 20))]
        return None, 413
    try:
        check = documents.check_pdf(data, timestamp_roots=timestamp_roots())
    except Invalid:
        form.file.errors = [_("This file is not a PDF. Choose the PDF of the minutes.")]
        return None, 422
    return _checked(check, form.file.data.filename or ""), 200


def _checked(check: documents.DocumentCheck, filename: str) -> Checked:
    community = None
    replaced_by = None
    if check.meeting is not None and check.minutes is not None:
        community = db.session.get(Community, check.meeting.community_id)
        replaced_by = _replacement(check.minutes)
    disclosure_replaced_by = None
    if check.disclosure is not None:
        community = db.session.get(Community, check.disclosure.community_id)
        disclosure_replaced_by = _disclosure_replacement(check.disclosure)
    times = tuple(
        datetime.fromisoformat(s.signed_at) if s.signed_at else None
        for s in check.report.signatures
    )
    return Checked(check, filename[:200], community, times, replaced_by, disclosure_replaced_by)


def _disclosure_replacement(disclosure: Disclosure) -> Disclosure | None:
    return db.session.execute(
        select(Disclosure).where(Disclosure.previous_id == disclosure.id)
    ).scalar_one_or_none()


def _replacement(minutes: Minutes) -> Minutes | None:
    return db.session.execute(
        select(Minutes).where(Minutes.previous_id == minutes.id)
    ).scalar_one_or_none()


def _lookup(document_id: str) -> dict[str, Any] | None:
    """What a document id from a QR code names: the meeting, the version, its state."""
    document_id = document_id.strip()[:60]
    if not document_id:
        return None
    minutes = documents.find_document(document_id)
    if minutes is None:
        disclosure = db.session.execute(
            select(Disclosure).where(Disclosure.document_id == document_id.upper())
        ).scalar_one_or_none()
        if disclosure is not None and disclosure.is_public:
            return {
                "document_id": disclosure.document_id,
                "minutes": None,
                "disclosure": disclosure,
                "community": db.session.get(Community, disclosure.community_id),
                "replaced_by": _disclosure_replacement(disclosure),
            }
        return {"document_id": document_id, "minutes": None}
    meeting = db.session.get(Meeting, minutes.meeting_id)
    community = db.session.get(Community, minutes.community_id)
    return {
        "document_id": minutes.document_id,
        "minutes": minutes,
        "meeting": meeting,
        "community": community,
        "replaced_by": _replacement(minutes),
        "current": documents.published_minutes(meeting) if meeting is not None else None,
    }


# ---------------------------------------------------------------- certificates


def _readable(cert: x509.Certificate) -> str:
    """A certificate's subject as people read it: name · unit · organisation."""
    oids = (NameOID.COMMON_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.ORGANIZATION_NAME)
    parts = [str(a.value) for oid in oids for a in cert.subject.get_attributes_for_oid(oid)]
    return " · ".join(parts) or cert.subject.rfc4514_string()


def _holder(row: SignerCertificate) -> str:
    try:
        return _readable(x509.load_pem_x509_certificate(row.certificate_pem.encode("ascii")))
    except ValueError:
        return row.subject


def _authority(community: Community) -> dict[str, str] | None:
    """The community's CA certificate in words, if it has one yet."""
    try:
        pem = documents.authority_pem(community)
    except NotFound:
        return None
    cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    return {"name": _readable(cert), "fingerprint": cert.fingerprint(hashes.SHA256()).hex()}


def _upload_form(**kwargs: Any) -> UploadCertificateForm:
    form = UploadCertificateForm(**kwargs)
    held = [r for r in documents.CERTIFICATE_ROLES if Role(r.value) in g.actor.roles]
    form.role.choices = [(r.value, role_label(r.value)) for r in held]
    return form


def _certificates_page() -> str:
    return url_for("documents.certificates", code=g.community.code)


@bp.route("/c/<code>/certificates")
@permission("documents:certificate:read")
def certificates(code: str) -> Any:
    """The signer's own certificates: in force, expired or revoked; revoke one; bring one."""
    return render_template(
        "documents/certificates.html",
        certificates=[(c, _holder(c)) for c in documents.certificates_of(g.actor, g.community)],
        authority=_authority(g.community),
        revoke_form=RevokeForm(formdata=None),
        upload_form=_upload_form(formdata=None),
        now=clock.now(),
    )


@bp.route("/c/<code>/certificates/revoke", methods=["POST"])
@permission("documents:certificate:read")
def revoke(code: str) -> Any:
    form = RevokeForm()
    raw = form.certificate_id.data or ""
    if not form.validate_on_submit() or not raw.isdecimal() or len(raw) > 9:
        flash(_("Choose a reason."), "error")
        return redirect(_certificates_page(), 303)
    return act(
        lambda: documents.revoke_certificate(g.actor, int(raw), form.reason.data or ""),
        back=_certificates_page(),
        done=_("The certificate is revoked. Your next signature in this role gets a new one."),
        problem=problem_text,
    )


@bp.route("/c/<code>/certificates/upload", methods=["POST"])
@permission("documents:certificate:read")
@rate_limited(login_attempts, methods=["POST"])
def upload(code: str) -> Any:
    """A PKCS#12 issued elsewhere, for one of the signer's roles (it replaces the one in force)."""
    form = _upload_form()
    if not form.validate_on_submit():
        flash(_("Choose the role, the file and its passphrase."), "error")
        return redirect(_certificates_page(), 303)
    data = form.file.data.read(MAX_PKCS12_BYTES + 1)
    return act(
        lambda: _upload(data, form.role.data or "", form.passphrase.data or ""),
        back=_certificates_page(),
        done=_("The certificate is registered: your next signatures in this role use it."),
        problem=problem_text,
    )


def _upload(data: bytes, role: str, passphrase: str) -> SignerCertificate:
    if len(data) > MAX_PKCS12_BYTES:
        raise Invalid("the file is too large", code="not_pkcs12")
    return documents.upload_certificate(g.actor, g.community, role, data, passphrase)


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/c/<code>/ca.pem")
@permission("documents:authority:read")
def authority_certificate(code: str) -> Any:
    """The community's CA certificate: the trust root that checks its signers' certificates."""
    pem = documents.authority_pem(g.community)
    return _download(pem.encode("ascii"), "application/x-pem-file", f"{g.community.code}-ca.pem")


@bp.route("/c/<code>/ca.crl")
@permission("documents:authority:read")
def revocation_list(code: str) -> Any:
    """The community's certificate revocation list (DER), made fresh."""
    cipher = current_app.extensions["consult.field_cipher"]
    der = documents.revocation_list(g.community, cipher)
    return _download(der, "application/pkix-crl", f"{g.community.code}-ca.crl")
