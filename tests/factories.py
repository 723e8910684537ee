"""Typed builders for tests: communities, residents, users with roles. They flush, never commit."""

from __future__ import annotations

import functools
import itertools
from datetime import date, datetime, timedelta

from flask import current_app

from consult.accounts.models import RoleAssignment, User
from consult.accounts.service import hash_password
from consult.actor import Actor
from consult.extensions import db
from consult.meetings.models import Body, Meeting
from consult.registry.models import Community, Household, Resident, ResidentGroup
from consult.rules.idcard import make_id_number

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@functools.cache
def _password_hash(password: str) -> str:
    """Argon2 is slow on purpose; tests hash each distinct password once."""
    return hash_password(password)


def make_community(
    code: str | None = None, *, name: str | None = None, kind: str = "urban"
) -> Community:
    from consult.registry.service import create_community

    n = next(_seq)
    code = code or f"c{n}"
    return create_community(Actor.system("tests"), code, name or f"测试社区{n}", kind)


def make_resident(
    community: Community,
    *,
    name: str | None = None,
    household: str = "H1",
    group: str = "G1",
    birth_date: date = date(1970, 1, 1),
    gender: str = "M",
    registration: str = "household_register",
    with_id_number: bool = False,
) -> Resident:
    cipher = current_app.extensions["consult.field_cipher"]
    hh = db.session.query(Household).filter_by(community_id=community.id, code=household).first()
    if hh is None:
        hh = Household(community_id=community.id, code=household)
        db.session.add(hh)
    grp = db.session.query(ResidentGroup).filter_by(community_id=community.id, code=group).first()
    if grp is None:
        grp = ResidentGroup(community_id=community.id, code=group, name=group)
        db.session.add(grp)
    db.session.flush()
    n = next(_seq)
    resident = Resident(
        community_id=community.id,
        household_id=hh.id,
        group_id=grp.id,
        name=name or f"居民{n}",
        birth_date=birth_date,
        gender=gender,
        registration=registration,
        is_deprived_of_political_rights=False,
    )
    if with_id_number:
        number = make_id_number("110105", birth_date, n, gender)
        resident.id_number_encrypted = cipher.encrypt(number, "id_number")
        resident.id_number_index = cipher.blind_index(number, "id_number")
        resident.id_number_masked = number[:6] + "********" + number[-4:]
    db.session.add(resident)
    db.session.flush()
    return resident


def make_user(
    email: str | None = None,
    *,
    password: str = PASSWORD,
    community: Community | None = None,
    roles: tuple[str, ...] = (),
    resident: Resident | None = None,
    is_admin: bool = False,
    verified: bool = True,
    display_name: str | None = None,
) -> User:
    email = email or f"user{next(_seq)}@example.org"
    user = User(
        email=email,
        password_hash=_password_hash(password),
        is_admin=is_admin,
        # A name, as staff record one (a signature names its signer): the e-mail's local part.
        display_name=email.split("@")[0] if display_name is None else display_name,
    )
    if resident is not None:
        user.resident_id = resident.id
        user.is_verified = verified
    db.session.add(user)
    db.session.flush()
    for role in roles:
        assert community is not None
        db.session.add(RoleAssignment(user_id=user.id, community_id=community.id, role=role))
    db.session.flush()
    return user


def make_body(
    community: Community,
    kind: str = "residents_meeting",
    *,
    name: str | None = None,
    mode: str | None = None,
    members: list[Resident] | None = None,
    group: str | None = None,
) -> Body:
    """A body through the service (as the system actor): the composition warnings are dropped."""
    from consult.meetings.service import create_body

    result = create_body(
        Actor.system("tests"),
        community,
        kind=kind,
        name=name or f"{kind} {next(_seq)}",
        mode=mode,
        members=[r.id for r in members] if members else None,
        group=group,
    )
    return result.body


def make_meeting(
    community: Community,
    body: Body | None = None,
    *,
    title: str | None = None,
    starts_at: datetime | None = None,
    agenda: tuple[tuple[str, str], ...] = (("年度工作报告", "ordinary"),),
    short_notice_reason: str | None = None,
    state: str = "draft",
) -> Meeting:
    """A meeting of `body` (a new residents' meeting if none), 20 days from the clock's now,
    taken as far as `state` (draft, noticed, in_session, adjourned) with the clock moved to
    the meeting's start for opening."""
    from consult import clock
    from consult.meetings import service

    system = Actor.system("tests")
    body = body or make_body(community)
    starts = starts_at or clock.now() + timedelta(days=20)
    meeting = service.create_meeting(
        system,
        community,
        body_id=body.id,
        title=title or f"会议{next(_seq)}",
        starts_at=starts,
        location="社区活动室",
        agenda=[service.NewItem(t, d) for t, d in agenda],
        short_notice_reason=short_notice_reason,
    )
    if state in ("noticed", "in_session", "adjourned"):
        service.notice_meeting(system, meeting)
    if state in ("in_session", "adjourned"):
        service.open_meeting(system, meeting, at=max(clock.now(), starts - timedelta(minutes=30)))
    if state == "adjourned":
        service.adjourn_meeting(system, meeting, at=max(clock.now(), starts + timedelta(hours=2)))
    return meeting
