"""The vote operations of INTERFACES.md §3 and the ledger of §5 through the API: staff create,
open and close; residents cast with a receipt; the result and the signed ledger for anyone;
every refusal with its status and code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from consult import clock
from consult.actor import Actor
from consult.crypto.ledger import verify_ledger
from consult.crypto.receipts import new_receipt, receipt_hash
from consult.extensions import db
from consult.meetings import service as meetings
from consult.voting.models import Participation
from tests.conftest import World
from tests.factories import make_meeting
from tests.integration.api_support import error_of, headers_for

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
SYSTEM = Actor.system("tests")


@pytest.fixture
def running(world: World) -> Any:
    """A meeting in session with the world's two adults of heping signed in."""
    clock.freeze(NOW)
    meeting = make_meeting(world.community, state="in_session")
    for name in ("resident", "representative"):
        meetings.record_attendance(
            SYSTEM, meeting, resident_id=world.residents[name].id, status="present"
        )
    db.session.commit()
    return meeting


def test_a_secret_vote_through_the_api(app: Flask, world: World, running: Any) -> None:
    api = app.test_client()
    staff = headers_for(world, "staff")
    item = running.agenda[0]
    made = api.post(f"/api/v1/agenda-items/{item.id}/votes", headers=staff, json={"secret": True})
    assert made.status_code == 201, made.get_data(as_text=True)
    vote = made.get_json()
    assert vote["options"] == ["yes", "no", "abstain"]
    assert vote["state"] == "draft"
    url = f"/api/v1/votes/{vote['id']}"
    opened = api.post(f"{url}/open", headers=staff)
    assert opened.status_code == 200
    assert opened.get_json()["eligible"] == 2
    # The browser made this receipt; the server keeps only its hash.
    mine = new_receipt()
    resident = headers_for(world, "resident")
    cast = api.post(f"{url}/ballots", headers=resident, json={"choice": "yes", "receipt": mine})
    assert cast.status_code == 201, cast.get_data(as_text=True)
    assert cast.get_json()["receipt"] == mine
    again = api.post(f"{url}/ballots", headers=resident, json={"choice": "no"})
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_voted"
    rep = headers_for(world, "representative")
    wrong = api.post(f"{url}/ballots", headers=rep, json={"choice": "maybe"})
    assert wrong.status_code == 422
    assert error_of(wrong)["code"] == "invalid_choice"
    theirs = api.post(f"{url}/ballots", headers=rep, json={"choice": "yes"})
    assert theirs.status_code == 201
    assert len(theirs.get_json()["receipt"]) == 26  # made by the server: no receipt was sent
    turnout = api.get(f"{url}/turnout", headers=staff).get_json()
    assert (turnout["eligible"], turnout["cast"]) == (2, 2)
    assert api.get(f"{url}/result").status_code == 409  # not closed yet
    closed = api.post(f"{url}/close", headers=staff)
    assert closed.status_code == 200
    result = api.get(f"{url}/result").get_json()  # anyone
    assert result["counts"] == {"yes": 2, "no": 0, "abstain": 0}
    assert result["outcome"] == "adopted"
    assert set(result["rule"]) >= {"id", "quorum", "basis", "threshold", "citation"}
    ledger = api.get(f"{url}/ledger").get_json()
    assert verify_ledger(ledger).ok
    assert receipt_hash(mine) in {e["receipt_hash"] for e in ledger["entries"]}
    found = api.post(f"{url}/receipt-check", json={"receipt": mine.lower()}).get_json()
    assert found["found"] is True
    assert found["choice"] == "yes"
    late = api.post(f"{url}/ballots", headers=resident, json={"choice": "no"})
    assert late.status_code == 409


def test_refusals(app: Flask, world: World, running: Any) -> None:
    api = app.test_client()
    item = running.agenda[0]
    resident = headers_for(world, "resident")
    denied = api.post(f"/api/v1/agenda-items/{item.id}/votes", headers=resident, json={})
    assert denied.status_code == 403
    staff = headers_for(world, "staff")
    bad = api.post(
        f"/api/v1/agenda-items/{item.id}/votes", headers=staff, json={"options": ["only"]}
    )
    assert bad.status_code == 422
    assert "options" in error_of(bad)["details"]
    vote = api.post(f"/api/v1/agenda-items/{item.id}/votes", headers=staff, json={}).get_json()
    url = f"/api/v1/votes/{vote['id']}"
    early = api.post(f"{url}/ballots", headers=resident, json={"choice": "yes"})
    assert early.status_code == 409
    assert error_of(early)["code"] == "vote_not_open"
    assert api.post(f"{url}/open", headers=resident).status_code == 403
    assert api.post(f"{url}/open", headers=staff).status_code == 200
    other = headers_for(world, "other_resident")
    outsider = api.post(f"{url}/ballots", headers=other, json={"choice": "yes"})
    assert outsider.status_code == 403  # another community's resident
    staff_ballot = api.post(f"{url}/ballots", headers=staff, json={"choice": "yes"})
    assert staff_ballot.status_code == 403
    bad_receipt = api.post(
        f"{url}/ballots", headers=resident, json={"choice": "yes", "receipt": "1234"}
    )
    assert bad_receipt.status_code == 422
    assert error_of(bad_receipt)["code"] == "receipt_invalid"
    assert api.get(f"{url}/turnout", headers=resident).status_code == 403
    assert db.session.execute(select(func.count(Participation.id))).scalar_one() == 0


