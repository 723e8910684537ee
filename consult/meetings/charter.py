"""A community's charter (自治章程) or provincial overlay: adopted as versioned records, and
applied on top of the statutory rule set when a meeting's quorum and thresholds are computed.

RULES.md "How to encode" 4: a charter may only tighten the statute. `adopt_charter` checks the
overlay against every statutory rule set of the community's organic law that is in force on or
after the charter's effective date (consult.rules.overlays.apply_overlay); a looser value is
refused with Invalid (422) naming the rule and the statutory value, and nothing is stored.

The charter governs the bodies of the community's own organic law (居民/村民自治章程); a
collective's members' meeting answers to the collective's own articles, not to it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult import clock
from consult.accounts.policy import require
from consult.actor import Actor
from consult.audit.service import record
from consult.errors import Conflict, Invalid
from consult.extensions import db
from consult.meetings.charter_models import Charter, CharterKind
from consult.registry.models import Community
from consult.rules.citations import Authority, Citation, Law
from consult.rules.errors import OverlayError, RulesError
from consult.rules.model import Name, RuleSet, RuleSetKind
from consult.rules.overlay_data import (
    InvalidOverlayData,
    Key,
    entries_as_data,
    entries_from_data,
)
from consult.rules.overlays import Overlay, OverlayEntry, apply_overlay
from consult.rules.rulesets import all_rule_sets

MAX_TITLE = 200


# ---------------------------------------------------------------- the overlay of a version


def _canonical(rules: list[dict[str, Any]]) -> str:
    return json.dumps(rules, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _law(kind: str, title: str, title_en: str | None) -> Law:
    authority = Authority.CHARTER if kind == CharterKind.CHARTER else Authority.LOCAL
    return Law(title, title_en or title, authority=authority)


def _rule_id(kind: str, version: int) -> str:
    return f"{'CHARTER' if kind == CharterKind.CHARTER else 'PROVINCIAL'}-v{version}"


@lru_cache(maxsize=256)
def _overlay(
    overlay_id: str,
    kind: str,
    title: str,
    title_en: str | None,
    article: int,
    rules: str,
    version: int,
) -> Overlay:
    entries = entries_from_data(json.loads(rules))
    source = Citation(_rule_id(kind, version), _law(kind, title, title_en), article)
    return Overlay(overlay_id, Name(title, title_en or title), source, MappingProxyType(entries))


_Content = tuple[str, str, str, str | None, int, str, int]


def _content(charter: Charter, community_code: str) -> _Content:
    """Everything an overlay is made of: the cache key (a version's row never changes, but
    ids come back after a rollback, so the key is the content, not the id)."""
    return (
        f"{charter.kind}-{community_code}-v{charter.version}",
        charter.kind,
        charter.title,
        charter.title_en,
        charter.article,
        charter.rules,
        charter.version,
    )


def overlay_of(charter: Charter, community_code: str) -> Overlay:
    """The overlay a stored version stands for."""
    return _overlay(*_content(charter, community_code))


def _applicable(overlay: Overlay, rules: RuleSet) -> Overlay:
    """The part of `overlay` that `rules` has bodies and decisions for (the 2018 urban text
    has no representative meeting; a rule set does not know every decision type)."""
    kept: dict[Key, OverlayEntry] = {}
    for (body, dtype), entry in overlay.entries.items():
        if body not in rules.bodies:
            continue
        if dtype is not None and (body, dtype) not in rules.rules:
            continue
        kept[(body, dtype)] = entry
    return Overlay(overlay.id, overlay.title, overlay.source, MappingProxyType(kept))


@lru_cache(maxsize=256)
def _overlaid(rules: RuleSet, content: _Content) -> RuleSet:
    return apply_overlay(rules, _applicable(_overlay(*content), rules))


def charter_in_force(community_id: int, on: date) -> Charter | None:
    """The version in force on `on`: the latest one effective on or before that day."""
    return db.session.execute(
        select(Charter)
        .where(Charter.community_id == community_id, Charter.effective_from <= on)
        .order_by(Charter.effective_from.desc(), Charter.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def with_charter(rules: RuleSet, community: Community, on: date) -> RuleSet:
    """`rules` tightened by the community's charter in force on `on` (unchanged without one,
    and for rule sets of another law, such as the collective's)."""
    if rules.kind.value != community.kind:
        return rules
    charter = charter_in_force(community.id, on)
    if charter is None:
        return rules
    return _overlaid(rules, _content(charter, community.code))


