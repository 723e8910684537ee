"""The ledger of a finance disclosure: funds (accounts), lines imported from the ledger CSV
(INTERFACES.md §4, all-or-nothing) or entered by hand, voided (never deleted) while the draft
is open, vouchers' scans by content hash, the statement (opening + income − expense = closing)
and the open-data exports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select

from consult import clock
from consult.accounts.policy import require
from consult.actor import Actor
from consult.audit.service import record
from consult.errors import Conflict, Invalid, NotFound
from consult.extensions import db
from consult.meetings.attachment_models import AttachmentBlob, AttachmentType
from consult.meetings.attachments import DEFAULT_MAX_BYTES, clean_filename, detect_type
from consult.meetings.attachments import _blob as stored_blob  # once per hash, as attachments
from consult.registry.models import Community
from consult.rules import ledger_csv
from consult.rules.disclosure import parse_period
from consult.rules.ledger_csv import Direction, LedgerCSVError, LineError, Statement

from .models import Disclosure, DisclosureVoucher, LedgerAccount, LedgerEntry
from .state import has_ledger, local_today, lock, require_editable

MAX_CODE = 40
MAX_NAME = 200
MAX_REASON = 2000


# ---------------------------------------------------------------- accounts (funds)


def get_account(community: Community, account_id: int) -> LedgerAccount:
    found = db.session.get(LedgerAccount, account_id)
    if found is None or found.community_id != community.id:
        raise Invalid("no such account in this community", details={"account_id": "unknown"})
    return found


def accounts_of(community: Community) -> list[LedgerAccount]:
    return list(
        db.session.execute(
            select(LedgerAccount)
            .where(LedgerAccount.community_id == community.id)
            .order_by(LedgerAccount.code)
        ).scalars()
    )


def create_account(actor: Actor, community: Community, code: str, name: str) -> LedgerAccount:
    """A fund whose ledgers the community discloses (staff)."""
    require(actor, "disclosure:disclosure:write", community.id)
    code, name = code.strip(), name.strip()
    problems = {}
    if not code or len(code) > MAX_CODE or ledger_csv.formula_problem("code", code):
        problems["code"] = f"1 to {MAX_CODE} characters, not starting with = + - @"
    if not name or len(name) > MAX_NAME:
        problems["name"] = f"1 to {MAX_NAME} characters"
    if problems:
        raise Invalid("the account needs a code and a name", details=problems)
    if db.session.execute(
        select(LedgerAccount.id).where(
            LedgerAccount.community_id == community.id, LedgerAccount.code == code
        )
    ).first():
        raise Conflict("an account with this code exists", code="account_exists")
    account = LedgerAccount(
        community_id=community.id,
        code=code,
        name=name,
        created_at=clock.now(),
        created_by=actor.user_id,
    )
    db.session.add(account)
    db.session.flush()
    record(
        actor,
        "disclosure:account:create",
        "ledger_account",
        account.id,
        community_id=community.id,
        payload={"code": code, "name": name},
    )
    return account


# ---------------------------------------------------------------- entries


def _require_ledger(disclosure: Disclosure) -> None:
    if not has_ledger(disclosure):
        raise Conflict(
            "only a finance or government-funds disclosure has a ledger",
            details={"category": disclosure.category},
            code="no_ledger",
        )


def entries_of(disclosure: Disclosure, *, include_voided: bool = False) -> list[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.disclosure_id == disclosure.id)
    if not include_voided:
        query = query.where(LedgerEntry.voided_at.is_(None))
    return list(
        db.session.execute(
            query.order_by(LedgerEntry.entry_date, LedgerEntry.line, LedgerEntry.id)
        ).scalars()
    )


def rule_entries(disclosure: Disclosure) -> list[ledger_csv.LedgerEntry]:
    """The live lines as the pure rules see them (one query of plain columns)."""
    rows = db.session.execute(
        select(
            LedgerEntry.line,
            LedgerEntry.entry_date,
            LedgerEntry.voucher,
            LedgerEntry.summary,
            LedgerEntry.category,
            LedgerEntry.direction,
            LedgerEntry.amount_fen,
            LedgerEntry.counterparty,
        )
        .where(LedgerEntry.disclosure_id == disclosure.id, LedgerEntry.voided_at.is_(None))
        .order_by(LedgerEntry.entry_date, LedgerEntry.line, LedgerEntry.id)
    ).all()
    return [
        ledger_csv.LedgerEntry(
            line=line,
            on=on,
            voucher=voucher or None,
            summary=summary,
            category=category,
            direction=Direction(direction),
            amount_fen=int(amount),
            counterparty=counterparty or None,
        )
        for line, on, voucher, summary, category, direction, amount, counterparty in rows
    ]


def statement_of(disclosure: Disclosure) -> Statement:
    """The period statement of the live lines, from the stated opening balance (0 if none)."""
    return ledger_csv.reconcile(
        disclosure.opening_balance_fen or 0,
        rule_entries(disclosure),
        period=parse_period(disclosure.period),
    )


def _next_line(disclosure: Disclosure) -> int:
    return int(
        db.session.execute(
            select(func.coalesce(func.max(LedgerEntry.line), 1)).where(
                LedgerEntry.disclosure_id == disclosure.id
            )
        ).scalar_one()
    )


def import_ledger(
    actor: Actor,
    disclosure: Disclosure,
    data: bytes,
    *,
    replace: bool = False,
    max_lines: int = ledger_csv.DEFAULT_MAX_LINES,
) -> int:
    """Every line of a ledger CSV into the draft, or none: Invalid with every bad line (422).
    `replace` voids the lines already there in the same transaction. Returns how many lines
    were created."""
    require(actor, "disclosure:disclosure:write", disclosure.community_id)
    _require_ledger(disclosure)
    lock(disclosure)
    require_editable(disclosure)
    community = db.session.get(Community, disclosure.community_id)
    assert community is not None
    try:
        parsed = ledger_csv.parse_ledger(
            data,
            max_lines=max_lines,
            within=parse_period(disclosure.period),
            today=local_today(community),
        )
    except LedgerCSVError as exc:
        raise Invalid(str(exc), details=exc.as_details(), code="invalid_ledger") from None
    if not parsed:
        raise Invalid(
            "the file has a header and no entries",
            details=[LineError(2, "no entries").as_dict()],
            code="invalid_ledger",
        )
    now = clock.now()
    voided = 0
    if replace:
        voided = _void_all(actor, disclosure, "replaced by an imported file", now)
    offset = _next_line(disclosure)
    # One multi-row INSERT: a year of a busy fund is a few thousand lines (bench/disclosure.py).
    db.session.execute(
        insert(LedgerEntry),
        [
            {
                "disclosure_id": disclosure.id,
                "line": offset + entry.line - 1,
                "entry_date": entry.on,
                "voucher": entry.voucher or "",
                "summary": entry.summary,
                "category": entry.category,
                "direction": entry.direction.value,
                "amount_fen": entry.amount_fen,
                "counterparty": entry.counterparty or "",
                "source": "csv",
                "created_at": now,
                "created_by": actor.user_id,
            }
            for entry in parsed
        ],
    )
    disclosure.updated_at = now
    db.session.flush()
    record(
        actor,
        "disclosure:ledger:import",
        "disclosure",
        disclosure.id,
        community_id=disclosure.community_id,
        payload={
            "created": len(parsed),
            "voided": voided,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    return len(parsed)


def add_entry(
    actor: Actor,
    disclosure: Disclosure,
    *,
    on: str,
    voucher: str,
    summary: str,
    category: str,
    direction: str,
    amount: str,
    counterparty: str = "",
) -> LedgerEntry:
    """One line entered by hand, checked exactly as a CSV line is (Invalid naming the field)."""
    require(actor, "disclosure:disclosure:write", disclosure.community_id)
    _require_ledger(disclosure)
    lock(disclosure)
    require_editable(disclosure)
    row = ",".join(
        _csv_cell(v) for v in (on, voucher, summary, category, direction, amount, counterparty)
    )
    community = db.session.get(Community, disclosure.community_id)
    assert community is not None
    try:
        (entry,) = ledger_csv.parse_ledger(
            ",".join(ledger_csv.HEADER) + "\n" + row + "\n",
            within=parse_period(disclosure.period),
            today=local_today(community),
        )
    except LedgerCSVError as exc:
        message = "; ".join(e.error for e in exc.errors)
        raise Invalid(message, details={"entry": message}, code="invalid_entry") from None
    except ValueError as exc:  # more than one record: a newline inside a cell
        raise Invalid(str(exc), details={"entry": str(exc)}, code="invalid_entry") from None
    found = LedgerEntry(
        disclosure_id=disclosure.id,
        line=_next_line(disclosure) + 1,
        entry_date=entry.on,
        voucher=entry.voucher or "",
        summary=entry.summary,
        category=entry.category,
        direction=entry.direction.value,
        amount_fen=entry.amount_fen,
        counterparty=entry.counterparty or "",
        source="hand",
        created_at=clock.now(),
        created_by=actor.user_id,
    )
    db.session.add(found)
    disclosure.updated_at = clock.now()
    db.session.flush()
    record(
        actor,
        "disclosure:ledger:add",
        "ledger_entry",
        found.id,
        community_id=disclosure.community_id,
        payload={"disclosure_id": disclosure.id, "amount_fen": found.amount_fen},
    )
    return found


def _csv_cell(value: str) -> str:
    value = value.replace("\r", " ").replace("\n", " ")
    return '"' + value.replace('"', '""') + '"'


def _void_all(actor: Actor, disclosure: Disclosure, reason: str, now: Any) -> int:
    rows = entries_of(disclosure)
    for row in rows:
        row.voided_at = now
        row.voided_by = actor.user_id
        row.void_reason = reason
    return len(rows)


def void_entry(actor: Actor, entry_id: int, reason: str) -> LedgerEntry:
    """Strike out a line of a draft (kept, marked, with the reason)."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound("no such ledger line")
    disclosure = db.session.get(Disclosure, entry.disclosure_id)
    assert disclosure is not None
    require(actor, "disclosure:disclosure:write", disclosure.community_id)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid("say why the line is struck out", details={"reason": "required"})
    lock(disclosure)
    require_editable(disclosure)
    if entry.voided_at is not None:
        raise Conflict("this line is already struck out", code="already_voided")
    entry.voided_at = clock.now()
    entry.voided_by = actor.user_id
    entry.void_reason = reason
    disclosure.updated_at = clock.now()
    db.session.flush()
    record(
        actor,
        "disclosure:ledger:void",
        "ledger_entry",
        entry.id,
        community_id=disclosure.community_id,
        payload={"disclosure_id": disclosure.id, "reason": reason},
    )
    return entry


