"""Votes through the services: the roll frozen at open, one ballot per voter held by the
database, proxies cast by their holders, household mode, the statutory tally, the signed ledger
that verifies offline — and every bad input refused with nothing counted twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, inspect, select, text

from consult import clock
from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.crypto.ledger import verify_ledger
from consult.crypto.receipts import new_receipt, receipt_hash
from consult.errors import Conflict, Invalid, NotAllowed, NotFound
from consult.extensions import db
from consult.meetings import service as meetings
from consult.registry.enrolment import actor_for
from consult.voting import service as voting
from consult.voting.models import OpenBallot, Participation, SecretBallot, Vote
from tests.factories import make_body, make_community, make_meeting, make_resident, make_user

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def cipher(app: Flask) -> Any:
    return app.extensions["consult.field_cipher"]


@pytest.fixture
def town(db_session: Any) -> dict[str, Any]:
    """Five adults in five households, each with a verified account, and a staff member."""
    clock.freeze(NOW)
    community = make_community("minzhu", name="民主社区")
    people = [
        make_resident(community, name=f"居民{n}", household=f"H{n}", gender="MF"[n % 2])
        for n in range(5)
    ]
    voters = [actor_for(make_user(resident=p), community.id) for p in people]
    staff = actor_for(make_user(community=community, roles=("staff",)), community.id)
    db_session.flush()
    return {"community": community, "people": people, "voters": voters, "staff": staff}


def _in_session(town: dict[str, Any], present: int = 4, **kwargs: Any) -> Any:
    meeting = make_meeting(town["community"], state="in_session", **kwargs)
    for person in town["people"][:present]:
        meetings.record_attendance(town["staff"], meeting, resident_id=person.id, status="present")
    return meeting


def _open(town: dict[str, Any], meeting: Any, *, secret: bool = True, **kwargs: Any) -> Vote:
    vote = voting.create_vote(town["staff"], meeting.agenda[0], secret=secret, **kwargs)
    return voting.open_vote(town["staff"], vote)


def count(model: Any) -> int:
    return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_secret_vote_from_open_to_a_signed_ledger(town: dict[str, Any], cipher: Any) -> None:
    meeting = _in_session(town)
    vote = _open(town, meeting)
    assert vote.eligible == 4
    assert vote.members == 5
    receipts = [
        voting.cast_ballot(voter, vote, choice=choice).receipt
        for voter, choice in zip(town["voters"][:4], ("yes", "yes", "yes", "no"), strict=True)
    ]
    assert len(set(receipts)) == 4
    assert voting.turnout(town["staff"], vote) == {"eligible": 4, "cast": 4}
    voting.close_vote(town["staff"], vote, cipher)
    result = voting.result_json(vote)
    assert result["counts"] == {"yes": 3, "no": 1, "abstain": 0}
    assert (result["eligible"], result["cast"]) == (4, 4)
    # URC25-24: more than half of those present (4) — three is enough, two would not be.
    assert result["outcome"] == "adopted"
    assert result["votes_required"] == 3
    assert result["rule"]["id"].startswith("URC25-")
    assert result["quorum"]["met"] is True
    document = voting.ledger_document(Actor.anonymous(), vote)
    check = verify_ledger(document)
    assert check.ok, check.problems
    assert document["counts"] == result["counts"]
    assert sorted(e["receipt_hash"] for e in document["entries"]) == sorted(
        receipt_hash(r) for r in receipts
    )
    found = voting.find_receipt(vote, receipts[3].lower())
    assert found == {"found": True, "receipt_hash": receipt_hash(receipts[3]), "choice": "no"}
    assert voting.find_receipt(vote, new_receipt())["found"] is False
    closing = db.session.execute(
        select(AuditEntry.payload).where(AuditEntry.action == "votes:vote:close")
    ).scalar_one()
    assert document["merkle_root"] in str(closing)


def test_two_yes_of_four_present_is_rejected_and_a_tie_fails(
    town: dict[str, Any], cipher: Any
) -> None:
    vote = _open(town, _in_session(town))
    for voter, choice in zip(town["voters"], ("yes", "yes", "no", "no"), strict=False):
        voting.cast_ballot(voter, vote, choice=choice)
    voting.close_vote(town["staff"], vote, cipher)
    assert voting.result_json(vote)["outcome"] == "rejected"


def test_without_a_quorum_the_outcome_is_no_quorum(town: dict[str, Any], cipher: Any) -> None:
    vote = _open(town, _in_session(town, present=2))  # 2 of 5: not more than half
    for voter in town["voters"][:2]:
        voting.cast_ballot(voter, vote, choice="yes")
    voting.close_vote(town["staff"], vote, cipher)
    result = voting.result_json(vote)
    assert result["outcome"] == "no_quorum"
    assert result["quorum"] == {
        "members": 5,
        "present": 2,
        "required": 3,
        "met": False,
        "unit": "persons",
    }


def test_options_vote_adopts_the_leading_option_and_a_tie_adopts_nothing(
    town: dict[str, Any], cipher: Any
) -> None:
    options = ["方案一", "方案二", "方案三"]
    vote = _open(town, _in_session(town), options=options, secret=False)
    picks = ("方案二", "方案二", "方案二", "方案一")
    for voter, choice in zip(town["voters"], picks, strict=False):
        voting.cast_ballot(voter, vote, choice=choice)
    voting.close_vote(town["staff"], vote, cipher)
    result = voting.result_json(vote)
    assert result["counts"] == {"方案一": 1, "方案二": 3, "方案三": 0}
    assert (result["outcome"], result["winner"]) == ("adopted", "方案二")
    document = voting.ledger_document(town["voters"][0], vote)
    assert {e["voter"] for e in document["entries"]} == {f"居民{n}" for n in range(4)}
    assert verify_ledger(document).ok
    # The public sees the counts and the root of a named vote, not who voted how.
    public = voting.ledger_document(Actor.anonymous(), vote)
    assert "entries" not in public
    assert public["merkle_root"] == document["merkle_root"]
    # A tie for the most votes adopts nothing.
    tied = _open(town, _in_session(town), options=options)
    picks = ("方案一", "方案一", "方案二", "方案二")
    for voter, choice in zip(town["voters"], picks, strict=False):
        voting.cast_ballot(voter, tied, choice=choice)
    voting.close_vote(town["staff"], tied, cipher)
    assert voting.result_json(tied)["outcome"] == "rejected"
    assert voting.result_json(tied)["winner"] is None


def test_every_bad_ballot_is_refused_and_nothing_is_counted_twice(town: dict[str, Any]) -> None:
    meeting = _in_session(town)
    vote = voting.create_vote(town["staff"], meeting.agenda[0], secret=True)
    alice, bob, *_ = town["voters"]
    absent = town["voters"][4]
    with pytest.raises(Conflict) as early:
        voting.cast_ballot(alice, vote, choice="yes")
    assert early.value.code == "vote_not_open"
    voting.open_vote(town["staff"], vote)
    voting.cast_ballot(alice, vote, choice="yes")
    with pytest.raises(Conflict) as twice:
        voting.cast_ballot(alice, vote, choice="no")
    assert twice.value.code == "already_voted"
    with pytest.raises(Invalid) as wrong:
        voting.cast_ballot(bob, vote, choice="maybe")
    assert wrong.value.code == "invalid_choice"
    with pytest.raises(NotAllowed) as not_here:
        voting.cast_ballot(absent, vote, choice="yes")  # not present when the vote opened
    assert not_here.value.code == "not_eligible"
    with pytest.raises(NotAllowed):
        voting.cast_ballot(town["staff"], vote, choice="yes")  # staff without a resident
    with pytest.raises(Invalid) as bad_receipt:
        voting.cast_ballot(bob, vote, choice="no", receipt="not-a-receipt")
    assert bad_receipt.value.code == "receipt_invalid"
    taken = db.session.execute(select(SecretBallot.receipt_hash)).scalar_one()
    assert count(Participation) == count(SecretBallot) == 1
    # A client receipt that collides is 409; the client makes a new one.
    mine = new_receipt()
    voting.cast_ballot(bob, vote, choice="no", receipt=mine)
    assert receipt_hash(mine) != taken
    assert count(Participation) == count(SecretBallot) == 2


def test_a_colliding_client_receipt_is_409(town: dict[str, Any]) -> None:
    vote = _open(town, _in_session(town))
    code = new_receipt()
    voting.cast_ballot(town["voters"][0], vote, choice="yes", receipt=code)
    with pytest.raises(Conflict) as taken:
        voting.cast_ballot(town["voters"][1], vote, choice="no", receipt=code)
    assert taken.value.code == "receipt_taken"
    db.session.rollback()  # the edge rolls the whole request back: no participation either


def test_a_closed_vote_takes_no_ballot_and_does_not_close_twice(
    town: dict[str, Any], cipher: Any
) -> None:
    vote = _open(town, _in_session(town))
    voting.close_vote(town["staff"], vote, cipher)
    with pytest.raises(Conflict) as closed:
        voting.cast_ballot(town["voters"][0], vote, choice="yes")
    assert closed.value.code == "vote_closed"
    with pytest.raises(Conflict):
        voting.close_vote(town["staff"], vote, cipher)
    assert count(Participation) == 0


def test_only_the_chair_or_staff_run_votes_and_one_at_a_time(town: dict[str, Any]) -> None:
    meeting = _in_session(town)
    with pytest.raises(NotAllowed):
        voting.create_vote(town["voters"][0], meeting.agenda[0], secret=True)
    first = _open(town, meeting)
    second = voting.create_vote(town["staff"], meeting.agenda[0], secret=False)
    with pytest.raises(Conflict) as busy:
        voting.open_vote(town["staff"], second)
    assert busy.value.code == "another_vote_open"
    assert first.state == "open"


def test_a_major_item_waits_for_the_party_review(town: dict[str, Any]) -> None:
    meeting = _in_session(town, agenda=(("加装电梯", "major"),))
    vote = voting.create_vote(town["staff"], meeting.agenda[0], secret=True)
    with pytest.raises(Conflict) as gate:
        voting.open_vote(town["staff"], vote)
    assert gate.value.code == "not_ready"
    meetings.record_party_review(town["staff"], meeting.agenda[0], reference="党委会纪要第3号")
    assert voting.open_vote(town["staff"], vote).state == "open"


def test_a_proxy_holder_casts_for_the_principal_once(town: dict[str, Any], cipher: Any) -> None:
    meeting = _in_session(town, present=2)
    holder, principal = town["people"][0], town["people"][4]
    meetings.record_attendance(
        town["staff"], meeting, resident_id=principal.id, status="proxy", proxy_holder_id=holder.id
    )
    vote = _open(town, meeting, secret=False)
    assert vote.eligible == 3
    me = town["voters"][0]
    assert [(b["name"], b["by_proxy"]) for b in voting.my_ballots(me, vote)] == [
        ("居民0", False),
        ("居民4", True),
    ]
    voting.cast_ballot(me, vote, choice="yes")
    voting.cast_ballot(me, vote, choice="no", on_behalf_of=principal.id)
    with pytest.raises(Conflict):
        voting.cast_ballot(me, vote, choice="yes", on_behalf_of=principal.id)
    with pytest.raises(NotAllowed):  # the principal did not come: the holder votes for them
        voting.cast_ballot(town["voters"][4], vote, choice="yes")
    proxied = db.session.execute(select(Participation).where(Participation.by_proxy)).scalar_one()
    assert proxied.cast_by == holder.id
    voting.close_vote(town["staff"], vote, cipher)
    entries = voting.ledger_document(town["staff"], vote)["entries"]
    assert {(e["voter"], e["choice"]) for e in entries} == {("居民0", "yes"), ("居民4", "no")}


def test_household_mode_takes_one_ballot_per_household(town: dict[str, Any]) -> None:
    community = town["community"]
    spouse = make_resident(community, name="配偶", household="H0", gender="F")
    spouse_voter = actor_for(make_user(resident=spouse), community.id)
    body = make_body(community, mode="households")
    meeting = make_meeting(community, body, state="in_session")
    meetings.record_attendance(
        town["staff"], meeting, resident_id=town["people"][0].id, status="present"
    )
    vote = _open(town, meeting)
    assert vote.unit == "households"
    voting.cast_ballot(town["voters"][0], vote, choice="yes")
    with pytest.raises(NotAllowed):  # the household already attends through someone else
        voting.cast_ballot(spouse_voter, vote, choice="no")
    assert count(Participation) == 1


def test_a_secret_ballot_has_no_path_to_a_voter(db_session: Any) -> None:
    """VOTING.md: no voter column, no timestamp, no foreign key but the vote, a random id."""
    table = inspect(db.session.connection())
    columns = {c["name"] for c in table.get_columns("secret_ballots")}
    assert columns == {"vote_id", "id", "choice", "receipt_hash"}
    foreign = table.get_foreign_keys("secret_ballots")
    assert [(f["referred_table"], f["constrained_columns"]) for f in foreign] == [
        ("votes", ["vote_id"])
    ]
    for other in ("participations", "vote_roll", "residents", "users", "open_ballots"):
        for key in table.get_foreign_keys(other):
            assert key["referred_table"] != "secret_ballots"
    assert {c["name"] for c in table.get_columns("participations")}.isdisjoint(
        {"choice", "receipt_hash", "ballot_id"}
    )
    assert SecretBallot.__table__.c.id.type.length == 32  # 128 random bits, hex


def test_a_cast_finds_its_roll_entry_by_index_not_by_walking_the_roll(
    town: dict[str, Any],
) -> None:
    """The primary key (vote_id, voter_key, caster_id) holds caster_id behind voter_key: a cast
    looking up its entry by it walked the vote's whole roll (20,000 entries per ballot in the
    last hour's rush). Its own index makes it one probe; paper ballots look up the principal."""
    table = inspect(db.session.connection())
    indexes = {i["name"]: i["column_names"] for i in table.get_indexes("vote_roll")}
    assert indexes["ix_vote_roll_vote_caster"] == ["vote_id", "caster_id"]
    assert indexes["ix_vote_roll_vote_principal"] == ["vote_id", "principal_id"]
    # A participation is looked up by vote through its unique (vote_id, voter_key) alone.
    own = [i for i in table.get_indexes("participations") if not i.get("duplicates_constraint")]
    assert own == []
    assert ["vote_id", "voter_key"] in [
        u["column_names"] for u in table.get_unique_constraints("participations")
    ]
    vote = _open(town, _in_session(town))
    voter = town["voters"][0].resident_id
    assert voter is not None
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        # The rush's own statement (a plain EXPLAIN plans it without running its inserts).
        params = {
            "vote": vote.id,
            "caster": voter,
            "principal": voter,
            "now": NOW,
            "ballot": "0" * 32,
            "choice": "yes",
            "hash": "0" * 64,
        }
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a roll of four is tiny
        driver = db.session.connection().connection.driver_connection
        plan = [row[0] for row in driver.execute("EXPLAIN " + voting._CAST_SECRET, params)]
    else:
        lookup = voting.roll_entry(vote.id, voter, voter)
        sql = str(lookup.compile(bind, compile_kwargs={"literal_binds": True}))
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        plan = [str(row[-1]) for row in rows]
    used = " ".join(plan)
    # Either probe finds the entry at once (a voter's principals are few); never the key's walk.
    assert "ix_vote_roll_vote_caster" in used or "ix_vote_roll_vote_principal" in used, plan
    assert "pk_vote_roll" not in used, plan
    assert "SCAN" not in used, plan  # SQLite's walk of a table


