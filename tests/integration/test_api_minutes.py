"""The minutes operations of INTERFACES.md §3 and the PDF check through the API, and
`consult pdf verify` (§2): draft, the three signatures in order, the public PDF, the check of an
intact, a changed and a foreign file; every refusal with its status and code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask

from consult.extensions import db
from tests.conftest import World
from tests.factories import make_meeting, make_resident, make_user
from tests.integration.api_support import bearer, error_of, headers_for, token_for

pytestmark = pytest.mark.integration


@pytest.fixture
def signers(world: World) -> dict[str, dict[str, str]]:
    recorder = make_user(
        "recorder@example.org",
        community=world.community,
        roles=("recorder",),
        resident=make_resident(world.community, name="李记录", household="H201"),
    )
    chair = make_user("chair@example.org", community=world.community, roles=("chair",))
    db.session.commit()
    return {
        "recorder": bearer(token_for(recorder)),
        "chair": bearer(token_for(chair)),
        "supervisor": headers_for(world, "supervisor"),
        "resident": headers_for(world, "resident"),
        "staff": headers_for(world, "staff"),
    }


@pytest.fixture
def meeting(world: World) -> Any:
    made = make_meeting(world.community, state="adjourned")
    db.session.commit()
    return made


def _sign(api: Any, meeting: Any, headers: dict[str, str], role: str, passphrase: str) -> Any:
    return api.post(
        f"/api/v1/meetings/{meeting.id}/minutes/sign",
        headers=headers,
        json={"role": role, "passphrase": passphrase},
    )


def test_minutes_through_the_api(
    app: Flask, meeting: Any, signers: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    api = app.test_client()
    url = f"/api/v1/meetings/{meeting.id}/minutes"
    item = meeting.agenda[0]
    draft = {
        "text": "会议按时开始。",
        "items": [{"agenda_item_id": item.id, "notes": "一致同意。"}],
    }
    # A resident may not write; the recorder may.
    assert api.put(url, headers=signers["resident"], json=draft).status_code == 403
    saved = api.put(url, headers=signers["recorder"], json=draft)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.get_json()["state"] == "draft"
    assert saved.get_json()["items"] == [{"agenda_item_id": item.id, "notes": "一致同意。"}]
    bad = api.put(url, headers=signers["recorder"], json={"items": [{"agenda_item_id": "x"}]})
    assert bad.status_code == 422
    # The public sees no draft and no PDF yet.
    assert api.get(url).get_json()["versions"] == []
    assert api.get(f"{url}.pdf").status_code == 404
    # Out of order, then the order.
    early = _sign(api, meeting, signers["chair"], "chair", "chair-passphrase")
    assert early.status_code == 409
    assert error_of(early)["code"] == "out_of_order"
    wrong_role = _sign(api, meeting, signers["chair"], "recorder", "chair-passphrase")
    assert wrong_role.status_code == 403
    for role in ("recorder", "chair", "supervisor"):
        done = _sign(api, meeting, signers[role], role, f"{role}-passphrase")
        assert done.status_code == 201, done.get_data(as_text=True)
        assert done.get_json()["signed"]["role"] == role
    again = _sign(api, meeting, signers["supervisor"], "supervisor", "supervisor-passphrase")
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_signed"
    listed = api.get(url).get_json()["versions"]
    assert [v["state"] for v in listed] == ["published"]
    assert [s["role"] for s in listed[0]["signatures"]] == ["recorder", "chair", "supervisor"]
    # Anyone downloads the published PDF and checks it.
    pdf = api.get(f"{url}.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["X-Document-Id"] == listed[0]["document_id"]
    body = pdf.get_data()
    checked = api.post("/api/v1/documents/verify", data=body, content_type="application/pdf")
    assert checked.status_code == 200
    report = checked.get_json()
    assert report["ok"] is True
    assert report["is_current"] is True
    assert [s["role"] for s in report["signatures"]] == ["recorder", "chair", "supervisor"]
    assert all(s["intact"] and s["valid"] and s["trusted"] for s in report["signatures"])
    assert report["signatures"][0]["signer"] == "李记录"
    # One changed byte: not ok, not known.
    middle = len(body) // 3
    changed = body[:middle] + bytes([body[middle] ^ 0x20]) + body[middle + 1 :]
    report = api.post(
        "/api/v1/documents/verify", data=changed, content_type="application/pdf"
    ).get_json()
    assert report["ok"] is False
    assert report["known"] is False
    # Not a PDF; the wrong media type; too large.
    not_pdf = api.post("/api/v1/documents/verify", data=b"hello", content_type="application/pdf")
    assert not_pdf.status_code == 422
    assert error_of(not_pdf)["code"] == "not_pdf"
    assert (
        api.post("/api/v1/documents/verify", data=body, content_type="text/plain").status_code
        == 415
    )
    app.config["VERIFY_MAX_BYTES"], limit = 1000, app.config["VERIFY_MAX_BYTES"]
    try:
        big = api.post("/api/v1/documents/verify", data=body, content_type="application/pdf")
        assert big.status_code == 413
    finally:
        app.config["VERIFY_MAX_BYTES"] = limit
    # A draft cannot change any more; an erratum can be started.
    assert api.put(url, headers=signers["recorder"], json=draft).status_code == 409
    erratum = api.post(f"{url}/erratum", headers=signers["recorder"], json={"reason": "日期有误"})
    assert erratum.status_code == 201
    assert erratum.get_json()["version"] == 2
    assert erratum.get_json()["previous_id"] == listed[0]["id"]

    # consult pdf verify: exit 0 and the INTERFACES.md §2 keys for the intact file...
    good = tmp_path / "minutes.pdf"
    good.write_bytes(body)
    result = _cli(app, "pdf", "verify", str(good), "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) >= {"file", "signatures", "modified_after_last_signature"}
    assert set(printed["signatures"][0]) >= {
        "signer",
        "role",
        "signed_at",
        "intact",
        "valid",
        "trusted",
        "covers_whole_document",
    }
    # ...exit 1 for the changed one, and one line of text without --json.
    bad_file = tmp_path / "changed.pdf"
    bad_file.write_bytes(changed)
    assert _cli(app, "pdf", "verify", str(bad_file), "--json").exit_code == 1
    plain = _cli(app, "pdf", "verify", str(good))
    assert plain.exit_code == 0
    assert "valid" in plain.output.splitlines()[-1]


def _cli(app: Flask, *args: str) -> Result:
    runner = app.test_cli_runner()
    return runner.invoke(args=list(args))


def test_signing_needs_an_adjourned_meeting(
    app: Flask, world: World, signers: dict[str, dict[str, str]]
) -> None:
    running = make_meeting(world.community, state="in_session")
    db.session.commit()
    api = app.test_client()
    url = f"/api/v1/meetings/{running.id}/minutes"
    assert api.put(url, headers=signers["recorder"], json={"text": "进行中"}).status_code == 200
    refused = _sign(api, running, signers["recorder"], "recorder", "recorder-passphrase")
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "meeting_open"
    draft_meeting = make_meeting(world.community)
    db.session.commit()
    early = api.put(
        f"/api/v1/meetings/{draft_meeting.id}/minutes", headers=signers["staff"], json={}
    )
    assert early.status_code == 409
