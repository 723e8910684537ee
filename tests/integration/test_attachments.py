"""Attachments of meetings and agenda items, through the service, the API and the pages: typed
by their content, stored once per SHA-256, size-limited, frozen with the agenda at notice (an
urgent item in session excepted), never deleted (a withdrawal is a record), and always sent back
as a download."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.errors import Conflict, Invalid, NotFound
from consult.extensions import db
from consult.meetings import attachments, service
from consult.meetings.attachment_models import Attachment, AttachmentBlob, AttachmentType
from consult.meetings.models import Meeting
from tests.conftest import World, csrf_token, login
from tests.factories import make_meeting
from tests.integration.api_support import error_of, headers_for

pytestmark = pytest.mark.integration

SYSTEM = Actor.system("tests")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
HTML = b"<!doctype html><script>alert(1)</script>"


def png() -> bytes:
    """A valid 1x1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def blobs() -> int:
    return int(db.session.execute(select(func.count()).select_from(AttachmentBlob)).scalar_one())


def rows() -> int:
    return int(db.session.execute(select(func.count()).select_from(Attachment)).scalar_one())


def audits() -> int:
    return int(
        db.session.execute(
            select(func.count(AuditEntry.id)).where(AuditEntry.object_type == "attachment")
        ).scalar_one()
    )


@pytest.fixture
def small_limit(app: Flask) -> Iterator[int]:
    """A 1 KB limit per attachment, and 4 KB per request."""
    before = app.config["ATTACHMENT_MAX_BYTES"], app.config["MAX_CONTENT_LENGTH"]
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        yield 1024
    finally:
        app.config["ATTACHMENT_MAX_BYTES"], app.config["MAX_CONTENT_LENGTH"] = before


# ---------------------------------------------------------------- the rules, through the service


def test_the_type_is_read_from_the_content_never_from_the_name() -> None:
    assert attachments.detect_type(PDF) is AttachmentType.PDF
    assert attachments.detect_type(png()) is AttachmentType.PNG
    assert attachments.detect_type(JPEG) is AttachmentType.JPEG
    assert attachments.detect_type(HTML) is None
    assert attachments.detect_type(b"PK\x03\x04 a zip") is None
    assert attachments.detect_type(b"") is None


@pytest.mark.parametrize(
    ("name", "kind", "cleaned"),
    [
        ("通知.pdf", AttachmentType.PDF, "通知.pdf"),
        ("../../etc/passwd", AttachmentType.PDF, "passwd.pdf"),
        ("C:\\Users\\x\\方案.PDF", AttachmentType.PDF, "方案.pdf"),
        ("report.html", AttachmentType.PDF, "report.pdf"),
        ("photo.jpeg", AttachmentType.JPEG, "photo.jpg"),
        ("a\u202egnp.exe", AttachmentType.PNG, "agnp.png"),  # no bidi override
        ('x"; filename="evil.html', AttachmentType.PNG, "x__ filename__evil.png"),
        ("line\r\nbreak.png", AttachmentType.PNG, "linebreak.png"),
        ("", AttachmentType.PNG, "attachment.png"),
        ("...", AttachmentType.PDF, "attachment.pdf"),
        (None, AttachmentType.PDF, "attachment.pdf"),
        ("长" * 300 + ".pdf", AttachmentType.PDF, "长" * 116 + ".pdf"),
    ],
)
def test_file_names_are_cleaned(name: str | None, kind: AttachmentType, cleaned: str) -> None:
    assert attachments.clean_filename(name, kind) == cleaned


def test_identical_content_is_stored_once(world: World) -> None:
    meeting = make_meeting(world.community, agenda=(("一", "ordinary"), ("二", "ordinary")))
    first = attachments.add_attachment(
        SYSTEM, meeting, item=meeting.agenda[0], filename="a.pdf", content=PDF
    )
    second = attachments.add_attachment(
        SYSTEM, meeting, item=meeting.agenda[1], filename="b.pdf", content=PDF
    )
    whole = attachments.add_attachment(SYSTEM, meeting, filename="图.png", content=png())
    assert first.sha256 == second.sha256 == hashlib.sha256(PDF).hexdigest()
    assert first.id != second.id
    assert blobs() == 2
    assert rows() == 3
    assert audits() == 3
    assert attachments.by_item(meeting) == {
        meeting.agenda[0].id: [first],
        meeting.agenda[1].id: [second],
        None: [whole],
    }
    assert (first.content_type, first.size) == ("application/pdf", len(PDF))
    assert attachments.content_of(second) == PDF


