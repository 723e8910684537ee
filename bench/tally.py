"""Benchmark: close a secret vote of 1,000,000 ballots — count, judge, build, sign and store the
ledger — and verify the stored ledger offline.

    python bench/tally.py                       # PostgreSQL from CONSULT_TEST_DATABASE_URL
    python bench/tally.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/tally.py --sqlite              # a SQLite file in a temporary folder instead
    python bench/tally.py --ballots 100000      # a quick look

On PostgreSQL a dedicated database `consult_bench_tally` is created on that server (dropped
first if it exists, and dropped again afterwards unless --keep); with --sqlite the database is
a file in a temporary folder. Three processes take turns, so that each phase's peak memory is
its own: this one creates the database; a child seeds it; another child closes the vote and
verifies the ledger.

Seeding (in a child):
- Through the services, as bench/sign_in.py does: a community, a residents' meeting (all
  adults) with one ordinary item, created and noticed 11 days ahead with the clock frozen, then
  opened half an hour before it starts; a secret yes/no/abstain vote on the item, created and
  opened through consult.voting.service (its roll frozen then, empty: nobody signed in yet); the
  community's signing key made (consult.registry.keys.signing_key), so closing finds one.
- Then the register and the vote's rows, bulk inserted: `--ballots` adults (households of
  four), and for each of them a `vote_roll` row (voter and caster themselves), a
  `participations` row (online) — `INSERT … SELECT` over a recursive counter, on the server —
  and a `secret_ballots` row with a random 32-hex id, a random choice (60% yes, 30% no, 10%
  abstain) and the SHA-256 hex of a fresh receipt from consult.crypto.receipts.new_receipt
  (real receipts, not random hex), written with consult.db.insert_rows (COPY on PostgreSQL) in
  chunks of 100,000. A roll of a million is too big to sign in and open through the services
  in reasonable time, so the figures open_vote freezes are set on the vote row directly:
  eligible, members and present_persons = `--ballots` (everyone present, everyone voted),
  which is what the rules engine judges the quorum and threshold on. On PostgreSQL the tables
  are then VACUUMed and ANALYZEd, as autovacuum would have done after the rush; on SQLite
  they are ANALYZEd (SQLite never does it by itself: without statistics it reads a vote's
  ballots through the index, in random row order, which takes 3 s more for a million).

Closing (in another child): consult.voting.service.close_vote(actor, vote, cipher) and the
commit, as `POST /api/v1/votes/{id}/close` runs them. Its steps are timed by wrapping the
module functions it calls (the code under test is unchanged): `read_ballots` (the ballots and
the participation count from the database), `tally` (the rules engine), `build_ledger`
(validation, sort, Merkle root, canonical JSON, Ed25519 signature), `store` (the rest of
close_vote — the ledger's text, the UPDATE that stores it, the audit entry — and the commit).
Then, in the same process, the stored ledger is read back (`load`: SELECT and JSON parsing)
and checked by consult.crypto.ledger.verify_ledger (`verify`). Peak memory is the closing
process's maximum resident set (resource.getrusage), after closing and after verifying.

Prints one JSON document: {"backend", "ballots", "seconds": {"seed", "read_ballots", "tally",
"build_ledger", "store", "close_total", "load", "verify"}, "peak_memory_mb": {"close",
"verify"}, "ledger_mb", "tree_size", "merkle_root", "verifies", "counts", "outcome", "machine",
"target", "target_met"}. Target (issue 4): close under 10 s; --check exits 1 if missed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any

from measure import machine
from scratch_db import drop_postgres, prepare_postgres

from consult.config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "consult_bench_tally"
TARGET_CLOSE_SECONDS = 10.0
CHUNK = 100_000
CHOICES = ("yes", "no", "abstain")
CHOICE_WEIGHTS = (6, 3, 1)


def peak_memory_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def make_app(url: str, workdir: Path, field_key: str) -> Any:
    from consult import create_app
    from consult.config import Config

    config = Config()
    config.INSTANCE_PATH = workdir / "instance"
    config.SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
    config.SECRET_KEY = "bench"  # a throwaway instance
    config.FIELD_KEY = field_key
    return create_app(config)


# ---------------------------------------------------------------- seeding


def _seed(url: str, workdir: Path, field_key: str, ballots: int) -> dict[str, Any]:
    from flask_migrate import upgrade
    from sqlalchemy import Date, Integer, bindparam, text

    from consult import clock
    from consult.actor import Actor
    from consult.crypto.receipts import new_receipt
    from consult.db import UTCDateTime, insert_rows
    from consult.extensions import db
    from consult.meetings import service as meetings
    from consult.registry.keys import signing_key
    from consult.registry.models import ResidentGroup
    from consult.registry.service import create_community
    from consult.voting import service as voting
    from consult.voting.models import SecretBallot

    app = make_app(url, workdir, field_key)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        system = Actor.system("bench")
        community = create_community(system, "tally", "计票基准社区", "urban")
        group = ResidentGroup(community_id=community.id, code="G1", name="第一居民小组")
        db.session.add(group)
        db.session.flush()
        body = meetings.create_body(
            system, community, kind="residents_meeting", name="居民会议"
        ).body
        starts_at = clock.now() + timedelta(days=11)
        meeting = meetings.create_meeting(
            system,
            community,
            body_id=body.id,
            title="计票基准会议",
            starts_at=starts_at,
            location="社区礼堂",
            agenda=[meetings.NewItem("年度预算", "ordinary")],
        )
        meetings.notice_meeting(system, meeting)
        clock.freeze(starts_at - timedelta(minutes=30))
        meetings.open_meeting(system, meeting)
        vote = voting.create_vote(system, meeting.agenda[0], secret=True)
        voting.open_vote(system, vote)
        signing_key(system, community, app.extensions["consult.field_cipher"])
        now = clock.now()

        started = time.perf_counter()
        typed = {
            "n": Integer(),
            "community": Integer(),
            "group": Integer(),
            "vote": Integer(),
            "extra": Integer(),
            "birth": Date(),
            "now": UTCDateTime(),
        }
        households = -(-ballots // 4)
        statements = [
            (
                # A counter 1..n that both PostgreSQL and SQLite understand.
                "WITH RECURSIVE counter(n) AS "
                "(SELECT 1 UNION ALL SELECT n + 1 FROM counter WHERE n < :n) "
                "INSERT INTO households (community_id, code) "
                "SELECT :community, 'H' || n FROM counter",
                {"n": households},
            ),
            (
                "INSERT INTO residents (community_id, household_id, group_id, name, birth_date, "
                "gender, registration, is_deprived_of_political_rights, version, created_at, "
                "updated_at) "
                "SELECT :community, h.id, :group, h.code || '-' || k.m, :birth, 'F', "
                "'household_register', FALSE, 1, :now, :now "
                "FROM households h CROSS JOIN "
                "(SELECT 1 AS m UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) k "
                "WHERE h.community_id = :community",
                {"group": group.id, "birth": date(1970, 1, 1)},
            ),
            (
                "DELETE FROM residents WHERE community_id = :community AND id IN "
                "(SELECT id FROM residents WHERE community_id = :community "
                "ORDER BY id DESC LIMIT :extra)",
                {"extra": households * 4 - ballots},
            ),
            (
                "INSERT INTO vote_roll (vote_id, voter_key, caster_id, principal_id, by_proxy) "
                "SELECT :vote, id, id, id, FALSE FROM residents WHERE community_id = :community",
                {},
            ),
            (
                "INSERT INTO participations (vote_id, voter_key, channel, cast_by, by_proxy, "
                "recorded_at) "
                "SELECT :vote, id, 'online', id, FALSE, :now "
                "FROM residents WHERE community_id = :community",
                {},
            ),
        ]
        for sql, values in statements:
            statement = text(sql).bindparams(
                *(
                    bindparam(name, type_=kind)
                    for name, kind in typed.items()
                    if re.search(f":{name}\\b", sql)
                )
            )
            db.session.execute(
                statement, {"community": community.id, "vote": vote.id, "now": now, **values}
            )
        rng = random.Random(4)
        table = SecretBallot.__table__
        for first in range(0, ballots, CHUNK):
            insert_rows(
                db.session,
                table,
                [
                    {
                        "vote_id": vote.id,
                        "id": secrets.token_hex(16),
                        "choice": rng.choices(CHOICES, CHOICE_WEIGHTS)[0],
                        # receipt_hash(), without re-normalising a receipt made canonical
                        "receipt_hash": sha256(new_receipt().encode("ascii")).hexdigest(),
                    }
                    for _ in range(min(CHUNK, ballots - first))
                ],
            )
        # What open_vote would have frozen for a roll of this size: everyone present.
        vote.eligible = vote.members = vote.present_persons = ballots
        db.session.commit()
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE households, residents, vote_roll, participations, "
                    "secret_ballots"
                )
            else:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        seconds = time.perf_counter() - started
        clock.reset()
        vote_id = vote.id
        db.engine.dispose()
    return {"vote_id": vote_id, "bulk_seconds": round(seconds, 1)}


# ---------------------------------------------------------------- closing and verifying


class Stopwatch:
    """Seconds spent in wrapped functions, by phase; nested calls count once, in the outer."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._depth = 0

    def wrap(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    spent = time.perf_counter() - started
                    self.seconds[phase] = self.seconds.get(phase, 0.0) + spent

        return timed


# What close_vote calls, by phase: a name missing from the module is skipped, so the phases
# follow the code as it changes.
PHASES = {
    "read_ballots": ("_choices", "_ledger_entries", "_ballot_rows", "_cast_count"),
    "tally": ("tally",),
    "build_ledger": ("build_ledger", "build_ledger_text"),
}


def _close(url: str, workdir: Path, field_key: str, vote_id: int) -> dict[str, Any]:
    from sqlalchemy import select

    from consult.actor import Actor
    from consult.crypto.ledger import verify_ledger
    from consult.extensions import db
    from consult.voting import service as voting
    from consult.voting.models import Vote

    app = make_app(url, workdir, field_key)
    watch = Stopwatch()
    for phase, names in PHASES.items():
        for name in names:
            if hasattr(voting, name):
                setattr(voting, name, watch.wrap(phase, getattr(voting, name)))
    with app.app_context():
        vote = db.session.get(Vote, vote_id)
        assert vote is not None
        cipher = app.extensions["consult.field_cipher"]
        started = time.perf_counter()
        voting.close_vote(Actor.system("bench"), vote, cipher)
        db.session.commit()
        close_total = time.perf_counter() - started
        close_peak = peak_memory_mb()
        result = voting.result_json(vote)
        db.session.expunge_all()

        started = time.perf_counter()
        text = db.session.execute(select(Vote.ledger).where(Vote.id == vote_id)).scalar_one()
        document = json.loads(text)
        load = time.perf_counter() - started
        started = time.perf_counter()
        check = verify_ledger(document)
        verify = time.perf_counter() - started
        db.engine.dispose()
    measured = sum(watch.seconds.values())
    return {
        "seconds": {
            **{phase: round(watch.seconds.get(phase, 0.0), 2) for phase in PHASES},
            "store": round(close_total - measured, 2),
            "close_total": round(close_total, 2),
            "load": round(load, 2),
            "verify": round(verify, 2),
        },
        "peak_memory_mb": {"close": close_peak, "verify": peak_memory_mb()},
        "ledger_mb": round(len(text.encode("utf-8")) / 1e6, 1),
        "tree_size": document["tree_size"],
        "merkle_root": document["merkle_root"],
        "verifies": check.ok,
        "problems": list(check.problems[:3]),
        "counts": result["counts"],
        "cast": result["cast"],
        "outcome": result["outcome"],
    }


def _in_child(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run `function` in a forked child (its own memory peak) and return what it returns."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def target() -> None:
        try:
            queue.put(("ok", function(*args)))
        except BaseException as exc:
            queue.put(("error", f"{type(exc).__name__}: {exc}"))
            raise

    child = context.Process(target=target)
    child.start()
    status, value = queue.get()
    child.join()
    if status != "ok":
        raise RuntimeError(f"{function.__name__} failed: {value}")
    return value


def run(ballots: int, database_url: str | None, keep: bool, workdir: Path) -> dict[str, Any]:
    from consult.crypto.fields import generate_master_key

    if database_url:
        url = prepare_postgres(database_url, BENCH_DATABASE)
        backend = "postgresql"
    else:
        url = f"sqlite:///{workdir / 'tally.db'}"
        backend = "sqlite"
    field_key = generate_master_key()
    try:
        started = time.perf_counter()
        seeded = _in_child(_seed, url, workdir, field_key, ballots)
        seed_seconds = time.perf_counter() - started
        closed = _in_child(_close, url, workdir, field_key, seeded["vote_id"])
    finally:
        if database_url and not keep:
            drop_postgres(database_url, BENCH_DATABASE)
    seconds = {"seed": round(seed_seconds, 1), **closed.pop("seconds")}
    counted = closed["tree_size"] == ballots and closed["cast"] == ballots
    return {
        "backend": backend,
        "ballots": ballots,
        "seconds": seconds,
        **closed,
        "counted": counted,
        "machine": machine(),
        "target": {"close_seconds": TARGET_CLOSE_SECONDS},
        "target_met": seconds["close_total"] < TARGET_CLOSE_SECONDS
        and closed["verifies"]
        and counted,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CONSULT_TEST_DATABASE_URL"),
        help="a PostgreSQL server URL (default: CONSULT_TEST_DATABASE_URL); the benchmark "
        f"uses its own database {BENCH_DATABASE} there",
    )
    parser.add_argument("--sqlite", action="store_true", help="run on a SQLite file instead")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)
    if not args.sqlite and not args.database_url:
        parser.error("give --database-url, set CONSULT_TEST_DATABASE_URL, or use --sqlite")
    with tempfile.TemporaryDirectory(prefix="consult-bench-tally-") as tmp:
        database_url = None if args.sqlite else args.database_url
        result = run(args.ballots, database_url, args.keep, Path(tmp))
    print(json.dumps(result, ensure_ascii=False))
    return 1 if args.check and not result["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
