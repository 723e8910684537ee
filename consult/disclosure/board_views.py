"""The public disclosure board (公开栏, issue 6): the board and the archive of a community, a
disclosure's page (text, ledger, chart, versions, queries and answers), residents' queries, the
kiosk view, the Atom feed, the due/overdue dashboard and the open-data exports."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import segno
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    FromClause,
    Select,
    Subquery,
    bindparam,
    func,
    select,
    true,
)

from consult import clock
from consult.accounts.policy import can
from consult.disclosure import board_cache, ledger, queries, service
from consult.disclosure.board_forms import QueryForm, kiosk_seconds
from consult.disclosure.chart import ChartBar, ledger_chart_svg
from consult.disclosure.models import (
    PUBLIC_STATES,
    Disclosure,
    DisclosurePolicyRow,
    DisclosureQuery,
    DisclosureState,
    QueryKind,
)
from consult.disclosure.state import has_ledger, local_today
from consult.documents import statements
from consult.documents.markdown_text import markdown_to_safe_html
from consult.errors import NotFound
from consult.extensions import db
from consult.registry.models import Community
from consult.rules import disclosure as rules
from consult.rules.ledger_csv import Direction, LedgerEntry, Statement, format_fen
from consult.web.permissions import permission
from consult.web.public_cache import CachedRoute, offer

bp = Blueprint("disclosure_board", __name__)

#: Cards per page of the archive.
ARCHIVE_PAGE = 20
#: Entries in the Atom feed (the newest; the archive has the rest).
FEED_ENTRIES = 50
#: How much of a text-only disclosure the kiosk shows (characters).
KIOSK_EXCERPT = 280


# ---------------------------------------------------------------- words

T = TypeVar("T")

#: Labels translated once per process and language (the catalogue does not change while the
#: process runs): a page of twelve cards or fifty due rows asks for the same few words again and
#: again, and each gettext call goes through Flask-Babel's context lookup.
_TRANSLATED: dict[tuple[str, str], Any] = {}


def _per_locale(make: Callable[[], T]) -> T:
    key = (make.__qualname__, str(get_locale()))
    found = _TRANSLATED.get(key)
    if found is None:
        found = _TRANSLATED[key] = make()
    return found


def _lang() -> str:
    """The reader's language as the rules name it (Period.text, CATEGORY_NAMES)."""
    return "zh-Hans" if str(get_locale()).startswith("zh") else "en"


def category_label(category: str) -> str:
    return _category_label(category, _lang())


def _category_label(category: str, lang: str) -> str:
    try:
        names = rules.CATEGORY_NAMES[rules.Category(category)]
    except ValueError:
        return category
    return names[0] if lang == "zh-Hans" else names[1]


def period_label(period: str | rules.Period | None) -> str:
    return _period_label(period, _lang())


def _period_label(period: str | rules.Period | None, lang: str) -> str:
    if period is None:
        return ""
    try:
        parsed = rules.parse_period(period) if isinstance(period, str) else period
    except ValueError:
        return str(period)
    return parsed.text(lang)


#: Days as the local_date filter writes them, per language (a due page writes ~40 of them).
_DAYS: dict[tuple[str, date], str] = {}


