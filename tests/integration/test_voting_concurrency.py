"""Votes under real concurrency: real threads, each with its own app context, session and
commit, against a database of their own (a scratch PostgreSQL database beside
CONSULT_TEST_DATABASE_URL, or a SQLite file), as in test_concurrency.py.

What holds the guarantees (consult/voting/service.py):
- one ballot per voter, or per household: UNIQUE (vote_id, voter_key) on `participations`, and
  the INSERT … ON CONFLICT DO NOTHING that waits for a concurrent duplicate and then yields;
- a ballot is either in the closed vote's tally and ledger or refused, never lost: a cast locks
  the vote's row in share mode, closing locks it exclusively (PostgreSQL). On SQLite every
  transaction outside a reading request begins IMMEDIATE (consult/__init__.py::_sqlite_begin,
  which applies to bare app contexts too), so writers take turns.

Each race releases its threads together with a barrier, and nothing touches the database before
it: on SQLite a transaction begun early would hold the write lock while its thread waits.
The scratch database has a name of its own (with the process id), so this module and
test_concurrency.py, or two people running the suite, never drop each other's database.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, make_url, select, text

from consult import clock, create_app
from consult.actor import Actor
from consult.config import TestConfig, normalise_database_url
from consult.crypto.ledger import verify_ledger
from consult.crypto.receipts import receipt_hash
from consult.errors import Conflict
from consult.extensions import db
from consult.meetings import service as meetings
from consult.registry.enrolment import actor_for
from consult.voting import service as voting
from consult.voting.models import Participation, SecretBallot, Vote, VoteRoll
from tests.conftest import BACKENDS, PG_URL, ROOT
from tests.factories import make_body, make_community, make_meeting, make_resident, make_user

pytestmark = pytest.mark.integration

SCRATCH = f"consult_test_voting_concurrency_{os.getpid()}"
NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
THREADS = 50  # the figure: 50 threads for one resident
# Connections the racing threads share. PostgreSQL allows 100 clients by default and several
# people run the suite on one server: two runs of this module at once must both fit. With 25,
# 25 transactions race at every moment and the other threads wait for a connection and race
# in their turn (a transaction holds its connection until it commits).
CONNECTIONS = 25
HOUSEHOLDS = 10  # two adults each: 20 racing threads
CLOSE_RACE_VOTERS = 40
STAGGER = 0.005  # seconds between the close race's casters: SQLite's writers then leave gaps
HOLD = 0.5  # seconds a transaction is held open while another must wait for it
QUEUE = 5  # seconds a late ballot waits behind a waiting close (the fairness test)
WAIT = 30  # seconds before a stuck thread fails the test instead of hanging it
_codes = itertools.count(1)


# ---------------------------------------------------------------- the database and the app


def _scratch_postgres(action: str) -> str:
    assert PG_URL is not None
    url = make_url(normalise_database_url(PG_URL))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        if action == "create":
            conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
    admin.dispose()
    return url.set(database=SCRATCH).render_as_string(hide_password=False)


@pytest.fixture(scope="module", params=BACKENDS)
def voting_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """An app on a database of its own, with a pool of CONNECTIONS (filled for each test and
    emptied after it: see _pool)."""
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp(f"voting-concurrency-{request.param}")
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("PostgreSQL not configured (CONSULT_TEST_DATABASE_URL)")
        url = _scratch_postgres("create")
    else:
        url = f"sqlite:///{Path(instance) / 'voting.db'}"
    config = TestConfig(database_url=url, instance_path=instance)
    config.SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "pool_size": CONNECTIONS,
        "max_overflow": 0,
        "pool_timeout": WAIT,
    }
    app = create_app(config)
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        if request.param == "postgres":
            _scratch_postgres("drop")


@pytest.fixture(autouse=True)
def _pool(voting_app: Flask) -> Iterator[None]:
    """Open the connections before the test, so that a race is not a race to connect, and
    close them after it, so that a suite run beside this one does not find them idle here."""
    with voting_app.app_context():
        held = [db.engine.connect() for _ in range(CONNECTIONS)]
        for connection in held:
            connection.close()
    try:
        yield
    finally:
        with voting_app.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    clock.freeze(NOW)
    try:
        yield
    finally:
        clock.reset()


# ---------------------------------------------------------------- a town with an open vote


@dataclass(frozen=True)
class Town:
    community_id: int
    vote_id: int
    staff: Actor
    voters: list[Actor]  # present when the vote opened, in order
    users: list[int]  # their user ids
    spouses: list[Actor]  # household mode: a second adult of each voter's household


def _open_vote(app: Flask, people: int, *, households: bool = False) -> Town:
    """A community of `people` households, a secret yes/no/abstain vote open — committed.

    Persons (the default): everyone present at a meeting in session, the vote on its first item.
    `households`: each household has a second adult, and the vote is a standalone vote of a body
    that counts households, whose roll names every adult of a household as a caster for it (a
    meeting's sign-in admits one person per household, so only a standalone vote gives a
    household two casters)."""
    with app.app_context():
        community = make_community(f"vc{next(_codes)}", name="民主社区")
        residents = [
            make_resident(community, name=f"居民{n}", household=f"H{n}") for n in range(people)
        ]
        spouses = (
            [make_resident(community, name=f"配偶{n}", household=f"H{n}") for n in range(people)]
            if households
            else []
        )
        staff = actor_for(make_user(community=community, roles=("staff",)), community.id)
        users = [make_user(resident=r) for r in residents]
        spouse_users = [make_user(resident=r) for r in spouses]
        if households:
            body = make_body(community, mode="households")
            vote = voting.create_standalone_vote(staff, body, title="户代表表决", secret=True)
        else:
            meeting = make_meeting(community, state="in_session")
            for resident in residents:
                meetings.record_attendance(
                    staff, meeting, resident_id=resident.id, status="present"
                )
            vote = voting.create_vote(staff, meeting.agenda[0], secret=True)
        voting.open_vote(staff, vote)
        assert vote.eligible == people
        assert vote.unit == ("households" if households else "persons")
        db.session.commit()
        return Town(
            community_id=community.id,
            vote_id=vote.id,
            staff=staff,
            voters=[actor_for(u, community.id) for u in users],
            users=[u.id for u in users],
            spouses=[actor_for(u, community.id) for u in spouse_users],
        )


# ---------------------------------------------------------------- racing


class Outcome(NamedTuple):
    kind: str  # "ok", "conflict" or "error"
    detail: str  # the receipt, the conflict's code, or the unexpected exception


def _cast(app: Flask, voter: Actor, vote_id: int, choice: str = "yes") -> Outcome:
    """One voter's ballot in a session of its own, committed, as a request would be."""
    with app.app_context():
        try:
            vote = db.session.get(Vote, vote_id)
            assert vote is not None
            cast = voting.cast_ballot(voter, vote, choice=choice)
            db.session.commit()
        except Conflict as exc:
            db.session.rollback()
            return Outcome("conflict", exc.code)
        except Exception as exc:  # collected: the assertion lists every one
            db.session.rollback()
            return Outcome("error", repr(exc))
        return Outcome("ok", cast.receipt)


