"""Enrolment: linking accounts to people on the register, and the actor a user is in a community.

Lives in the registry layer because it needs both accounts and residents.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import ScalarSelect, and_, bindparam, exists, select
from sqlalchemy.orm import aliased

from consult import clock
from consult.accounts.models import ApiToken, RoleAssignment, User, VerificationCode
from consult.accounts.policy import require
from consult.accounts.service import build_user, note_failure, recent_failures
from consult.actor import Actor, Role
from consult.audit.service import record
from consult.crypto.fields import token_hash
from consult.db import driver_rows
from consult.errors import Conflict, Invalid, NotAllowed, NotFound, TooMany
from consult.extensions import db
from consult.registry.models import Community, Resident

# Alphabet without 0/O/1/I/L: codes are read aloud and typed by elderly residents.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


class Account(Protocol):
    """What actor_for reads of a user: a User, or a bearer token's holder as the gate read it."""

    @property
    def id(self) -> int: ...
    @property
    def resident_id(self) -> int | None: ...
    @property
    def is_admin(self) -> bool: ...
    @property
    def is_verified(self) -> bool: ...
    @property
    def email(self) -> str: ...


def actor_for(
    user: Account,
    community_id: int | None,
    assigned: frozenset[Role] | None = None,
    resident_here: bool | None = None,
) -> Actor:
    """The actor `user` is in `community_id` (default: the resident's own community).
    `assigned`: the user's standing roles in `community_id`, when the caller has read them
    already (community_and_roles); otherwise they are read here. `resident_here`: whether the
    user's resident lives in `community_id`, when already read (saves reading the resident)."""
    home: int | None = None  # the community the user's resident lives in
    if user.resident_id and community_id is not None and resident_here is not None:
        home = community_id if resident_here else None
    elif user.resident_id:
        resident = db.session.get(Resident, user.resident_id)
        home = resident.community_id if resident is not None else None
    if community_id is None:
        assigned = None
        if home is not None:
            community_id = home
        else:
            community_id = db.session.execute(
                select(RoleAssignment.community_id)
                .where(RoleAssignment.user_id == user.id, RoleAssignment.revoked_at.is_(None))
                .order_by(RoleAssignment.id)
                .limit(1)
            ).scalar_one_or_none()
    roles: set[Role] = set()
    if community_id is not None:
        if assigned is not None:
            roles = set(assigned)
        else:
            roles = {
                Role(r)
                for r in db.session.execute(
                    select(RoleAssignment.role).where(
                        RoleAssignment.user_id == user.id,
                        RoleAssignment.community_id == community_id,
                        RoleAssignment.revoked_at.is_(None),
                    )
                ).scalars()
            }
        if home is not None and home == community_id and user.is_verified:
            roles.add(Role.RESIDENT)
    return Actor(
        user_id=user.id,
        resident_id=user.resident_id,
        community_id=community_id,
        roles=frozenset(roles),
        is_admin=user.is_admin,
        label=user.email,
    )


#: The gate's reading of a community named by its code (bound `object_id`), like the
#: COMMUNITY_ID_OF_* subqueries of the domains. An alias: the outer query selects Community too.
_BY_CODE = aliased(Community, name="named_community")
COMMUNITY_ID_BY_CODE = (
    select(_BY_CODE.id).where(_BY_CODE.code == bindparam("object_id")).scalar_subquery()
)

GateReading = tuple[Community | None, frozenset[Role] | None, bool | None]

# The gate runs on every request: its statements are built once per kind of object (the
# subqueries above are module constants) and only their parameters change.
_GATE_STATEMENTS: dict[tuple[str, int], Any] = {}


def _here(resident_id: Any) -> Any:
    """Whether the resident `resident_id` (a column or parameter) lives in the outer Community."""
    return (
        exists()
        .where(Resident.id == resident_id, Resident.community_id == Community.id)
        .correlate_except(Resident)  # the outer Community (and User, for a token)
    )


def _roles_join(user_id: Any) -> Any:
    return and_(
        RoleAssignment.community_id == Community.id,
        RoleAssignment.user_id == user_id,
        RoleAssignment.revoked_at.is_(None),
    )