def _day(value: date | None, locale: str) -> str:
    """`value|local_date` (a date, not a time: no zone to apply), formatted once."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return str(format_date(value, "medium"))
    key = (locale, value)
    found = _DAYS.get(key)
    if found is None:
        if len(_DAYS) >= 10_000:
            _DAYS.clear()
        found = _DAYS[key] = str(format_date(value, "medium"))
    return found


def _state_labels() -> dict[DisclosureState, str]:
    return {
        DisclosureState.DRAFT: _("Draft (not public)"),
        DisclosureState.SUBMITTED: _("Waiting for the supervisory committee (not public)"),
        DisclosureState.RETURNED: _("Returned for changes (not public)"),
        DisclosureState.APPROVED: _("Approved, not yet signed (not public)"),
        DisclosureState.SIGNING: _("Being signed (not public)"),
        DisclosureState.PUBLISHED: _("Published"),
        DisclosureState.SUPERSEDED: _("Superseded by a correction"),
    }


def state_label(state: str) -> str:
    return _per_locale(_state_labels).get(DisclosureState(state), state)


def _due_state_labels() -> dict[rules.DueState, str]:
    return {
        rules.DueState.OPEN: _("Not yet due"),
        rules.DueState.DUE: _("Due"),
        rules.DueState.OVERDUE: _("Overdue"),
        rules.DueState.ON_TIME: _("Published on time"),
        rules.DueState.LATE: _("Published late"),
    }


def due_state_label(state: rules.DueState) -> str:
    return _per_locale(_due_state_labels)[state]


def _answer_state_labels() -> dict[rules.DueState, str]:
    return {
        rules.DueState.OPEN: _("Waiting for an answer"),
        rules.DueState.DUE: _("Waiting for an answer"),
        rules.DueState.OVERDUE: _("Answer overdue"),
        rules.DueState.ON_TIME: _("Answered on time"),
        rules.DueState.LATE: _("Answered late"),
    }


def answer_state_label(state: rules.DueState) -> str:
    return _per_locale(_answer_state_labels)[state]


def _query_kind_labels() -> dict[QueryKind, str]:
    return {QueryKind.QUERY: _("Question"), QueryKind.OBJECTION: _("Objection")}


def query_kind_label(kind: str) -> str:
    return _per_locale(_query_kind_labels).get(QueryKind(kind), kind)


def _card_words() -> dict[str, str]:
    """The words every card of the board and the archive repeats (_board_parts.html)."""
    return {
        "published": _("Published"),
        "superseded": _("Superseded"),
        "kept": _("Superseded by a correction: kept on record"),
        "corrects": _("the version it corrects"),
        "until": _("On the board until"),
        "was_until": _("Was on the board until"),
        "on_board": _("On the board now"),
        "policy": _("policy, not law"),
        "how_often": _("How often:"),
        "deadline": _("Deadline:"),
        "read_it": _("Read it"),
    }


def direction_label(direction: Direction) -> str:
    return _("Income") if direction is Direction.INCOME else _("Expense")


def yuan(fen: int) -> str:
    """Integer fen as yuan with thousands grouped: 5511950 → "55,119.50" (format_fen's digits)."""
    text = format_fen(fen)
    sign = "-" if text.startswith("-") else ""
    whole, cents = text.lstrip("-").split(".")
    return f"{sign}{int(whole):,}.{cents}"


def rule_text(rule: rules.Rule) -> str:
    return rule.text(_lang())


def citation_text(rule: rules.Rule) -> str:
    return _citation_text(rule, _lang())


def _citation_text(rule: rules.Rule, lang: str) -> str:
    return rule.citation.text(lang[:2]) if rule.citation is not None else ""


@bp.context_processor
def _helpers() -> dict[str, Any]:
    # The language once per page, not once per label (each lookup goes through Flask-Babel).
    lang = _lang()
    locale = str(get_locale())
    return {
        "category_label": lambda category: _category_label(category, lang),
        "period_label": lambda period: _period_label(period, lang),
        "disclosure_state_label": state_label,
        "due_state_label": due_state_label,
        "answer_state_label": answer_state_label,
        "query_kind_label": query_kind_label,
        "direction_label": direction_label,
        "rule_text": lambda rule: rule.text(lang),
        "rule_citation": lambda rule: _citation_text(rule, lang),
        "yuan": yuan,
        "local_day": _local_date,
        "day": lambda value: _day(value, locale),
        "staff_links": _staff_links(),
        "words": _per_locale(_card_words),
    }


def _staff_url(endpoint: str, **values: Any) -> str | None:
    """A link to the staff's pages (consult.disclosure.views), once they exist."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def _staff_links() -> bool:
    community = g.get("community")
    actor = g.get("actor")
    if community is None or actor is None:
        return False
    return can(actor, "disclosure:draft:read", community.id)


# ---------------------------------------------------------------- the cached content

#: The blocks of board.html and due.html kept in board_cache: everything but the site header
#: and footer (base.html), which carry the visitor's CSRF token and account links.
CACHED_BLOCKS = ("title", "head", "content")

_PUBLIC = [s.value for s in PUBLIC_STATES]
_COMMUNITY: BindParameter[int] = bindparam("community_id", 0)  # a value: render_postcompile
_CODE: BindParameter[str] = bindparam("code", "")
_COMMUNITY_OF_CODE = select(Community.id).where(Community.code == _CODE).scalar_subquery()


def _disclosures_version(community_id: ColumnElement[int]) -> Subquery:
    """What the board shows changes only when a version is published or superseded (a new
    day aside): the count, newest id and times of the community's public versions say so."""
    return (
        select(
            func.count(Disclosure.id).label("public"),
            func.max(Disclosure.id).label("newest"),
            func.max(Disclosure.published_at).label("published"),
            func.count(Disclosure.superseded_at).label("superseded"),
            func.max(Disclosure.superseded_at).label("superseded_at"),
        )
        .where(Disclosure.community_id == community_id, Disclosure.state.in_(_PUBLIC))
        .subquery()
    )


def _due_version(community_id: ColumnElement[int]) -> tuple[Subquery, ...]:
    """The dashboard also changes when a query is filed, answered or escalated, or the
    policy is set."""
    queries_version = (
        select(
            func.count(DisclosureQuery.id).label("queries"),
            func.max(DisclosureQuery.id).label("newest_query"),
            func.count(DisclosureQuery.answered_at).label("answered"),
            func.max(DisclosureQuery.answered_at).label("answered_at"),
            func.count(DisclosureQuery.escalated_at).label("escalated"),
            func.max(DisclosureQuery.escalated_at).label("escalated_at"),
        )
        .where(DisclosureQuery.community_id == community_id)
        .subquery()
    )
    policy_version = (
        select(func.max(DisclosurePolicyRow.id).label("policy"))
        .where(DisclosurePolicyRow.community_id == community_id)
        .subquery()
    )
    return _disclosures_version(community_id), queries_version, policy_version


def _joined(parts: tuple[Subquery, ...]) -> FromClause:
    joined: FromClause = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())
    return joined