def _close(
    app: Flask,
    town: Town,
    counted: threading.Event | None = None,
    release: threading.Event | None = None,
) -> Outcome:
    """The chair closes the vote. With `counted` and `release`: once counted and signed, the
    close says so and holds its transaction open until released."""
    with app.app_context():
        try:
            vote = db.session.get(Vote, town.vote_id)
            assert vote is not None
            voting.close_vote(town.staff, vote, app.extensions["consult.field_cipher"])
            if counted is not None and release is not None:
                counted.set()
                release.wait(WAIT)
            db.session.commit()
        except Conflict as exc:
            db.session.rollback()
            return Outcome("conflict", exc.code)
        except Exception as exc:
            db.session.rollback()
            return Outcome("error", repr(exc))
        return Outcome("closed", "")


def _race(count: int, work: Callable[[int], Outcome]) -> list[Outcome]:
    """`work(0)` … `work(count - 1)` in as many threads, released together by a barrier."""
    barrier = threading.Barrier(count)
    outcomes: list[Outcome] = [Outcome("error", "did not finish")] * count

    def run(n: int) -> None:
        try:
            barrier.wait(WAIT)
            outcomes[n] = work(n)
        except Exception as exc:
            outcomes[n] = Outcome("error", repr(exc))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a racing thread is stuck"
    return outcomes


