"""Signed minutes (issue 5) through the service, on SQLite and PostgreSQL: the draft, the three
signatures in order, each PDF validated by pyHanko and by poppler's pdfsig after each step, the
audit trail's document hashes, errata, revocation, and every refusal the issue names."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from consult.accounts import service as accounts
from consult.accounts.models import RoleAssignment
from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.documents import pki
from consult.documents import service as documents
from consult.documents.models import (
    Minutes,
    MinutesSignature,
    MinutesState,
    SignerCertificate,
)
from consult.documents.signing import sign_pdf
from consult.documents.toolkit import toolkit
from consult.errors import Conflict, Invalid, NotAllowed
from consult.extensions import db
from consult.registry.enrolment import actor_for
from tests.factories import make_meeting, make_resident, make_user

PASSPHRASES = {
    "recorder": "记录人的口令-2026",
    "chair": "chair passphrase 9",
    "supervisor": "监督 passphrase",
}


@pytest.fixture
def tools(app: Flask) -> Iterator[documents.Toolkit]:
    with app.test_request_context():
        # The public verification page's address is the web pages' business; any will do here.
        yield replace(toolkit(), verification_url=lambda d: f"https://consult.test/verify?d={d}")


@pytest.fixture
def signers(world: Any) -> dict[str, Actor]:
    community = world.community
    recorder = make_user(
        "recorder@example.org",
        community=community,
        roles=("recorder",),
        resident=make_resident(community, name="李记录", household="H101"),
    )
    chair = make_user(
        "chair@example.org",
        community=community,
        roles=("chair",),
        resident=make_resident(community, name="王主任", household="H102"),
    )
    supervisor = world.users["supervisor"]
    db.session.flush()
    return {
        "recorder": actor_for(recorder, community.id),
        "chair": actor_for(chair, community.id),
        "supervisor": actor_for(supervisor, community.id),
        "staff": actor_for(world.users["staff"], community.id),
        "resident": actor_for(world.users["resident"], community.id),
    }


@pytest.fixture
def meeting(world: Any) -> Any:
    return make_meeting(
        world.community,
        agenda=(("年度工作报告", "ordinary"), ("修缮小区围墙", "ordinary")),
        state="adjourned",
    )


def _draft(actor: Actor, meeting: Any) -> Minutes:
    notes = ("报告经讨论通过。", "决定下月开工。")
    return documents.save_minutes(
        actor,
        meeting,
        "会议由**主持人**宣布开始。<script>alert(1)</script>",
        {item.id: note for item, note in zip(meeting.agenda, notes, strict=False)},
    )


def _pdfsig_valid(pdf: bytes) -> int:
    """How many signatures poppler's pdfsig calls valid (DOCUMENTS.md: its certificate line is
    unreliable on Debian 12, so only the validation line is read)."""
    assert shutil.which("pdfsig"), "poppler-utils (pdfsig) is missing: `make test` installs it"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        result = subprocess.run(
            ["pdfsig", handle.name], capture_output=True, text=True, check=False, timeout=60
        )
    return result.stdout.count("Signature Validation: Signature is Valid.")


def test_draft_to_published_each_step_validates(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit
) -> None:
    minutes = _draft(signers["recorder"], meeting)
    assert minutes.minutes_state is MinutesState.DRAFT
    assert minutes.version == 1
    for step, role in enumerate(("recorder", "chair", "supervisor"), start=1):
        signature = documents.sign_minutes(signers[role], meeting, role, PASSPHRASES[role], tools)
        pdf = signature.pdf
        check = documents.check_pdf(pdf)
        assert check.report.ok, check.as_json("x")
        assert check.report.all_trusted
        assert [s.role for s in check.report.signatures] == ["recorder", "chair", "supervisor"][
            :step
        ]
        assert not check.report.modified_after_last_signature
        assert _pdfsig_valid(pdf) == step
        # The document hash at each step is in the audit trail.
        entry = db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "minutes:minutes:sign")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).scalar_one()
        payload = json.loads(entry.payload)
        assert payload["sha256"] == signature.sha256 == documents._sha256(pdf)
        assert payload["role"] == role
    assert minutes.minutes_state is MinutesState.PUBLISHED
    assert minutes.published_at is not None
    assert check.is_current
    assert check.minutes is not None
    assert check.minutes.id == minutes.id
    # What the PDF says: names, the sanitised text (no script), the document id.
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "李记录" in text
    assert "报告经讨论通过" in text
    assert minutes.document_id in text
    assert "alert(1)" not in text
    # The public reads the published PDF; its bytes are the stored ones, unchanged.
    anonymous = Actor.anonymous()
    shown, served = documents.minutes_pdf(anonymous, meeting)
    assert shown.id == minutes.id
    assert served == pdf
    # Nothing changes in place after the first signature.
    with pytest.raises(Conflict) as refused:
        _draft(signers["recorder"], meeting)
    assert refused.value.code == "minutes_signed"

    # An erratum: version 2 points at version 1, which stays published until v2 is.
    erratum = documents.start_erratum(signers["recorder"], meeting, "第二项决议日期有误")
    assert erratum.version == 2
    assert erratum.previous_id == minutes.id
    assert minutes.minutes_state is MinutesState.PUBLISHED
    assert documents.minutes_pdf(anonymous, meeting)[0].id == minutes.id
    for role in ("recorder", "chair", "supervisor"):
        documents.sign_minutes(signers[role], meeting, role, PASSPHRASES[role], tools)
    assert erratum.minutes_state is MinutesState.PUBLISHED
    assert minutes.minutes_state is MinutesState.SUPERSEDED
    old = documents.check_pdf(pdf)
    assert old.report.ok
    assert not old.is_current
    assert old.minutes is not None
    assert old.minutes.minutes_state is MinutesState.SUPERSEDED
    assert [m.version for m in documents.versions(anonymous, meeting)] == [2, 1]
    # The second round reused each signer's certificate (one per person and role).
    assert db.session.execute(select(func.count(SignerCertificate.id))).scalar_one() == 3


def test_refusals_change_nothing(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit, world: Any
) -> None:
    def signed() -> int:
        return int(db.session.execute(select(func.count(MinutesSignature.id))).scalar_one())

    with pytest.raises(Conflict) as refused:
        documents.sign_minutes(signers["recorder"], meeting, "recorder", "whatever-1", tools)
    assert refused.value.code == "no_minutes"
    _draft(signers["recorder"], meeting)
    # Out of order: the chair before the recorder.
    with pytest.raises(Conflict) as refused:
        documents.sign_minutes(signers["chair"], meeting, "chair", PASSPHRASES["chair"], tools)
    assert refused.value.code == "out_of_order"
    # A signer without the role: staff as recorder; the recorder as chair.
    with pytest.raises(NotAllowed):
        documents.sign_minutes(signers["staff"], meeting, "recorder", "whatever-1", tools)
    with pytest.raises(NotAllowed) as denied:
        documents.sign_minutes(signers["recorder"], meeting, "chair", "whatever-1", tools)
    assert denied.value.code == "not_signer"
    with pytest.raises(NotAllowed):
        documents.sign_minutes(signers["resident"], meeting, "supervisor", "whatever-1", tools)
    with pytest.raises(Invalid):
        documents.sign_minutes(signers["recorder"], meeting, "mayor", "whatever-1", tools)
    # A first passphrase too short to guard a key.
    with pytest.raises(Invalid) as refused_short:
        documents.sign_minutes(signers["recorder"], meeting, "recorder", "short", tools)
    assert refused_short.value.code == "passphrase_short"
    assert signed() == 0
    documents.sign_minutes(signers["recorder"], meeting, "recorder", PASSPHRASES["recorder"], tools)
    # Signing twice in the same role.
    with pytest.raises(Conflict) as refused:
        documents.sign_minutes(
            signers["recorder"], meeting, "recorder", PASSPHRASES["recorder"], tools
        )
    assert refused.value.code == "already_signed"
    documents.sign_minutes(signers["chair"], meeting, "chair", PASSPHRASES["chair"], tools)
    # A wrong passphrase (the supervisor's certificate exists after a first signing elsewhere).
    other = make_meeting(world.community, state="adjourned")
    _draft(signers["recorder"], other)
    documents.sign_minutes(signers["recorder"], other, "recorder", PASSPHRASES["recorder"], tools)
    documents.sign_minutes(signers["chair"], other, "chair", PASSPHRASES["chair"], tools)
    documents.sign_minutes(
        signers["supervisor"], other, "supervisor", PASSPHRASES["supervisor"], tools
    )
    before = signed()
    with pytest.raises(NotAllowed) as denied:
        documents.sign_minutes(signers["supervisor"], meeting, "supervisor", "not it at all", tools)
    assert denied.value.code == "passphrase_wrong"
    assert signed() == before
    # Minutes of a meeting still in session are not signed.
    running = make_meeting(world.community, state="in_session")
    _draft(signers["recorder"], running)
    with pytest.raises(Conflict) as refused:
        documents.sign_minutes(
            signers["recorder"], running, "recorder", PASSPHRASES["recorder"], tools
        )
    assert refused.value.code == "meeting_open"


def test_a_resident_sees_no_draft(meeting: Any, signers: dict[str, Actor]) -> None:
    _draft(signers["recorder"], meeting)
    assert documents.versions(signers["resident"], meeting) == []
    assert len(documents.versions(signers["supervisor"], meeting)) == 1
    with pytest.raises(NotAllowed):
        _draft(signers["resident"], meeting)
    with pytest.raises(NotAllowed):
        _draft(signers["supervisor"], meeting)  # supervisors audit; they do not write


def _published(meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit) -> bytes:
    _draft(signers["recorder"], meeting)
    pdf = b""
    for role in ("recorder", "chair", "supervisor"):
        pdf = documents.sign_minutes(signers[role], meeting, role, PASSPHRASES[role], tools).pdf
    return pdf


def test_tampering_and_foreign_documents(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit
) -> None:
    pdf = _published(meeting, signers, tools)
    # One byte changed in the page content: every signature is broken.
    start = pdf.index(b"stream\n", pdf.index(b"/Contents")) + 20
    changed = pdf[:start] + bytes([pdf[start] ^ 0x01]) + pdf[start + 1 :]
    check = documents.check_pdf(changed)
    assert not check.report.ok
    assert check.minutes is None
    assert not any(s.intact for s in check.report.signatures)
    assert _pdfsig_valid(changed) == 0
    # Content appended after the last signature: pdfsig still calls each signature valid,
    # pyHanko's verdict (and so consult's) does not.
    appended = _append_unsigned_update(pdf)
    check = documents.check_pdf(appended)
    assert check.report.modified_after_last_signature
    assert not check.report.ok
    assert _pdfsig_valid(appended) == 3
    # Not a PDF.
    with pytest.raises(Invalid) as refused:
        documents.check_pdf(b"GIF89a not a pdf at all")
    assert refused.value.code == "not_pdf"
    # A PDF signed elsewhere: valid as a signature, but not trusted and not consult's.
    foreign_ca = pki.make_community_ca("别处", "elsewhere", now=_now())
    stranger = pki.issue_signer_certificate(
        foreign_ca, person_name="外人", role="chair", community_name="别处", user_id=1, now=_now()
    )
    plain = _weasy_pdf()
    signed = sign_pdf(plain, stranger, field="sig-x", certify=True, signed_at=_now())
    check = documents.check_pdf(signed)
    assert check.report.ok
    assert not check.report.all_trusted
    assert not check.ok
    assert check.minutes is None


def test_revocation(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit, world: Any
) -> None:
    pdf = _published(meeting, signers, tools)
    chair_cert = documents.signer_certificate(
        world.community.id, signers["chair"].user_id or 0, documents.SigningRole.CHAIR
    )
    assert chair_cert is not None
    # The chair's role ends: the certificate is revoked with it, what was signed stays valid.
    assignment = db.session.execute(
        select(RoleAssignment).where(
            RoleAssignment.user_id == signers["chair"].user_id, RoleAssignment.role == "chair"
        )
    ).scalar_one()
    accounts.revoke_role(signers["staff"], world.community.id, assignment.id)
    assert chair_cert.revoked_at is not None
    assert chair_cert.revocation_reason == documents.ROLE_ENDED
    assert documents.check_pdf(pdf).report.ok
    # The CRL lists it.
    from cryptography import x509

    crl = x509.load_der_x509_crl(documents.revocation_list(world.community, tools.cipher))
    assert crl.get_revoked_certificate_by_serial_number(int(chair_cert.serial, 16)) is not None
    # The recorder reports a lost key: everything signed with it is no longer valid.
    recorder_cert = documents.signer_certificate(
        world.community.id, signers["recorder"].user_id or 0, documents.SigningRole.RECORDER
    )
    assert recorder_cert is not None
    documents.revoke_certificate(signers["recorder"], recorder_cert.id, documents.KEY_COMPROMISE)
    check = documents.check_pdf(pdf)
    assert not check.report.ok
    recorder_sig = check.report.signatures[0]
    assert not recorder_sig.valid
    assert "revoked" in recorder_sig.problems
    with pytest.raises(Conflict):
        documents.revoke_certificate(
            signers["recorder"], recorder_cert.id, documents.KEY_COMPROMISE
        )


def test_init_makes_an_authority_per_community(world: Any, tools: documents.Toolkit) -> None:
    made = documents.ensure_authorities(Actor.system("tests"), tools.cipher)
    assert made >= 2
    assert documents.ensure_authorities(Actor.system("tests"), tools.cipher) == 0
    pem = documents.authority_pem(world.community)
    assert pem.startswith("-----BEGIN CERTIFICATE-----")


# ---------------------------------------------------------------- helpers


def _now() -> Any:
    from consult import clock

    return clock.now()


def _weasy_pdf() -> bytes:
    import weasyprint

    return bytes(weasyprint.HTML(string="<p>elsewhere</p>").write_pdf())


def _append_unsigned_update(pdf: bytes) -> bytes:
    """An incremental update after the last signature that signs nothing (a changed title)."""
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    info = generic.DictionaryObject({generic.NameObject("/Title"): generic.TextStringObject("x")})
    writer.trailer["/Info"] = writer.add_object(info)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_path_is_served_for_the_committee_while_signing(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit
) -> None:
    _draft(signers["recorder"], meeting)
    documents.sign_minutes(signers["recorder"], meeting, "recorder", PASSPHRASES["recorder"], tools)
    minutes, pdf = documents.minutes_pdf(signers["supervisor"], meeting)
    assert minutes.minutes_state is MinutesState.SIGNING
    assert pdf.startswith(b"%PDF")
    from consult.errors import NotFound

    with pytest.raises(NotFound):
        documents.minutes_pdf(Actor.anonymous(), meeting)


def test_wrong_passphrases_rest_the_key(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit, world: Any
) -> None:
    from consult.errors import TooMany

    _draft(signers["recorder"], meeting)
    documents.sign_minutes(signers["recorder"], meeting, "recorder", PASSPHRASES["recorder"], tools)
    other = make_meeting(world.community, state="adjourned")
    _draft(signers["recorder"], other)
    for _ in range(documents.PASSPHRASE_FAILURES_MAX):
        with pytest.raises(NotAllowed):
            documents.sign_minutes(signers["recorder"], other, "recorder", "guess-guess", tools)
    # Even the right passphrase is not tried until the window has passed.
    with pytest.raises(TooMany) as locked:
        documents.sign_minutes(
            signers["recorder"], other, "recorder", PASSPHRASES["recorder"], tools
        )
    assert locked.value.code == "passphrase_locked"


def test_what_a_pdf_cannot_print_is_refused(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit
) -> None:
    documents.save_minutes(signers["recorder"], meeting, "私用区字符：\ue000", {})
    with pytest.raises(Invalid) as refused:
        documents.sign_minutes(
            signers["recorder"], meeting, "recorder", PASSPHRASES["recorder"], tools
        )
    assert refused.value.code == "missing_glyph"
    assert db.session.execute(select(func.count(MinutesSignature.id))).scalar_one() == 0


def test_a_signer_needs_a_name_and_their_own_certificate(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit, world: Any
) -> None:
    nameless = make_user(
        "nameless@example.org", community=world.community, roles=("recorder",), display_name=""
    )
    _draft(signers["recorder"], meeting)
    with pytest.raises(Conflict) as refused:
        documents.sign_minutes(
            actor_for(nameless, world.community.id), meeting, "recorder", "long-enough-1", tools
        )
    assert refused.value.code == "signer_unnamed"
    # A PKCS#12 from elsewhere that names another person is refused; one naming the signer
    # replaces the certificate in force.
    foreign = pki.make_community_ca("别处", "elsewhere", now=_now())
    stranger = pki.issue_signer_certificate(
        foreign, person_name="外人", role="recorder", community_name="别处", user_id=9, now=_now()
    )
    with pytest.raises(Invalid) as wrong:
        documents.upload_certificate(
            signers["recorder"],
            world.community,
            "recorder",
            pki.pack_pkcs12(stranger, "p12-passphrase"),
            "p12-passphrase",
        )
    assert wrong.value.code == "certificate_other_person"
    own = pki.issue_signer_certificate(
        foreign, person_name="李记录", role="recorder", community_name="别处", user_id=9, now=_now()
    )
    row = documents.upload_certificate(
        signers["recorder"],
        world.community,
        "recorder",
        pki.pack_pkcs12(own, "p12-passphrase"),
        "p12-passphrase",
    )
    assert row.is_external
    signed = documents.sign_minutes(
        signers["recorder"], meeting, "recorder", "p12-passphrase", tools
    )
    check = documents.check_pdf(signed.pdf)
    assert check.report.ok
    assert not check.report.all_trusted  # signed, but not under a community's CA


def test_published_minutes_outlive_their_certificates(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit
) -> None:
    """Minutes are kept for ever; signer certificates last five years. A file consult issued is
    judged as of consult's record of its signing, so it stays valid; the same bytes judged as
    of now by pyHanko alone report the expiry."""
    from datetime import timedelta

    from consult import clock
    from consult.documents.verify import verify_pdf

    pdf = _published(meeting, signers, tools)
    later = _now() + timedelta(days=6 * 366)
    with clock.frozen_at(later):
        check = documents.check_pdf(pdf)
        assert check.report.ok
        assert check.report.all_trusted
        assert check.is_current
        bare = verify_pdf(pdf, trust_roots=documents.authority_certificates(), now=later)
    assert not bare.all_trusted


def test_minutes_in_english(
    meeting: Any, signers: dict[str, Actor], tools: documents.Toolkit
) -> None:
    with pytest.raises(Invalid) as refused:
        documents.save_minutes(signers["recorder"], meeting, "x", {}, "fr")
    assert refused.value.code == "invalid_lang"
    minutes = documents.save_minutes(signers["recorder"], meeting, "Opened on time.", {}, "en")
    assert minutes.lang == "en"
    pdf = documents.sign_minutes(
        signers["recorder"], meeting, "recorder", PASSPHRASES["recorder"], tools
    ).pdf
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Page 1 of" in text
    assert "Opened on time." in text
    assert "第 1 页" not in text
    assert documents.check_pdf(pdf).report.ok
