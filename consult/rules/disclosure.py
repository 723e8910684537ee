"""The disclosure schedule (RULES.md §4(c)): what a residents' or villagers' committee publishes,
how often, by when, how long it stays on the disclosure board, and by when a query is answered.

    schedule = schedule_for("village", date(2026, 10, 1))        # village-2026 (VC25)
    schedule.category("finance").frequency                       -> Frequency.MONTHLY (DS-02)
    periods_due("village", "finance", date(2026, 11, 1), date(2026, 11, 30))
                                                                 -> [Period 2026-10]
    due_date("village", "finance", parse_period("2026-10"))      -> 2026-11-10 (DSP-03)
    status("village", "finance", parse_period("2026-10"), None, date(2026, 11, 13))
                                                                 -> overdue by 3 days
    posted_long_enough(date(2026, 11, 5), None, date(2026, 11, 21))   -> True (VC25-28)

Where the law gives the number (village frequencies, the 15-day minimum posting) the rule cites
the RULES.md row and the article. Where it does not (a residents' committee publishes "及时",
with no frequency; no statute says how many days after a quarter ends the quarter's disclosure is
due, nor how fast a query is answered) the number is consult's configurable default: a
`DisclosurePolicy` field, cited by a `DSP-*` id of its own and marked `policy` (the UI says
"policy, not law" / "平台默认设置，非法定"). `DSP` ids are consult's, not rows of RULES.md
(whose `POL-*` prefix names Party and State documents).

Dates are plain `datetime.date` in the community's local calendar; the caller converts. Periods
counted in days follow SEM-3 (民法典 Arts. 201, 203): the first day is not counted, and a last day
that falls on a rest day moves to the next working day: the caller passes its calendar of
statutory rest days (`rest_days`; none by default, since weekends and holidays swap each year by
State Council notice and only the caller knows them).

Standard library only, like the rest of `consult.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from types import MappingProxyType

from consult.rules.citations import URBAN_2025, VILLAGE_2018, VILLAGE_2025, Citation, localized
from consult.rules.errors import NoRuleSetInForce, NotAvailable, UnknownRuleSet
from consult.rules.model import RuleSetKind

# ------------------------------------------------------------------------------------------------
# Categories (INTERFACES.md §3: the identifiers must not change)


class Category(StrEnum):
    """What a disclosure is about (INTERFACES.md §3 `category`)."""

    DECISIONS = "decisions"
    GOVERNMENT_FUNDS = "government_funds"
    FACILITIES = "facilities"
    SERVICES = "services"
    CONSULTATIONS = "consultations"
    ASSISTANCE = "assistance"
    FINANCE = "finance"
    OTHER = "other"


CATEGORY_NAMES: Mapping[Category, tuple[str, str]] = MappingProxyType(
    {
        Category.DECISIONS: (
            "会议决定事项及其实施情况",
            "decisions of meetings and their implementation",
        ),
        Category.GOVERNMENT_FUNDS: ("政府资金和社会捐赠", "government funds and donations"),
        Category.FACILITIES: ("设施情况", "facilities"),
        Category.SERVICES: ("社区服务项目", "community service projects"),
        Category.CONSULTATIONS: (
            "协商成果及其落实情况",
            "consultation outcomes and implementation",
        ),
        Category.ASSISTANCE: ("协助政府开展工作情况", "assistance to the government"),
        Category.FINANCE: ("财务收支", "finance (income and expenditure)"),
        Category.OTHER: ("其他事项", "other matters"),
    }
)


def parse_category(category: Category | str) -> Category:
    """The category, or NotAvailable naming the allowed ones."""
    try:
        return Category(category)
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise NotAvailable(
            f"unknown disclosure category {str(category)[:40]!r}; one of {allowed}"
        ) from None


# ------------------------------------------------------------------------------------------------
# Periods: a month "2026-10", a quarter "2026-Q4", or one day "2026-10-15" (an ad-hoc matter)


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    DAY = "day"  # an ad-hoc disclosure: a major matter, published at once


class Frequency(StrEnum):
    """How often a category is disclosed: one disclosure for each month or each quarter."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def period_kind(self) -> PeriodKind:
        return PeriodKind.MONTH if self is Frequency.MONTHLY else PeriodKind.QUARTER


MIN_YEAR = 1900  # before any text consult encodes
MAX_YEAR = 2999  # far enough; keeps every date computed from a period inside `date`

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_QUARTER_RE = re.compile(r"(\d{4})-[Qq](\d)", re.ASCII)
_DAY_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_PERIOD_FORMS = "a month like 2026-10, a quarter like 2026-Q4 or a date like 2026-10-15"


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(
            f"the year of a period must be between {MIN_YEAR} and {MAX_YEAR}, not {year}"
        )