def copy_ledger(source: Disclosure, target: Disclosure, actor: Actor) -> int:
    """A correction starts from the live lines and vouchers of the version it corrects."""
    rows = entries_of(source)
    now = clock.now()
    if rows:
        db.session.execute(
            insert(LedgerEntry),
            [
                {
                    "disclosure_id": target.id,
                    "line": row.line,
                    "entry_date": row.entry_date,
                    "voucher": row.voucher,
                    "summary": row.summary,
                    "category": row.category,
                    "direction": row.direction,
                    "amount_fen": row.amount_fen,
                    "counterparty": row.counterparty,
                    "source": row.source,
                    "created_at": now,
                    "created_by": actor.user_id,
                }
                for row in rows
            ],
        )
    for voucher in vouchers_of(source):
        db.session.add(
            DisclosureVoucher(
                disclosure_id=target.id,
                voucher=voucher.voucher,
                sha256=voucher.sha256,
                filename=voucher.filename,
                content_type=voucher.content_type,
                size=voucher.size,
                uploaded_at=now,
                uploaded_by=actor.user_id,
            )
        )
    db.session.flush()
    return len(rows)


# ---------------------------------------------------------------- vouchers


def vouchers_of(disclosure: Disclosure) -> list[DisclosureVoucher]:
    return list(
        db.session.execute(
            select(DisclosureVoucher)
            .where(DisclosureVoucher.disclosure_id == disclosure.id)
            .order_by(DisclosureVoucher.voucher, DisclosureVoucher.id)
        ).scalars()
    )


