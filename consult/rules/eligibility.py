"""Who may vote: computed from facts, never typed in.

URC25-08 (城市居民委员会组织法 2025, Art. 16) and VC25-04 (村民委员会组织法 2025, Art. 16):
18 or older on the day that matters, not deprived of political rights, and registered in the
community under a statutory category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

VOTING_AGE = 18  # URC25-08, VC25-04: "年满十八周岁"


class CommunityKind(StrEnum):
    URBAN = "urban"  # residents' committee (居民委员会)
    VILLAGE = "village"  # villagers' committee (村民委员会)


class Registration(StrEnum):
    """The statutory registration categories (CSV column `registration`)."""

    HOUSEHOLD_REGISTER = "household_register"  # 户籍在本社区/本村
    HABITUAL_RESIDENT = "habitual_resident"  # 户籍不在本地、本人申请的常住居民/村民
    WORKER = "worker"  # 在本社区工作的人员 / 在本村工作的人员


class Ineligibility(StrEnum):
    UNDER_AGE = "under_age"
    DEPRIVED = "deprived_of_political_rights"
    NOT_LONG_ENOUGH = "registration_period_not_met"
    PERIOD_UNKNOWN = "registration_date_missing"


@dataclass(frozen=True)
class Citation:
    rule_id: str
    zh: str
    en: str


URBAN_CITATION = Citation(
    "URC25-08",
    "《城市居民委员会组织法》（2025年修订）第十六条",
    "Urban Residents' Committees Law (2025), Art. 16",
)
VILLAGE_CITATION = Citation(
    "VC25-04",
    "《村民委员会组织法》（2025年修正）第十六条",
    "Villagers' Committees Law (2025), Art. 16",
)


def required_months(kind: CommunityKind, registration: Registration) -> int:
    """Months a non-household-register person must have lived or worked there before registering.

    URC25-08: community workers "工作满六个月以上"; habitual residents need only apply.
    VC25-04: non-hukou persons "居住或者在本村工作一年以上", on application and approval.
    """
    if registration is Registration.HOUSEHOLD_REGISTER:
        return 0
    if kind is CommunityKind.URBAN:
        return 6 if registration is Registration.WORKER else 0
    return 12


def age_on(birth_date: date, on: date) -> int:
    """Completed years on `on`. Someone born on 29 February turns a year older on 1 March."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def add_months(start: date, months: int) -> date:
    """`start` plus whole months, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[Ineligibility, ...]
    citation: Citation


def eligibility(
    *,
    kind: CommunityKind,
    birth_date: date,
    on: date,
    is_deprived_of_political_rights: bool,
    registration: Registration,
    registered_since: date | None,
) -> Eligibility:
    """Whether a registered person may vote on `on`, and every reason if not."""
    reasons: list[Ineligibility] = []
    if age_on(birth_date, on) < VOTING_AGE:
        reasons.append(Ineligibility.UNDER_AGE)
    if is_deprived_of_political_rights:
        reasons.append(Ineligibility.DEPRIVED)
    months = required_months(kind, registration)
    if months:
        if registered_since is None:
            reasons.append(Ineligibility.PERIOD_UNKNOWN)
        elif add_months(registered_since, months) > on:
            reasons.append(Ineligibility.NOT_LONG_ENOUGH)
    citation = URBAN_CITATION if kind is CommunityKind.URBAN else VILLAGE_CITATION
    return Eligibility(not reasons, tuple(reasons), citation)
