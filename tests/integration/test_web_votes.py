"""Vote pages through the test client: the chair prepares, opens and closes a vote from the
console; a resident casts on the ballot page and is shown the receipt once; the public result
page, the receipt check, the room's screen and the ledger download."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult import clock
from consult.actor import Actor
from consult.crypto.ledger import verify_ledger
from consult.crypto.receipts import format_receipt, new_receipt
from consult.extensions import db
from consult.meetings import service as meetings
from consult.registry.enrolment import actor_for
from consult.voting.models import Participation, Vote
from tests.conftest import World, csrf_token, login
from tests.factories import make_meeting

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
SYSTEM = Actor.system("tests")


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def english(client: FlaskClient) -> None:
    client.get("/prefs?lang=en&next=/")


def post(client: FlaskClient, page: str, url: str, **data: Any) -> Any:
    token = csrf_token(text_of(client.get(page)))
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)


@pytest.fixture
def running(world: World) -> Any:
    clock.freeze(NOW)
    meeting = make_meeting(world.community, state="in_session")
    for name in ("resident", "representative"):
        meetings.record_attendance(
            SYSTEM, meeting, resident_id=world.residents[name].id, status="present"
        )
    db.session.commit()
    return meeting


def test_a_vote_from_the_console_to_the_receipt_check(
    app: Flask, client: FlaskClient, world: World, running: Any
) -> None:
    login(client, world.users["staff"].email)
    english(client)
    console = f"/meetings/{running.id}/console"
    post(client, console, f"{console}/advance", to="1")
    page = text_of(client.get(console))
    assert "Prepare the vote" in page
    item = running.agenda[0]
    page = text_of(post(client, console, f"/agenda-items/{item.id}/votes", secret="y"))
    assert "The vote is ready." in page
    vote = db.session.execute(select(Vote)).scalar_one()
    assert vote.secret
    page = text_of(post(client, console, f"/votes/{vote.id}/open"))
    assert "The vote is open" in page
    assert "0 of 2 have voted" in page

    voter = app.test_client()
    login(voter, world.users["resident"].email)
    english(voter)
    assert "Go to the ballot" in text_of(voter.get("/votes"))
    ballot = f"/votes/{vote.id}/ballot"
    form = text_of(voter.get(ballot))
    assert "data-receipt" in form
    assert "/static/js/receipt.js" in form
    mine = new_receipt()  # what receipt.js puts in the hidden field
    shown = post(voter, ballot, ballot, choice="yes", receipt=mine)
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    receipt_page = text_of(shown)
    assert format_receipt(mine) in receipt_page
    assert "<svg" in receipt_page
    assert "This receipt is shown only this once." in receipt_page
    again = text_of(post(voter, ballot, ballot, choice="no"))
    assert "A ballot has already been cast" in again  # the page says it; nothing changes
    assert db.session.execute(select(func.count(Participation.id))).scalar_one() == 1
    # The live fragment the console polls carries the turnout.
    assert "1 of 2 have voted" in text_of(client.get(f"/meetings/{running.id}/standing"))

    page = text_of(post(client, console, f"/votes/{vote.id}/close"))
    assert "The vote is closed" in page
    assert "Not adopted" in page  # one in favour of two present: not more than half

    public = app.test_client()
    english(public)
    result = text_of(public.get(f"/votes/{vote.id}"))
    assert "Not adopted" in result
    assert "1 of 2 on the roll voted." in result
    assert "URC25-" in result
    found = post(public, f"/votes/{vote.id}", f"/votes/{vote.id}", receipt=format_receipt(mine))
    assert "Found in the ledger, counted as: In favour" in text_of(found)
    missing = post(public, f"/votes/{vote.id}", f"/votes/{vote.id}", receipt=new_receipt())
    assert "This receipt is not in the ledger." in text_of(missing)
    wrong = post(public, f"/votes/{vote.id}", f"/votes/{vote.id}", receipt="12345")
    assert wrong.status_code == 422
    assert "The receipt is not valid" in text_of(wrong)
    download = public.get(f"/votes/{vote.id}/ledger.json")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert verify_ledger(json.loads(download.data)).ok
    notice = text_of(public.get(f"/notices/{running.id}"))
    assert f'href="/votes/{vote.id}"' in notice  # the public notice links the result
    assert "Vote result and receipt check" in notice
    screen = text_of(public.get(f"/votes/{vote.id}/announce"))
    assert "Not adopted" in screen
    assert re.search(r"In favour</th><td>1</td>", screen)


def test_no_javascript_the_server_makes_the_receipt(app: Flask, world: World, running: Any) -> None:
    from consult.voting import service as voting

    vote = voting.open_vote(SYSTEM, voting.create_vote(SYSTEM, running.agenda[0], secret=True))
    db.session.commit()
    voter = app.test_client()
    login(voter, world.users["representative"].email)
    ballot = f"/votes/{vote.id}/ballot"
    page = text_of(post(voter, ballot, ballot, choice="abstain", receipt=""))
    code = re.search(r'id="receipt-code">([A-Z2-7-]{30})<', page)
    assert code is not None
    assert db.session.execute(select(func.count(Participation.id))).scalar_one() == 1


def test_someone_not_on_the_roll_sees_why(app: Flask, world: World, running: Any) -> None:
    from consult.voting import service as voting

    meetings.record_departure(SYSTEM, running, resident_id=world.residents["resident"].id)
    vote = voting.open_vote(SYSTEM, voting.create_vote(SYSTEM, running.agenda[0], secret=True))
    db.session.commit()
    voter = app.test_client()
    login(voter, world.users["resident"].email)
    english(voter)
    page = text_of(voter.get(f"/votes/{vote.id}/ballot"))
    assert "You are not on this vote's roll" in page
    assert "Cast this vote" not in page


def test_paper_ballots_on_their_page_and_hands_on_the_console(
    app: Flask, client: FlaskClient, world: World, running: Any
) -> None:
    from consult.accounts.models import RoleAssignment
    from consult.voting import service as voting
    from tests.factories import make_user

    second = make_user("clerk@example.org", community=world.community, roles=("staff",))
    assert (
        db.session.execute(
            select(func.count(RoleAssignment.id)).where(RoleAssignment.user_id == second.id)
        ).scalar_one()
        == 1
    )
    vote = voting.open_vote(SYSTEM, voting.create_vote(SYSTEM, running.agenda[0], secret=True))
    db.session.commit()
    login(client, world.users["staff"].email)
    english(client)
    page = f"/votes/{vote.id}/paper"
    rid = world.residents["resident"].id
    text = text_of(post(client, page, f"{page}/issue", resident_id=str(rid)))
    assert "A paper ballot was handed out" in text
    assert "took a paper ballot" in text
    stub = new_receipt()
    text = text_of(post(client, page, f"{page}/enter", receipt=stub, choice="no"))
    assert "Your reading of this ballot is recorded." in text
    assert "one reading only" in text
    clerk = app.test_client()
    login(clerk, "clerk@example.org")
    english(clerk)
    text = text_of(post(clerk, page, f"{page}/enter", receipt=format_receipt(stub), choice="no"))
    assert "the readings differ" not in text
    assert re.search(r"Will be counted</dt><dd>1<", text)
    console = f"/meetings/{running.id}/console"
    post(client, console, f"{console}/advance", to="1")  # the vote's item is under discussion
    text = text_of(post(client, console, f"/votes/{vote.id}/close"))
    assert "Not adopted" in text
    assert re.search(r"Against</th><td>1</td>", text)

    named = voting.open_vote(SYSTEM, voting.create_vote(SYSTEM, running.agenda[0], secret=False))
    db.session.commit()
    text = text_of(client.get(console))
    assert "Record a show of hands" in text
    text = text_of(
        post(
            client,
            console,
            f"/votes/{named.id}/hands",
            **{"count-0": "2", "count-1": "0", "count-2": "0"},
            scrutineers="王监票",
            counters="李计票，赵计票",
        )
    )
    assert "The show of hands is recorded with its scrutineers." in text
    text = text_of(post(client, console, f"/votes/{named.id}/close"))
    assert "Adopted" in text


def test_the_chair_can_limit_the_time_for_ballots(
    client: FlaskClient, world: World, running: Any
) -> None:
    login(client, world.users["staff"].email)
    english(client)
    console = f"/meetings/{running.id}/console"
    post(client, console, f"{console}/advance", to="1")
    item = running.agenda[0]
    post(client, console, f"/agenda-items/{item.id}/votes", secret="y")
    vote = db.session.execute(select(Vote)).scalar_one()
    clock.advance(timedelta(minutes=10))  # prepared early, opened later: the limit counts from open
    page = text_of(post(client, console, f"/votes/{vote.id}/open", minutes="30"))
    assert vote.closes_at == NOW + timedelta(minutes=40)
    assert "Ballots accepted until" in page


def test_a_forged_or_replayed_ballot_form_counts_nothing(
    app: Flask, world: World, running: Any
) -> None:
    from consult.voting import service as voting

    vote = voting.open_vote(SYSTEM, voting.create_vote(SYSTEM, running.agenda[0], secret=True))
    db.session.commit()
    voter = app.test_client()
    login(voter, world.users["resident"].email)
    ballot = f"/votes/{vote.id}/ballot"
    forged = voter.post(ballot, data={"choice": "yes", "receipt": new_receipt()})
    assert forged.status_code == 400  # no CSRF token: refused before anything is read
    token = csrf_token(text_of(voter.get(ballot)))
    form = {"csrf_token": token, "choice": "no", "receipt": new_receipt()}
    assert voter.post(ballot, data=form).status_code == 200
    replayed = voter.post(ballot, data=form, follow_redirects=True)
    assert "A ballot has already been cast" in text_of(replayed) or "已经投过票" in text_of(
        replayed
    )
    assert db.session.execute(select(func.count(Participation.id))).scalar_one() == 1


def test_staff_cannot_see_who_cast_a_secret_ballot(
    app: Flask, client: FlaskClient, world: World, running: Any
) -> None:
    """Everything the committee can open about a secret vote: no page or API answer puts a
    voter's name beside their ballot (the receipt hash or the choice)."""
    from consult.crypto.receipts import receipt_hash
    from consult.voting import service as voting
    from tests.integration.api_support import headers_for

    vote = voting.open_vote(SYSTEM, voting.create_vote(SYSTEM, running.agenda[0], secret=True))
    resident = world.residents["resident"]
    mine = new_receipt()
    as_resident = actor_for(world.users["resident"], world.community.id)
    voting.cast_ballot(as_resident, vote, choice="abstain", receipt=mine)
    voting.close_vote(SYSTEM, vote, app.extensions["consult.field_cipher"])
    db.session.commit()
    digest = receipt_hash(mine)
    login(client, world.users["staff"].email)
    api = app.test_client()
    staff = headers_for(world, "staff")
    answers = [
        text_of(client.get(f"/meetings/{running.id}/console")),
        text_of(client.get(f"/meetings/{running.id}")),
        text_of(client.get(f"/votes/{vote.id}/paper")),
        text_of(client.get(f"/votes/{vote.id}")),
        text_of(client.get(f"/votes/{vote.id}/ledger.json")),
        text_of(api.get(f"/api/v1/votes/{vote.id}", headers=staff)),
        text_of(api.get(f"/api/v1/votes/{vote.id}/result", headers=staff)),
        text_of(api.get(f"/api/v1/votes/{vote.id}/turnout", headers=staff)),
        text_of(api.get(f"/api/v1/votes/{vote.id}/ledger", headers=staff)),
        text_of(api.get(f"/api/v1/meetings/{running.id}/attendance", headers=staff)),
    ]
    ledger = json.loads(answers[-2])
    assert all(set(e) == {"choice", "receipt_hash"} for e in ledger["entries"])
    for body in answers:
        assert not (resident.name in body and digest in body), body[:200]


