"""Elections: the standing candidates on a secret ballot, more candidates than seats, at most
one mark per seat; elected with more than half of those who voted (URC25-12), the election
valid when more than half voted (URC25-11); unfilled seats to a supplementary round among the
best-placed, decided by plurality with at least a third of the ballots; a tie for the last seat
voted again (LOC-06). The ledger publishes each ballot's marks."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from consult import clock
from consult.actor import Actor
from consult.crypto.ledger import verify_ledger
from consult.crypto.receipts import new_receipt
from consult.errors import Invalid
from consult.meetings import candidates
from consult.meetings import service as meetings
from consult.registry.enrolment import actor_for
from consult.voting import paper
from consult.voting import service as voting
from consult.voting.models import Vote
from tests.factories import make_community, make_meeting, make_resident, make_user

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
ELECTION = (("选举居民委员会成员", "election"),)


@pytest.fixture
def cipher(app: Flask) -> Any:
    return app.extensions["consult.field_cipher"]


@pytest.fixture
def town(db_session: Any) -> dict[str, Any]:
    """Six adults (five present), a staff member, and three candidates: 甲, 乙, 丙."""
    clock.freeze(NOW)
    community = make_community("xuanju", name="选举社区")
    names = ("甲", "乙", "丙", "丁", "戊", "己")
    people = [
        make_resident(community, name=n, household=f"H{i}", gender="MF"[i % 2])
        for i, n in enumerate(names)
    ]
    voters = [actor_for(make_user(resident=p), community.id) for p in people]
    staff = actor_for(make_user(community=community, roles=("staff",)), community.id)
    meeting = make_meeting(community, agenda=ELECTION, state="in_session")
    for person in people[:3]:  # candidates are registered before they sign in
        candidates.register_candidate(
            staff, meeting.agenda[0], resident_id=person.id, nominated_by="voters"
        )
    for person in people[:5]:
        meetings.record_attendance(staff, meeting, resident_id=person.id, status="present")
    db_session.flush()
    return {
        "community": community,
        "people": people,
        "voters": voters,
        "staff": staff,
        "meeting": meeting,
    }


def _election(town: dict[str, Any], seats: int = 2, **kwargs: Any) -> Vote:
    vote = voting.create_vote(
        town["staff"], town["meeting"].agenda[0], secret=True, seats=seats, **kwargs
    )
    return voting.open_vote(town["staff"], vote)


def _cast(town: dict[str, Any], vote: Vote, ballots: list[list[str]]) -> None:
    for voter, marks in zip(town["voters"], ballots, strict=False):
        voting.cast_ballot(voter, vote, marks=marks)


def test_the_ballot_is_the_standing_candidates_more_than_the_seats(town: dict[str, Any]) -> None:
    item = town["meeting"].agenda[0]
    staff = town["staff"]
    with pytest.raises(Invalid) as named:
        voting.create_vote(staff, item, secret=False, seats=2)
    assert named.value.code == "election_secret"  # URC25-13: 无记名投票
    with pytest.raises(Invalid) as no_seats:
        voting.create_vote(staff, item, secret=True)
    assert no_seats.value.code == "seats_required"
    with pytest.raises(Invalid) as equal:
        voting.create_vote(staff, item, secret=True, seats=3)
    assert equal.value.code == "not_enough_candidates"  # 差额: URC25-10
    assert equal.value.details["rule"] == "URC25-10"
    vote = voting.create_vote(staff, item, secret=True, seats=2)
    assert vote.options == ["甲", "乙", "丙"]
    assert voting.vote_json(vote)["seats"] == 2


def test_marks_are_checked_and_a_blank_ballot_counts_as_cast(town: dict[str, Any]) -> None:
    vote = _election(town)
    voter = town["voters"][0]
    with pytest.raises(Invalid) as too_many:
        voting.cast_ballot(voter, vote, marks=["甲", "乙", "丙"])
    assert too_many.value.code == "too_many_marks"
    with pytest.raises(Invalid) as twice:
        voting.cast_ballot(voter, vote, marks=["甲", "甲"])
    assert twice.value.code == "invalid_choice"
    with pytest.raises(Invalid):
        voting.cast_ballot(voter, vote, marks=["庚"])
    voting.cast_ballot(voter, vote, marks=[])
    assert voting.turnout(town["staff"], vote)["cast"] == 1


def test_elected_with_more_than_half_of_those_who_voted(town: dict[str, Any], cipher: Any) -> None:
    vote = _election(town)
    _cast(town, vote, [["甲", "乙"], ["甲", "乙"], ["甲", "丙"], ["甲", "乙"], ["丙"]])
    voting.close_vote(town["staff"], vote, cipher)
    result = voting.result_json(vote)
    assert result["counts"] == {"甲": 4, "乙": 3, "丙": 2}
    assert result["votes_required"] == 3  # more than half of five who voted
    assert result["elected"] == ["甲", "乙"]
    assert result["outcome"] == "adopted"
    assert result["rule"]["id"] == "URC25-12"
    document = voting.ledger_document(Actor.anonymous(), vote)
    assert verify_ledger(document).ok
    # Anyone recomputes each candidate's votes from the published ballots.
    recount: Counter[str] = Counter()
    for entry in document["entries"]:
        recount.update(json.loads(entry["choice"]))
    assert dict(recount) == result["counts"]


def test_an_unfilled_seat_goes_to_a_supplementary_round(town: dict[str, Any], cipher: Any) -> None:
    vote = _election(town)
    _cast(town, vote, [["甲", "乙"], ["甲", "丙"], ["甲"], ["甲", "乙"], ["丙"]])
    voting.close_vote(town["staff"], vote, cipher)
    first = voting.result_json(vote)
    assert first["elected"] == ["甲"]  # 乙 and 丙 have two each: not more than half of five
    assert first["unfilled_seats"] == 1
    assert first["outcome"] == "rejected"
    assert first["next_round"] == ["乙", "丙"]
    second = voting.create_vote(
        town["staff"],
        town["meeting"].agenda[0],
        secret=True,
        seats=1,
        supplementary=True,
        candidates=[town["people"][1].id, town["people"][2].id],
    )
    voting.open_vote(town["staff"], second)
    _cast(town, second, [["乙"], ["乙"], ["丙"], []])  # four voted, one blank
    voting.close_vote(town["staff"], second, cipher)
    result = voting.result_json(second)
    # Plurality, with at least a third of the four ballots: 乙's two are enough.
    assert result["elected"] == ["乙"]
    assert result["supplementary"] is True
    assert result["blank"] == 1
    assert result["outcome"] == "adopted"


def test_a_tie_for_the_last_seat_is_voted_again(town: dict[str, Any], cipher: Any) -> None:
    staff = town["staff"]
    item = town["meeting"].agenda[0]
    with pytest.raises(Invalid) as alone:
        voting.create_vote(staff, item, secret=True, seats=1, supplementary=True)
    assert alone.value.code == "no_first_round"  # a supplementary round follows a round
    first = _election(town, seats=1)
    _cast(town, first, [["甲"], ["甲"], ["乙"], ["乙"], ["丙"]])
    voting.close_vote(staff, first, cipher)
    assert voting.result_json(first)["next_round"] == ["甲", "乙"]  # nobody had three
    with pytest.raises(Invalid) as outsider:
        voting.create_vote(
            staff,
            item,
            secret=True,
            seats=1,
            supplementary=True,
            candidates=[town["people"][2].id],
        )
    assert outsider.value.code == "not_in_next_round"
    vote = _election(town, seats=1, supplementary=True)
    assert vote.options == ["甲", "乙"]
    _cast(town, vote, [["甲"], ["甲"], ["乙"], ["乙"], []])
    voting.close_vote(staff, vote, cipher)
    result = voting.result_json(vote)
    assert result["elected"] == []
    assert result["tied"] == ["甲", "乙"]
    assert result["next_round"] == ["甲", "乙"]  # LOC-06: a re-vote among the tied
    assert result["outcome"] == "rejected"


def test_those_tied_for_a_place_in_the_next_round_all_go_on(
    town: dict[str, Any], cipher: Any
) -> None:
    vote = _election(town, seats=1)
    _cast(town, vote, [["甲"], ["甲"], ["乙"], ["丙"], []])
    voting.close_vote(town["staff"], vote, cipher)
    # One seat left: the best two go on — 甲, then 乙 and 丙 tie for second: both go.
    assert voting.result_json(vote)["next_round"] == ["甲", "乙", "丙"]


def test_an_election_where_too_few_voted_is_void(town: dict[str, Any], cipher: Any) -> None:
    vote = _election(town)
    _cast(town, vote, [["甲", "乙"], ["甲", "乙"], ["甲", "乙"]])  # three of six voters
    voting.close_vote(town["staff"], vote, cipher)
    result = voting.result_json(vote)
    assert result["outcome"] == "no_quorum"  # URC25-11: more than half must vote
    assert result["elected"] == []


def test_paper_election_ballots_carry_their_marks(town: dict[str, Any], cipher: Any) -> None:
    vote = _election(town)
    desk = town["staff"]
    second = actor_for(
        make_user(community=town["community"], roles=("staff",)), town["community"].id
    )
    for person in town["people"][:3]:
        paper.issue_paper_ballot(desk, vote, resident_id=person.id)
    stubs = [new_receipt() for _ in range(3)]
    for reader in (desk, second):
        paper.enter_paper_ballot(reader, vote, receipt=stubs[0], marks=["甲", "乙"])
        paper.enter_paper_ballot(reader, vote, receipt=stubs[1], marks=["乙", "甲"])
        paper.enter_paper_ballot(reader, vote, receipt=stubs[2], marks=["甲"])
    with pytest.raises(Invalid) as too_many:
        paper.enter_paper_ballot(desk, vote, receipt=new_receipt(), marks=["甲", "乙", "丙"])
    assert too_many.value.code == "too_many_marks"
    voting.cast_ballot(town["voters"][3], vote, marks=["甲"])  # and one online
    voting.close_vote(desk, vote, cipher)
    result = voting.result_json(vote)
    assert result["counts"] == {"甲": 4, "乙": 2, "丙": 0}
    assert result["cast"] == 4
    assert result["elected"] == ["甲"]  # 乙: two of four is not more than half
