"""Who is acting: built at the edge, passed to services as a plain value."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Per-community roles (INTERFACES.md §3), plus the platform administrator."""

    ADMIN = "admin"
    STAFF = "staff"
    CHAIR = "chair"
    RECORDER = "recorder"
    SUPERVISOR = "supervisor"
    REPRESENTATIVE = "representative"
    RESIDENT = "resident"


#: Roles that staff may grant through role management (resident comes from a verified account).
GRANTABLE_ROLES = (Role.STAFF, Role.CHAIR, Role.RECORDER, Role.SUPERVISOR, Role.REPRESENTATIVE)


@dataclass(frozen=True)
class Actor:
    """A user acting in the context of one community (or none, for platform-wide actions)."""

    user_id: int | None
    resident_id: int | None = None
    community_id: int | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    is_admin: bool = False
    label: str = "anonymous"

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The platform itself (CLI, demo loader): allowed everything, audited as such."""
        return cls(user_id=None, is_admin=True, label=label)
