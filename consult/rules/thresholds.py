"""Thresholds as data, and exact arithmetic over them.

A threshold is `{basis, op, num, den}` (RULES.md "How to encode" 2): "yes votes > 1/2 of those
present" is `Threshold(Basis.PRESENT, Op.GT, 1, 2)`. The statutes' words map to `op` by SEM-1 and
SEM-2 (民法典 Art. 1259): "过半数" and "超过" exclude the stated share (`>`), "以上" and "不得少于"
include it (`>=`).

    minimum_count(Threshold(Basis.PRESENT, Op.GT, 1, 2), 10)       == 6
    minimum_count(Threshold(Basis.BODY_MEMBERS, Op.GE, 2, 3), 45)  == 30
    minimum_count(Threshold(Basis.BODY_MEMBERS, Op.GT, 2, 3), 60)  == 41
    minimum_count(Threshold(Basis.BALLOTS_CAST, Op.GE, 1, 3), 1000) == 334

All arithmetic is in integers and `fractions.Fraction`; never floats (1000 * 1/3 must not become
333.33333333333331).

Zero base: nothing is met on a base of 0. A body with no members has no quorum, a decision with
nobody present is never adopted, even for ">=" where 0 >= 0 would hold arithmetically.
`minimum_count(t, 0)` is 1: at least one is always needed, and since a count can never exceed its
base, a base of 0 can never be met (`is_attainable` says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Protocol


class Op(StrEnum):
    """How the count compares with the share of the base (SEM-1, SEM-2)."""

    GT = ">"  # 过半数, 超过: the stated share itself is not enough
    GE = ">="  # 以上, 不得少于: the stated share is enough


class Basis(StrEnum):
    """What the share is taken of (SEM-5)."""

    ELIGIBLE = "eligible"  # 18+ residents/villagers, registered voters, capable members
    HOUSEHOLDS = "households"  # households (户), counted through their representatives
    BODY_MEMBERS = "body_members"  # members of a council or committee (组成人员)
    PRESENT = "present"  # those present (到会人员): abstentions and non-votes count against
    VOTED = "voted"  # those who voted (参加投票的人员), blank and spoilt ballots included
    BALLOTS_CAST = "ballots_cast"  # ballots cast (已投选票总数)
    VOTES_CAST_EXCL_ABSTAIN = "votes_cast_excl_abstain"  # Robert's Rules: yes + no only
    ALL_MEMBERS = "all_members"  # the whole membership (全体成员): absentees count against


class Unit(StrEnum):
    """What a quorum or threshold counts: people, or households through their representatives."""

    PERSONS = "persons"
    HOUSEHOLDS = "households"


class Proportion(Protocol):
    """Anything with an op and a share: a `Threshold`, or a demand threshold (`Demand`)."""

    @property
    def op(self) -> Op: ...

    @property
    def num(self) -> int: ...

    @property
    def den(self) -> int: ...


@dataclass(frozen=True)
class Threshold:
    """`count op num/den × base`, the base being the count named by `basis`."""

    basis: Basis
    op: Op
    num: int
    den: int

    def __post_init__(self) -> None:
        check_share(self.op, self.num, self.den)

    @property
    def share(self) -> Fraction:
        return Fraction(self.num, self.den)

    @property
    def unit(self) -> Unit:
        return Unit.HOUSEHOLDS if self.basis is Basis.HOUSEHOLDS else Unit.PERSONS

    @property
    def abstentions_count_against(self) -> bool:
        """True unless the base is votes cast excluding abstentions (RULES.md "How to encode" 3)."""
        return self.basis is not Basis.VOTES_CAST_EXCL_ABSTAIN

    def as_dict(self) -> dict[str, str | int]:
        return {"basis": self.basis.value, "op": self.op.value, "num": self.num, "den": self.den}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Threshold:
        """The inverse of `as_dict`; raises ValueError on anything else."""
        num, den = data.get("num"), data.get("den")
        if not isinstance(num, int) or not isinstance(den, int):
            raise ValueError("a threshold needs integer num and den")
        return cls(Basis(str(data.get("basis"))), Op(str(data.get("op"))), num, den)


def check_share(op: Op, num: int, den: int) -> None:
    """A share must be a fraction in (0, 1]; "more than all" is impossible."""
    if isinstance(num, bool) or isinstance(den, bool):
        raise ValueError("num and den are integers")
    if den < 1 or num < 1 or num > den:
        raise ValueError(f"a threshold's share must be between 0 and 1, not {num}/{den}")
    if op is Op.GT and num == den:
        raise ValueError("no count can be more than the whole base")


def _check_counts(count: int, base: int) -> None:
    if count < 0 or base < 0:
        raise ValueError(f"counts are never negative (count {count}, base {base})")
    if count > base:
        raise ValueError(f"a count ({count}) cannot exceed its base ({base})")


def is_met(threshold: Proportion, count: int, base: int) -> bool:
    """Whether `count` out of `base` meets the threshold; never on a base of 0."""
    _check_counts(count, base)
    if base == 0:
        return False
    target = base * Fraction(threshold.num, threshold.den)
    return count > target if threshold.op is Op.GT else count >= target


def minimum_count(threshold: Proportion, base: int) -> int:
    """The smallest count that meets the threshold on `base` (1 on a base of 0: unattainable)."""
    if base < 0:
        raise ValueError(f"a base is never negative ({base})")
    if base == 0:
        return 1
    target = base * Fraction(threshold.num, threshold.den)
    floor = target.numerator // target.denominator
    if threshold.op is Op.GT:
        return floor + 1
    return floor if floor == target else floor + 1


def is_attainable(threshold: Proportion, base: int) -> bool:
    """Whether any count out of `base` can meet the threshold (false only for a base of 0)."""
    return minimum_count(threshold, base) <= base


def minimum_yes_of_votes_cast(threshold: Proportion, no: int) -> int | None:
    """The fewest yes votes that meet a threshold on yes + no, given `no` votes against.

    For Robert's Rules' bases the base grows with each yes vote, so `minimum_count` does not
    apply. None when no number of yes votes suffices (unanimity with a vote against).
    """
    if no < 0:
        raise ValueError(f"counts are never negative ({no})")
    share = Fraction(threshold.num, threshold.den)
    if share == 1:
        return 1 if no == 0 else None
    # yes op share × (yes + no)  ⇔  yes op share × no / (1 − share)
    bound = share * no / (1 - share)
    floor = bound.numerator // bound.denominator
    least = floor + 1 if threshold.op is Op.GT or floor != bound else floor
    return max(least, 1)


# -- strictness (overlays may only tighten; RULES.md "How to encode" 4) -------------------------

# A larger base at the same share is stricter: yes + no ≤ ballots ≤ present ≤ the membership.
_BASE_RANK = {
    Basis.VOTES_CAST_EXCL_ABSTAIN: 0,
    Basis.BALLOTS_CAST: 1,
    Basis.VOTED: 1,
    Basis.PRESENT: 2,
    Basis.ELIGIBLE: 3,
    Basis.BODY_MEMBERS: 3,
    Basis.ALL_MEMBERS: 3,
    Basis.HOUSEHOLDS: 3,
}


def share_key(proportion: Proportion) -> tuple[Fraction, int]:
    """Orders shares by strictness: a larger fraction, then ">" over ">=" at the same fraction."""
    return Fraction(proportion.num, proportion.den), 1 if proportion.op is Op.GT else 0


def at_least_as_strict(candidate: Threshold, statute: Threshold) -> bool:
    """Whether every count that meets `candidate` also meets `statute`.

    True when the candidate counts the same unit, takes its share of a base at least as large
    (members ⊇ present ⊇ those who voted ⊇ yes + no), and its share is at least as large, with
    ">" beating ">=" at the same fraction (SEM-1).
    """
    if candidate.unit is not statute.unit:
        return False
    if _BASE_RANK[candidate.basis] < _BASE_RANK[statute.basis]:
        return False
    return share_key(candidate) >= share_key(statute)


# -- words ---------------------------------------------------------------------------------------

_ZH_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 27 → 二十七, 110 → 一百一十, 1259 → 一千二百五十九 (1 ≤ n ≤ 9999)."""
    if not 1 <= n <= 9999:
        raise ValueError(f"chinese_numeral supports 1..9999, not {n}")
    if n < 20:
        return _ZH_DIGITS[n] if n < 10 else "十" + (_ZH_DIGITS[n - 10] if n > 10 else "")
    out: list[str] = []
    pending_zero = False
    for value, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_ZH_DIGITS[digit] + name)
    return "".join(out)


