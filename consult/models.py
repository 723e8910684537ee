"""Every model, imported in dependency order, so the metadata is complete (Alembic, tests)."""

from consult.accounts.models import ApiToken, RoleAssignment, ThrottleEvent, User, VerificationCode
from consult.audit.models import AuditEntry
from consult.registry.models import (
    Community,
    Household,
    ImportBatch,
    PoliticalRightsRecord,
    Resident,
    ResidentGroup,
    ResidentVersion,
)

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Community",
    "Household",
    "ImportBatch",
    "PoliticalRightsRecord",
    "Resident",
    "ResidentGroup",
    "ResidentVersion",
    "RoleAssignment",
    "ThrottleEvent",
    "User",
    "VerificationCode",
]
