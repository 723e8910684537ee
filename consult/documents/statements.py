"""Disclosures as signed PDFs (issue 6): staff publish an approved disclosure — consult renders
it (text, ledger table, totals by category, the chart) with the minutes pipeline and staff sign
it, certifying the document and creating the supervisor's field — then a member of the
supervisory committee countersigns and it goes on the board. Each stage's PDF is stored
unchanged with its SHA-256, which goes into the audit entry.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy import select

from consult import clock
from consult.actor import Actor
from consult.audit.service import record
from consult.disclosure import ledger, queries, service
from consult.disclosure.chart import ChartBar, ledger_chart_svg
from consult.disclosure.models import (
    DISCLOSURE_SIGNING_ORDER,
    Disclosure,
    DisclosureSignature,
    DisclosureSigningRole,
    DisclosureState,
)
from consult.disclosure.state import has_ledger, lock
from consult.errors import Conflict, NotFound
from consult.extensions import db
from consult.registry.models import Community
from consult.rules.disclosure import CATEGORY_NAMES, Category, parse_period
from consult.rules.ledger_csv import Direction, format_fen

from .disclosure_layout import (
    DISCLOSURE_SIGNATURE_IDS,
    CategoryTotal,
    DisclosureDocument,
    LedgerRow,
)
from .markdown_text import markdown_to_safe_html
from .models import SigningRole
from .service import (
    Toolkit,
    _font,
    _printable,
    _require_role,
    _role,
    _sha256,
    signer_identity,
)
from .signing import LocalKeySigner, StampText, sign_pdf

_WORDS = {
    "zh-Hans": {
        "staff": "公开经办人签署",
        "supervisor": "监督委员会审核会签",
        "income": "收入",
        "expense": "支出",
        "opening": "期初余额",
        "closing": "期末余额",
        "total_income": "本期收入合计",
        "total_expense": "本期支出合计",
        "entries": "笔数",
        "correction": "更正（第{version}版）：{reason}",
        "period": "公开期间",
        "category": "公开类别",
        "yuan": "元",
    },
    "en": {
        "staff": "signed by the committee's staff",
        "supervisor": "countersigned by the supervisory committee",
        "income": "income",
        "expense": "expense",
        "opening": "Opening balance",
        "closing": "Closing balance",
        "total_income": "Total income",
        "total_expense": "Total expense",
        "entries": "Entries",
        "correction": "Correction (version {version}): {reason}",
        "period": "Period",
        "category": "Category",
        "yuan": "yuan",
    },
}


def money(fen: int) -> str:
    """Yuan with thousands separators, for people: 1234567 fen → "12,345.67" (never a float)."""
    return format_fen(fen, grouping=True)


def signatures_of(disclosure: Disclosure) -> list[DisclosureSignature]:
    return list(
        db.session.execute(
            select(DisclosureSignature)
            .where(DisclosureSignature.disclosure_id == disclosure.id)
            .order_by(DisclosureSignature.id)
        ).scalars()
    )


def _words(lang: str) -> dict[str, str]:
    return _WORDS["zh-Hans" if lang.startswith("zh") else "en"]


def _period_label(disclosure: Disclosure) -> str:
    return parse_period(disclosure.period).text(disclosure.lang)


def disclosure_document(
    disclosure: Disclosure, publisher: str, verification_url: str
) -> DisclosureDocument:
    """What the PDF prints: the text, and for a ledger its lines, totals and chart."""
    community = db.session.get(Community, disclosure.community_id)
    assert community is not None
    words = _words(disclosure.lang)
    zh = disclosure.lang.startswith("zh")
    category_name = CATEGORY_NAMES[Category(disclosure.category)][0 if zh else 1]
    rows: tuple[LedgerRow, ...] = ()
    totals: tuple[tuple[str, str], ...] = ()
    category_totals: tuple[CategoryTotal, ...] = ()
    chart = Markup("")
    facts = [(words["category"], category_name), (words["period"], _period_label(disclosure))]
    if has_ledger(disclosure) and disclosure.opening_balance_fen is not None:
        entries = ledger.rule_entries(disclosure)
        statement = ledger.statement_of(disclosure)
        rows = tuple(
            LedgerRow(
                date=e.on.isoformat(),
                voucher=e.voucher or "",
                summary=e.summary,
                category=e.category,
                direction=words["income" if e.direction is Direction.INCOME else "expense"],
                amount=money(e.amount_fen),
            )
            for e in entries
        )
        totals = (
            (words["opening"], money(statement.opening_fen)),
            (words["total_income"], money(statement.income_fen)),
            (words["total_expense"], money(statement.expense_fen)),
            (words["closing"], money(statement.closing_fen)),
            (words["entries"], str(statement.count)),
        )
        category_totals = tuple(
            CategoryTotal(name, money(t.income_fen), money(t.expense_fen))
            for name, t in statement.by_category.items()
        )
        by_category, by_month = ledger.chart_data(statement)
        chart = ledger_chart_svg(
            [ChartBar(*row) for row in by_category],
            [ChartBar(*row) for row in by_month],
            lang=disclosure.lang,
        )
    correction = ""
    if disclosure.correction_reason:
        correction = words["correction"].format(
            version=disclosure.version, reason=disclosure.correction_reason
        )
    return DisclosureDocument(
        document_id=disclosure.document_id,
        verification_url=verification_url,
        body_name=community.name,
        title=disclosure.title,
        category=category_name,
        period=_period_label(disclosure),
        published_by=publisher,
        body_html=markdown_to_safe_html(disclosure.body),
        facts=tuple(facts),
        rows=rows,
        totals=totals,
        category_totals=category_totals,
        chart_svg=chart,
        correction_note=correction,
        lang=disclosure.lang,
    )


def publish_disclosure(
    actor: Actor, disclosure: Disclosure, passphrase: str, tools: Toolkit
) -> DisclosureSignature:
    """Staff render the approved disclosure and sign it (the certification signature, which
    creates the supervisor's field). 409 unless the supervisory committee approved it."""
    _require_role(
        actor, disclosure.community_id, SigningRole.STAFF, "disclosure:disclosure:publish"
    )
    lock(disclosure)
    if disclosure.disclosure_state is not DisclosureState.APPROVED:
        raise Conflict(
            "a disclosure is published once the supervisory committee has approved it",
            details={"state": disclosure.state},
            code="not_approved",
        )
    service.check_publishable(disclosure)
    if tools.render_disclosure is None:
        raise Conflict("disclosure rendering is not set up", code="no_renderer")
    community = db.session.get(Community, disclosure.community_id)
    assert community is not None
    row, identity, name = signer_identity(actor, community, SigningRole.STAFF, passphrase, tools)
    now = clock.now()
    words = _words(disclosure.lang)
    with _printable():
        url = tools.verification_url(disclosure.document_id)
        rendered = tools.render_disclosure(disclosure_document(disclosure, name, url))
        boxes = rendered.anchors
        own_id, other_id = DISCLOSURE_SIGNATURE_IDS
        own, other = boxes[own_id], boxes[other_id]
        signed = sign_pdf(
            rendered.pdf,
            LocalKeySigner(identity),
            field=own_id,
            box=(own.page, *own.box),
            certify=True,
            new_fields=[(other_id, other.page, other.box)],
            stamp=StampText.for_role(name, SigningRole.STAFF.value),
            font_path=_font(tools),
            reason=words["staff"],
            location=community.name,
            timestamp_url=tools.timestamp_url,
            signed_at=now,
        )
    signature = _store(actor, disclosure, DisclosureSigningRole.STAFF, row.id, signed, now)
    disclosure.state = DisclosureState.SIGNING.value
    disclosure.updated_at = now
    db.session.flush()
    _audit(actor, disclosure, signature, row.fingerprint)
    return signature


def countersign_disclosure(
    actor: Actor, disclosure: Disclosure, role: str, passphrase: str, tools: Toolkit
) -> DisclosureSignature:
    """A member of the supervisory committee countersigns the staff-signed PDF (an incremental
    update that leaves the first signature valid); the disclosure goes on the board."""
    signing_role = _role(role, (SigningRole.SUPERVISOR,))
    _require_role(actor, disclosure.community_id, signing_role, "disclosure:disclosure:countersign")
    lock(disclosure)
    if disclosure.disclosure_state is not DisclosureState.SIGNING:
        raise Conflict(
            "the staff sign first (publish); then a supervisor countersigns",
            details={"state": disclosure.state},
            code="out_of_order",
        )
    done = signatures_of(disclosure)
    if any(s.user_id == actor.user_id for s in done):
        raise Conflict("the person who signed as staff does not countersign", code="same_signer")
    community = db.session.get(Community, disclosure.community_id)
    assert community is not None
    row, identity, name = signer_identity(actor, community, signing_role, passphrase, tools)
    now = clock.now()
    with _printable():
        signed = sign_pdf(
            done[-1].pdf,
            LocalKeySigner(identity),
            field=DISCLOSURE_SIGNATURE_IDS[1],
            stamp=StampText.for_role(name, signing_role.value),
            font_path=_font(tools),
            reason=_words(disclosure.lang)["supervisor"],
            location=community.name,
            timestamp_url=tools.timestamp_url,
            signed_at=now,
        )
    signature = _store(actor, disclosure, DisclosureSigningRole.SUPERVISOR, row.id, signed, now)
    service.publish_version(disclosure)
    if disclosure.previous_id is not None:
        previous = db.session.get(Disclosure, disclosure.previous_id)
        assert previous is not None
        queries.carry_open_queries(actor, previous, disclosure)
    db.session.flush()
    _audit(actor, disclosure, signature, row.fingerprint)
    return signature


def _store(
    actor: Actor,
    disclosure: Disclosure,
    role: DisclosureSigningRole,
    certificate_id: int,
    signed: bytes,
    now: Any,
) -> DisclosureSignature:
    assert actor.user_id is not None
    signature = DisclosureSignature(
        disclosure_id=disclosure.id,
        role=role.value,
        user_id=actor.user_id,
        certificate_id=certificate_id,
        signed_at=now,
        sha256=_sha256(signed),
        pdf=signed,
    )
    db.session.add(signature)
    return signature


def _audit(
    actor: Actor, disclosure: Disclosure, signature: DisclosureSignature, fingerprint: str
) -> None:
    record(
        actor,
        "disclosure:disclosure:sign",
        "disclosure",
        disclosure.id,
        community_id=disclosure.community_id,
        payload={
            "version": disclosure.version,
            "role": signature.role,
            "sha256": signature.sha256,  # the document hash at this step
            "certificate": fingerprint,
            "published": disclosure.state == DisclosureState.PUBLISHED,
        },
    )


def disclosure_pdf(actor: Actor, disclosure: Disclosure) -> bytes:
    """The newest signed PDF: the published one for anyone (service.get_disclosure decides who
    sees a version still being signed)."""
    done = signatures_of(disclosure)
    if not done:
        raise NotFound("this disclosure has no signed PDF yet")
    return done[-1].pdf


def find_stage(digest: str) -> tuple[Disclosure, DisclosureSignature] | None:
    """The disclosure version and signature stage an exact file (by SHA-256) is, if consult
    made it: the verification page recognises disclosures as it does minutes."""
    stage = db.session.execute(
        select(DisclosureSignature).where(DisclosureSignature.sha256 == digest)
    ).scalar_one_or_none()
    if stage is None:
        return None
    found = db.session.get(Disclosure, stage.disclosure_id)
    assert found is not None
    return found, stage


def find_disclosure(document_id: str) -> Disclosure | None:
    return db.session.execute(
        select(Disclosure).where(Disclosure.document_id == document_id.strip().upper()[:40])
    ).scalar_one_or_none()


def next_signer(disclosure: Disclosure) -> str | None:
    done = len(signatures_of(disclosure))
    if disclosure.disclosure_state is DisclosureState.APPROVED:
        return DisclosureSigningRole.STAFF.value
    if disclosure.disclosure_state is DisclosureState.SIGNING and done < len(
        DISCLOSURE_SIGNING_ORDER
    ):
        return DISCLOSURE_SIGNING_ORDER[done].value
    return None
