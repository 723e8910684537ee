"""Signed minutes (issue 5): the community's certificate authority, signers' certificates, the
minutes of a meeting from draft to published, and checking a PDF someone hands us.

The order of signatures is the recorder's (a certification signature that creates the empty
fields for the others), then the chair's, then a supervisory committee member's
countersignature; after the first signature nothing changes in place — a correction is a new
version (erratum) that points at the old one. Each signature stores the whole PDF as it stood
afterwards, and its SHA-256 goes into the audit trail.

Rendering needs the edge's template environment and locale, so the edge hands a `Toolkit`
(render, verification URL, the field cipher, the stamp font's cache folder); nothing here
imports Flask or commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import select

from consult import clock
from consult.accounts import service as accounts
from consult.accounts.models import RoleAssignment, User
from consult.accounts.policy import can, require
from consult.actor import Actor, Role
from consult.audit.service import record
from consult.crypto.canonical import canonical_json
from consult.crypto.fields import FieldCipher
from consult.disclosure.models import Disclosure, DisclosureSignature, DisclosureState
from consult.documents import pki
from consult.documents.fonts import FontMissing, GlyphMissing, stamp_font_path
from consult.documents.markdown_text import markdown_to_safe_html
from consult.documents.minutes_layout import (
    SIGNATURE_IDS,
    AgendaItem,
    Attendee,
    MinutesDocument,
    Quorum,
    RuleRef,
    VoteResult,
)
from consult.documents.models import (
    SIGNING_ORDER,
    CertificateAuthority,
    Minutes,
    MinutesSignature,
    MinutesState,
    SignerCertificate,
    SigningRole,
)
from consult.documents.render import MissingGlyph, RenderedPdf
from consult.documents.signing import LocalKeySigner, SigningFailed, StampText, sign_pdf
from consult.documents.verify import NotAPdf, PdfReport, SignatureReport, verify_pdf
from consult.errors import Conflict, Invalid, NotAllowed, NotFound, TooMany
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import AgendaItem as MeetingItem
from consult.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingState
from consult.registry.models import Community, Resident
from consult.voting import service as voting

if TYPE_CHECKING:  # the disclosure layout imports nothing from here; only the type is needed
    from consult.documents.disclosure_layout import DisclosureDocument

#: A passphrase guards the only copy of a signer's key: long enough to resist guessing the
#: PKCS#12 offline (it is hashed 600,000 times, pki.PKCS12_ITERATIONS).
MIN_PASSPHRASE = 8
MAX_TEXT = 50_000
#: Revocation reasons (RFC 5280 names). Only a compromised key taints what was signed before.
KEY_COMPROMISE = "key_compromise"
ROLE_ENDED = "affiliation_changed"
REVOCATION_REASONS = (KEY_COMPROMISE, ROLE_ENDED, "superseded", "cessation_of_operation")
#: Wrong passphrases tried on one signing key before it rests (the key's own throttle; the
#: pages add a per-address limit on top).
PASSPHRASE_FAILURES_MAX = 5
PASSPHRASE_WINDOW_MINUTES = 15
_THROTTLE_KIND = "signing_passphrase"


#: The languages a PDF is written in (the document's `lang`): Simplified Chinese, the default,
#: or English (for instance for a community's foreign residents or an outside auditor).
DOCUMENT_LANGUAGES = ("zh-Hans", "en")
#: Words the service itself puts into a document, by its language.
_WORDS = {
    "zh-Hans": {
        "secret": "无记名投票",
        "named": "记名投票",
        "proxy": "委托",
        "erratum": "勘误（第 {version} 版）",
        "recorder": "记录人签名",
        "chair": "主持人签名",
        "supervisor": "监督委员会成员签名",
    },
    "en": {
        "secret": "secret ballot",
        "named": "named vote",
        "proxy": "by proxy",
        "erratum": "Erratum (version {version})",
        "recorder": "signed by the recorder",
        "chair": "signed by the chair",
        "supervisor": "countersigned by the supervisory committee",
    },
}


@dataclass(frozen=True)
class Toolkit:
    """What signing needs from the edge."""

    cipher: FieldCipher
    render: Callable[[MinutesDocument], RenderedPdf]  # in the document's language
    verification_url: Callable[[str], str]  # the public page for a document id
    font_dir: Path | None = None  # where the stamp font is extracted once
    timestamp_url: str | None = None  # an RFC 3161 service, if configured
    # Disclosures (issue 6), in the document's language; None where only minutes are signed.
    render_disclosure: Callable[[DisclosureDocument], RenderedPdf] | None = None


# ---------------------------------------------------------------- the certificate authority


def _ca_field(community_id: int) -> str:
    # Bound to the community: a CA row copied to another community does not open.
    return f"certificate_authority:{community_id}"


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _authority_row(community_id: int) -> CertificateAuthority | None:
    return db.session.execute(
        select(CertificateAuthority).where(CertificateAuthority.community_id == community_id)
    ).scalar_one_or_none()


def authority(actor: Actor, community: Community, cipher: FieldCipher) -> pki.CertificateAuthority:
    """The community's CA, made (and audited) the first time it is needed."""
    row = _authority_row(community.id)
    if row is None:
        # Two first signatures at once must not make two CAs: queue on the community's row.
        db.session.execute(
            select(Community.id).where(Community.id == community.id).with_for_update()
        )
        row = _authority_row(community.id)
    if row is not None:
        key_pem = cipher.decrypt(row.private_key_encrypted, _ca_field(community.id))
        cert = x509.load_pem_x509_certificate(row.certificate_pem.encode("ascii"))
        key = serialization.load_pem_private_key(key_pem.encode("ascii"), password=None)
        return pki.CertificateAuthority(certificate=cert, private_key=key)  # type: ignore[arg-type]
    ca = pki.make_community_ca(community.name, community.code, now=clock.now())
    key_pem = ca.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    row = CertificateAuthority(
        community_id=community.id,
        certificate_pem=ca.certificate_pem().decode("ascii"),
        private_key_encrypted=cipher.encrypt(key_pem, _ca_field(community.id)),
        fingerprint=_fingerprint(ca.certificate),
        created_at=clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "documents:authority:create",
        "certificate_authority",
        row.id,
        community_id=community.id,
        payload={
            "fingerprint": row.fingerprint,
            "subject": ca.certificate.subject.rfc4514_string(),
        },
    )
    return ca


