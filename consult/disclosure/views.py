"""Disclosure pages for the committee and the supervisory committee (issue 6): the manage page
(every version, the schedule's dashboard, open queries), drafts and their ledgers, the review,
publication and countersignature, corrections, answers and escalations, the community's policy."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from consult.accounts.forms import EmptyForm
from consult.accounts.policy import can
from consult.disclosure import ledger, queries, service
from consult.disclosure.forms import (
    AnswerForm,
    CorrectionForm,
    EditDisclosureForm,
    EntryForm,
    EscalateForm,
    LedgerImportForm,
    NewDisclosureForm,
    PolicyForm,
    ReviewForm,
    VoidForm,
    VoucherForm,
)
from consult.disclosure.models import (
    Disclosure,
    DisclosureQuery,
    DisclosureState,
    LedgerEntry,
    ReviewDecision,
)
from consult.disclosure.state import has_ledger
from consult.documents import service as documents
from consult.documents import statements
from consult.documents.forms import FirstSignForm, SignForm
from consult.documents.markdown_text import markdown_to_safe_html
from consult.documents.models import SigningRole
from consult.documents.toolkit import toolkit
from consult.documents.views import problem_text as signing_problem_text
from consult.errors import DomainError, Invalid, NotFound
from consult.extensions import db
from consult.rules import disclosure as rules
from consult.rules.citations import localized
from consult.rules.ledger_csv import HEADER, Direction, format_fen
from consult.web.actions import act
from consult.web.downloads import DOWNLOAD_CSP
from consult.web.labels import role_label, translate_reason
from consult.web.limits import login_attempts, rate_limited
from consult.web.permissions import permission

bp = Blueprint("disclosure", __name__)

#: A ledger file's line errors listed on the page (the rest are counted).
MAX_LINE_ERRORS = 200


# ---------------------------------------------------------------- words


def _locale() -> str:
    return str(get_locale())


def category_label(category: str) -> str:
    try:
        names = rules.CATEGORY_NAMES[rules.Category(category)]
    except ValueError:
        return category
    return localized(*names, _locale())


def period_label(period: str | rules.Period) -> str:
    try:
        parsed = rules.parse_period(period) if isinstance(period, str) else period
    except ValueError:
        return str(period)
    return parsed.text(_locale())


def state_label(state: str) -> str:
    """草稿 / 待审核 / 已退回 / 已审核 / 签署中 / 已公开 / 已被更正."""
    return {
        DisclosureState.DRAFT: _("Draft"),
        DisclosureState.SUBMITTED: _("Awaiting review"),
        DisclosureState.RETURNED: _("Returned for changes"),
        DisclosureState.APPROVED: _("Approved"),
        DisclosureState.SIGNING: _("Signing in progress"),
        DisclosureState.PUBLISHED: _("Disclosed"),
        DisclosureState.SUPERSEDED: _("Replaced by a correction"),
    }.get(DisclosureState(state), state)


#: The state's badge, in the colours the minutes' states use.
STATE_CLASS = {
    "draft": "minutes-state-draft",
    "submitted": "state-noticed",
    "returned": "minutes-state-draft",
    "approved": "minutes-state-signing",
    "signing": "minutes-state-signing",
    "published": "minutes-state-published",
    "superseded": "minutes-state-superseded",
}


def rule_text(rule: rules.Rule) -> str:
    return rule.text(_locale())


def policy_mark() -> str:
    """The mark "policy, not law" (平台默认设置，非法定) as the rules word it."""
    return localized(rules.POLICY_LABEL_ZH, rules.POLICY_LABEL_EN, _locale())


def citation_text(rule: rules.Rule) -> str:
    return rule.citation.text(_locale()[:2]) if rule.citation is not None else ""


def due_text(status: rules.DueStatus) -> str:
    """Where a disclosure (or an answer) stands, with its days."""
    state = status.state
    if state is rules.DueState.OVERDUE:
        return _("Overdue by %(n)d days", n=status.days_overdue)
    if state is rules.DueState.DUE:
        if status.days_left == 0:
            return _("Due today")
        return _("Due in %(n)d days", n=status.days_left)
    if state is rules.DueState.LATE:
        return _("Published %(n)d days late", n=status.days_late)
    if state is rules.DueState.ON_TIME:
        return _("Published on time")
    return _("Not yet due")


def answer_text(status: rules.DueStatus) -> str:
    state = status.state
    if state is rules.DueState.OVERDUE:
        return _("Answer overdue by %(n)d days", n=status.days_overdue)
    if state is rules.DueState.LATE:
        return _("Answered %(n)d days late", n=status.days_late)
    if state is rules.DueState.ON_TIME:
        return _("Answered on time")
    if status.days_left == 0:
        return _("Answer due today")
    return _("Answer due in %(n)d days", n=status.days_left)


def kind_label(kind: str) -> str:
    return _("Objection") if kind == "objection" else _("Question")


def direction_label(direction: str) -> str:
    return _("Income") if direction == Direction.INCOME else _("Expense")


def yuan(fen: int | None) -> str:
    """For reading: thousands separated."""
    return "" if fen is None else format_fen(fen, grouping=True)


def yuan_input(fen: int | None) -> str:
    """For a form field: the plain form parse_amount reads back."""
    return "" if fen is None else format_fen(fen)


def problem_text(exc: DomainError) -> str:
    """A refusal of the disclosure or signing services in the words the pages flash."""
    by_code = {
        "not_editable": _(
            "This version no longer changes: it is under review or being signed. A published "
            "disclosure is corrected by a new version."
        ),
        "not_submitted": _("Only a disclosure awaiting review is reviewed."),
        "own_submission": _("The person who submitted a disclosure does not review it."),
        "not_approved": _(
            "A disclosure is published once the supervisory committee has approved it."
        ),
        "no_renderer": _("Publishing is not set up on this server (the PDF layout is missing)."),
        "out_of_order": _("Not yet: the staff sign first, then a supervisor countersigns."),
        "same_signer": _("The person who signed as staff does not countersign."),
        "correction_exists": _("A correction of this version is already under way."),
        "not_published": _("Only the disclosed version is corrected; a draft is simply edited."),
        "already_answered": _("This query has been answered already."),
        "superseded": _(
            "This version was replaced by a correction: answer on the current version."
        ),
        "already_escalated": _("This query has been taken up already."),
        "already_voided": _("This line is already struck out."),
        "no_ledger": _("Only a finance or government-funds disclosure has a ledger."),
        "balances_missing": _("A statement needs its opening and closing balances."),
        "empty": _("There is nothing to disclose yet: write the text or import the ledger."),
        "unsupported_type": _("A voucher scan is a PDF, PNG or JPEG file."),
        "too_large": _("The file is too large."),
        "invalid_policy": _("These numbers are not allowed."),
    }
    if exc.code == "not_reconciled" and isinstance(exc.details, dict):
        return reconcile_text(
            int(exc.details.get("expected_closing_fen", 0)),
            int(exc.details.get("stated_closing_fen", 0)),
        )
    if exc.code in by_code:
        return by_code[exc.code]
    return signing_problem_text(exc)


def reconcile_text(expected_fen: int, stated_fen: int) -> str:
    return _(
        "The statement does not reconcile: opening balance + income − expense = %(expected)s "
        "yuan, but the closing balance is %(stated)s yuan (a difference of %(difference)s yuan).",
        expected=yuan(expected_fen),
        stated=yuan(stated_fen),
        difference=yuan(stated_fen - expected_fen),
    )


# ---------------------------------------------------------------- a ledger file's line errors
#
# The ledger CSV (consult.rules.ledger_csv) explains each bad line in English; the common
# phrasings are put in the reader's words here, the values given kept as they were, and
# anything not recognised shown unchanged.


def _column(code: str) -> str:
    names = {
        "date": _("Date"),
        "voucher": _("Voucher number"),
        "summary": _("Summary"),
        "category": _("Account category"),
        "direction": _("Income or expense"),
        "amount": _("Amount"),
        "counterparty": _("Paid by or to"),
    }
    if code not in names or not _locale().startswith("zh"):
        return code
    return _("%(code)s (%(name)s)", code=code, name=names[code])


_LINE_ERRORS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"the file is not UTF-8 text.*"),
        lambda m: _("The file is not UTF-8 text (save it as “CSV UTF-8”)."),
    ),
    (re.compile(r"the file is empty"), lambda m: _("The file is empty.")),
    (
        re.compile(r"the file has a header but no entries|no entries"),
        lambda m: _("The file has a header row but no entries."),
    ),
    (
        re.compile(r"the file has more than (?P<n>\d+) entries.*"),
        lambda m: _("The file has more than %(n)s entries: split it into periods.", n=m["n"]),
    ),
    (
        re.compile(r".*\(the header must be exactly: (?P<h>[^)]*)\)"),
        lambda m: _("The first line must be exactly: %(header)s", header=m["h"]),
    ),
    (
        re.compile(r"not valid CSV: a quoted cell is not closed.*"),
        lambda m: _("Not valid CSV: a quoted cell is not closed before the end of the file."),
    ),
    (
        re.compile(r"expected (?P<w>\d+) fields, found (?P<n>\d+)"),
        lambda m: _(
            "Expected %(expected)s fields, found %(found)s.", expected=m["w"], found=m["n"]
        ),
    ),
    (
        re.compile(r"(?P<f>\w+) starts with (?P<c>.+), which a spreadsheet may run as a formula.*"),
        lambda m: _(
            "%(column)s starts with %(char)s, which a spreadsheet may run as a formula: remove it.",
            column=_column(m["f"]),
            char=m["c"],
        ),
    ),
    (
        re.compile(r"(?P<f>\w+) contains a line break, a tab or another control character"),
        lambda m: _(
            "%(column)s contains a line break or another control character.", column=_column(m["f"])
        ),
    ),
    (
        re.compile(r"(?P<f>\w+) is empty"),
        lambda m: _("%(column)s is empty.", column=_column(m["f"])),
    ),
    (
        re.compile(r"(?P<f>\w+) is longer than (?P<n>\d+) characters"),
        lambda m: _(
            "%(column)s is longer than %(n)s characters.", column=_column(m["f"]), n=m["n"]
        ),
    ),
    (
        re.compile(r"date (?P<v>.+) is not a day of the calendar"),
        lambda m: _("The date %(value)s is not a day of the calendar.", value=m["v"]),
    ),
    (
        re.compile(r"date must be ISO 8601 like 2026-10-08, not (?P<v>.*)"),
        lambda m: _("Write the date like 2026-10-08, not %(value)s.", value=m["v"]),
    ),
    (
        re.compile(r"date (?P<v>\S+) is in the future"),
        lambda m: _("The date %(value)s is in the future.", value=m["v"]),
    ),
    (
        re.compile(r"date (?P<v>\S+) is outside the period \S+ \((?P<a>\S+) to (?P<b>\S+)\)"),
        lambda m: _(
            "The date %(value)s is outside this disclosure's period (%(first)s to %(last)s).",
            value=m["v"],
            first=m["a"],
            last=m["b"],
        ),
    ),
    (
        re.compile(r"direction must be income or expense, not (?P<v>.*)"),
        lambda m: _("direction must be income or expense, not %(value)s.", value=m["v"]),
    ),
    (
        re.compile(r"amount (?P<v>.+) is negative.*"),
        lambda m: _(
            "The amount %(value)s is negative: write a positive amount and say income or "
            "expense in the direction column.",
            value=m["v"],
        ),
    ),
    (
        re.compile(r"amount must be yuan written with digits.*, not (?P<v>.*)"),
        lambda m: _(
            "Write the amount in yuan with digits and at most two decimals, like 1234.56 (no "
            "currency sign, commas or spaces), not %(value)s.",
            value=m["v"],
        ),
    ),
    (
        re.compile(r"amount (?P<v>.+) has (?P<n>\d+) decimal places.*"),
        lambda m: _("The amount %(value)s has more than two decimals.", value=m["v"]),
    ),
    (
        re.compile(r"amount is zero.*"),
        lambda m: _("The amount is zero: leave out a line that moves no money."),
    ),
    (re.compile(r"amount is empty"), lambda m: _("The amount is empty.")),
    (
        re.compile(r"amount (?P<v>.+) is too large.*"),
        lambda m: _("The amount %(value)s is too large.", value=m["v"]),
    ),
]


def line_error(text: str) -> str:
    """One line's reasons (joined by "; ") in the reader's words."""
    parts = (part.strip() for part in text.split("; "))
    return " ".join(translate_reason(part, _LINE_ERRORS) for part in parts if part)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "category_label": category_label,
        "period_label": period_label,
        "disclosure_state_label": state_label,
        "state_class": STATE_CLASS,
        "rule_text": rule_text,
        "citation_text": citation_text,
        "policy_mark": policy_mark,
        "due_text": due_text,
        "answer_text": answer_text,
        "query_kind_label": kind_label,
        "direction_label": direction_label,
        "yuan": yuan,
        "board_url": _board_url,
    }


def _board_url(endpoint: str, **values: Any) -> str | None:
    """A link to the public board's pages (consult.disclosure.board_views), if they exist."""
    endpoint = f"disclosure_board.{endpoint}"
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