def test_a_named_vote_ledger_is_for_members_and_supervisors(
    app: Flask, world: World, running: Any
) -> None:
    api = app.test_client()
    staff = headers_for(world, "staff")
    item = running.agenda[0]
    vote = api.post(
        f"/api/v1/agenda-items/{item.id}/votes", headers=staff, json={"secret": False}
    ).get_json()
    url = f"/api/v1/votes/{vote['id']}"
    api.post(f"{url}/open", headers=staff)
    api.post(f"{url}/ballots", headers=headers_for(world, "resident"), json={"choice": "no"})
    api.post(f"{url}/close", headers=staff)
    whole = api.get(f"{url}/ledger", headers=headers_for(world, "supervisor")).get_json()
    assert [e["voter"] for e in whole["entries"]] == ["张秀英"]
    assert verify_ledger(whole).ok
    member = api.get(f"{url}/ledger", headers=headers_for(world, "representative")).get_json()
    assert member == whole
    public = api.get(f"{url}/ledger").get_json()
    assert "entries" not in public
    assert public["merkle_root"] == whole["merkle_root"]
    outsider = api.get(f"{url}/ledger", headers=headers_for(world, "other_resident")).get_json()
    assert "entries" not in outsider


def test_paper_ballots_and_hands_through_the_api(app: Flask, world: World, running: Any) -> None:
    api = app.test_client()
    staff = headers_for(world, "staff")
    item = running.agenda[0]
    vote = api.post(
        f"/api/v1/agenda-items/{item.id}/votes", headers=staff, json={"secret": True}
    ).get_json()
    url = f"/api/v1/votes/{vote['id']}"
    api.post(f"{url}/open", headers=staff)
    resident_id = world.residents["resident"].id
    issued = api.post(
        f"{url}/paper-ballots/issue", headers=staff, json={"resident_id": resident_id}
    )
    assert issued.status_code == 201
    online = api.post(
        f"{url}/ballots", headers=headers_for(world, "resident"), json={"choice": "yes"}
    )
    assert online.status_code == 409  # took a paper ballot: no online vote too
    assert error_of(online)["code"] == "already_voted"
    stub = new_receipt()
    entered = api.post(
        f"{url}/paper-ballots", headers=staff, json={"receipt": stub, "choice": "no"}
    )
    assert entered.status_code == 201
    assert entered.get_json()["disputes"][0]["why"] == "one reading only"
    denied = api.post(
        f"{url}/paper-ballots",
        headers=headers_for(world, "resident"),
        json={"receipt": stub, "choice": "yes"},
    )
    assert denied.status_code == 403
    closing = api.post(f"{url}/close", headers=staff)
    assert closing.status_code == 409
    assert error_of(closing)["code"] == "paper_unresolved"
    resolved = api.post(
        f"{url}/paper-ballots/resolve",
        headers=staff,
        json={"receipt": stub, "choice": "no", "reason": "原件由两名监票人复核"},
    )
    assert resolved.status_code == 200
    assert resolved.get_json()["counted"] == 1
    hands = api.post(
        f"{url}/hands",
        headers=staff,
        json={"counts": {"yes": 1}, "scrutineers": ["王"], "counters": ["李"]},
    )
    assert hands.status_code == 422  # a secret vote is not taken by hands
    assert api.post(f"{url}/close", headers=staff).status_code == 200
    assert api.get(f"{url}/result").get_json()["counts"] == {"yes": 0, "no": 1, "abstain": 0}


def test_an_election_and_a_time_window_through_the_api(app: Flask, world: World) -> None:
    from consult.meetings import candidates
    from tests.factories import make_resident

    clock.freeze(NOW)
    extra = make_resident(world.community, name="赵候选", household="H900")
    meeting = make_meeting(world.community, agenda=(("选举", "election"),), state="in_session")
    item = meeting.agenda[0]
    for rid in (world.residents["resident"].id, world.residents["representative"].id, extra.id):
        candidates.register_candidate(SYSTEM, item, resident_id=rid, nominated_by="voters")
    for name in ("resident", "representative"):
        meetings.record_attendance(
            SYSTEM, meeting, resident_id=world.residents[name].id, status="present"
        )
    db.session.commit()
    api = app.test_client()
    staff = headers_for(world, "staff")
    url = f"/api/v1/agenda-items/{item.id}/votes"
    named = api.post(url, headers=staff, json={"secret": False, "seats": 2})
    assert named.status_code == 422
    assert error_of(named)["code"] == "election_secret"
    bad_window = api.post(
        url, headers=staff, json={"secret": True, "seats": 2, "closes_at": "2026-06-01 09:30"}
    )
    assert bad_window.status_code == 422  # no zone
    made = api.post(
        url,
        headers=staff,
        json={"secret": True, "seats": 2, "closes_at": "2026-06-01T10:30:00+08:00"},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    vote = made.get_json()
    assert vote["options"] == ["张秀英", "王建国", "赵候选"]
    assert vote["closes_at"].startswith("2026-06-01T02:30")
    vote_url = f"/api/v1/votes/{vote['id']}"
    api.post(f"{vote_url}/open", headers=staff)
    resident = headers_for(world, "resident")
    too_many = api.post(
        f"{vote_url}/ballots", headers=resident, json={"marks": ["张秀英", "王建国", "赵候选"]}
    )
    assert too_many.status_code == 422
    assert error_of(too_many)["code"] == "too_many_marks"
    cast = api.post(f"{vote_url}/ballots", headers=resident, json={"marks": ["赵候选", "王建国"]})
    assert cast.status_code == 201
    api.post(
        f"{vote_url}/ballots",
        headers=headers_for(world, "representative"),
        json={"marks": ["赵候选"]},
    )
    closed = api.post(f"{vote_url}/close", headers=staff).get_json()
    assert closed["result"]["elected"] == ["赵候选"]
    assert closed["result"]["counts"] == {"张秀英": 0, "王建国": 1, "赵候选": 2}
