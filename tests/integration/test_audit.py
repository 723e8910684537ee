"""The audit trail: every state change writes exactly one entry, in the same transaction; each
log counts 1, 2, 3 ... without gaps; entries are canonical JSON, hashed, never changed, and never
carry secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import current_app
from sqlalchemy import select

from consult import clock
from consult.accounts.service import (
    create_token,
    create_user,
    grant_role,
    revoke_role,
    revoke_token,
    sign_up,
)
from consult.actor import Actor
from consult.audit.models import PLATFORM_LOG, AuditEntry, log_id_for
from consult.audit.service import SECRET_KEYS, SecretInPayload, record
from consult.crypto.canonical import canonical_json, sha256_hex
from consult.errors import Conflict, Invalid
from consult.extensions import db
from consult.registry.enrolment import (
    actor_for,
    create_resident_account,
    issue_verification_code,
    redeem_verification_code,
    verify_at_desk,
)
from consult.registry.models import Resident
from consult.registry.service import (
    create_community,
    export_residents,
    import_residents,
    record_political_rights,
    reveal_id_number,
)
from consult.rules.idcard import make_id_number
from tests.factories import make_resident

pytestmark = pytest.mark.integration

SECRET_PASSWORD = "s3cret-passw0rd"
ID_NUMBER = make_id_number("110105", date(1980, 1, 1), 1, "M")
PHONE = "13912345678"
CSV = (
    "household,name,birth_date,gender,group,phone,id_number\n"
    f"A1,审计甲,1980-01-01,M,G1,{PHONE},{ID_NUMBER}\n"
).encode()


def all_entries() -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())


@dataclass
class Ctx:
    world: Any
    staff: Actor
    admin: Actor
    secrets: list[str]

    @property
    def cipher(self) -> Any:
        return current_app.extensions["consult.field_cipher"]


def _import(ctx: Ctx) -> Callable[[], Any]:
    return lambda: import_residents(ctx.staff, ctx.world.community, CSV, ctx.cipher)


def _rights(ctx: Ctx) -> Callable[[], Any]:
    resident_id = ctx.world.residents["resident"].id
    return lambda: record_political_rights(
        ctx.staff, ctx.world.community, resident_id, is_deprived=True, reason="判决"
    )


def _grant(ctx: Ctx) -> Callable[[], Any]:
    return lambda: grant_role(ctx.staff, ctx.world.community.id, "resident@example.org", "chair")


def _revoke(ctx: Ctx) -> Callable[[], Any]:
    assignment = grant_role(ctx.staff, ctx.world.community.id, "resident@example.org", "chair")
    return lambda: revoke_role(ctx.staff, ctx.world.community.id, assignment.id)


def _create_token(ctx: Ctx) -> Callable[[], Any]:
    user = ctx.world.users["staff"]

    def run() -> Any:
        row, token = create_token(ctx.staff, user, "laptop")
        ctx.secrets.append(token)
        return row

    return run


def _revoke_token(ctx: Ctx) -> Callable[[], Any]:
    row, token = create_token(ctx.staff, ctx.world.users["staff"])
    ctx.secrets.append(token)
    return lambda: revoke_token(ctx.staff, row.id)


def _issue_code(ctx: Ctx) -> Callable[[], Any]:
    resident_id = ctx.world.residents["resident"].id

    def run() -> Any:
        row, code = issue_verification_code(ctx.staff, ctx.world.community, resident_id)
        ctx.secrets.append(code)
        return row

    return run


def _redeem_code(ctx: Ctx) -> Callable[[], Any]:
    resident = make_resident(ctx.world.community, name="待核实", household="H099")
    _, code = issue_verification_code(ctx.staff, ctx.world.community, resident.id)
    ctx.secrets.append(code)
    user = sign_up("newcomer@example.org", SECRET_PASSWORD)
    return lambda: redeem_verification_code(actor_for(user, None), code)


def _resident_account(ctx: Ctx) -> Callable[[], Any]:
    resident = make_resident(ctx.world.community, name="开户人", household="H098")
    return lambda: create_resident_account(
        ctx.staff, ctx.world.community, resident.id, "desk@example.org", SECRET_PASSWORD
    )


def _verify_at_desk(ctx: Ctx) -> Callable[[], Any]:
    resident = make_resident(ctx.world.community, name="到窗口", household="H097")
    user = sign_up("walkin@example.org", SECRET_PASSWORD)
    return lambda: verify_at_desk(ctx.staff, ctx.world.community, user.id, resident.id)


def _create_user(ctx: Ctx) -> Callable[[], Any]:
    return lambda: create_user(ctx.admin, "fresh@example.org", SECRET_PASSWORD)


def _sign_up(ctx: Ctx) -> Callable[[], Any]:
    return lambda: sign_up("self@example.org", SECRET_PASSWORD)


def _create_community(ctx: Ctx) -> Callable[[], Any]:
    return lambda: create_community(ctx.admin, "audited", "审计社区", "village")


def _export(ctx: Ctx) -> Callable[[], Any]:
    import_residents(ctx.staff, ctx.world.community, CSV, ctx.cipher)
    return lambda: "".join(export_residents(ctx.staff, ctx.world.community, ctx.cipher))


def _reveal(ctx: Ctx) -> Callable[[], Any]:
    import_residents(ctx.staff, ctx.world.community, CSV, ctx.cipher)
    target = db.session.execute(select(Resident).where(Resident.name == "审计甲")).scalar_one()
    return lambda: reveal_id_number(ctx.staff, ctx.world.community, target.id, ctx.cipher)


#: service -> (set-up returning the call, the action recorded, the log it goes to)
SERVICES: dict[str, tuple[Callable[[Ctx], Callable[[], Any]], str, str]] = {
    "create_community": (_create_community, "communities:community:create", "new"),
    "import_residents": (_import, "registry:residents:import", "community"),
    "record_political_rights": (_rights, "registry:residents:edit", "community"),
    "grant_role": (_grant, "accounts:roles:grant", "community"),
    "revoke_role": (_revoke, "accounts:roles:revoke", "community"),
    "create_token": (_create_token, "accounts:tokens:create", "platform"),
    "revoke_token": (_revoke_token, "accounts:tokens:revoke", "platform"),
    "issue_verification_code": (_issue_code, "accounts:codes:issue", "community"),
    "redeem_verification_code": (_redeem_code, "accounts:residents:verify", "community"),
    "create_resident_account": (_resident_account, "accounts:residents:verify", "community"),
    "verify_at_desk": (_verify_at_desk, "accounts:residents:verify", "community"),
    "create_user": (_create_user, "accounts:user:create", "platform"),
    "sign_up": (_sign_up, "accounts:user:create", "platform"),
    # Not state changes of the register, but looks at secrets: audited all the same.
    "export_residents": (_export, "registry:residents:export", "community"),
    "reveal_id_number": (_reveal, "registry:residents:reveal", "community"),
}


@pytest.fixture
def ctx(world: Any) -> Ctx:
    return Ctx(
        world=world,
        staff=actor_for(world.users["staff"], world.community.id),
        admin=actor_for(world.users["admin"], None),
        secrets=[SECRET_PASSWORD, ID_NUMBER, PHONE],
    )


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_state_changing_service_writes_exactly_one_audit_entry(ctx, service):
    set_up, action, log = SERVICES[service]
    call = set_up(ctx)
    before = {e.id for e in all_entries()}
    clock.advance(timedelta(seconds=1))
    call()
    new = [e for e in all_entries() if e.id not in before]
    assert len(new) == 1, [e.action for e in new]
    entry = new[0]
    assert entry.action == action
    if log == "platform":
        assert (entry.log_id, entry.community_id) == (PLATFORM_LOG, None)
    elif log == "community":
        assert entry.community_id == ctx.world.community.id
        assert entry.log_id == f"community:{ctx.world.community.id}"
    else:
        assert entry.log_id == log_id_for(entry.community_id)
        assert entry.community_id not in (None, ctx.world.community.id)
    if service != "sign_up":
        assert entry.actor_user_id is not None
    for secret in ctx.secrets:
        assert secret not in entry.leaf
        assert secret not in entry.payload


@pytest.mark.parametrize("service", ["import_residents", "grant_role", "create_user"])
def test_a_refused_change_writes_no_entry(ctx, service):
    set_up, _, _ = SERVICES[service]
    set_up(ctx)()  # the second time is refused: a conflict, or a bad file
    before = len(all_entries())
    if service == "import_residents":
        call = lambda: import_residents(  # noqa: E731
            ctx.staff, ctx.world.community, b"not,a,register\n", ctx.cipher
        )
    else:
        call = set_up(ctx)
    with pytest.raises((Conflict, Invalid)):
        call()
    assert len(all_entries()) == before


def test_each_log_counts_from_one_without_gaps(ctx):
    world = ctx.world
    for n in range(3):
        assignment = grant_role(ctx.staff, world.community.id, "resident@example.org", "chair")
        revoke_role(ctx.staff, world.community.id, assignment.id)
        other = create_community(ctx.admin, f"seq{n}", "序号社区", "urban")
        grant_role(ctx.admin, other.id, "resident@example.org", "recorder")
        create_user(ctx.admin, f"u{n}@example.org", SECRET_PASSWORD)
    by_log: dict[str, list[int]] = {}
    for entry in all_entries():
        by_log.setdefault(entry.log_id, []).append(entry.seq)
    assert len(by_log) >= 5  # the world's two communities, three new ones, the platform
    for log, seqs in by_log.items():
        assert seqs == list(range(1, len(seqs) + 1)), log
    assert len(by_log[f"community:{world.community.id}"]) >= 7


def test_leaf_is_canonical_json_of_the_whole_entry_and_leaf_hash_its_sha256(ctx):
    _import(ctx)()
    _rights(ctx)()
    _create_token(ctx)()
    entries = all_entries()
    assert entries
    for entry in entries:
        doc = json.loads(entry.leaf)
        assert canonical_json(doc) == entry.leaf
        assert entry.leaf_hash == sha256_hex(entry.leaf.encode("utf-8"))
        assert entry.as_dict() == doc
        assert doc["log"] == entry.log_id
        assert doc["seq"] == entry.seq
        assert doc["action"] == entry.action
        assert doc["object"] == {"type": entry.object_type, "id": entry.object_id}
        assert doc["actor"] == {"user_id": entry.actor_user_id, "label": entry.actor_label}
        assert canonical_json(doc["payload"]) == entry.payload
        assert doc["at"].endswith("Z")
        assert doc["at"].replace("Z", "+00:00") == entry.occurred_at.isoformat()


def test_leaf_keeps_chinese_text_as_utf8(ctx):
    _rights(ctx)()
    entry = all_entries()[-1]
    assert "判决" in entry.leaf
    assert "\\u" not in entry.leaf


def test_entry_cannot_be_updated_through_the_orm(ctx):
    _grant(ctx)()
    entry = all_entries()[-1]
    entry.action = "accounts:roles:nothing-happened"
    with pytest.raises(Conflict, match="never updated"):
        db.session.flush()


def test_entry_cannot_be_deleted_through_the_orm(ctx):
    _grant(ctx)()
    entry = all_entries()[-1]
    db.session.delete(entry)
    with pytest.raises(Conflict, match="never deleted"):
        db.session.flush()


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
def test_record_refuses_a_payload_carrying_a_secret(ctx, key):
    before = len(all_entries())
    with pytest.raises(SecretInPayload, match=key):
        record(ctx.staff, "test:thing:do", "thing", 1, community_id=None, payload={key: "x"})
    assert len(all_entries()) == before


@pytest.mark.parametrize(
    "payload",
    [
        {"user": {"password": "x"}},
        {"items": [{"ok": 1}, {"token": "x"}]},
        {"a": {"b": [{"c": {"passphrase": "x"}}]}},
    ],
)
def test_record_refuses_secrets_nested_anywhere(ctx, payload):
    with pytest.raises(SecretInPayload):
        record(ctx.staff, "test:thing:do", "thing", 1, community_id=None, payload=payload)


def test_record_writes_the_actor_and_object(ctx):
    entry = record(
        ctx.staff,
        "test:thing:do",
        "thing",
        42,
        community_id=ctx.world.community.id,
        payload={"note": "平安"},
    )
    assert (entry.actor_user_id, entry.actor_label) == (ctx.staff.user_id, "staff@example.org")
    assert (entry.object_type, entry.object_id) == ("thing", "42")
    assert entry.payload == '{"note":"平安"}'


def test_system_actor_is_recorded_by_its_label(ctx):
    entry = record(Actor.system("demo"), "test:thing:do", "thing", 1, community_id=None)
    assert (entry.actor_user_id, entry.actor_label) == (None, "demo")
    assert entry.payload == "{}"