# ---------------------------------------------------------------- the manage page


@dataclass(frozen=True)
class OpenQuery:
    query: DisclosureQuery
    disclosure: Disclosure
    status: rules.DueStatus


@bp.route("/c/<code>/disclosures/manage")
@permission("disclosure:draft:read")
def manage(code: str) -> Any:
    """Every version newest first, the schedule's dashboard and the open queries."""
    versions = service.list_disclosures(g.actor, g.community)
    newest = {}
    for found in reversed(versions):  # oldest first: the newest of each period wins
        newest[(found.category, found.period)] = found
    by_id = {d.id: d for d in versions}
    open_rows = [
        OpenQuery(q, by_id.get(q.disclosure_id) or _disclosure(q.disclosure_id), _status(q))
        for q in queries.open_queries(g.community)
    ]
    return render_template(
        "disclosure/manage.html",
        versions=versions,
        dashboard=service.dashboard(g.community),
        newest=newest,
        schedule=service.schedule_of(g.community),
        open_queries=open_rows,
    )


def _status(found: DisclosureQuery) -> rules.DueStatus:
    return queries.answer_status(found)


# ---------------------------------------------------------------- a new draft


def _new_form(**kwargs: Any) -> NewDisclosureForm:
    return NewDisclosureForm(locale=_locale(), **kwargs)


