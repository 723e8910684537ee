"""Benchmark: 3,000 attendees signed in at a residents' meeting by 8 concurrent desks.

    python bench/sign_in.py                    # PostgreSQL from CONSULT_TEST_DATABASE_URL
    python bench/sign_in.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/sign_in.py --via service      # call the service directly, no HTTP
    python bench/sign_in.py --threads          # all desks in one process, one thread each

A dedicated database `consult_bench_sign_in` is created on that server (dropped first if it
exists, and dropped again afterwards unless --keep). The register gets `--attendees` adults in
households of two; a residents' meeting (all adults) is created, noticed and opened. Then each
desk — a process with its own Flask test client and bearer token, so its own app context and
database session — signs in its share of the attendees through `POST
/api/v1/meetings/{id}/attendance`, one request and one commit each, exactly as a tablet at the
door would.

Desks are processes by default because that is how the application is served: by several
worker processes (`gunicorn -w 4`, docs/configuration.md), each request in one of them. With
`--threads` every desk is a thread of one Python process, so all eight share one interpreter
lock, as a single worker would; printed for comparison. Either way the client, the application
and PostgreSQL share this machine's CPUs.

Sign-ins share the meeting's row lock (opening and adjourning wait for them); a proxy locks its
holder's row, and the audit log's sequence is taken under a per-community advisory lock at the
end of the transaction (consult.audit.service).

Prints one JSON document: {"backend", "attendees", "desks", "seconds", "sign_ins_per_second",
"latency_ms": {"p50", "p95", "p99", "max"}, "errors", "quorum", "machine", "target_met"}.
Target (issue 3): p95 of one sign-in under 100 ms; --check exits 1 if missed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from measure import machine, percentile
from scratch_db import drop_postgres, prepare_postgres
from sqlalchemy import func, select

from consult import clock, create_app
from consult.accounts.models import RoleAssignment, User
from consult.accounts.service import create_token
from consult.actor import Actor
from consult.config import Config, normalise_database_url
from consult.crypto.fields import generate_master_key
from consult.extensions import db

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "consult_bench_sign_in"
TARGET_P95_MS = 100.0


def seed(attendees: int) -> dict[str, Any]:
    """A community, `attendees` adults in households of two, a staff user with a token, and a
    residents' meeting noticed and opened (the clock frozen half an hour before its start)."""
    from consult.meetings import service
    from consult.registry.models import Household, Resident, ResidentGroup
    from consult.registry.service import create_community

    system = Actor.system("bench")
    community = create_community(system, "bench", "签到基准社区", "urban")
    group = ResidentGroup(community_id=community.id, code="G1", name="第一居民小组")
    db.session.add(group)
    db.session.flush()
    households = [
        Household(community_id=community.id, code=f"H{n:05d}") for n in range(-(-attendees // 2))
    ]
    db.session.add_all(households)
    db.session.flush()
    residents = [
        Resident(
            community_id=community.id,
            household_id=households[n // 2].id,
            group_id=group.id,
            name=f"居民{n:05d}",
            birth_date=date(1950 + n % 45, 1 + n % 12, 1 + n % 28),
            gender="MF"[n % 2],
            registration="household_register",
            is_deprived_of_political_rights=False,
        )
        for n in range(attendees)
    ]
    db.session.add_all(residents)
    staff = User(email="desk@example.org", password_hash="!", display_name="签到台")
    db.session.add(staff)
    db.session.flush()
    db.session.add(RoleAssignment(user_id=staff.id, community_id=community.id, role="staff"))
    db.session.flush()
    body = service.create_body(system, community, kind="residents_meeting", name="居民会议").body
    starts_at = clock.now() + timedelta(days=11)
    meeting = service.create_meeting(
        system,
        community,
        body_id=body.id,
        title="签到基准会议",
        starts_at=starts_at,
        location="社区礼堂",
        agenda=[service.NewItem("年度工作报告", "ordinary")],
    )
    service.notice_meeting(system, meeting)
    clock.freeze(starts_at - timedelta(minutes=30))
    service.open_meeting(system, meeting)
    _, token = create_token(system, staff, "bench desk")
    db.session.commit()
    return {"meeting_id": meeting.id, "resident_ids": [r.id for r in residents], "token": token}


def desk_http(
    app: Any, meeting_id: int, token: str, ids: list[int], out: list[float], errors: list[str]
) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/meetings/{meeting_id}/attendance"
    for resident_id in ids:
        started = time.perf_counter()
        response = client.post(
            url, json={"resident_id": resident_id, "status": "present"}, headers=headers
        )
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 201:
            errors.append(
                f"{resident_id}: {response.status_code} {response.get_data(as_text=True)}"
            )


def desk_service(
    app: Any, meeting_id: int, token: str, ids: list[int], out: list[float], errors: list[str]
) -> None:
    from consult.meetings import service
    from consult.meetings.models import Meeting

    actor = Actor.system("bench desk")
    for resident_id in ids:
        started = time.perf_counter()
        with app.app_context():
            try:
                meeting = db.session.get(Meeting, meeting_id)
                assert meeting is not None
                service.record_attendance(actor, meeting, resident_id=resident_id, status="present")
                db.session.commit()
            except Exception as exc:  # reported, not raised: the other desks carry on
                db.session.rollback()
                errors.append(f"{resident_id}: {exc!r}")
        out.append((time.perf_counter() - started) * 1000)


def _desk_process(
    app: Any, work: Any, seeded: dict[str, Any], ids: list[int], results: Any
) -> None:
    """One desk in its own process, as behind a server with several worker processes."""
    out: list[float] = []
    errors: list[str] = []
    work(app, seeded["meeting_id"], seeded["token"], ids, out, errors)
    results.put((out, errors))


def _in_processes(
    app: Any, work: Any, seeded: dict[str, Any], shares: list[list[int]]
) -> tuple[list[list[float]], list[str]]:
    with app.app_context():
        db.engine.dispose()  # each forked desk opens its own connections
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    desks = [
        context.Process(target=_desk_process, args=(app, work, seeded, ids, results))
        for ids in shares
    ]
    for desk in desks:
        desk.start()
    collected = [results.get() for _ in desks]
    for desk in desks:
        desk.join()
    return [out for out, _ in collected], [e for _, errors in collected for e in errors]


def run(
    attendees: int, desks: int, via: str, database_url: str, keep: bool, processes: bool = False
) -> dict[str, Any]:
    from flask_migrate import upgrade

    from consult.meetings import service
    from consult.meetings.models import Attendance, Meeting

    url = prepare_postgres(database_url, BENCH_DATABASE)
    workdir = Path(tempfile.mkdtemp(prefix="consult-bench-sign-in-"))
    config = Config()
    config.INSTANCE_PATH = workdir / "instance"
    config.SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
    config.SECRET_KEY = "bench"  # a throwaway instance
    config.FIELD_KEY = generate_master_key()
    app = create_app(config)
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            seeded = seed(attendees)
        ids: list[int] = seeded["resident_ids"]
        shares = [ids[n::desks] for n in range(desks)]
        latencies: list[list[float]] = [[] for _ in range(desks)]
        errors: list[str] = []
        work = desk_http if via == "http" else desk_service
        started = time.perf_counter()
        if processes:
            latencies, errors = _in_processes(app, work, seeded, shares)
        else:
            threads = [
                threading.Thread(
                    target=work,
                    args=(
                        app,
                        seeded["meeting_id"],
                        seeded["token"],
                        shares[n],
                        latencies[n],
                        errors,
                    ),
                    name=f"desk-{n + 1}",
                )
                for n in range(desks)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        seconds = time.perf_counter() - started
        with app.app_context():
            meeting = db.session.get(Meeting, seeded["meeting_id"])
            assert meeting is not None
            rows = db.session.execute(
                select(func.count(Attendance.id)).where(Attendance.meeting_id == meeting.id)
            ).scalar_one()
            quorum = service.quorum_json(meeting)
            db.engine.dispose()
    finally:
        clock.reset()
        if not keep:
            drop_postgres(database_url, BENCH_DATABASE)
    every = [ms for desk in latencies for ms in desk]
    p95 = percentile(every, 0.95)
    return {
        "backend": "postgresql",
        "via": via,
        "desks_are": "processes" if processes else "threads",
        "attendees": attendees,
        "desks": desks,
        "signed_in": rows,
        "errors": len(errors),
        "first_errors": errors[:3],
        "seconds": round(seconds, 2),
        "sign_ins_per_second": round(len(every) / seconds, 1),
        "latency_ms": {
            "mean": round(statistics.fmean(every), 1),
            "p50": round(percentile(every, 0.50), 1),
            "p95": round(p95, 1),
            "p99": round(percentile(every, 0.99), 1),
            "max": round(max(every), 1),
        },
        "quorum": {k: quorum[k] for k in ("members", "present", "required", "met")},
        "machine": machine(),
        "target": {"p95_ms": TARGET_P95_MS},
        "target_met": p95 < TARGET_P95_MS and not errors and rows == attendees,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=3000)
    parser.add_argument("--desks", type=int, default=8)
    parser.add_argument("--via", choices=("http", "service"), default="http")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CONSULT_TEST_DATABASE_URL"),
        help="a PostgreSQL server URL (default: CONSULT_TEST_DATABASE_URL); the benchmark "
        f"uses its own database {BENCH_DATABASE} there",
    )
    desks_are = parser.add_mutually_exclusive_group()
    desks_are.add_argument(
        "--processes",
        dest="threads",
        action="store_false",
        help="run each desk in its own process, as behind several server workers (the default)",
    )
    desks_are.add_argument(
        "--threads",
        dest="threads",
        action="store_true",
        help="run every desk as a thread of this one process (one interpreter lock for all)",
    )
    parser.set_defaults(threads=False)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set CONSULT_TEST_DATABASE_URL (PostgreSQL)")
    processes = not args.threads
    result = run(args.attendees, args.desks, args.via, args.database_url, args.keep, processes)
    print(json.dumps(result, ensure_ascii=False))
    return 1 if args.check and not result["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