_BOARD_VERSION: Select[Any] = select(_disclosures_version(_COMMUNITY))
_DUE_PARTS = _due_version(_COMMUNITY)
_DUE_VERSION: Select[Any] = select(*_DUE_PARTS).select_from(_joined(_DUE_PARTS))

#: The same versions found by the community's code, after the community's own row (what the
#: page shows of it): the state consult.web.public_cache keeps a reader's whole page for.
_COMMUNITY_ROW = (
    Community.id,
    Community.name,
    Community.kind,
    Community.timezone,
    Community.rule_set,
    Community.created_at,
)
_TIMEZONE_AT = 3  # Community.timezone in _COMMUNITY_ROW
_BOARD_STATE_PART = _disclosures_version(_COMMUNITY_OF_CODE)
_BOARD_STATE: Select[Any] = (
    select(*_COMMUNITY_ROW, _BOARD_STATE_PART)
    .select_from(Community)
    .join(_BOARD_STATE_PART, true())
    .where(Community.code == _CODE)
)
_DUE_STATE_PARTS = _due_version(_COMMUNITY_OF_CODE)
_DUE_STATE: Select[Any] = (
    select(*_COMMUNITY_ROW, *_DUE_STATE_PARTS)
    .select_from(Community)
    .join(_joined(_DUE_STATE_PARTS), true())
    .where(Community.code == _CODE)
)

# This process's own writes move the key too (board_cache.generation).
board_cache.watch(Disclosure, DisclosureQuery, DisclosurePolicyRow, Community)


@dataclass(frozen=True)
class _DriverQuery:
    """A version statement as the database driver takes it (compiled once per dialect)."""

    sql: str
    names: tuple[str, ...] | None  # the parameters' order, for a positional paramstyle
    fixed: dict[str, Any]  # the parameters but the community (the states)


_DRIVER_QUERIES: dict[tuple[int, str], _DriverQuery] = {}


def _driver_row(
    connection: Connection, statement: Select[Any], **values: Any
) -> tuple[Any, ...] | None:
    """The first row of a small statement run as plain SQL on the driver's own cursor: the
    ORM's per-statement work (~0.2 ms), and even a Core result's (~0.15 ms), costs more than
    these small indexed queries themselves, on every request of the busiest public pages."""
    dialect = connection.dialect
    query = _DRIVER_QUERIES.get((id(statement), dialect.name))
    if query is None:
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        order = getattr(compiled, "positiontup", None) if compiled.positional else None
        query = _DriverQuery(
            compiled.string, tuple(order) if order is not None else None, dict(compiled.params)
        )
        _DRIVER_QUERIES[(id(statement), dialect.name)] = query
    given = {**query.fixed, **values}
    params = tuple(given[n] for n in query.names) if query.names is not None else given
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(query.sql, params)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return tuple(row) if row is not None else None


def _read_version(statement: Select[Any], community_id: int) -> tuple[Any, ...]:
    """The one row of a version statement, in the request's transaction."""
    row = _driver_row(db.session.connection(), statement, community_id=community_id)
    assert row is not None  # aggregates: always one row
    return row


