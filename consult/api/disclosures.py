"""Disclosures (INTERFACES.md §3, issue 6): drafts, the ledger of a finance disclosure (CSV
import, lines by hand, voiding, the open-data exports), the supervisory review, publication
(staff sign, a supervisor countersigns), corrections, the signed PDF, residents' queries and
objections with the committee's answers, and the due/overdue dashboard."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from consult.accounts.policy import can
from consult.api import bp
from consult.api.common import (
    ID,
    Field,
    created,
    json_object,
    page_of,
    paged,
    paging,
    query_string,
    read_body,
)
from consult.api.render import community_today
from consult.api.residents import CSV_TYPES
from consult.disclosure import ledger, queries, service
from consult.disclosure.models import PUBLIC_STATES, Disclosure, DisclosureQuery
from consult.disclosure.state import has_ledger
from consult.documents import statements
from consult.documents.toolkit import toolkit
from consult.errors import Invalid, NotAllowed, NotFound
from consult.extensions import db
from consult.rules.disclosure import Category, parse_category
from consult.rules.errors import NotAvailable
from consult.web.limits import login_attempts, rate_limited
from consult.web.permissions import permission

# ---------------------------------------------------------------- reading requests


def _flag(name: str) -> bool:
    """A yes/no query parameter: 1/true/yes or 0/false/no (absent: no)."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return False
    value = raw.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise Invalid("the query is not valid", details={name: "1 or 0"})


def _category_filter() -> str | None:
    value = query_string("category", max_length=40)
    if value is None:
        return None
    try:
        return parse_category(value).value
    except NotAvailable as exc:
        raise Invalid(
            "the query is not valid",
            details={"category": "one of " + ", ".join(c.value for c in Category)},
            code="invalid_category",
        ) from exc


def _optional_body() -> None:
    """Actions take no body; if one is sent it must at least be a JSON object."""
    if request.get_data(cache=True).strip():
        json_object()


def _disclosure(disclosure_id: int) -> Disclosure:
    """The disclosure, if the caller may see it (a draft is 404 to the public)."""
    return service.get_disclosure(g.actor, disclosure_id)


# ---------------------------------------------------------------- writing responses


def _detail(found: Disclosure) -> dict[str, Any]:
    """A disclosure as the caller may see it: the committee and the supervisors also get the
    review comments; everyone gets its signatures so far and the versions of its chain."""
    data = service.disclosure_json(
        found, with_reviews=can(g.actor, "disclosure:draft:read", found.community_id)
    )
    data["has_ledger"] = has_ledger(found)
    data["signatures"] = [
        {"role": s.role, "signed_at": s.signed_at.isoformat(), "sha256": s.sha256}
        for s in statements.signatures_of(found)
    ]
    data["next_signer"] = statements.next_signer(found)
    data["versions"] = [
        {"id": v.id, "version": v.version, "state": v.state}
        for v in service.versions_of(g.actor, found)
    ]
    return data


def _query(found: DisclosureQuery) -> dict[str, Any]:
    return queries.query_json(g.actor, found)


def _due_row(row: service.DueRow) -> dict[str, Any]:
    status = row.status
    ids = list(dict.fromkeys((*row.frequency_rule.ids, *status.rule.ids)))
    return {
        "category": row.category.value,
        "period": str(row.period),
        "state": status.state.value,
        "due_on": status.due_on.isoformat(),
        "days_left": status.days_left,
        "days_overdue": status.days_overdue,
        "days_late": status.days_late,
        "rule_ids": ids,
        "due_rule": status.rule.as_dict(),
        "frequency_rule": row.frequency_rule.as_dict(),
        "disclosure_id": row.disclosure_id,
    }


# ---------------------------------------------------------------- drafts

_NEW = {
    "category": Field(max_length=40),
    "period": Field(max_length=20),
    "title": Field(max_length=service.MAX_TITLE),
    "body": Field(required=False, max_length=service.MAX_BODY, single_line=False),
    "lang": Field(required=False, max_length=10),
    "account_id": Field(kind=int, required=False),
}