def _gate_statement(kind: str, community_id: ScalarSelect[int]) -> Any:
    key = (kind, id(community_id))
    statement = _GATE_STATEMENTS.get(key)
    if statement is not None:
        return statement
    if kind == "anonymous":
        statement = select(Community).where(Community.id == community_id)
    elif kind == "user":
        statement = (
            select(Community, RoleAssignment.role, _here(bindparam("resident_id")))
            .outerjoin(RoleAssignment, _roles_join(bindparam("user_id")))
            .where(Community.id == community_id)
        )
    else:  # "token": columns, not entities (token_community_and_roles)
        statement = (
            select(
                User.id,
                User.resident_id,
                User.is_admin,
                User.is_verified,
                User.email,
                Community.id,
                RoleAssignment.role,
                _here(User.resident_id),
            )
            .select_from(ApiToken)
            .join(User, User.id == ApiToken.user_id)
            .outerjoin(Community, Community.id == community_id)
            .outerjoin(RoleAssignment, _roles_join(User.id))
            .where(
                ApiToken.token_hash == bindparam("token_hash"),
                ApiToken.revoked_at.is_(None),
                User.is_active.is_(True),
            )
        )
    _GATE_STATEMENTS[key] = statement
    return statement


def community_and_roles(
    community_id: ScalarSelect[int],
    object_id: object,
    user_id: int | None,
    resident_id: int | None = None,
) -> GateReading:
    """The community whose id `community_id` (a COMMUNITY_ID_OF_* subquery) gives for
    `object_id` and, in the same round trip, the standing roles `user_id` holds there (for
    actor_for's `assigned`; None when there is no user) and whether the user's resident
    (`resident_id`) lives there (actor_for's `resident_here`)."""
    if user_id is None:
        statement = _gate_statement("anonymous", community_id)
        found = db.session.execute(statement, {"object_id": object_id}).scalar_one_or_none()
        return found, None, None
    rows = db.session.execute(
        _gate_statement("user", community_id),
        {"object_id": object_id, "user_id": user_id, "resident_id": resident_id},
    ).all()
    if not rows:
        return None, frozenset(), None
    roles = frozenset(Role(role) for _, role, _ in rows if role is not None)
    return rows[0][0], roles, bool(rows[0][2])


@dataclass(frozen=True)
class TokenHolder:
    """A bearer token's active user as the gate reads it: what the actor is made of (Account).
    The User itself is loaded only if a view asks for it (consult.web.globals)."""

    id: int
    resident_id: int | None
    is_admin: bool
    is_verified: bool
    email: str


#: The token gate (_gate_statement "token") compiled once per database driver: for psycopg,
#: the SQL and its fixed parameters (when they need no bind processing), run straight through
#: the driver (db.driver_rows); None for any other driver (SQLAlchemy runs the statement).
_TOKEN_GATE_SQL: dict[tuple[int, str, str], tuple[str, dict[str, Any]] | None] = {}


def _driver_sql(statement: Any, connection: Any) -> tuple[str, dict[str, Any]] | None:
    """`statement` compiled for psycopg with its fixed parameters, or None (another driver, or
    parameters that need bind processing)."""
    dialect = connection.dialect
    if (dialect.name, dialect.driver) != ("postgresql", "psycopg"):
        return None
    compiled = statement.compile(dialect=dialect)
    if compiled._bind_processors:
        return None
    return str(compiled), dict(compiled.params)


def token_community_and_roles(
    token: str, community_id: ScalarSelect[int], object_id: object
) -> tuple[TokenHolder | None, int | None, frozenset[Role] | None, bool | None]:
    """A bearer token's active user and, in the same statement, the community `community_id`
    (a COMMUNITY_ID_OF_* subquery) gives for `object_id`, the user's standing roles there and
    whether the user's resident lives there: one round trip for the gate of an API call on an
    object (a ballot in the rush). (None, …) when the token is unknown or revoked or its user
    inactive; a None community when the object is unknown. Columns, not entities: loading the
    User and the Community as ORM objects cost the worker twice what the rest of the statement
    did, and a ballot reads neither (consult.web.globals loads them if a view does)."""
    statement = _gate_statement("token", community_id)
    params = {"token_hash": token_hash(token), "object_id": object_id}
    connection = db.session.connection()
    key = (id(community_id), connection.dialect.name, connection.dialect.driver)
    if key not in _TOKEN_GATE_SQL:
        _TOKEN_GATE_SQL[key] = _driver_sql(statement, connection)
    compiled = _TOKEN_GATE_SQL[key]
    rows: list[Any]
    if compiled is not None:
        sql, fixed = compiled
        rows = driver_rows(db.session, sql, {**fixed, **params})
    else:
        rows = list(connection.execute(statement, params).all())
    if not rows:
        return None, None, None, None
    user_id, resident_id, is_admin, is_verified, email, community, _, here = rows[0]
    holder = TokenHolder(user_id, resident_id, bool(is_admin), bool(is_verified), email)
    if community is None:
        return holder, None, frozenset(), None
    roles = frozenset(Role(row[6]) for row in rows if row[6] is not None)
    return holder, community, roles, bool(here)