def test_a_vote_of_all_members_from_the_body_page(
    app: Flask, client: FlaskClient, world: World, running: Any
) -> None:
    login(client, world.users["staff"].email)
    english(client)
    page = f"/bodies/{running.body_id}"
    assert "Prepare a vote of all members" in text_of(client.get(page))
    made = post(client, page, f"/bodies/{running.body_id}/votes", title="垃圾分类点位", secret="y")
    assert "The vote is ready." in text_of(made)
    vote = db.session.execute(select(Vote).where(Vote.meeting_id.is_(None))).scalar_one()
    manage = f"/votes/{vote.id}/manage"
    text = text_of(post(client, manage, f"/votes/{vote.id}/open", days="7"))
    assert vote.closes_at == NOW + timedelta(days=7)
    assert "0 of 2 have voted" in text  # both adults of heping, no meeting needed
    voter = app.test_client()
    login(voter, world.users["representative"].email)
    ballot = f"/votes/{vote.id}/ballot"
    post(voter, ballot, ballot, choice="yes", receipt=new_receipt())
    text = text_of(post(client, manage, f"/votes/{vote.id}/close"))
    # One of the two took part: the quorum, counted on those who voted, is not met.
    assert "No quorum: nothing was decided" in text
    assert "垃圾分类点位" in text_of(client.get(page))
    # Its public result (with the receipt check) and its paper-ballot page have no meeting.
    assert app.test_client().get(f"/votes/{vote.id}").status_code == 200
    assert client.get(f"/votes/{vote.id}/paper").status_code == 200


