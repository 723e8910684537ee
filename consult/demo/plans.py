"""What the demo holds: 和平里社区 (urban, ~800 residents) and 石桥村 (village, ~40).

Pure data built from a fixed seed; `consult.demo.loader` puts it into the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from consult.demo.people import ELSEWHERE_AREAS, Person, RegisterGenerator

SEED = 20261101
#: Ages are as of this day, so the data is the same whenever the demo is loaded.
REFERENCE = date(2026, 9, 1)
DONGCHENG = "110101"  # 北京市东城区
HUAIROU = "110116"  # 北京市怀柔区

URBAN_GROUPS = tuple(f"第{n}居民小组" for n in ("一", "二", "三", "四", "五", "六", "七", "八"))
VILLAGE_GROUPS = tuple(f"第{n}村民小组" for n in ("一", "二", "三"))


@dataclass(frozen=True)
class AccountPlan:
    """A demo login: its e-mail, roles in the community, and the register entry it is linked to."""

    email: str
    role: str  # what the login is for, as printed
    roles: tuple[str, ...] = ()
    display_name: str = ""
    resident: Person | None = None
    is_admin: bool = False


@dataclass(frozen=True)
class CommunityPlan:
    code: str
    name: str
    kind: str
    groups: tuple[str, ...]
    people: list[Person]
    accounts: list[AccountPlan] = field(default_factory=list)
    deprived: tuple[Person, str] | None = None  # who, and the reason staff recorded


def _age(person: Person) -> int:
    born = person.birth_date
    return REFERENCE.year - born.year - ((REFERENCE.month, REFERENCE.day) < (born.month, born.day))


def _pick(
    people: list[Person],
    taken: set[str],
    *,
    group: str,
    ages: tuple[int, int],
    gender: str | None = None,
) -> Person:
    """The first person on the register who fits, and is not picked for something else."""
    for p in people:
        if (
            p.group == group
            and p.id_number
            and p.id_number not in taken
            and p.registration == "household_register"
            and ages[0] <= _age(p) <= ages[1]
            and (gender is None or p.gender == gender)
        ):
            taken.add(p.id_number)
            return p
    raise LookupError(f"no one in {group} aged {ages}")  # the seed is fixed: cannot happen


def heping() -> CommunityPlan:
    """和平里社区: sixteen six-storey buildings, two to a residents' group, ~300 households."""
    rng = random.Random(SEED)
    gen = RegisterGenerator(rng, REFERENCE)
    # Building-unit-flat, as households are written on a Beijing register: 3号楼2单元401.
    slots = [
        (building, unit, floor, flat)
        for building in range(1, 17)
        for unit in range(1, 4)
        for floor in range(1, 7)
        for flat in (1, 2)
    ]
    chosen = sorted(rng.sample(slots, 300))
    workers_at = set(rng.sample(range(300), 3))
    habitual_at = set(rng.sample(sorted(set(range(300)) - workers_at), 5))
    worker_since = iter((date(2019, 5, 1), date(2024, 3, 1), date(2026, 7, 15)))
    people: list[Person] = []
    for i, (building, unit, floor, flat) in enumerate(chosen):
        code = f"{building}号楼{unit}单元{floor}{flat:02d}"
        group = URBAN_GROUPS[(building - 1) // 2]
        if i in workers_at:
            # Community workers renting here, registered for the work (URC25-08).
            people.append(
                gen.worker(
                    code,
                    group,
                    age=rng.randint(24, 45),
                    registered_since=next(worker_since),
                    area=rng.choice(ELSEWHERE_AREAS),
                )
            )
        elif i in habitual_at:
            # Families living here for years with their hukou elsewhere, who applied (URC25-08).
            people += gen.household(
                code,
                group,
                area=rng.choice(ELSEWHERE_AREAS),
                kind=rng.choice(("couple", "nuclear")),
                registration="habitual_resident",
                registered_since=date(rng.randint(2012, 2024), rng.randint(1, 12), 1),
            )
        else:
            people += gen.household(code, group, area=DONGCHENG)

    taken: set[str] = set()
    reps = [_pick(people, taken, group=URBAN_GROUPS[g], ages=(40, 65)) for g in (0, 2, 5)]
    elderly = _pick(people, taken, group=URBAN_GROUPS[1], ages=(75, 95))
    deprived = _pick(people, taken, group=URBAN_GROUPS[4], ages=(30, 55), gender="M")
    accounts = [
        AccountPlan("staff@heping.demo", "staff", ("staff",), "刘静"),
        AccountPlan("chair@heping.demo", "chair", ("chair", "staff"), "王建华"),
        AccountPlan("recorder@heping.demo", "recorder", ("recorder",), "陈晓燕"),
        AccountPlan("supervisor@heping.demo", "supervisor", ("supervisor",), "赵国庆"),
        *(
            AccountPlan(f"rep{n}@heping.demo", "representative", ("representative",), p.name, p)
            for n, p in enumerate(reps, start=1)
        ),
        AccountPlan("resident@heping.demo", "resident", (), elderly.name, elderly),
    ]
    reason = "人民法院判决剥夺政治权利三年（2025年3月至2028年3月），据判决书登记"
    return CommunityPlan(
        "heping", "和平里社区", "urban", URBAN_GROUPS, people, accounts, (deprived, reason)
    )


def shiqiao() -> CommunityPlan:
    """石桥村: a small village in 怀柔, three villagers' groups, so two tenants sit side by side."""
    rng = random.Random(SEED + 1)
    gen = RegisterGenerator(rng, REFERENCE)
    people: list[Person] = []
    for n in range(1, 16):
        g = (n - 1) % 3
        people += gen.household(f"{g + 1}组{n:02d}号", VILLAGE_GROUPS[g], area=HUAIROU)
    accounts = [AccountPlan("staff@shiqiao.demo", "staff", ("staff",), "孙丽萍")]
    return CommunityPlan("shiqiao", "石桥村", "village", VILLAGE_GROUPS, people, accounts)


ADMIN = AccountPlan("admin@demo.consult", "admin", (), "平台管理员", is_admin=True)