def _suggested(category: str, period: str) -> dict[str, str]:
    """What a link from the dashboard fills in: the category, the period and a title."""
    data = {"lang": "zh-Hans"}
    if category in {c.value for c in rules.Category}:
        data["category"] = category
    try:
        parsed = rules.parse_period(period)
    except ValueError:
        return data
    data["period"] = str(parsed)
    if "category" in data:
        zh = rules.CATEGORY_NAMES[rules.Category(category)][0]
        data["title"] = f"{parsed.text('zh-Hans')}{zh}公开"
    return data


@bp.route("/c/<code>/disclosures/new", methods=["GET", "POST"])
@permission("disclosure:disclosure:write")
def new(code: str) -> Any:
    """A new draft: category, period, title, text and the PDF's language."""
    suggested = _suggested(request.args.get("category", ""), request.args.get("period", ""))
    form = _new_form(data=suggested)
    if form.validate_on_submit():
        try:
            found = service.create_disclosure(
                g.actor,
                g.community,
                category=form.category.data or "",
                period=(form.period.data or "").strip(),
                title=form.title.data or "",
                body=form.body.data or "",
                lang=form.lang.data,
            )
        except Invalid as exc:
            db.session.rollback()
            _field_errors(form, exc, fallback="title")
            return _new_page(form, 422)
        flash(_("The draft is created. Write it, then send it to the supervisory committee."))
        return redirect(url_for("disclosure.workspace", disclosure_id=found.id), 303)
    return _new_page(form, 422 if form.errors else 200)


