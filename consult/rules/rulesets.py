"""The catalogue of rule sets, versioned by effective date (RULES.md "How to encode" 1).

    id                in force                    source
    urban-1990        1990-01-01 .. 2025-12-31    城市居民委员会组织法 (2018 text; URC18 rows)
    urban-2026        2026-01-01 ..               城市居民委员会组织法 (2025 revision; URC25)
    village-2018      2018-12-29 .. 2025-12-31    村民委员会组织法 (2018 text; VC18 + shared VC25)
    village-2026      2026-01-01 ..               村民委员会组织法 (2025 amendment; VC25)
    collective-2025   2025-05-01 ..               农村集体经济组织法 (COL), land laws (LAND)
    general           always                      Robert's Rules of Order (RR), practice

A meeting is judged by the rule set in force on its date:

    rules = rule_set_in_force("village", meeting_date)          # or get_rule_set("village-2026")
    rule = rules.rule_for("residents_meeting", "ordinary")      # a DecisionRule
    rule.threshold        -> Threshold(basis=present, op=">", num=1, den=2)
    rule.citation.zh      -> "《村民委员会组织法》第二十六条"
    rules.rule_for("committee", "land_contracting")             # raises NotAvailable

Then `consult.rules.quorum.evaluate(rule, Counts(...))` judges a vote, and
`consult.rules.overlays.apply_overlay(rules, charter)` tightens a rule set for one community.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache

from consult.rules.collective import collective_2025
from consult.rules.errors import NoRuleSetInForce, UnknownRuleSet
from consult.rules.general import general
from consult.rules.model import RuleSet, RuleSetKind
from consult.rules.urban import urban_1990, urban_2026
from consult.rules.village import village_2018, village_2026

_BUILDERS: dict[str, Callable[[], RuleSet]] = {
    "urban-1990": urban_1990,
    "urban-2026": urban_2026,
    "village-2018": village_2018,
    "village-2026": village_2026,
    "collective-2025": collective_2025,
    "general": general,
}

RULE_SET_IDS: tuple[str, ...] = tuple(_BUILDERS)


@cache
def get_rule_set(rule_set_id: str) -> RuleSet:
    """The rule set with that id; raises UnknownRuleSet."""
    builder = _BUILDERS.get(rule_set_id)
    if builder is None:
        known = ", ".join(RULE_SET_IDS)
        raise UnknownRuleSet(f"no rule set {rule_set_id!r}; known: {known}")
    return builder()


def all_rule_sets() -> tuple[RuleSet, ...]:
    return tuple(get_rule_set(i) for i in RULE_SET_IDS)


def rule_set_in_force(kind: RuleSetKind | str, on: date) -> RuleSet:
    """The rule set of `kind` ("urban", "village", "collective" or "general") in force `on`.

    The day the new texts take effect belongs to them: 2025-12-31 is judged by `urban-1990`
    and 2026-01-01 by `urban-2026`. Raises NoRuleSetInForce before the earliest text.
    """
    try:
        wanted = RuleSetKind(kind)
    except ValueError:
        raise UnknownRuleSet(f"no rule sets of kind {kind!r}") from None
    for rule_set in all_rule_sets():
        if rule_set.kind is wanted and rule_set.is_in_force(on):
            return rule_set
    raise NoRuleSetInForce(f"no {wanted.value} rule set was in force on {on.isoformat()}")