def ensure_authorities(actor: Actor, cipher: FieldCipher) -> int:
    """`consult init`: a CA for every community that has none. Returns how many were made."""
    made = 0
    for community in db.session.execute(select(Community).order_by(Community.id)).scalars():
        if _authority_row(community.id) is None:
            authority(actor, community, cipher)
            made += 1
    return made


def authority_certificates() -> list[x509.Certificate]:
    """Every community's CA certificate: the trust roots for checking a consult PDF."""
    return [
        x509.load_pem_x509_certificate(pem.encode("ascii"))
        for pem in db.session.execute(select(CertificateAuthority.certificate_pem)).scalars()
    ]


def authority_pem(community: Community) -> str:
    row = _authority_row(community.id)
    if row is None:
        raise NotFound("this community has not issued certificates yet")
    return row.certificate_pem


def revocation_list(community: Community, cipher: FieldCipher) -> bytes:
    """The community's CRL (DER), made fresh: every certificate it revoked, with the time."""
    if _authority_row(community.id) is None:
        raise NotFound("this community has not issued certificates yet")
    ca = authority(Actor.system("crl"), community, cipher)
    revoked = db.session.execute(
        select(SignerCertificate.serial, SignerCertificate.revoked_at).where(
            SignerCertificate.community_id == community.id,
            SignerCertificate.is_external.is_(False),
            SignerCertificate.revoked_at.is_not(None),
        )
    ).all()
    entries = [(int(serial, 16), at) for serial, at in revoked if at is not None]
    return pki.make_crl(ca, entries, now=clock.now())


# ---------------------------------------------------------------- signers' certificates


def _require_role(
    actor: Actor, community_id: int, role: SigningRole, permission: str = "minutes:minutes:sign"
) -> None:
    """Signing in a role needs that role itself (a platform admin holds no signing role)."""
    require(actor, permission, community_id)
    if Role(role.value) not in actor.roles:
        raise NotAllowed(
            f"only a holder of the {role.value} role signs as {role.value}", code="not_signer"
        )


def _role(value: str, allowed: Sequence[SigningRole] = SIGNING_ORDER) -> SigningRole:
    try:
        role = SigningRole(value)
        if role not in allowed:
            raise ValueError(value)
        return role
    except ValueError:
        raise Invalid(
            "no such signing role",
            details={"role": "one of " + ", ".join(r.value for r in allowed)},
            code="invalid_role",
        ) from None