def _new_page(form: NewDisclosureForm, status: int) -> Any:
    schedule = service.schedule_of(g.community)
    frequencies = None
    if schedule is not None:
        frequencies = {
            "finance": schedule.category(rules.Category.FINANCE).frequency.value,
            "general": schedule.category(rules.Category.DECISIONS).frequency.value,
        }
    return render_template("disclosure/new.html", form=form, frequencies=frequencies), status


def _field_errors(
    form: FlaskForm, exc: Invalid, *, fallback: str, names: dict[str, str] | None = None
) -> None:
    """A service's refusal shown next to the field it names (the form's own words where
    known), else next to `fallback`."""
    details = exc.details if isinstance(exc.details, dict) else {}
    renamed = names or {}
    placed = False
    for key in details:
        field = getattr(form, renamed.get(str(key), str(key)), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, _field_problem(key, exc)]
            placed = True
    if not placed:
        field = getattr(form, fallback)
        field.errors = [*field.errors, _field_problem(fallback, exc)]


def _field_problem(key: str, exc: Invalid) -> str:
    if exc.code == "wrong_period":
        return _(
            "This community's schedule discloses this category for another kind of period: "
            "give a month like 2026-10 for monthly items, a quarter like 2026-Q4 for "
            "quarterly ones, or a date for a one-off matter."
        )
    if exc.code == "invalid_period":
        return _("Write a month like 2026-10, a quarter like 2026-Q4, or a date like 2026-10-15.")
    if exc.code == "not_reconciled":
        return problem_text(exc)
    by_key = {
        "title": _("Please fill this in."),
        "category": _("Choose one of the categories in the list."),
        "lang": _("Choose one of the languages in the list."),
        "balances": _("Give the opening and the closing balance together."),
        "opening_balance": _("Write a whole number of fen in yuan, like 12345.60."),
        "closing_balance": _("Write a whole number of fen in yuan, like 12345.60."),
    }
    if isinstance(exc.details, dict) and str(exc.details.get(key, "")).startswith("at most"):
        return _("The text is too long.")
    return by_key.get(key, problem_text(exc))


# ---------------------------------------------------------------- the workspace


def _disclosure(disclosure_id: int) -> Disclosure:
    return service.get_disclosure(g.actor, disclosure_id)


def _page(found: Disclosure, anchor: str = "") -> str:
    page = url_for("disclosure.workspace", disclosure_id=found.id)
    return page + (f"#{anchor}" if anchor else "")


@dataclass(frozen=True)
class Event:
    """One step of a version's history."""

    at: datetime
    what: str
    who: str = ""
    comment: str = ""
    decision: str = ""


@dataclass(frozen=True)
class LedgerView:
    entries: list[LedgerEntry]
    live: int
    statement: Any  # consult.rules.ledger_csv.Statement, or None when it cannot be made
    check: Any  # its Reconciliation with the stated closing balance, or None
    vouchers: list[Any]


def _names(ids: Iterable[int | None]) -> dict[int, str]:
    return documents.person_names(i for i in ids if i is not None)


