"""Sign-in, sign-out, sign-up, verification by code, and role management pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from consult.accounts import service
from consult.accounts.forms import EmptyForm, GrantRoleForm, LoginForm, SignUpForm, VerifyCodeForm
from consult.accounts.policy import PUBLIC
from consult.actor import GRANTABLE_ROLES
from consult.errors import Conflict, DomainError, Invalid, TooMany
from consult.extensions import db
from consult.registry.enrolment import redeem_verification_code
from consult.web.labels import domain_message, role_label
from consult.web.limits import login_attempts, rate_limited
from consult.web.permissions import AUTHENTICATED, permission

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@permission(PUBLIC)
@rate_limited(login_attempts, methods=["POST"])
def login() -> Any:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = service.authenticate(
                form.email.data or "",
                form.password.data or "",
                max_failures=current_app.config["LOGIN_FAILURES_MAX"],
                window_minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"],
            )
        except TooMany:
            form.email.errors = [
                _(
                    "Too many failed sign-ins for this account. "
                    "Please wait 15 minutes and try again."
                )
            ]
            return render_template("accounts/login.html", form=form), 429
        if user is None:
            db.session.commit()  # the failure must be counted even though we answer with an error
            form.password.errors = [_("The e-mail or password is not right.")]
            status = 200
        else:
            login_user(user)
            flash(_("Signed in."), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@permission(PUBLIC)
def logout() -> Any:
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("Signed out."), "success")
    return redirect(url_for("home.index"))


@bp.route("/signup", methods=["GET", "POST"])
@permission(PUBLIC)
@rate_limited(login_attempts, methods=["POST"])
def signup() -> Any:
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = service.sign_up(
                form.email.data or "", form.password.data or "", form.display_name.data or ""
            )
        except DomainError as exc:
            db.session.rollback()
            form.email.errors = (
                [_("An account with this e-mail already exists.")]
                if exc.code == "conflict"
                else [domain_message(exc.message)]
            )
        else:
            db.session.commit()
            login_user(user)
            flash(
                _(
                    "Your account is created. Enter the verification code the committee "
                    "gave you, or ask at the desk."
                ),
                "success",
            )
            return redirect(url_for("accounts.verify"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/verify", methods=["GET", "POST"])
@permission(AUTHENTICATED)
@rate_limited(login_attempts, methods=["POST"])
def verify() -> Any:
    form = VerifyCodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            redeem_verification_code(
                g.actor,
                form.code.data or "",
                max_failures=current_app.config["VERIFY_FAILURES_MAX"],
            )
        except TooMany:
            form.code.errors = [_("Too many wrong codes. Please wait 15 minutes and try again.")]
            status = 429
        except DomainError as exc:
            db.session.commit()  # count the failed attempt
            form.code.errors = [_code_message(exc.message)]
            status = 422
        else:
            flash(_("Your account is verified. You can now take part online."), "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/verify.html", form=form), status


def _code_message(message: str) -> str:
    messages = {
        "this code is not valid": _("This code is not valid."),
        "this code has already been used": _("This code has already been used."),
        "this code has expired; ask the committee for a new one": _(
            "This code has expired. Ask the committee for a new one."
        ),
        "this account is already verified": _("Your account is already verified."),
    }
    return messages.get(message, message)


@bp.route("/c/<code>/roles", methods=["GET", "POST"])
@permission("accounts:roles:read", POST="accounts:roles:manage")
def roles(code: str) -> Any:
    form = GrantRoleForm()
    form.role.choices = [(r.value, _role_label(r.value)) for r in GRANTABLE_ROLES]
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.grant_role(g.actor, g.community.id, form.email.data or "", form.role.data or "")
        except (Invalid, Conflict) as exc:
            db.session.rollback()
            form.email.errors = [_grant_message(exc.message)]
            status = 422
        else:
            flash(_("Role granted."), "success")
            return redirect(url_for("accounts.roles", code=code))
    elif request.method == "POST":
        status = 422
    holders = service.role_holders(g.actor, g.community.id)
    return render_template(
        "accounts/roles.html",
        form=form,
        holders=holders,
        revoke_form=EmptyForm(formdata=None),
        role_label=_role_label,
    ), status


def _grant_message(message: str) -> str:
    messages = {
        "no account with this e-mail": _(
            "There is no account with this e-mail. The person must sign up first."
        ),
        "not an e-mail address": _("This is not an e-mail address."),
        "this person already holds this role": _("This person already holds this role."),
        "unknown role": _("Choose one of the roles in the list."),
    }
    return messages.get(message, message)


@bp.route("/c/<code>/roles/<int:assignment_id>/revoke", methods=["POST"])
@permission("accounts:roles:manage")
def revoke(code: str, assignment_id: int) -> Any:
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            service.revoke_role(g.actor, g.community.id, assignment_id)
        except Conflict as exc:
            db.session.rollback()
            flash(_revoke_message(exc.message), "error")
        else:
            flash(_("Role ended."), "success")
    return redirect(url_for("accounts.roles", code=code))


def _revoke_message(message: str) -> str:
    messages = {
        "this role has already ended": _("This role has already ended."),
        "you cannot remove your own staff role": _("You cannot remove your own staff role."),
    }
    return messages.get(message, message)


def _role_label(role: str) -> str:
    return role_label(role)
