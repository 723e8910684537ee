"""Load the demo through the real services, as a clerk would: create the communities, import the
register file, create the accounts and grant the roles. Idempotent: whatever exists is left alone.

The caller commits (`consult demo` does, through command_transaction).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from consult.accounts.models import User
from consult.accounts.service import create_user, find_user, grant_role, role_holders
from consult.actor import Actor
from consult.crypto.fields import FieldCipher
from consult.demo.disclosures import ensure_disclosures
from consult.demo.meetings import ensure_meetings
from consult.demo.people import to_csv
from consult.demo.plans import ADMIN, AccountPlan, CommunityPlan, heping, shiqiao
from consult.documents import service as documents
from consult.errors import NotFound
from consult.extensions import db
from consult.registry.enrolment import create_resident_account
from consult.registry.models import Community, Household, ImportBatch, Resident, ResidentGroup
from consult.registry.service import (
    create_community,
    get_community,
    get_resident,
    import_residents,
    record_political_rights,
)
from consult.voting.models import Vote

#: The password of every demo account (printed by `consult demo`; never use it for real data).
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo password


def load_demo(cipher: FieldCipher | None = None) -> dict[str, Any]:
    """Create (or find) the demo communities and accounts; return what to print."""
    cipher = cipher or current_app.extensions["consult.field_cipher"]
    actor = Actor.system("demo")
    plans = [heping(), shiqiao()]
    logins = [_login(_ensure_account(actor, None, ADMIN, cipher), ADMIN, None)]
    summaries = []
    meetings: list[dict[str, Any]] = []
    disclosure: dict[str, Any] = {}
    for plan in plans:
        community = _ensure_community(actor, plan)
        _ensure_register(actor, community, plan, cipher)
        for account in plan.accounts:
            user = _ensure_account(actor, community, account, cipher)
            logins.append(_login(user, account, community))
        if plan.deprived is not None:
            person, reason = plan.deprived
            resident = get_resident(actor, community, _resident_id(community, person, cipher))
            if not resident.is_deprived_of_political_rights:
                record_political_rights(
                    actor, community, resident.id, is_deprived=True, reason=reason
                )
        summaries.append(_summary(community))
        if plan.code == "heping":
            reps = [
                _resident_id(community, a.resident, cipher)
                for a in plan.accounts
                if a.role == "representative" and a.resident is not None
            ]
            meetings = ensure_meetings(actor, community, reps, cipher)
            disclosure = ensure_disclosures(community)
    first = plans[0]
    return {
        "community": {"code": first.code, "name": first.name},
        "communities": summaries,
        "password": DEMO_PASSWORD,
        "logins": logins,
        "meetings": meetings,
        "notice_board": f"/c/{first.code}/notice-board",
        "disclosures": disclosure,
        "village_disclosures_due": f"/c/{plans[1].code}/disclosures/due",
        "open_votes": [
            {"title": v.title, "ballot": f"/votes/{v.id}/ballot", "result": f"/votes/{v.id}"}
            for v in db.session.execute(
                select(Vote)
                .where(Vote.meeting_id.is_(None), Vote.state == "open")
                .order_by(Vote.id)
            ).scalars()
        ],
    }


def _ensure_community(actor: Actor, plan: CommunityPlan) -> Community:
    try:
        return get_community(plan.code)
    except NotFound:
        community = create_community(actor, plan.code, plan.name, plan.kind)
        documents.authority(actor, community, current_app.extensions["consult.field_cipher"])
        return community


def _ensure_register(
    actor: Actor, community: Community, plan: CommunityPlan, cipher: FieldCipher
) -> None:
    """Import the register file unless this very file was imported already.

    A second import of the same file would change no resident either, but it would add an
    import batch and an audit entry; the demo is meant to change nothing the second time.
    """
    data = to_csv(plan.people)
    digest = hashlib.sha256(data).hexdigest()
    done = db.session.execute(
        select(ImportBatch.id).where(
            ImportBatch.community_id == community.id, ImportBatch.file_sha256 == digest
        )
    ).first()
    if done is None:
        import_residents(actor, community, data, cipher)


def _resident_id(community: Community, person: Any, cipher: FieldCipher) -> int:
    index = cipher.blind_index(person.id_number, "id_number")
    resident_id = db.session.execute(
        select(Resident.id).where(
            Resident.community_id == community.id, Resident.id_number_index == index
        )
    ).scalar_one_or_none()
    if resident_id is None:
        raise NotFound(f"the demo resident {person.name} is not on the register")
    return resident_id


def _ensure_account(
    actor: Actor, community: Community | None, plan: AccountPlan, cipher: FieldCipher
) -> User:
    user = find_user(plan.email)
    if user is None:
        if plan.resident is not None and community is not None:
            resident_id = _resident_id(community, plan.resident, cipher)
            user = create_resident_account(actor, community, resident_id, plan.email, DEMO_PASSWORD)
        else:
            user = create_user(
                actor,
                plan.email,
                DEMO_PASSWORD,
                display_name=plan.display_name,
                is_admin=plan.is_admin,
            )
    if community is not None and plan.roles:
        held = {a.role for a, u in role_holders(actor, community.id) if u.id == user.id}
        for role in plan.roles:
            if role not in held:
                grant_role(actor, community.id, user.email, role)
    return user


def _login(user: User, plan: AccountPlan, community: Community | None) -> dict[str, Any]:
    return {
        "role": plan.role,
        "roles": list(plan.roles) or [plan.role],
        "email": user.email,
        "password": DEMO_PASSWORD,
        "community": community.code if community is not None else None,
        "name": user.display_name,
    }


def _summary(community: Community) -> dict[str, Any]:
    def count(model: Any) -> int:
        return db.session.execute(
            select(func.count(model.id)).where(model.community_id == community.id)
        ).scalar_one()

    return {
        "code": community.code,
        "name": community.name,
        "kind": community.kind,
        "residents": count(Resident),
        "households": count(Household),
        "groups": count(ResidentGroup),
    }