def test_secret_ballot_ids_are_random_and_no_choice_is_logged(
    town: dict[str, Any], cipher: Any, caplog: pytest.LogCaptureFixture
) -> None:
    vote = _open(town, _in_session(town))
    entries_before = count(AuditEntry)
    for voter, choice in zip(town["voters"], ("yes", "no", "abstain", "yes"), strict=False):
        voting.cast_ballot(voter, vote, choice=choice)
    # Casting writes no audit entry (the participation row is the record of who voted), and no
    # log line names a choice.
    assert count(AuditEntry) == entries_before
    ids = list(db.session.execute(select(SecretBallot.id)).scalars())
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len(set(ids)) == 4
    assert "abstain" not in caplog.text
    assert count(OpenBallot) == 0


def test_a_meeting_is_not_adjourned_with_a_vote_open(town: dict[str, Any], cipher: Any) -> None:
    meeting = _in_session(town)
    vote = _open(town, meeting)
    with pytest.raises(Conflict) as refused:
        meetings.adjourn_meeting(town["staff"], meeting)
    assert refused.value.code == "vote_still_open"
    assert meeting.state == "in_session"
    voting.close_vote(town["staff"], vote, cipher)
    assert meetings.adjourn_meeting(town["staff"], meeting).state == "adjourned"


