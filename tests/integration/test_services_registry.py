"""Register services, called directly (no HTTP): import as a whole, history, encryption at rest,
search, political rights, export, and who may do each."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import current_app
from sqlalchemy import func, select, text

from consult import clock
from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.crypto.fields import FieldCipher
from consult.errors import Conflict, Invalid, NotAllowed, NotFound, Unauthenticated
from consult.registry.enrolment import actor_for
from consult.registry.models import (
    Community,
    ImportBatch,
    PoliticalRightsRecord,
    Resident,
    ResidentVersion,
)
from consult.registry.service import (
    EXPORT_HEADER,
    create_community,
    eligibility_of,
    export_residents,
    get_community,
    get_resident,
    import_residents,
    political_rights_history,
    record_political_rights,
    resident_history,
    reveal_id_number,
    search_residents,
)
from consult.rules.eligibility import Ineligibility
from consult.rules.idcard import make_id_number
from tests.factories import make_community

pytestmark = pytest.mark.integration

HEADER = "household,name,birth_date,gender,group,phone,id_number"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------- helpers


@pytest.fixture
def cipher(db_session: Any) -> FieldCipher:
    return current_app.extensions["consult.field_cipher"]


@pytest.fixture
def staff(world: Any) -> Actor:
    return actor_for(world.users["staff"], world.community.id)


def actor_of(world: Any, role: str, community: Community | None = None) -> Actor:
    if role == "anonymous":
        return Actor.anonymous()
    return actor_for(world.users[role], (community or world.community).id)


def id_number(n: int, born: date = date(1980, 1, 1), sex: str = "M") -> str:
    return make_id_number("110105", born, n, sex)


def person(
    n: int,
    *,
    household: str | None = None,
    name: str | None = None,
    group: str = "G1",
    phone: str = "",
    with_id: bool = True,
    born: date = date(1980, 1, 1),
    sex: str = "M",
) -> str:
    number = id_number(n, born, sex) if with_id else ""
    return (
        f"{household or f'A{n:04d}'},{name or f'居民{n}'},{born.isoformat()},{sex},{group},"
        f"{phone},{number}"
    )


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *lines)) + "\n").encode("utf-8")


def count(model: Any, *where: Any) -> int:
    from consult.extensions import db

    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def residents_of(community: Community) -> int:
    return count(Resident, Resident.community_id == community.id)


def versions_of(community: Community) -> int:
    return count(
        ResidentVersion,
        ResidentVersion.resident_id.in_(
            select(Resident.id).where(Resident.community_id == community.id)
        ),
    )


def audit_actions(community: Community) -> list[str]:
    from consult.extensions import db

    return list(
        db.session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.community_id == community.id)
            .order_by(AuditEntry.seq)
        ).scalars()
    )


def resident_named(community: Community, name: str) -> Resident:
    from consult.extensions import db

    return db.session.execute(
        select(Resident).where(Resident.community_id == community.id, Resident.name == name)
    ).scalar_one()


def export_rows(actor: Actor, community: Community, cipher: FieldCipher, **kw: Any) -> list[dict]:
    out = "".join(export_residents(actor, community, cipher, **kw))
    assert out.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"), newline="")))


# ---------------------------------------------------------------- import: all or nothing


def test_first_import_creates_every_resident_with_a_first_version(world, staff, cipher):
    before = residents_of(world.community)
    result = import_residents(
        staff, world.community, csv_bytes(*(person(i) for i in range(10))), cipher
    )
    assert (result.created, result.updated, result.unchanged) == (10, 0, 0)
    assert result.rejected == []
    assert residents_of(world.community) == before + 10
    resident = resident_named(world.community, "居民3")
    assert resident.version == 1
    assert resident.household.code == "A0003"
    assert resident.group.code == "G1"
    history = resident_history(staff, world.community, resident.id)
    assert [v.version for v, _ in history] == [1]
    assert history[0][1]["name"] == "居民3"
    assert history[0][0].source == "import"


def test_one_bad_line_among_a_hundred_imports_nothing(world, staff, cipher):
    lines = [person(i) for i in range(100)]
    lines[41] = person(41).replace(",M,", ",X,")  # line 43
    before = (residents_of(world.community), versions_of(world.community))
    with pytest.raises(Invalid) as raised:
        import_residents(staff, world.community, csv_bytes(*lines), cipher)
    assert raised.value.details == [{"line": 43, "error": "gender must be M or F, not 'X'"}]
    assert "nothing was imported" in raised.value.message
    assert (residents_of(world.community), versions_of(world.community)) == before
    assert count(ImportBatch, ImportBatch.community_id == world.community.id) == 0
    assert "registry:residents:import" not in audit_actions(world.community)


def test_every_bad_line_is_listed_with_its_reason(world, staff, cipher):
    lines = [person(i) for i in range(100)]
    lines[0] = person(0).replace("1980-01-01", "1980-02-30")  # line 2
    lines[50] = person(50) + ",extra"  # line 52
    lines[99] = person(99).replace("居民99", "")  # line 101
    with pytest.raises(Invalid) as raised:
        import_residents(staff, world.community, csv_bytes(*lines), cipher)
    details = raised.value.details
    assert [d["line"] for d in details] == [2, 52, 101]
    assert "birth_date must be a date" in details[0]["error"]
    assert details[1]["error"] == "expected 7 fields, found 8"
    assert details[2]["error"] == "name is empty"
    assert residents_of(world.community) == 2  # the world's own two


def test_wrong_header_imports_nothing(world, staff, cipher):
    with pytest.raises(Invalid) as raised:
        import_residents(
            staff,
            world.community,
            csv_bytes(person(1), header="户,名,生日,性别,组,电话,证"),
            cipher,
        )
    assert raised.value.details[0]["line"] == 1
    assert "missing column(s)" in raised.value.details[0]["error"]


def test_non_utf8_file_imports_nothing_and_names_the_line(world, staff, cipher):
    data = csv_bytes(person(1)) + "B1,李明,1980-01-01,M,G1,,\n".encode("gbk")
    with pytest.raises(Invalid) as raised:
        import_residents(staff, world.community, data, cipher)
    assert raised.value.details == [
        {"line": 3, "error": "the file is not UTF-8 text (save it as CSV UTF-8)"}
    ]
    assert residents_of(world.community) == 2


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", HEADER.encode() + b"\n"])
def test_empty_file_imports_nothing(world, staff, cipher, data):
    with pytest.raises(Invalid) as raised:
        import_residents(staff, world.community, data, cipher)
    assert raised.value.details[0]["line"] == 1


def test_bom_file_from_excel_imports(world, staff, cipher):
    result = import_residents(
        staff, world.community, b"\xef\xbb\xbf" + csv_bytes(person(1)), cipher
    )
    assert result.created == 1


def test_nul_in_a_name_is_a_line_error_not_a_database_error(world, staff, cipher):
    with pytest.raises(Invalid) as raised:
        import_residents(
            staff, world.community, csv_bytes('B1,"李\x00明",1980-01-01,M,G1,,'), cipher
        )
    assert raised.value.details[0]["line"] == 2


# ---------------------------------------------------------------- import: re-import and history


def test_reimporting_the_same_file_changes_nothing(world, staff, cipher):
    data = csv_bytes(
        *(person(i, phone="13800138000" if i % 2 else "") for i in range(20)),
        person(99, with_id=False, household="B1", name="无证人"),
    )
    first = import_residents(staff, world.community, data, cipher)
    assert first.created == 21
    versions = versions_of(world.community)
    updated_at = {r.id: r.updated_at for r in search_residents(staff, world.community).items}

    clock.advance(timedelta(hours=1))
    second = import_residents(staff, world.community, data, cipher)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 21)
    assert versions_of(world.community) == versions
    page = search_residents(staff, world.community, per_page=500)
    assert all(r.version == 1 for r in page.items)
    assert {r.id: r.updated_at for r in page.items} == updated_at


def test_changed_row_updates_the_resident_and_keeps_the_old_snapshot(world, staff, cipher):
    import_residents(staff, world.community, csv_bytes(person(1, group="G1"), person(2)), cipher)
    resident = resident_named(world.community, "居民1")
    result = import_residents(
        staff,
        world.community,
        csv_bytes(person(1, group="G2", household="A0099", phone="13900139000"), person(2)),
        cipher,
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    resident = get_resident(staff, world.community, resident.id)
    assert resident.version == 2
    assert resident.group.code == "G2"
    assert resident.household.code == "A0099"
    assert cipher.decrypt(resident.phone_encrypted, "phone") == "13900139000"
    history = resident_history(staff, world.community, resident.id)
    assert [v.version for v, _ in history] == [2, 1]
    (_, new_snap), (old, old_snap) = history
    assert (old_snap["group"], old_snap["household"]) == ("G1", "A0001")
    assert (new_snap["group"], new_snap["household"]) == ("G2", "A0099")
    assert old.recorded_by == staff.user_id
    assert "phone" not in new_snap  # the snapshot never carries the phone


def test_phone_only_change_is_an_update(world, staff, cipher):
    import_residents(staff, world.community, csv_bytes(person(1)), cipher)
    result = import_residents(staff, world.community, csv_bytes(person(1, phone="12345")), cipher)
    assert result.updated == 1


def test_resident_without_id_number_is_matched_by_name_in_the_household(world, staff, cipher):
    import_residents(staff, world.community, csv_bytes(person(1, with_id=False)), cipher)
    result = import_residents(
        staff, world.community, csv_bytes(person(1, with_id=False, group="G7")), cipher
    )
    assert (result.created, result.updated) == (0, 1)
    # Adding the ID number later is an update of the same person, not a new one.
    result = import_residents(staff, world.community, csv_bytes(person(1, group="G7")), cipher)
    assert (result.created, result.updated) == (0, 1)
    resident = resident_named(world.community, "居民1")
    assert resident.version == 3
    assert cipher.decrypt(resident.id_number_encrypted, "id_number") == id_number(1)


def test_same_id_number_twice_in_a_file_is_a_duplicate_line(world, staff, cipher):
    with pytest.raises(Invalid) as raised:
        import_residents(
            staff,
            world.community,
            csv_bytes(person(1), person(2), person(1, household="Z")),
            cipher,
        )
    assert raised.value.details == [{"line": 4, "error": "the same resident as line 2"}]
    assert residents_of(world.community) == 2


def test_same_name_twice_in_a_household_without_id_numbers_is_a_duplicate_line(
    world, staff, cipher
):
    with pytest.raises(Invalid) as raised:
        import_residents(
            staff,
            world.community,
            csv_bytes(
                person(1, with_id=False, household="B1", name="李明"),
                person(2, with_id=False, household="B1", name="李明", born=date(2001, 1, 1)),
            ),
            cipher,
        )
    assert raised.value.details == [{"line": 3, "error": "the same resident as line 2"}]


def test_two_residents_of_the_same_name_in_a_household_are_told_apart_by_id_number(
    world, staff, cipher
):
    data = csv_bytes(
        person(1, household="B1", name="李明"),
        person(2, household="B1", name="李明", born=date(2001, 1, 1)),
    )
    first = import_residents(staff, world.community, data, cipher)
    assert first.created == 2
    second = import_residents(staff, world.community, data, cipher)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    # Without an ID number, a line for "李明" of B1 cannot say which one it means.
    with pytest.raises(Invalid) as raised:
        import_residents(
            staff,
            world.community,
            csv_bytes(person(3, with_id=False, household="B1", name="李明")),
            cipher,
        )
    assert raised.value.details[0]["line"] == 2
    assert "several residents of this household have this name" in raised.value.details[0]["error"]


@pytest.mark.parametrize("order", ["with_id_first", "without_id_first"])
def test_same_name_with_and_without_id_number_in_a_household_is_refused(
    world, staff, cipher, order
):
    # Imported as two people, the one without an ID number could not be told apart from the
    # other on the next import of the same file.
    with_id = person(1, household="B1", name="李明")
    without_id = person(2, with_id=False, household="B1", name="李明", born=date(2001, 1, 1))
    lines = [with_id, without_id] if order == "with_id_first" else [without_id, with_id]
    with pytest.raises(Invalid) as raised:
        import_residents(staff, world.community, csv_bytes(*lines), cipher)
    line = 3 if order == "with_id_first" else 2
    assert raised.value.details == [
        {
            "line": line,
            "error": "several residents of this household have this name; "
            "add their ID numbers to tell them apart",
        }
    ]


def test_two_lines_matching_one_resident_are_refused_not_a_conflict(world, staff, cipher):
    # 张三 of B1 is on the register with an ID number. One line moves that ID number to B2
    # under a new spelling; another line, without an ID number, still names 张三 of B1:
    # both lines would update the one resident.
    import_residents(
        staff, world.community, csv_bytes(person(1, household="B1", name="张三")), cipher
    )
    data = csv_bytes(
        person(1, household="B2", name="张叁"),
        person(1, household="B1", name="张三", with_id=False, phone="12345"),
    )
    with pytest.raises(Invalid) as raised:
        import_residents(staff, world.community, data, cipher)
    assert raised.value.details == [{"line": 3, "error": "the same resident as line 2"}]
    assert resident_named(world.community, "张三").version == 1


def test_the_same_file_in_two_communities_makes_two_registers(world, cipher):
    admin = actor_of(world, "admin")
    other = make_community("third")
    data = csv_bytes(person(1), person(2))
    assert import_residents(admin, world.community, data, cipher).created == 2
    assert import_residents(admin, other, data, cipher).created == 2
    assert residents_of(other) == 2


# ---------------------------------------------------------------- encryption at rest


def test_id_numbers_and_phones_are_encrypted_at_rest(world, staff, cipher, db_session):
    numbers = [id_number(i) for i in range(5)]
    phones = [f"1380013{i:04d}" for i in range(5)]
    import_residents(
        staff,
        world.community,
        csv_bytes(*(person(i, phone=phones[i]) for i in range(5))),
        cipher,
    )
    # A changed row writes a second version: its columns must not leak either.
    import_residents(
        staff,
        world.community,
        csv_bytes(*(person(i, phone=phones[i], group="G2") for i in range(5))),
        cipher,
    )
    tables = {
        "residents": "SELECT * FROM residents WHERE community_id = :c",
        "resident_versions": "SELECT v.* FROM resident_versions v "
        "JOIN residents r ON r.id = v.resident_id WHERE r.community_id = :c",
        "audit_entries": "SELECT * FROM audit_entries WHERE community_id = :c",
        "import_batches": "SELECT * FROM import_batches WHERE community_id = :c",
    }
    seen = 0
    for table, sql in tables.items():
        for row in db_session.execute(text(sql), {"c": world.community.id}):
            for value in row:
                cell = str(value)
                seen += 1
                for secret in numbers + phones:
                    assert secret not in cell, f"{table} holds {secret} in clear"
                    assert secret.lower() not in cell.lower()
    assert seen > 0
    resident = resident_named(world.community, "居民3")
    assert resident.id_number_masked == numbers[3][:6] + "********" + numbers[3][-4:]
    assert cipher.decrypt(resident.id_number_encrypted, "id_number") == numbers[3]


def test_revealing_an_id_number_is_audited(world, staff, cipher):
    import_residents(staff, world.community, csv_bytes(person(1)), cipher)
    resident = resident_named(world.community, "居民1")
    assert reveal_id_number(staff, world.community, resident.id, cipher) == id_number(1)
    assert audit_actions(world.community)[-1] == "registry:residents:reveal"


def test_revealing_is_staff_only(world, staff, cipher):
    import_residents(staff, world.community, csv_bytes(person(1)), cipher)
    resident = resident_named(world.community, "居民1")
    with pytest.raises(NotAllowed):
        reveal_id_number(actor_of(world, "supervisor"), world.community, resident.id, cipher)


# ---------------------------------------------------------------- search


def test_search_pages_through_the_register(world, staff, cipher):
    import_residents(staff, world.community, csv_bytes(*(person(i) for i in range(118))), cipher)
    first = search_residents(staff, world.community, per_page=50)
    assert (first.total, first.pages, len(first.items)) == (120, 3, 50)
    last = search_residents(staff, world.community, page=3, per_page=50)
    assert len(last.items) == 20
    past = search_residents(staff, world.community, page=4, per_page=50)
    assert past.items == []
    assert past.total == 120
    ids = [r.id for p in (1, 2, 3) for r in search_residents(staff, world.community, page=p).items]
    assert len(ids) == len(set(ids)) == 120


@pytest.mark.parametrize(
    ("page", "per_page", "expected"), [(0, 10, (1, 10)), (-5, 0, (1, 1)), (1, 10_000, (1, 500))]
)
def test_search_clamps_page_and_page_size(world, staff, page, per_page, expected):
    result = search_residents(staff, world.community, page=page, per_page=per_page)
    assert (result.page, result.per_page) == expected


def test_search_finds_names_and_households_by_substring(world, staff, cipher):
    import_residents(
        staff,
        world.community,
        csv_bytes(
            person(1, name="张伟", household="C1-101"),
            person(2, name="李伟", household="C1-102"),
            person(3, name="王芳", household="C2-201", group="G2"),
        ),
        cipher,
    )
    names = lambda **kw: sorted(  # noqa: E731
        r.name for r in search_residents(staff, world.community, **kw).items
    )
    assert names(query="伟") == ["张伟", "李伟"]
    assert names(query="C1-") == ["张伟", "李伟"]
    assert names(query=" 王芳 ") == ["王芳"]
    assert names(query="C2", group="G2") == ["王芳"]
    assert names(query="伟", group="G2") == []
    assert names(group="nope") == []
    assert len(names(query="")) == 5  # empty query: everyone (the world's two as well)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("%", ["百分之百%"]),
        ("_", ["下划_线"]),
        ("\\", ["反斜\\杠"]),
        ("%_", []),
        ("' OR 1=1 --", []),
    ],
)
def test_search_treats_like_wildcards_as_plain_characters(world, staff, cipher, query, expected):
    import_residents(
        staff,
        world.community,
        csv_bytes(
            person(1, name="百分之百%"),
            person(2, name="下划_线"),
            person(3, name="反斜\\杠"),
            person(4, name="普通人"),
        ),
        cipher,
    )
    found = [r.name for r in search_residents(staff, world.community, query=query).items]
    assert found == expected


def test_search_never_shows_another_communitys_residents(world, staff):
    page = search_residents(staff, world.community, query="李明")  # 李明 lives in `other`
    assert page.items == []
    assert page.total == 0


def test_resident_of_another_community_is_not_found_through_this_one(world, staff):
    with pytest.raises(NotFound):
        get_resident(staff, world.community, world.residents["other_resident"].id)


# ---------------------------------------------------------------- political rights


def test_deprivation_of_political_rights_needs_a_reason(world, staff):
    resident = world.residents["resident"]
    for reason in ("", "   "):
        with pytest.raises(Invalid) as raised:
            record_political_rights(
                staff, world.community, resident.id, is_deprived=True, reason=reason
            )
        assert raised.value.details == {"reason": "required"}
    with pytest.raises(Invalid):
        record_political_rights(
            staff, world.community, resident.id, is_deprived=True, reason="x" * 2001
        )
    assert not get_resident(staff, world.community, resident.id).is_deprived_of_political_rights


def test_recording_deprivation_is_audited_and_ends_eligibility(world, staff):
    resident = world.residents["resident"]
    assert eligibility_of(world.community, resident).eligible
    before = len(audit_actions(world.community))
    entry = record_political_rights(
        staff, world.community, resident.id, is_deprived=True, reason="判决书（2026）京01刑初1号"
    )
    assert isinstance(entry, PoliticalRightsRecord)
    assert entry.recorded_by == staff.user_id
    actions = audit_actions(world.community)
    assert actions[before:] == ["registry:residents:edit"]
    resident = get_resident(staff, world.community, resident.id)
    result = eligibility_of(world.community, resident)
    assert not result.eligible
    assert result.reasons == (Ineligibility.DEPRIVED,)
    history = resident_history(staff, world.community, resident.id)
    assert history[0][0].source == "political_rights"
    assert history[0][1]["is_deprived_of_political_rights"] is True
    assert [r.reason for r in political_rights_history(staff, world.community, resident.id)] == [
        "判决书（2026）京01刑初1号"
    ]


def test_recording_what_the_register_already_says_is_a_conflict(world, staff):
    resident = world.residents["resident"]
    with pytest.raises(Conflict):
        record_political_rights(staff, world.community, resident.id, is_deprived=False, reason="x")
    record_political_rights(staff, world.community, resident.id, is_deprived=True, reason="判决")
    with pytest.raises(Conflict):
        record_political_rights(staff, world.community, resident.id, is_deprived=True, reason="x")


def test_restored_political_rights_make_the_resident_eligible_again(world, staff):
    resident = world.residents["resident"]
    record_political_rights(staff, world.community, resident.id, is_deprived=True, reason="判决")
    record_political_rights(
        staff, world.community, resident.id, is_deprived=False, reason="刑满，恢复政治权利"
    )
    assert eligibility_of(
        world.community, get_resident(staff, world.community, resident.id)
    ).eligible
    assert len(political_rights_history(staff, world.community, resident.id)) == 2


def test_political_rights_of_another_communitys_resident_cannot_be_recorded(world, staff):
    with pytest.raises(NotFound):
        record_political_rights(
            staff,
            world.community,
            world.residents["other_resident"].id,
            is_deprived=True,
            reason="x",
        )


# ---------------------------------------------------------------- eligibility from the register


def test_imported_worker_in_a_city_becomes_eligible_after_six_months(world, staff, cipher):
    clock.freeze(NOW)
    header = HEADER + ",registration,registered_since"
    import_residents(
        staff, world.community, csv_bytes(person(1) + ",worker,2026-01-01", header=header), cipher
    )
    resident = resident_named(world.community, "居民1")
    result = eligibility_of(world.community, resident)
    assert result.reasons == (Ineligibility.NOT_LONG_ENOUGH,)
    assert result.citation.rule_id == "URC25-08"
    assert eligibility_of(world.community, resident, date(2026, 7, 1)).eligible


def test_imported_worker_in_a_village_needs_a_year(world, cipher):
    clock.freeze(NOW)
    admin = actor_of(world, "admin")
    village = make_community("village1", kind="village")
    header = HEADER + ",registration,registered_since"
    import_residents(
        admin, village, csv_bytes(person(1) + ",worker,2025-10-01", header=header), cipher
    )
    resident = resident_named(village, "居民1")
    assert eligibility_of(village, resident, date(2026, 7, 1)).reasons == (
        Ineligibility.NOT_LONG_ENOUGH,
    )
    assert eligibility_of(village, resident, date(2026, 10, 1)).eligible
    assert eligibility_of(village, resident).citation.rule_id == "VC25-04"


# ---------------------------------------------------------------- export


def test_export_neutralises_formulas_and_masks_id_numbers(world, staff, cipher):
    import_residents(
        staff,
        world.community,
        csv_bytes(
            person(1, name="=cmd|' /C calc'!A0", household="+A1", phone="+86 13800138000"),
            person(2, name="@SUM(A1)", household="-A2", group="=G"),
        ),
        cipher,
    )
    rows = {r["name"]: r for r in export_rows(staff, world.community, cipher)}
    evil = rows["'=cmd|' /C calc'!A0"]
    assert evil["household"] == "'+A1"
    assert evil["phone"] == "'+86 13800138000"
    assert evil["id_number"] == id_number(1)[:6] + "********" + id_number(1)[-4:]
    assert evil["eligible"] == "yes"
    at = rows["'@SUM(A1)"]
    assert (at["household"], at["group"]) == ("'-A2", "'=G")
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert id_number(1) not in "".join(export_residents(staff, world.community, cipher))


def test_export_reveals_id_numbers_only_when_asked_and_audits_either_way(world, staff, cipher):
    import_residents(staff, world.community, csv_bytes(person(1)), cipher)
    before = len(audit_actions(world.community))
    rows = export_rows(staff, world.community, cipher, reveal=True)
    assert [r["id_number"] for r in rows if r["name"] == "居民1"] == [id_number(1)]
    export_rows(staff, world.community, cipher)
    actions = audit_actions(world.community)[before:]
    assert actions == ["registry:residents:export", "registry:residents:export"]


def test_export_has_the_import_columns_plus_eligible(world, staff, cipher):
    out = "".join(export_residents(staff, world.community, cipher))
    header = next(csv.reader(io.StringIO(out.removeprefix("\ufeff"))))
    assert tuple(header) == EXPORT_HEADER
    assert header[:7] == HEADER.split(",")
    assert header[-1] == "eligible"


def test_exported_register_imports_back_unchanged(world, staff, cipher):
    import_residents(
        staff,
        world.community,
        csv_bytes(*(person(i, phone="13800138000") for i in range(5))),
        cipher,
    )
    out = "".join(export_residents(staff, world.community, cipher, reveal=True))
    # Drop the `eligible` column: the rest is the import format.
    rows = list(csv.reader(io.StringIO(out.removeprefix("\ufeff"), newline="")))
    again = io.StringIO()
    csv.writer(again).writerows(row[:-1] for row in rows)
    result = import_residents(staff, world.community, again.getvalue().encode("utf-8"), cipher)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 7)


def test_export_refuses_before_anything_is_read(world, cipher):
    # The permission check and the audit entry happen when the export is asked for, not when
    # (or if) the caller starts reading it.
    with pytest.raises(NotAllowed):
        export_residents(actor_of(world, "representative"), world.community, cipher)


# ---------------------------------------------------------------- who may do what


def _calls(world: Any, cipher: FieldCipher) -> dict[str, Callable[[Actor], Any]]:
    community = world.community
    resident_id = world.residents["resident"].id
    return {
        "import": lambda a: import_residents(a, community, csv_bytes(person(1)), cipher),
        "search": lambda a: search_residents(a, community),
        "get": lambda a: get_resident(a, community, resident_id),
        "history": lambda a: resident_history(a, community, resident_id),
        "rights": lambda a: record_political_rights(
            a, community, resident_id, is_deprived=True, reason="x"
        ),
        "rights_history": lambda a: political_rights_history(a, community, resident_id),
        "export": lambda a: "".join(export_residents(a, community, cipher)),
        "reveal": lambda a: reveal_id_number(a, community, resident_id, cipher),
    }


STAFF_ONLY = {"import", "rights", "export", "reveal"}
READERS = {"staff", "supervisor", "admin"}  # committee and oversight may read the register


@pytest.mark.parametrize(
    "operation",
    ["import", "search", "get", "history", "rights", "rights_history", "export", "reveal"],
)
@pytest.mark.parametrize(
    "role",
    ["anonymous", "other_resident", "resident", "representative", "supervisor", "staff", "admin"],
)
def test_register_services_allow_only_the_right_roles(world, cipher, operation, role):
    call = _calls(world, cipher)[operation]
    actor = actor_of(world, role, world.other if role == "other_resident" else None)
    allowed = role in {"staff", "admin"} or (role in READERS and operation not in STAFF_ONLY)
    if allowed:
        call(actor)
    elif role == "anonymous":
        with pytest.raises(Unauthenticated):
            call(actor)
    else:
        with pytest.raises(NotAllowed) as raised:
            call(actor)
        assert not isinstance(raised.value, Unauthenticated)


def test_staff_of_one_community_cannot_touch_another(world, cipher):
    staff_elsewhere = actor_for(world.users["staff"], world.other.id)
    assert staff_elsewhere.roles == frozenset()
    own_staff = actor_for(world.users["staff"], world.community.id)
    for call in (
        lambda: search_residents(own_staff, world.other),
        lambda: import_residents(own_staff, world.other, csv_bytes(person(1)), cipher),
        lambda: export_residents(own_staff, world.other, cipher),
        lambda: record_political_rights(
            own_staff,
            world.other,
            world.residents["other_resident"].id,
            is_deprived=True,
            reason="x",
        ),
    ):
        with pytest.raises(NotAllowed):
            call()
    assert residents_of(world.other) == 1


# ---------------------------------------------------------------- communities


def test_only_an_admin_creates_a_community(world, staff):
    with pytest.raises(NotAllowed):
        create_community(staff, "new1", "新社区", "urban")
    community = create_community(actor_of(world, "admin"), "new1", "新社区", "village")
    assert (community.kind, community.rule_set) == ("village", "village-2026")
    assert get_community("new1").id == community.id


@pytest.mark.parametrize(
    ("code", "name", "kind", "field"),
    [
        ("", "名", "urban", "code"),
        ("has space", "名", "urban", "code"),
        ("x" * 41, "名", "urban", "code"),
        ("ok", "", "urban", "name"),
        ("ok", "名", "town", "kind"),
    ],
)
def test_invalid_community_is_refused_field_by_field(world, code, name, kind, field):
    with pytest.raises(Invalid) as raised:
        create_community(actor_of(world, "admin"), code, name, kind)
    assert field in raised.value.details


def test_community_code_is_unique(world):
    with pytest.raises(Conflict):
        create_community(actor_of(world, "admin"), "heping", "重复", "urban")


def test_unknown_community_is_not_found(db_session):
    with pytest.raises(NotFound):
        get_community("nowhere")