def _public_state(
    statement: Select[Any],
) -> Callable[[Connection, str], tuple[Hashable, ...] | None]:
    """How consult.web.public_cache reads a page's state: what `_page_key` puts in the key for
    a reader without a session (the community, the version, the local date, this process's
    generation), found by the community's code — None when there is no such community."""

    def state(connection: Connection, code: str) -> tuple[Hashable, ...] | None:
        row = _driver_row(connection, statement, code=code)
        if row is None:
            return None
        today = clock.now().astimezone(ZoneInfo(row[_TIMEZONE_AT])).date()
        return (*row, today, board_cache.generation())

    return state


_CODE_PATH = r"/c/(?P<code>[^/]+)/disclosures"
#: The pages a reader without a session is answered from consult.web.public_cache.
CACHED_ROUTES = (
    CachedRoute(
        "board",
        re.compile(_CODE_PATH),
        frozenset({"category", "period"}),
        _public_state(_BOARD_STATE),
    ),
    CachedRoute("due", re.compile(_CODE_PATH + "/due"), frozenset(), _public_state(_DUE_STATE)),
)


def _page_key(page: str, version: Select[Any], *extra: Hashable) -> tuple[Hashable, ...]:
    """Everything a cached page's content depends on. The version is read first, so content
    rendered after it is never older than its key says (a publication committed in between
    is then merely cached under the older key, which no later request asks for)."""
    community: Community = g.community
    row = _read_version(version, community.id)
    return (
        page,
        community.id,
        community.code,
        community.name,
        community.kind,
        community.timezone,
        community.rule_set,
        community.created_at,
        str(get_locale()),
        _staff_links(),
        request.script_root,
        local_today(community),
        tuple(row),
        board_cache.generation(),
        *extra,
    )


@dataclass(frozen=True)
class CachedPage:
    """The blocks of a page rendered before (Markup: they were escaped when rendered)."""

    title: Markup
    head: Markup
    content: Markup


def _render_blocks(template_name: str, **context: Any) -> tuple[str, ...]:
    """The CACHED_BLOCKS of a template rendered alone, with the context render_template gives
    (the template's own blocks import what they use: no top-level statement runs here)."""
    app = current_app
    template = app.jinja_env.get_or_select_template(template_name)
    app.update_template_context(context)
    ctx = template.new_context(context)
    return tuple("".join(template.blocks[name](ctx)) for name in CACHED_BLOCKS)


#: Stands for the visitor's CSRF token in a whole page kept for visitors with no header of
#: their own (random: no text on a page can be mistaken for it).
_TOKEN_HOLE = f"csrf-{secrets.token_hex(16)}"


def _plain_visitor() -> bool:
    """A visitor whose header is everyone's: not signed in, no text-size preference, no message
    waiting — a session holding at most the language and a CSRF token (a first visit has
    none). base.html then depends on nothing but the language, the path and the token."""
    if g.actor.is_authenticated or current_user.is_authenticated:
        return False
    token_key = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return set(session) <= {"lang", token_key}


def _cached_page(
    template_name: str, key: tuple[Hashable, ...], make: Callable[[], dict[str, Any]]
) -> str:
    """The page around its cached content (`make` gives the template's context when the
    content is not cached). base.html is rendered around it for each request — except for a
    plain visitor (_plain_visitor), whose whole page is kept with a hole where the header's
    CSRF token goes: the token is still the visitor's own, made for this request."""
    plain = _plain_visitor()
    if plain:
        pieces = board_cache.pages.get((*key, "page", request.path))
        if pieces is not None:
            _offer_whole_page(pieces)
            return _fill_token(pieces)
    parts = board_cache.pages.get(key)
    if parts is None:
        parts = _render_blocks(template_name, **make())
        board_cache.pages.put(key, parts)
    title, head, content = parts
    cached = CachedPage(Markup(title), Markup(head), Markup(content))  # noqa: S704 - ours
    if not plain:
        return render_template(template_name, cached=cached)
    page = render_template(template_name, cached=cached, csrf_token=lambda: _TOKEN_HOLE)
    pieces = tuple(page.split(_TOKEN_HOLE))
    board_cache.pages.put((*key, "page", request.path), pieces)
    _offer_whole_page(pieces)
    return _fill_token(pieces)