_CHANGES = {
    "title": Field(required=False, max_length=service.MAX_TITLE),
    "body": Field(required=False, max_length=service.MAX_BODY, single_line=False),
    "lang": Field(required=False, max_length=10),
    "account_id": Field(kind=int, required=False),
    "opening_balance_fen": Field(kind=int, required=False),
    "closing_balance_fen": Field(kind=int, required=False),
}
_BALANCES = ("opening_balance_fen", "closing_balance_fen")


@bp.route("/communities/<code>/disclosures", methods=["POST"])
@permission("disclosure:disclosure:write")
def create_disclosure(code: str) -> Any:
    body = read_body(_NEW)
    found = service.create_disclosure(
        g.actor,
        g.community,
        category=body["category"],
        period=body["period"],
        title=body["title"],
        body=body["body"] or "",
        lang=body["lang"],
        account_id=body["account_id"],
    )
    return created(_detail(found), location=f"/api/v1/disclosures/{found.id}")


@bp.route("/communities/<code>/disclosures", methods=["GET"])
@permission("disclosure:board:read")
def list_disclosures(code: str) -> Any:
    """Newest first. The public gets published and superseded versions; with `all=1` the
    committee and the supervisors get drafts and versions under review too."""
    page, per_page = paging()
    category = _category_filter()
    period = query_string("period", max_length=20)
    states = None if _flag("all") else PUBLIC_STATES
    total = service.count_disclosures(
        g.actor, g.community, states=states, category=category, period=period
    )
    offset = (page - 1) * per_page
    found: list[Disclosure] = []
    if offset < total:  # one COUNT and one page of rows, never the whole list
        found = service.list_disclosures(
            g.actor,
            g.community,
            states=states,
            category=category,
            period=period,
            limit=per_page,
            offset=offset,
        )
    return paged([service.disclosure_json(d) for d in found], page, per_page, total)


@bp.route(f"/disclosures/<{ID}:disclosure_id>", methods=["GET"])
@permission("disclosure:board:read")
def get_disclosure(disclosure_id: int) -> Any:
    return jsonify(_detail(_disclosure(disclosure_id)))


@bp.route(f"/disclosures/<{ID}:disclosure_id>", methods=["PATCH"])
@permission("disclosure:disclosure:write")
def update_disclosure(disclosure_id: int) -> Any:
    """Only the members given change; `null` for both balances removes them."""
    body = read_body(_CHANGES)
    found = service.update_disclosure(
        g.actor,
        _disclosure(disclosure_id),
        title=body["title"],
        body=body["body"],
        lang=body["lang"],
        account_id=body["account_id"],
        opening_balance_fen=body["opening_balance_fen"],
        closing_balance_fen=body["closing_balance_fen"],
        clear_balances=_balances_cleared(),
    )
    return jsonify(_detail(found))


def _balances_cleared() -> bool:
    """True when the body sets both balances to null; one null without the other is 422, as a
    balance given without the other is (read_body reads an absent member and null alike)."""
    raw = json_object()
    nulls = [name for name in _BALANCES if name in raw and raw[name] is None]
    if len(nulls) == 1:
        raise Invalid(
            "give the opening and the closing balance together",
            details={"balances": "both or neither; null for both removes them"},
        )
    return len(nulls) == len(_BALANCES)


# ---------------------------------------------------------------- the ledger


@bp.route(f"/disclosures/<{ID}:disclosure_id>/ledger", methods=["POST"])
@permission("disclosure:disclosure:write")
def import_ledger(disclosure_id: int) -> Any:
    """The ledger CSV (INTERFACES.md §4) as the body: every line or none (422 with every bad
    line); `replace=1` voids the lines already there."""
    if request.mimetype not in CSV_TYPES:
        raise UnsupportedMediaType("send the ledger as text/csv (INTERFACES.md §4)")
    replace = _flag("replace")
    found = _disclosure(disclosure_id)
    data = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413
    count = ledger.import_ledger(g.actor, found, data, replace=replace)
    return jsonify({"created": count, "disclosure_id": found.id})


def _with_ledger(disclosure_id: int) -> Disclosure:
    found = _disclosure(disclosure_id)
    if not has_ledger(found):
        raise NotFound("this disclosure has no ledger", code="no_ledger")
    return found