def _history(found: Disclosure, names: dict[int, str]) -> list[Event]:
    events = [Event(found.created_at, _("Draft created"), names.get(found.created_by or 0, ""))]
    if found.correction_reason:
        events[0] = Event(
            found.created_at,
            _("Correction of version %(n)d started", n=found.version - 1),
            names.get(found.created_by or 0, ""),
            found.correction_reason,
        )
    for submitted_at, submitted_by in service.submissions_of(found):
        events.append(
            Event(
                submitted_at,
                _("Sent to the supervisory committee"),
                names.get(submitted_by or 0, ""),
            )
        )
    for review in service.reviews_of(found):
        approved = review.decision == ReviewDecision.APPROVE
        events.append(
            Event(
                review.reviewed_at,
                _("Approved by the supervisory committee")
                if approved
                else _("Returned by the supervisory committee"),
                names.get(review.reviewer_id, ""),
                review.comment,
                review.decision,
            )
        )
    for signature in statements.signatures_of(found):
        staff = signature.role == SigningRole.STAFF
        events.append(
            Event(
                signature.signed_at,
                _("Signed by the staff")
                if staff
                else _("Countersigned by the supervisory committee"),
                names.get(signature.user_id, ""),
            )
        )
    if found.superseded_at is not None:
        events.append(Event(found.superseded_at, _("Replaced by a correction")))
    return sorted(events, key=lambda e: e.at)


def _ledger_view(found: Disclosure) -> LedgerView | None:
    if not has_ledger(found):
        return None
    entries = ledger.entries_of(found, include_voided=True)
    try:
        statement = ledger.statement_of(found)
    except ValueError:  # a line outside the period: the import refuses it, so never expected
        statement = None
    check = None
    if statement is not None and found.closing_balance_fen is not None:
        check = statement.check(found.closing_balance_fen)
    live = sum(1 for e in entries if e.voided_at is None)
    return LedgerView(entries, live, statement, check, ledger.vouchers_of(found))


def _edit_data(found: Disclosure) -> dict[str, Any]:
    return {
        "title": found.title,
        "body": found.body,
        "lang": found.lang,
        "opening_balance": yuan_input(found.opening_balance_fen),
        "closing_balance": yuan_input(found.closing_balance_fen),
    }


def _first_signature(found: Disclosure, role: SigningRole) -> bool:
    assert g.actor.user_id is not None
    return documents.signer_certificate(found.community_id, g.actor.user_id, role) is None


def _sign_role(found: Disclosure) -> SigningRole | None:
    """The role in which the reader signs this version now, if any."""
    if g.actor.user_id is None:
        return None
    state = found.disclosure_state
    if state is DisclosureState.APPROVED and _can("disclosure:disclosure:publish", found):
        return SigningRole.STAFF
    if state is DisclosureState.SIGNING and _can("disclosure:disclosure:countersign", found):
        return SigningRole.SUPERVISOR
    return None


def _can(permission_name: str, found: Disclosure) -> bool:
    return can(g.actor, permission_name, found.community_id)


def _sign_form(found: Disclosure, role: SigningRole | None, *, posted: bool) -> FlaskForm | None:
    if role is None:
        return None
    first = _first_signature(found, role)
    form: FlaskForm
    if posted:
        form = FirstSignForm() if first else SignForm()
    else:
        form = FirstSignForm(formdata=None) if first else SignForm(formdata=None)
    form.role.data = role.value
    return form


def _workspace(found: Disclosure, status: int = 200, **override: Any) -> Any:
    """The staff workspace of one version, with blank forms except those given (a form
    refused on POST comes back with its input and errors)."""
    sign_role = _sign_role(found)
    forms: dict[str, Any] = {
        "edit_form": EditDisclosureForm(formdata=None, data=_edit_data(found)),
        "import_form": LedgerImportForm(formdata=None),
        "entry_form": EntryForm(formdata=None),
        "voucher_form": VoucherForm(formdata=None),
        "void_form": VoidForm(formdata=None),
        "void_for": None,
        "submit_form": EmptyForm(formdata=None),
        "review_form": ReviewForm(formdata=None),
        "sign_form": _sign_form(found, sign_role, posted=False),
        "correction_form": CorrectionForm(formdata=None),
        "answer_form": AnswerForm(formdata=None),
        "answer_for": None,
        "escalate_form": EscalateForm(formdata=None),
        "escalate_for": None,
        "line_errors": None,
        "line_error_total": 0,
    }
    forms.update(override)
    reviews = service.reviews_of(found)
    signatures = statements.signatures_of(found)
    on_it = queries.queries_on(found)
    books = _ledger_view(found)
    names = _names(
        [found.created_by, *(who for _at, who in service.submissions_of(found))]
        + [r.reviewer_id for r in reviews]
        + [s.user_id for s in signatures]
        + [q.answered_by for q in on_it]
        + [q.escalated_by for q in on_it]
        + [q.filed_by for q in on_it]
        + ([e.voided_by for e in books.entries] if books else [])
    )
    versions = service.versions_of(g.actor, found)
    returned = [r for r in reviews if r.decision == ReviewDecision.RETURN]
    return render_template(
        "disclosure/workspace.html",
        d=found,
        versions=versions,
        history=_history(found, names),
        last_return=returned[-1] if returned and found.state == DisclosureState.RETURNED else None,
        names=names,
        books=books,
        preview=markdown_to_safe_html(found.body) if found.body.strip() else None,
        signatures=signatures,
        sign_role=sign_role.value if sign_role else None,
        first_signature=isinstance(forms["sign_form"], FirstSignForm),
        queries=[(q, queries.answer_status(q), _carried(found, q)) for q in on_it],
        correction=_correction_of(found, versions),
        header=",".join(HEADER),
        role_label=role_label,
        **forms,
    ), status