def _offer_whole_page(pieces: tuple[str, ...]) -> None:
    """A page with no CSRF token, for a reader who came without a session and has none: the
    same bytes for every such reader (consult.web.public_cache may keep the response; a
    `?lang=` has put the language in the session by now, and the cache never takes it)."""
    if len(pieces) == 1 and not session:
        offer(request.environ)


def _fill_token(pieces: tuple[str, ...]) -> str:
    """A kept page with the visitor's own CSRF token (as csrf_token() gives it) in its holes;
    a page without one makes none (and so sets no session cookie)."""
    if len(pieces) == 1:
        return pieces[0]
    return str(generate_csrf()).join(pieces)


# ---------------------------------------------------------------- the board and the archive


@dataclass(frozen=True)
class FilterField:
    """One of the filters' drop-downs (the plain HTML the filters macro writes)."""

    name: str
    label: str
    options: list[tuple[str, str]]
    value: str | None  # the option chosen ("" for all, None: none given)
    error: str | None


@dataclass(frozen=True)
class Filters:
    """What the board or the archive shows: a category and a period, each valid or dropped
    with a reason (a GET form: it changes nothing, so no CSRF and no WTForms)."""

    category: FilterField
    period: FilterField
    wanted_category: str | None
    wanted_period: str | None

    @property
    def filtered(self) -> bool:
        return bool(self.wanted_category or self.wanted_period)


#: A filter value that is not a category or a period (one key for them all).
INVALID = "\x00invalid"


def _wanted_filters() -> tuple[str | None, str | None]:
    """The filters asked for, as the page shows them: a category's value, a period in its
    canonical form ("2026-q3" is 2026-Q3), None when not given, INVALID for anything else."""
    category = request.args.get("category")
    if category and category not in {c.value for c in rules.Category}:
        category = INVALID
    period = request.args.get("period")
    if period:
        try:
            period = str(rules.parse_period(period.strip()))
        except ValueError:
            period = INVALID
    return category, period


#: The periods of everything published (the filters' choices).
_PERIODS: Select[Any] = (
    select(Disclosure.period)
    .where(Disclosure.community_id == _COMMUNITY, Disclosure.state.in_(_PUBLIC))
    .distinct()
)


def _periods() -> list[str]:
    """The periods of everything published, newest first (the filters' choices)."""
    found = db.session.connection().execute(_PERIODS, {"community_id": g.community.id})
    return sorted(set(found.scalars()), key=rules.parse_period, reverse=True)


def _filters(category: str | None, period: str | None) -> Filters:
    lang = _lang()
    zh = lang.startswith("zh")
    return Filters(
        category=FilterField(
            name="category",
            label=_("Category"),
            options=[("", _("All categories"))]
            + [(c.value, rules.CATEGORY_NAMES[c][0 if zh else 1]) for c in rules.Category],
            value=category,
            error=_("Choose one of the options given.") if category == INVALID else None,
        ),
        period=FilterField(
            name="period",
            label=_("Period"),
            options=[("", _("All periods"))]
            + [(p, rules.parse_period(p).text(lang)) for p in _periods()],
            value=period,
            error=(
                _("Write a month like 2026-10 or a quarter like 2026-Q4.")
                if period == INVALID
                else None
            ),
        ),
        wanted_category=category if category and category != INVALID else None,
        wanted_period=period if period and period != INVALID else None,
    )


@bp.route("/c/<code>/disclosures")
@permission("disclosure:board:read")
def board(code: str) -> Any:
    """The disclosure board: what is posted now (≥ 15 days each, URC25-33, VC25-28)."""
    category, period = _wanted_filters()

    def make() -> dict[str, Any]:
        form = _filters(category, period)
        items = service.board(g.community, category=form.wanted_category, period=form.wanted_period)
        return {
            "form": form,
            "items": items,
            "filtered": form.filtered,
            "manage_url": _staff_url("disclosure.manage", code=code),
            "posting_days": rules.POSTING_DAYS,
        }

    key = _page_key("board", _BOARD_VERSION, category, period)
    return _cached_page("disclosure/board.html", key, make)


@bp.route("/c/<code>/disclosures/archive")
@permission("disclosure:board:read")
def archive(code: str) -> Any:
    """Everything ever published, superseded versions included: nothing is removed."""
    form = _filters(*_wanted_filters())
    category, period = form.wanted_category, form.wanted_period
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))
    found = service.board(
        g.community,
        category=category,
        period=period,
        archive=True,
        limit=ARCHIVE_PAGE + 1,
        offset=(page - 1) * ARCHIVE_PAGE,
    )
    args: dict[str, Any] = {k: v for k, v in (("category", category), ("period", period)) if v}
    return render_template(
        "disclosure/archive.html",
        form=form,
        items=found[:ARCHIVE_PAGE],
        filtered=bool(category or period),
        page=page,
        previous_url=url_for(".archive", code=code, page=page - 1, **args) if page > 1 else None,
        next_url=(
            url_for(".archive", code=code, page=page + 1, **args)
            if len(found) > ARCHIVE_PAGE
            else None
        ),
    )