@bp.route(f"/disclosures/<{ID}:disclosure_id>/ledger", methods=["GET"])
@permission("disclosure:board:read")
def get_ledger(disclosure_id: int) -> Any:
    """The statement and its live lines (open data); the committee and the supervisors also
    get every line with its id, struck-out ones included (`lines`)."""
    found = _with_ledger(disclosure_id)
    data = ledger.ledger_json_export(found)
    if can(g.actor, "disclosure:draft:read", found.community_id):
        data["lines"] = [
            ledger.entry_json(e) for e in ledger.entries_of(found, include_voided=True)
        ]
    return jsonify(data)


@bp.route(f"/disclosures/<{ID}:disclosure_id>/ledger.csv", methods=["GET"])
@permission("disclosure:board:read")
def get_ledger_csv(disclosure_id: int) -> Any:
    found = _with_ledger(disclosure_id)
    response = Response(ledger.ledger_csv_export(found), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ledger-{found.document_id}-v{found.version}.csv"'
    )
    return response


_ENTRY = {
    "date": Field(max_length=20),
    "voucher": Field(required=False, max_length=40),
    "summary": Field(max_length=500),
    "category": Field(max_length=100),
    "direction": Field(max_length=10),
    "amount": Field(max_length=30),
    "counterparty": Field(required=False, max_length=200),
}


@bp.route(f"/disclosures/<{ID}:disclosure_id>/entries", methods=["POST"])
@permission("disclosure:disclosure:write")
def add_entry(disclosure_id: int) -> Any:
    """One ledger line by hand, checked exactly as a CSV line is."""
    body = read_body(_ENTRY)
    entry = ledger.add_entry(
        g.actor,
        _disclosure(disclosure_id),
        on=body["date"],
        voucher=body["voucher"] or "",
        summary=body["summary"],
        category=body["category"],
        direction=body["direction"],
        amount=body["amount"],
        counterparty=body["counterparty"] or "",
    )
    return created(ledger.entry_json(entry))


@bp.route(f"/ledger-entries/<{ID}:entry_id>/void", methods=["POST"])
@permission("disclosure:disclosure:write")
def void_entry(entry_id: int) -> Any:
    body = read_body({"reason": Field(max_length=ledger.MAX_REASON, single_line=False)})
    entry = ledger.void_entry(g.actor, entry_id, body["reason"])
    return jsonify(ledger.entry_json(entry))


# ---------------------------------------------------------------- review and publication


@bp.route(f"/disclosures/<{ID}:disclosure_id>/submit", methods=["POST"])
@permission("disclosure:disclosure:submit")
def submit_disclosure(disclosure_id: int) -> Any:
    _optional_body()
    found = service.submit_disclosure(g.actor, _disclosure(disclosure_id))
    return jsonify(_detail(found))


_REVIEW = {
    "decision": Field(max_length=10),
    "comment": Field(required=False, max_length=service.MAX_COMMENT, single_line=False),
}


@bp.route(f"/disclosures/<{ID}:disclosure_id>/review", methods=["POST"])
@permission("disclosure:disclosure:review")
def review_disclosure(disclosure_id: int) -> Any:
    body = read_body(_REVIEW)
    found = _disclosure(disclosure_id)
    service.review_disclosure(g.actor, found, body["decision"], body["comment"] or "")
    return jsonify(_detail(found))


def _signed(found: Disclosure, signature: Any) -> tuple[Response, int]:
    return created(
        {**_detail(found), "signed": {"role": signature.role, "sha256": signature.sha256}}
    )


_PASSPHRASE = Field(max_length=1024, single_line=False)


@bp.route(f"/disclosures/<{ID}:disclosure_id>/publish", methods=["POST"])
@permission("disclosure:disclosure:publish")
@rate_limited(login_attempts, methods=["POST"])
def publish_disclosure(disclosure_id: int) -> Any:
    """Staff render the approved disclosure and sign it; a supervisor countersigns next."""
    body = read_body({"passphrase": _PASSPHRASE})
    found = _disclosure(disclosure_id)
    try:
        signature = statements.publish_disclosure(g.actor, found, body["passphrase"], toolkit())
    except NotAllowed as exc:
        if exc.code == "passphrase_wrong":
            db.session.commit()  # the failed attempt counts toward the key's throttle
        raise
    return _signed(found, signature)