# ---------------------------------------------------------------- adopting a version


def _statutes_from(community: Community, on: date) -> list[RuleSet]:
    """The community's statutory rule sets in force on `on` or later."""
    wanted = RuleSetKind(community.kind)
    return [
        rs
        for rs in all_rule_sets()
        if rs.kind is wanted and (rs.effective_to is None or rs.effective_to >= on)
    ]


def _check_against_statute(
    overlay: Overlay, statutes: list[RuleSet], indexes: Mapping[Key, int]
) -> dict[str, str]:
    """Per-rule problems of `overlay` against every rule set in `statutes`."""
    details: dict[str, str] = {}
    for key, entry in overlay.entries.items():
        where = f"rules[{indexes[key]}]"
        single = Overlay(overlay.id, overlay.title, overlay.source, MappingProxyType({key: entry}))
        applied = False
        for rules in statutes:
            part = _applicable(single, rules)
            if not part.entries:
                continue
            applied = True
            try:
                apply_overlay(rules, part)
            except OverlayError as exc:
                details[where] = str(exc)
                break
            except RulesError as exc:
                details[where] = str(exc)
                break
        if not applied and where not in details:
            body, dtype = key
            what = f"{body.value}/{dtype.value}" if dtype else body.value
            details[where] = (
                f"no {what} under " + ", ".join(rs.id for rs in statutes)
                if statutes
                else "no statutory rule set is in force"
            )
    return details