# ---------------------------------------------------------------- one disclosure


@dataclass(frozen=True)
class Finance:
    """A ledger disclosure's statement, lines and chart, as the page shows them."""

    statement: Statement
    entries: list[LedgerEntry]
    stated_closing_fen: int | None
    reconciles: bool
    chart: Markup


@dataclass(frozen=True)
class QueryRow:
    """A query or objection as the public sees it: never who filed it."""

    query: DisclosureQuery
    version: int
    status: rules.DueStatus
    filed_on: date
    answered_on: date | None


def _finance(disclosure: Disclosure, *, title: str) -> Finance | None:
    if not has_ledger(disclosure) or disclosure.opening_balance_fen is None:
        return None
    statement = ledger.statement_of(disclosure)
    by_category, by_month = ledger.chart_data(statement)
    chart = ledger_chart_svg(
        [ChartBar(*row) for row in by_category],
        [ChartBar(*row) for row in by_month],
        lang=_lang(),
        title=title,
    )
    closing = disclosure.closing_balance_fen
    return Finance(
        statement=statement,
        entries=ledger.rule_entries(disclosure),
        stated_closing_fen=closing,
        reconciles=closing is not None and statement.check(closing).ok,
        chart=chart,
    )


def _local_date(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(g.community.timezone)).date()


def _query_rows(versions: list[Disclosure]) -> list[QueryRow]:
    rows = []
    for version in versions:
        if not version.is_public:
            continue
        for found in queries.queries_on(version):
            filed_on = _local_date(found.filed_at)
            assert filed_on is not None
            rows.append(
                QueryRow(
                    query=found,
                    version=version.version,
                    status=queries.answer_status(found),
                    filed_on=filed_on,
                    answered_on=_local_date(found.answered_at),
                )
            )
    rows.sort(key=lambda r: r.query.id)
    return rows


def _detail_page(disclosure: Disclosure, form: QueryForm, status: int = 200) -> Any:
    versions = service.versions_of(g.actor, disclosure)
    title = disclosure.title
    schedule = service.schedule_of(g.community)
    page = render_template(
        "disclosure/detail.html",
        disclosure=disclosure,
        body_html=markdown_to_safe_html(disclosure.body),
        finance=_finance(disclosure, title=title),
        has_ledger=has_ledger(disclosure),
        has_pdf=bool(statements.signatures_of(disclosure)),
        published_on=_local_date(disclosure.published_at),
        posted_until=_posted_until(disclosure),
        versions=versions,
        newest=versions[0] if versions else disclosure,
        query_rows=_query_rows(versions),
        form=form,
        may_file=can(g.actor, "disclosure:query:file", disclosure.community_id)
        and g.actor.resident_id is not None,
        open_for_queries=disclosure.disclosure_state is DisclosureState.PUBLISHED,
        answer_days=service.community_policy(g.community).answer_days,
        answer_rule=schedule.answer if schedule is not None else None,
        workspace_url=_staff_url("disclosure.workspace", disclosure_id=disclosure.id),
    )
    return page, status


def _posted_until(disclosure: Disclosure) -> date | None:
    published_on = _local_date(disclosure.published_at)
    if published_on is None:
        return None
    return rules.posting_ends(published_on, kind=g.community.kind)


@bp.route("/disclosures/<int:disclosure_id>")
@permission("disclosure:board:read")
def detail(disclosure_id: int) -> Any:
    disclosure = service.get_disclosure(g.actor, disclosure_id)
    return _detail_page(disclosure, QueryForm())


