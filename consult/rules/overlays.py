"""Charters (自治章程) and provincial overlays: they may tighten the statute, never loosen it.

RULES.md "How to encode" 4. An `Overlay` maps (body kind, decision type) — or (body kind, None)
for every decision of that body — to an `OverlayEntry` of stricter values:

- `threshold`: a pass threshold at least as strict: the same unit, a base at least as large
  (all members ⊇ present ⊇ voted ⊇ votes cast) and a share at least as large, ">" beating ">="
  at the same share (SEM-1);
- `quorum`: per body mode, a quorum threshold at least as strict as the statute's alternative;
- `notice_days`: no fewer days (a gap the statute leaves may be filled with any number);
  `short_notice_allowed` may be withdrawn, not granted;
- proxies may be forbidden or capped lower, never allowed, raised, or opened to candidates;
- `demand`: the share of residents whose request obliges the committee to convene may be
  lowered, never raised (a higher share would restrict a statutory right: Beijing's 1/5 against
  the 2025 law's 1/10).

    charter = Overlay("charter-hy", Name(...), source, {
        (BodyKind.RESIDENTS_MEETING, DecisionType.CHARTER):
            OverlayEntry(threshold=Threshold(Basis.PRESENT, Op.GE, 2, 3)),
    })
    rules = apply_overlay(get_rule_set("urban-2026"), charter)     # "urban-2026+charter-hy"

A looser value raises `LooserThanStatute`, naming the rule and the statutory value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from consult.rules.citations import Authority, Citation, Law
from consult.rules.errors import LooserThanStatute, OverlayError
from consult.rules.model import (
    BodyKind,
    DecisionRule,
    DecisionType,
    Demand,
    Mode,
    Name,
    Notice,
    Population,
    RuleSet,
)
from consult.rules.thresholds import (
    Op,
    Threshold,
    at_least_as_strict,
    check_share,
    share_en,
    share_key,
    threshold_en,
)


@dataclass(frozen=True)
class Share:
    """A share without a basis, for demand thresholds: `Share(Op.GE, 1, 10)`."""

    op: Op
    num: int
    den: int

    def __post_init__(self) -> None:
        check_share(self.op, self.num, self.den)


@dataclass(frozen=True)
class OverlayEntry:
    """Stricter values for one decision (or every decision of a body); None leaves the statute."""

    threshold: Threshold | None = None
    quorum: Mapping[Mode | None, Threshold] | None = None
    notice_days: int | None = None
    short_notice_allowed: bool | None = None
    proxies_allowed: bool | None = None
    proxy_max_per_holder: int | None = None
    candidates_may_hold_proxies: bool | None = None
    demand: Mapping[Population, Share] | None = None


@dataclass(frozen=True)
class Overlay:
    id: str
    title: Name
    source: Citation  # the charter or regulation, cited on every rule it changes
    entries: Mapping[tuple[BodyKind, DecisionType | None], OverlayEntry]
    applies_to: tuple[str, ...] = ()  # statutory rule set ids it was written for; () = any


def apply_overlay(rule_set: RuleSet, overlay: Overlay) -> RuleSet:
    """The rule set tightened by `overlay`; raises LooserThanStatute or OverlayError."""
    statute_id = rule_set.statute_id or rule_set.id
    if overlay.applies_to and statute_id not in overlay.applies_to:
        raise OverlayError(
            f"{overlay.id} is written for {', '.join(overlay.applies_to)}, not {statute_id}"
        )
    new_id = f"{rule_set.id}+{overlay.id}"
    rules = dict(rule_set.rules)
    for (body, dtype), entry in overlay.entries.items():
        info = rule_set.body(body)  # NotAvailable for a body the rule set does not have
        if dtype is None:
            keys = [k for k in rules if k[0] is info.kind]
            explicit = False
        else:
            rule_set.rule_for(info.kind, dtype)  # NotAvailable for a decision it does not have
            keys = [(info.kind, DecisionType(dtype))]
            explicit = True
        for key in keys:
            rules[key] = _apply(rules[key], entry, overlay, explicit=explicit)
    renamed = {k: replace(r, rule_set_id=new_id) for k, r in rules.items()}
    return replace(
        rule_set,
        id=new_id,
        rules=MappingProxyType(renamed),
        statute_id=statute_id,
        overlays=(*rule_set.overlays, overlay.id),
    )


def _where(rule: DecisionRule, overlay: Overlay) -> str:
    return f"{overlay.id}: {rule.body.value}/{rule.decision_type.value}"


def _cite(citation: Citation | None) -> str:
    return f"{citation.rule_id}, {citation.en}" if citation else "the statute"


def _apply(
    rule: DecisionRule, entry: OverlayEntry, overlay: Overlay, *, explicit: bool
) -> DecisionRule:
    where = _where(rule, overlay)
    changes: dict[str, Any] = {}
    cited = False

    if entry.threshold is not None:
        if rule.threshold is None:
            if explicit:
                raise OverlayError(f"{where}: a consultation is not a binding vote (D17)")
        else:
            if not at_least_as_strict(entry.threshold, rule.threshold):
                raise LooserThanStatute(
                    f"{where}: the pass threshold '{threshold_en(entry.threshold)}' is looser "
                    f"than the statute: {_cite(rule.citation)} requires "
                    f"'{threshold_en(rule.threshold)}'"
                )
            changes["threshold"] = entry.threshold
            changes["citation"] = overlay.source
            cited = True

    if entry.quorum is not None and rule.quorum:
        alternatives = list(rule.quorum)
        for mode, threshold in entry.quorum.items():
            index = next((i for i, a in enumerate(alternatives) if a.mode == mode), None)
            if index is None:
                label = mode.value if mode else "(any mode)"
                raise OverlayError(f"{where}: the statute has no quorum alternative for {label}")
            alternative = alternatives[index]
            if not at_least_as_strict(threshold, alternative.threshold):
                raise LooserThanStatute(
                    f"{where}: the quorum '{threshold_en(threshold)}' is looser than the "
                    f"statute: {_cite(rule.quorum_citation)} requires "
                    f"'{threshold_en(alternative.threshold)}'"
                )
            alternatives[index] = replace(alternative, threshold=threshold)
        changes["quorum"] = tuple(alternatives)
        changes["quorum_citation"] = overlay.source
        cited = True

    notice = _notice(rule, entry, overlay, where)
    if notice is not rule.notice:
        changes["notice"] = notice
        cited = True

    proxies = rule.proxies
    if entry.proxies_allowed is not None:
        if entry.proxies_allowed and not proxies.allowed:
            raise LooserThanStatute(
                f"{where}: proxies are not allowed by the statute ({_cite(proxies.citation)})"
            )
        if not entry.proxies_allowed and proxies.allowed:
            proxies = replace(proxies, allowed=False, citation=overlay.source)
    if entry.proxy_max_per_holder is not None and proxies.allowed:
        cap = entry.proxy_max_per_holder
        if cap < 1:
            raise OverlayError(f"{where}: a proxy cap is at least 1 (forbid proxies instead)")
        statutory_cap = proxies.max_per_holder
        if statutory_cap is not None and cap > statutory_cap:
            raise LooserThanStatute(
                f"{where}: {cap} proxies per holder is looser than the statute: "
                f"{_cite(proxies.citation)} allows at most {statutory_cap}"
            )
        proxies = replace(proxies, max_per_holder=cap)
    if entry.candidates_may_hold_proxies is not None and proxies.allowed:
        if entry.candidates_may_hold_proxies and not proxies.candidates_may_hold:
            raise LooserThanStatute(
                f"{where}: candidates may not hold proxies under {_cite(proxies.citation)}"
            )
        proxies = replace(proxies, candidates_may_hold=entry.candidates_may_hold_proxies)
    if proxies != rule.proxies:
        changes["proxies"] = proxies
        cited = True

    if entry.demand is not None and rule.demand:
        demands = list(rule.demand)
        for population, share in entry.demand.items():
            index = next((i for i, d in enumerate(demands) if d.population is population), None)
            if index is None:
                raise OverlayError(f"{where}: the statute gives {population.value} no demand right")
            statutory: Demand = demands[index]
            if share_key(share) > share_key(statutory):
                raise LooserThanStatute(
                    f"{where}: requiring {share_en(share)} of {statutory.population_name.en} to "
                    f"demand a meeting restricts the statutory right: {_cite(statutory.citation)} "
                    f"gives it to {share_en(statutory)}"
                )
            demands[index] = replace(
                statutory, op=share.op, num=share.num, den=share.den, citation=overlay.source
            )
        changes["demand"] = tuple(demands)
        cited = True

    if not changes:
        return rule
    if cited:
        statutory_citations = tuple(c for c in rule.citations if c != overlay.source)
        changes["also"] = statutory_citations
        changes["overlays"] = (*rule.overlays, overlay.id)
    return replace(rule, **changes)


def _notice(rule: DecisionRule, entry: OverlayEntry, overlay: Overlay, where: str) -> Notice | None:
    notice = rule.notice
    if entry.notice_days is not None:
        days = entry.notice_days
        if days < 0:
            raise OverlayError(f"{where}: a notice period is not negative")
        if notice is None:
            notice = Notice(days, overlay.source)  # the statute leaves a gap: fill it
        elif days < notice.days:
            raise LooserThanStatute(
                f"{where}: {days} days' notice is looser than the statute: "
                f"{_cite(notice.citation)} requires {notice.days} days"
            )
        elif days > notice.days:
            notice = replace(notice, days=days, citation=overlay.source)
    if entry.short_notice_allowed is not None and notice is not None:
        if entry.short_notice_allowed and not notice.short_notice_allowed:
            if rule.notice is not None:
                raise LooserThanStatute(
                    f"{where}: short notice is not allowed by {_cite(rule.notice.citation)}"
                )
            notice = replace(notice, short_notice_allowed=True)
        elif not entry.short_notice_allowed and notice.short_notice_allowed:
            notice = replace(notice, short_notice_allowed=False)
    return notice


# -- presets (examples; provincial texts written under the 2018 law, RULES.md §2.5) ------------

ZHEJIANG_VILLAGE_MEASURES = Law(
    "浙江省实施〈中华人民共和国村民委员会组织法〉办法",
    "Zhejiang Measures implementing the Villagers' Committees Law (2020)",
    authority=Authority.LOCAL,
)
SHANGHAI_VILLAGE_ELECTIONS = Law(
    "上海市村民委员会选举办法",
    "Shanghai Measures for Villagers' Committee Elections",
    authority=Authority.LOCAL,
)

# LOC-10: the representative meeting's agenda reaches its members at least 3 days before.
ZHEJIANG_REPRESENTATIVE_NOTICE = Overlay(
    id="zhejiang-loc10",
    title=Name(
        "浙江：村民代表会议提前三日通知", "Zhejiang: 3 days' notice of representative meetings"
    ),
    source=Citation("LOC-10", ZHEJIANG_VILLAGE_MEASURES, 23),
    entries=MappingProxyType(
        {(BodyKind.REPRESENTATIVE_COUNCIL, None): OverlayEntry(notice_days=3)}
    ),
    applies_to=("village-2018", "village-2026"),
)

# LOC-05: at most three proxies per person, where the 2018 law set no cap.
SHANGHAI_PROXY_CAP = Overlay(
    id="shanghai-loc05",
    title=Name("上海：每人受委托不超过三人", "Shanghai: at most three proxies per holder"),
    source=Citation("LOC-05", SHANGHAI_VILLAGE_ELECTIONS, 16),
    entries=MappingProxyType(
        {(BodyKind.RESIDENTS_MEETING, DecisionType.ELECTION): OverlayEntry(proxy_max_per_holder=3)}
    ),
    applies_to=("village-2018",),
)

PRESETS: Mapping[str, Overlay] = MappingProxyType(
    {o.id: o for o in (ZHEJIANG_REPRESENTATIVE_NOTICE, SHANGHAI_PROXY_CAP)}
)
