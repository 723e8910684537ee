"""Account use cases: sign-in, roles, tokens, verification. Policy, change, audit, flush."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select

from consult import clock
from consult.accounts.models import ApiToken, RoleAssignment, ThrottleEvent, User
from consult.accounts.policy import require
from consult.actor import GRANTABLE_ROLES, Actor, Role
from consult.audit.service import record
from consult.crypto.fields import token_hash
from consult.errors import Conflict, Invalid, NotAllowed, NotFound, TooMany
from consult.extensions import db

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


# ---------------------------------------------------------------- passwords and sign-in


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "password too short",
            details={"password": f"at least {MIN_PASSWORD_LENGTH} characters"},
        )


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise Invalid("not an e-mail address", details={"email": "not an e-mail address"})
    return email


def recent_failures(kind: str, key: str, window: timedelta) -> int:
    since = clock.now() - window
    return db.session.execute(
        select(func.count(ThrottleEvent.id)).where(
            ThrottleEvent.kind == kind, ThrottleEvent.key == key, ThrottleEvent.at >= since
        )
    ).scalar_one()


def note_failure(kind: str, key: str) -> None:
    db.session.add(ThrottleEvent(kind=kind, key=key, at=clock.now()))
    db.session.flush()


def authenticate(
    email: str, password: str, *, max_failures: int = 10, window_minutes: int = 15
) -> User | None:
    """The user if the password is right. After `max_failures` failures within the window,
    every attempt for that account is refused with TooMany until the window has passed
    (INTERFACES.md §3). A failure is recorded as a ThrottleEvent: the edge must commit it even
    though it answers with an error."""
    try:
        key = normalise_email(email)
    except Invalid:
        return None
    window = timedelta(minutes=window_minutes)
    if recent_failures("login", key, window) >= max_failures:
        raise TooMany("too many failed sign-ins for this account; wait 15 minutes and try again")
    user = db.session.execute(select(User).where(User.email == key)).scalar_one_or_none()
    ok = False
    if user is not None and user.is_active:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
    else:
        # Spend the same time as a real check so timing does not reveal which e-mails exist.
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher.verify(_DUMMY_HASH, password)
    if not ok:
        note_failure("login", key)
        return None
    return user


_DUMMY_HASH = _hasher.hash("not-a-real-password")


# ---------------------------------------------------------------- users


def create_user(
    actor: Actor, email: str, password: str, *, display_name: str = "", is_admin: bool = False
) -> User:
    """Create an account. Only a platform admin (or the system) may create an admin."""
    if is_admin and not actor.is_admin:
        raise NotAllowed("only an administrator may create an administrator")
    user = build_user(email, password, display_name=display_name, is_admin=is_admin)
    record(
        actor,
        "accounts:user:create",
        "user",
        user.id,
        community_id=None,
        payload={"email": user.email, "is_admin": is_admin},
    )
    return user


def build_user(
    email: str, password: str, *, display_name: str = "", is_admin: bool = False
) -> User:
    """Validate, add and flush a new account WITHOUT an audit entry: for use cases (such as
    staff creating a resident's account) that record the whole change as one entry.
    The caller checks permissions."""
    email = normalise_email(email)
    _check_password_rules(password)
    if db.session.execute(select(User.id).where(User.email == email)).scalar_one_or_none():
        raise Conflict(
            "an account with this e-mail already exists", details={"email": "already registered"}
        )
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name.strip()[:100],
        is_admin=is_admin,
    )
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(email: str, password: str, display_name: str = "") -> User:
    """A resident creates their own (not yet verified) account."""
    user = create_user(Actor.anonymous(), email, password, display_name=display_name)
    return user


# ---------------------------------------------------------------- roles


def grant_role(actor: Actor, community_id: int, email: str, role: str) -> RoleAssignment:
    require(actor, "accounts:roles:manage", community_id)
    try:
        wanted = Role(role)
    except ValueError:
        wanted = None
    if wanted not in GRANTABLE_ROLES:
        raise Invalid("unknown role", details={"role": [r.value for r in GRANTABLE_ROLES]})
    user = db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()
    if user is None:
        raise Invalid("no account with this e-mail", details={"email": "no such account"})
    existing = db.session.execute(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.community_id == community_id,
            RoleAssignment.role == wanted,
            RoleAssignment.revoked_at.is_(None),
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict("this person already holds this role")
    assignment = RoleAssignment(
        user_id=user.id,
        community_id=community_id,
        role=wanted,
        granted_by=actor.user_id,
        granted_at=clock.now(),
    )
    db.session.add(assignment)
    db.session.flush()
    record(
        actor,
        "accounts:roles:grant",
        "role_assignment",
        assignment.id,
        community_id=community_id,
        payload={"user_id": user.id, "role": wanted.value},
    )
    return assignment


#: Called when a role ends, after its audit entry, in the same transaction: upper layers attach
#: what follows from it (documents: the signer's certificate for that role is revoked).
ROLE_ENDED: list[Callable[[Actor, RoleAssignment], None]] = []


def revoke_role(actor: Actor, community_id: int, assignment_id: int) -> RoleAssignment:
    require(actor, "accounts:roles:manage", community_id)
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.community_id != community_id:
        raise NotFound("no such role assignment")
    if assignment.revoked_at is not None:
        raise Conflict("this role has already ended")
    if assignment.user_id == actor.user_id and assignment.role == Role.STAFF:
        raise Conflict("you cannot remove your own staff role")
    assignment.revoked_at = clock.now()
    assignment.revoked_by = actor.user_id
    db.session.flush()
    record(
        actor,
        "accounts:roles:revoke",
        "role_assignment",
        assignment.id,
        community_id=community_id,
        payload={"user_id": assignment.user_id, "role": assignment.role},
    )
    for hook in ROLE_ENDED:
        hook(actor, assignment)
    return assignment


def role_holders(actor: Actor, community_id: int) -> list[tuple[RoleAssignment, User]]:
    require(actor, "accounts:roles:read", community_id)
    rows = db.session.execute(
        select(RoleAssignment, User)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.community_id == community_id, RoleAssignment.revoked_at.is_(None))
        .order_by(RoleAssignment.role, User.email)
    ).all()
    return [(a, u) for a, u in rows]


# ---------------------------------------------------------------- API tokens


def create_token(actor: Actor, user: User, name: str = "api") -> tuple[ApiToken, str]:
    """A new bearer token for `user`: returned once, stored only hashed."""
    if actor.user_id != user.id and not actor.is_admin:
        raise NotAllowed("you may only create tokens for yourself")
    token = "cst_" + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=(name or "api")[:100],
        token_hash=token_hash(token),
        prefix=token[:12],
        created_at=clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "accounts:tokens:create",
        "api_token",
        row.id,
        community_id=None,
        payload={"user_id": user.id, "name": row.name},
    )
    return row, token


def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("no such token")
    if row.user_id != actor.user_id and not actor.is_admin:
        raise NotAllowed("you may only revoke your own tokens")
    if row.revoked_at is not None:
        raise Conflict("this token is already revoked")
    row.revoked_at = clock.now()
    db.session.flush()
    record(
        actor,
        "accounts:tokens:revoke",
        "api_token",
        row.id,
        community_id=None,
        payload={"user_id": row.user_id},
    )
    return row


#: user_for_token's query, built once: it runs on every API request.
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.is_active.is_(True),
    )
)


def user_for_token(token: str) -> User | None:
    """The active user behind a bearer token, or None if unknown or revoked. One query, on every
    API request: nothing is cached, so a revocation or deactivation counts at once."""
    return db.session.execute(
        _USER_FOR_TOKEN, {"token_hash": token_hash(token)}
    ).scalar_one_or_none()


def find_user(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()