_SHARE_EN = {
    Fraction(1, 2): "half",
    Fraction(1, 3): "one-third",
    Fraction(2, 3): "two-thirds",
    Fraction(1, 4): "one-quarter",
    Fraction(3, 4): "three-quarters",
    Fraction(1, 5): "one-fifth",
    Fraction(4, 5): "four-fifths",
    Fraction(1, 10): "one-tenth",
}


def share_zh(proportion: Proportion) -> str:
    """过半数, 三分之二以上, 超过三分之二, 五分之一以上 (the statutes' own phrases)."""
    share = Fraction(proportion.num, proportion.den)
    if share == 1:
        return "全部"
    name = (
        "半数"
        if share == Fraction(1, 2)
        else f"{chinese_numeral(share.denominator)}分之{chinese_numeral(share.numerator)}"
    )
    if proportion.op is Op.GT:
        return "过半数" if share == Fraction(1, 2) else f"超过{name}"
    return f"{name}以上"


def share_en(proportion: Proportion) -> str:
    """more than half, two-thirds or more, more than two-thirds (GLOSSARY.md)."""
    share = Fraction(proportion.num, proportion.den)
    if share == 1:
        return "all"
    name = _SHARE_EN.get(share, f"{share.numerator}/{share.denominator}")
    return f"more than {name}" if proportion.op is Op.GT else f"{name} or more"


