"""Minutes pages through the test client (issue 5): the recorder writes the draft and signs it
(the first time with a new passphrase, typed twice), the chair signs, a supervisor countersigns
and the minutes are published on the meeting's public page and the notice board; refusals are
flashed and change nothing; an erratum makes version 2 while version 1 stays in force until the
correction is published; the public verification page judges an uploaded PDF; a signer's own
certificates, and the community's CA certificate and CRL.

Signing renders and signs a real PDF (about a second each on this machine): the tests share
what they can and keep the number of signatures small.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from flask import Flask
from flask.testing import FlaskClient
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import User
from consult.audit.models import AuditEntry
from consult.documents import pki
from consult.documents.models import Minutes, MinutesSignature, SignerCertificate
from consult.extensions import db
from consult.meetings.models import Meeting
from tests.conftest import World, csrf_token, login
from tests.factories import make_meeting, make_resident, make_user

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PASSPHRASE = {
    "recorder": "记录人的口令 correct",
    "chair": "主持人的口令 battery",
    "supervisor": "监督委员会 staple 口令",
}
NAMES = {"recorder": "陈晓燕", "chair": "王建华", "supervisor": "赵立群"}


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def english(client: FlaskClient) -> FlaskClient:
    client.get("/prefs?lang=en&next=/")
    return client


def post(client: FlaskClient, page: str, url: str, **data: Any) -> Any:
    token = csrf_token(text_of(client.get(page)))
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)


def count(model: Any) -> int:
    return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


@dataclass
class Scene:
    """An adjourned meeting with two agenda items, and the three signers (and a second
    recorder) of its community, each a resident with a Chinese name."""

    meeting: Meeting
    users: dict[str, User]

    def client(self, app: Flask, role: str) -> FlaskClient:
        web = app.test_client()
        login(web, self.users[role].email)
        return english(web)


@pytest.fixture
def scene(world: World) -> Scene:
    clock.freeze(NOW)
    users = {}
    for n, role in enumerate(("recorder", "chair", "supervisor")):
        person = make_resident(world.community, name=NAMES[role], household=f"S{n}")
        users[role] = make_user(
            f"{role}@minutes.test", community=world.community, roles=(role,), resident=person
        )
    meeting = make_meeting(
        world.community,
        title="和平里社区居民会议",
        agenda=(("加装电梯方案", "ordinary"), ("年度工作报告", "ordinary")),
        state="adjourned",
    )
    assert meeting.adjourned_at is not None
    clock.freeze(meeting.adjourned_at + timedelta(hours=20))
    db.session.commit()
    return Scene(meeting, users)


def sign_page(scene: Scene) -> str:
    return f"/meetings/{scene.meeting.id}/minutes/sign"


def write_draft(web: FlaskClient, scene: Scene, text: str = "会议按时召开。") -> Any:
    edit = f"/meetings/{scene.meeting.id}/minutes/edit"
    first, second = scene.meeting.agenda
    return post(
        web,
        edit,
        edit,
        text=text,
        **{
            f"item_{first.id}": "居民**一致**同意加装电梯。\n\n<script>alert(1)</script>",
            f"item_{second.id}": "- 报告宣读\n- 无异议",
        },
    )


def sign(web: FlaskClient, scene: Scene, role: str, passphrase: str, confirm: str | None) -> Any:
    data = {"role": role, "passphrase": passphrase}
    if confirm is not None:
        data["confirm"] = confirm
    return post(web, f"/meetings/{scene.meeting.id}", sign_page(scene), **data)


def publish(app: Flask, scene: Scene) -> dict[str, FlaskClient]:
    """Write the draft and sign it in order, each signer for the first time."""
    clients = {role: scene.client(app, role) for role in ("recorder", "chair", "supervisor")}
    write_draft(clients["recorder"], scene)
    for minutes, role in enumerate(("recorder", "chair", "supervisor")):
        clock.freeze(clock.now() + timedelta(minutes=minutes + 1))
        page = text_of(sign(clients[role], scene, role, PASSPHRASE[role], PASSPHRASE[role]))
        assert "Signed" in page, page[:2000]
    return clients


def pdf_bytes(web: FlaskClient, scene: Scene, version: int | None = None) -> bytes:
    query = f"?version={version}" if version else ""
    response = web.get(f"/meetings/{scene.meeting.id}/minutes.pdf{query}")
    assert response.status_code == 200
    return bytes(response.data)


def verify(web: FlaskClient, data: bytes, name: str = "minutes.pdf") -> Any:
    token = csrf_token(text_of(web.get("/documents/verify")))
    return web.post(
        "/documents/verify",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


# ---------------------------------------------------------------- from draft to published


def test_the_recorder_chair_and_supervisor_sign_in_order_and_the_minutes_are_published(
    app: Flask, world: World, scene: Scene
) -> None:
    recorder = scene.client(app, "recorder")
    meeting_page = f"/meetings/{scene.meeting.id}"
    page = text_of(recorder.get(meeting_page))
    assert "No minutes have been written yet." in page
    assert "Write the minutes" in page
    saved = text_of(write_draft(recorder, scene))
    assert "The draft is saved." in saved
    assert "<strong>一致</strong>" in saved  # the preview, made safe
    assert "<script>alert" not in saved
    page = text_of(recorder.get(meeting_page))
    assert "Draft, last saved" in page
    assert "Sign as Recorder" in page

    # A resident sees no draft and no signing form; the public page says nothing is published.
    resident = app.test_client()
    login(resident, world.users["resident"].email)
    english(resident)
    assert resident.get(meeting_page).status_code == 403
    assert resident.get(sign_page(scene)).status_code == 403
    assert resident.get(f"/meetings/{scene.meeting.id}/minutes/edit").status_code == 403
    public = text_of(resident.get(f"/notices/{scene.meeting.id}"))
    assert "The minutes are not published yet." in public
    assert "会议按时召开" not in public
    assert resident.get(f"/meetings/{scene.meeting.id}/minutes.pdf").status_code == 404

    # The first signature asks for a new passphrase twice; a mismatch is refused.
    form = text_of(recorder.get(sign_page(scene)))
    assert "This is your first signature as Recorder." in form
    assert "consult never stores your passphrase and cannot recover it." in form
    assert 'name="confirm"' in form
    token = csrf_token(form)
    mismatch = recorder.post(
        sign_page(scene),
        data={
            "csrf_token": token,
            "role": "recorder",
            "passphrase": PASSPHRASE["recorder"],
            "confirm": "something else",
        },
    )
    assert mismatch.status_code == 422
    assert "The two passphrases are not the same." in text_of(mismatch)
    short = recorder.post(
        sign_page(scene),
        data={"csrf_token": token, "role": "recorder", "passphrase": "short", "confirm": "short"},
    )
    assert short.status_code == 422
    assert "at least 8 characters" in text_of(short)
    assert count(MinutesSignature) == 0
    assert count(SignerCertificate) == 0

    # Out of order: the chair cannot sign before the recorder.
    chair = scene.client(app, "chair")
    assert "Sign as Chair" not in text_of(chair.get(meeting_page))
    early = text_of(sign(chair, scene, "chair", PASSPHRASE["chair"], PASSPHRASE["chair"]))
    assert "Not yet: the recorder signs first" in early
    assert count(MinutesSignature) == 0
    assert count(SignerCertificate) == 0  # refused before any certificate was made

    signed = text_of(
        sign(recorder, scene, "recorder", PASSPHRASE["recorder"], PASSPHRASE["recorder"])
    )
    assert "Signed as Recorder. Next to sign: Chair." in signed
    assert "Being signed" in signed
    assert "陈晓燕" in signed
    # Signed minutes no longer change.
    assert "Edit the draft" not in signed
    refused = text_of(
        recorder.get(f"/meetings/{scene.meeting.id}/minutes/edit", follow_redirects=True)
    )
    assert "These minutes are signed and no longer change" in refused

    clock.freeze(clock.now() + timedelta(minutes=5))
    page = text_of(chair.get(meeting_page))
    assert "Sign as Chair" in page
    assert "The PDF as signed so far" in page
    assert "Sign as Chair" in text_of(chair.get(sign_page(scene)))
    assert "signed so far" in text_of(chair.get(sign_page(scene)))
    signed = text_of(sign(chair, scene, "chair", PASSPHRASE["chair"], PASSPHRASE["chair"]))
    assert "Signed as Chair. Next to sign: Supervisory committee member." in signed

    # The supervisor reads the PDF signed so far, then countersigns: published.
    supervisor = scene.client(app, "supervisor")
    so_far = pdf_bytes(supervisor, scene)
    assert so_far.startswith(b"%PDF-")
    clock.freeze(clock.now() + timedelta(minutes=5))
    signed = text_of(
        sign(supervisor, scene, "supervisor", PASSPHRASE["supervisor"], PASSPHRASE["supervisor"])
    )
    assert "The minutes are published" in signed
    minutes = db.session.execute(select(Minutes)).scalar_one()
    assert minutes.state == "published"
    assert count(MinutesSignature) == 3

    # Public: the meeting's public page and the notice board, for anyone.
    anyone = english(app.test_client())
    public = text_of(anyone.get(f"/notices/{scene.meeting.id}"))
    assert "Published" in public
    for name in NAMES.values():
        assert name in public
    assert f'/meetings/{scene.meeting.id}/minutes.pdf?version=1"' in public
    board = text_of(anyone.get(f"/c/{world.community.code}/notice-board"))
    assert f'href="/meetings/{scene.meeting.id}/minutes.pdf"' in board
    assert "Minutes (PDF)" in board
    download = anyone.get(f"/meetings/{scene.meeting.id}/minutes.pdf")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("inline;")
    assert f"minutes-{scene.meeting.id}-v1.pdf" in download.headers["Content-Disposition"]
    stored = db.session.execute(
        select(MinutesSignature).where(MinutesSignature.role == "supervisor")
    ).scalar_one()
    assert download.data == stored.pdf  # the stored bytes, unchanged
    assert download.data.startswith(so_far)  # an incremental update of what the chair signed

    # The verification page: green with three signatures, current; one changed byte: red.
    check = verify(anyone, download.data)
    assert check.status_code == 200
    page = text_of(check)
    assert 'class="verdict-box good"' in page
    assert "3 electronic signatures, all intact" in page
    assert "Yes: this is the published version" in page
    for name in NAMES.values():
        assert name in page
    assert page.count('class="sig good"') == 3
    assert "Supervisory committee member" in page
    assert "Nothing was added after the last signature." in page
    # One byte of page content changed: every signature breaks.
    data = bytearray(download.data)
    at = data.index(b"stream\n", 2000) + 20
    data[at] ^= 0x01
    broken = text_of(verify(anyone, bytes(data)))
    assert 'class="verdict-box bad"' in broken
    assert "Do not rely on this file" in broken
    assert "consult has no record of this exact file." in broken
    # The stage the chair signed is known, but not the version in force.
    stage = text_of(verify(anyone, so_far))
    assert "this is an earlier stage, with 2 of the 3 signatures" in stage

    # The QR code's link: which meeting and version, and its state.
    looked = text_of(anyone.get(f"/documents/verify?document={minutes.document_id.lower()}"))
    assert minutes.document_id in looked
    assert "Version 1 of the minutes of “和平里社区居民会议”" in looked
    assert "this version is in force" in looked
    unknown = text_of(anyone.get("/documents/verify?document=MIN-0000"))
    assert "consult knows no document with this number." in unknown


def test_an_erratum_makes_version_two_and_a_wrong_passphrase_changes_nothing(
    app: Flask, world: World, scene: Scene
) -> None:
    clients = publish(app, scene)
    recorder, staff = clients["recorder"], app.test_client()
    login(staff, world.users["staff"].email)
    english(staff)
    meeting_page = f"/meetings/{scene.meeting.id}"
    v1_pdf = pdf_bytes(recorder, scene)

    # Staff (or the recorder) correct published minutes by an erratum, with a reason.
    page = text_of(staff.get(meeting_page))
    assert "Correct these minutes by an erratum" in page
    empty = text_of(post(staff, meeting_page, f"{meeting_page}/minutes/erratum", reason=""))
    assert "Say what the correction changes" in empty
    started = text_of(
        post(staff, meeting_page, f"{meeting_page}/minutes/erratum", reason="出席人数应为 2 人")
    )
    assert "A corrected version is started" in started
    assert "Version 2" in started
    assert "It stays in force until the corrected version is published." in started
    versions = db.session.execute(select(Minutes).order_by(Minutes.version)).scalars().all()
    assert [(m.version, m.state) for m in versions] == [(1, "published"), (2, "draft")]
    assert versions[1].previous_id == versions[0].id

    # The public still gets version 1, and sees no draft.
    anyone = english(app.test_client())
    assert pdf_bytes(anyone, scene) == v1_pdf
    public = text_of(anyone.get(f"/notices/{scene.meeting.id}"))
    assert "Version 2" not in public
    assert "Version 1" in public

    write_draft(recorder, scene, text="勘误后的记录。")
    # A wrong passphrase: refused, flashed, nothing signed or made.
    certificates = count(SignerCertificate)
    audit = count(AuditEntry)
    wrong = sign(recorder, scene, "recorder", "not my passphrase", None)
    assert "The passphrase is not right." in text_of(wrong)
    assert 'name="confirm"' not in text_of(wrong)  # back on the signing page, to try again
    assert count(MinutesSignature) == 3
    assert count(SignerCertificate) == certificates
    assert count(AuditEntry) == audit
    # Signing twice in the same role: the version already has the recorder's signature.
    for n, role in enumerate(("recorder", "chair", "supervisor")):
        clock.freeze(clock.now() + timedelta(minutes=n + 1))
        assert "Signed" in text_of(sign(clients[role], scene, role, PASSPHRASE[role], None))
    again = text_of(sign(recorder, scene, "recorder", PASSPHRASE["recorder"], None))
    assert "There is nothing for you to sign" in again or "already signed" in again

    db.session.expire_all()
    versions = db.session.execute(select(Minutes).order_by(Minutes.version)).scalars().all()
    assert [(m.version, m.state) for m in versions] == [(1, "superseded"), (2, "published")]
    public = text_of(anyone.get(f"/notices/{scene.meeting.id}"))
    assert "Superseded by a correction" in public
    assert "出席人数应为 2 人" in public
    v2_pdf = pdf_bytes(anyone, scene)
    assert v2_pdf != v1_pdf
    assert pdf_bytes(anyone, scene, version=1) == v1_pdf  # kept on record, still downloadable

    # Version 1's file is still intact and valid, but no longer the version in force.
    old = text_of(verify(anyone, v1_pdf))
    assert 'class="verdict-box good"' in old
    assert "No: this version was corrected. Version 2 is in force." in old
    assert "出席人数应为 2 人" in old
    looked = text_of(anyone.get(f"/documents/verify?document={versions[0].document_id}"))
    assert "Corrected: version 2 replaced it." in looked

    # The recorder's role ends: the certificate is revoked (not compromised) and on the CRL;
    # what it signed before stays valid.
    mine = text_of(recorder.get(f"/c/{world.community.code}/certificates"))
    assert "In force" in mine
    row = db.session.execute(
        select(SignerCertificate).where(SignerCertificate.role == "recorder")
    ).scalar_one()
    revoked = text_of(
        post(
            recorder,
            f"/c/{world.community.code}/certificates",
            f"/c/{world.community.code}/certificates/revoke",
            certificate_id=str(row.id),
            reason="affiliation_changed",
        )
    )
    assert "The certificate is revoked." in revoked
    assert "the role ended" in revoked
    crl = anyone.get(f"/c/{world.community.code}/ca.crl")
    assert crl.mimetype == "application/pkix-crl"
    listed = x509.load_der_x509_crl(crl.data)
    assert listed.get_revoked_certificate_by_serial_number(int(row.serial, 16)) is not None
    ca = anyone.get(f"/c/{world.community.code}/ca.pem")
    assert ca.headers["Content-Disposition"] == 'attachment; filename="heping-ca.pem"'
    assert listed.is_signature_valid(x509.load_pem_x509_certificate(ca.data).public_key())  # type: ignore[arg-type]
    assert 'class="verdict-box good"' in text_of(verify(anyone, v2_pdf))


# ---------------------------------------------------------------- refusals without signing


def unsigned_pdf() -> bytes:
    """A one-page PDF with no signature at all."""
    writer = PdfFileWriter()
    size = [generic.NumberObject(n) for n in (0, 0, 200, 200)]
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(size),
            }
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_file_that_is_not_a_pdf_or_too_large_is_a_form_error(
    app: Flask, client: FlaskClient
) -> None:
    english(client)
    page = text_of(client.get("/documents/verify"))
    assert "Check a signed document" in page
    assert 'enctype="multipart/form-data"' in page
    not_pdf = verify(client, b"PK\x03\x04 a zip file, not a PDF", "minutes.pdf")
    assert not_pdf.status_code == 422
    assert "This file is not a PDF." in text_of(not_pdf)
    nothing = client.post(
        "/documents/verify",
        data={"csrf_token": csrf_token(page)},
        content_type="multipart/form-data",
    )
    assert nothing.status_code == 422
    unsigned = text_of(verify(client, unsigned_pdf()))
    assert 'class="verdict-box bad"' in unsigned
    assert "This PDF carries no electronic signature." in unsigned
    previous = app.config["VERIFY_MAX_BYTES"]
    app.config["VERIFY_MAX_BYTES"] = 1024
    try:
        big = verify(client, b"%PDF-1.7\n" + b"0" * 2048)
    finally:
        app.config["VERIFY_MAX_BYTES"] = previous
    assert big.status_code == 413
    assert "The file is too large: at most 1 MB." in text_of(big)
    # The form is CSRF-protected like every other.
    forged = client.post(
        "/documents/verify",
        data={"file": (io.BytesIO(b"%PDF-1.7"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400


def test_only_the_holder_of_the_next_role_is_offered_the_signing_form(
    app: Flask, world: World, scene: Scene
) -> None:
    staff = app.test_client()
    login(staff, world.users["staff"].email)
    english(staff)
    write_draft(staff, scene)  # staff may write the draft too
    page = text_of(staff.get(f"/meetings/{scene.meeting.id}"))
    assert "Edit the draft" in page
    assert "Sign as" not in page
    assert staff.get(sign_page(scene)).status_code == 403  # staff sign nothing
    supervisor = scene.client(app, "supervisor")
    assert "Sign as" not in text_of(supervisor.get(f"/meetings/{scene.meeting.id}"))
    away = supervisor.get(sign_page(scene), follow_redirects=True)
    assert "There is nothing for you to sign in these minutes now." in text_of(away)
    assert count(MinutesSignature) == 0


def test_minutes_are_written_once_the_meeting_has_begun_and_signed_once_it_is_adjourned(
    app: Flask, world: World, scene: Scene
) -> None:
    noticed = make_meeting(world.community, state="noticed")
    running = make_meeting(world.community, state="in_session")
    db.session.commit()
    recorder = scene.client(app, "recorder")
    early = recorder.get(f"/meetings/{noticed.id}/minutes/edit", follow_redirects=True)
    assert "Minutes are written once the meeting has begun." in text_of(early)
    edit = f"/meetings/{running.id}/minutes/edit"
    assert "The draft is saved." in text_of(post(recorder, edit, edit, text="进行中"))
    page = text_of(recorder.get(f"/meetings/{running.id}"))
    assert "Signing begins once the meeting is adjourned." in page
    assert "Sign as" not in page
    refused = text_of(
        post(
            recorder,
            f"/meetings/{running.id}",
            f"/meetings/{running.id}/minutes/sign",
            role="recorder",
            passphrase=PASSPHRASE["recorder"],
            confirm=PASSPHRASE["recorder"],
        )
    )
    assert "The minutes are signed once the meeting is adjourned." in refused
    assert count(SignerCertificate) == 0


# ---------------------------------------------------------------- certificates


def test_a_signer_uploads_a_certificate_from_elsewhere_lists_and_revokes_it(
    app: Flask, world: World, scene: Scene
) -> None:
    chair = scene.client(app, "chair")
    page = f"/c/{world.community.code}/certificates"
    listing = text_of(chair.get(page))
    assert "You have no signing certificate yet." in listing
    assert "The community's certificate authority is made at the first signature." in listing
    other = pki.make_community_ca("别处的证书机构", "elsewhere", now=clock.now())
    identity = pki.issue_signer_certificate(
        other,
        person_name=NAMES["chair"],
        role="chair",
        community_name="别处",
        user_id=999,
        now=clock.now(),
    )
    p12 = pki.pack_pkcs12(identity, "别处的口令 12345")
    token = csrf_token(listing)

    def upload(data: bytes, passphrase: str, role: str = "chair") -> str:
        response = chair.post(
            f"{page}/upload",
            data={
                "csrf_token": token,
                "role": role,
                "passphrase": passphrase,
                "file": (io.BytesIO(data), "mine.p12"),
            },
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        return text_of(response)

    assert "The passphrase is not right." in upload(p12, "wrong passphrase")
    assert "is not a certificate with its key" in upload(b"not a p12", "x")
    assert count(SignerCertificate) == 0
    shown = upload(p12, "别处的口令 12345")
    assert "The certificate is registered" in shown
    row = db.session.execute(select(SignerCertificate)).scalar_one()
    assert row.is_external
    assert row.fingerprint in shown
    assert "another certificate authority (you brought it)" in shown
    assert "In force" in shown
    # Someone else may know it: revoked as compromised.
    revoked = text_of(
        post(chair, page, f"{page}/revoke", certificate_id=str(row.id), reason="key_compromise")
    )
    assert "The certificate is revoked." in revoked
    assert "someone else may know the passphrase" in revoked
    again = text_of(
        post(chair, page, f"{page}/revoke", certificate_id=str(row.id), reason="key_compromise")
    )
    assert "This certificate is already revoked." in again
    # Another signer cannot revoke it.
    recorder = scene.client(app, "recorder")
    db.session.execute(
        SignerCertificate.__table__.update().values(revoked_at=None, revocation_reason=None)
    )
    db.session.commit()
    page_r = f"/c/{world.community.code}/certificates"
    refused = post(
        recorder, page_r, f"{page_r}/revoke", certificate_id=str(row.id), reason="key_compromise"
    )
    assert "You are not allowed to do this." in text_of(refused)
    db.session.refresh(row)
    assert row.revoked_at is None
    # A resident has no certificates page; the community's CA is public, once made.
    resident = app.test_client()
    login(resident, world.users["resident"].email)
    assert resident.get(page).status_code == 403
    assert resident.get(f"/c/{world.community.code}/ca.pem").status_code == 404
