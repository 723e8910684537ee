"""The OpenAPI description of disclosures (INTERFACES.md §3, §4; issue 6): drafts, ledgers,
review, publication and countersignature, corrections, the signed PDF, residents' queries and
objections, and the due/overdue dashboard; openapi.py merges it into the document."""

from __future__ import annotations

from typing import Any

from consult.api.spec import (
    _CONFLICT,
    _ID,
    _INVALID,
    _NOT_FOUND,
    _body,
    _error,
    _ok,
    _page_of,
    operation,
    ref,
)
from consult.disclosure.models import (
    DisclosureSigningRole,
    DisclosureState,
    QueryKind,
    ReviewDecision,
)
from consult.rules.disclosure import Category, DueState
from consult.rules.ledger_csv import Direction

_BINARY = {"type": "string", "format": "binary"}
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_DATE = {"type": "string", "format": "date"}
_FEN = {"type": "integer", "description": "integer fen (1 yuan = 100 fen); never a float"}
_FEN_OR_NULL = {"type": ["integer", "null"], "description": "integer fen, or null if not given"}
_FEN_OR_CLEAR = {
    "type": ["integer", "null"],
    "description": "integer fen (1 yuan = 100 fen); null together with the other balance "
    "removes both",
}
_LANG = {
    "type": "string",
    "enum": ["zh-Hans", "en"],
    "description": "the language the PDF is printed in (default zh-Hans)",
}
_PERIOD = {
    "type": "string",
    "maxLength": 20,
    "description": "a month `2026-10`, a quarter `2026-Q4` or a date `2026-10-15` (an ad-hoc "
    "matter); the schedule decides which a category takes (a quarter for monthly finance is "
    "422 `wrong_period`; a month for a quarterly item is allowed)",
    "examples": ["2026-10", "2026-Q4", "2026-10-15"],
}
_RULE = {
    "type": "object",
    "description": "where a number of the schedule comes from: a RULES.md row, or a `DSP-*` "
    "policy default (`policy`: true — practice, not law)",
    "properties": {
        "id": {"type": "string", "examples": ["DS-02", "DSP-03"]},
        "zh": {"type": "string"},
        "en": {"type": "string"},
        "citation": {"type": ["object", "null"]},
        "policy": {"type": "boolean"},
    },
}
_STATUS = {
    "type": "object",
    "description": "where an answer stands: due, overdue, on time or late",
    "properties": {
        "state": {"type": "string", "enum": [s.value for s in DueState]},
        "due_on": _DATE,
        "period": {"type": ["string", "null"]},
        "days_left": {"type": "integer"},
        "days_overdue": {"type": "integer"},
        "days_late": {"type": "integer"},
        "rule": _RULE,
    },
}
_LEDGER_CSV_EXAMPLE = (
    "date,voucher,summary,category,direction,amount,counterparty\n"
    "2026-10-03,记-001,收到街道办拨付社区服务经费,政府拨款,income,50000.00,和平街道办事处\n"
    "2026-10-09,记-002,楼道照明维修,维修,expense,1280.50,平安电器维修部\n"
)

