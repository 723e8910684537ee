"""Every model, imported in dependency order, so the metadata is complete (Alembic, tests)."""

from consult.accounts.models import ApiToken, RoleAssignment, ThrottleEvent, User, VerificationCode
from consult.audit.models import AuditEntry
from consult.meetings.attachment_models import Attachment, AttachmentBlob
from consult.meetings.candidate_models import Candidate
from consult.meetings.charter_models import Charter
from consult.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceVersion,
    Body,
    Invitation,
    Meeting,
    Membership,
)
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
    "AgendaItem",
    "ApiToken",
    "Attachment",
    "AttachmentBlob",
    "Attendance",
    "AttendanceVersion",
    "AuditEntry",
    "Body",
    "Candidate",
    "Charter",
    "Community",
    "Household",
    "ImportBatch",
    "Invitation",
    "Meeting",
    "Membership",
    "PoliticalRightsRecord",
    "Resident",
    "ResidentGroup",
    "ResidentVersion",
    "RoleAssignment",
    "ThrottleEvent",
    "User",
    "VerificationCode",
]