@pytest.mark.parametrize(
    ("content", "code"),
    [(HTML, "file_type"), (b"", "file_empty"), (PDF + b"x" * 2000, "file_too_large")],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    world: World, content: bytes, code: str
) -> None:
    meeting = make_meeting(world.community)
    with pytest.raises(Invalid) as refused:
        attachments.add_attachment(
            SYSTEM,
            meeting,
            item=meeting.agenda[0],
            filename="x.pdf",
            content=content,
            max_bytes=1024,
        )
    assert refused.value.code == code
    assert (blobs(), rows(), audits()) == (0, 0, 0)


def test_the_agenda_is_frozen_at_notice_for_files_too(world: World) -> None:
    meeting = make_meeting(world.community, state="noticed")
    with pytest.raises(Conflict) as refused:
        attachments.add_attachment(
            SYSTEM, meeting, item=meeting.agenda[0], filename="x", content=PDF
        )
    assert refused.value.code == "agenda_frozen"
    with pytest.raises(Conflict):
        attachments.add_attachment(SYSTEM, meeting, filename="x", content=PDF)
    assert (blobs(), rows()) == (0, 0)


def test_in_session_only_an_urgent_item_takes_a_file(world: World) -> None:
    meeting = make_meeting(world.community, state="in_session")
    with pytest.raises(Conflict):
        attachments.add_attachment(
            SYSTEM, meeting, item=meeting.agenda[0], filename="x", content=PDF
        )
    urgent = service.add_agenda_item(
        SYSTEM,
        meeting,
        title="防汛",
        decision_type="ordinary",
        urgent_decision="会议决定（举手表决）",
    )
    attached = attachments.add_attachment(
        SYSTEM, meeting, item=urgent, filename="防汛方案.pdf", content=PDF
    )
    assert attached.agenda_item_id == urgent.id


def test_an_adjourned_meeting_takes_no_file(world: World) -> None:
    meeting = make_meeting(world.community, state="adjourned")
    with pytest.raises(Conflict) as refused:
        attachments.add_attachment(
            SYSTEM, meeting, item=meeting.agenda[0], filename="x", content=PDF
        )
    assert refused.value.code == "adjourned"


def test_an_item_of_another_meeting_is_not_found(world: World) -> None:
    one, other = make_meeting(world.community), make_meeting(world.community)
    with pytest.raises(NotFound):
        attachments.add_attachment(SYSTEM, one, item=other.agenda[0], filename="x", content=PDF)


def test_a_withdrawal_is_a_record_and_nothing_is_deleted(world: World) -> None:
    meeting = make_meeting(world.community)
    attached = attachments.add_attachment(SYSTEM, meeting, filename="x.pdf", content=PDF)
    service.notice_meeting(SYSTEM, meeting)
    with pytest.raises(Invalid):
        attachments.withdraw_attachment(SYSTEM, attached, reason=" ")
    attachments.withdraw_attachment(SYSTEM, attached, reason="含有住户电话号码")
    assert attached.is_withdrawn
    assert attached.withdrawn_reason == "含有住户电话号码"
    with pytest.raises(Conflict):
        attachments.withdraw_attachment(SYSTEM, attached, reason="again")
    assert (blobs(), rows(), audits()) == (1, 1, 2)
    with pytest.raises(NotFound):
        attachments.get_attachment(Actor.anonymous(), attached.id)
    assert attachments.get_attachment(SYSTEM, attached.id) is attached  # the record stays


# ---------------------------------------------------------------- the API


def _api_meeting(world: World, state: str = "draft") -> Meeting:
    meeting = make_meeting(world.community, state=state)
    db.session.commit()
    return meeting