def communities_of(user: User) -> list[int]:
    """Every community where the user holds a role or is a resident."""
    ids = set(
        db.session.execute(
            select(RoleAssignment.community_id).where(
                RoleAssignment.user_id == user.id, RoleAssignment.revoked_at.is_(None)
            )
        ).scalars()
    )
    if user.resident_id:
        resident = db.session.get(Resident, user.resident_id)
        if resident is not None:
            ids.add(resident.community_id)
    return sorted(ids)


def create_resident_account(
    actor: Actor, community: Community, resident_id: int, email: str, password: str
) -> User:
    """Staff create a verified account for a resident at the desk (INTERFACES.md §3)."""
    require(actor, "accounts:residents:verify", community.id)
    resident = _resident_in(community, resident_id)
    if db.session.execute(select(User.id).where(User.resident_id == resident.id)).scalar():
        raise Conflict("this resident already has an account")
    # One use case, one audit entry (the verification names the new account's e-mail).
    user = build_user(email, password, display_name=resident.name)
    _link_verified(actor, user, resident, how="staff_created", extra={"email": user.email})
    return user


def _resident_in(community: Community, resident_id: int) -> Resident:
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.community_id != community.id:
        raise NotFound("no such resident in this community")
    return resident


def _link_verified(
    actor: Actor,
    user: User,
    resident: Resident,
    *,
    how: str,
    extra: dict[str, object] | None = None,
) -> None:
    other = db.session.execute(
        select(User.id).where(User.resident_id == resident.id, User.id != user.id)
    ).scalar()
    if other is not None:
        raise Conflict("this resident is already linked to another account")
    user.resident_id = resident.id
    user.is_verified = True
    user.verified_at = clock.now()
    user.verified_by = actor.user_id
    user.verified_how = how
    db.session.flush()
    record(
        actor,
        "accounts:residents:verify",
        "user",
        user.id,
        community_id=resident.community_id,
        payload={"resident_id": resident.id, "how": how, **(extra or {})},
    )


def verify_at_desk(actor: Actor, community: Community, user_id: int, resident_id: int) -> User:
    """Staff confirm in person that an account belongs to a resident on the register."""
    require(actor, "accounts:residents:verify", community.id)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("no such account")
    if user.is_verified:
        raise Conflict("this account is already verified")
    resident = _resident_in(community, resident_id)
    _link_verified(actor, user, resident, how="desk")
    return user


# ---------------------------------------------------------------- verification codes


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """Shown in groups for reading aloud: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def normalise_code(typed: str) -> str:
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def issue_verification_code(
    actor: Actor, community: Community, resident_id: int, valid_days: int = 14
) -> tuple[VerificationCode, str]:
    """A new one-time code for a resident, to print. Returns the row and the code (shown once)."""
    require(actor, "accounts:residents:verify", community.id)
    resident = _resident_in(community, resident_id)
    code = _new_code()
    row = VerificationCode(
        community_id=community.id,
        resident_id=resident.id,
        code_hash=token_hash(code),
        created_by=actor.user_id,
        created_at=clock.now(),
        expires_at=clock.now() + timedelta(days=valid_days),
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "accounts:codes:issue",
        "verification_code",
        row.id,
        community_id=community.id,
        payload={"resident_id": resident.id, "expires_at": row.expires_at.isoformat()},
    )
    return row, code


def redeem_verification_code(
    actor: Actor, typed_code: str, *, max_failures: int = 5, window_minutes: int = 15
) -> User:
    """A signed-in, unverified user enters the code staff printed: single use, expires,
    rate-limited per account. Failures are ThrottleEvents the edge commits."""
    if actor.user_id is None:
        raise NotAllowed("sign in first")
    user = db.session.get(User, actor.user_id)
    assert user is not None
    if user.is_verified:
        raise Conflict("this account is already verified")
    key = str(user.id)
    if recent_failures("verify", key, timedelta(minutes=window_minutes)) >= max_failures:
        raise TooMany("too many wrong codes; wait 15 minutes and try again")
    code = normalise_code(typed_code)
    row = db.session.execute(
        select(VerificationCode).where(VerificationCode.code_hash == token_hash(code))
    ).scalar_one_or_none()
    problem = None
    if row is None:
        problem = "this code is not valid"
    elif row.used_at is not None:
        problem = "this code has already been used"
    elif row.expires_at <= clock.now():
        problem = "this code has expired; ask the committee for a new one"
    if problem is not None or row is None:
        note_failure("verify", key)
        raise Invalid(problem or "this code is not valid", details={"code": problem})
    resident = db.session.get(Resident, row.resident_id)
    assert resident is not None
    row.used_at = clock.now()
    row.used_by = user.id
    _link_verified(actor, user, resident, how="code")
    return user