def add_voucher(
    actor: Actor,
    disclosure: Disclosure,
    voucher: str,
    filename: str | None,
    content: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> DisclosureVoucher:
    """Attach the scan of a voucher (PDF, PNG or JPEG by its bytes, size-limited), stored once
    per SHA-256."""
    require(actor, "disclosure:disclosure:write", disclosure.community_id)
    _require_ledger(disclosure)
    voucher = voucher.strip()
    if not voucher or len(voucher) > 40 or ledger_csv.formula_problem("voucher", voucher):
        raise Invalid("name the voucher number", details={"voucher": "1 to 40 characters"})
    if not content:
        raise Invalid("the file is empty", details={"file": "empty"})
    if len(content) > max_bytes:
        raise Invalid(
            "the file is too large",
            details={"file": f"at most {max_bytes // (1024 * 1024)} MB"},
            code="too_large",
        )
    kind = detect_type(content)
    if kind is None:
        raise Invalid(
            "a voucher scan is a PDF, PNG or JPEG file",
            details={"file": "PDF, PNG or JPEG"},
            code="unsupported_type",
        )
    lock(disclosure)
    require_editable(disclosure)
    digest = hashlib.sha256(content).hexdigest()
    stored_blob(digest, content)
    found = DisclosureVoucher(
        disclosure_id=disclosure.id,
        voucher=voucher,
        sha256=digest,
        filename=clean_filename(filename, kind),
        content_type=kind.value,
        size=len(content),
        uploaded_at=clock.now(),
        uploaded_by=actor.user_id,
    )
    db.session.add(found)
    db.session.flush()
    record(
        actor,
        "disclosure:voucher:add",
        "disclosure_voucher",
        found.id,
        community_id=disclosure.community_id,
        payload={"disclosure_id": disclosure.id, "voucher": voucher, "sha256": digest},
    )
    return found


def voucher_content(found: DisclosureVoucher) -> bytes:
    blob = db.session.get(AttachmentBlob, found.sha256)
    assert blob is not None
    return blob.content


def voucher_type(found: DisclosureVoucher) -> AttachmentType:
    return AttachmentType(found.content_type)


# ---------------------------------------------------------------- open data


def ledger_csv_export(disclosure: Disclosure) -> str:
    """The published ledger as the CSV of INTERFACES.md §4 (formula-safe)."""
    return ledger_csv.write_ledger_csv(rule_entries(disclosure))


def ledger_json_export(disclosure: Disclosure) -> dict[str, Any]:
    statement = statement_of(disclosure)
    return {
        "disclosure_id": disclosure.id,
        "document_id": disclosure.document_id,
        "period": disclosure.period,
        "version": disclosure.version,
        "state": disclosure.state,
        "opening_balance_fen": disclosure.opening_balance_fen,
        "closing_balance_fen": disclosure.closing_balance_fen,
        "income_fen": statement.income_fen,
        "expense_fen": statement.expense_fen,
        "reconciles": disclosure.closing_balance_fen is not None
        and statement.check(disclosure.closing_balance_fen).ok,
        "by_category": {
            name: {"income_fen": t.income_fen, "expense_fen": t.expense_fen, "count": t.count}
            for name, t in statement.by_category.items()
        },
        "by_month": [
            {
                "month": str(m.month),
                "opening_fen": m.opening_fen,
                "income_fen": m.income_fen,
                "expense_fen": m.expense_fen,
                "closing_fen": m.closing_fen,
            }
            for m in statement.by_month
        ],
        "entries": [
            {
                "date": e.on.isoformat(),
                "voucher": e.voucher,
                "summary": e.summary,
                "category": e.category,
                "direction": e.direction.value,
                "amount_fen": e.amount_fen,
                "amount": ledger_csv.format_fen(e.amount_fen),
                "counterparty": e.counterparty,
            }
            for e in rule_entries(disclosure)
        ],
    }


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "line": entry.line,
        "date": entry.entry_date.isoformat(),
        "voucher": entry.voucher,
        "summary": entry.summary,
        "category": entry.category,
        "direction": entry.direction,
        "amount_fen": entry.amount_fen,
        "counterparty": entry.counterparty,
        "voided": entry.voided_at is not None,
        "void_reason": entry.void_reason,
    }


def chart_data(
    statement: Statement,
) -> tuple[Sequence[tuple[str, int, int]], Sequence[tuple[str, int, int]]]:
    """(category, income, expense) and (month, income, expense) rows for the SVG chart."""
    by_category = [(n, t.income_fen, t.expense_fen) for n, t in statement.by_category.items()]
    by_month = [(str(m.month), m.income_fen, m.expense_fen) for m in statement.by_month]
    return by_category, by_month
