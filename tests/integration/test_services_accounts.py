"""Account services, called directly: passwords, sign-in throttling, roles, API tokens,
verification codes and the actor a user is in a community."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from consult import clock
from consult.accounts.models import ApiToken, RoleAssignment, ThrottleEvent, User
from consult.accounts.service import (
    authenticate,
    create_token,
    create_user,
    grant_role,
    hash_password,
    revoke_role,
    revoke_token,
    role_holders,
    sign_up,
    user_for_token,
)
from consult.actor import Actor, Role
from consult.crypto.canonical import sha256_hex
from consult.errors import Conflict, Invalid, NotAllowed, NotFound, TooMany, Unauthenticated
from consult.extensions import db
from consult.registry.enrolment import (
    CODE_ALPHABET,
    CODE_LENGTH,
    actor_for,
    communities_of,
    create_resident_account,
    format_code,
    issue_verification_code,
    redeem_verification_code,
    verify_at_desk,
)
from tests.factories import PASSWORD, make_resident, make_user

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(db_session: Any) -> None:
    clock.freeze(NOW)  # the db_session fixture resets the clock afterwards


@pytest.fixture
def staff(world: Any) -> Actor:
    return actor_for(world.users["staff"], world.community.id)


@pytest.fixture
def admin(world: Any) -> Actor:
    return actor_for(world.users["admin"], None)


def as_self(user: User) -> Actor:
    return actor_for(user, None)


# ---------------------------------------------------------------- passwords


def test_passwords_are_hashed_with_argon2id_and_a_salt():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$")
    assert first != second
    assert PASSWORD not in first


def test_created_user_stores_only_an_argon2id_hash(world, admin):
    user = create_user(admin, "New.Person@Example.org ", "a long password")
    assert user.email == "new.person@example.org"
    assert user.password_hash.startswith("$argon2id$")
    raw = db.session.execute(text("SELECT * FROM users WHERE id = :i"), {"i": user.id}).one()
    assert all("a long password" not in str(v) for v in raw)


def test_password_shorter_than_eight_characters_is_refused(world, admin):
    with pytest.raises(Invalid) as raised:
        create_user(admin, "short@example.org", "1234567")
    assert "password" in raised.value.details


@pytest.mark.parametrize("email", ["", "no-at-sign", "@example.org", "person@", "x" * 251 + "@a.b"])
def test_malformed_email_is_refused(world, admin, email):
    with pytest.raises(Invalid) as raised:
        create_user(admin, email, "a long password")
    assert raised.value.details == {"email": "not an e-mail address"}


def test_email_is_unique_whatever_its_case(world, admin):
    with pytest.raises(Conflict):
        create_user(admin, "STAFF@example.org", "a long password")


def test_only_an_admin_creates_an_admin(world, staff):
    with pytest.raises(NotAllowed):
        create_user(staff, "boss@example.org", "a long password", is_admin=True)
    with pytest.raises(NotAllowed):
        create_user(Actor.anonymous(), "boss@example.org", "x" * 10, is_admin=True)
    assert create_user(Actor.system(), "boss@example.org", "x" * 10, is_admin=True).is_admin


def test_sign_up_creates_an_unverified_account(world):
    user = sign_up("newcomer@example.org", "a long password", "新居民")
    assert not user.is_verified
    assert user.resident_id is None
    assert user.display_name == "新居民"


# ---------------------------------------------------------------- sign-in


def test_right_password_signs_in(world):
    assert authenticate("staff@example.org", PASSWORD) == world.users["staff"]


def test_email_is_matched_whatever_its_case_and_spaces(world):
    assert authenticate("  Staff@Example.ORG ", PASSWORD) == world.users["staff"]


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("staff@example.org", "wrong password"),
        ("staff@example.org", ""),
        ("nobody@example.org", PASSWORD),
        ("not an email", PASSWORD),
    ],
)
def test_wrong_credentials_do_not_sign_in(world, email, password):
    assert authenticate(email, password) is None


def test_inactive_account_does_not_sign_in(world):
    world.users["staff"].is_active = False
    db.session.flush()
    assert authenticate("staff@example.org", PASSWORD) is None


def test_ten_failures_in_fifteen_minutes_lock_the_account_even_for_the_right_password(world):
    for _ in range(10):
        assert authenticate("staff@example.org", "wrong password") is None
        clock.advance(timedelta(seconds=30))
    with pytest.raises(TooMany):
        authenticate("staff@example.org", PASSWORD)
    # Another account is not affected.
    assert authenticate("supervisor@example.org", PASSWORD) == world.users["supervisor"]


def test_sign_in_works_again_once_the_window_has_passed(world):
    for _ in range(10):
        authenticate("staff@example.org", "wrong password")
    with pytest.raises(TooMany):
        authenticate("staff@example.org", PASSWORD)
    clock.advance(timedelta(minutes=16))
    assert authenticate("staff@example.org", PASSWORD) == world.users["staff"]


def test_nine_failures_do_not_lock_the_account(world):
    for _ in range(9):
        authenticate("staff@example.org", "wrong password")
    assert authenticate("staff@example.org", PASSWORD) == world.users["staff"]


def test_the_window_slides_failures_older_than_fifteen_minutes_do_not_count(world):
    for _ in range(9):
        authenticate("staff@example.org", "wrong password")
    clock.advance(timedelta(minutes=10))
    authenticate("staff@example.org", "wrong password")  # the tenth, ten minutes later
    with pytest.raises(TooMany):
        authenticate("staff@example.org", PASSWORD)
    clock.advance(timedelta(minutes=6))  # the first nine are now sixteen minutes old
    assert authenticate("staff@example.org", PASSWORD) == world.users["staff"]


def test_failures_for_unknown_accounts_are_counted_like_any_other(world):
    for _ in range(10):
        authenticate("Nobody@example.org", "x")
    with pytest.raises(TooMany):
        authenticate("nobody@example.org", "x")
    events = db.session.execute(
        select(ThrottleEvent).where(ThrottleEvent.key == "nobody@example.org")
    ).scalars()
    assert len(list(events)) == 10


def test_failures_are_counted_once_per_attempt_not_while_locked(world):
    for _ in range(12):
        with contextlib.suppress(TooMany):
            authenticate("staff@example.org", "wrong password")
    events = db.session.execute(
        select(ThrottleEvent).where(ThrottleEvent.key == "staff@example.org")
    ).scalars()
    assert len(list(events)) == 10


# ---------------------------------------------------------------- roles


def test_staff_grants_a_role_and_role_holders_lists_it(world, staff):
    assignment = grant_role(staff, world.community.id, "Resident@example.org", "representative")
    assert (assignment.role, assignment.user_id) == ("representative", world.users["resident"].id)
    assert assignment.granted_by == staff.user_id
    holders = {(a.role, u.email) for a, u in role_holders(staff, world.community.id)}
    assert ("representative", "resident@example.org") in holders
    assert ("staff", "staff@example.org") in holders
    roles = actor_for(world.users["resident"], world.community.id).roles
    assert roles == {Role.REPRESENTATIVE, Role.RESIDENT}


def test_granting_a_role_someone_holds_is_a_conflict(world, staff):
    with pytest.raises(Conflict):
        grant_role(staff, world.community.id, "rep@example.org", "representative")


@pytest.mark.parametrize("role", ["admin", "resident", "boss", ""])
def test_only_committee_roles_can_be_granted(world, staff, role):
    with pytest.raises(Invalid) as raised:
        grant_role(staff, world.community.id, "resident@example.org", role)
    assert raised.value.details["role"] == [
        "staff",
        "chair",
        "recorder",
        "supervisor",
        "representative",
    ]


def test_granting_to_an_unknown_email_is_refused(world, staff):
    with pytest.raises(Invalid) as raised:
        grant_role(staff, world.community.id, "nobody@example.org", "chair")
    assert raised.value.details == {"email": "no such account"}


def test_revoked_role_ends_but_stays_as_history(world, staff):
    assignment = grant_role(staff, world.community.id, "resident@example.org", "chair")
    revoke_role(staff, world.community.id, assignment.id)
    assert assignment.revoked_at == NOW
    assert assignment.revoked_by == staff.user_id
    holders = {(a.role, u.email) for a, u in role_holders(staff, world.community.id)}
    assert ("chair", "resident@example.org") not in holders
    assert Role.CHAIR not in actor_for(world.users["resident"], world.community.id).roles
    assert db.session.get(RoleAssignment, assignment.id) is not None
    with pytest.raises(Conflict):
        revoke_role(staff, world.community.id, assignment.id)
    # Granting it again is a new assignment.
    again = grant_role(staff, world.community.id, "resident@example.org", "chair")
    assert again.id != assignment.id


def test_staff_cannot_remove_their_own_staff_role(world, staff):
    own = db.session.execute(
        select(RoleAssignment).where(RoleAssignment.user_id == staff.user_id)
    ).scalar_one()
    with pytest.raises(Conflict):
        revoke_role(staff, world.community.id, own.id)


def test_role_of_another_community_cannot_be_revoked_through_this_one(world, staff, admin):
    elsewhere = grant_role(admin, world.other.id, "resident@example.org", "chair")
    with pytest.raises(NotFound):
        revoke_role(staff, world.community.id, elsewhere.id)
    with pytest.raises(NotFound):
        revoke_role(staff, world.community.id, 999_999)


@pytest.mark.parametrize(
    ("role", "may_read", "may_manage"),
    [
        ("anonymous", False, False),
        ("other_resident", False, False),
        ("resident", False, False),
        ("representative", False, False),
        ("supervisor", True, False),
        ("staff", True, True),
        ("admin", True, True),
    ],
)
def test_who_may_read_and_manage_roles(world, role, may_read, may_manage):
    if role == "anonymous":
        actor = Actor.anonymous()
    else:
        community = world.other if role == "other_resident" else world.community
        actor = actor_for(world.users[role], community.id)
    expected = Unauthenticated if role == "anonymous" else NotAllowed
    if may_read:
        assert role_holders(actor, world.community.id)
    else:
        with pytest.raises(expected):
            role_holders(actor, world.community.id)
    if may_manage:
        grant_role(actor, world.community.id, "resident@example.org", "recorder")
    else:
        with pytest.raises(expected):
            grant_role(actor, world.community.id, "resident@example.org", "recorder")


def test_staff_of_one_community_cannot_grant_roles_in_another(world, staff):
    with pytest.raises(NotAllowed):
        grant_role(staff, world.other.id, "resident@example.org", "staff")


# ---------------------------------------------------------------- API tokens


def test_token_is_returned_once_and_stored_only_as_its_hash(world):
    user = world.users["staff"]
    row, token = create_token(as_self(user), user, "laptop")
    assert token.startswith("cst_")
    assert len(token) > 40
    assert row.token_hash == sha256_hex(token.encode())
    assert row.prefix == token[:12]
    raw = db.session.execute(text("SELECT * FROM api_tokens WHERE id = :i"), {"i": row.id}).one()
    assert all(token not in str(v) for v in raw)


def test_token_finds_its_user_until_revoked(world):
    user = world.users["staff"]
    row, token = create_token(as_self(user), user)
    assert user_for_token(token) == user
    assert user_for_token(token + "x") is None
    assert user_for_token("") is None
    revoke_token(as_self(user), row.id)
    assert user_for_token(token) is None
    with pytest.raises(Conflict):
        revoke_token(as_self(user), row.id)


def test_token_of_an_inactive_user_finds_nobody(world):
    user = world.users["staff"]
    _, token = create_token(as_self(user), user)
    user.is_active = False
    db.session.flush()
    assert user_for_token(token) is None


def test_tokens_are_personal_unless_an_admin_acts(world, admin):
    staff_user, other = world.users["staff"], world.users["supervisor"]
    with pytest.raises(NotAllowed):
        create_token(as_self(other), staff_user)
    row, _ = create_token(admin, staff_user)
    assert row.user_id == staff_user.id
    with pytest.raises(NotAllowed):
        revoke_token(as_self(other), row.id)
    revoke_token(admin, row.id)
    with pytest.raises(NotFound):
        revoke_token(admin, 999_999)


def test_two_tokens_differ(world):
    user = world.users["staff"]
    tokens = {create_token(as_self(user), user)[1] for _ in range(5)}
    assert len(tokens) == 5
    assert len(list(db.session.execute(select(ApiToken)).scalars())) >= 5


# ---------------------------------------------------------------- verification codes


@pytest.fixture
def newcomer(world: Any) -> tuple[User, Any]:
    """An unverified account and the register entry it belongs to."""
    resident = make_resident(world.community, name="新居民", household="H009")
    return sign_up("newcomer@example.org", "a long password"), resident


def test_issued_code_is_printable_and_stored_only_hashed(world, staff, newcomer):
    _, resident = newcomer
    row, code = issue_verification_code(staff, world.community, resident.id)
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    assert row.code_hash == sha256_hex(code.encode())
    assert row.expires_at == NOW + timedelta(days=14)
    raw = db.session.execute(
        text("SELECT * FROM verification_codes WHERE id = :i"), {"i": row.id}
    ).one()
    assert all(code not in str(v) for v in raw)


def test_code_verifies_the_account_once(world, staff, newcomer):
    user, resident = newcomer
    _, code = issue_verification_code(staff, world.community, resident.id)
    assert Role.RESIDENT not in actor_for(user, world.community.id).roles
    # Typed as printed, in lower case, with the dash.
    verified = redeem_verification_code(as_self(user), format_code(code).lower())
    assert verified.is_verified
    assert verified.resident_id == resident.id
    assert verified.verified_how == "code"
    actor = actor_for(user, None)
    assert actor.community_id == world.community.id
    assert Role.RESIDENT in actor.roles


def test_used_code_is_refused(world, staff, newcomer):
    user, resident = newcomer
    _, code = issue_verification_code(staff, world.community, resident.id)
    redeem_verification_code(as_self(user), code)
    someone = sign_up("someone@example.org", "a long password")
    with pytest.raises(Invalid) as raised:
        redeem_verification_code(as_self(someone), code)
    assert raised.value.details == {"code": "this code has already been used"}
    assert not someone.is_verified


def test_expired_code_is_refused(world, staff, newcomer):
    user, resident = newcomer
    _, code = issue_verification_code(staff, world.community, resident.id, valid_days=14)
    clock.advance(timedelta(days=14))
    with pytest.raises(Invalid) as raised:
        redeem_verification_code(as_self(user), code)
    assert "expired" in raised.value.details["code"]
    assert not user.is_verified


def test_code_still_works_just_before_it_expires(world, staff, newcomer):
    user, resident = newcomer
    _, code = issue_verification_code(staff, world.community, resident.id, valid_days=14)
    clock.advance(timedelta(days=14) - timedelta(seconds=1))
    assert redeem_verification_code(as_self(user), code).is_verified


def test_five_wrong_codes_lock_out_even_the_right_one(world, staff, newcomer):
    user, resident = newcomer
    _, code = issue_verification_code(staff, world.community, resident.id)
    for _ in range(5):
        with pytest.raises(Invalid):
            redeem_verification_code(as_self(user), "AAAAA-AAAAA")
    with pytest.raises(TooMany):
        redeem_verification_code(as_self(user), code)
    clock.advance(timedelta(minutes=16))
    assert redeem_verification_code(as_self(user), code).is_verified


def test_verified_account_cannot_redeem_another_code(world, staff):
    resident_user = world.users["resident"]
    other = make_resident(world.community, name="另一人", household="H010")
    _, code = issue_verification_code(staff, world.community, other.id)
    with pytest.raises(Conflict):
        redeem_verification_code(as_self(resident_user), code)


def test_anonymous_cannot_redeem_a_code(world, staff, newcomer):
    _, resident = newcomer
    _, code = issue_verification_code(staff, world.community, resident.id)
    with pytest.raises(NotAllowed):
        redeem_verification_code(Actor.anonymous(), code)


def test_code_for_a_resident_who_already_has_an_account_is_refused(world, staff):
    _, code = issue_verification_code(staff, world.community, world.residents["resident"].id)
    someone = sign_up("someone@example.org", "a long password")
    with pytest.raises(Conflict):
        redeem_verification_code(as_self(someone), code)


@pytest.mark.parametrize("role", ["representative", "supervisor", "resident"])
def test_only_staff_issue_codes(world, newcomer, role):
    _, resident = newcomer
    actor = actor_for(world.users[role], world.community.id)
    with pytest.raises(NotAllowed):
        issue_verification_code(actor, world.community, resident.id)


def test_code_for_another_communitys_resident_is_not_issued(world, staff):
    with pytest.raises(NotFound):
        issue_verification_code(staff, world.community, world.residents["other_resident"].id)


# ---------------------------------------------------------------- desk verification and accounts


def test_staff_verify_an_account_at_the_desk(world, staff, newcomer):
    user, resident = newcomer
    verify_at_desk(staff, world.community, user.id, resident.id)
    assert (user.is_verified, user.resident_id, user.verified_how) == (True, resident.id, "desk")
    assert user.verified_by == staff.user_id
    with pytest.raises(Conflict):
        verify_at_desk(staff, world.community, user.id, resident.id)


def test_desk_verification_refuses_a_resident_linked_to_another_account(world, staff, newcomer):
    user, _ = newcomer
    with pytest.raises(Conflict):
        verify_at_desk(staff, world.community, user.id, world.residents["resident"].id)
    assert not user.is_verified


def test_desk_verification_refuses_unknown_accounts_and_foreign_residents(world, staff, newcomer):
    user, _ = newcomer
    with pytest.raises(NotFound):
        verify_at_desk(staff, world.community, 999_999, world.residents["resident"].id)
    with pytest.raises(NotFound):
        verify_at_desk(staff, world.community, user.id, world.residents["other_resident"].id)


def test_staff_create_a_verified_resident_account(world, staff):
    resident = make_resident(world.community, name="陈静", household="H011")
    user = create_resident_account(
        staff, world.community, resident.id, "chen@example.org", "x" * 10
    )
    assert (user.is_verified, user.resident_id, user.verified_how) == (
        True,
        resident.id,
        "staff_created",
    )
    assert user.display_name == "陈静"
    assert Role.RESIDENT in actor_for(user, world.community.id).roles
    with pytest.raises(Conflict):
        create_resident_account(staff, world.community, resident.id, "chen2@example.org", "x" * 10)


def test_only_staff_create_resident_accounts(world):
    rep = actor_for(world.users["representative"], world.community.id)
    with pytest.raises(NotAllowed):
        create_resident_account(
            rep, world.community, world.residents["resident"].id, "x@example.org", "x" * 10
        )


# ---------------------------------------------------------------- the actor


def test_verified_resident_is_a_resident_of_their_own_community_only(world):
    user = world.users["resident"]
    own = actor_for(user, world.community.id)
    assert own.roles == {Role.RESIDENT}
    assert (own.user_id, own.resident_id, own.community_id) == (
        user.id,
        world.residents["resident"].id,
        world.community.id,
    )
    elsewhere = actor_for(user, world.other.id)
    assert elsewhere.roles == frozenset()
    assert elsewhere.community_id == world.other.id


def test_unverified_account_linked_to_a_resident_is_not_a_resident(world):
    resident = make_resident(world.community, name="未核实", household="H012")
    user = make_user("unverified@example.org", resident=resident, verified=False)
    assert actor_for(user, world.community.id).roles == frozenset()
    assert actor_for(user, None).community_id == world.community.id


def test_default_community_is_the_residents_own_or_the_first_role(world):
    assert actor_for(world.users["resident"], None).community_id == world.community.id
    staff = actor_for(world.users["staff"], None)
    assert (staff.community_id, staff.roles) == (world.community.id, {Role.STAFF})
    representative = actor_for(world.users["representative"], None)
    assert representative.roles == {Role.REPRESENTATIVE, Role.RESIDENT}


def test_admin_actor_carries_the_admin_flag_without_community_roles(world):
    actor = actor_for(world.users["admin"], None)
    assert actor.is_admin
    assert actor.community_id is None
    assert actor.roles == frozenset()
    assert actor.label == "admin@example.org"


def test_revoked_roles_are_not_part_of_the_actor(world, staff):
    assignment = grant_role(staff, world.community.id, "supervisor@example.org", "chair")
    assert Role.CHAIR in actor_for(world.users["supervisor"], world.community.id).roles
    revoke_role(staff, world.community.id, assignment.id)
    assert actor_for(world.users["supervisor"], world.community.id).roles == {Role.SUPERVISOR}


def test_communities_of_lists_roles_and_residence(world, admin):
    grant_role(admin, world.other.id, "resident@example.org", "recorder")
    assert communities_of(world.users["resident"]) == sorted([world.community.id, world.other.id])
    assert communities_of(world.users["admin"]) == []