def _rows(app: Flask, model: Any, vote_id: int) -> int:
    with app.app_context():
        return int(
            db.session.execute(
                select(func.count()).select_from(model).where(model.vote_id == vote_id)
            ).scalar_one()
        )


def _closed(app: Flask, vote_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The closed vote's result and signed ledger, read afresh."""
    with app.app_context():
        vote = db.session.get(Vote, vote_id)
        assert vote is not None
        assert vote.state == "closed"
        assert vote.result is not None
        assert vote.ledger is not None
        return json.loads(vote.result), json.loads(vote.ledger)


def _thread(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work)
    thread.start()
    return thread


# ---------------------------------------------------------------- one voter, many tries


def test_fifty_threads_voting_for_one_resident_leave_exactly_one_ballot(
    voting_app: Flask,
) -> None:
    """The issue's check: 50 threads cast for the same resident at the same moment, each in its
    own session and transaction (25 in the database at once, see CONNECTIONS). Exactly one is
    accepted; the other 49 get 409 `already_voted`
    and nothing else (no deadlock, no "database is locked", no unique violation escaping as a
    500); the database holds one participation and one secret ballot, the winner's. Without the
    UNIQUE (vote_id, voter_key) on participations the ON CONFLICT clause has nothing to
    conflict on and all 50 go in; with a read-then-insert check instead they would race."""
    town = _open_vote(voting_app, 1)
    voter = town.voters[0]
    choices = ("yes", "no", "abstain")
    started = time.perf_counter()
    outcomes = _race(
        THREADS, lambda n: _cast(voting_app, voter, town.vote_id, choices[n % len(choices)])
    )
    elapsed = time.perf_counter() - started
    assert [o for o in outcomes if o.kind == "error"] == []
    won = [(n, o.detail) for n, o in enumerate(outcomes) if o.kind == "ok"]
    assert len(won) == 1, outcomes
    assert Counter(o.detail for o in outcomes if o.kind == "conflict") == {
        "already_voted": THREADS - 1
    }
    assert _rows(voting_app, Participation, town.vote_id) == 1
    assert _rows(voting_app, SecretBallot, town.vote_id) == 1
    n, receipt = won[0]
    with voting_app.app_context():
        ballot = db.session.execute(
            select(SecretBallot).where(SecretBallot.vote_id == town.vote_id)
        ).scalar_one()
        assert (ballot.choice, ballot.receipt_hash) == (choices[n % 3], receipt_hash(receipt))
    assert elapsed < WAIT


def test_fifty_requests_for_one_voter_get_one_201_and_49_409(voting_app: Flask) -> None:
    """The same race through HTTP: 50 threads, each with its own test client (so its own
    request, app context, session and unit of work that commits on success), POST to
    /api/v1/votes/{id}/ballots with the same voter's bearer token. One 201 with a receipt;
    49 × 409 `already_voted` in the API's error shape; no other status (a unique violation
    escaping the service would propagate as an exception here, or be a 500). The stored ballot
    is the one the 201 answered."""
    from consult.accounts.models import User
    from tests.integration.api_support import bearer, error_of, token_for

    town = _open_vote(voting_app, 1)
    with voting_app.app_context():
        user = db.session.get(User, town.users[0])
        assert user is not None
        headers = bearer(token_for(user))
    clients = [voting_app.test_client() for _ in range(THREADS)]
    url = f"/api/v1/votes/{town.vote_id}/ballots"
    choices = ("yes", "no", "abstain")

    def post(n: int) -> Outcome:
        response = clients[n].post(url, json={"choice": choices[n % 3]}, headers=headers)
        if response.status_code == 201:
            return Outcome("ok", f"{n}:{response.get_json()['receipt']}")
        if response.status_code == 409:
            return Outcome("conflict", error_of(response)["code"])
        return Outcome("error", f"{response.status_code} {response.get_data(as_text=True)[:300]}")

    outcomes = _race(THREADS, post)
    assert [o for o in outcomes if o.kind == "error"] == []
    won = [o.detail for o in outcomes if o.kind == "ok"]
    assert len(won) == 1, outcomes
    assert Counter(o.detail for o in outcomes if o.kind == "conflict") == {
        "already_voted": THREADS - 1
    }
    n, receipt = won[0].split(":")
    assert _rows(voting_app, Participation, town.vote_id) == 1
    with voting_app.app_context():
        ballot = db.session.execute(
            select(SecretBallot).where(SecretBallot.vote_id == town.vote_id)
        ).scalar_one()
        assert (ballot.choice, ballot.receipt_hash) == (choices[int(n) % 3], receipt_hash(receipt))


def test_two_adults_of_a_household_racing_leave_one_ballot_for_it(voting_app: Flask) -> None:
    """Household mode: the voter is the household. In a standalone vote of a body that counts
    households, both adults of each of ten households are on the roll as casters for it, and
    all twenty cast at the same moment: exactly one of each pair is accepted, the other gets
    409 `already_voted`, each household has one participation, and the vote ten secret
    ballots. The two casters are different people with roll rows of their own, so nothing but
    UNIQUE (vote_id, voter_key) — the key being the household — stands between them: a check
    per person would let both in."""
    town = _open_vote(voting_app, HOUSEHOLDS, households=True)
    with voting_app.app_context():
        roll = db.session.execute(
            select(VoteRoll.voter_key).where(VoteRoll.vote_id == town.vote_id)
        ).scalars()
        assert Counter(Counter(roll).values()) == {2: HOUSEHOLDS}  # two casters per household
    casters = [*town.voters, *town.spouses]  # caster n and n + HOUSEHOLDS share household n
    outcomes = _race(len(casters), lambda n: _cast(voting_app, casters[n], town.vote_id))
    assert [o for o in outcomes if o.kind == "error"] == []
    pairs = list(zip(outcomes[:HOUSEHOLDS], outcomes[HOUSEHOLDS:], strict=True))
    for first, second in pairs:
        assert sorted((first.kind, second.kind)) == ["conflict", "ok"], pairs
        assert "already_voted" in (first.detail, second.detail)
    with voting_app.app_context():
        keys = db.session.execute(
            select(Participation.voter_key).where(Participation.vote_id == town.vote_id)
        ).scalars()
        assert Counter(Counter(keys).values()) == {1: HOUSEHOLDS}  # ten households, once each
    assert _rows(voting_app, SecretBallot, town.vote_id) == HOUSEHOLDS


# ---------------------------------------------------------------- casting against closing


def test_casting_while_the_chair_closes_loses_no_ballot(voting_app: Flask) -> None:
    """Forty voters cast, one every few milliseconds, while the chair closes the vote once a
    quarter of them are through. Every accepted ballot is in the signed ledger exactly once,
    every refused one got 409 `vote_closed` (or `vote_not_open`), the result counts exactly
    the accepted ballots, the database holds nothing more (no ballot committed after the
    close), and the ledger verifies. Without the share/exclusive locks on the vote's row a cast
    that read the vote open could commit after the close had counted (a ballot accepted but not
    in the tally): on PostgreSQL this test then fails nearly every run. The interleaving is not
    forced here, so the two tests after this one force each of them deterministically.

    How the ballots split varies: on SQLite typically 10-25 accepted and the rest refused; on
    PostgreSQL today all 40 are accepted, the close waiting until the ballots stop — see
    test_a_ballot_arriving_while_the_close_waits_queues_behind_it."""
    town = _open_vote(voting_app, CLOSE_RACE_VOTERS)
    finished = 0
    progress = threading.Condition()
    choices = ("yes", "no", "abstain")

    def work(n: int) -> Outcome:
        nonlocal finished
        if n == CLOSE_RACE_VOTERS:  # the chair
            with progress:
                progress.wait_for(lambda: finished >= CLOSE_RACE_VOTERS // 4, WAIT)
            return _close(voting_app, town)
        time.sleep(n * STAGGER)
        outcome = _cast(voting_app, town.voters[n], town.vote_id, choices[n % 3])
        with progress:
            finished += 1
            progress.notify_all()
        return outcome

    outcomes = _race(CLOSE_RACE_VOTERS + 1, work)
    *casts, chair = outcomes
    assert chair == Outcome("closed", "")
    assert [o for o in casts if o.kind == "error"] == []
    accepted = [o.detail for o in casts if o.kind == "ok"]
    refused = [o.detail for o in casts if o.kind == "conflict"]
    assert len(accepted) + len(refused) == CLOSE_RACE_VOTERS
    assert set(refused) <= {"vote_closed", "vote_not_open"}, refused
    assert len(accepted) >= CLOSE_RACE_VOTERS // 4
    result, ledger = _closed(voting_app, town.vote_id)
    check = verify_ledger(ledger)
    assert check.ok, check.problems
    assert Counter(e["receipt_hash"] for e in ledger["entries"]) == Counter(
        receipt_hash(r) for r in accepted
    )
    assert result["cast"] == ledger["tree_size"] == len(accepted)
    assert sum(result["counts"].values()) == len(accepted)
    assert _rows(voting_app, Participation, town.vote_id) == len(accepted)
    assert _rows(voting_app, SecretBallot, town.vote_id) == len(accepted)


def _held_cast(
    app: Flask, voter: Actor, vote_id: int, pending: threading.Event, commit: threading.Event
) -> tuple[threading.Thread, dict[str, Outcome]]:
    """A cast that inserts its ballot, says so through `pending`, and holds its transaction
    (and its locks) open until `commit` is set."""
    out: dict[str, Outcome] = {}

    def caster() -> None:
        with app.app_context():
            try:
                vote = db.session.get(Vote, vote_id)
                assert vote is not None
                receipt = voting.cast_ballot(voter, vote, choice="no").receipt
                pending.set()
                commit.wait(WAIT)
                db.session.commit()
                out["outcome"] = Outcome("ok", receipt)
            except Exception as exc:
                db.session.rollback()
                out["outcome"] = Outcome("error", repr(exc))
                pending.set()

    return _thread(caster), out


def test_a_ballot_in_flight_when_the_chair_closes_is_counted(voting_app: Flask) -> None:
    """A cast has inserted its ballot but not committed when the chair closes. The close must
    wait for it (PostgreSQL: the cast's share lock on the vote's row against the close's
    exclusive one; SQLite: the cast's write transaction) and then count it. Without the locks
    the close would count without the uncommitted ballot, which then commits: accepted, in the
    database, and not in the ledger."""
    town = _open_vote(voting_app, 1)
    pending, commit = threading.Event(), threading.Event()
    closing: dict[str, Outcome] = {}
    casting, cast = _held_cast(voting_app, town.voters[0], town.vote_id, pending, commit)
    assert pending.wait(WAIT)
    chair = _thread(lambda: closing.update(outcome=_close(voting_app, town)))
    chair.join(HOLD)
    waited = chair.is_alive()
    commit.set()
    casting.join(WAIT)
    chair.join(WAIT)
    assert cast["outcome"].kind == "ok", cast
    assert closing["outcome"] == Outcome("closed", "")
    assert waited, "the close did not wait for the ballot in flight"
    result, ledger = _closed(voting_app, town.vote_id)
    assert verify_ledger(ledger).ok
    assert ledger["entries"] == [
        {"choice": "no", "receipt_hash": receipt_hash(cast["outcome"].detail)}
    ]
    assert (result["cast"], result["counts"]["no"]) == (1, 1)


def test_a_ballot_cast_while_the_chair_is_closing_is_refused(voting_app: Flask) -> None:
    """The chair's close has counted and signed but not committed when a voter casts. The cast
    must wait for the close (PostgreSQL: its share lock against the close's exclusive lock;
    SQLite: the close's write transaction) and then be refused with 409 `vote_closed`, leaving
    nothing behind. Without the locks the cast would read the vote still open, and its ballot
    would commit after the ledger was signed: accepted and never counted."""
    town = _open_vote(voting_app, 1)
    counted, commit = threading.Event(), threading.Event()
    closing: dict[str, Outcome] = {}
    cast: dict[str, Outcome] = {}

    closer = _thread(
        lambda: closing.update(outcome=_close(voting_app, town, counted=counted, release=commit))
    )
    assert counted.wait(WAIT)
    casting = _thread(lambda: cast.update(outcome=_cast(voting_app, town.voters[0], town.vote_id)))
    casting.join(HOLD)
    waited = casting.is_alive()
    commit.set()
    closer.join(WAIT)
    casting.join(WAIT)
    assert closing["outcome"] == Outcome("closed", "")
    assert cast["outcome"] == Outcome("conflict", "vote_closed"), cast
    assert waited, "the cast did not wait for the close in flight"
    result, ledger = _closed(voting_app, town.vote_id)
    assert verify_ledger(ledger).ok
    assert (result["cast"], ledger["tree_size"]) == (0, 0)
    assert _rows(voting_app, Participation, town.vote_id) == 0
    assert _rows(voting_app, SecretBallot, town.vote_id) == 0


# PostgreSQL only: SQLite's busy handler promises no order between waiting writers (and its
# busy timeout would give up on a close held this long).
@pytest.mark.parametrize(
    "voting_app", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_ballot_arriving_while_the_close_waits_queues_behind_it(voting_app: Flask) -> None:
    """Fairness, so that a steady stream of ballots cannot hold a close off: ballot A is in
    flight, the chair closes (and waits for A), then ballot B arrives. B must queue behind the
    close and be refused with 409 `vote_closed`, as a ballot after the close is. PostgreSQL's
    row locks would let B's share lock pass the close's waiting exclusive one (they are not
    queued fairly), so get_vote first queues on an advisory lock, which is. Without it this
    test fails, and in a rush the close waits until the rush is over."""
    town = _open_vote(voting_app, 2)
    pending, commit = threading.Event(), threading.Event()
    closing: dict[str, Outcome] = {}
    late: dict[str, Outcome] = {}
    casting, first = _held_cast(voting_app, town.voters[0], town.vote_id, pending, commit)
    assert pending.wait(WAIT)
    chair = _thread(lambda: closing.update(outcome=_close(voting_app, town)))
    chair.join(HOLD)
    assert chair.is_alive(), "the close did not wait for the ballot in flight"
    second = _thread(lambda: late.update(outcome=_cast(voting_app, town.voters[1], town.vote_id)))
    second.join(QUEUE)  # queued fairly, B waits for the close this long
    commit.set()
    for thread in (casting, chair, second):
        thread.join(WAIT)
    assert first["outcome"].kind == "ok", first
    assert closing["outcome"] == Outcome("closed", "")
    result, ledger = _closed(voting_app, town.vote_id)
    assert verify_ledger(ledger).ok
    assert result["cast"] == ledger["tree_size"] == _rows(voting_app, Participation, town.vote_id)
    assert late["outcome"] == Outcome("conflict", "vote_closed"), late
