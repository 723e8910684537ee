"""Disclosures: the schedule a community keeps, drafts, supervisory review, corrections, the
public board and the due/overdue dashboard (issue 6; RULES.md §4(c), URC25-32…34, VC25-26…30).

Signing and publication live in consult.documents.statements (the PDF pipeline sits above this
layer); the ledger of a finance disclosure in consult.disclosure.ledger; residents' queries and
objections in consult.disclosure.queries.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select

from consult import clock
from consult.accounts.policy import can, require
from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.audit.service import record
from consult.errors import Conflict, Invalid, NotAllowed, NotFound
from consult.extensions import db
from consult.registry.models import Community
from consult.rules import disclosure as rules
from consult.rules.errors import NoRuleSetInForce, NotAvailable, UnknownRuleSet

from .ledger import copy_ledger, get_account, statement_of
from .models import (
    PUBLIC_STATES,
    Disclosure,
    DisclosurePolicyRow,
    DisclosureReview,
    DisclosureState,
    LedgerEntry,
    ReviewDecision,
)
from .state import has_ledger, local_today, lock, require_editable

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_COMMENT = 4_000
MAX_REASON = 2_000
DOCUMENT_LANGUAGES = ("zh-Hans", "en")


# ---------------------------------------------------------------- the community's policy


def community_policy(community: Community) -> rules.DisclosurePolicy:
    """The policy in force: the newest row, or consult's defaults (DSP-01…05)."""
    row = db.session.execute(
        select(DisclosurePolicyRow)
        .where(DisclosurePolicyRow.community_id == community.id)
        .order_by(DisclosurePolicyRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return row.policy() if row is not None else rules.DEFAULT_POLICY


def set_policy(actor: Actor, community: Community, **values: Any) -> rules.DisclosurePolicy:
    """A new policy from now on (the old row stays: who set what, when)."""
    require(actor, "disclosure:policy:set", community.id)
    current = community_policy(community)
    merged: dict[str, Any] = {
        "grace_days": current.grace_days,
        "at_once_days": current.at_once_days,
        "answer_days": current.answer_days,
        "urban_general": current.urban_general,
        "urban_finance": current.urban_finance,
        "village_finance": current.village_finance,
    }
    unknown = sorted(set(values) - set(merged))
    if unknown:
        raise Invalid("no such policy setting", details=dict.fromkeys(unknown, "unknown"))
    merged.update({k: v for k, v in values.items() if v is not None})
    try:
        policy = rules.DisclosurePolicy(**merged)
    except ValueError as exc:
        raise Invalid(str(exc), details={"policy": str(exc)}, code="invalid_policy") from None
    row = DisclosurePolicyRow(
        community_id=community.id,
        grace_days=policy.grace_days,
        at_once_days=policy.at_once_days,
        answer_days=policy.answer_days,
        urban_general=policy.urban_general.value,
        urban_finance=policy.urban_finance.value,
        village_finance=policy.village_finance.value,
        set_at=clock.now(),
        set_by=actor.user_id,
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "disclosure:policy:set",
        "disclosure_policy",
        row.id,
        community_id=community.id,
        payload={k: str(v) for k, v in merged.items()},
    )
    return policy


def schedule_of(community: Community, on: date | None = None) -> rules.Schedule | None:
    """The schedule in force on `on` (today), or None when no text set one (urban, before 2026)."""
    try:
        return rules.schedule_for(
            community.kind, on or local_today(community), community_policy(community)
        )
    except (NoRuleSetInForce, NotAvailable, UnknownRuleSet):
        return None


# ---------------------------------------------------------------- reading


def get_disclosure(actor: Actor, disclosure_id: int) -> Disclosure:
    """A disclosure the actor may see: published (and superseded) ones for anyone; drafts and
    versions under review for the committee and the supervisors. Otherwise NotFound, so the
    existence of a draft is not revealed."""
    found = db.session.get(Disclosure, disclosure_id)
    if found is None:
        raise NotFound("no such disclosure")
    if found.is_public or can(actor, "disclosure:draft:read", found.community_id):
        return found
    raise NotFound("no such disclosure")


def versions_of(actor: Actor, disclosure: Disclosure) -> list[Disclosure]:
    """Every version in the chain of corrections this one belongs to, newest first (the actor
    sees drafts only with draft:read)."""
    chain: list[Disclosure] = []
    first = disclosure
    while first.previous_id is not None:
        earlier = db.session.get(Disclosure, first.previous_id)
        assert earlier is not None
        first = earlier
    current: Disclosure | None = first
    while current is not None:
        chain.append(current)
        current = db.session.execute(
            select(Disclosure).where(Disclosure.previous_id == current.id)
        ).scalar_one_or_none()
    see_drafts = can(actor, "disclosure:draft:read", disclosure.community_id)
    return [d for d in reversed(chain) if see_drafts or d.is_public]


def list_disclosures(
    actor: Actor,
    community: Community,
    *,
    states: Sequence[DisclosureState] | None = None,
    category: str | None = None,
    period: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Disclosure]:
    """Newest first. The public gets published and superseded versions only."""
    query = select(Disclosure).where(*_listed(actor, community, states, category, period))
    query = (
        query.order_by(Disclosure.published_at.desc().nulls_first(), Disclosure.id.desc())
        .limit(max(1, min(limit, 1000)))
        .offset(max(0, offset))
    )
    return list(db.session.execute(query).scalars())


def count_disclosures(
    actor: Actor,
    community: Community,
    *,
    states: Sequence[DisclosureState] | None = None,
    category: str | None = None,
    period: str | None = None,
) -> int:
    """How many disclosures `list_disclosures` would list with the same filters and no limit,
    in one COUNT (an API page needs the total without reading every row)."""
    query = (
        select(func.count())
        .select_from(Disclosure)
        .where(*_listed(actor, community, states, category, period))
    )
    return int(db.session.execute(query).scalar_one())


def _listed(
    actor: Actor,
    community: Community,
    states: Sequence[DisclosureState] | None,
    category: str | None,
    period: str | None,
) -> list[ColumnElement[bool]]:
    """The conditions of a list: the community, the states the actor may see (the public only
    published and superseded versions), and the category and period asked for."""
    allowed = set(DisclosureState)
    if not can(actor, "disclosure:draft:read", community.id):
        allowed = set(PUBLIC_STATES)
    wanted = allowed if states is None else allowed & set(states)
    conditions = [
        Disclosure.community_id == community.id,
        Disclosure.state.in_([s.value for s in wanted]),
    ]
    if category:
        conditions.append(Disclosure.category == _category(category).value)
    if period:
        conditions.append(Disclosure.period == str(_period(period)))
    return conditions


@dataclass(frozen=True)
class BoardItem:
    """A published disclosure on the board or in the archive."""

    disclosure: Disclosure
    published_on: date
    posted_until: date | None  # the last day it must stay up (≥ 15 days, URC25-33, VC25-28)
    on_board: bool  # within its posting time (at least 15 days, SEM-3)


def board(
    community: Community,
    *,
    category: str | None = None,
    period: str | None = None,
    archive: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[BoardItem]:
    """The disclosure board (公开栏): published versions still within their posting time,
    newest first; `archive=True` gives everything ever published, corrections and superseded
    versions included. Nothing is ever removed."""
    today = local_today(community)
    query = select(Disclosure).where(
        Disclosure.community_id == community.id,
        Disclosure.state.in_([s.value for s in PUBLIC_STATES]),
    )
    if category:
        query = query.where(Disclosure.category == _category(category).value)
    if period:
        query = query.where(Disclosure.period == str(_period(period)))
    if not archive:
        # The posting time is at most 15 days plus rest days; a month back bounds the read,
        # the exact rule is applied below.
        query = query.where(
            Disclosure.state == DisclosureState.PUBLISHED.value,
            Disclosure.published_at >= clock.now() - timedelta(days=45),
        )
    query = query.order_by(Disclosure.published_at.desc(), Disclosure.id.desc())
    items = []
    zone = ZoneInfo(community.timezone)
    for found in db.session.execute(
        query.limit(limit if archive else 1000).offset(offset if archive else 0)
    ).scalars():
        assert found.published_at is not None
        published_on = found.published_at.astimezone(zone).date()
        until = rules.posting_ends(published_on, kind=community.kind)
        up = found.state == DisclosureState.PUBLISHED and (until is None or today <= until)
        if archive or up:
            items.append(BoardItem(found, published_on, until, up))
    return items if archive else items[offset : offset + limit]


# ---------------------------------------------------------------- writing


def _period(text: str) -> rules.Period:
    try:
        return rules.parse_period(text.strip())
    except ValueError as exc:
        raise Invalid(str(exc), details={"period": str(exc)}, code="invalid_period") from None


def _category(text: str) -> rules.Category:
    try:
        return rules.parse_category(text)
    except NotAvailable as exc:
        raise Invalid(str(exc), details={"category": str(exc)}, code="invalid_category") from None


def _text(name: str, value: str, limit: int, *, required: bool = False) -> str:
    value = value.strip() if required else value
    if required and not value:
        raise Invalid(f"the {name} is required", details={name: "required"})
    if len(value) > limit:
        raise Invalid(f"the {name} is too long", details={name: f"at most {limit} characters"})
    return value


def _document_id() -> str:
    # Random, not a sequence: a document id printed on paper reveals nothing about others.
    return "DSC-" + secrets.token_hex(8).upper()


def _check_schedule(community: Community, category: rules.Category, period: rules.Period) -> None:
    """A month or quarter must be the kind the schedule sets for this category (a quarter for
    monthly finance is refused; more frequent is always lawful: a month for a quarterly item)."""
    try:
        rules.due(community.kind, category, period, policy=community_policy(community))
    except NoRuleSetInForce:
        return  # no schedule: nothing to keep to (an urban period before 2026)
    except NotAvailable as exc:
        if period.kind is rules.PeriodKind.MONTH:
            return  # a monthly disclosure of a quarterly item: more than the law asks
        raise Invalid(str(exc), details={"period": str(exc)}, code="wrong_period") from None


def create_disclosure(
    actor: Actor,
    community: Community,
    *,
    category: str,
    period: str,
    title: str,
    body: str = "",
    lang: str | None = None,
    account_id: int | None = None,
) -> Disclosure:
    """A new draft (staff)."""
    require(actor, "disclosure:disclosure:write", community.id)
    parsed_category = _category(category)
    parsed_period = _period(period)
    title = _text("title", title, MAX_TITLE, required=True)
    body = _text("body", body, MAX_BODY)
    if lang is not None and lang not in DOCUMENT_LANGUAGES:
        raise Invalid("no such document language", details={"lang": ", ".join(DOCUMENT_LANGUAGES)})
    _check_schedule(community, parsed_category, parsed_period)
    if account_id is not None:
        get_account(community, account_id)
    now = clock.now()
    found = Disclosure(
        community_id=community.id,
        category=parsed_category.value,
        period=str(parsed_period),
        period_first=parsed_period.first,
        period_last=parsed_period.last,
        title=title,
        body=body,
        lang=lang or "zh-Hans",
        account_id=account_id,
        version=1,
        document_id=_document_id(),
        state=DisclosureState.DRAFT.value,
        created_at=now,
        created_by=actor.user_id,
        updated_at=now,
    )
    db.session.add(found)
    db.session.flush()
    record(
        actor,
        "disclosure:disclosure:write",
        "disclosure",
        found.id,
        community_id=community.id,
        payload={"category": found.category, "period": found.period, "created": True},
    )
    return found


def update_disclosure(
    actor: Actor,
    disclosure: Disclosure,
    *,
    title: str | None = None,
    body: str | None = None,
    lang: str | None = None,
    account_id: int | None = None,
    opening_balance_fen: int | None = None,
    closing_balance_fen: int | None = None,
    clear_balances: bool = False,
) -> Disclosure:
    """Change a draft (or a returned version). Balances are given together; None leaves them
    as they are, and `clear_balances` removes both (a statement of funds without them, or
    balances given by mistake)."""
    require(actor, "disclosure:disclosure:write", disclosure.community_id)
    lock(disclosure)
    require_editable(disclosure)
    if clear_balances and (opening_balance_fen is not None or closing_balance_fen is not None):
        raise Invalid(
            "either give the balances or remove them, not both",
            details={"balances": "give both or remove both"},
        )
    if title is not None:
        disclosure.title = _text("title", title, MAX_TITLE, required=True)
    if body is not None:
        disclosure.body = _text("body", body, MAX_BODY)
    if lang is not None:
        if lang not in DOCUMENT_LANGUAGES:
            raise Invalid(
                "no such document language", details={"lang": ", ".join(DOCUMENT_LANGUAGES)}
            )
        disclosure.lang = lang
    if account_id is not None:
        community = db.session.get(Community, disclosure.community_id)
        assert community is not None
        disclosure.account_id = get_account(community, account_id).id
    if (opening_balance_fen is None) != (closing_balance_fen is None):
        raise Invalid(
            "give the opening and the closing balance together",
            details={"balances": "both or neither"},
        )
    if opening_balance_fen is not None and closing_balance_fen is not None:
        for name, value in (
            ("opening_balance", opening_balance_fen),
            ("closing_balance", closing_balance_fen),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 10**15:
                raise Invalid("a balance is a whole number of fen", details={name: "integer fen"})
        disclosure.opening_balance_fen = opening_balance_fen
        disclosure.closing_balance_fen = closing_balance_fen
    cleared = clear_balances and disclosure.opening_balance_fen is not None
    if clear_balances:
        disclosure.opening_balance_fen = None
        disclosure.closing_balance_fen = None
    disclosure.updated_at = clock.now()
    db.session.flush()
    payload: dict[str, Any] = {
        "version": disclosure.version,
        "opening_balance_fen": disclosure.opening_balance_fen,
        "closing_balance_fen": disclosure.closing_balance_fen,
    }
    if cleared:
        payload["balances_cleared"] = True
    record(
        actor,
        "disclosure:disclosure:write",
        "disclosure",
        disclosure.id,
        community_id=disclosure.community_id,
        payload=payload,
    )
    return disclosure


def _live_entry_count(disclosure: Disclosure) -> int:
    return int(
        db.session.execute(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.disclosure_id == disclosure.id, LedgerEntry.voided_at.is_(None))
        ).scalar_one()
    )


def check_publishable(disclosure: Disclosure) -> None:
    """A finance statement must reconcile (opening + income − expense = closing) before it goes
    to review and again before it is signed: the board never shows one that does not."""
    if not has_ledger(disclosure):
        return
    if disclosure.opening_balance_fen is None or disclosure.closing_balance_fen is None:
        if _live_entry_count(disclosure) == 0:
            return  # a text-only disclosure of funds (e.g. a donation notice)
        raise Invalid(
            "a statement needs its opening and closing balances",
            details={"balances": "give the opening and the closing balance"},
            code="balances_missing",
        )
    statement = statement_of(disclosure)
    check = statement.check(disclosure.closing_balance_fen)
    if not check.ok:
        raise Invalid(
            check.message,
            details={
                "balances": check.message,
                "expected_closing_fen": check.expected_closing_fen,
                "stated_closing_fen": check.stated_closing_fen,
            },
            code="not_reconciled",
        )


def submit_disclosure(actor: Actor, disclosure: Disclosure) -> Disclosure:
    """Staff send a draft (or a returned version) to the supervisory committee (DS-18)."""
    require(actor, "disclosure:disclosure:submit", disclosure.community_id)
    lock(disclosure)
    require_editable(disclosure)
    if not disclosure.body.strip() and not _live_entry_count(disclosure):
        raise Invalid(
            "there is nothing to disclose yet: write the text or import the ledger",
            details={"body": "required"},
            code="empty",
        )
    check_publishable(disclosure)
    disclosure.state = DisclosureState.SUBMITTED.value
    disclosure.submitted_at = clock.now()
    disclosure.submitted_by = actor.user_id
    disclosure.updated_at = clock.now()
    db.session.flush()
    record(
        actor,
        "disclosure:disclosure:submit",
        "disclosure",
        disclosure.id,
        community_id=disclosure.community_id,
        payload={"version": disclosure.version},
    )
    return disclosure


def review_disclosure(
    actor: Actor, disclosure: Disclosure, decision: str, comment: str = ""
) -> DisclosureReview:
    """The supervisory committee approves a submitted version, or returns it with a comment
    (every comment is kept). The member who submitted it cannot review it."""
    require(actor, "disclosure:disclosure:review", disclosure.community_id)
    try:
        parsed = ReviewDecision(decision)
    except ValueError:
        raise Invalid(
            "the decision is approve or return", details={"decision": "approve or return"}
        ) from None
    comment = _text("comment", comment, MAX_COMMENT).strip()
    if parsed is ReviewDecision.RETURN and not comment:
        raise Invalid(
            "say why it is returned, so staff know what to fix",
            details={"comment": "required when returning"},
        )
    lock(disclosure)
    if disclosure.disclosure_state is not DisclosureState.SUBMITTED:
        raise Conflict(
            "only a submitted disclosure is reviewed",
            details={"state": disclosure.state},
            code="not_submitted",
        )
    if actor.user_id is not None and actor.user_id == disclosure.submitted_by:
        raise NotAllowed(
            "the person who submitted a disclosure does not review it", code="own_submission"
        )
    assert actor.user_id is not None
    review = DisclosureReview(
        disclosure_id=disclosure.id,
        reviewer_id=actor.user_id,
        decision=parsed.value,
        comment=comment,
        reviewed_at=clock.now(),
    )
    db.session.add(review)
    if parsed is ReviewDecision.APPROVE:
        check_publishable(disclosure)
        disclosure.state = DisclosureState.APPROVED.value
        disclosure.approved_at = clock.now()
    else:
        disclosure.state = DisclosureState.RETURNED.value
    disclosure.updated_at = clock.now()
    db.session.flush()
    record(
        actor,
        "disclosure:disclosure:review",
        "disclosure",
        disclosure.id,
        community_id=disclosure.community_id,
        payload={"version": disclosure.version, "decision": parsed.value, "comment": comment},
    )
    return review


def submissions_of(disclosure: Disclosure) -> list[tuple[datetime, int | None]]:
    """Every time the version was sent for review, and by whom, oldest first: `submitted_at`
    holds only the latest, the audit log holds them all."""
    return [
        (at, who)
        for at, who in db.session.execute(
            select(AuditEntry.occurred_at, AuditEntry.actor_user_id)
            .where(
                AuditEntry.action == "disclosure:disclosure:submit",
                AuditEntry.object_type == "disclosure",
                AuditEntry.object_id == str(disclosure.id),
            )
            .order_by(AuditEntry.id)
        ).all()
    ]


def reviews_of(disclosure: Disclosure) -> list[DisclosureReview]:
    return list(
        db.session.execute(
            select(DisclosureReview)
            .where(DisclosureReview.disclosure_id == disclosure.id)
            .order_by(DisclosureReview.id)
        ).scalars()
    )


def start_correction(actor: Actor, disclosure: Disclosure, reason: str) -> Disclosure:
    """A correction of a published disclosure: a new draft version pointing at it, starting
    from its text, balances and live ledger lines. The old one stays published until the new
    one is, then it is superseded — both stay visible."""
    require(actor, "disclosure:disclosure:write", disclosure.community_id)
    reason = _text("reason", reason, MAX_REASON, required=True)
    lock(disclosure)
    if disclosure.disclosure_state is not DisclosureState.PUBLISHED:
        raise Conflict(
            "only the published version is corrected; a draft is simply edited",
            details={"state": disclosure.state},
            code="not_published",
        )
    if db.session.execute(
        select(Disclosure.id).where(Disclosure.previous_id == disclosure.id)
    ).first():
        raise Conflict(
            "a correction of this version is already under way", code="correction_exists"
        )
    now = clock.now()
    correction = Disclosure(
        community_id=disclosure.community_id,
        category=disclosure.category,
        period=disclosure.period,
        period_first=disclosure.period_first,
        period_last=disclosure.period_last,
        title=disclosure.title,
        body=disclosure.body,
        lang=disclosure.lang,
        account_id=disclosure.account_id,
        opening_balance_fen=disclosure.opening_balance_fen,
        closing_balance_fen=disclosure.closing_balance_fen,
        version=disclosure.version + 1,
        previous_id=disclosure.id,
        correction_reason=reason,
        document_id=_document_id(),
        state=DisclosureState.DRAFT.value,
        created_at=now,
        created_by=actor.user_id,
        updated_at=now,
    )
    db.session.add(correction)
    db.session.flush()
    copied = copy_ledger(disclosure, correction, actor)
    record(
        actor,
        "disclosure:correction:create",
        "disclosure",
        correction.id,
        community_id=disclosure.community_id,
        payload={"corrects": disclosure.id, "version": correction.version, "entries": copied},
    )
    return correction


def publish_version(disclosure: Disclosure) -> None:
    """Called by the signing service at the countersignature: the version goes on the board,
    and the version it corrects is superseded (kept, shown as such)."""
    now = clock.now()
    disclosure.state = DisclosureState.PUBLISHED.value
    disclosure.published_at = now
    disclosure.updated_at = now
    if disclosure.previous_id is not None:
        previous = db.session.get(Disclosure, disclosure.previous_id)
        assert previous is not None
        previous.state = DisclosureState.SUPERSEDED.value
        previous.superseded_at = now


def published_on(disclosure: Disclosure) -> date | None:
    if disclosure.published_at is None:
        return None
    community = db.session.get(Community, disclosure.community_id)
    assert community is not None
    return disclosure.published_at.astimezone(ZoneInfo(community.timezone)).date()


# ---------------------------------------------------------------- the dashboard


@dataclass(frozen=True)
class DueRow:
    """One category and period the schedule requires, and where it stands."""

    category: rules.Category
    period: rules.Period
    status: rules.DueStatus
    frequency_rule: rules.Rule
    disclosure_id: int | None  # the published (or latest) version, if any


def dashboard(community: Community, *, months_back: int = 12) -> list[DueRow]:
    """What the schedule required or requires from `months_back` months ago to the next due
    dates: due, overdue (and by how many days), published on time, or late — the same for
    staff, supervisors and the public. Ad-hoc matters arise from events and are not listed."""
    today = local_today(community)
    policy = community_policy(community)
    start = max(
        today - timedelta(days=31 * months_back),
        community.created_at.astimezone(ZoneInfo(community.timezone)).date() - timedelta(days=1),
    )
    horizon = today + timedelta(days=120)
    published = _published_periods(community)
    latest = _latest_periods(community)
    rows: list[DueRow] = []
    for category in rules.Category:
        try:
            periods = rules.periods_due(community.kind, category, start, horizon, policy=policy)
        except (NotAvailable, UnknownRuleSet):
            return []
        for period in periods:
            key = (category.value, str(period))
            on = published.get(key)
            if on is not None and on > today:
                on = today
            try:
                found = rules.due(community.kind, category, period, policy=policy)
                state = rules.status(community.kind, category, period, on, today, policy=policy)
            except (NoRuleSetInForce, NotAvailable):
                continue
            if state.state is rules.DueState.OPEN:
                continue
            rows.append(DueRow(category, period, state, found.frequency_rule, latest.get(key)))
    order = {
        rules.DueState.OVERDUE: 0,
        rules.DueState.DUE: 1,
        rules.DueState.LATE: 2,
        rules.DueState.ON_TIME: 3,
        rules.DueState.OPEN: 4,
    }
    rows.sort(key=lambda r: (order[r.status.state], r.status.due_on, r.category.value))
    return rows


def _published_periods(community: Community) -> dict[tuple[str, str], date]:
    """The first day each category and period was published (corrections do not make a
    disclosure late or on time again: the first publication counts)."""
    zone = ZoneInfo(community.timezone)
    found: dict[tuple[str, str], date] = {}
    for category, period, at in db.session.execute(
        select(Disclosure.category, Disclosure.period, func.min(Disclosure.published_at))
        .where(
            Disclosure.community_id == community.id,
            Disclosure.published_at.is_not(None),
        )
        .group_by(Disclosure.category, Disclosure.period)
    ):
        if at is None:
            continue
        if at.tzinfo is None:  # SQLite's MIN() returns the stored text, not the column type
            at = at.replace(tzinfo=UTC)
        found[(category, period)] = at.astimezone(zone).date()
    return found


def _latest_periods(community: Community) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for category, period, newest in db.session.execute(
        select(Disclosure.category, Disclosure.period, func.max(Disclosure.id))
        .where(
            Disclosure.community_id == community.id,
            Disclosure.state.in_([s.value for s in PUBLIC_STATES]),
        )
        .group_by(Disclosure.category, Disclosure.period)
    ):
        found[(category, period)] = int(newest)
    return found


# ---------------------------------------------------------------- JSON


def disclosure_json(disclosure: Disclosure, *, with_reviews: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": disclosure.id,
        "community_id": disclosure.community_id,
        "category": disclosure.category,
        "period": disclosure.period,
        "title": disclosure.title,
        "body": disclosure.body,
        "lang": disclosure.lang,
        "state": disclosure.state,
        "version": disclosure.version,
        "previous_id": disclosure.previous_id,
        "correction_reason": disclosure.correction_reason,
        "document_id": disclosure.document_id,
        "account_id": disclosure.account_id,
        "opening_balance_fen": disclosure.opening_balance_fen,
        "closing_balance_fen": disclosure.closing_balance_fen,
        "submitted_at": _iso(disclosure.submitted_at),
        "approved_at": _iso(disclosure.approved_at),
        "published_at": _iso(disclosure.published_at),
        "superseded_at": _iso(disclosure.superseded_at),
    }
    if with_reviews:
        data["reviews"] = [
            {
                "decision": r.decision,
                "comment": r.comment,
                "reviewed_at": r.reviewed_at.isoformat(),
            }
            for r in reviews_of(disclosure)
        ]
    return data


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