SCHEMAS: dict[str, Any] = {
    "NewDisclosure": {
        "type": "object",
        "required": ["category", "period", "title"],
        "properties": {
            "category": {"type": "string", "enum": [c.value for c in Category]},
            "period": _PERIOD,
            "title": {"type": "string", "maxLength": 200},
            "body": {"type": "string", "maxLength": 20000, "description": "Markdown"},
            "lang": _LANG,
            "account_id": {**_ID, "description": "the fund whose ledger this discloses"},
        },
    },
    "DisclosureChanges": {
        "type": "object",
        "description": "Only the members given change. The balances are given together; "
        "`null` for both removes them.",
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "body": {"type": "string", "maxLength": 20000},
            "lang": _LANG,
            "account_id": _ID,
            "opening_balance_fen": _FEN_OR_CLEAR,
            "closing_balance_fen": _FEN_OR_CLEAR,
        },
    },
    "Disclosure": {
        "type": "object",
        "required": ["id", "category", "period", "title", "state", "version", "document_id"],
        "properties": {
            "id": _ID,
            "community_id": _ID,
            "category": {"type": "string", "enum": [c.value for c in Category]},
            "period": {"type": "string"},
            "title": {"type": "string"},
            "body": {"type": "string"},
            "lang": {"type": "string", "enum": ["zh-Hans", "en"]},
            "state": {"type": "string", "enum": [s.value for s in DisclosureState]},
            "version": {"type": "integer", "minimum": 1},
            "previous_id": {"type": ["integer", "null"], "description": "the version corrected"},
            "correction_reason": {"type": ["string", "null"]},
            "document_id": {"type": "string", "description": "printed on every page"},
            "account_id": {"type": ["integer", "null"]},
            "opening_balance_fen": _FEN_OR_NULL,
            "closing_balance_fen": _FEN_OR_NULL,
            "submitted_at": _TIME,
            "approved_at": _TIME,
            "published_at": _TIME,
            "superseded_at": _TIME,
            "reviews": {
                "type": "array",
                "description": "the supervisory committee's decisions with their comments "
                "(committee and supervisors only)",
                "items": {
                    "type": "object",
                    "properties": {
                        "decision": {"type": "string", "enum": [d.value for d in ReviewDecision]},
                        "comment": {"type": "string"},
                        "reviewed_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
            "has_ledger": {"type": "boolean", "description": "finance or government funds"},
            "signatures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "role": {
                            "type": "string",
                            "enum": [r.value for r in DisclosureSigningRole],
                        },
                        "signed_at": {"type": "string", "format": "date-time"},
                        "sha256": _SHA256,
                    },
                },
            },
            "next_signer": {
                "type": ["string", "null"],
                "enum": [*(r.value for r in DisclosureSigningRole), None],
            },
            "versions": {
                "type": "array",
                "description": "the chain of corrections this version belongs to, newest first",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": _ID,
                        "version": {"type": "integer"},
                        "state": {"type": "string"},
                    },
                },
            },
        },
    },
    "DisclosurePage": _page_of("Disclosure"),
    "SignedDisclosure": {
        "allOf": [
            ref("Disclosure"),
            {
                "type": "object",
                "required": ["signed"],
                "properties": {
                    "signed": {
                        "type": "object",
                        "properties": {
                            "role": {"type": "string"},
                            "sha256": {**_SHA256, "description": "the PDF after this signature"},
                        },
                    }
                },
            },
        ]
    },
    "DisclosureReview": {
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {"type": "string", "enum": [d.value for d in ReviewDecision]},
            "comment": {
                "type": "string",
                "maxLength": 4000,
                "description": "required when returning: what staff should fix",
            },
        },
    },
    "DisclosurePublishing": {
        "type": "object",
        "required": ["passphrase"],
        "properties": {
            "passphrase": {
                "type": "string",
                "description": "opens the signer's PKCS#12; the first signature in a role "
                "sets it (at least 8 characters). consult never stores it.",
            }
        },
    },
    "DisclosureSigning": {
        "type": "object",
        "required": ["role", "passphrase"],
        "properties": {
            "role": {"type": "string", "enum": [DisclosureSigningRole.SUPERVISOR.value]},
            "passphrase": {"type": "string"},
        },
    },
    "DisclosureReason": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "maxLength": 2000}},
    },
    "LedgerImport": {
        "type": "object",
        "required": ["created"],
        "properties": {
            "created": {"type": "integer", "description": "the lines imported"},
            "disclosure_id": _ID,
        },
    },
    "LedgerLine": {
        "type": "object",
        "required": ["id", "date", "direction", "amount_fen"],
        "properties": {
            "id": _ID,
            "line": {"type": "integer"},
            "date": _DATE,
            "voucher": {"type": "string"},
            "summary": {"type": "string"},
            "category": {"type": "string"},
            "direction": {"type": "string", "enum": [d.value for d in Direction]},
            "amount_fen": {**_FEN, "minimum": 1},
            "counterparty": {"type": "string"},
            "voided": {"type": "boolean"},
            "void_reason": {"type": ["string", "null"]},
        },
    },
    "NewLedgerLine": {
        "type": "object",
        "required": ["date", "summary", "category", "direction", "amount"],
        "description": "One line, checked exactly as a line of the ledger CSV (INTERFACES.md §4).",
        "properties": {
            "date": {**_DATE, "description": "ISO 8601, inside the disclosure's period"},
            "voucher": {"type": "string", "maxLength": 40},
            "summary": {"type": "string", "maxLength": 500},
            "category": {"type": "string", "maxLength": 100},
            "direction": {"type": "string", "enum": [d.value for d in Direction]},
            "amount": {
                "type": "string",
                "pattern": r"^\d+(\.\d{1,2})?$",
                "description": "yuan as a decimal string with at most two places (a JSON number "
                "is refused: floats lose fen)",
                "examples": ["1280.50"],
            },
            "counterparty": {"type": "string", "maxLength": 200},
        },
    },
    "DisclosureLedger": {
        "type": "object",
        "required": ["disclosure_id", "entries", "income_fen", "expense_fen", "reconciles"],
        "properties": {
            "disclosure_id": _ID,
            "document_id": {"type": "string"},
            "period": {"type": "string"},
            "version": {"type": "integer"},
            "state": {"type": "string", "enum": [s.value for s in DisclosureState]},
            "opening_balance_fen": _FEN_OR_NULL,
            "closing_balance_fen": _FEN_OR_NULL,
            "income_fen": _FEN,
            "expense_fen": _FEN,
            "reconciles": {
                "type": "boolean",
                "description": "opening + income − expense = closing",
            },
            "by_category": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "income_fen": _FEN,
                        "expense_fen": _FEN,
                        "count": {"type": "integer"},
                    },
                },
            },
            "by_month": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "month": {"type": "string"},
                        "opening_fen": _FEN,
                        "income_fen": _FEN,
                        "expense_fen": _FEN,
                        "closing_fen": _FEN,
                    },
                },
            },
            "entries": {
                "type": "array",
                "description": "the live lines, as the CSV export has them",
                "items": {
                    "type": "object",
                    "properties": {
                        "date": _DATE,
                        "voucher": {"type": ["string", "null"]},
                        "summary": {"type": "string"},
                        "category": {"type": "string"},
                        "direction": {"type": "string", "enum": [d.value for d in Direction]},
                        "amount_fen": _FEN,
                        "amount": {"type": "string", "description": "yuan, two places"},
                        "counterparty": {"type": ["string", "null"]},
                    },
                },
            },
            "lines": {
                "type": "array",
                "description": "committee and supervisors only: every line with its id, "
                "struck-out ones included",
                "items": ref("LedgerLine"),
            },
        },
    },
    "NewDisclosureQuery": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "maxLength": 4000},
            "kind": {
                "type": "string",
                "enum": [k.value for k in QueryKind],
                "default": QueryKind.OBJECTION.value,
                "description": "a query (质询) or an objection (异议)",
            },
        },
    },
    "DisclosureQuery": {
        "type": "object",
        "required": ["id", "disclosure_id", "kind", "text", "due_on", "status"],
        "properties": {
            "id": _ID,
            "disclosure_id": _ID,
            "kind": {"type": "string", "enum": [k.value for k in QueryKind]},
            "text": {"type": "string"},
            "filed_at": {"type": "string", "format": "date-time"},
            "due_on": {**_DATE, "description": "the answer's deadline (DSP-05, policy)"},
            "answer": {"type": ["string", "null"]},
            "answered_at": _TIME,
            "escalated_at": _TIME,
            "escalation_note": {"type": ["string", "null"]},
            "status": _STATUS,
            "resident_id": {
                "type": "integer",
                "description": "who filed it: staff and supervisors only",
            },
        },
    },
    "DisclosureQueryPage": _page_of("DisclosureQuery"),
    "DisclosureDue": {
        "type": "object",
        "required": ["rows", "overdue_queries"],
        "properties": {
            "community": {"type": "string"},
            "today": {**_DATE, "description": "in the community's time zone"},
            "rows": {
                "type": "array",
                "description": "overdue first, then due, late and on time",
                "items": ref("DisclosureDueRow"),
            },
            "overdue_queries": {"type": "array", "items": ref("DisclosureQuery")},
        },
    },
    "DisclosureDueRow": {
        "type": "object",
        "required": ["category", "period", "state", "due_on", "rule_ids"],
        "properties": {
            "category": {"type": "string", "enum": [c.value for c in Category]},
            "period": {"type": "string"},
            "state": {"type": "string", "enum": [s.value for s in DueState]},
            "due_on": _DATE,
            "days_left": {"type": "integer"},
            "days_overdue": {"type": "integer"},
            "days_late": {"type": "integer"},
            "rule_ids": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the RULES.md rows (and DSP policy ids) the period and the due "
                "date come from",
            },
            "due_rule": _RULE,
            "frequency_rule": _RULE,
            "disclosure_id": {
                "type": ["integer", "null"],
                "description": "the newest published version, if any",
            },
        },
    },
}

