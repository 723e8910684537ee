"""Believable register data: households of Chinese families, as a residents CSV (INTERFACES.md §4).

Deterministic: everything comes from the `random.Random` passed in, so the same seed gives the
same bytes (the demo stays idempotent and the benchmark repeatable). No database here.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from consult.demo.names import GIVEN_NAMES, SURNAMES, generation
from consult.rules.idcard import make_id_number

CSV_HEADER = (
    "household",
    "name",
    "birth_date",
    "gender",
    "group",
    "phone",
    "id_number",
    "registration",
    "registered_since",
)

#: Where ID numbers of people registered elsewhere come from (habitual residents, workers):
#: 石家庄长安区, 郑州金水区, 济南历下区, 太原小店区, 哈尔滨南岗区, 合肥蜀山区.
ELSEWHERE_AREAS = ("130102", "410105", "370102", "140105", "230103", "340104")

# Household kinds with weights: many elderly, as in an old Beijing neighbourhood.
HOUSEHOLD_KINDS: tuple[tuple[str, int], ...] = (
    ("elderly_single", 13),
    ("elderly_couple", 22),
    ("couple", 11),
    ("nuclear", 28),
    ("three_generations", 18),
    ("parent_and_adult_child", 8),
)

_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "158", "159", "177", "180", "183", "185", "186", "187", "188", "189", "199",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    """One line of the register."""

    household: str
    name: str
    birth_date: date
    gender: str
    group: str
    phone: str | None
    id_number: str | None
    registration: str = "household_register"
    registered_since: date | None = None

    def row(self) -> list[str]:
        return [
            self.household,
            self.name,
            self.birth_date.isoformat(),
            self.gender,
            self.group,
            self.phone or "",
            self.id_number or "",
            self.registration,
            self.registered_since.isoformat() if self.registered_since else "",
        ]


@dataclass(frozen=True)
class Member:
    """A family member before names and numbers are given: relation, age in years, sex."""

    relation: str
    age: int
    sex: str
    surname: str


class IdNumbers:
    """Valid, unique ID numbers (GB 11643): the sequence is bumped until the number is new."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def new(self, area: str, born: date, sex: str) -> str:
        start = self._rng.randrange(500)
        for step in range(500):
            number = make_id_number(area, born, (start + step) % 500, sex)
            if number not in self._used:
                self._used.add(number)
                return number
        raise RuntimeError(f"no ID number left for {area} {born} {sex}")  # 500 a day and sex