@bp.route(f"/disclosures/<{ID}:disclosure_id>/sign", methods=["POST"])
@permission("disclosure:disclosure:countersign")
@rate_limited(login_attempts, methods=["POST"])
def countersign_disclosure(disclosure_id: int) -> Any:
    """The supervisory committee's countersignature: the disclosure goes on the board."""
    body = read_body({"role": Field(max_length=20), "passphrase": _PASSPHRASE})
    found = _disclosure(disclosure_id)
    try:
        signature = statements.countersign_disclosure(
            g.actor, found, body["role"], body["passphrase"], toolkit()
        )
    except NotAllowed as exc:
        if exc.code == "passphrase_wrong":
            db.session.commit()  # the failed attempt counts toward the key's throttle
        raise
    return _signed(found, signature)


@bp.route(f"/disclosures/<{ID}:disclosure_id>/correction", methods=["POST"])
@permission("disclosure:disclosure:write")
def start_correction(disclosure_id: int) -> Any:
    body = read_body({"reason": Field(max_length=service.MAX_REASON, single_line=False)})
    correction = service.start_correction(g.actor, _disclosure(disclosure_id), body["reason"])
    return created(_detail(correction), location=f"/api/v1/disclosures/{correction.id}")


@bp.route(f"/disclosures/<{ID}:disclosure_id>.pdf", methods=["GET"])
@permission("disclosure:board:read")
def disclosure_pdf(disclosure_id: int) -> Any:
    found = _disclosure(disclosure_id)
    pdf = statements.disclosure_pdf(g.actor, found)
    response = Response(pdf, mimetype="application/pdf")  # the stored bytes, never re-saved
    response.headers["Content-Disposition"] = (
        f'inline; filename="disclosure-{found.id}-v{found.version}.pdf"'
    )
    response.headers["X-Document-Id"] = found.document_id
    return response


# ---------------------------------------------------------------- queries and objections

_FILING = {
    "text": Field(max_length=queries.MAX_TEXT, single_line=False),
    "kind": Field(required=False, max_length=20),
}


@bp.route(f"/disclosures/<{ID}:disclosure_id>/objections", methods=["POST"])
@permission("disclosure:query:file")
def file_objection(disclosure_id: int) -> Any:
    body = read_body(_FILING)
    found = queries.file_query(
        g.actor, _disclosure(disclosure_id), body["text"], body["kind"] or "objection"
    )
    return created(_query(found))


@bp.route(f"/disclosures/<{ID}:disclosure_id>/objections", methods=["GET"])
@permission("disclosure:board:read")
def list_objections(disclosure_id: int) -> Any:
    """The public exchange: queries, objections and answers (who filed them: staff and
    supervisors only)."""
    page, per_page = paging()
    found = queries.queries_on(_disclosure(disclosure_id))
    return page_of(found, page, per_page, _query)


@bp.route(f"/objections/<{ID}:query_id>/answer", methods=["POST"])
@permission("disclosure:query:answer")
def answer_objection(query_id: int) -> Any:
    body = read_body({"text": Field(max_length=queries.MAX_TEXT, single_line=False)})
    found = queries.answer_query(g.actor, queries.get_query(g.actor, query_id), body["text"])
    return jsonify(_query(found))


@bp.route(f"/objections/<{ID}:query_id>/escalate", methods=["POST"])
@permission("disclosure:query:escalate")
def escalate_objection(query_id: int) -> Any:
    body = read_body({"note": Field(max_length=queries.MAX_TEXT, single_line=False)})
    found = queries.escalate_query(g.actor, queries.get_query(g.actor, query_id), body["note"])
    return jsonify(_query(found))


# ---------------------------------------------------------------- the dashboard


@bp.route("/communities/<code>/disclosures/due", methods=["GET"])
@permission("disclosure:board:read")
def disclosures_due(code: str) -> Any:
    """What the schedule requires and where each stands (the same for everyone), and the
    residents' queries whose answer is overdue."""
    overdue = [q for q in queries.open_queries(g.community) if queries.answer_status(q).is_overdue]
    return jsonify(
        {
            "community": g.community.code,
            "today": community_today(g.community).isoformat(),
            "rows": [_due_row(row) for row in service.dashboard(g.community)],
            "overdue_queries": [_query(q) for q in overdue],
        }
    )