def test_ballots_outside_the_time_window_are_refused(town: dict[str, Any]) -> None:
    from datetime import timedelta

    meeting = _in_session(town)
    with pytest.raises(Invalid):
        voting.create_vote(
            town["staff"], meeting.agenda[0], secret=True, closes_at=NOW - timedelta(minutes=1)
        )
    vote = voting.create_vote(
        town["staff"],
        meeting.agenda[0],
        secret=True,
        opens_at=NOW + timedelta(minutes=5),
        closes_at=NOW + timedelta(minutes=20),
    )
    voting.open_vote(town["staff"], vote)
    with pytest.raises(Conflict) as early:
        voting.cast_ballot(town["voters"][0], vote, choice="yes")
    assert early.value.code == "vote_not_open"
    clock.advance(timedelta(minutes=10))
    voting.cast_ballot(town["voters"][0], vote, choice="yes")
    clock.advance(timedelta(minutes=10))
    with pytest.raises(Conflict) as late:
        voting.cast_ballot(town["voters"][1], vote, choice="yes")
    assert late.value.code == "vote_closed"
    assert count(Participation) == 1


def test_a_standalone_vote_of_all_members_is_judged_on_turnout(
    town: dict[str, Any], cipher: Any
) -> None:
    body = make_body(town["community"], name="民主社区居民会议")
    with pytest.raises(Invalid) as major:
        voting.create_standalone_vote(
            town["staff"], body, title="加装电梯", decision_type="major", secret=True
        )
    assert "decision_type" in major.value.details
    vote = voting.create_standalone_vote(
        town["staff"], body, title="小区垃圾分类点位调整", secret=True
    )
    assert voting.get_vote(town["staff"], vote.id).state == "draft"
    with pytest.raises(NotFound):
        voting.get_vote(Actor.anonymous(), vote.id)  # a draft is the committee's
    voting.open_vote(town["staff"], vote)
    assert vote.eligible == 5  # every adult of the community: no meeting, no sign-in
    assert voting.get_vote(Actor.anonymous(), vote.id).state == "open"
    for voter, choice in zip(town["voters"][:3], ("yes", "yes", "no"), strict=True):
        voting.cast_ballot(voter, vote, choice=choice)
    voting.close_vote(town["staff"], vote, cipher)
    result = voting.result_json(vote)
    assert result["counts"] == {"yes": 2, "no": 1, "abstain": 0}
    # Three of five took part: the quorum (more than half) is met by those who voted.
    assert result["quorum"] == {
        "members": 5,
        "present": 3,
        "required": 3,
        "met": True,
        "unit": "persons",
    }
    assert result["outcome"] == "adopted"
    assert verify_ledger(voting.ledger_document(Actor.anonymous(), vote)).ok


