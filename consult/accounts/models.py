"""Accounts: users, per-community role assignments, API tokens, one-time codes, throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from consult import clock
from consult.db import UTCDateTime
from consult.extensions import Model


class User(Model):
    """Someone who signs in. A resident's account links to exactly one register entry."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), unique=True)
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_how: Mapped[str | None] = mapped_column(String(20))  # desk | code | staff_created
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class RoleAssignment(Model):
    """A role in one community. Ending a role sets revoked_at; the row stays as history."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint(
            "role IN ('staff', 'chair', 'recorder', 'supervisor', 'representative')", name="role"
        ),
        Index("ix_role_assignments_lookup", "user_id", "community_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Model):
    """A bearer token, stored only as its SHA-256; revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(
        String(12)
    )  # shown in lists so a user can tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class VerificationCode(Model):
    """A one-time code staff print for one resident; single use, expires."""

    __tablename__ = "verification_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ThrottleEvent(Model):
    """A failed login or code attempt, counted in the database so every worker sees it."""

    __tablename__ = "throttle_events"
    __table_args__ = (Index("ix_throttle_events_lookup", "kind", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # login | verify
    key: Mapped[str] = mapped_column(String(254))  # the account's e-mail or user id
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
