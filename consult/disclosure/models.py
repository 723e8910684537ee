"""Public-affairs and financial disclosure (居务公开、财务公开, issue 6).

- `disclosure_policies`: a community's configurable defaults where the law sets no number
  (consult.rules.disclosure.DisclosurePolicy, DSP-01…05); a change is a new row, the newest wins.
- `ledger_accounts`: a community's funds (账户), e.g. the collective account or a project fund.
- `disclosures`: one version of one disclosure. A draft changes until it is submitted for
  review; after publication nothing changes in place: a correction is a new version pointing at
  the old one (`previous_id`), and both stay on the record.
- `ledger_entries`: a finance disclosure's ledger lines, in integer fen. Lines of a draft are
  voided (kept, marked, with the reason), never deleted.
- `disclosure_vouchers`: scans of vouchers, stored by content hash (attachment_blobs).
- `disclosure_reviews`: the supervisory committee's decisions with their comments, every one kept.
- `disclosure_signatures`: the PDF as it stood after each signature (staff, then a supervisor).
- `disclosure_queries`: residents' queries and objections (质询/异议), answers and escalations.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from consult import clock
from consult.db import UTCDateTime
from consult.extensions import Model
from consult.rules.disclosure import (
    DEFAULT_ANSWER_DAYS,
    DEFAULT_AT_ONCE_DAYS,
    DEFAULT_GRACE_DAYS,
    Category,
    DisclosurePolicy,
    Frequency,
)
from consult.rules.ledger_csv import Direction


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class DisclosureState(StrEnum):
    DRAFT = "draft"  # staff write it; ledger lines may be imported, added and voided
    SUBMITTED = "submitted"  # waiting for the supervisory committee (DS-18)
    RETURNED = "returned"  # sent back with a comment: staff fix it and submit again
    APPROVED = "approved"  # the supervisory committee agreed: staff may publish (sign)
    SIGNING = "signing"  # staff signed the PDF; a supervisor countersigns next
    PUBLISHED = "published"  # countersigned: on the board, then in the archive, never removed
    SUPERSEDED = "superseded"  # a published version a correction replaced (kept, shown as such)


#: States in which the text and the ledger may still change.
EDITABLE = (DisclosureState.DRAFT, DisclosureState.RETURNED)
#: States the public sees.
PUBLIC_STATES = (DisclosureState.PUBLISHED, DisclosureState.SUPERSEDED)


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    RETURN = "return"


class DisclosureSigningRole(StrEnum):
    """Who signs a disclosure, in order: staff publish, a supervisor countersigns (issue 6)."""

    STAFF = "staff"
    SUPERVISOR = "supervisor"


DISCLOSURE_SIGNING_ORDER = (DisclosureSigningRole.STAFF, DisclosureSigningRole.SUPERVISOR)


class QueryKind(StrEnum):
    QUERY = "query"  # 质询: a question about the disclosure
    OBJECTION = "objection"  # 异议: the resident disputes it


class DisclosurePolicyRow(Model):
    """A community's disclosure policy from `set_at` on (the newest row is in force)."""

    __tablename__ = "disclosure_policies"
    __table_args__ = (
        CheckConstraint(_in("urban_general", Frequency), name="urban_general"),
        CheckConstraint(_in("urban_finance", Frequency), name="urban_finance"),
        CheckConstraint(_in("village_finance", Frequency), name="village_finance"),
        CheckConstraint("grace_days >= 0 AND at_once_days >= 0 AND answer_days >= 1", name="days"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grace_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_GRACE_DAYS)
    at_once_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_AT_ONCE_DAYS)
    answer_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_ANSWER_DAYS)
    urban_general: Mapped[str] = mapped_column(String(10), default=Frequency.QUARTERLY)
    urban_finance: Mapped[str] = mapped_column(String(10), default=Frequency.MONTHLY)
    village_finance: Mapped[str] = mapped_column(String(10), default=Frequency.MONTHLY)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def policy(self) -> DisclosurePolicy:
        return DisclosurePolicy(
            grace_days=self.grace_days,
            at_once_days=self.at_once_days,
            answer_days=self.answer_days,
            urban_general=Frequency(self.urban_general),
            urban_finance=Frequency(self.urban_finance),
            village_finance=Frequency(self.village_finance),
        )


