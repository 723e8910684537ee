"""Register pages (staff): list and search, resident page, import, export, enrolment."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select

from consult import clock
from consult.accounts.models import User
from consult.accounts.service import find_user
from consult.crypto.fields import FieldCipher, mask
from consult.errors import Conflict, DomainError, Invalid
from consult.extensions import db
from consult.registry import enrolment, service
from consult.registry.csvio import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from consult.registry.forms import (
    DeskVerifyForm,
    ImportForm,
    IssueCodeForm,
    PoliticalRightsForm,
    ResidentAccountForm,
)
from consult.rules.eligibility import age_on
from consult.web.labels import import_error_text
from consult.web.permissions import permission

bp = Blueprint("registry", __name__)

PER_PAGE = 50
HISTORY_FIELDS = (
    "name",
    "household",
    "group",
    "birth_date",
    "gender",
    "registration",
    "registered_since",
    "id_number",
    "is_deprived_of_political_rights",
)


def _cipher() -> FieldCipher:
    cipher: FieldCipher = current_app.extensions["consult.field_cipher"]
    return cipher


# ---------------------------------------------------------------- the list


@bp.route("/c/<code>/residents")
@permission("registry:residents:read")
def residents(code: str) -> Any:
    query = (request.args.get("q") or "").strip()[:100]
    group = (request.args.get("group") or "").strip()[:40]
    page_number = max(1, request.args.get("page", default=1, type=int) or 1)
    page = service.search_residents(
        g.actor, g.community, query=query, group=group, page=page_number, per_page=PER_PAGE
    )
    today = clock.today()
    rows = [
        (r, age_on(r.birth_date, today), service.eligibility_of(g.community, r, today))
        for r in page.items
    ]
    return render_template(
        "registry/residents.html",
        page=page,
        rows=rows,
        query=query,
        group=group,
        groups=service.groups_of(g.community),
        page_links=_page_links(page.page, page.pages),
    )


def _page_links(current: int, last: int) -> list[int | None]:
    """Page numbers to link: the first, the last and a few around the current (None = gap)."""
    wanted = {1, last, *range(current - 2, current + 3)}
    shown = sorted(n for n in wanted if 1 <= n <= last)
    links: list[int | None] = []
    previous = None
    for n in shown:
        if previous is not None and n - previous > 1:
            links.append(None)
        links.append(n)
        previous = n
    return links


# ---------------------------------------------------------------- one resident


def _resident_page(resident_id: int, status: int = 200, **forms: FlaskForm) -> Any:
    community = g.community
    resident = service.get_resident(g.actor, community, resident_id)
    today = clock.today()
    history = service.resident_history(g.actor, community, resident_id)
    versions = []
    for i, (version, snapshot) in enumerate(history):
        older = history[i + 1][1] if i + 1 < len(history) else None
        # The first version has nothing to differ from: nothing is marked changed.
        changed = (
            set()
            if older is None
            else {k for k in HISTORY_FIELDS if older.get(k) != snapshot.get(k)}
        )
        versions.append((version, snapshot, changed))
    phone = _cipher().decrypt(resident.phone_encrypted, "phone") if resident.phone_encrypted else ""
    account = db.session.execute(
        select(User).where(User.resident_id == resident.id)
    ).scalar_one_or_none()
    rights_form = forms.get("rights_form") or PoliticalRightsForm(formdata=None)
    rights_form.is_deprived.data = "0" if resident.is_deprived_of_political_rights else "1"
    return render_template(
        "registry/resident.html",
        resident=resident,
        age=age_on(resident.birth_date, today),
        verdict=service.eligibility_of(community, resident, today),
        locale=str(get_locale()),
        masked_phone=mask(phone, 3, 4),
        versions=versions,
        rights=service.political_rights_history(g.actor, community, resident_id),
        account=account,
        rights_form=rights_form,
        code_form=forms.get("code_form") or IssueCodeForm(formdata=None),
        account_form=forms.get("account_form") or ResidentAccountForm(formdata=None),
        desk_form=forms.get("desk_form") or DeskVerifyForm(formdata=None),
        history_fields=HISTORY_FIELDS,
    ), status


@bp.route("/c/<code>/residents/<int:resident_id>")
@permission("registry:residents:read")
def resident(code: str, resident_id: int) -> Any:
    return _resident_page(resident_id)


@bp.route("/c/<code>/residents/<int:resident_id>/political-rights", methods=["POST"])
@permission("registry:residents:edit")
def political_rights(code: str, resident_id: int) -> Any:
    form = PoliticalRightsForm()
    if not form.validate_on_submit():
        return _resident_page(resident_id, 422, rights_form=form)
    try:
        service.record_political_rights(
            g.actor,
            g.community,
            resident_id,
            is_deprived=form.is_deprived.data == "1",
            reason=form.reason.data or "",
        )
    except Invalid:
        db.session.rollback()
        form.reason.errors = [_("A reason is required.")]
        return _resident_page(resident_id, 422, rights_form=form)
    except Conflict:
        db.session.rollback()
        flash(_("The register already says this; nothing was changed."), "error")
        return redirect(url_for("registry.resident", code=code, resident_id=resident_id))
    flash(_("Recorded. The change is in the resident's history and the audit trail."), "success")
    return redirect(url_for("registry.resident", code=code, resident_id=resident_id))


@bp.route("/c/<code>/residents/<int:resident_id>/code", methods=["POST"])
@permission("accounts:residents:verify")
def issue_code(code: str, resident_id: int) -> Any:
    """A new one-time verification code, shown once on a slip to print and hand over."""
    form = IssueCodeForm()
    if not form.validate_on_submit():
        return _resident_page(resident_id, 400)
    row, secret = enrolment.issue_verification_code(
        g.actor,
        g.community,
        resident_id,
        valid_days=current_app.config["VERIFICATION_CODE_DAYS"],
    )
    resident = service.get_resident(g.actor, g.community, resident_id)
    zone = ZoneInfo(g.community.timezone)
    response = Response(
        render_template(
            "registry/code_slip.html",
            resident=resident,
            code=enrolment.format_code(secret),
            expires_on=row.expires_at.astimezone(zone).date(),
            signup_url=url_for("accounts.signup", _external=True),
            verify_url=url_for("accounts.verify", _external=True),
        )
    )
    # The code is shown once: keep it out of caches and the browser's back/forward store.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/c/<code>/residents/<int:resident_id>/account", methods=["POST"])
@permission("accounts:residents:verify")
def create_account(code: str, resident_id: int) -> Any:
    form = ResidentAccountForm()
    if not form.validate_on_submit():
        return _resident_page(resident_id, 422, account_form=form)
    try:
        enrolment.create_resident_account(
            g.actor, g.community, resident_id, form.email.data or "", form.password.data or ""
        )
    except Invalid as exc:
        db.session.rollback()
        form.email.errors = [_account_message(exc)]
        return _resident_page(resident_id, 422, account_form=form)
    except Conflict as exc:
        db.session.rollback()
        flash(_account_message(exc), "error")
        return redirect(url_for("registry.resident", code=code, resident_id=resident_id))
    flash(_("A verified account was created for this resident."), "success")
    return redirect(url_for("registry.resident", code=code, resident_id=resident_id))


@bp.route("/c/<code>/residents/<int:resident_id>/verify", methods=["POST"])
@permission("accounts:residents:verify")
def verify_account(code: str, resident_id: int) -> Any:
    form = DeskVerifyForm()
    if not form.validate_on_submit():
        return _resident_page(resident_id, 422, desk_form=form)
    try:
        user = find_user(form.account_email.data or "")
        if user is None:
            raise Invalid("no account with this e-mail")
        enrolment.verify_at_desk(g.actor, g.community, user.id, resident_id)
    except Invalid as exc:
        db.session.rollback()
        form.account_email.errors = [_account_message(exc)]
        return _resident_page(resident_id, 422, desk_form=form)
    except Conflict as exc:
        db.session.rollback()
        flash(_account_message(exc), "error")
        return redirect(url_for("registry.resident", code=code, resident_id=resident_id))
    flash(_("The account is verified and linked to this resident."), "success")
    return redirect(url_for("registry.resident", code=code, resident_id=resident_id))


def _account_message(exc: DomainError) -> str:
    messages = {
        "not an e-mail address": _("This is not an e-mail address."),
        "password too short": _("The password must have at least 8 characters."),
        "an account with this e-mail already exists": _(
            "An account with this e-mail already exists."
        ),
        "this resident already has an account": _("This resident already has an account."),
        "this resident is already linked to another account": _(
            "This resident is already linked to another account."
        ),
        "this account is already verified": _("This account is already verified."),
        "no account with this e-mail": _("There is no account with this e-mail."),
    }
    return messages.get(exc.message, exc.message)


# ---------------------------------------------------------------- import and export

EXAMPLE_CSV = (
    "household,name,birth_date,gender,group,phone,id_number,registration,registered_since\n"
    "H001,张秀英,1948-03-12,F,G1,13800000001,,household_register,\n"
    "H001,王建国,1946-11-02,M,G1,,,household_register,\n"
    "H002,李雪梅,1985-07-30,F,G2,13900000002,,worker,2025-03-01\n"
)


@bp.route("/c/<code>/residents/import", methods=["GET", "POST"])
@permission("registry:residents:import")
def import_residents(code: str) -> Any:
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            result = service.import_residents(g.actor, g.community, data, _cipher())
        except Invalid as exc:
            db.session.rollback()
            details = exc.details if isinstance(exc.details, list) else []
            total = re.match(r"(\d+) line", exc.message)
            return _import_page(
                form,
                lines=details,
                total=int(total.group(1)) if total else len(details),
                filename=form.file.data.filename,
                status=422,
            )
        except Conflict:
            db.session.rollback()
            flash(_("The register changed while importing. Please try again."), "error")
            return _import_page(form, status=409)
        flash(
            _(
                "%(created)d created, %(updated)d updated, %(unchanged)d unchanged",
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
            ),
            "success",
        )
        return redirect(url_for("registry.residents", code=code))
    return _import_page(form, status=422 if request.method == "POST" else 200)


def _import_page(
    form: ImportForm,
    *,
    lines: list[dict[str, Any]] | None = None,
    total: int = 0,
    filename: str | None = None,
    status: int = 200,
) -> Any:
    return render_template(
        "registry/import.html",
        form=form,
        lines=lines or [],
        total=total,
        filename=filename,
        required_columns=REQUIRED_COLUMNS,
        optional_columns=OPTIONAL_COLUMNS,
        header=",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS),
        example=EXAMPLE_CSV,
        line_error=import_error_text,
    ), status


@bp.route("/c/<code>/residents/export.csv")
@permission("registry:residents:export")
def export(code: str) -> Any:
    body = service.export_residents(g.actor, g.community, _cipher())
    filename = f"residents-{g.community.code}-{clock.today().isoformat()}.csv"
    return Response(
        body,
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