@bp.route("/disclosures/<int:disclosure_id>/queries", methods=["POST"])
@permission("disclosure:query:file")
def file_query(disclosure_id: int) -> Any:
    """A verified resident of the community asks or objects; the exchange is public, the
    resident's name is not."""
    disclosure = service.get_disclosure(g.actor, disclosure_id)
    form = QueryForm()
    if not form.validate_on_submit():
        return _detail_page(disclosure, form, 422)
    found = queries.file_query(g.actor, disclosure, form.text.data or "", form.kind.data or "")
    day = _format_day(found.due_on)
    flash(
        _(
            "Your objection was filed. The committee answers by %(day)s; the answer will appear "
            "here. Your name is not shown.",
            day=day,
        )
        if found.kind == QueryKind.OBJECTION
        else _(
            "Your question was filed. The committee answers by %(day)s; the answer will appear "
            "here. Your name is not shown.",
            day=day,
        ),
        "success query",  # shown beside the questions (detail.html), where the page lands
    )
    return redirect(url_for(".detail", disclosure_id=disclosure.id) + "#queries", 303)


def _format_day(day: date) -> str:
    return str(format_date(day, "medium"))


# ---------------------------------------------------------------- the PDF and the open data


@bp.route("/disclosures/<int:disclosure_id>.pdf")
@permission("disclosure:board:read")
def pdf(disclosure_id: int) -> Any:
    """The newest signed PDF exactly as stored (never re-saved: its signatures stay valid)."""
    disclosure = service.get_disclosure(g.actor, disclosure_id)
    content = statements.disclosure_pdf(g.actor, disclosure)
    newest = statements.signatures_of(disclosure)[-1]
    response = send_file(
        io.BytesIO(content),
        mimetype="application/pdf",
        as_attachment=False,
        download_name=f"disclosure-{disclosure.id}-v{disclosure.version}.pdf",
        etag=newest.sha256,
        max_age=0,
        conditional=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Document-Id"] = disclosure.document_id
    return response


def _ledger_of(disclosure_id: int) -> Disclosure:
    disclosure = service.get_disclosure(g.actor, disclosure_id)
    if not has_ledger(disclosure):
        raise NotFound("this disclosure has no ledger")
    return disclosure


def _data_name(disclosure: Disclosure, extension: str) -> str:
    return (
        f"disclosure-{disclosure.id}-v{disclosure.version}-{disclosure.period}-ledger.{extension}"
    )


@bp.route("/disclosures/<int:disclosure_id>/ledger.csv")
@permission("disclosure:board:read")
def ledger_csv(disclosure_id: int) -> Any:
    """The ledger as open data, in the format it was imported in (INTERFACES.md §4)."""
    disclosure = _ledger_of(disclosure_id)
    return Response(
        ledger.ledger_csv_export(disclosure),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_data_name(disclosure, "csv")}"',
            "X-Document-Id": disclosure.document_id,
        },
    )


@bp.route("/disclosures/<int:disclosure_id>/ledger.json")
@permission("disclosure:board:read")
def ledger_json(disclosure_id: int) -> Any:
    """The statement and the lines as JSON (amounts in integer fen)."""
    disclosure = _ledger_of(disclosure_id)
    response = jsonify(ledger.ledger_json_export(disclosure))
    response.headers["Content-Disposition"] = f'inline; filename="{_data_name(disclosure, "json")}"'
    response.headers["X-Document-Id"] = disclosure.document_id
    return response


# ---------------------------------------------------------------- the kiosk