def signer_certificate(
    community_id: int, user_id: int, role: SigningRole
) -> SignerCertificate | None:
    """The signer's certificate in force for that role (the newest not revoked)."""
    return db.session.execute(
        select(SignerCertificate)
        .where(
            SignerCertificate.community_id == community_id,
            SignerCertificate.user_id == user_id,
            SignerCertificate.role == role.value,
            SignerCertificate.revoked_at.is_(None),
        )
        .order_by(SignerCertificate.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _store_certificate(
    actor: Actor,
    community_id: int,
    role: SigningRole,
    identity: pki.SignerIdentity,
    pkcs12: bytes,
    *,
    external: bool,
) -> SignerCertificate:
    assert actor.user_id is not None
    cert = identity.certificate
    fingerprint = _fingerprint(cert)
    if db.session.execute(
        select(SignerCertificate.id).where(SignerCertificate.fingerprint == fingerprint)
    ).first():
        raise Conflict("this certificate is already registered", code="certificate_known")
    row = SignerCertificate(
        community_id=community_id,
        user_id=actor.user_id,
        role=role.value,
        serial=format(cert.serial_number, "x"),
        subject=cert.subject.rfc4514_string()[:200],
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        fingerprint=fingerprint,
        pkcs12=pkcs12,
        is_external=external,
        issued_at=clock.now(),
        not_after=cert.not_valid_after_utc,
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "documents:certificate:upload" if external else "documents:certificate:issue",
        "signer_certificate",
        row.id,
        community_id=community_id,
        payload={"role": role.value, "fingerprint": fingerprint, "serial": row.serial},
    )
    return row


def _check_new_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise Invalid(
            "choose a passphrase of at least 8 characters: it alone guards your signing key",
            details={"passphrase": f"at least {MIN_PASSPHRASE} characters"},
            code="passphrase_short",
        )


def _issue(
    actor: Actor, community: Community, role: SigningRole, passphrase: str, cipher: FieldCipher
) -> tuple[SignerCertificate, pki.SignerIdentity]:
    """First signing in a role: a key and certificate from the community's CA, kept only in a
    PKCS#12 the signer's new passphrase encrypts (consult never stores the passphrase)."""
    _check_new_passphrase(passphrase)
    user = db.session.get(User, actor.user_id)
    assert user is not None
    ca = authority(actor, community, cipher)
    identity = pki.issue_signer_certificate(
        ca,
        person_name=_signer_name(user),
        role=role.value,
        community_name=community.name,
        user_id=user.id,
        now=clock.now(),
    )
    row = _store_certificate(
        actor, community.id, role, identity, pki.pack_pkcs12(identity, passphrase), external=False
    )
    return row, identity


def _open(row: SignerCertificate, passphrase: str) -> pki.SignerIdentity:
    """The signer's key. Wrong passphrases are counted per key (as failed sign-ins are per
    account): after PASSPHRASE_FAILURES_MAX within the window the key is not tried at all. The
    edge commits a failure even though it answers with an error (code passphrase_wrong)."""
    window = timedelta(minutes=PASSPHRASE_WINDOW_MINUTES)
    if accounts.recent_failures(_THROTTLE_KIND, row.fingerprint, window) >= PASSPHRASE_FAILURES_MAX:
        raise TooMany(
            "too many wrong passphrases for this signing key: try again in "
            f"{PASSPHRASE_WINDOW_MINUTES} minutes",
            code="passphrase_locked",
        )
    try:
        return pki.open_pkcs12(row.pkcs12, passphrase)
    except pki.WrongPassphrase:
        accounts.note_failure(_THROTTLE_KIND, row.fingerprint)
        raise NotAllowed(
            "the passphrase does not open your signing key", code="passphrase_wrong"
        ) from None


#: The roles a certificate is held for, and what signing in each needs: the minutes' three
#: signers, and staff, who sign disclosure statements (issue 6; consult.documents.statements).
CERTIFICATE_ROLES = (*SIGNING_ORDER, SigningRole.STAFF)
_SIGNING_PERMISSION = {SigningRole.STAFF: "disclosure:disclosure:publish"}


def upload_certificate(
    actor: Actor, community: Community, role: str, data: bytes, passphrase: str
) -> SignerCertificate:
    """A signer brings a PKCS#12 issued elsewhere for a role (it replaces the one in force)."""
    signing_role = _role(role, CERTIFICATE_ROLES)
    _require_role(
        actor,
        community.id,
        signing_role,
        _SIGNING_PERMISSION.get(signing_role, "minutes:minutes:sign"),
    )
    try:
        identity = pki.open_pkcs12(data, passphrase)
    except pki.WrongPassphrase:
        raise Invalid(
            "the passphrase does not open this file",
            details={"passphrase": "wrong"},
            code="passphrase_wrong",
        ) from None
    except (pki.NotAPkcs12, pki.UnsupportedKey) as exc:
        raise Invalid(str(exc), details={"file": str(exc)}, code="not_pkcs12") from None
    if identity.certificate.not_valid_after_utc <= clock.now():
        raise Invalid("this certificate has expired", details={"file": "expired"}, code="expired")
    assert actor.user_id is not None
    user = db.session.get(User, actor.user_id)
    assert user is not None
    # The stamp prints the signer's name: the certificate must name the same person.
    named = pki.common_name(identity.certificate.subject)
    if named != _signer_name(user):
        raise Invalid(
            "this certificate names someone else",
            details={"file": f"issued to {named!r}, not to {_signer_name(user)!r}"},
            code="certificate_other_person",
        )
    current = signer_certificate(community.id, actor.user_id, signing_role)
    if current is not None:
        _revoke(actor, current, "superseded")
    return _store_certificate(actor, community.id, signing_role, identity, data, external=True)


def _revoke(actor: Actor, row: SignerCertificate, reason: str) -> None:
    row.revoked_at = clock.now()
    row.revocation_reason = reason
    db.session.flush()
    record(
        actor,
        "documents:certificate:revoke",
        "signer_certificate",
        row.id,
        community_id=row.community_id,
        payload={"reason": reason, "fingerprint": row.fingerprint, "serial": row.serial},
    )


def revoke_certificate(actor: Actor, certificate_id: int, reason: str) -> SignerCertificate:
    """Revoke a certificate: its holder or staff (a lost key, a role ended by hand)."""
    row = db.session.get(SignerCertificate, certificate_id)
    if row is None:
        raise NotFound("no such certificate")
    if row.user_id != actor.user_id:
        require(actor, "documents:certificate:revoke", row.community_id)
    if reason not in REVOCATION_REASONS:
        raise Invalid(
            "no such revocation reason",
            details={"reason": "one of " + ", ".join(REVOCATION_REASONS)},
            code="invalid_reason",
        )
    if row.revoked_at is not None:
        raise Conflict("this certificate is already revoked", code="already_revoked")
    _revoke(actor, row, reason)
    return row


def _role_ended(actor: Actor, assignment: RoleAssignment) -> None:
    """accounts.ROLE_ENDED hook: a signer's certificates for that role are revoked with it
    (issue 5). The reason says the key was not compromised: what they signed before stays valid."""
    if assignment.role not in {r.value for r in SigningRole}:
        return
    rows = db.session.execute(
        select(SignerCertificate).where(
            SignerCertificate.community_id == assignment.community_id,
            SignerCertificate.user_id == assignment.user_id,
            SignerCertificate.role == assignment.role,
            SignerCertificate.revoked_at.is_(None),
        )
    ).scalars()
    for row in rows:
        _revoke(actor, row, ROLE_ENDED)


accounts.ROLE_ENDED.append(_role_ended)


def certificates_of(actor: Actor, community: Community) -> list[SignerCertificate]:
    """The actor's own certificates in the community, newest first."""
    if actor.user_id is None:
        return []
    return list(
        db.session.execute(
            select(SignerCertificate)
            .where(
                SignerCertificate.community_id == community.id,
                SignerCertificate.user_id == actor.user_id,
            )
            .order_by(SignerCertificate.id.desc())
        ).scalars()
    )


# ---------------------------------------------------------------- minutes


def person_names(user_ids: Iterable[int]) -> dict[int, str]:
    """The names documents and their pages print for users, in one query: each one's resident's
    name, else their display name; never an e-mail address (the PDF is public). "" when a user
    has neither."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.id, Resident.name, User.display_name)
        .outerjoin(Resident, Resident.id == User.resident_id)
        .where(User.id.in_(ids))
    ).all()
    return {uid: resident or (display or "").strip() for uid, resident, display in rows}


def _signer_name(user: User) -> str:
    name = person_names([user.id]).get(user.id, "")
    if not name:
        raise Conflict(
            "a signature names its signer: ask staff to record your name first",
            code="signer_unnamed",
        )
    return name


def versions(actor: Actor, meeting: Meeting) -> list[Minutes]:
    """Every version of the meeting's minutes, newest first; drafts and versions still being
    signed only for the committee and the supervisors."""
    rows = list(
        db.session.execute(
            select(Minutes).where(Minutes.meeting_id == meeting.id).order_by(Minutes.version.desc())
        ).scalars()
    )
    if can(actor, "minutes:draft:read", meeting.community_id):
        return rows
    return [m for m in rows if m.state in (MinutesState.PUBLISHED, MinutesState.SUPERSEDED)]


def current_minutes(actor: Actor, meeting: Meeting) -> Minutes | None:
    """The newest version the actor may see."""
    found = versions(actor, meeting)
    return found[0] if found else None


def published_minutes(meeting: Meeting) -> Minutes | None:
    return db.session.execute(
        select(Minutes).where(
            Minutes.meeting_id == meeting.id, Minutes.state == MinutesState.PUBLISHED
        )
    ).scalar_one_or_none()


def signatures(minutes: Minutes) -> list[MinutesSignature]:
    return list(
        db.session.execute(
            select(MinutesSignature)
            .where(MinutesSignature.minutes_id == minutes.id)
            .order_by(MinutesSignature.id)
        ).scalars()
    )


def _notes(meeting: Meeting, notes: Mapping[int, str]) -> str:
    items = {item.id for item in meeting.agenda}
    unknown = sorted(set(notes) - items)
    if unknown:
        raise Invalid(
            "notes for an agenda item of another meeting",
            details={"items": f"not on this agenda: {', '.join(map(str, unknown))}"},
            code="unknown_item",
        )
    for text in notes.values():
        if len(text) > MAX_TEXT:
            raise Invalid("the notes are too long", details={"notes": f"at most {MAX_TEXT}"})
    return canonical_json({str(k): v for k, v in sorted(notes.items()) if v.strip()})


def save_minutes(
    actor: Actor,
    meeting: Meeting,
    text: str,
    notes: Mapping[int, str],
    lang: str | None = None,
) -> Minutes:
    """The recorder's draft: free text and notes per agenda item (Markdown). Attendance and vote
    results are filled in from the meeting itself when the recorder signs."""
    require(actor, "minutes:minutes:write", meeting.community_id)
    if meeting.meeting_state in (MeetingState.DRAFT, MeetingState.NOTICED):
        raise Conflict("minutes are written once the meeting has begun", code="meeting_not_begun")
    if len(text) > MAX_TEXT:
        raise Invalid("the text is too long", details={"text": f"at most {MAX_TEXT} characters"})
    notes_json = _notes(meeting, notes)
    if lang is not None and lang not in DOCUMENT_LANGUAGES:
        raise Invalid(
            "no such document language",
            details={"lang": "one of " + ", ".join(DOCUMENT_LANGUAGES)},
            code="invalid_lang",
        )
    latest = _latest(meeting)
    if latest is not None and latest.minutes_state is not MinutesState.DRAFT:
        raise Conflict(
            "these minutes are signed: a correction is an erratum, a new version",
            details={"state": latest.state},
            code="minutes_signed",
        )
    if latest is None:
        latest = Minutes(
            meeting_id=meeting.id,
            community_id=meeting.community_id,
            version=1,
            document_id=_document_id(),
            created_by=actor.user_id,
            created_at=clock.now(),
        )
        db.session.add(latest)
    latest.text = text
    latest.notes_json = notes_json
    if lang is not None:
        latest.lang = lang
    latest.updated_at = clock.now()
    db.session.flush()
    record(
        actor,
        "minutes:minutes:write",
        "minutes",
        latest.id,
        community_id=meeting.community_id,
        payload={"meeting_id": meeting.id, "version": latest.version},
    )
    return latest


def _latest(meeting: Meeting) -> Minutes | None:
    return db.session.execute(
        select(Minutes)
        .where(Minutes.meeting_id == meeting.id)
        .order_by(Minutes.version.desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()


def _document_id() -> str:
    # Random, not a sequence: a document id printed on paper reveals nothing about others.
    return "MIN-" + secrets.token_hex(8).upper()


def start_erratum(actor: Actor, meeting: Meeting, reason: str) -> Minutes:
    """A correction of published minutes: a new draft version pointing at the published one,
    starting from its text; the old one stays published until the new one is."""
    require(actor, "minutes:minutes:write", meeting.community_id)
    reason = reason.strip()
    if not reason:
        raise Invalid("say what the erratum corrects", details={"reason": "required"})
    latest = _latest(meeting)
    if latest is None or latest.minutes_state is not MinutesState.PUBLISHED:
        raise Conflict(
            "only published minutes are corrected by an erratum; a draft is simply edited",
            code="minutes_not_published",
        )
    erratum = Minutes(
        meeting_id=meeting.id,
        community_id=meeting.community_id,
        version=latest.version + 1,
        previous_id=latest.id,
        erratum_reason=reason[:2000],
        document_id=_document_id(),
        text=latest.text,
        notes_json=latest.notes_json,
        lang=latest.lang,
        created_by=actor.user_id,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    db.session.add(erratum)
    db.session.flush()
    record(
        actor,
        "minutes:erratum:create",
        "minutes",
        erratum.id,
        community_id=meeting.community_id,
        payload={"meeting_id": meeting.id, "version": erratum.version, "corrects": latest.id},
    )
    return erratum


def _local(community: Community, at: datetime, lang: str) -> str:
    moment = at.astimezone(ZoneInfo(community.timezone))
    if lang.startswith("zh"):
        return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
    return f"{moment:%Y-%m-%d %H:%M}"


def _vote_results(item: MeetingItem, lang: str) -> tuple[VoteResult, ...]:
    results = []
    for vote in voting.votes_of_item(item):
        data = vote.result_data
        if data is None:
            continue
        counts: dict[str, int] = dict(data.get("counts", {}))
        rule = data.get("rule" if lang.startswith("zh") else "rule_en") or data.get("rule", {})
        motion = vote.title
        if set(counts) - {"yes", "no", "abstain"}:
            # Options or candidates: every count in the motion's line.
            motion += " (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")"
        results.append(
            VoteResult(
                motion=motion,
                in_favour=counts.get("yes", 0),
                against=counts.get("no", 0),
                abstentions=counts.get("abstain", 0),
                adopted=data.get("outcome") == "adopted",
                threshold=str(rule.get("threshold") or rule.get("basis") or ""),
                rule=RuleRef(str(rule.get("id", "")), str(rule.get("citation", ""))),
                method=_WORDS[lang]["secret" if vote.secret else "named"],
                eligible=data.get("eligible"),
            )
        )
    return tuple(results)


def _attendance(meeting: Meeting, lang: str) -> tuple[list[Attendee], list[Attendee]]:
    rows = db.session.execute(
        select(Attendance.status, Attendance.departed_at, Resident.name)
        .join(Resident, Resident.id == Attendance.resident_id)
        .where(Attendance.meeting_id == meeting.id)
        .order_by(Attendance.id)
    ).all()
    present = [
        Attendee(name, note=_WORDS[lang]["proxy"] if status == AttendanceStatus.PROXY else "")
        for status, _, name in rows
        if status in (AttendanceStatus.PRESENT, AttendanceStatus.PROXY)
    ]
    absent = [Attendee(name) for status, _, name in rows if status == AttendanceStatus.ABSENT]
    return present, absent


def _role_holder_names(community_id: int, role: Role) -> str:
    holders = list(
        db.session.execute(
            select(RoleAssignment.user_id)
            .where(
                RoleAssignment.community_id == community_id,
                RoleAssignment.role == role.value,
                RoleAssignment.revoked_at.is_(None),
            )
            .order_by(RoleAssignment.user_id)
        ).scalars()
    )
    names = person_names(holders)
    return "、".join(names[uid] for uid in holders if names.get(uid))


def minutes_document(
    meeting: Meeting, minutes: Minutes, recorder: str, verification_url: str
) -> MinutesDocument:
    """What the PDF prints, read from the meeting itself and the recorder's draft."""
    community = db.session.get(Community, meeting.community_id)
    assert community is not None
    quorum = meetings.quorum_json(meeting)
    rule = quorum.get("rule", {})
    present, absent = _attendance(meeting, minutes.lang)
    notes = minutes.notes
    items = tuple(
        AgendaItem(
            number=item.position,
            title=item.title,
            notes_html=markdown_to_safe_html(notes.get(item.id, "")),
            votes=_vote_results(item, minutes.lang),
        )
        for item in meeting.agenda
    )
    text = minutes.text
    if minutes.erratum_reason:
        heading = _WORDS[minutes.lang]["erratum"].format(version=minutes.version)
        text = f"**{heading}**: {minutes.erratum_reason}\n\n{text}"
    return MinutesDocument(
        document_id=minutes.document_id,
        verification_url=verification_url,
        body_name=community.name,
        # A body is usually named after its community (和平里社区居民代表会议): the title
        # prints the community once.
        meeting_kind=meeting.body.name.removeprefix(community.name) or meeting.body.name,
        time=_local(community, meeting.opened_at or meeting.starts_at, minutes.lang)
        + (
            "–" + _local(community, meeting.adjourned_at, minutes.lang)[-5:]
            if meeting.adjourned_at
            else ""
        ),
        place=meeting.location,
        chair=_role_holder_names(meeting.community_id, Role.CHAIR),
        recorder=recorder,
        quorum=Quorum(
            present=int(quorum.get("present", 0)),
            eligible=int(quorum.get("members", 0)),
            required=int(quorum.get("required", 0)),
            met=bool(quorum.get("met")),
            rule=RuleRef(str(rule.get("id", "")), str(rule.get("citation", ""))),
        ),
        attendees=tuple(present),
        absent=tuple(absent),
        items=items,
        recorder_notes_html=markdown_to_safe_html(text),
        lang=minutes.lang,
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signer_identity(
    actor: Actor, community: Community, role: SigningRole, passphrase: str, tools: Toolkit
) -> tuple[SignerCertificate, pki.SignerIdentity, str]:
    """The signer's certificate, key and printed name for a signature in `role`: the first
    signature in a role issues the certificate, protected by the passphrase given now; later
    ones open it with that passphrase (wrong ones are counted)."""
    assert actor.user_id is not None
    row = signer_certificate(community.id, actor.user_id, role)
    if row is None:
        row, identity = _issue(actor, community, role, passphrase, tools.cipher)
    else:
        identity = _open(row, passphrase)
    if row.not_after <= clock.now():
        raise Conflict("your certificate has expired: ask staff to revoke it", code="expired")
    user = db.session.get(User, actor.user_id)
    assert user is not None
    return row, identity, _signer_name(user)


def sign_minutes(
    actor: Actor, meeting: Meeting, role: str, passphrase: str, tools: Toolkit
) -> MinutesSignature:
    """Sign the meeting's minutes in `role`, in order: the recorder renders the PDF and
    certifies it (creating the chair's and the supervisor's fields), the chair signs, a
    supervisor countersigns — then they are published. The first signature in a role issues the
    signer's certificate, protected by the passphrase given now."""
    signing_role = _role(role)
    _require_role(actor, meeting.community_id, signing_role)
    assert actor.user_id is not None
    if meeting.meeting_state is not MeetingState.ADJOURNED:
        raise Conflict("minutes are signed after the meeting is adjourned", code="meeting_open")
    minutes = _latest(meeting)
    if minutes is None:
        raise Conflict("there are no minutes to sign: write the draft first", code="no_minutes")
    done = signatures(minutes)
    roles_done = [SigningRole(s.role) for s in done]
    if signing_role in roles_done:
        raise Conflict(
            f"these minutes are already signed as {signing_role.value}", code="already_signed"
        )
    expected = SIGNING_ORDER[len(done)]
    if signing_role is not expected:
        raise Conflict(
            f"the {expected.value} signs next",
            details={"next": expected.value},
            code="out_of_order",
        )
    if any(s.user_id == actor.user_id for s in done):
        raise Conflict(
            "one person signs the same minutes once: another holder of this role signs",
            code="same_signer",
        )
    community = db.session.get(Community, meeting.community_id)
    assert community is not None
    row, identity, name = signer_identity(actor, community, signing_role, passphrase, tools)
    now = clock.now()
    stamp = StampText.for_role(name, signing_role.value)
    signer = LocalKeySigner(identity)
    with _printable():
        if signing_role is SigningRole.RECORDER:
            url = tools.verification_url(minutes.document_id)
            rendered = tools.render(minutes_document(meeting, minutes, name, url))
            boxes = rendered.anchors
            field_of = dict(zip(SIGNING_ORDER, SIGNATURE_IDS, strict=True))
            own = boxes[field_of[SigningRole.RECORDER]]
            signed = sign_pdf(
                rendered.pdf,
                signer,
                field=field_of[SigningRole.RECORDER],
                box=(own.page, *own.box),
                certify=True,
                new_fields=[
                    (field_of[r], boxes[field_of[r]].page, boxes[field_of[r]].box)
                    for r in SIGNING_ORDER[1:]
                ],
                stamp=stamp,
                font_path=_font(tools),
                reason=_WORDS[minutes.lang]["recorder"],
                location=community.name,
                timestamp_url=tools.timestamp_url,
                signed_at=now,
            )
            minutes.state = MinutesState.SIGNING.value
        else:
            signed = sign_pdf(
                done[-1].pdf,
                signer,
                field=SIGNATURE_IDS[SIGNING_ORDER.index(signing_role)],
                stamp=stamp,
                font_path=_font(tools),
                reason=_WORDS[minutes.lang][signing_role.value],
                location=community.name,
                timestamp_url=tools.timestamp_url,
                signed_at=now,
            )
    signature = MinutesSignature(
        minutes_id=minutes.id,
        role=signing_role.value,
        user_id=actor.user_id,
        certificate_id=row.id,
        signed_at=now,
        sha256=_sha256(signed),
        pdf=signed,
    )
    db.session.add(signature)
    if signing_role is SigningRole.SUPERVISOR:
        _publish(minutes)
    db.session.flush()
    record(
        actor,
        "minutes:minutes:sign",
        "minutes",
        minutes.id,
        community_id=meeting.community_id,
        payload={
            "meeting_id": meeting.id,
            "version": minutes.version,
            "role": signing_role.value,
            "sha256": signature.sha256,  # the document hash at this step
            "certificate": row.fingerprint,
            "published": minutes.state == MinutesState.PUBLISHED,
        },
    )
    return signature


@contextmanager
def _printable() -> Iterator[None]:
    """Text a PDF cannot print is the writer's to fix (422), not a server error: a character no
    installed font has in the draft, or in a signer's name on the stamp."""
    try:
        yield
    except MissingGlyph as exc:
        raise Invalid(
            "the minutes contain characters no installed font can print",
            details={"text": f"cannot print {exc.text!r}: replace or remove them"},
            code="missing_glyph",
        ) from None
    except GlyphMissing as exc:
        raise Invalid(
            "the stamp font cannot print this signer's name",
            details={"name": f"cannot print {exc.text!r}"},
            code="missing_glyph",
        ) from None
    except FontMissing as exc:
        raise Conflict(f"signing is not set up on this server: {exc}", code="stamp_font") from None
    except SigningFailed as exc:
        # e.g. the configured timestamp service did not answer: nothing was signed.
        raise Conflict(f"the signature could not be made: {exc}", code="signing_failed") from None


def _font(tools: Toolkit) -> Path | None:
    return None if tools.font_dir is None else stamp_font_path(tools.font_dir)


def _publish(minutes: Minutes) -> None:
    minutes.state = MinutesState.PUBLISHED.value
    minutes.published_at = clock.now()
    if minutes.previous_id is not None:
        previous = db.session.get(Minutes, minutes.previous_id)
        assert previous is not None
        previous.state = MinutesState.SUPERSEDED.value


def minutes_pdf(actor: Actor, meeting: Meeting) -> tuple[Minutes, bytes]:
    """The newest signed PDF the actor may read: the published minutes for anyone; a version
    still being signed for the committee and the supervisors."""
    for minutes in versions(actor, meeting):
        done = signatures(minutes)
        if done:
            return minutes, done[-1].pdf
    raise NotFound("no signed minutes yet")


def minutes_json(minutes: Minutes) -> dict[str, Any]:
    done = signatures(minutes)
    return {
        "id": minutes.id,
        "meeting_id": minutes.meeting_id,
        "version": minutes.version,
        "previous_id": minutes.previous_id,
        "erratum_reason": minutes.erratum_reason,
        "state": minutes.state,
        "document_id": minutes.document_id,
        "text": minutes.text,
        "lang": minutes.lang,
        "items": [{"agenda_item_id": k, "notes": v} for k, v in minutes.notes.items()],
        "signatures": [
            {"role": s.role, "signed_at": s.signed_at.isoformat(), "sha256": s.sha256} for s in done
        ],
        "next_signer": SIGNING_ORDER[len(done)].value if len(done) < len(SIGNING_ORDER) else None,
        "published_at": minutes.published_at.isoformat() if minutes.published_at else None,
    }


# ---------------------------------------------------------------- checking a PDF


@dataclass(frozen=True)
class DocumentCheck:
    """What the public verification page says of an uploaded PDF."""

    report: PdfReport
    sha256: str
    minutes: Minutes | None  # the version this exact file is a stage of, if consult made it
    stage: MinutesSignature | None  # which signature it stood at
    is_current: bool  # the published version, with all its signatures
    meeting: Meeting | None
    # Issue 6: a disclosure's PDF, and the stage (staff, supervisor) this exact file is.
    disclosure: Disclosure | None = None
    disclosure_stage: DisclosureSignature | None = None

    @property
    def known(self) -> bool:
        return self.minutes is not None or self.disclosure is not None

    @property
    def document_id(self) -> str | None:
        if self.minutes is not None:
            return self.minutes.document_id
        return self.disclosure.document_id if self.disclosure is not None else None

    @property
    def ok(self) -> bool:
        return self.report.ok and self.report.all_trusted

    def as_json(self, file: str) -> dict[str, Any]:
        return {
            **self.report.as_json(file),
            "ok": self.ok,
            "sha256": self.sha256,
            "known": self.known,
            "document_id": self.document_id,
            "version": (self.minutes or self.disclosure).version if self.known else None,  # type: ignore[union-attr]
            "state": (self.minutes or self.disclosure).state if self.known else None,  # type: ignore[union-attr]
            "is_current": self.is_current,
            "meeting_id": self.meeting.id if self.meeting else None,
            "disclosure_id": self.disclosure.id if self.disclosure else None,
        }


def _revoked_at_signing(sig: SignatureReport, recorded: datetime | None) -> bool:
    """A certificate revoked for a compromised key taints every signature; one revoked because
    the role ended taints only signatures made after (consult's own record of the signing time
    when it has one, the signer's claim otherwise)."""
    if sig.certificate is None:
        return False
    row = db.session.execute(
        select(SignerCertificate).where(
            SignerCertificate.fingerprint == _fingerprint(sig.certificate)
        )
    ).scalar_one_or_none()
    if row is None or row.revoked_at is None:
        return False
    if row.revocation_reason == KEY_COMPROMISE:
        return True
    moment = recorded
    if moment is None and sig.signed_at:
        moment = datetime.fromisoformat(sig.signed_at)
    return moment is None or moment >= row.revoked_at


def check_pdf(data: bytes, *, timestamp_roots: Sequence[x509.Certificate] = ()) -> DocumentCheck:
    """Judge any PDF: pyHanko's verdict against every community CA, revocation from our
    records, and whether this exact file is a stage of minutes consult issued (and the current
    one). Raises Invalid for a file that is not a PDF. `timestamp_roots`: the time-stamping
    authorities trusted for signature timestamps (CONSULT_TIMESTAMP_ROOTS).

    A file consult issued is judged as of the moment consult recorded its last signature: with
    no trusted timestamp, consult's own record is what vouches for the signing time, and a
    certificate that expired (five years on) or was retired with its role since then does not
    make permanent minutes invalid. Any other file is judged as of now."""
    digest = _sha256(data)
    stage = db.session.execute(
        select(MinutesSignature).where(MinutesSignature.sha256 == digest)
    ).scalar_one_or_none()
    disclosure_stage = None
    if stage is None:
        disclosure_stage = db.session.execute(
            select(DisclosureSignature).where(DisclosureSignature.sha256 == digest)
        ).scalar_one_or_none()
    recorded_at = stage or disclosure_stage
    try:
        report = verify_pdf(
            data,
            trust_roots=authority_certificates(),
            now=recorded_at.signed_at if recorded_at is not None else None,
            timestamp_roots=timestamp_roots,
        )
    except NotAPdf:
        raise Invalid(
            "this file is not a PDF", details={"file": "not a PDF"}, code="not_pdf"
        ) from None
    minutes = db.session.get(Minutes, stage.minutes_id) if stage is not None else None
    recorded = {s.role: s.signed_at for s in signatures(minutes)} if minutes else {}
    disclosure = None
    if disclosure_stage is not None:
        disclosure = db.session.get(Disclosure, disclosure_stage.disclosure_id)
        recorded = {
            s.role: s.signed_at
            for s in db.session.execute(
                select(DisclosureSignature).where(
                    DisclosureSignature.disclosure_id == disclosure_stage.disclosure_id
                )
            ).scalars()
        }
    judged = []
    for sig in report.signatures:
        if _revoked_at_signing(sig, recorded.get(sig.role or "")):
            sig = replace(sig, valid=False, trusted=False, problems=(*sig.problems, "revoked"))
        judged.append(sig)
    report = PdfReport(tuple(judged), report.modified_after_last_signature)
    meeting = db.session.get(Meeting, minutes.meeting_id) if minutes else None
    is_current = bool(
        minutes is not None
        and stage is not None
        and minutes.state == MinutesState.PUBLISHED
        and stage.role == SigningRole.SUPERVISOR
    )
    if disclosure is not None and disclosure_stage is not None:
        is_current = (
            disclosure.state == DisclosureState.PUBLISHED
            and disclosure_stage.role == SigningRole.SUPERVISOR
        )
    return DocumentCheck(
        report, digest, minutes, stage, is_current, meeting, disclosure, disclosure_stage
    )


def find_document(document_id: str) -> Minutes | None:
    """The minutes a printed document id names (the QR code's link)."""
    return db.session.execute(
        select(Minutes).where(Minutes.document_id == document_id.strip().upper()[:40])
    ).scalar_one_or_none()