def test_a_standalone_vote_in_household_mode_takes_one_ballot_per_household(
    town: dict[str, Any],
) -> None:
    community = town["community"]
    spouse = make_resident(community, name="配偶", household="H0", gender="F")
    spouse_voter = actor_for(make_user(resident=spouse), community.id)
    body = make_body(community, mode="households")
    vote = voting.open_vote(
        town["staff"],
        voting.create_standalone_vote(town["staff"], body, title="户代表表决", secret=True),
    )
    assert vote.eligible == 5  # five households
    voting.cast_ballot(town["voters"][0], vote, choice="yes")
    with pytest.raises(Conflict) as same_household:
        voting.cast_ballot(spouse_voter, vote, choice="no")
    assert same_household.value.code == "already_voted"
    assert [b["voted"] for b in voting.my_ballots(spouse_voter, vote)] == [True]


def test_the_ledgers_small_fields_are_read_from_its_tail(town: dict[str, Any], cipher: Any) -> None:
    """ledger_facts reads merkle_root, public_key, tree_size… without parsing the entries, even
    when an option's text looks like one of those keys."""
    tricky = ['方案"merkle_root":"0"', "方案二"]
    vote = _open(town, _in_session(town), options=tricky)
    for voter in town["voters"][:3]:
        voting.cast_ballot(voter, vote, choice=tricky[0])
    voting.close_vote(town["staff"], vote, cipher)
    whole = voting.ledger_document(Actor.anonymous(), vote)
    facts = voting.ledger_facts(vote)
    for key in ("merkle_root", "public_key", "signature", "tree_size", "vote_id"):
        assert facts[key] == whole[key]
    assert voting.ledger_text(Actor.anonymous(), vote) == vote.ledger  # served as stored