def _excerpt(body: str, limit: int = KIOSK_EXCERPT) -> str:
    """The text without markup, on one line, cut at `limit` characters (the feed's summary)."""
    text = " ".join(markdown_to_safe_html(body).striptags().split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _first_part(body: str, limit: int = KIOSK_EXCERPT) -> tuple[Markup, bool]:
    """The first paragraphs of a text, about `limit` characters, as safe HTML (headings and
    paragraphs kept), and whether more follows."""
    blocks = [b for b in re.split(r"\n\s*\n", body.strip()) if b.strip()]
    kept: list[str] = []
    length = 0
    for block in blocks:
        plain = markdown_to_safe_html(block).striptags()
        if kept and length + len(plain) > limit:
            break
        if not kept and len(plain) > limit:
            kept.append(plain[: limit - 1].rstrip() + "…")
            length = limit
            break
        kept.append(block)
        length += len(plain)
    more = len(kept) < len(blocks) or length >= limit
    return markdown_to_safe_html("\n\n".join(kept)), more


@bp.route("/c/<code>/disclosures/kiosk")
@permission("disclosure:board:read")
def kiosk(code: str) -> Any:
    """A screen in the community centre: one disclosure at a time, in very large type, moving
    on by itself (a meta refresh to the next one: no script, and it loops)."""
    seconds = kiosk_seconds(request.args.get("seconds"))
    items = service.board(g.community)
    index = request.args.get("i", 0, type=int) or 0
    index = index % len(items) if items else 0
    item = items[index] if items else None
    next_index = (index + 1) % len(items) if items else 0
    next_url = url_for(".kiosk", code=code, i=next_index, seconds=seconds)
    finance = excerpt = qr = None
    more = False
    if item is not None:
        finance = _finance(item.disclosure, title=item.disclosure.title)
        if finance is None:
            excerpt, more = _first_part(item.disclosure.body)
        address = url_for(".detail", disclosure_id=item.disclosure.id, _external=True)
        qr = Markup(  # noqa: S704 - segno's own SVG of our own URL
            segno.make(address, error="m").svg_inline(
                scale=1, border=2, dark="#000", light="#fff", omitsize=True
            )
        )
    response = Response(
        render_template(
            "disclosure/kiosk.html",
            item=item,
            index=index,
            total=len(items),
            seconds=seconds,
            next_url=next_url,
            finance=finance,
            excerpt=excerpt,
            more=more,
            qr=qr,
            today=local_today(g.community),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- the Atom feed

# XML 1.0 allows no C0 controls but tab, newline and return (nor U+FFFE, U+FFFF): a title that
# carried one would make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _rfc3339(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    updated: str
    url: str
    pdf_url: str
    category: str
    category_label: str
    summary: str


@bp.route("/c/<code>/disclosures/feed.atom")
@permission("disclosure:board:read")
def feed(code: str) -> Any:
    """Atom 1.0 (RFC 4287) of what was published, newest first; user text is escaped."""
    items = service.board(g.community, archive=True, limit=FEED_ENTRIES)
    entries = []
    for item in items:
        d = item.disclosure
        assert d.published_at is not None
        url = url_for(".detail", disclosure_id=d.id, _external=True)
        facts = [category_label(d.category), period_label(d.period)]
        if d.previous_id is not None:
            facts.append(_("Correction, version %(n)d", n=d.version))
        if d.disclosure_state is DisclosureState.SUPERSEDED:
            facts.append(_("Superseded by a correction"))
        excerpt = _excerpt(d.body, 400)
        entries.append(
            FeedEntry(
                id=url,
                title=_xml_text(d.title),
                updated=_rfc3339(d.published_at),
                url=url,
                pdf_url=url_for(".pdf", disclosure_id=d.id, _external=True),
                category=d.category,
                category_label=category_label(d.category),
                summary=_xml_text(" · ".join(facts) + (f"\n{excerpt}" if excerpt else "")),
            )
        )
    newest = max(
        (i.disclosure.published_at for i in items if i.disclosure.published_at), default=None
    )
    body = render_template(
        "disclosure/feed.xml",
        entries=entries,
        feed_id=url_for(".feed", code=code, _external=True),
        board_url=url_for(".board", code=code, _external=True),
        community_name=_xml_text(g.community.name),
        updated=_rfc3339(newest or g.community.created_at),
        xml_lang=_lang(),
    )
    return Response(body, content_type="application/atom+xml; charset=utf-8")


# ---------------------------------------------------------------- the due/overdue dashboard


@dataclass(frozen=True)
class LateAnswer:
    """An overdue unanswered query: its age only, no personal data."""

    disclosure_id: int
    kind: str
    filed_on: date
    due_on: date
    days_overdue: int
    escalated: bool


@bp.route("/c/<code>/disclosures/due")
@permission("disclosure:board:read")
def due(code: str) -> Any:
    """What the schedule requires, what is due and what is overdue (the same for everyone)."""

    def make() -> dict[str, Any]:
        late = []
        for found in queries.open_queries(g.community):
            status = queries.answer_status(found)
            if status.is_overdue:
                filed_on = _local_date(found.filed_at)
                assert filed_on is not None
                late.append(
                    LateAnswer(
                        disclosure_id=found.disclosure_id,
                        kind=found.kind,
                        filed_on=filed_on,
                        due_on=found.due_on,
                        days_overdue=status.days_overdue,
                        escalated=found.escalated_at is not None,
                    )
                )
        rows = service.dashboard(g.community)
        return {
            "schedule": service.schedule_of(g.community),
            "rows": rows,
            "overdue": [r for r in rows if r.status.state is rules.DueState.OVERDUE],
            "late_answers": late,
            "today": local_today(g.community),
            "manage_url": _staff_url("disclosure.manage", code=code),
        }

    return _cached_page("disclosure/due.html", _page_key("due", _DUE_VERSION), make)
