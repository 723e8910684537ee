"""Register use cases: communities, import, search, export, history, political rights."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, func, insert, or_, select, update

from consult import clock
from consult.accounts.policy import require
from consult.actor import Actor
from consult.audit.service import record
from consult.crypto.canonical import canonical_json
from consult.crypto.fields import FieldCipher, mask
from consult.db import insert_rows
from consult.errors import Conflict, Invalid, NotFound
from consult.extensions import db
from consult.registry.csvio import LineError, ResidentRow, decode, parse_residents, write_csv
from consult.registry.models import (
    DEFAULT_RULE_SET,
    RULE_SETS,
    Community,
    Household,
    ImportBatch,
    PoliticalRightsRecord,
    Resident,
    ResidentGroup,
    ResidentVersion,
)
from consult.rules.eligibility import CommunityKind, Eligibility, Registration, eligibility

# ---------------------------------------------------------------- communities


def create_community(
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    *,
    timezone: str = "Asia/Shanghai",
    rule_set: str | None = None,
) -> Community:
    """A new tenant. Platform administrators only."""
    require(actor, "communities:community:create")
    details: dict[str, str] = {}
    code = (code or "").strip()
    name = (name or "").strip()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
        details["code"] = "1 to 40 letters, digits, - or _"
    if not name or len(name) > 200:
        details["name"] = "1 to 200 characters"
    try:
        community_kind = CommunityKind(kind)
    except ValueError:
        details["kind"] = "urban or village"
        community_kind = CommunityKind.URBAN
    chosen = rule_set or DEFAULT_RULE_SET[community_kind]
    if chosen not in RULE_SETS:
        details["rule_set"] = "one of " + ", ".join(RULE_SETS)
    if details:
        raise Invalid("the community is not valid", details=details)
    if db.session.execute(select(Community.id).where(Community.code == code)).scalar():
        raise Conflict("a community with this code already exists", details={"code": code})
    community = Community(
        code=code,
        name=name,
        kind=community_kind.value,
        timezone=timezone,
        rule_set=chosen,
        created_at=clock.now(),
    )
    db.session.add(community)
    db.session.flush()
    record(
        actor,
        "communities:community:create",
        "community",
        community.id,
        community_id=community.id,
        payload={"code": code, "name": name, "kind": community_kind.value, "rule_set": chosen},
    )
    return community


def get_community(code: str) -> Community:
    community = db.session.execute(
        select(Community).where(Community.code == code)
    ).scalar_one_or_none()
    if community is None:
        raise NotFound("no such community")
    return community


def list_communities() -> list[Community]:
    return list(db.session.execute(select(Community).order_by(Community.code)).scalars())


# ---------------------------------------------------------------- import


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    batch_id: int | None = None


def _fields_of(row: ResidentRow, household_id: int, group_id: int) -> dict[str, Any]:
    return {
        "household_id": household_id,
        "group_id": group_id,
        "name": row.name,
        "birth_date": row.birth_date,
        "gender": row.gender,
        "registration": row.registration.value,
        "registered_since": row.registered_since,
    }


def _snapshot(values: dict[str, Any], household: str, group: str, id_masked: str | None) -> str:
    return canonical_json(
        {
            "name": values["name"],
            "household": household,
            "group": group,
            "birth_date": values["birth_date"].isoformat(),
            "gender": values["gender"],
            "registration": values["registration"],
            "registered_since": values["registered_since"].isoformat()
            if values["registered_since"]
            else None,
            "id_number": id_masked,
            "is_deprived_of_political_rights": values.get("is_deprived_of_political_rights", False),
        }
    )


def _ensure_codes(
    model: Any, community_id: int, codes: set[str], extra: dict[str, Any] | None = None
) -> dict[str, int]:
    def current() -> dict[str, int]:
        # Rows unpack as tuples (Result.tuples() is deprecated in SQLAlchemy 2.1).
        rows = db.session.execute(
            select(model.code, model.id).where(model.community_id == community_id)
        )
        return dict(rows.all())

    existing = current()
    missing = sorted(codes - existing.keys())
    if missing:
        db.session.execute(
            insert(model),
            [
                {
                    "community_id": community_id,
                    "code": c,
                    **(extra or {}),
                    **({"name": c} if model is ResidentGroup else {}),
                }
                for c in missing
            ],
        )
        existing = current()
    return existing


#: New residents are inserted this many at a time (memory stays flat for a large register).
_INSERT_CHUNK = 5000
# The tables themselves, for Core inserts in import_residents.
_RESIDENTS = cast(Table, Resident.__table__)
_RESIDENT_VERSIONS = cast(Table, ResidentVersion.__table__)


def import_residents(
    actor: Actor, community: Community, data: bytes, cipher: FieldCipher
) -> ImportResult:
    """Import a register file as a whole: every line valid, or nothing changes.

    A line is matched to a resident by ID number, or (without one) by name within the household.
    An identical line changes nothing; a changed line updates the resident and adds a version.
    """
    require(actor, "registry:residents:import", community.id)
    text, errors = decode(data)
    rows: list[ResidentRow] = []
    if text is not None:
        rows, errors = parse_residents(text, clock.today())
    if not errors:
        errors = _duplicates(rows, cipher)
    if errors:
        raise Invalid(
            f"{len(errors)} line(s) are wrong; nothing was imported",
            details=[e.as_dict() for e in errors[:1000]],
        )

    households = _ensure_codes(Household, community.id, {r.household for r in rows})
    groups = _ensure_codes(ResidentGroup, community.id, {r.group for r in rows})
    existing = _existing_residents(community.id)
    by_index = {r["id_number_index"]: r for r in existing if r["id_number_index"]}
    by_name: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for r in existing:
        by_name.setdefault((r["household_id"], r["name"]), []).append(r)

    now = clock.now()
    result = ImportResult()
    to_create: list[tuple[ResidentRow, dict[str, Any]]] = []
    updates: list[tuple[dict[str, Any], ResidentRow, dict[str, Any]]] = []
    match_errors: list[LineError] = []
    claimed: dict[int, int] = {}  # resident id -> the line that matched it
    for row in rows:
        hh_id, grp_id = households[row.household], groups[row.group]
        values = _fields_of(row, hh_id, grp_id)
        index = cipher.blind_index(row.id_number, "id_number") if row.id_number else None
        values["id_number_index"] = index
        current = by_index.get(index) if index else None
        if current is None:
            candidates = [
                c
                for c in by_name.get((hh_id, row.name), [])
                if index is None or c["id_number_index"] is None
            ]
            if len(candidates) > 1:
                match_errors.append(
                    LineError(
                        row.line,
                        "several residents of this household have this name; "
                        "add their ID numbers to tell them apart",
                    )
                )
                continue
            current = candidates[0] if candidates else None
        if current is not None:
            # Two lines (one with the ID number, one by name) may name one resident.
            if current["id"] in claimed:
                match_errors.append(
                    LineError(row.line, f"the same resident as line {claimed[current['id']]}")
                )
                continue
            claimed[current["id"]] = row.line
        if current is None:
            to_create.append((row, values))
        elif _changed(current, values, row, cipher):
            updates.append((current, row, values))
        else:
            result.unchanged += 1
    if match_errors:
        raise Invalid(
            f"{len(match_errors)} line(s) are wrong; nothing was imported",
            details=[e.as_dict() for e in match_errors],
        )

    code_of_household = {v: k for k, v in households.items()}
    code_of_group = {v: k for k, v in groups.items()}
    # In chunks, so that only one chunk's encrypted fields and snapshots are in memory at once.
    floor = max((r["id"] for r in existing), default=0)
    for start in range(0, len(to_create), _INSERT_CHUNK):
        params = [
            {
                **values,
                "community_id": community.id,
                "phone_encrypted": cipher.encrypt(row.phone, "phone") if row.phone else None,
                "id_number_encrypted": cipher.encrypt(row.id_number, "id_number")
                if row.id_number
                else None,
                "id_number_masked": mask(row.id_number, 6, 4) if row.id_number else None,
                "is_deprived_of_political_rights": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for row, values in to_create[start : start + _INSERT_CHUNK]
        ]
        new_ids = _insert_residents(community.id, params, floor)
        floor = max(new_ids)
        insert_rows(
            db.session,
            _RESIDENT_VERSIONS,
            [
                {
                    "resident_id": rid,
                    "version": 1,
                    "recorded_at": now,
                    "recorded_by": actor.user_id,
                    "source": "import",
                    "snapshot": _snapshot(
                        p,
                        code_of_household[p["household_id"]],
                        code_of_group[p["group_id"]],
                        p["id_number_masked"],
                    ),
                    "id_number_encrypted": p["id_number_encrypted"],
                }
                for rid, p in zip(new_ids, params, strict=True)
            ],
        )
        result.created += len(new_ids)
    for current, row, values in updates:
        _apply_update(
            actor,
            current,
            row,
            values,
            cipher,
            now,
            code_of_household[values["household_id"]],
            code_of_group[values["group_id"]],
        )
    result.updated = len(updates)

    batch = ImportBatch(
        community_id=community.id,
        file_sha256=hashlib.sha256(data).hexdigest(),
        rows=len(rows),
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        imported_by=actor.user_id,
        imported_at=now,
    )
    db.session.add(batch)
    db.session.flush()
    result.batch_id = batch.id
    record(
        actor,
        "registry:residents:import",
        "import_batch",
        batch.id,
        community_id=community.id,
        payload={
            "file_sha256": batch.file_sha256,
            "rows": len(rows),
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    return result


def _new_resident_key(index: str | None, household_id: int, name: str) -> tuple[Any, ...]:
    return ("id", index) if index else ("name", household_id, name)


def _insert_residents(community_id: int, params: list[dict[str, Any]], floor: int) -> list[int]:
    """Insert new residents (all with ids above `floor`); return their ids in `params` order.

    A bulk insert (COPY on PostgreSQL: consult.db.insert_rows) and a read-back by key rather than
    INSERT ... RETURNING: with RETURNING,
    SQLAlchemy sends multi-row VALUES statements that psycopg re-parses placeholder by placeholder
    (100,000 residents: 15 s on PostgreSQL), and the ORM's bulk path splices the RETURNING rows
    quadratically. A new resident is found by its ID number's index or, without one, by household
    and name: import_residents has made sure that both are unique among the new residents.
    """
    insert_rows(db.session, _RESIDENTS, params)
    found: dict[tuple[Any, ...], int] = {}
    rows = db.session.execute(
        select(Resident.id, Resident.id_number_index, Resident.household_id, Resident.name).where(
            Resident.community_id == community_id, Resident.id > floor
        )
    )
    for resident_id, index, household_id, name in rows:
        key = _new_resident_key(index, household_id, name)
        if key in found:  # another import into this community committed meanwhile
            raise Conflict("the register changed while importing; try again")
        found[key] = resident_id
    try:
        return [
            found[_new_resident_key(p["id_number_index"], p["household_id"], p["name"])]
            for p in params
        ]
    except KeyError:
        raise Conflict("the register changed while importing; try again") from None


def _duplicates(rows: list[ResidentRow], cipher: FieldCipher) -> list[LineError]:
    seen: dict[tuple[str, ...], int] = {}
    # Names in a household that some line gives with an ID number.
    named = {(r.household, r.name) for r in rows if r.id_number}
    errors = []
    for row in rows:
        key = ("id", row.id_number) if row.id_number else ("name", row.household, row.name)
        if key in seen:
            errors.append(LineError(row.line, f"the same resident as line {seen[key]}"))
            continue
        seen[key] = row.line
        if not row.id_number and (row.household, row.name) in named:
            # Matched by name alone, this line could not be told apart from the line with the
            # ID number on the next import (which must change nothing).
            errors.append(
                LineError(
                    row.line,
                    "several residents of this household have this name; "
                    "add their ID numbers to tell them apart",
                )
            )
    return errors


def _existing_residents(community_id: int) -> list[dict[str, Any]]:
    cols = (
        Resident.id,
        Resident.household_id,
        Resident.group_id,
        Resident.name,
        Resident.birth_date,
        Resident.gender,
        Resident.registration,
        Resident.registered_since,
        Resident.id_number_index,
        Resident.phone_encrypted,
        Resident.version,
        Resident.is_deprived_of_political_rights,
    )
    result = db.session.execute(select(*cols).where(Resident.community_id == community_id))
    return [dict(r._mapping) for r in result]


_COMPARED = (
    "household_id",
    "group_id",
    "name",
    "birth_date",
    "gender",
    "registration",
    "registered_since",
)


def _changed(
    current: dict[str, Any], values: dict[str, Any], row: ResidentRow, cipher: FieldCipher
) -> bool:
    if any(current[k] != values[k] for k in _COMPARED):
        return True
    if row.id_number and current["id_number_index"] != values["id_number_index"]:
        return True
    old_phone = (
        cipher.decrypt(current["phone_encrypted"], "phone") if current["phone_encrypted"] else None
    )
    return old_phone != row.phone


def _apply_update(
    actor: Actor,
    current: dict[str, Any],
    row: ResidentRow,
    values: dict[str, Any],
    cipher: FieldCipher,
    now: Any,
    household: str,
    group: str,
) -> None:
    new_version = current["version"] + 1
    changes: dict[str, Any] = {k: values[k] for k in _COMPARED}
    changes["phone_encrypted"] = cipher.encrypt(row.phone, "phone") if row.phone else None
    if row.id_number:
        changes["id_number_encrypted"] = cipher.encrypt(row.id_number, "id_number")
        changes["id_number_index"] = values["id_number_index"]
        changes["id_number_masked"] = mask(row.id_number, 6, 4)
    changes["version"] = new_version
    changes["updated_at"] = now
    # Optimistic concurrency: the version we read must still be current.
    done = db.session.execute(
        update(Resident)
        .where(Resident.id == current["id"], Resident.version == current["version"])
        .values(**changes)
        .returning(Resident.id)
    ).all()
    if len(done) != 1:
        raise Conflict("the register changed while importing; try again")
    resident = db.session.get(Resident, current["id"])
    assert resident is not None
    db.session.refresh(resident)
    db.session.add(
        ResidentVersion(
            resident_id=resident.id,
            version=new_version,
            recorded_at=now,
            recorded_by=actor.user_id,
            source="import",
            snapshot=_snapshot(_values_of(resident), household, group, resident.id_number_masked),
            id_number_encrypted=resident.id_number_encrypted,
        )
    )


def _values_of(resident: Resident) -> dict[str, Any]:
    return {
        "name": resident.name,
        "birth_date": resident.birth_date,
        "gender": resident.gender,
        "registration": resident.registration,
        "registered_since": resident.registered_since,
        "is_deprived_of_political_rights": resident.is_deprived_of_political_rights,
    }


# ---------------------------------------------------------------- reading the register


@dataclass(frozen=True)
class Page:
    items: list[Resident]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _search_filter(community_id: int, query: str | None, group: str | None) -> list[Any]:
    conditions: list[Any] = [Resident.community_id == community_id]
    if query:
        # autoescape: % and _ in a search are the characters themselves, not wildcards.
        conditions.append(
            or_(
                Resident.name.contains(query, autoescape=True),
                Resident.household.has(Household.code.contains(query, autoescape=True)),
            )
        )
    if group:
        conditions.append(Resident.group.has(ResidentGroup.code == group))
    return conditions


def search_residents(
    actor: Actor,
    community: Community,
    *,
    query: str | None = None,
    group: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """A page of the register, by name or household (substring) and group."""
    require(actor, "registry:residents:read", community.id)
    page = max(1, page)
    per_page = min(max(1, per_page), 500)
    conditions = _search_filter(community.id, (query or "").strip() or None, group or None)
    total = db.session.execute(select(func.count(Resident.id)).where(*conditions)).scalar_one()
    items = list(
        db.session.execute(
            select(Resident)
            .where(*conditions)
            .order_by(Resident.household_id, Resident.birth_date, Resident.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).scalars()
    )
    return Page(items, page, per_page, total)


def get_resident(actor: Actor, community: Community, resident_id: int) -> Resident:
    require(actor, "registry:residents:read", community.id)
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.community_id != community.id:
        raise NotFound("no such resident in this community")
    return resident


def resident_history(
    actor: Actor, community: Community, resident_id: int
) -> list[tuple[ResidentVersion, dict[str, Any]]]:
    resident = get_resident(actor, community, resident_id)
    versions = db.session.execute(
        select(ResidentVersion)
        .where(ResidentVersion.resident_id == resident.id)
        .order_by(ResidentVersion.version.desc())
    ).scalars()
    return [(v, json.loads(v.snapshot)) for v in versions]


def political_rights_history(
    actor: Actor, community: Community, resident_id: int
) -> list[PoliticalRightsRecord]:
    resident = get_resident(actor, community, resident_id)
    return list(
        db.session.execute(
            select(PoliticalRightsRecord)
            .where(PoliticalRightsRecord.resident_id == resident.id)
            .order_by(PoliticalRightsRecord.id.desc())
        ).scalars()
    )


def groups_of(community: Community) -> list[ResidentGroup]:
    return list(
        db.session.execute(
            select(ResidentGroup)
            .where(ResidentGroup.community_id == community.id)
            .order_by(ResidentGroup.code)
        ).scalars()
    )


def eligibility_of(community: Community, resident: Resident, on: date | None = None) -> Eligibility:
    """Computed, never stored: URC25-08 / VC25-04."""
    return eligibility(
        kind=community.community_kind,
        birth_date=resident.birth_date,
        on=on or clock.today(),
        is_deprived_of_political_rights=resident.is_deprived_of_political_rights,
        registration=Registration(resident.registration),
        registered_since=resident.registered_since,
    )


def reveal_id_number(
    actor: Actor, community: Community, resident_id: int, cipher: FieldCipher
) -> str | None:
    """Staff may see a full ID number when they need it; each look is audited."""
    require(actor, "registry:residents:edit", community.id)
    resident = get_resident(actor, community, resident_id)
    if not resident.id_number_encrypted:
        return None
    record(
        actor,
        "registry:residents:reveal",
        "resident",
        resident.id,
        community_id=community.id,
        payload={"field": "id_number_value"},
    )
    return cipher.decrypt(resident.id_number_encrypted, "id_number")


# ---------------------------------------------------------------- changes by staff


def record_political_rights(
    actor: Actor, community: Community, resident_id: int, *, is_deprived: bool, reason: str
) -> PoliticalRightsRecord:
    """Staff record that a resident is deprived of political rights (or no longer is), with why."""
    require(actor, "registry:residents:edit", community.id)
    resident = get_resident(actor, community, resident_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("a reason is required", details={"reason": "required"})
    if len(reason) > 2000:
        raise Invalid("the reason is too long", details={"reason": "at most 2000 characters"})
    if resident.is_deprived_of_political_rights == is_deprived:
        raise Conflict("the register already says this")
    now = clock.now()
    entry = PoliticalRightsRecord(
        resident_id=resident.id,
        is_deprived=is_deprived,
        reason=reason,
        recorded_by=actor.user_id,
        recorded_at=now,
    )
    db.session.add(entry)
    resident.is_deprived_of_political_rights = is_deprived
    resident.version += 1
    resident.updated_at = now
    db.session.add(
        ResidentVersion(
            resident_id=resident.id,
            version=resident.version,
            recorded_at=now,
            recorded_by=actor.user_id,
            source="political_rights",
            snapshot=_snapshot(
                _values_of(resident),
                resident.household.code,
                resident.group.code,
                resident.id_number_masked,
            ),
            id_number_encrypted=resident.id_number_encrypted,
        )
    )
    db.session.flush()
    record(
        actor,
        "registry:residents:edit",
        "resident",
        resident.id,
        community_id=community.id,
        payload={"is_deprived_of_political_rights": is_deprived, "reason": reason},
    )
    return entry


# ---------------------------------------------------------------- export

EXPORT_HEADER = (
    "household",
    "name",
    "birth_date",
    "gender",
    "group",
    "phone",
    "id_number",
    "registration",
    "registered_since",
    "eligible",
)


def export_residents(
    actor: Actor, community: Community, cipher: FieldCipher, *, reveal: bool = False
) -> Iterator[str]:
    """The register as CSV (the import format plus `eligible`), formula injection neutralised.

    ID numbers are masked unless `reveal` is asked for; either way the export is audited.
    The permission check, the audit entry and the reading all happen in this call, inside the
    caller's transaction, not when (or if) the caller iterates the result.
    """
    require(actor, "registry:residents:export", community.id)
    record(
        actor,
        "registry:residents:export",
        "community",
        community.id,
        community_id=community.id,
        payload={"id_numbers": "full" if reveal else "masked"},
    )
    today = clock.today()

    def rows() -> Iterator[list[object]]:
        result = db.session.execute(
            select(Resident)
            .where(Resident.community_id == community.id)
            .order_by(Resident.household_id, Resident.id)
            .execution_options(yield_per=2000)
        ).scalars()
        for r in result:
            if reveal and r.id_number_encrypted:
                id_number = cipher.decrypt(r.id_number_encrypted, "id_number")
            else:
                id_number = r.id_number_masked or ""
            phone = cipher.decrypt(r.phone_encrypted, "phone") if r.phone_encrypted else ""
            yield [
                r.household.code,
                r.name,
                r.birth_date.isoformat(),
                r.gender,
                r.group.code,
                phone,
                id_number,
                r.registration,
                r.registered_since.isoformat() if r.registered_since else "",
                "yes" if eligibility_of(community, r, today).eligible else "no",
            ]

    return iter([write_csv(EXPORT_HEADER, rows())])