def _carried(found: Disclosure, query: DisclosureQuery) -> DisclosureQuery | None:
    """Where an unanswered query on a superseded version went (the correction's copy)."""
    if query.answered_at is not None or found.state != DisclosureState.SUPERSEDED:
        return None
    return queries.carried_to(query)


def _correction_of(found: Disclosure, versions: list[Disclosure]) -> Disclosure | None:
    """The version that corrects this one, if any."""
    return next((v for v in versions if v.previous_id == found.id), None)


@bp.route("/disclosures/<int:disclosure_id>/work")
@permission("disclosure:draft:read")
def workspace(disclosure_id: int) -> Any:
    """One version: its state and history, the text and ledger while it is editable, and the
    next step of its review, signing or correction."""
    return _workspace(_disclosure(disclosure_id))


@bp.route("/disclosures/<int:disclosure_id>/edit", methods=["POST"])
@permission("disclosure:disclosure:write")
def edit(disclosure_id: int) -> Any:
    found = _disclosure(disclosure_id)
    form = EditDisclosureForm()
    if not form.validate_on_submit():
        return _workspace(found, 422, edit_form=form)
    opening, closing = form.balances_fen()
    # The balance fields are on the form only for a statement of funds (a ledger).
    ledgered = has_ledger(found)
    try:
        service.update_disclosure(
            g.actor,
            found,
            title=form.title.data or "",
            body=form.body.data or "",
            lang=form.lang.data,
            opening_balance_fen=opening if ledgered else None,
            closing_balance_fen=closing if ledgered else None,
            clear_balances=ledgered and form.balances_emptied(),
        )
    except Invalid as exc:
        db.session.rollback()
        _field_errors(form, exc, fallback="title", names={"balances": "closing_balance"})
        return _workspace(_disclosure(disclosure_id), 422, edit_form=form)
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(_page(found), 303)
    flash(_("Saved."), "success")
    return redirect(_page(found, "text"), 303)


@bp.route("/disclosures/<int:disclosure_id>/ledger", methods=["POST"])
@permission("disclosure:disclosure:write")
def import_ledger(disclosure_id: int) -> Any:
    """The ledger CSV, all or nothing: a file with one bad line imports nothing and every bad
    line is listed with its number."""
    found = _disclosure(disclosure_id)
    form = LedgerImportForm()
    if not form.validate_on_submit():
        return _workspace(found, 422, import_form=form)
    data = form.ledger_file.data.read()
    try:
        created = ledger.import_ledger(g.actor, found, data, replace=bool(form.replace.data))
    except Invalid as exc:
        db.session.rollback()
        errors = exc.details if isinstance(exc.details, list) else []
        lines = [(int(e["line"]), line_error(str(e["error"]))) for e in errors]
        if not lines:
            lines = [(1, problem_text(exc))]
        return _workspace(
            _disclosure(disclosure_id),
            422,
            import_form=form,
            line_errors=lines[:MAX_LINE_ERRORS],
            line_error_total=len(lines),
        )
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(_page(found, "ledger"), 303)
    flash(_("%(n)d lines imported.", n=created), "success")
    return redirect(_page(found, "ledger"), 303)


_ENTRY_FIELDS = {
    "date": "entry_date",
    "voucher": "voucher",
    "summary": "summary",
    "category": "category",
    "direction": "direction",
    "amount": "amount",
    "counterparty": "counterparty",
}


@bp.route("/disclosures/<int:disclosure_id>/entries", methods=["POST"])
@permission("disclosure:disclosure:write")
def add_entry(disclosure_id: int) -> Any:
    """One ledger line typed by hand."""
    found = _disclosure(disclosure_id)
    form = EntryForm()
    if not form.validate_on_submit():
        return _workspace(found, 422, entry_form=form)
    try:
        ledger.add_entry(
            g.actor,
            found,
            on=(form.entry_date.data or "").strip(),
            voucher=form.voucher.data or "",
            summary=form.summary.data or "",
            category=form.category.data or "",
            direction=form.direction.data or "",
            amount=form.amount.data or "",
            counterparty=form.counterparty.data or "",
        )
    except Invalid as exc:
        db.session.rollback()
        message = str(exc.details.get("entry", "")) if isinstance(exc.details, dict) else ""
        for part in message.split("; ") or [exc.message]:
            name = _ENTRY_FIELDS.get(part.split(" ", 1)[0], "summary")
            field = getattr(form, name)
            field.errors = [*field.errors, translate_reason(part, _LINE_ERRORS)]
        return _workspace(_disclosure(disclosure_id), 422, entry_form=form)
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(_page(found, "ledger"), 303)
    flash(_("The line is added."), "success")
    return redirect(_page(found, "ledger"), 303)