class RegisterGenerator:
    """Families, names, birth dates, phones and ID numbers from one random source."""

    def __init__(self, rng: random.Random, reference: date) -> None:
        self.rng = rng
        self.reference = reference
        self.ids = IdNumbers(rng)
        self._surnames = [s for s, _ in SURNAMES]
        self._surname_weights = [w for _, w in SURNAMES]

    # ---------------------------------------------------------------- pieces

    def surname(self) -> str:
        return self.rng.choices(self._surnames, self._surname_weights)[0]

    def birth_date(self, age: int) -> date:
        """A birthday such that the person is `age` on the reference date."""
        year = self.reference.year - age
        born = date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        if born > self.reference:  # the birthday is still to come this year
            born = date(year - 1, born.month, born.day)
        return born

    def given_name(self, born: date, sex: str) -> str:
        return self.rng.choice(GIVEN_NAMES[generation(born.year)][sex])

    def phone(self, age: int) -> str | None:
        if age < 16:
            return None
        if age >= 75 and self.rng.random() < 0.45:
            return f"010-6{self.rng.randrange(10**7):07d}"  # the landline at home
        if self.rng.random() < 0.07:
            return None
        return self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def family(self, kind: str) -> list[Member]:
        """The members of one household of `kind`."""
        r = self.rng
        s1, s2 = self.surname(), self.surname()
        if kind == "elderly_single":
            sex = "F" if r.random() < 0.65 else "M"  # women outlive their husbands
            return [Member("head", r.randint(66, 94), sex, s1)]
        if kind == "elderly_couple":
            husband = r.randint(62, 90)
            return [
                Member("head", husband, "M", s1),
                Member("spouse", max(60, husband - r.randint(0, 5)), "F", s2),
            ]
        if kind == "couple":
            husband = r.randint(26, 60)
            return [
                Member("head", husband, "M", s1),
                Member("spouse", max(24, husband - r.randint(-2, 5)), "F", s2),
            ]
        if kind == "nuclear":
            husband = r.randint(30, 52)
            wife = max(27, husband - r.randint(-1, 4))
            members = [Member("head", husband, "M", s1), Member("spouse", wife, "F", s2)]
            for _ in range(1 if r.random() < 0.7 else 2):
                age = r.randint(0, min(22, wife - 23))
                surname = s1 if r.random() < 0.93 else s2
                members.append(Member("child", age, r.choice("MF"), surname))
            return members
        if kind == "three_generations":
            grandfather = r.randint(60, 86)
            father = grandfather - r.randint(25, 32)
            mother = max(25, father - r.randint(-1, 4))
            # Usually the husband's parents; sometimes the wife's.
            elder_surname = s1 if r.random() < 0.7 else s2
            members = []
            if r.random() < 0.7:
                members.append(Member("parent", grandfather, "M", elder_surname))
            members.append(
                Member("parent", max(55, grandfather - r.randint(0, 4)), "F", self.surname())
            )
            members += [Member("head", father, "M", s1), Member("spouse", mother, "F", s2)]
            child_age = r.randint(0, max(0, min(17, mother - 23)))
            members.append(Member("child", child_age, r.choice("MF"), s1))
            return members
        if kind == "parent_and_adult_child":
            parent = r.randint(72, 95)
            parent_sex = "F" if r.random() < 0.6 else "M"
            child_age = max(38, parent - r.randint(24, 34))
            return [
                Member("head", parent, parent_sex, s1),
                Member("child", child_age, r.choice("MF"), s1 if parent_sex == "M" else s2),
            ]
        raise ValueError(f"unknown household kind {kind!r}")

    def household(
        self,
        code: str,
        group: str,
        *,
        area: str,
        kind: str | None = None,
        registration: str = "household_register",
        registered_since: date | None = None,
        without_id_share: float = 0.02,
    ) -> list[Person]:
        """A whole household, names unique within it."""
        if kind is None:
            kind = self.rng.choices(
                [k for k, _ in HOUSEHOLD_KINDS], [w for _, w in HOUSEHOLD_KINDS]
            )[0]
        people: list[Person] = []
        names: set[str] = set()
        for member in self.family(kind):
            born = self.birth_date(member.age)
            name = member.surname + self.given_name(born, member.sex)
            while name in names:
                name = member.surname + self.given_name(born, member.sex)
            names.add(name)
            has_id = self.rng.random() >= without_id_share
            people.append(
                Person(
                    household=code,
                    name=name,
                    birth_date=born,
                    gender=member.sex,
                    group=group,
                    phone=self.phone(member.age),
                    id_number=self.ids.new(area, born, member.sex) if has_id else None,
                    registration=registration,
                    registered_since=registered_since,
                )
            )
        return people

    def worker(
        self, code: str, group: str, *, age: int, registered_since: date, area: str
    ) -> Person:
        """A community worker registered where they work (URC25-08)."""
        sex = self.rng.choice("MF")
        born = self.birth_date(age)
        return Person(
            household=code,
            name=self.surname() + self.given_name(born, sex),
            birth_date=born,
            gender=sex,
            group=group,
            phone=self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}",
            id_number=self.ids.new(area, born, sex),
            registration="worker",
            registered_since=registered_since,
        )


def to_csv(people: Iterable[Person]) -> bytes:
    """The register file, UTF-8 with the header of INTERFACES.md §4 (plus registered_since)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for person in people:
        writer.writerow(person.row())
    return out.getvalue().encode("utf-8")