def test_an_election_on_the_console_and_the_ballot(
    app: Flask, client: FlaskClient, world: World
) -> None:
    from consult.meetings import candidates
    from tests.factories import make_resident

    clock.freeze(NOW)
    meeting = make_meeting(world.community, agenda=(("选举", "election"),), state="in_session")
    item = meeting.agenda[0]
    extra = make_resident(world.community, name="赵候选", household="H901")
    for rid in (world.residents["resident"].id, world.residents["representative"].id, extra.id):
        candidates.register_candidate(SYSTEM, item, resident_id=rid, nominated_by="voters")
    for name in ("resident", "representative"):
        meetings.record_attendance(
            SYSTEM, meeting, resident_id=world.residents[name].id, status="present"
        )
    db.session.commit()
    login(client, world.users["staff"].email)
    english(client)
    console = f"/meetings/{meeting.id}/console"
    post(client, console, f"{console}/advance", to="1")
    page = text_of(client.get(console))
    assert "Prepare the election" in page
    cand_ids = [str(r) for r in (world.residents["resident"].id, extra.id)]
    text = text_of(
        post(client, console, f"/agenda-items/{item.id}/votes", seats="2", candidates=cand_ids[:1])
    )
    assert "There must be more candidates than seats" in text  # one candidate for two seats
    post(client, console, f"/agenda-items/{item.id}/votes", seats="1")
    vote = db.session.execute(select(Vote)).scalar_one()
    assert vote.seats == 1
    assert vote.secret
    post(client, console, f"/votes/{vote.id}/open")
    voter = app.test_client()
    login(voter, world.users["resident"].email)
    english(voter)
    ballot = f"/votes/{vote.id}/ballot"
    form = text_of(voter.get(ballot))
    assert 'type="checkbox" name="marks" value="赵候选"' in form
    assert "Mark at most 1 candidates" in form
    token = csrf_token(form)
    too_many = voter.post(
        ballot,
        data={"csrf_token": token, "marks": ["赵候选", "王建国"], "receipt": new_receipt()},
        follow_redirects=True,
    )
    assert "Too many marks" in text_of(too_many)
    shown = voter.post(
        ballot, data={"csrf_token": token, "marks": ["赵候选"], "receipt": new_receipt()}
    )
    assert "You chose: 赵候选" in text_of(shown)
    rep = app.test_client()
    login(rep, world.users["representative"].email)
    post(rep, ballot, ballot, marks="赵候选", receipt=new_receipt())
    text = text_of(post(client, console, f"/votes/{vote.id}/close"))
    assert "Elected: 赵候选" in text
    assert "Prepare the next round" not in text  # the seat is filled


def test_the_meeting_page_records_the_voter_rolls_publication(
    client: FlaskClient, world: World
) -> None:
    clock.freeze(NOW)
    meeting = make_meeting(world.community, agenda=(("选举", "election"),), state="noticed")
    db.session.commit()
    login(client, world.users["staff"].email)
    english(client)
    url = f"/meetings/{meeting.id}"
    page = text_of(client.get(url))
    assert "no publication is recorded" in page
    assert "URC25-09" in page
    item = meeting.agenda[0]
    text = text_of(
        post(client, url, f"/agenda-items/{item.id}/voter-roll", published_on="2026-06-01")
    )
    assert "The publication of the voter roll is recorded." in text
    assert "20 days before election day" in text
