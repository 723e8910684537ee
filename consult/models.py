"""Every model, imported in dependency order, so the metadata is complete (Alembic, tests)."""

from consult.accounts.models import ApiToken, RoleAssignment, ThrottleEvent, User, VerificationCode
from consult.audit.models import AuditEntry
from consult.disclosure.models import (
    Disclosure,
    DisclosurePolicyRow,
    DisclosureQuery,
    DisclosureReview,
    DisclosureSignature,
    DisclosureVoucher,
    LedgerAccount,
    LedgerEntry,
)
from consult.documents.models import (
    CertificateAuthority,
    Minutes,
    MinutesSignature,
    SignerCertificate,
)
from consult.meetings.attachment_models import Attachment, AttachmentBlob
from consult.meetings.candidate_models import Candidate, VoterRollPublication
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
    CommunityKey,
    Household,
    ImportBatch,
    PoliticalRightsRecord,
    Resident,
    ResidentGroup,
    ResidentVersion,
)
from consult.voting.models import (
    HandCount,
    OpenBallot,
    PaperEntry,
    PaperResolution,
    Participation,
    SecretBallot,
    Vote,
    VoteRoll,
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
    "CertificateAuthority",
    "Charter",
    "Community",
    "CommunityKey",
    "Disclosure",
    "DisclosurePolicyRow",
    "DisclosureQuery",
    "DisclosureReview",
    "DisclosureSignature",
    "DisclosureVoucher",
    "HandCount",
    "Household",
    "ImportBatch",
    "Invitation",
    "LedgerAccount",
    "LedgerEntry",
    "Meeting",
    "Membership",
    "Minutes",
    "MinutesSignature",
    "OpenBallot",
    "PaperEntry",
    "PaperResolution",
    "Participation",
    "PoliticalRightsRecord",
    "Resident",
    "ResidentGroup",
    "ResidentVersion",
    "RoleAssignment",
    "SecretBallot",
    "SignerCertificate",
    "ThrottleEvent",
    "User",
    "VerificationCode",
    "Vote",
    "VoteRoll",
    "VoterRollPublication",
]