BASIS_ZH = {
    Basis.ELIGIBLE: "有表决权的人员",
    Basis.HOUSEHOLDS: "户的代表",
    Basis.BODY_MEMBERS: "组成人员",
    Basis.PRESENT: "到会人员",
    Basis.VOTED: "参加投票的人员",
    Basis.BALLOTS_CAST: "已投选票",
    Basis.VOTES_CAST_EXCL_ABSTAIN: "赞成票与反对票之和（不计弃权）",
    Basis.ALL_MEMBERS: "全体成员",
}
BASIS_EN = {
    Basis.ELIGIBLE: "those entitled to vote",
    Basis.HOUSEHOLDS: "household representatives",
    Basis.BODY_MEMBERS: "the members of the body",
    Basis.PRESENT: "those present",
    Basis.VOTED: "those who voted",
    Basis.BALLOTS_CAST: "the ballots cast",
    Basis.VOTES_CAST_EXCL_ABSTAIN: "the votes cast (abstentions not counted)",
    Basis.ALL_MEMBERS: "all members",
}


def words_zh(proportion: Proportion, of: str) -> str:
    """`of` + share: 到会人员过半数, 全体成员三分之二以上, 超过组成人员的三分之二."""
    phrase = share_zh(proportion)
    if phrase.startswith("超过"):
        return f"超过{of}的{phrase.removeprefix('超过')}"
    return f"{of}{phrase}"


def words_en(proportion: Proportion, of: str) -> str:
    """share + `of`: more than half of those present, two-thirds or more of all members."""
    return f"{share_en(proportion)} of {of}"


def threshold_zh(threshold: Threshold) -> str:
    """到会人员过半数."""
    return words_zh(threshold, BASIS_ZH[threshold.basis])


def threshold_en(threshold: Threshold) -> str:
    """more than half of those present."""
    return words_en(threshold, BASIS_EN[threshold.basis])