class LedgerAccount(Model):
    """A fund whose ledger a finance disclosure publishes (e.g. 集体资金账户)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("community_id", "code", name="uq_ledger_accounts_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Disclosure(Model):
    """One version of a disclosure of one category for one period."""

    __tablename__ = "disclosures"
    __table_args__ = (
        CheckConstraint(_in("state", DisclosureState), name="state"),
        CheckConstraint(_in("category", Category), name="category"),
        CheckConstraint("(version = 1) = (previous_id IS NULL)", name="correction"),
        # A statement's balances exist together or not at all (fen; a fund in debt is negative).
        CheckConstraint(
            "(opening_balance_fen IS NULL) = (closing_balance_fen IS NULL)", name="balances"
        ),
        CheckConstraint("period_first <= period_last", name="period"),
        UniqueConstraint("previous_id", name="uq_disclosures_previous_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(10))  # "2026-10", "2026-Q4" or "2026-10-15"
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when shown
    lang: Mapped[str] = mapped_column(String(10), default="zh-Hans")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_accounts.id"))
    opening_balance_fen: Mapped[int | None] = mapped_column(BigInteger)
    closing_balance_fen: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("disclosures.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=DisclosureState.DRAFT, index=True)
    # The public id printed on every page and in the QR code's verification link.
    document_id: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def disclosure_state(self) -> DisclosureState:
        return DisclosureState(self.state)

    @property
    def is_editable(self) -> bool:
        return self.disclosure_state in EDITABLE

    @property
    def is_public(self) -> bool:
        return self.disclosure_state in PUBLIC_STATES


class LedgerEntry(Model):
    """One line of a finance disclosure's ledger (INTERFACES.md §4), in integer fen."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(_in("direction", Direction), name="direction"),
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint("(voided_at IS NULL) = (void_reason IS NULL)", name="void_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)  # the order shown; the CSV line for an import
    entry_date: Mapped[date] = mapped_column(Date)
    voucher: Mapped[str] = mapped_column(String(40), default="")
    summary: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(10))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    counterparty: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(10), default="csv")  # "csv" or "hand"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)


class DisclosureVoucher(Model):
    """A scan of a voucher (image or PDF), its bytes in attachment_blobs by SHA-256."""

    __tablename__ = "disclosure_vouchers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), index=True)
    voucher: Mapped[str] = mapped_column(String(40))  # the voucher number of its ledger lines
    sha256: Mapped[str] = mapped_column(ForeignKey("attachment_blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DisclosureReview(Model):
    """A decision of the supervisory committee on a submitted version (DS-18)."""

    __tablename__ = "disclosure_reviews"
    __table_args__ = (
        CheckConstraint(_in("decision", ReviewDecision), name="decision"),
        CheckConstraint("decision = 'approve' OR length(comment) > 0", name="return_comment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class DisclosureSignature(Model):
    """A signature on a disclosure's PDF, with the whole PDF as it stood afterwards."""

    __tablename__ = "disclosure_signatures"
    __table_args__ = (
        CheckConstraint(_in("role", DisclosureSigningRole), name="role"),
        UniqueConstraint("disclosure_id", "role", name="uq_disclosure_signatures_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    certificate_id: Mapped[int] = mapped_column(ForeignKey("signer_certificates.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class DisclosureQuery(Model):
    """A resident's query or objection on a published disclosure, and the committee's answer.

    The exchange is public; the filer's identity is not (only staff and supervisors see who
    filed it). The answer is given once; an escalation by the supervisory committee is recorded.
    """

    __tablename__ = "disclosure_queries"
    __table_args__ = (
        CheckConstraint(_in("kind", QueryKind), name="kind"),
        CheckConstraint("(answered_at IS NULL) = (answer IS NULL)", name="answer"),
        CheckConstraint("(escalated_at IS NULL) = (escalation_note IS NULL)", name="escalation"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=QueryKind.QUERY)
    text: Mapped[str] = mapped_column(Text)
    filed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    due_on: Mapped[date] = mapped_column(Date)  # DSP-05, in the community's zone
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalation_note: Mapped[str | None] = mapped_column(Text)
    # A query left unanswered on a version that a correction superseded is carried to the
    # correction (a new row pointing here, with the same text, filing time and deadline): the
    # old version is never answered again, the resident's question still is.
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("disclosure_queries.id"), unique=True
    )
