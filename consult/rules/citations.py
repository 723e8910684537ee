"""Citations: which rule (RULES.md id), which law, which article, and how sure we are.

    Citation("URC25-23", URBAN_2025, 27).zh == "《城市居民委员会组织法》第二十七条"
    Citation("URC25-23", URBAN_2025, 27).en == "Urban Residents' Committees Law, Art. 27"

The current texts (in force from 2026) are cited without an edition; superseded texts carry one:
"《村民委员会组织法》（2018年修正）第二十二条" / "Villagers' Committees Law (2018 text), Art. 22".

`Citation.practice` is True for rows RULES.md marks C2 or M and for numbers the law leaves open
(a committee's internal quorum): the UI must then say "practice, not statute" (惯例，非法定).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from consult.rules.thresholds import chinese_numeral


class Status(StrEnum):
    """How sure RULES.md is of the text (its status column)."""

    CONFIRMED = "C"  # the text was read
    SECONDARY = "C2"  # known only through a secondary source
    MEMORY = "M"  # from memory, not confirmed


class Authority(StrEnum):
    STATUTE = "statute"  # a national law
    LOCAL = "local_regulation"  # a provincial regulation (地方性法规)
    CHARTER = "charter"  # a community's self-governance charter (自治章程)
    PRACTICE = "practice"  # rules of order, guides, suggested defaults: not law


@dataclass(frozen=True)
class Law:
    """A law or other source. `edition_*` is set for superseded texts only."""

    zh: str
    en: str
    authority: Authority = Authority.STATUTE
    edition_zh: str | None = None
    edition_en: str | None = None
    # How the source is divided: "article" (第二十七条 / Art. 27), "section" (§44) or "part"
    # (the numbered parts of a policy document: 第五部分 / part 5).
    division: str = "article"


URBAN_2025 = Law("城市居民委员会组织法", "Urban Residents' Committees Law")
URBAN_2018 = Law(
    "城市居民委员会组织法",
    "Urban Residents' Committees Law",
    edition_zh="2018年修正",
    edition_en="2018 text",
)
VILLAGE_2025 = Law("村民委员会组织法", "Villagers' Committees Law")
VILLAGE_2018 = Law(
    "村民委员会组织法", "Villagers' Committees Law", edition_zh="2018年修正", edition_en="2018 text"
)
COLLECTIVE_2024 = Law("农村集体经济组织法", "Rural Collective Economic Organizations Law")
LAND_CONTRACTING = Law("农村土地承包法", "Rural Land Contracting Law")
RONR = Law(
    "罗伯特议事规则",
    "Robert's Rules of Order Newly Revised",
    authority=Authority.PRACTICE,
    division="section",
)
CONSULTATION_2015 = Law(
    "关于加强城乡社区协商的意见",
    "Opinions on Strengthening Urban and Rural Community Consultation (2015)",
    authority=Authority.PRACTICE,
    division="part",
)


@dataclass(frozen=True)
class Citation:
    """A rule id of RULES.md and where it comes from."""

    rule_id: str
    law: Law
    article: int
    paragraph: int | None = None
    item: int | None = None
    status: Status = Status.CONFIRMED
    # The article exists but the number is not in it (e.g. a committee's quorum: "少数服从多数").
    number_is_practice: bool = False

    @property
    def practice(self) -> bool:
        """True when the UI must say "practice, not statute"."""
        return (
            self.number_is_practice
            or self.status is not Status.CONFIRMED
            or self.law.authority is Authority.PRACTICE
        )

    @property
    def is_statute(self) -> bool:
        return not self.practice and self.law.authority in (Authority.STATUTE, Authority.LOCAL)

    @property
    def zh(self) -> str:
        edition = f"（{self.law.edition_zh}）" if self.law.edition_zh else ""
        if self.law.division == "section":
            return f"《{self.law.zh}》{edition}第{self.article}节"
        if self.law.division == "part":
            return f"《{self.law.zh}》{edition}第{chinese_numeral(self.article)}部分"
        where = f"第{chinese_numeral(self.article)}条"
        if self.paragraph:
            where += f"第{chinese_numeral(self.paragraph)}款"
        if self.item:
            where += f"第（{chinese_numeral(self.item)}）项"
        return f"《{self.law.zh}》{edition}{where}"

    @property
    def en(self) -> str:
        edition = f" ({self.law.edition_en})" if self.law.edition_en else ""
        if self.law.division == "section":
            return f"{self.law.en}{edition}, §{self.article}"
        if self.law.division == "part":
            return f"{self.law.en}{edition}, part {self.article}"
        where = f"Art. {self.article}"
        if self.paragraph:
            where += f", para. {self.paragraph}"
        if self.item:
            where += f"({self.item})"
        return f"{self.law.en}{edition}, {where}"

    def text(self, locale: str | None = None) -> str:
        """The citation in one language ("zh", "en"), or both when `locale` is None."""
        return localized(self.zh, self.en, locale)

    def as_dict(self) -> dict[str, str | bool]:
        return {
            "id": self.rule_id,
            "zh": self.zh,
            "en": self.en,
            "status": self.status.value,
            "practice": self.practice,
        }


PRACTICE_LABEL_ZH = "惯例，非法定"
PRACTICE_LABEL_EN = "practice, not statute"


def localized(zh: str, en: str, locale: str | None) -> str:
    """Pick a language: "zh…" → zh, "en…" → en, None → "zh (en)" so either reader finds it."""
    if locale is None:
        return f"{zh} ({en})"
    return zh if locale.lower().startswith("zh") else en


# Robert's Rules (RULES.md §2.6): practice, cited by section of RONR (12th ed.); status as there.
RR_03 = Citation("RR-03", RONR, 44, status=Status.SECONDARY)  # majority of votes cast
RR_04 = Citation("RR-04", RONR, 44, status=Status.SECONDARY)  # a tie is not a majority
RR_05 = Citation("RR-05", RONR, 44, status=Status.SECONDARY)  # two-thirds of votes cast
RR_08 = Citation("RR-08", RONR, 40, status=Status.MEMORY)  # quorum: majority of the membership
RR_11 = Citation("RR-11", RONR, 35, status=Status.MEMORY)  # rescind: two-thirds without notice
RR_12 = Citation("RR-12", RONR, 57, status=Status.MEMORY)  # bylaws: notice and two-thirds
# D17: the 2015 consultation opinion, known from memory (POL-04, POL-05).
POL_05 = Citation("POL-05", CONSULTATION_2015, 5, status=Status.MEMORY)
