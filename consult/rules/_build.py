"""Helpers the rule-set modules use to write their tables compactly (internal)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

from consult.rules.citations import RR_03, Citation
from consult.rules.model import (
    BodyInfo,
    BodyKind,
    DecisionRule,
    DecisionType,
    Gate,
    Name,
    RuleSet,
    RuleSetKind,
)
from consult.rules.thresholds import Basis, Op, Threshold


def gt(num: int, den: int, basis: Basis) -> Threshold:
    """`> num/den` of `basis`: 过半数, 超过 (SEM-1, SEM-2)."""
    return Threshold(basis, Op.GT, num, den)


def ge(num: int, den: int, basis: Basis) -> Threshold:
    """`>= num/den` of `basis`: 以上, 不得少于 (SEM-1)."""
    return Threshold(basis, Op.GE, num, den)


MORE_THAN_HALF_PRESENT = gt(1, 2, Basis.PRESENT)
MAJORITY_OF_VOTES_CAST = gt(1, 2, Basis.VOTES_CAST_EXCL_ABSTAIN)  # RR-03


def variant(template: DecisionRule, decision_type: DecisionType, **changes: Any) -> DecisionRule:
    """The body's template rule, for another decision type, with some fields changed."""
    return replace(template, decision_type=decision_type, **changes)


def procedural(template: DecisionRule) -> DecisionRule:
    """D16: a motion on the conduct of a quorate meeting: majority of votes cast (RR-03)."""
    return variant(
        template,
        DecisionType.PROCEDURAL,
        threshold=MAJORITY_OF_VOTES_CAST,
        citation=RR_03,
        supplementary=None,
        demand=(),
        voter_roll=None,
        gates=(),
        delegated_from=None,
        also=(),
    )


def consultation(
    template: DecisionRule, citation: Citation, gates: tuple[Gate, ...] = ()
) -> DecisionRule:
    """D17: a consultation outcome is recorded, not adopted; no quorum, no binding threshold."""
    return variant(
        template,
        DecisionType.CONSULTATION,
        quorum=(),
        quorum_citation=None,
        threshold=None,
        citation=citation,
        supplementary=None,
        demand=(),
        voter_roll=None,
        gates=gates,
        delegated_from=None,
        also=(),
    )


def make_rule_set(
    *,
    id: str,
    kind: RuleSetKind,
    title: Name,
    effective_from: date,
    effective_to: date | None,
    bodies: Iterable[BodyInfo],
    rules: Iterable[DecisionRule],
    refusals: Mapping[tuple[BodyKind, DecisionType | None], str] | None = None,
) -> RuleSet:
    """Assemble a rule set, checking that every rule belongs to it and none is repeated."""
    body_map = {b.kind: b for b in bodies}
    rule_map: dict[tuple[BodyKind, DecisionType], DecisionRule] = {}
    for rule in rules:
        key = (rule.body, rule.decision_type)
        if key in rule_map:
            raise AssertionError(f"{id}: {key} is defined twice")
        if rule.rule_set_id != id or rule.body not in body_map:
            raise AssertionError(f"{id}: rule {key} does not belong to this rule set")
        rule_map[key] = rule
    return RuleSet(
        id=id,
        kind=kind,
        title=title,
        effective_from=effective_from,
        effective_to=effective_to,
        bodies=MappingProxyType(body_map),
        rules=MappingProxyType(rule_map),
        refusals=MappingProxyType(dict(refusals or {})),
    )
