"""Paper ballots and shows of hands beside online ballots: the desk marks who took a paper
ballot (so they cannot vote online, and an online voter gets none), two staff enter the paper
ballots independently, disagreements wait for a recorded resolution, nothing is counted twice
or beyond those present; show-of-hands totals with their scrutineers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from consult import clock
from consult.audit.models import AuditEntry
from consult.crypto.ledger import verify_ledger
from consult.crypto.receipts import new_receipt, receipt_hash
from consult.errors import Conflict, Invalid, NotAllowed
from consult.extensions import db
from consult.meetings import service as meetings
from consult.registry.enrolment import actor_for
from consult.voting import paper
from consult.voting import service as voting
from consult.voting.models import SecretBallot, Vote
from tests.factories import make_community, make_meeting, make_resident, make_user

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def cipher(app: Flask) -> Any:
    return app.extensions["consult.field_cipher"]


@pytest.fixture
def town(db_session: Any) -> dict[str, Any]:
    clock.freeze(NOW)
    community = make_community("tongxin", name="同心社区")
    people = [
        make_resident(community, name=f"村民{n}", household=f"H{n}", gender="MF"[n % 2])
        for n in range(6)
    ]
    voters = [actor_for(make_user(resident=p), community.id) for p in people]
    staff = [
        actor_for(make_user(community=community, roles=("staff",)), community.id) for _ in range(2)
    ]
    meeting = make_meeting(community, state="in_session")
    for person in people[:5]:
        meetings.record_attendance(staff[0], meeting, resident_id=person.id, status="present")
    db_session.flush()
    return {"people": people, "voters": voters, "staff": staff, "meeting": meeting}


def _vote(town: dict[str, Any], secret: bool = True) -> Vote:
    vote = voting.create_vote(town["staff"][0], town["meeting"].agenda[0], secret=secret)
    return voting.open_vote(town["staff"][0], vote)


def test_paper_and_online_ballots_never_count_one_voter_twice(
    town: dict[str, Any], cipher: Any
) -> None:
    vote = _vote(town)
    desk, second = town["staff"]
    people, voters = town["people"], town["voters"]
    paper.issue_paper_ballot(desk, vote, resident_id=people[0].id)
    with pytest.raises(Conflict) as online_after_paper:
        voting.cast_ballot(voters[0], vote, choice="yes")
    assert online_after_paper.value.code == "already_voted"
    voting.cast_ballot(voters[1], vote, choice="no")
    with pytest.raises(Conflict) as paper_after_online:
        paper.issue_paper_ballot(desk, vote, resident_id=people[1].id)
    assert paper_after_online.value.code == "already_voted"
    paper.issue_paper_ballot(desk, vote, resident_id=people[2].id)
    stubs = [new_receipt(), new_receipt()]
    for clerk in (desk, second):  # two staff, independently
        paper.enter_paper_ballot(clerk, vote, receipt=stubs[0], choice="yes")
        paper.enter_paper_ballot(clerk, vote, receipt=stubs[1].lower(), choice="yes")
    with pytest.raises(Conflict) as twice:
        paper.enter_paper_ballot(desk, vote, receipt=stubs[0], choice="yes")
    assert twice.value.code == "already_recorded"
    assert paper.paper_standing(vote).as_dict()["counted"] == 2
    voting.close_vote(desk, vote, cipher)
    result = voting.result_json(vote)
    assert result["counts"] == {"yes": 2, "no": 1, "abstain": 0}
    assert result["cast"] == 3
    document = voting.ledger_document(desk, vote)
    assert verify_ledger(document).ok
    assert voting.find_receipt(vote, stubs[1])["choice"] == "yes"  # the stub checks like a receipt
    assert document["tree_size"] == 3


def test_disagreements_wait_for_a_recorded_resolution(town: dict[str, Any], cipher: Any) -> None:
    vote = _vote(town)
    desk, second = town["staff"]
    for person in town["people"][:3]:
        paper.issue_paper_ballot(desk, vote, resident_id=person.id)
    agreed, differ, single = new_receipt(), new_receipt(), new_receipt()
    paper.enter_paper_ballot(desk, vote, receipt=agreed, choice="no")
    paper.enter_paper_ballot(second, vote, receipt=agreed, choice="no")
    paper.enter_paper_ballot(desk, vote, receipt=differ, choice="yes")
    paper.enter_paper_ballot(second, vote, receipt=differ, choice="no")
    paper.enter_paper_ballot(desk, vote, receipt=single, choice="abstain")
    disputes = paper.paper_standing(vote).disputes
    assert {(d["receipt_hash"], d["why"]) for d in disputes} == {
        (receipt_hash(differ), "the readings differ"),
        (receipt_hash(single), "one reading only"),
    }
    with pytest.raises(Conflict) as unresolved:
        voting.close_vote(desk, vote, cipher)
    assert unresolved.value.code == "paper_unresolved"
    with pytest.raises(Invalid):
        paper.resolve_paper_ballot(desk, vote, receipt=differ, choice="no", reason="")
    paper.resolve_paper_ballot(
        desk, vote, receipt=differ, choice="no", reason="三人复核原件，所选为反对"
    )
    paper.resolve_paper_ballot(desk, vote, receipt=single, choice=None, reason="存根缺失，作废")
    with pytest.raises(Conflict) as settled:
        paper.resolve_paper_ballot(desk, vote, receipt=agreed, choice="yes", reason="改一下")
    assert settled.value.code == "not_disputed"  # agreed readings are not re-decided
    voting.close_vote(desk, vote, cipher)
    assert voting.result_json(vote)["counts"] == {"yes": 0, "no": 2, "abstain": 0}
    assert db.session.execute(select(func.count(SecretBallot.id))).scalar_one() == 2
    actions = db.session.execute(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "votes:paper:resolve")
    ).scalar_one()
    assert actions == 2


def test_more_paper_ballots_than_handed_out_are_refused(town: dict[str, Any], cipher: Any) -> None:
    vote = _vote(town)
    desk, second = town["staff"]
    paper.issue_paper_ballot(desk, vote, resident_id=town["people"][0].id)
    for stub in (new_receipt(), new_receipt()):
        for clerk in (desk, second):
            paper.enter_paper_ballot(clerk, vote, receipt=stub, choice="yes")
    with pytest.raises(Conflict) as too_many:
        voting.close_vote(desk, vote, cipher)
    assert too_many.value.code == "paper_exceeds_issued"
    assert vote.state == "open"


def test_paper_needs_a_secret_vote_a_valid_stub_and_a_voter_on_the_roll(
    town: dict[str, Any], cipher: Any
) -> None:
    desk = town["staff"][0]
    named = _vote(town, secret=False)
    with pytest.raises(Invalid) as not_secret:
        paper.issue_paper_ballot(desk, named, resident_id=town["people"][0].id)
    assert not_secret.value.code == "paper_secret_only"
    voting.close_vote(desk, named, cipher)
    vote = _vote(town)
    with pytest.raises(Invalid) as bad_stub:
        paper.enter_paper_ballot(desk, vote, receipt="12345", choice="yes")
    assert bad_stub.value.code == "receipt_invalid"
    with pytest.raises(Invalid):
        paper.enter_paper_ballot(desk, vote, receipt=new_receipt(), choice="maybe")
    absent = town["people"][5]  # not present when the vote opened
    with pytest.raises(NotAllowed) as not_on_roll:
        paper.issue_paper_ballot(desk, vote, resident_id=absent.id)
    assert not_on_roll.value.code == "not_eligible"


def test_a_show_of_hands_with_its_scrutineers(town: dict[str, Any], cipher: Any) -> None:
    vote = _vote(town, secret=False)
    desk = town["staff"][0]
    voting.cast_ballot(town["voters"][0], vote, choice="yes")  # one voted online
    with pytest.raises(Conflict) as too_many:
        paper.record_hands(
            desk, vote, counts={"yes": 3, "no": 2}, scrutineers=["王监票"], counters=["李计票"]
        )
    assert too_many.value.code == "exceeds_present"  # 5 hands + 1 online > 5 present
    with pytest.raises(Invalid):
        paper.record_hands(desk, vote, counts={"yes": 2}, scrutineers=[], counters=["李计票"])
    with pytest.raises(Invalid):
        paper.record_hands(
            desk, vote, counts={"maybe": 1}, scrutineers=["王监票"], counters=["李计票"]
        )
    first = paper.record_hands(
        desk, vote, counts={"yes": 2, "no": 2}, scrutineers=["王监票"], counters=["李计票"]
    )
    with pytest.raises(Invalid):  # a correction needs its reason
        paper.record_hands(
            desk, vote, counts={"yes": 3, "no": 1}, scrutineers=["王监票"], counters=["李计票"]
        )
    fixed = paper.record_hands(
        desk,
        vote,
        counts={"yes": 3, "no": 1},
        scrutineers=["王监票", "赵监票"],
        counters=["李计票"],
        reason="重新点数，赞成三票",
    )
    assert fixed.previous_id == first.id
    voting.close_vote(desk, vote, cipher)
    result = voting.result_json(vote)
    assert result["counts"] == {"yes": 4, "no": 1, "abstain": 0}
    assert result["cast"] == 5
    assert result["outcome"] == "adopted"


def test_a_secret_vote_is_not_taken_by_hands(town: dict[str, Any]) -> None:
    vote = _vote(town)
    with pytest.raises(Invalid) as refused:
        paper.record_hands(
            town["staff"][0], vote, counts={"yes": 1}, scrutineers=["王"], counters=["李"]
        )
    assert refused.value.code == "hands_not_secret"


def test_hands_and_online_ballots_never_exceed_the_roll(town: dict[str, Any], cipher: Any) -> None:
    vote = _vote(town, secret=False)  # five on the roll
    desk = town["staff"][0]
    paper.record_hands(desk, vote, counts={"yes": 4}, scrutineers=["王"], counters=["李"])
    voting.cast_ballot(town["voters"][0], vote, choice="no")  # four hands + one: five
    with pytest.raises(Conflict) as full:
        voting.cast_ballot(town["voters"][1], vote, choice="no")
    assert full.value.code == "exceeds_present"
    voting.close_vote(desk, vote, cipher)
    assert voting.result_json(vote)["cast"] == 5


def test_a_void_paper_ballot_counts_among_those_who_voted(
    town: dict[str, Any], cipher: Any
) -> None:
    """SEM-5: 参加投票的人员 are the ballots returned, blank and void ones included."""
    vote = _vote(town)
    desk, second = town["staff"]
    for person in town["people"][:2]:
        paper.issue_paper_ballot(desk, vote, resident_id=person.id)
    good, spoiled = new_receipt(), new_receipt()
    for clerk in (desk, second):
        paper.enter_paper_ballot(clerk, vote, receipt=good, choice="yes")
    paper.enter_paper_ballot(desk, vote, receipt=spoiled, choice="no")
    paper.resolve_paper_ballot(desk, vote, receipt=spoiled, choice=None, reason="一票多选，作废")
    voting.close_vote(desk, vote, cipher)
    result = voting.result_json(vote)
    assert result["counts"] == {"yes": 1, "no": 0, "abstain": 0}
    assert result["void"] == 1
    assert result["cast"] == 2