PARAMETERS: dict[str, Any] = {
    "disclosure_id": {"name": "disclosure_id", "in": "path", "required": True, "schema": _ID},
    "query_id": {
        "name": "query_id",
        "in": "path",
        "required": True,
        "description": "a query's or an objection's id",
        "schema": _ID,
    },
    "entry_id": {
        "name": "entry_id",
        "in": "path",
        "required": True,
        "description": "a ledger line's id",
        "schema": _ID,
    },
    "disclosure_category": {
        "name": "category",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": [c.value for c in Category]},
    },
    "disclosure_period": {
        "name": "period",
        "in": "query",
        "required": False,
        "description": "a month, a quarter or a date, as the disclosure was created with",
        "schema": {"type": "string", "maxLength": 20},
    },
    "all_states": {
        "name": "all",
        "in": "query",
        "required": False,
        "description": "1: drafts and versions under review too (committee and supervisors; "
        "for anyone else the same as 0)",
        "schema": {"type": "string", "enum": ["0", "1"]},
    },
    "replace": {
        "name": "replace",
        "in": "query",
        "required": False,
        "description": "1: void (strike out, keeping them) the lines already there first",
        "schema": {"type": "string", "enum": ["0", "1"]},
    },
}

_DISCLOSURE = ("disclosure_id",)
_STATE_ERRORS = {**_NOT_FOUND, **_CONFLICT, **_INVALID}
# Actions without a body still refuse one that is not a JSON object.
_NO_BODY = {"400": _error("BadRequest"), "415": _error("UnsupportedMediaType")}
_PASSPHRASE_ERRORS = {**_STATE_ERRORS, "429": _error("RateLimited")}
_TAG = "disclosures"

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/communities/{code}/disclosures": {
        "post": operation(
            "createDisclosure",
            "Create a disclosure draft (staff)",
            tag=_TAG,
            description="422 `invalid_category`, `invalid_period`, `wrong_period` (a period "
            "the schedule does not give this category), or an unknown `account_id`.",
            parameters=("code",),
            in_community=True,
            reads_json=True,
            body=_body(
                ref("NewDisclosure"),
                example={
                    "category": "finance",
                    "period": "2026-10",
                    "title": "和平里社区2026年10月财务收支公开",
                    "body": "本月收支情况如下，欢迎居民监督。",
                },
            ),
            responses={"201": _ok("The draft; `id` is its id.", ref("Disclosure"))},
        ),
        "get": operation(
            "listDisclosures",
            "The community's disclosures, newest first (public: published and superseded)",
            tag=_TAG,
            description="With `all=1` the committee and the supervisors also get drafts and "
            "versions under review or being signed.",
            public=True,
            parameters=(
                "code",
                "disclosure_category",
                "disclosure_period",
                "all_states",
                "page",
                "per_page",
            ),
            in_community=True,
            responses={
                "200": _ok("A page of disclosures.", ref("DisclosurePage")),
                "422": _error("Invalid"),
            },
        ),
    },
    "/api/v1/communities/{code}/disclosures/due": {
        "get": operation(
            "getDisclosuresDue",
            "The schedule's dashboard: what is due, overdue, on time or late, and overdue answers",
            tag=_TAG,
            description="The same for staff, supervisors and the public (URC25-33, VC25-28). "
            "Ad-hoc matters arise from events and are not listed.",
            public=True,
            parameters=("code",),
            in_community=True,
            responses={"200": _ok("The dashboard.", ref("DisclosureDue"))},
        )
    },
    "/api/v1/disclosures/{disclosure_id}": {
        "get": operation(
            "getDisclosure",
            "A disclosure (a draft is 404 except to the committee and the supervisors)",
            tag=_TAG,
            description="The committee and the supervisors also get the review comments.",
            public=True,
            parameters=_DISCLOSURE,
            responses={"200": _ok("The disclosure.", ref("Disclosure")), **_NOT_FOUND},
        ),
        "patch": operation(
            "updateDisclosure",
            "Change a draft or a returned version (staff)",
            tag=_TAG,
            description="409 `not_editable` once submitted (under review, being signed or "
            "published: a correction is a new version); 422 for balances given one without "
            "the other. `null` for both balances removes them (a statement whose balances were "
            "given by mistake); `null` for one alone is 422.",
            parameters=_DISCLOSURE,
            reads_json=True,
            body=_body(
                ref("DisclosureChanges"),
                example={"opening_balance_fen": 1000000, "closing_balance_fen": 5511950},
            ),
            responses={"200": _ok("The draft.", ref("Disclosure")), **_STATE_ERRORS},
        ),
    },
    "/api/v1/disclosures/{disclosure_id}/ledger": {
        "post": operation(
            "importLedger",
            "Import the ledger CSV into a draft (staff)",
            tag=_TAG,
            description="INTERFACES.md §4, UTF-8 (a BOM is accepted). The whole file is "
            "checked first: any bad line (a bad date, an amount that is negative or has three "
            "decimals, an unknown direction, a date outside the period or in the future, a "
            "cell starting with = + - @, bytes that are not UTF-8) means nothing is imported "
            "and 422 `invalid_ledger` lists every bad line. 409 `no_ledger` for a category "
            "without a ledger, `not_editable` after submission.",
            parameters=("disclosure_id", "replace"),
            body=_body({"type": "string"}, media="text/csv", example=_LEDGER_CSV_EXAMPLE),
            responses={
                "200": _ok("Imported.", ref("LedgerImport")),
                "413": _error("TooLarge"),
                "415": _error("UnsupportedMediaType"),
                **_STATE_ERRORS,
            },
        ),
        "get": operation(
            "getLedger",
            "A disclosure's ledger and statement as open data (JSON)",
            tag=_TAG,
            description="404 `no_ledger` for a category without a ledger.",
            public=True,
            parameters=_DISCLOSURE,
            responses={"200": _ok("The ledger.", ref("DisclosureLedger")), **_NOT_FOUND},
        ),
    },
    "/api/v1/disclosures/{disclosure_id}/ledger.csv": {
        "get": operation(
            "getLedgerCsv",
            "A disclosure's ledger as CSV (INTERFACES.md §4, formula-safe)",
            tag=_TAG,
            description="UTF-8 with a byte-order mark, as a download (`Content-Disposition: "
            "attachment`); a cell that a spreadsheet would run as a formula is neutralised.",
            public=True,
            parameters=_DISCLOSURE,
            responses={
                "200": {
                    "description": "The CSV.",
                    "content": {
                        "text/csv": {"schema": {"type": "string"}, "example": _LEDGER_CSV_EXAMPLE}
                    },
                },
                **_NOT_FOUND,
            },
        )
    },
    "/api/v1/disclosures/{disclosure_id}/entries": {
        "post": operation(
            "addLedgerLine",
            "Add one ledger line by hand to a draft (staff)",
            tag=_TAG,
            description="422 `invalid_entry` naming what is wrong.",
            parameters=_DISCLOSURE,
            reads_json=True,
            body=_body(
                ref("NewLedgerLine"),
                example={
                    "date": "2026-10-09",
                    "voucher": "记-002",
                    "summary": "楼道照明维修",
                    "category": "维修",
                    "direction": "expense",
                    "amount": "1280.50",
                    "counterparty": "平安电器维修部",
                },
            ),
            responses={"201": _ok("The line.", ref("LedgerLine")), **_STATE_ERRORS},
        )
    },
    "/api/v1/ledger-entries/{entry_id}/void": {
        "post": operation(
            "voidLedgerLine",
            "Strike out a line of a draft, with the reason (staff; kept, never deleted)",
            tag=_TAG,
            description="409 `already_voided`, `not_editable`.",
            parameters=("entry_id",),
            reads_json=True,
            body=_body(ref("DisclosureReason"), example={"reason": "重复录入"}),
            responses={"200": _ok("The struck-out line.", ref("LedgerLine")), **_STATE_ERRORS},
        )
    },
    "/api/v1/disclosures/{disclosure_id}/submit": {
        "post": operation(
            "submitDisclosure",
            "Send a draft (or a returned version) to the supervisory committee (staff)",
            tag=_TAG,
            description="422 `not_reconciled` when opening + income − expense ≠ closing "
            "(details give `expected_closing_fen`), `balances_missing`, `empty`; 409 "
            "`not_editable`.",
            parameters=_DISCLOSURE,
            responses={
                "200": _ok("Submitted.", ref("Disclosure")),
                **_STATE_ERRORS,
                **_NO_BODY,
            },
        )
    },
    "/api/v1/disclosures/{disclosure_id}/review": {
        "post": operation(
            "reviewDisclosure",
            "Approve a submitted disclosure, or return it with a comment (a supervisor)",
            tag=_TAG,
            description="Every comment is kept. 409 `not_submitted`; 403 `own_submission` "
            "for the person who submitted it; 422 for a return without a comment.",
            parameters=_DISCLOSURE,
            reads_json=True,
            body=_body(
                ref("DisclosureReview"),
                example={"decision": "return", "comment": "请附上记-003的凭证"},
            ),
            responses={"200": _ok("Reviewed.", ref("Disclosure")), **_STATE_ERRORS},
        )
    },
    "/api/v1/disclosures/{disclosure_id}/publish": {
        "post": operation(
            "publishDisclosure",
            "Render the approved disclosure as a PDF and sign it (staff)",
            tag=_TAG,
            description="The certification signature, which creates the supervisor's field; "
            "a supervisor countersigns next and then it is on the board. 409 `not_approved` "
            "unless the supervisory committee approved it; 403 `not_signer` without the staff "
            "role, `passphrase_wrong`; 422 `passphrase_short` for a first passphrase under 8 "
            "characters, `not_reconciled`; 429 after too many wrong passphrases (and a "
            "per-address limit).",
            parameters=_DISCLOSURE,
            reads_json=True,
            body=_body(ref("DisclosurePublishing"), example={"passphrase": "…"}),
            responses={
                "201": _ok("Signed; the new PDF's SHA-256.", ref("SignedDisclosure")),
                **_PASSPHRASE_ERRORS,
            },
        )
    },
    "/api/v1/disclosures/{disclosure_id}/sign": {
        "post": operation(
            "countersignDisclosure",
            "Countersign the staff-signed PDF (a supervisor): the disclosure is published",
            tag=_TAG,
            description="An incremental update that leaves the staff signature valid; the "
            "version this one corrects (if any) is superseded. 409 `out_of_order` before "
            "the staff signature, `same_signer` for the person who signed as staff; 403 "
            "`not_signer`, `passphrase_wrong`; 422 `invalid_role`; 429 as for publishing.",
            parameters=_DISCLOSURE,
            reads_json=True,
            body=_body(ref("DisclosureSigning"), example={"role": "supervisor", "passphrase": "…"}),
            responses={
                "201": _ok("Countersigned and published.", ref("SignedDisclosure")),
                **_PASSPHRASE_ERRORS,
            },
        )
    },
    "/api/v1/disclosures/{disclosure_id}/correction": {
        "post": operation(
            "startDisclosureCorrection",
            "Correct a published disclosure: a new draft version pointing at it (staff)",
            tag=_TAG,
            description="It starts from the published text, balances and ledger lines; the "
            "published version stays on the board until the correction is countersigned, "
            "then shows as superseded. 409 `not_published`, `correction_exists`.",
            parameters=_DISCLOSURE,
            reads_json=True,
            body=_body(ref("DisclosureReason"), example={"reason": "记-002金额录入有误"}),
            responses={"201": _ok("The new draft.", ref("Disclosure")), **_STATE_ERRORS},
        )
    },
    "/api/v1/disclosures/{disclosure_id}.pdf": {
        "get": operation(
            "getDisclosurePdf",
            "The newest signed PDF of a disclosure (public once published)",
            tag=_TAG,
            description="The stored bytes, never re-saved; `X-Document-Id` names it. 404 "
            "before the first signature (and for a version being signed, except to the "
            "committee and the supervisors).",
            public=True,
            parameters=_DISCLOSURE,
            responses={
                "200": {
                    "description": "The PDF.",
                    "content": {"application/pdf": {"schema": _BINARY}},
                },
                **_NOT_FOUND,
            },
        )
    },
    "/api/v1/disclosures/{disclosure_id}/objections": {
        "post": operation(
            "fileDisclosureQuery",
            "Query or object to a published disclosure (a verified resident of the community)",
            tag=_TAG,
            description="The committee answers by `due_on` (DSP-05). 403 `not_resident` (or "
            "a resident of another community); 404 for a draft; 409 `not_published` for a "
            "version that is not the published one (superseded).",
            parameters=_DISCLOSURE,
            reads_json=True,
            body=_body(
                ref("NewDisclosureQuery"),
                example={"text": "记-002的维修费用是否经过询价？", "kind": "query"},
            ),
            responses={"201": _ok("Filed.", ref("DisclosureQuery")), **_STATE_ERRORS},
        ),
        "get": operation(
            "listDisclosureQueries",
            "The queries and objections on a disclosure, with the answers (public)",
            tag=_TAG,
            description="Who filed each is shown to staff and supervisors only.",
            public=True,
            parameters=("disclosure_id", "page", "per_page"),
            responses={
                "200": _ok("A page of queries.", ref("DisclosureQueryPage")),
                "404": _error("NotFound"),
                "422": _error("Invalid"),
            },
        ),
    },
    "/api/v1/objections/{query_id}/answer": {
        "post": operation(
            "answerDisclosureQuery",
            "Answer a query or objection, once (staff, chair)",
            tag=_TAG,
            description="409 `already_answered`; 409 `superseded` when a correction has "
            "replaced the disclosure (answer on the current version).",
            parameters=("query_id",),
            reads_json=True,
            body=_body(
                {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string", "maxLength": 4000}},
                },
                example={"text": "已询价三家，选择最低报价。"},
            ),
            responses={"200": _ok("Answered.", ref("DisclosureQuery")), **_STATE_ERRORS},
        )
    },
    "/api/v1/objections/{query_id}/escalate": {
        "post": operation(
            "escalateDisclosureQuery",
            "Take up a query (overdue, or answered badly), recording why (a supervisor)",
            tag=_TAG,
            description="409 `already_escalated`.",
            parameters=("query_id",),
            reads_json=True,
            body=_body(
                {
                    "type": "object",
                    "required": ["note"],
                    "properties": {"note": {"type": "string", "maxLength": 4000}},
                },
                example={"note": "逾期未答复，监委会督办"},
            ),
            responses={"200": _ok("Escalated.", ref("DisclosureQuery")), **_STATE_ERRORS},
        )
    },
}

TAGS = [
    {
        "name": _TAG,
        "description": "Public-affairs and financial disclosure (居务公开、财务公开): drafts, "
        "ledgers, review, signed PDFs, queries and the schedule",
    }
]