def latest_charter(community_id: int) -> Charter | None:
    return db.session.execute(
        select(Charter)
        .where(Charter.community_id == community_id)
        .order_by(Charter.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def adopt_charter(
    actor: Actor,
    community: Community,
    *,
    title: str,
    article: int,
    effective_from: date,
    decision_reference: str,
    rules: Any,
    kind: str = CharterKind.CHARTER,
    title_en: str | None = None,
    supersedes: int | None = None,
) -> Charter:
    """Record a new version of the community's charter (or provincial overlay).

    `rules` is a list of overlay entries (consult.rules.overlay_data). Refused with Invalid if
    any value is looser than the statute, names a body or decision the statute does not have,
    or takes effect before today or before the version it supersedes; with Conflict if
    `supersedes` (a version number) is not the latest version. Nothing is stored then.
    """
    require(actor, "meetings:charter:adopt", community.id)
    details: dict[str, str] = {}
    clean_title = (title or "").strip().strip("《》").strip()
    if not clean_title:
        details["title"] = "required"
    elif len(clean_title) > MAX_TITLE:
        details["title"] = f"at most {MAX_TITLE} characters"
    clean_en = (title_en or "").strip() or None
    if clean_en and len(clean_en) > MAX_TITLE:
        details["title_en"] = f"at most {MAX_TITLE} characters"
    reference = (decision_reference or "").strip()
    if not reference:
        details["decision_reference"] = "required: the decision that adopted it"
    elif len(reference) > MAX_TITLE:
        details["decision_reference"] = f"at most {MAX_TITLE} characters"
    if isinstance(article, bool) or not isinstance(article, int) or not 1 <= article <= 10000:
        details["article"] = "the article number, from 1"
    try:
        charter_kind = CharterKind(kind)
    except ValueError:
        charter_kind = CharterKind.CHARTER
        details["kind"] = "charter or provincial"
    today = clock.now().astimezone(ZoneInfo(community.timezone)).date()
    if effective_from < today:
        details["effective_from"] = (
            f"today ({today.isoformat()}) or later: a charter does not judge past meetings"
        )
    previous = latest_charter(community.id)
    if supersedes is not None and (previous.version if previous else 0) != supersedes:
        raise Conflict(
            "another version was adopted meanwhile",
            details={"latest_version": previous.version if previous else None},
            code="stale_version",
        )
    if previous is not None and effective_from < previous.effective_from:
        details["effective_from"] = (
            f"on or after {previous.effective_from.isoformat()}, when version "
            f"{previous.version} takes effect"
        )
    entries: dict[Key, OverlayEntry] = {}
    try:
        entries = entries_from_data(rules)
    except InvalidOverlayData as exc:
        details.update(exc.details)
    if details:
        raise Invalid("the charter is not valid", details=details)
    version = (previous.version if previous else 0) + 1
    canonical = _canonical(entries_as_data(entries))
    # Index each rule by its position in the request, for the details of a refusal.
    raw_order = {key: _position(rules, key) for key in entries}
    overlay = Overlay(
        f"{charter_kind.value}-{community.code}-v{version}",
        Name(clean_title, clean_en or clean_title),
        Citation(
            _rule_id(charter_kind, version), _law(charter_kind, clean_title, clean_en), article
        ),
        MappingProxyType(entries),
    )
    problems = _check_against_statute(overlay, _statutes_from(community, effective_from), raw_order)
    if problems:
        raise Invalid(
            "the charter is looser than the statute or names what the statute does not have",
            details=problems,
            code="looser_than_statute",
        )
    charter = Charter(
        community_id=community.id,
        version=version,
        previous_id=previous.id if previous else None,
        kind=charter_kind.value,
        title=clean_title,
        title_en=clean_en,
        article=article,
        effective_from=effective_from,
        decision_reference=reference,
        rules=canonical,
        adopted_at=clock.now(),
        adopted_by=actor.user_id,
    )
    db.session.add(charter)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("another version was adopted meanwhile", code="stale_version") from None
    record(
        actor,
        "meetings:charter:adopt",
        "charter",
        charter.id,
        community_id=community.id,
        payload={
            "version": version,
            "previous_version": previous.version if previous else None,
            "kind": charter.kind,
            "title": charter.title,
            "article": article,
            "effective_from": effective_from.isoformat(),
            "decision_reference": reference,
            "rules": json.loads(canonical),
        },
    )
    return charter


def _position(rules: Any, key: Key) -> int:
    body, dtype = key
    for i, raw in enumerate(rules):
        if raw.get("body") == body.value and raw.get("decision_type") == (
            dtype.value if dtype else None
        ):
            return i
    return 0


# ---------------------------------------------------------------- reading


def list_charters(community: Community) -> list[Charter]:
    """Every version, newest first (public: a charter is a public document)."""
    return list(
        db.session.execute(
            select(Charter)
            .where(Charter.community_id == community.id)
            .order_by(Charter.version.desc())
        ).scalars()
    )


def charter_json(charter: Charter, community: Community) -> dict[str, Any]:
    overlay = overlay_of(charter, community.code)
    return {
        "id": charter.id,
        "version": charter.version,
        "previous_id": charter.previous_id,
        "kind": charter.kind,
        "title": charter.title,
        "title_en": charter.title_en,
        "article": charter.article,
        "citation": {
            "id": overlay.source.rule_id,
            "zh": overlay.source.zh,
            "en": overlay.source.en,
        },
        "effective_from": charter.effective_from.isoformat(),
        "decision_reference": charter.decision_reference,
        "rules": json.loads(charter.rules),
        "adopted_at": charter.adopted_at.isoformat(),
    }


def charters_json(community: Community, on: date | None = None) -> dict[str, Any]:
    """The version in force today (or `on`) and every version, newest first."""
    day = on or clock.now().astimezone(ZoneInfo(community.timezone)).date()
    current = charter_in_force(community.id, day)
    return {
        "on": day.isoformat(),
        "current": charter_json(current, community) if current else None,
        "versions": [charter_json(c, community) for c in list_charters(community)],
    }
