"""Overlay entries as plain data (JSON), for charters stored in the database and sent over the API.

A charter or provincial overlay is a list of entries, each naming a body kind and optionally a
decision type (none: every decision of that body), with the stricter values `OverlayEntry` takes:

    [{"body": "residents_meeting", "decision_type": "charter",
      "threshold": {"basis": "present", "op": ">=", "num": 2, "den": 3}},
     {"body": "representative_council", "quorum": {"any": {"basis": "body_members",
      "op": ">=", "num": 3, "den": 4}}, "notice_days": 5}]

`quorum` is keyed by body mode (`all_adults`, `households`, `group_representatives`) or `any`
for the alternative that applies whatever the mode (councils, committees); `demand` by
population (`adults`, `households`, `representatives`, `residents_groups`, `voters`) with a
share `{"op", "num", "den"}`. `entries_from_data` checks the shape only (per-field details);
whether the values are stricter than the statute is `apply_overlay`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from consult.rules.errors import OverlayError
from consult.rules.model import BodyKind, DecisionType, Mode, Population
from consult.rules.overlays import OverlayEntry, Share
from consult.rules.thresholds import (
    Basis,
    Op,
    Threshold,
    share_en,
    share_zh,
    threshold_en,
    threshold_zh,
)

Key = tuple[BodyKind, DecisionType | None]

#: The quorum key for the alternative that applies whatever the body's mode.
ANY_MODE = "any"

_BOOLS = ("short_notice_allowed", "proxies_allowed", "candidates_may_hold_proxies")
_INTS = ("notice_days", "proxy_max_per_holder")
_KNOWN = frozenset({"body", "decision_type", "threshold", "quorum", "demand", *_BOOLS, *_INTS})
MAX_ENTRIES = 100


class InvalidOverlayData(OverlayError):
    """Overlay data of the wrong shape; `details` maps a field path to what is wrong."""

    def __init__(self, message: str, details: Mapping[str, str]) -> None:
        super().__init__(message)
        self.details = dict(details)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _share_parts(
    data: object, where: str, details: dict[str, str], *, basis: bool
) -> tuple[Basis | None, Op, int, int] | None:
    if not isinstance(data, dict):
        details[where] = (
            'an object {"basis", "op", "num", "den"}'
            if basis
            else ('an object {"op", "num", "den"}')
        )
        return None
    found_basis: Basis | None = None
    if basis:
        try:
            found_basis = Basis(str(data.get("basis")))
        except ValueError:
            details[f"{where}.basis"] = "one of " + ", ".join(b.value for b in Basis)
            return None
    try:
        op = Op(str(data.get("op")))
    except ValueError:
        details[f"{where}.op"] = '">" (过半数, 超过) or ">=" (以上)'
        return None
    num, den = data.get("num"), data.get("den")
    if not _is_int(num) or not _is_int(den):
        details[where] = "num and den are whole numbers"
        return None
    assert isinstance(num, int)
    assert isinstance(den, int)
    return found_basis, op, num, den


def _threshold(data: object, where: str, details: dict[str, str]) -> Threshold | None:
    parts = _share_parts(data, where, details, basis=True)
    if parts is None:
        return None
    found_basis, op, num, den = parts
    assert found_basis is not None
    try:
        return Threshold(found_basis, op, num, den)
    except ValueError as exc:
        details[where] = str(exc)
        return None


def _share(data: object, where: str, details: dict[str, str]) -> Share | None:
    parts = _share_parts(data, where, details, basis=False)
    if parts is None:
        return None
    _, op, num, den = parts
    try:
        return Share(op, num, den)
    except ValueError as exc:
        details[where] = str(exc)
        return None


def _entry(raw: object, where: str, details: dict[str, str]) -> tuple[Key, OverlayEntry] | None:
    if not isinstance(raw, dict):
        details[where] = 'an object {"body", "decision_type", ...}'
        return None
    before = len(details)
    for name in sorted(set(raw) - _KNOWN):
        details[f"{where}.{name}"] = "unknown field"
    body: BodyKind | None = None
    try:
        body = BodyKind(str(raw.get("body")))
    except ValueError:
        details[f"{where}.body"] = "one of " + ", ".join(k.value for k in BodyKind)
    dtype: DecisionType | None = None
    if raw.get("decision_type") is not None:
        try:
            dtype = DecisionType(str(raw["decision_type"]))
        except ValueError:
            details[f"{where}.decision_type"] = "one of " + ", ".join(d.value for d in DecisionType)
    values: dict[str, Any] = {}
    if raw.get("threshold") is not None:
        values["threshold"] = _threshold(raw["threshold"], f"{where}.threshold", details)
    if raw.get("quorum") is not None:
        quorum: dict[Mode | None, Threshold] = {}
        if not isinstance(raw["quorum"], dict) or not raw["quorum"]:
            details[f"{where}.quorum"] = 'an object {mode or "any": threshold}'
        else:
            for mode_name, value in raw["quorum"].items():
                mode: Mode | None = None
                if mode_name != ANY_MODE:
                    try:
                        mode = Mode(mode_name)
                    except ValueError:
                        details[f"{where}.quorum.{mode_name}"] = "a body mode or any"
                        continue
                threshold = _threshold(value, f"{where}.quorum.{mode_name}", details)
                if threshold is not None:
                    quorum[mode] = threshold
        values["quorum"] = MappingProxyType(quorum)
    if raw.get("demand") is not None:
        demand: dict[Population, Share] = {}
        if not isinstance(raw["demand"], dict) or not raw["demand"]:
            details[f"{where}.demand"] = 'an object {population: {"op", "num", "den"}}'
        else:
            for population_name, value in raw["demand"].items():
                try:
                    population = Population(population_name)
                except ValueError:
                    details[f"{where}.demand.{population_name}"] = "one of " + ", ".join(
                        p.value for p in Population
                    )
                    continue
                share = _share(value, f"{where}.demand.{population_name}", details)
                if share is not None:
                    demand[population] = share
        values["demand"] = MappingProxyType(demand)
    for name in _BOOLS:
        value = raw.get(name)
        if value is not None:
            if not isinstance(value, bool):
                details[f"{where}.{name}"] = "true or false"
            values[name] = value
    for name in _INTS:
        value = raw.get(name)
        if value is not None:
            if not _is_int(value) or value < 0 or value > 365:
                details[f"{where}.{name}"] = "a whole number from 0 to 365"
            values[name] = value
    if not any(v is not None for v in values.values()) and len(details) == before:
        details[where] = "names nothing to tighten"
    if len(details) > before or body is None:
        return None
    return (body, dtype), OverlayEntry(**values)


def entries_from_data(data: object) -> dict[Key, OverlayEntry]:
    """The overlay entries in `data` (a list of objects); raises InvalidOverlayData."""
    if not isinstance(data, list):
        raise InvalidOverlayData("the rules are not valid", {"rules": "a list of rules"})
    if len(data) > MAX_ENTRIES:
        raise InvalidOverlayData("the rules are not valid", {"rules": f"at most {MAX_ENTRIES}"})
    details: dict[str, str] = {}
    entries: dict[Key, OverlayEntry] = {}
    for i, raw in enumerate(data):
        found = _entry(raw, f"rules[{i}]", details)
        if found is None:
            continue
        key, entry = found
        if key in entries:
            details[f"rules[{i}]"] = "the same body and decision type twice"
            continue
        entries[key] = entry
    if details:
        raise InvalidOverlayData("the rules are not valid", details)
    return entries


def _share_data(op: Op, num: int, den: int) -> dict[str, Any]:
    return {"op": op.value, "num": num, "den": den}


def entry_as_data(key: Key, entry: OverlayEntry) -> dict[str, Any]:
    """One entry as plain data, the inverse of `entries_from_data` (fields left out are None)."""
    body, dtype = key
    out: dict[str, Any] = {"body": body.value, "decision_type": dtype.value if dtype else None}
    if entry.threshold is not None:
        out["threshold"] = entry.threshold.as_dict()
    if entry.quorum is not None:
        out["quorum"] = {
            (mode.value if mode else ANY_MODE): t.as_dict() for mode, t in entry.quorum.items()
        }
    if entry.demand is not None:
        out["demand"] = {p.value: _share_data(s.op, s.num, s.den) for p, s in entry.demand.items()}
    for name in (*_INTS, *_BOOLS):
        value = getattr(entry, name)
        if value is not None:
            out[name] = value
    return out


def entries_as_data(entries: Mapping[Key, OverlayEntry]) -> list[dict[str, Any]]:
    """Every entry as plain data, in a stable order (body, then decision type)."""
    order = {k: i for i, k in enumerate(BodyKind)}
    dorder = {d: i for i, d in enumerate(DecisionType)}
    keys = sorted(entries, key=lambda k: (order[k[0]], -1 if k[1] is None else dorder[k[1]]))
    return [entry_as_data(k, entries[k]) for k in keys]


_MODE_ZH = {
    "all_adults": "全体成年居民",
    "households": "每户派代表",
    "group_representatives": "各组代表",
}
_MODE_EN = {
    "all_adults": "all adults",
    "households": "one per household",
    "group_representatives": "group representatives",
}
_FLAG_WORDS = {
    "short_notice_allowed": (
        ("可以临时召集", "short notice allowed"),
        ("不得临时召集", "no short notice"),
    ),
    "proxies_allowed": (("可以委托", "proxies allowed"), ("不得委托", "no proxies")),
    "candidates_may_hold_proxies": (
        ("候选人可以受托", "candidates may hold proxies"),
        ("候选人不得受托", "candidates may not hold proxies"),
    ),
}


def entry_words(raw: Mapping[str, Any], locale: str | None) -> list[str]:
    """What one stored overlay entry asks, in words a committee reads (already-valid data:
    `entries_from_data` accepted it when the charter was adopted)."""
    zh = locale is None or locale.lower().startswith("zh")
    words: list[str] = []
    if raw.get("threshold") is not None:
        t = raw["threshold"]
        threshold = Threshold(Basis(t["basis"]), Op(t["op"]), t["num"], t["den"])
        words.append(
            ("通过：" + threshold_zh(threshold)) if zh else ("to pass: " + threshold_en(threshold))
        )
    for mode, q in (raw.get("quorum") or {}).items():
        threshold = Threshold(Basis(q["basis"]), Op(q["op"]), q["num"], q["den"])
        if zh:
            where = "" if mode == ANY_MODE else f"（{_MODE_ZH.get(mode, mode)}）"
            words.append(f"法定人数{where}：{threshold_zh(threshold)}")
        else:
            where = "" if mode == ANY_MODE else f" ({_MODE_EN.get(mode, mode)})"
            words.append(f"quorum{where}: {threshold_en(threshold)}")
    for population, share in (raw.get("demand") or {}).items():
        proportion = Share(Op(share["op"]), share["num"], share["den"])
        words.append(
            f"提议召集：{population} {share_zh(proportion)}"
            if zh
            else f"to demand a meeting: {share_en(proportion)} of {population}"
        )
    if raw.get("notice_days") is not None:
        days = raw["notice_days"]
        words.append(f"提前 {days} 日通知" if zh else f"notice {days} days ahead")
    if raw.get("proxy_max_per_holder") is not None:
        most = raw["proxy_max_per_holder"]
        words.append(f"每人至多受托 {most} 人" if zh else f"at most {most} proxies per holder")
    for name, (yes, no) in _FLAG_WORDS.items():
        if raw.get(name) is not None:
            chosen = yes if raw[name] else no
            words.append(chosen[0] if zh else chosen[1])
    return words