@bp.route("/ledger-entries/<int:entry_id>/void", methods=["POST"])
@permission("disclosure:disclosure:write")
def void(entry_id: int) -> Any:
    """Strike out a line of a draft: kept, shown struck through, with the reason."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound("no such ledger line")
    found = _disclosure(entry.disclosure_id)
    form = VoidForm()
    if not form.validate_on_submit():
        return _workspace(found, 422, void_form=form, void_for=entry.id)
    return act(
        lambda: ledger.void_entry(g.actor, entry.id, form.void_reason.data or ""),
        back=_page(found, "ledger"),
        done=_("The line is struck out. It stays in the record with the reason."),
        problem=problem_text,
    )


@bp.route("/disclosures/<int:disclosure_id>/vouchers", methods=["POST"])
@permission("disclosure:disclosure:write")
def add_voucher(disclosure_id: int) -> Any:
    found = _disclosure(disclosure_id)
    form = VoucherForm()
    if not form.validate_on_submit():
        return _workspace(found, 422, voucher_form=form)
    upload = form.scan.data
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    content = upload.read(limit + 1)
    try:
        ledger.add_voucher(
            g.actor,
            found,
            form.voucher_number.data or "",
            upload.filename,
            content,
            max_bytes=limit,
        )
    except Invalid as exc:
        db.session.rollback()
        if isinstance(exc.details, dict) and "voucher" in exc.details:
            form.voucher_number.errors = [
                _("Write the voucher number as the ledger has it, like 记-001.")
            ]
        elif exc.code == "invalid":
            form.scan.errors = [_("The file is empty.")]
        else:
            form.scan.errors = [problem_text(exc)]
        return _workspace(_disclosure(disclosure_id), 422, voucher_form=form)
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(_page(found, "vouchers"), 303)
    flash(_("The voucher scan is attached."), "success")
    return redirect(_page(found, "vouchers"), 303)


@bp.route("/disclosures/<int:disclosure_id>/vouchers/<int:voucher_id>")
@permission("disclosure:draft:read")
def voucher(disclosure_id: int, voucher_id: int) -> Any:
    """A voucher's scan, always as a download with the type its content was checked to be."""
    found = _disclosure(disclosure_id)
    item = next((v for v in ledger.vouchers_of(found) if v.id == voucher_id), None)
    if item is None:
        raise NotFound("no such voucher")
    response = send_file(
        io.BytesIO(ledger.voucher_content(item)),
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.filename,
        etag=item.sha256,
        max_age=0,
        conditional=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# ---------------------------------------------------------------- review and signing


@bp.route("/disclosures/<int:disclosure_id>/submit", methods=["POST"])
@permission("disclosure:disclosure:submit")
def submit(disclosure_id: int) -> Any:
    found = _disclosure(disclosure_id)
    if not EmptyForm().validate_on_submit():
        return redirect(_page(found), 303)
    return act(
        lambda: service.submit_disclosure(g.actor, found),
        back=_page(found),
        done=_("Sent to the supervisory committee for review. It no longer changes meanwhile."),
        problem=problem_text,
    )


@bp.route("/disclosures/<int:disclosure_id>/review", methods=["POST"])
@permission("disclosure:disclosure:review")
def review(disclosure_id: int) -> Any:
    """The supervisory committee approves, or returns with a comment (DS-18)."""
    found = _disclosure(disclosure_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _workspace(found, 422, review_form=form)
    decision = form.decision.data or ""
    done = (
        _("Approved. The staff may now publish it.")
        if decision == ReviewDecision.APPROVE
        else _("Returned to the staff with your comment.")
    )
    return act(
        lambda: service.review_disclosure(g.actor, found, decision, form.comment.data or ""),
        back=_page(found),
        done=done,
        problem=problem_text,
    )


def _sign(disclosure_id: int, role: SigningRole) -> Any:
    found = _disclosure(disclosure_id)
    if _sign_role(found) is not role:
        flash(problem_text(DomainError("", code=_not_now(found, role))), "error")
        return redirect(_page(found), 303)
    form = _sign_form(found, role, posted=True)
    assert form is not None
    if not form.validate_on_submit():
        return _workspace(found, 422, sign_form=form)
    passphrase = form.passphrase.data or ""
    try:
        if role is SigningRole.STAFF:
            statements.publish_disclosure(g.actor, found, passphrase, toolkit())
        else:
            statements.countersign_disclosure(g.actor, found, role.value, passphrase, toolkit())
    except DomainError as exc:
        if exc.code == "passphrase_wrong":
            db.session.commit()  # the failed attempt counts toward the key's throttle
        else:
            db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(_page(found, "sign"), 303)
    if role is SigningRole.STAFF:
        flash(
            _(
                "Signed. A member of the supervisory committee countersigns next; then it goes "
                "on the disclosure board."
            ),
            "success",
        )
    else:
        flash(_("Countersigned. The disclosure is on the public disclosure board."), "success")
    return redirect(_page(found), 303)


def _not_now(found: Disclosure, role: SigningRole) -> str:
    if role is SigningRole.STAFF:
        return "not_approved"
    return "out_of_order"


@bp.route("/disclosures/<int:disclosure_id>/publish", methods=["POST"])
@permission("disclosure:disclosure:publish")
@rate_limited(login_attempts, methods=["POST"])
def publish(disclosure_id: int) -> Any:
    """Staff sign the approved disclosure's PDF (the first time with a new passphrase)."""
    return _sign(disclosure_id, SigningRole.STAFF)


@bp.route("/disclosures/<int:disclosure_id>/countersign", methods=["POST"])
@permission("disclosure:disclosure:countersign")
@rate_limited(login_attempts, methods=["POST"])
def countersign(disclosure_id: int) -> Any:
    """A member of the supervisory committee countersigns: it goes on the board."""
    return _sign(disclosure_id, SigningRole.SUPERVISOR)


@bp.route("/disclosures/<int:disclosure_id>/correction", methods=["POST"])
@permission("disclosure:disclosure:write")
def correction(disclosure_id: int) -> Any:
    """A correction of the disclosed version: a new draft from its text and ledger."""
    found = _disclosure(disclosure_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _workspace(found, 422, correction_form=form)
    try:
        corrected = service.start_correction(g.actor, found, form.reason.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(_page(found), 303)
    flash(
        _(
            "A correction is started from the disclosed text and ledger. The disclosed version "
            "stays on the board until the correction is published."
        ),
        "success",
    )
    return redirect(_page(corrected), 303)


# ---------------------------------------------------------------- queries


def _query(query_id: int) -> tuple[DisclosureQuery, Disclosure]:
    found = queries.get_query(g.actor, query_id)
    return found, _disclosure(found.disclosure_id)


@bp.route("/disclosure-queries/<int:query_id>/answer", methods=["POST"])
@permission("disclosure:query:answer")
def answer(query_id: int) -> Any:
    found, disclosure = _query(query_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _workspace(disclosure, 422, answer_form=form, answer_for=found.id)
    return act(
        lambda: queries.answer_query(g.actor, found, form.answer.data or ""),
        back=_page(disclosure, f"query-{found.id}"),
        done=_("The answer is published with the query."),
        problem=problem_text,
    )


@bp.route("/disclosure-queries/<int:query_id>/escalate", methods=["POST"])
@permission("disclosure:query:escalate")
def escalate(query_id: int) -> Any:
    found, disclosure = _query(query_id)
    form = EscalateForm()
    if not form.validate_on_submit():
        return _workspace(disclosure, 422, escalate_form=form, escalate_for=found.id)
    return act(
        lambda: queries.escalate_query(g.actor, found, form.note.data or ""),
        back=_page(disclosure, f"query-{found.id}"),
        done=_("The supervisory committee has taken up this query; the note is recorded."),
        problem=problem_text,
    )


# ---------------------------------------------------------------- the community's policy


def _policy_data(policy: rules.DisclosurePolicy) -> dict[str, Any]:
    return {
        "grace_days": policy.grace_days,
        "at_once_days": policy.at_once_days,
        "answer_days": policy.answer_days,
        "urban_general": policy.urban_general.value,
        "urban_finance": policy.urban_finance.value,
        "village_finance": policy.village_finance.value,
    }


@bp.route("/c/<code>/disclosures/policy", methods=["GET", "POST"])
@permission("disclosure:draft:read", POST="disclosure:policy:set")
def policy(code: str) -> Any:
    """The community's own numbers where the law sets none, and the law's own numbers."""
    current = service.community_policy(g.community)
    form = PolicyForm(kind=g.community.kind, data=_policy_data(current))
    if form.validate_on_submit():
        values = {name: form[name].data for name in _policy_data(current) if name in form}
        return act(
            lambda: service.set_policy(g.actor, g.community, **values),
            back=url_for("disclosure.policy", code=code),
            done=_("The policy is saved. It applies from now on; the old one stays on record."),
            problem=problem_text,
        )
    return render_template(
        "disclosure/policy.html",
        form=form,
        policy=current,
        schedule=service.schedule_of(g.community),
        posting_days=rules.POSTING_DAYS,
    ), (422 if form.errors else 200)
