"""Composition checks of a body's membership: what the statutes say a body must look like.

They produce warnings, not refusals: a committee may be mid-term with a vacancy, and the staff
must see the problem (and the audit trail record it) rather than be unable to record reality.

    check_composition("village", BodyKind.REPRESENTATIVE_COUNCIL, seats)
        -> (CompositionWarning(code="women_share", ... citation VC25-19), ...)

Each `Seat` is one member as the check needs them: gender, household, whether they sit on the
committee. Close relatives (近亲属, SEM-4) are not on the register; consult approximates them by
"the same household", which catches spouses, parents and children living together and misses
relatives registered elsewhere. Every warning says so where it relies on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from consult.rules.citations import URBAN_2025, VILLAGE_2025, Citation
from consult.rules.model import BodyKind

URC25_02 = Citation("URC25-02", URBAN_2025, 8)  # committee: 5–9 members, at least one woman
URC25_24 = Citation("URC25-24", URBAN_2025, 28, 1)  # representatives ≥ 4/5 of the meeting
URC25_35 = Citation("URC25-35", URBAN_2025, 36)  # committee members and close relatives excluded
VC25_01 = Citation("VC25-01", VILLAGE_2025, 8)  # committee: 3–7 members, at least one woman
VC25_19 = Citation("VC25-19", VILLAGE_2025, 29)  # representatives ≥ 4/5; women ≥ 1/3
VC25_30 = Citation("VC25-30", VILLAGE_2025, 37)  # committee members and close relatives excluded

REPRESENTATIVES_SHARE = Fraction(4, 5)  # URC25-24, VC25-19: 居民代表/村民代表应当占五分之四以上
WOMEN_SHARE = Fraction(1, 3)  # VC25-19: 妇女村民代表应当占村民代表会议组成人员的三分之一以上
COMMITTEE_SIZE = {"urban": (5, 9), "village": (3, 7)}  # URC25-02, VC25-01


@dataclass(frozen=True)
class Seat:
    resident_id: int
    gender: str  # "M" or "F", as on the register
    household_id: int
    is_committee_member: bool = False


@dataclass(frozen=True)
class CompositionWarning:
    code: str
    zh: str
    en: str
    citation: Citation
    residents: tuple[int, ...] = ()
    approximated: bool = False  # relies on "same household" for "close relative"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.en,
            "message_zh": self.zh,
            "rule": {"id": self.citation.rule_id, "citation": self.citation.zh},
            "residents": list(self.residents),
            "approximated": self.approximated,
        }


def _share_met(part: int, whole: int, share: Fraction) -> bool:
    """`part` is at least `share` of `whole` ("以上" includes the number: SEM-1)."""
    return Fraction(part) >= share * whole


def check_composition(
    community_kind: str,
    body: BodyKind | str,
    seats: Sequence[Seat],
    committee_households: Iterable[int] = (),
) -> tuple[CompositionWarning, ...]:
    """Warnings for `seats` as the membership of a body of kind `body` in an "urban" or
    "village" community. `committee_households` are the households of the committee's members
    (for the supervisory committee's exclusion of close relatives)."""
    kind = BodyKind(body)
    village = community_kind == "village"
    warnings: list[CompositionWarning] = []
    members = len(seats)
    if kind is BodyKind.REPRESENTATIVE_COUNCIL and members:
        citation = VC25_19 if village else URC25_24
        representatives = sum(1 for s in seats if not s.is_committee_member)
        if not _share_met(representatives, members, REPRESENTATIVES_SHARE):
            warnings.append(
                CompositionWarning(
                    "representatives_share",
                    f"代表占组成人员{representatives}/{members}，应当占五分之四以上",
                    f"representatives are {representatives} of {members} members; the statute "
                    "wants at least four fifths",
                    citation,
                )
            )
        if village:
            # "妇女村民代表": women among the representatives, not committee members.
            women = sum(1 for s in seats if s.gender == "F" and not s.is_committee_member)
            if not _share_met(women, members, WOMEN_SHARE):
                warnings.append(
                    CompositionWarning(
                        "women_share",
                        f"妇女村民代表占组成人员{women}/{members}，应当占三分之一以上",
                        f"women representatives are {women} of {members} members; the statute "
                        "wants at least one third",
                        VC25_19,
                    )
                )
    elif kind is BodyKind.SUPERVISORY_COUNCIL:
        citation = VC25_30 if village else URC25_35
        on_committee = tuple(s.resident_id for s in seats if s.is_committee_member)
        if on_committee:
            warnings.append(
                CompositionWarning(
                    "supervisory_committee_member",
                    "委员会成员不得担任监督委员会成员",
                    "members of the committee may not sit on the supervisory committee",
                    citation,
                    on_committee,
                )
            )
        households = set(committee_households)
        relatives = tuple(
            s.resident_id
            for s in seats
            if not s.is_committee_member and s.household_id in households
        )
        if relatives:
            warnings.append(
                CompositionWarning(
                    "supervisory_close_relative",
                    "委员会成员的近亲属不得担任监督委员会成员（按同户推定）",
                    "close relatives of committee members may not sit on the supervisory "
                    "committee (judged by living in the same household)",
                    citation,
                    relatives,
                    approximated=True,
                )
            )
    elif kind is BodyKind.COMMITTEE:
        citation = VC25_01 if village else URC25_02
        low, high = COMMITTEE_SIZE["village" if village else "urban"]
        if not low <= members <= high:
            warnings.append(
                CompositionWarning(
                    "committee_size",
                    f"委员会由{low}至{high}人组成，现有{members}人",
                    f"the committee has {low} to {high} members; this one has {members}",
                    citation,
                )
            )
        if members and not any(s.gender == "F" for s in seats):
            warnings.append(
                CompositionWarning(
                    "committee_no_woman",
                    "委员会成员中应当有妇女成员",
                    "the committee should have at least one woman",
                    citation,
                )
            )
    return tuple(warnings)
