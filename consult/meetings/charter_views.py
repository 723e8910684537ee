"""Staff pages for the charter (自治章程) and for the seats on councils and committees: view and
adopt a charter version, see a body's members with the composition warnings, add a member,
end a membership. Each route parses, calls the service, and renders or redirects."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from consult.errors import DomainError, Invalid
from consult.extensions import db
from consult.meetings import charter as charters
from consult.meetings import memberships, service
from consult.meetings.charter_forms import CharterForm, EndMembershipForm, MemberForm
from consult.meetings.views import _locale, body_kind_label, decision_label, problem_text
from consult.registry.models import Resident
from consult.rules.model import BodyKind, DecisionType
from consult.rules.overlay_data import entry_words
from consult.rules.thresholds import BASIS_EN, BASIS_ZH, Basis
from consult.web.permissions import permission

bp = Blueprint("bodies", __name__)


# ---------------------------------------------------------------- the charter


def _charter_choices(form: CharterForm) -> None:
    form.kind.choices = [
        ("charter", _("Self-governance charter (自治章程)")),
        ("provincial", _("Provincial regulation")),
    ]
    form.body.choices = [(k.value, service_body_label(k.value)) for k in BodyKind]
    form.decision_type.choices = [("", _("Every decision of the body"))] + [
        (d.value, decision_label(d.value)) for d in DecisionType
    ]
    words = BASIS_ZH if _locale() == "zh" else BASIS_EN
    form.basis.choices = [("", _("(unchanged)"))] + [(b.value, words[b]) for b in Basis]
    form.op.choices = [(">=", _("or more (以上)")), (">", _("more than (超过)"))]


def _rule_scope(rule: dict[str, Any]) -> str:
    """居民会议 · 重要事项: the body and the decisions an overlay entry tightens."""
    decisions = (
        decision_label(rule["decision_type"]) if rule.get("decision_type") else _("every decision")
    )
    return f"{service_body_label(rule['body'])} · {decisions}"


def service_body_label(kind: str) -> str:
    return body_kind_label(kind, g.community.kind)


def _rules_from(form: CharterForm) -> Any:
    if (form.rules_json.data or "").strip():
        try:
            return json.loads(form.rules_json.data)
        except ValueError:
            raise Invalid("not JSON", details={"rules_json": "not JSON"}) from None
    rule: dict[str, Any] = {
        "body": form.body.data,
        "decision_type": form.decision_type.data or None,
    }
    if form.basis.data and form.num.data and form.den.data:
        rule["threshold"] = {
            "basis": form.basis.data,
            "op": form.op.data,
            "num": form.num.data,
            "den": form.den.data,
        }
    if form.notice_days.data is not None:
        rule["notice_days"] = form.notice_days.data
    return [rule]


@bp.route("/c/<code>/charter", methods=["GET", "POST"])
@permission("meetings:bodies:read", POST="meetings:charter:adopt")
def charter(code: str) -> Any:
    form = CharterForm()
    _charter_choices(form)
    problems: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        try:
            charters.adopt_charter(
                g.actor,
                g.community,
                title=form.title.data or "",
                kind=form.kind.data or "charter",
                article=form.article.data or 0,
                effective_from=form.effective_from.data,
                decision_reference=form.decision_reference.data or "",
                rules=_rules_from(form),
            )
        except DomainError as exc:
            db.session.rollback()
            problems = dict(exc.details or {}) if isinstance(exc.details, dict) else {}
            flash(problem_text(exc) if not problems else _("The charter was not adopted."), "error")
        else:
            flash(_("The new version of the charter was recorded."), "success")
            return redirect(url_for("bodies.charter", code=code), 303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "meetings/charter.html",
        form=form,
        problems=problems,
        charters=charters.charters_json(g.community),
        locale=_locale(),
        rule_scope=_rule_scope,
        rule_words=lambda rule: entry_words(rule, _locale()),
    ), status


# ---------------------------------------------------------------- a body and its members


@bp.route("/bodies/<int:body_id>")
@permission("meetings:bodies:read")
def body(body_id: int) -> Any:
    found = service.get_body(g.community, body_id)
    return render_template(
        "meetings/body.html",
        body=found,
        detail=service.body_detail(g.actor, found),
        form=MemberForm(formdata=None),
        end_form=EndMembershipForm(formdata=None),
        locale=_locale(),
    )


def _resident_by_name(name: str) -> int:
    found = list(
        db.session.execute(
            select(Resident.id).where(
                Resident.community_id == g.community.id, Resident.name == name.strip()
            )
        ).scalars()
    )
    if len(found) != 1:
        raise Invalid("unknown name", details={"resident": name}, code="unknown_name")
    return found[0]


def _done(body_id: int, result: memberships.MembershipResult, message: str) -> Any:
    flash(message, "success")
    for w in result.warnings:
        text = w.zh if _locale() == "zh" else w.en
        flash(f"{text}（{w.citation.rule_id}）", "warning")
    return redirect(url_for("bodies.body", body_id=body_id), 303)


def _refused(body_id: int, exc: DomainError) -> Any:
    db.session.rollback()
    by_code = {
        "unknown_name": _("Not found in the register, or more than one resident has this name."),
        "already_member": _("This person already holds a seat on this body in that period."),
        "already_ended": _("This membership has already ended."),
    }
    flash(by_code.get(exc.code) or problem_text(exc), "error")
    return redirect(url_for("bodies.body", body_id=body_id), 303)


@bp.route("/bodies/<int:body_id>/members", methods=["POST"])
@permission("meetings:memberships:add")
def add_member(body_id: int) -> Any:
    found = service.get_body(g.community, body_id)
    form = MemberForm()
    if not form.validate_on_submit():
        flash(_("Something in the input is not right."), "error")
        return redirect(url_for("bodies.body", body_id=body_id), 303)
    try:
        result = memberships.add_member(
            g.actor,
            found,
            resident_id=_resident_by_name(form.resident.data or ""),
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
        )
    except DomainError as exc:
        return _refused(body_id, exc)
    return _done(body_id, result, _("The member was added."))


@bp.route("/bodies/<int:body_id>/members/<int:resident_id>/end", methods=["POST"])
@permission("meetings:memberships:end")
def end_member(body_id: int, resident_id: int) -> Any:
    found = service.get_body(g.community, body_id)
    form = EndMembershipForm()
    if not form.validate_on_submit():
        flash(_("Something in the input is not right."), "error")
        return redirect(url_for("bodies.body", body_id=body_id), 303)
    try:
        result = memberships.end_membership(
            g.actor,
            found,
            resident_id=resident_id,
            ends_on=form.ends_on.data,
            reason=form.reason.data or "",
        )
    except DomainError as exc:
        return _refused(body_id, exc)
    return _done(body_id, result, _("The membership was ended."))