def test_api_upload_multipart_and_raw_then_download(app: Flask, world: World) -> None:
    meeting = _api_meeting(world)
    item = meeting.agenda[0]
    api = app.test_client()
    headers = headers_for(world, "staff")
    response = api.post(
        f"/api/v1/agenda-items/{item.id}/attachments",
        headers=headers,
        data={"file": (io.BytesIO(PDF), "../工作报告.html")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["size"] == len(PDF)
    assert body["filename"] == "工作报告.pdf"
    assert body["content_type"] == "application/pdf"
    assert response.headers["Location"].endswith(f"/api/v1/attachments/{body['id']}")
    raw = api.post(
        f"/api/v1/agenda-items/{item.id}/attachments",
        headers={**headers, "X-Filename": "%E7%85%A7%E7%89%87.png", "Content-Type": "image/png"},
        data=png(),
    )
    assert raw.status_code == 201, raw.get_data(as_text=True)
    assert raw.get_json()["filename"] == "照片.png"
    # A draft's files are the committee's: anyone else gets 404 until the notice.
    assert api.get(f"/api/v1/attachments/{body['id']}").status_code == 404
    staff_copy = api.get(f"/api/v1/attachments/{body['id']}", headers=headers)
    assert staff_copy.status_code == 200
    assert staff_copy.data == PDF
    service.notice_meeting(SYSTEM, meeting)
    db.session.commit()
    download = api.get(f"/api/v1/attachments/{body['id']}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''%E5%B7%A5%E4%BD%9C%E6%8A%A5%E5%91%8A.pdf"
        in (download.headers["Content-Disposition"])
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert download.headers["ETag"].strip('"') == body["sha256"]


def test_api_bad_uploads(app: Flask, world: World, small_limit: int) -> None:
    meeting = _api_meeting(world)
    url = f"/api/v1/agenda-items/{meeting.agenda[0].id}/attachments"
    api = app.test_client()
    headers = headers_for(world, "staff")

    def send(content: bytes, content_type: str = "application/octet-stream") -> Any:
        return api.post(url, headers={**headers, "Content-Type": content_type}, data=content)

    too_large = send(PDF + b"x" * 2000)
    assert too_large.status_code == 422
    assert error_of(too_large)["code"] == "file_too_large"
    assert send(PDF + b"x" * 5000).status_code == 413  # over the request limit: never read
    wrong = send(HTML)
    assert wrong.status_code == 422
    assert error_of(wrong)["code"] == "file_type"
    named_pdf = api.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(HTML), "notice.pdf")},
        content_type="multipart/form-data",
    )
    assert named_pdf.status_code == 422
    assert send(b'{"a": 1}', "application/json").status_code == 415
    no_part = api.post(url, headers=headers, data={"x": "1"}, content_type="multipart/form-data")
    assert no_part.status_code == 422
    assert (rows(), blobs()) == (0, 0)