@dataclass(frozen=True, order=True, repr=False)
class Period:
    """A disclosure period: its first and last day (inclusive) and its kind.

    Build one with `Period.month`, `Period.quarter`, `Period.day` or `parse_period`; periods sort
    by their first day. `str(period)` is the canonical text ("2026-10", "2026-Q4", "2026-10-15").
    """

    first: date
    last: date
    kind: PeriodKind

    def __post_init__(self) -> None:
        _check_year(self.first.year)
        if self.kind is PeriodKind.MONTH:
            expected = Period.month(self.first.year, self.first.month)
        elif self.kind is PeriodKind.QUARTER:
            expected = Period.quarter(self.first.year, (self.first.month - 1) // 3 + 1)
        else:
            expected = Period.day(self.first)
        if (self.first, self.last) != (expected.first, expected.last):
            raise ValueError(f"{self.first}..{self.last} is not a {self.kind.value}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        _check_year(year)
        if not 1 <= month <= 12:
            raise ValueError(f"there is no month {month:02d}: a month is 01 to 12")
        first = date(year, month, 1)
        nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return cls._make(first, nxt - timedelta(days=1), PeriodKind.MONTH)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        _check_year(year)
        if not 1 <= quarter <= 4:
            raise ValueError(f"there is no quarter Q{quarter}: a quarter is Q1 to Q4")
        first = date(year, 3 * quarter - 2, 1)
        nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return cls._make(first, nxt - timedelta(days=1), PeriodKind.QUARTER)

    @classmethod
    def day(cls, day: date) -> Period:
        _check_year(day.year)
        return cls._make(day, day, PeriodKind.DAY)

    @classmethod
    def containing(cls, kind: PeriodKind | Frequency, day: date) -> Period:
        """The month, quarter or day period that `day` falls in."""
        if isinstance(kind, Frequency):
            kind = kind.period_kind
        if kind is PeriodKind.MONTH:
            return cls.month(day.year, day.month)
        if kind is PeriodKind.QUARTER:
            return cls.quarter(day.year, (day.month - 1) // 3 + 1)
        return cls.day(day)

    @classmethod
    def _make(cls, first: date, last: date, kind: PeriodKind) -> Period:
        period = object.__new__(cls)
        object.__setattr__(period, "first", first)
        object.__setattr__(period, "last", last)
        object.__setattr__(period, "kind", kind)
        return period

    @property
    def is_regular(self) -> bool:
        """A month or a quarter: a period of the schedule, not an ad-hoc day."""
        return self.kind is not PeriodKind.DAY

    def next(self) -> Period:
        """The period of the same kind that follows this one."""
        return Period.containing(self.kind, self.last + timedelta(days=1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def __repr__(self) -> str:
        return f"Period({str(self)!r})"

    def __str__(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.first.year:04d}-{self.first.month:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.first.year:04d}-Q{(self.first.month - 1) // 3 + 1}"
        return self.first.isoformat()

    def text(self, locale: str | None = None) -> str:
        """For people: "2026年10月" / "October 2026", "2026年第四季度" / "Q4 2026", a date."""
        y, m, d = self.first.year, self.first.month, self.first.day
        if self.kind is PeriodKind.MONTH:
            return localized(f"{y}年{m}月", f"{_MONTHS_EN[m - 1]} {y}", locale)
        if self.kind is PeriodKind.QUARTER:
            q = (m - 1) // 3 + 1
            return localized(f"{y}年第{'一二三四'[q - 1]}季度", f"Q{q} {y}", locale)
        return localized(f"{y}年{m}月{d}日", self.first.isoformat(), locale)


_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def parse_period(text: str) -> Period:
    """A period from its text: "2026-10", "2026-Q4" (or "2026-q4") or "2026-10-15".

    Raises ValueError with a message that says which forms are accepted.
    """
    if not isinstance(text, str):
        raise ValueError(f"a period is text: {_PERIOD_FORMS}")
    shown = text[:40]
    if match := _QUARTER_RE.fullmatch(text):
        year, quarter = int(match[1]), int(match[2])
        try:
            return Period.quarter(year, quarter)
        except ValueError as exc:
            raise ValueError(f"{shown!r} is not a period: {exc}") from None
    if match := _MONTH_RE.fullmatch(text):
        year, month = int(match[1]), int(match[2])
        try:
            return Period.month(year, month)
        except ValueError as exc:
            raise ValueError(f"{shown!r} is not a period: {exc}") from None
    if match := _DAY_RE.fullmatch(text):
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise ValueError(f"{shown!r} is not a date in the calendar") from None
        try:
            return Period.day(day)
        except ValueError as exc:
            raise ValueError(f"{shown!r} is not a period: {exc}") from None
    raise ValueError(f"{shown!r} is not a period: write {_PERIOD_FORMS}")


def format_period(period: Period) -> str:
    """The canonical text of a period; `parse_period(format_period(p)) == p`."""
    return str(period)


# ------------------------------------------------------------------------------------------------
# Where each number comes from

POLICY_LABEL_ZH = "平台默认设置，非法定"
POLICY_LABEL_EN = "policy, not law"


@dataclass(frozen=True)
class Rule:
    """Where a number of the schedule comes from.

    `id` is a RULES.md row ("DS-02", "VC25-28") or, for consult's own configurable default, a
    `DSP-*` id with `policy=True`. `citation` is the article (for a policy: the article whose
    gap it fills, marked as practice).
    """

    id: str
    zh: str
    en: str
    citation: Citation | None = None
    policy: bool = False

    @property
    def ids(self) -> tuple[str, ...]:
        """This rule's id and its article's RULES.md row, without repeats."""
        if self.citation is None or self.citation.rule_id == self.id:
            return (self.id,)
        return (self.id, self.citation.rule_id)

    @property
    def practice(self) -> bool:
        """True when the UI must say "policy, not law" (or "practice, not statute")."""
        return self.policy or (self.citation is not None and self.citation.practice)

    def text(self, locale: str | None = None) -> str:
        return localized(self.zh, self.en, locale)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "zh": self.zh,
            "en": self.en,
            "citation": self.citation.as_dict() if self.citation else None,
            "policy": self.policy,
        }


# ------------------------------------------------------------------------------------------------
# The numbers

POSTING_DAYS = 15  # URC25-33, VC25-28: "公布的期限不得少于十五日" (statute)


# DSP-03: consult's default for how long after a month or quarter ends its disclosure is due. The
# statutes set only the frequency (VC25-27); ten days is the first ten days (上旬) of the next
# month, when local practice commonly posts the previous period.
DEFAULT_GRACE_DAYS = 10
# DSP-04: "随时" (VC25-27, major matters) and "及时" (URC25-32) give no number of days.
DEFAULT_AT_ONCE_DAYS = 5
# DSP-05: no statute sets a deadline for answering a query (VC25-28, URC25-33: residents "may
# query"); issue 6 asks for a default of 10 days. A Shandong preset would be 5 (DS-16, LOC-13).
DEFAULT_ANSWER_DAYS = 10
# Upper bounds: a disclosure of one month must fall due before the next month has ended (the
# shortest month has 28 days), or a whole period could pass with nothing on the board.
MAX_GRACE_DAYS = 27
MAX_AT_ONCE_DAYS = 27
MAX_ANSWER_DAYS = 60


@dataclass(frozen=True)
class DisclosurePolicy:
    """A community's configurable defaults where the law sets no number (policy, not law).

    - `grace_days` (DSP-03): a month's or a quarter's disclosure is due this many days after it
      ends;
    - `at_once_days` (DSP-04): an ad-hoc disclosure (a major matter) is due this many days after
      the day it concerns;
    - `answer_days` (DSP-05): a query or objection is answered within this many days;
    - `urban_general` (DSP-01) and `urban_finance` (DSP-02): how often a residents' committee
      discloses, since URC25-33 sets no frequency;
    - `village_finance`: monthly (DS-02) unless the village has few financial transactions, when
      quarterly with the general items is lawful (VC25-27). Village general items are quarterly by
      statute (DS-01) and not configurable: a committee may always publish more often.
    """

    grace_days: int = DEFAULT_GRACE_DAYS
    at_once_days: int = DEFAULT_AT_ONCE_DAYS
    answer_days: int = DEFAULT_ANSWER_DAYS
    urban_general: Frequency = Frequency.QUARTERLY
    urban_finance: Frequency = Frequency.MONTHLY
    village_finance: Frequency = Frequency.MONTHLY

    def __post_init__(self) -> None:
        for name, low, high in (
            ("grace_days", 0, MAX_GRACE_DAYS),
            ("at_once_days", 0, MAX_AT_ONCE_DAYS),
            ("answer_days", 1, MAX_ANSWER_DAYS),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number of days from {low} to {high}")
        for name in ("urban_general", "urban_finance", "village_finance"):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, Frequency(value))
            except ValueError:
                raise ValueError(f"{name} must be monthly or quarterly, not {value!r}") from None


DEFAULT_POLICY = DisclosurePolicy()


def _grace_rule(days: int) -> Rule:
    return Rule(
        "DSP-03",
        f"期间届满后{days}日内公布",
        f"due {days} days after the period ends",
        policy=True,
    )


def _at_once_rule(days: int) -> Rule:
    return Rule(
        "DSP-04",
        f"事项发生后{days}日内公布",
        f"due {days} days after the day of the matter",
        policy=True,
    )


# ------------------------------------------------------------------------------------------------
# The schedule of one text


@dataclass(frozen=True)
class CategoryRule:
    """The schedule of one category under one text.

    `item`: why it is a disclosure item; `frequency` and `frequency_rule`: one disclosure per
    month or quarter, and where that comes from; `at_once`: the rule for ad-hoc disclosures (a
    major matter, published on a day of its own).
    """

    category: Category
    item: Rule
    frequency: Frequency
    frequency_rule: Rule
    at_once: Rule

    @property
    def name(self) -> tuple[str, str]:
        return CATEGORY_NAMES[self.category]


@dataclass(frozen=True, eq=False)
class Schedule:
    """The disclosure schedule of one text (its id is the rule set's), under one policy."""

    id: str
    kind: RuleSetKind
    effective_from: date
    effective_to: date | None
    policy: DisclosurePolicy
    categories: Mapping[Category, CategoryRule]
    posting_days: int | None  # the minimum time on the board; None: the text sets none
    posting: Rule
    queries: Rule  # residents may query; the answer deadline is policy (DSP-05)
    review: Rule  # supervisory review before publication (DS-18)
    complaints: Rule  # where residents complain (DS-15)

    def is_in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def category(self, category: Category | str) -> CategoryRule:
        return self.categories[parse_category(category)]

    @property
    def grace(self) -> Rule:
        return _grace_rule(self.policy.grace_days)

    @property
    def at_once_deadline(self) -> Rule:
        return _at_once_rule(self.policy.at_once_days)

    @property
    def answer(self) -> Rule:
        return Rule(
            "DSP-05",
            f"质询、异议应在{self.policy.answer_days}日内答复",
            f"a query or objection is answered within {self.policy.answer_days} days",
            citation=self.queries.citation,
            policy=True,
        )


# VC25-26 items (Art. 35 ¶2): (1) decisions, (2) relief and subsidy funds and donations,
# (3) assistance to the government, (4) consultation outcomes, (5) other matters of common
# concern. The village list has no facilities or service-project item: they are item (5).
_VILLAGE_ITEMS = {
    Category.DECISIONS: 1,
    Category.GOVERNMENT_FUNDS: 2,
    Category.ASSISTANCE: 3,
    Category.CONSULTATIONS: 4,
    Category.OTHER: 5,
    Category.FACILITIES: 5,
    Category.SERVICES: 5,
}
_VILLAGE_COMPLAINTS = (
    "可向乡、民族乡、镇或者县级人民政府及其有关主管部门反映",
    "complaints go to the township or county government and its departments",
)


def _village(code: str, policy: DisclosurePolicy) -> Schedule:
    current = code == "village-2026"
    if current:  # VC25-26 .. VC25-30 (Art. 35 .. 37)

        def item_citation(number: int) -> Citation:
            return Citation("VC25-26", VILLAGE_2025, 35, 2, number)

        freq = Citation("VC25-27", VILLAGE_2025, 35, 3)
        form = Citation("VC25-28", VILLAGE_2025, 35, 4)
        posting = Rule("VC25-28", "公布的期限不得少于十五日", "posted for at least 15 days", form)
        queries = Rule("VC25-28", "村民有权查询", "villagers may query", form)
        review = Rule(
            "DS-18",
            "村务监督委员会负责村务公开监督，公开前审核",
            "the supervisory committee oversees disclosure and reviews it before publication",
            Citation("VC25-30", VILLAGE_2025, 37),
        )
        complaints = Rule("DS-15", *_VILLAGE_COMPLAINTS, Citation("VC25-29", VILLAGE_2025, 36))
        effective_from, effective_to = date(2026, 1, 1), None
    else:  # village-2018: VC18-04 (Art. 30): the same frequencies, no minimum posting

        def item_citation(number: int) -> Citation:
            return Citation("VC18-04", VILLAGE_2018, 30)

        freq = form = Citation("VC18-04", VILLAGE_2018, 30)
        posting = Rule(
            "VC18-04",
            "未规定最短公布期限",
            "no minimum time on the board (the 15 days are new in 2025)",
            form,
        )
        queries = Rule("VC18-04", "村民有权查询", "villagers may query", form)
        review = Rule(
            "DS-18",
            "村务监督机构负责村务公开监督",
            "the supervisory body oversees disclosure",
            Citation("VC18-05", VILLAGE_2018, 32),
        )
        # RULES.md has no VC18 row for the complaints article: VC25-29 gives its 2018 number.
        complaints = Rule("DS-15", *_VILLAGE_COMPLAINTS, Citation("VC25-29", VILLAGE_2018, 31))
        effective_from, effective_to = date(2018, 12, 29), date(2025, 12, 31)

    # VC25-27: general items at least quarterly; finance monthly where transactions are many;
    # major matters at once.
    quarterly = Rule(
        "DS-01", "一般事项至少每季度公布一次", "general items at least quarterly", freq
    )
    at_once = Rule(
        "DS-03", "涉及村民利益的重大事项应当随时公布", "major matters at once (随时)", freq
    )
    if policy.village_finance is Frequency.MONTHLY:
        finance = Rule(
            "DS-02",
            "集体财务往来较多的，财务收支情况应当每月公布一次（平台默认按月）",
            "finance monthly where transactions are many (consult defaults to monthly)",
            freq,
        )
    else:
        finance = Rule(
            "DS-01",
            "财务往来较少：随一般事项至少每季度公布一次",
            "few financial transactions: finance with the general items, at least quarterly",
            freq,
        )
    categories: dict[Category, CategoryRule] = {}
    for category in Category:
        zh, en = CATEGORY_NAMES[category]
        if category is Category.FINANCE:
            item = Rule("DS-02", zh, en, freq)
            categories[category] = CategoryRule(
                category, item, policy.village_finance, finance, at_once
            )
        else:
            item = Rule("DS-01", zh, en, item_citation(_VILLAGE_ITEMS[category]))
            categories[category] = CategoryRule(
                category, item, Frequency.QUARTERLY, quarterly, at_once
            )
    return Schedule(
        id=code,
        kind=RuleSetKind.VILLAGE,
        effective_from=effective_from,
        effective_to=effective_to,
        policy=policy,
        categories=MappingProxyType(categories),
        posting_days=POSTING_DAYS if current else None,  # VC25-28; VC18-04: no minimum
        posting=posting,
        queries=queries,
        review=review,
        complaints=complaints,
    )


def _urban(policy: DisclosurePolicy) -> Schedule:
    def c(
        rule_id: str,
        article: int,
        paragraph: int | None = None,
        item: int | None = None,
        *,
        practice: bool = False,
    ) -> Citation:
        return Citation(rule_id, URBAN_2025, article, paragraph, item, number_is_practice=practice)

    # URC25-32 items (Art. 34 ¶2): (1) decisions, (2) government funds and donations,
    # (3) facilities, (4) service projects, (5) consultation outcomes, (6) assistance to the
    # government, (7) other matters of general concern.
    item_no = {
        Category.DECISIONS: 1,
        Category.GOVERNMENT_FUNDS: 2,
        Category.FACILITIES: 3,
        Category.SERVICES: 4,
        Category.CONSULTATIONS: 5,
        Category.ASSISTANCE: 6,
        Category.OTHER: 7,
    }
    # URC25-33: "No frequency is set for residents"; DS-04 suggests quarterly general items and
    # monthly finance by analogy with VC25-27, flagged as policy, not law.
    no_frequency = c("URC25-33", 34, 3, practice=True)

    def frequency_rule(rule_id: str, frequency: Frequency, what_zh: str, what_en: str) -> Rule:
        zh = "每月" if frequency is Frequency.MONTHLY else "每季度"
        en = "monthly" if frequency is Frequency.MONTHLY else "quarterly"
        return Rule(
            rule_id,
            f"{what_zh}{zh}公布一次（法律只要求及时公布）",
            f"{what_en} {en} (the law says only 'promptly')",
            no_frequency,
            policy=True,
        )

    general = frequency_rule("DSP-01", policy.urban_general, "一般事项", "general items")
    finance = frequency_rule("DSP-02", policy.urban_finance, "财务收支", "finance")
    # DS-04: "及时" (URC25 Art. 34): a matter is published promptly as it arises.
    promptly = Rule("DS-04", "及时公布", "promptly (及时)", c("URC25-32", 34))
    categories: dict[Category, CategoryRule] = {}
    for category in Category:
        zh, en = CATEGORY_NAMES[category]
        if category is Category.FINANCE:
            # The law lists no separate finance item: government funds and donations (URC25-32
            # item 2) and the accounts of funds raised (URC25-40, DS-05: "promptly").
            item = Rule(
                "DS-05",
                "政府拨付资金、社会捐赠和筹集资金的账目",
                "government funds, donations and the accounts of funds raised",
                c("URC25-40", 42),
            )
            categories[category] = CategoryRule(
                category, item, policy.urban_finance, finance, promptly
            )
            continue
        item = Rule("DS-04", zh, en, c("URC25-32", 34, 2, item_no[category]))
        categories[category] = CategoryRule(category, item, policy.urban_general, general, promptly)
    return Schedule(
        id="urban-2026",
        kind=RuleSetKind.URBAN,
        effective_from=date(2026, 1, 1),
        effective_to=None,
        policy=policy,
        categories=MappingProxyType(categories),
        posting_days=POSTING_DAYS,  # URC25-33: "公布的期限不得少于十五日"
        posting=Rule(
            "URC25-33",
            "公布的期限不得少于十五日",
            "posted for at least 15 days",
            c("URC25-33", 34, 3),
        ),
        queries=Rule("URC25-33", "居民有权查询", "residents may query", c("URC25-33", 34, 3)),
        # DS-18 cites the village text; the residents' supervisory committee (URC25-35) is given
        # the same review step by analogy: consult's policy, not a statutory gate.
        review=Rule(
            "DS-18",
            "居务监督委员会公开前审核（类推适用）",
            "the supervisory committee reviews before publication (by analogy)",
            c("URC25-35", 36, practice=True),
            policy=True,
        ),
        complaints=Rule(
            "DS-15",
            "可向不设区的市、市辖区人民政府或者其有关部门、街道办事处反映",
            "complaints go to the district government, its departments or the street office",
            c("URC25-34", 35),
        ),
    )


SCHEDULE_IDS: tuple[str, ...] = ("village-2018", "village-2026", "urban-2026")
# The 2018 text of the urban law has no residents' affairs disclosure (only fund-raising
# accounts, URC18-10): before 2026 a residents' committee has no schedule to keep.
_NO_URBAN_BEFORE_2026 = (
    "the Urban Residents' Committees Law set no residents' affairs disclosure before 2026-01-01 "
    "(the 2018 text asks only that fund-raising accounts be published, URC18-10)"
)


@cache
def get_schedule(schedule_id: str, policy: DisclosurePolicy = DEFAULT_POLICY) -> Schedule:
    """The schedule with that id ("village-2026", ...); raises UnknownRuleSet."""
    if schedule_id in ("village-2018", "village-2026"):
        return _village(schedule_id, policy)
    if schedule_id == "urban-2026":
        return _urban(policy)
    known = ", ".join(SCHEDULE_IDS)
    raise UnknownRuleSet(f"no disclosure schedule {schedule_id!r}; known: {known}")


def _kind(kind: RuleSetKind | str) -> RuleSetKind:
    try:
        wanted = RuleSetKind(kind)
    except ValueError:
        raise UnknownRuleSet(f"no community kind {kind!r}: urban or village") from None
    if wanted not in (RuleSetKind.URBAN, RuleSetKind.VILLAGE):
        raise NotAvailable(
            f"there is no disclosure schedule for {wanted.value} rule sets: "
            "disclosure is a duty of residents' and villagers' committees (urban or village)"
        )
    return wanted


def schedule_for(
    kind: RuleSetKind | str, on: date, policy: DisclosurePolicy = DEFAULT_POLICY
) -> Schedule:
    """The schedule of an urban or village community in force `on`.

    Raises NoRuleSetInForce before the earliest text (an urban date before 2026-01-01: the 2018
    urban text has no disclosure schedule).
    """
    wanted = _kind(kind)
    for schedule_id in SCHEDULE_IDS:
        schedule = get_schedule(schedule_id, policy)
        if schedule.kind is wanted and schedule.is_in_force(on):
            return schedule
    reason = f": {_NO_URBAN_BEFORE_2026}" if wanted is RuleSetKind.URBAN else ""
    raise NoRuleSetInForce(
        f"no {wanted.value} disclosure schedule was in force on {on.isoformat()}{reason}"
    )


def governing_day(period: Period) -> date:
    """The day whose text governs a period: its last day (the text under which it was lived)."""
    return period.last


def _schedule_of(kind: RuleSetKind | str, period: Period, policy: DisclosurePolicy) -> Schedule:
    return schedule_for(kind, governing_day(period), policy)


# ------------------------------------------------------------------------------------------------
# Days (SEM-3)


def _roll_forward(day: date, rest_days: Collection[date]) -> date:
    """SEM-3 (民法典 Art. 203): a last day on a rest day moves to the next working day."""
    while day in rest_days:
        day += timedelta(days=1)
    return day


def add_days(start: date, days: int, rest_days: Collection[date] = ()) -> date:
    """The last day of a period of `days` days from `start` (SEM-3: `start` is not counted)."""
    return _roll_forward(start + timedelta(days=days), rest_days)


# ------------------------------------------------------------------------------------------------
# What is due, and when


def _check_period_kind(schedule: Schedule, rule: CategoryRule, period: Period) -> None:
    if period.kind is PeriodKind.DAY or period.kind is rule.frequency.period_kind:
        return
    wanted = rule.frequency.period_kind.value
    example = str(Period.containing(rule.frequency, period.first))
    raise NotAvailable(
        f"{schedule.id}: {rule.category.value} is disclosed {rule.frequency.value} "
        f"({rule.frequency_rule.id}): its period is a {wanted} like {example} (or a date for an "
        f"ad-hoc matter), not {period}"
    )


@dataclass(frozen=True)
class Due:
    """When a period's disclosure is due, and why."""

    period: Period
    on: date
    rule: Rule  # where the number of days comes from (DSP-03, DSP-04)
    frequency_rule: Rule  # where the period comes from (DS-01, DS-02, DS-03, DS-04, DSP-01...)
    schedule_id: str


def due(
    kind: RuleSetKind | str,
    category: Category | str,
    period: Period | str,
    *,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    rest_days: Collection[date] = (),
) -> Due:
    """When the disclosure of `category` for `period` is due, with the rules it comes from.

    A month or a quarter is due `policy.grace_days` after it ends (DSP-03); a day (an ad-hoc
    major matter: DS-03 "随时", DS-04 "及时") is due `policy.at_once_days` after it (DSP-04). Raises
    NotAvailable for a period of the wrong kind (a quarter for monthly finance).
    """
    if isinstance(period, str):
        period = parse_period(period)
    schedule = _schedule_of(kind, period, policy)
    rule = schedule.category(category)
    _check_period_kind(schedule, rule, period)
    if period.kind is PeriodKind.DAY:
        on = add_days(period.last, policy.at_once_days, rest_days)
        return Due(period, on, schedule.at_once_deadline, rule.at_once, schedule.id)
    on = add_days(period.last, policy.grace_days, rest_days)
    return Due(period, on, schedule.grace, rule.frequency_rule, schedule.id)


def due_date(
    kind: RuleSetKind | str,
    category: Category | str,
    period: Period | str,
    *,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    rest_days: Collection[date] = (),
) -> date:
    """The last day on which the disclosure of `category` for `period` is on time."""
    return due(kind, category, period, policy=policy, rest_days=rest_days).on


def periods_due(
    kind: RuleSetKind | str,
    category: Category | str,
    from_date: date,
    to_date: date,
    *,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    rest_days: Collection[date] = (),
) -> list[Period]:
    """The months or quarters whose disclosure of `category` falls due from `from_date` to
    `to_date` inclusive, oldest first.

    Ad-hoc matters arise from events, not the calendar, so they are never listed. Periods that no
    schedule covers (an urban period before 2026) owe nothing and are left out.
    """
    parsed = parse_category(category)
    _kind(kind)
    if from_date > to_date:
        raise ValueError(f"from_date {from_date} is after to_date {to_date}")
    # A due date is at most grace + len(rest_days) days after the period's last day.
    slack = policy.grace_days + len(rest_days) + 1
    earliest = date(MIN_YEAR, 1, 1)
    start = max(from_date, earliest + timedelta(days=slack)) - timedelta(days=slack)
    end = min(to_date, date(MAX_YEAR, 12, 31))
    found: list[Period] = []
    for frequency in Frequency:
        period = Period.containing(frequency, start)
        while period.first <= end:
            try:
                schedule = _schedule_of(kind, period, policy)
            except NoRuleSetInForce:
                schedule = None
            if schedule is not None and schedule.category(parsed).frequency is frequency:
                on = add_days(period.last, policy.grace_days, rest_days)
                if from_date <= on <= to_date:
                    found.append(period)
            if period.last.year >= MAX_YEAR and period.last.month == 12:
                break
            period = period.next()
    return sorted(found, key=lambda p: (p.last, p.first))


class DueState(StrEnum):
    OPEN = "open"  # the period has not ended (or the matter's day has not come): nothing due yet
    DUE = "due"  # not published, and the due date has not passed
    OVERDUE = "overdue"  # not published, and the due date has passed
    ON_TIME = "on_time"  # published on or before the due date
    LATE = "late"  # published after the due date


@dataclass(frozen=True)
class DueStatus:
    """Where a disclosure (or an answer) stands on a day.

    `days_left` counts to the due date (DUE, OPEN); `days_overdue` from it to today (OVERDUE);
    `days_late` from it to the day of publication (LATE); the others are 0.
    """

    state: DueState
    due_on: date
    rule: Rule
    period: Period | None = None
    days_left: int = 0
    days_overdue: int = 0
    days_late: int = 0

    @property
    def is_overdue(self) -> bool:
        return self.state is DueState.OVERDUE

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "due_on": self.due_on.isoformat(),
            "period": str(self.period) if self.period else None,
            "days_left": self.days_left,
            "days_overdue": self.days_overdue,
            "days_late": self.days_late,
            "rule": self.rule.as_dict(),
        }


def _judge(
    due_on: date,
    rule: Rule,
    opens_after: date | None,
    done_on: date | None,
    today: date,
    period: Period | None,
) -> DueStatus:
    if done_on is not None:
        if done_on > today:
            raise ValueError(f"{done_on} is after today ({today})")
        if done_on <= due_on:
            return DueStatus(DueState.ON_TIME, due_on, rule, period)
        return DueStatus(DueState.LATE, due_on, rule, period, days_late=(done_on - due_on).days)
    if today > due_on:
        return DueStatus(DueState.OVERDUE, due_on, rule, period, days_overdue=(today - due_on).days)
    left = (due_on - today).days
    if opens_after is not None and today <= opens_after:
        return DueStatus(DueState.OPEN, due_on, rule, period, days_left=left)
    return DueStatus(DueState.DUE, due_on, rule, period, days_left=left)


def status(
    kind: RuleSetKind | str,
    category: Category | str,
    period: Period | str,
    published_on: date | None,
    today: date,
    *,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    rest_days: Collection[date] = (),
) -> DueStatus:
    """Whether the disclosure of `category` for `period` is open, due, overdue (by how many days),
    published on time, or late (by how many days), as of `today`.

    A month or quarter is OPEN until its last day has passed; an ad-hoc day is OPEN before that
    day. Raises ValueError for a publication dated after `today`.
    """
    found = due(kind, category, period, policy=policy, rest_days=rest_days)
    p = found.period
    opens_after = p.last if p.is_regular else p.first - timedelta(days=1)
    return _judge(found.on, found.rule, opens_after, published_on, today, p)


# ------------------------------------------------------------------------------------------------
# Posting (≥ 15 days: URC25-33, VC25-28) and answers to queries (DSP-05)


def posting_days(kind: RuleSetKind | str | None = None, on: date | None = None) -> int | None:
    """The minimum days on the board for a disclosure published `on` (None: no minimum).

    Without a kind or a day: the 15 days both current texts require (URC25-33, VC25-28). Before
    2026 the village text set none (VC18-04) and the urban text had no disclosure at all.
    """
    if kind is None or on is None:
        return POSTING_DAYS
    _kind(kind)
    try:
        return schedule_for(kind, on).posting_days
    except NoRuleSetInForce:
        return None


def posting_ends(
    published_on: date,
    *,
    kind: RuleSetKind | str | None = None,
    rest_days: Collection[date] = (),
) -> date | None:
    """The last day a disclosure published on `published_on` must stay on the board.

    SEM-3: the day of publication is not counted, so 15 days from 2026-11-05 end on 2026-11-20
    (taken down on the 21st at the earliest). None when the text in force sets no minimum.
    """
    days = posting_days(kind, published_on)
    if days is None:
        return None
    return add_days(published_on, days, rest_days)


def posted_long_enough(
    published_on: date,
    removed_on: date | None,
    today: date,
    *,
    kind: RuleSetKind | str | None = None,
    rest_days: Collection[date] = (),
) -> bool:
    """Whether a disclosure has been (or was) on the board for the minimum time.

    `removed_on` is the day it came off the board (None: it is still up). The minimum is kept
    once its last day (see `posting_ends`) has passed in full: taken down the next day or later,
    or still up on that next day.
    """
    if published_on > today:
        raise ValueError(f"published_on {published_on} is after today ({today})")
    if removed_on is not None:
        if removed_on < published_on:
            raise ValueError(f"removed_on {removed_on} is before published_on {published_on}")
        if removed_on > today:
            raise ValueError(f"removed_on {removed_on} is after today ({today})")
    last = posting_ends(published_on, kind=kind, rest_days=rest_days)
    if last is None:
        return True
    seen_until = removed_on if removed_on is not None else today
    return seen_until > last


def answer_due(
    filed_on: date,
    policy_days: int = DEFAULT_ANSWER_DAYS,
    *,
    rest_days: Collection[date] = (),
) -> date:
    """The last day to answer a query or objection filed on `filed_on` (DSP-05, SEM-3)."""
    if isinstance(policy_days, bool) or not isinstance(policy_days, int):
        raise ValueError("policy_days must be a whole number of days")
    if not 1 <= policy_days <= MAX_ANSWER_DAYS:
        raise ValueError(f"policy_days must be from 1 to {MAX_ANSWER_DAYS}, not {policy_days}")
    return add_days(filed_on, policy_days, rest_days)


def answer_status(
    filed_on: date,
    answered_on: date | None,
    today: date,
    *,
    policy_days: int = DEFAULT_ANSWER_DAYS,
    rest_days: Collection[date] = (),
) -> DueStatus:
    """Whether the answer to a query filed on `filed_on` is due, overdue, on time or late."""
    if filed_on > today:
        raise ValueError(f"filed_on {filed_on} is after today ({today})")
    if answered_on is not None and answered_on < filed_on:
        raise ValueError(f"answered_on {answered_on} is before filed_on {filed_on}")
    on = answer_due(filed_on, policy_days, rest_days=rest_days)
    rule = Rule(
        "DSP-05",
        f"质询、异议应在{policy_days}日内答复",
        f"a query or objection is answered within {policy_days} days",
        policy=True,
    )
    return _judge(on, rule, None, answered_on, today, None)