@pytest.mark.parametrize(
    ("state", "code"), [("noticed", "agenda_frozen"), ("adjourned", "adjourned")]
)
def test_api_upload_after_notice_or_adjournment_is_409(
    app: Flask, world: World, state: str, code: str
) -> None:
    meeting = _api_meeting(world, state)
    response = app.test_client().post(
        f"/api/v1/agenda-items/{meeting.agenda[0].id}/attachments",
        headers={**headers_for(world, "staff"), "Content-Type": "application/pdf"},
        data=PDF,
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == code
    assert rows() == 0


def test_api_residents_cannot_upload(app: Flask, world: World) -> None:
    meeting = _api_meeting(world)
    response = app.test_client().post(
        f"/api/v1/agenda-items/{meeting.agenda[0].id}/attachments",
        headers={**headers_for(world, "resident"), "Content-Type": "application/pdf"},
        data=PDF,
    )
    assert response.status_code == 403
    assert rows() == 0


def test_api_meeting_lists_its_files_and_staff_withdraw_one_with_a_reason(
    app: Flask, world: World
) -> None:
    meeting = _api_meeting(world)
    attachment = attachments.add_attachment(
        SYSTEM, meeting, item=meeting.agenda[0], filename="方案.pdf", content=PDF
    )
    service.notice_meeting(SYSTEM, meeting)
    db.session.commit()
    api = app.test_client()
    listed = api.get(f"/api/v1/meetings/{meeting.id}").get_json()["attachments"]
    assert [(a["id"], a["filename"], a["agenda_item_id"]) for a in listed] == [
        (attachment.id, "方案.pdf", meeting.agenda[0].id)
    ]
    assert listed[0]["url"] == f"/api/v1/attachments/{attachment.id}"
    assert api.get(listed[0]["url"]).data == PDF
    url = f"/api/v1/attachments/{attachment.id}/withdraw"
    # A resident may not; staff need a reason; nothing changes on either refusal.
    denied = api.post(url, headers=headers_for(world, "resident"), json={"reason": "错了"})
    assert denied.status_code == 403
    staff = headers_for(world, "staff")
    no_reason = api.post(url, headers=staff, json={"reason": ""})
    assert no_reason.status_code == 422
    assert "reason" in error_of(no_reason)["details"]
    assert attachment.withdrawn_at is None
    done = api.post(url, headers=staff, json={"reason": "上传了旧版方案"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["withdrawn_reason"] == "上传了旧版方案"
    assert done.get_json()["url"] is None
    again = api.post(url, headers=staff, json={"reason": "再撤一次"})
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_recorded"
    # Listed still, with when and why, but no longer served to the public.
    listed = api.get(f"/api/v1/meetings/{meeting.id}").get_json()["attachments"]
    assert listed[0]["withdrawn_reason"] == "上传了旧版方案"
    assert listed[0]["url"] is None
    assert api.get(f"/api/v1/attachments/{attachment.id}").status_code == 404
    assert (rows(), blobs()) == (1, 1)  # a correction, not a deletion


# ---------------------------------------------------------------- the pages


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _staff(client: FlaskClient, world: World) -> None:
    login(client, world.users["staff"].email)
    client.get("/prefs?lang=en&next=/")


def _upload(client: FlaskClient, meeting: Meeting, content: bytes, name: str, item: Any) -> Any:
    page = f"/meetings/{meeting.id}"
    token = csrf_token(text_of(client.get(page)))
    return client.post(
        f"{page}/attachments",
        data={
            "csrf_token": token,
            "item_id": str(item.id) if item else "",
            "file": (io.BytesIO(content), name),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_staff_attach_on_the_meeting_page_and_the_public_downloads(
    client: FlaskClient, world: World
) -> None:
    meeting = make_meeting(world.community)
    db.session.commit()
    _staff(client, world)
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    assert 'enctype="multipart/form-data"' in page
    assert "Attach a file to this item" in page
    page = text_of(_upload(client, meeting, PDF, "工作报告.pdf", meeting.agenda[0]))
    assert "The file is attached." in page
    assert "工作报告.pdf" in page
    page = text_of(_upload(client, meeting, png(), "签到表.png", None))
    assert "签到表.png" in page
    assert rows() == 2
    # Bad input: a flash, nothing stored.
    page = text_of(_upload(client, meeting, HTML, "page.pdf", meeting.agenda[0]))
    assert "Only PDF, PNG and JPEG files can be attached" in page
    assert rows() == 2
    without_csrf = client.post(
        f"/meetings/{meeting.id}/attachments",
        data={"file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert without_csrf.status_code in (302, 303, 400)
    assert rows() == 2
    token = csrf_token(text_of(client.get(f"/meetings/{meeting.id}")))
    client.post(f"/meetings/{meeting.id}/notice", data={"csrf_token": token})
    assert meeting.state == "noticed"
    # After the notice the page offers no upload, and a forced one is refused.
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    assert "Attach a file to this item" not in page
    page = text_of(_upload(client, meeting, JPEG, "late.jpg", meeting.agenda[0]))
    assert "The agenda is frozen at notice." in page
    assert rows() == 2
    # The public notice page links the files; the download is never inline.
    public = client.application.test_client()
    notice = text_of(public.get(f"/notices/{meeting.id}"))
    links = re.findall(r'href="(/attachments/\d+)"', notice)
    assert len(links) == 2
    download = public.get(links[0])
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.mimetype in ("application/pdf", "image/png")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_withdrawn_file_stays_on_record_but_the_public_no_longer_gets_it(
    client: FlaskClient, world: World
) -> None:
    meeting = make_meeting(world.community)
    attached = attachments.add_attachment(
        SYSTEM, meeting, item=meeting.agenda[0], filename="名单.pdf", content=PDF
    )
    service.notice_meeting(SYSTEM, meeting)
    db.session.commit()
    public = client.application.test_client()
    assert public.get(f"/attachments/{attached.id}").status_code == 200
    _staff(client, world)
    page = f"/meetings/{meeting.id}"
    token = csrf_token(text_of(client.get(page)))
    refused = text_of(
        client.post(
            f"/attachments/{attached.id}/withdraw",
            data={"csrf_token": token, "reason": ""},
            follow_redirects=True,
        )
    )
    assert "Give the reason for withdrawing the file." in refused
    assert not attached.is_withdrawn
    done = text_of(
        client.post(
            f"/attachments/{attached.id}/withdraw",
            data={"csrf_token": token, "reason": "含有住户电话号码"},
            follow_redirects=True,
        )
    )
    assert "The file is withdrawn" in done
    assert "含有住户电话号码" in done
    assert public.get(f"/attachments/{attached.id}").status_code == 404
    notice = text_of(public.get(f"/notices/{meeting.id}"))
    assert "名单.pdf" in notice
    assert "含有住户电话号码" in notice
    assert f'href="/attachments/{attached.id}"' not in notice
    assert client.get(f"/attachments/{attached.id}").status_code == 200  # staff: on record
    assert (rows(), blobs()) == (1, 1)
