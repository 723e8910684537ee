"""Benchmark: the last-hour rush — 20,000 verified voters cast a secret ballot from 64 clients.

    python bench/vote_spike.py                 # PostgreSQL from CONSULT_TEST_DATABASE_URL
    python bench/vote_spike.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/vote_spike.py --voters 2000 --clients 16 --workers 2   # a quick look

What it does (issue 4, `bench/vote_spike.py`):
1. A dedicated database `consult_bench_vote_spike` is created on that server (dropped first if
   it exists, and dropped again afterwards unless --keep) and migrated to head.
2. Seeding, in this process: a community; `--voters` adult residents in households of two; a
   verified user account linked to each (`is_verified`, an unusable password hash "!": nobody
   signs in with a password) and one API token each; a staff user with a token. Residents,
   users, tokens and sign-ins are bulk inserted (consult.db.insert_rows, COPY): a token row is
   what consult.accounts.service.create_token stores — the SHA-256 of "cst_…" and its first 12
   characters — without its audit entry (20,000 of those would take minutes and nothing here
   reads them). A residents' meeting (all adults) is created, noticed and opened through the
   services with the clock frozen at the real "now": it starts in 30 minutes with a
   short-notice reason (URC25-22 allows one), so it is noticed and in session in real time —
   the gunicorn workers are other processes and read the real clock. All voters are then
   signed in: one `attendances` row and its first `attendance_versions` row each, as
   consult.meetings.service.record_attendance writes them (its per-sign-in audit entries are
   left out). One secret yes/no/abstain vote is created and opened through the service, which
   freezes the roll of the 20,000 present.
3. The application is served by gunicorn on 127.0.0.1 (a free port), `wsgi:app`, configured by
   CONSULT_* variables (CONSULT_ENV=production, its own secret key, field key and instance
   folder). Workers: 4 `sync` processes by default (-w 4 -k sync, as `make run` serves with
   sync workers), chosen by measuring on this 2-CPU machine (6,000 ballots, 64 clients; other
   work took under 5% of the CPU in these runs): sync ×4 cast 172–182 ballots/s with p99
   390–440 ms; sync ×6 and ×8 about 156–163/s, ×16 124/s; gthread 4×4 130/s (p99 ~1 s), 4×8
   112/s, 8×2 133/s; the bare endpoint likewise (sync ×4 ~1,050/s, gthread 4×4 ~860/s). A
   ballot is mostly Python (the app's CPU is 5 times PostgreSQL's), and the threads of one
   process share one interpreter lock, so threads add switching, not throughput; two
   processes per CPU are enough to keep both busy while one waits for PostgreSQL, more only
   add contention. Sync workers close the connection after each answer (keep-alive is a
   reverse proxy's job in front of them); on the loopback reconnecting costs a fraction of a
   millisecond. `--worker-class gthread --threads N` measures the other way. Checked again
   after a ballot came down to five round trips (10,000 voters, 64 clients, one run each in
   the same half hour): sync ×3 413/s, ×4 425–580/s, ×6 375/s; gthread ×4 with one thread
   each (keep-alive) 378–386/s with p99 270–490 ms, though it spends less CPU per ballot.
   That gthread run was uneven: a worker keeps the connections it accepted, and they come all
   at once. Balanced (`--worker-connections 16`, through GUNICORN_CMD_ARGS) it cast 586/s
   against sync ×4's 579/s in the same minutes, at the same CPU per ballot (2.4 ms): sync
   stays.
4. Load: `--clients` threads of this process, each with its own HTTP/1.1 connection (kept
   alive when the server allows, reopened when it closes it; a small reader of its own,
   `Connection`: http.client cost the clients a sixth of the server's CPU), start together
   and cast their share of the ballots one after another —
   POST /api/v1/votes/{id}/ballots {"choice", "receipt"} with the voter's bearer token; the
   receipt is made on the client (new_receipt), as the voter's browser does (VOTING.md), and
   the choice is random (60% yes, 30% no, 10% abstain). Each request's latency is the time
   from sending it to having read the whole answer. Before the rush every client sends a few
   GET /api/v1/votes/{id} so each worker has loaded its code and opened its connections.
5. The vote is closed through the API (POST /api/v1/votes/{id}/close: count, rule, signed
   ledger) and the ledger fetched (GET …/ledger). Checks: the result's `cast` and the ledger's
   `tree_size` equal the number of 201 answers; every receipt a client got back is in the
   ledger exactly once (SHA-256 of the receipt against the ledger's `receipt_hash`), with the
   choice the client sent; no ledger entry that no client got; the ledger verifies offline
   (consult.crypto.ledger.verify_ledger). `lost` counts receipts missing from the ledger,
   `duplicated` the ledger entries beyond one per receipt given out (repeats and strangers).
6. The same run measures a bare endpoint: a tiny Flask app defined in this file
   (`create_bare_app`), served by gunicorn with the same settings on another port, that inserts
   one row per request into a scratch table of the same database through SQLAlchemy (same
   engine options as the app, and its ping when idle: consult.pool) and commits; the same
   clients send it the same number of requests. Only one of the two servers runs at a time.

Both servers, this process's clients and PostgreSQL share this machine's CPUs; the load
average before and after each phase is printed with the figures.

Prints one JSON document: {"backend", "voters", "clients", "workers", "worker_class",
"threads", "ballots": {"accepted", "rejected", "errors", "seconds", "per_second", "latency_ms":
{"p50", "p95", "p99", "max"}}, "bare_insert": {the same}, "ratio_ballots_to_bare",
"counted_once", "lost", "duplicated", "ledger_verifies", "close_seconds", "machine", "target",
"target_met"}. `rejected`: answers 4xx; `errors`: answers 5xx or no answer. Target (issue 4):
at least 500 ballots/s, p99 under 250 ms, every ballot counted once; --check exits 1 if missed.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from measure import load_average, machine, percentile
from scratch_db import drop_postgres, prepare_postgres

from consult.config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BENCH_DATABASE = "consult_bench_vote_spike"
BARE_TABLE = "bench_bare_insert"
BARE_URL_VARIABLE = "CONSULT_BENCH_BARE_DATABASE_URL"
TARGET_BALLOTS_PER_SECOND = 500.0
TARGET_P99_MS = 250.0
WARM_UP_REQUESTS = 4  # per client, before the rush
CHOICES = ("yes", "no", "abstain")
CHOICE_WEIGHTS = (6, 3, 1)


# ---------------------------------------------------------------- the bare endpoint


def create_bare_app() -> Any:
    """The baseline: one INSERT and a COMMIT per request, through SQLAlchemy, nothing else.

    Served by gunicorn as `vote_spike:create_bare_app()`; the database URL comes from the
    CONSULT_BENCH_BARE_DATABASE_URL variable."""
    from flask import Flask, jsonify, request  # noqa: TID251 - this file's own tiny app
    from sqlalchemy import create_engine, insert, text

    from consult.config import Config
    from consult.pool import ping_when_idle

    url = os.environ[BARE_URL_VARIABLE]
    config = Config()
    engine = create_engine(url, **config.SQLALCHEMY_ENGINE_OPTIONS)
    ping_when_idle(engine, config.DB_PING_IDLE_SECONDS)  # as create_app does
    table = _bare_table()
    statement = insert(table).returning(table.c.id)
    app = Flask("bare_insert")

    @app.get("/ping")
    def ping() -> Any:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return jsonify({"ok": True})

    @app.post("/rows")
    def add_row() -> Any:
        body = request.get_json()
        with engine.begin() as conn:
            row_id = conn.execute(statement, {"payload": str(body["payload"])}).scalar_one()
        return jsonify({"id": row_id}), 201

    return app


def _bare_table() -> Any:
    from sqlalchemy import Column, Integer, MetaData, Table, Text

    return Table(
        BARE_TABLE,
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("payload", Text, nullable=False),
    )


# ---------------------------------------------------------------- small helpers


def cpu_seconds(server_group: int) -> dict[str, float]:
    """CPU time used so far by this process (the clients), the server's processes (its process
    group), this benchmark database's PostgreSQL backends, PostgreSQL's other processes (WAL
    writer, checkpointer — and any other database's backends: noise), and the whole machine
    (what is left beyond those is other work on this machine: noise). From /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"clients": 0.0, "server": 0.0, "postgres": 0.0, "postgres_other": 0.0}
    # The whole machine, every process: user + nice + system + irq + softirq + steal.
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(t) for t in first]
    used["machine"] = (sum(ticks[:8]) - ticks[3] - ticks[4]) / tick
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone, or not ours to read
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if int(entry.name) == os.getpid():
            used["clients"] += seconds
        elif int(fields[2]) == server_group:
            used["server"] += seconds
        elif command.startswith("postgres"):
            used["postgres" if BENCH_DATABASE in command else "postgres_other"] += seconds
    return used


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# ---------------------------------------------------------------- seeding


def seed(voters: int) -> dict[str, Any]:
    """The community, its voters with accounts and tokens, the meeting in session with every
    voter signed in, and the secret vote open. Returns the ids and tokens the clients need."""
    from sqlalchemy import select

    from consult import clock
    from consult.accounts.models import ApiToken, RoleAssignment, User
    from consult.accounts.service import create_token
    from consult.actor import Actor
    from consult.crypto.fields import token_hash
    from consult.db import insert_rows
    from consult.extensions import db
    from consult.meetings import service as meetings
    from consult.meetings.models import Attendance, AttendanceVersion
    from consult.registry.models import Household, Resident, ResidentGroup
    from consult.registry.service import create_community
    from consult.voting import service as voting

    now = clock.now()
    clock.freeze(now)
    system = Actor.system("bench")
    community = create_community(system, "rush", "投票高峰基准社区", "urban")
    group = ResidentGroup(community_id=community.id, code="G1", name="第一居民小组")
    db.session.add(group)
    db.session.flush()

    households = -(-voters // 2)
    insert_rows(
        db.session,
        Household.__table__,
        [{"community_id": community.id, "code": f"H{n:06d}"} for n in range(households)],
    )
    household_ids = list(
        db.session.execute(
            select(Household.id)
            .where(Household.community_id == community.id)
            .order_by(Household.id)
        ).scalars()
    )
    insert_rows(
        db.session,
        Resident.__table__,
        [
            {
                "community_id": community.id,
                "household_id": household_ids[n // 2],
                "group_id": group.id,
                "name": f"居民{n:06d}",
                "birth_date": date(1950 + n % 45, 1 + n % 12, 1 + n % 28),
                "gender": "MF"[n % 2],
                "registration": "household_register",
                "is_deprived_of_political_rights": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(voters)
        ],
    )
    resident_ids = list(
        db.session.execute(
            select(Resident.id).where(Resident.community_id == community.id).order_by(Resident.id)
        ).scalars()
    )
    insert_rows(
        db.session,
        User.__table__,
        [
            {
                "email": f"voter{n:06d}@example.org",
                "password_hash": "!",  # no password: these voters use their API tokens
                "display_name": f"居民{n:06d}",
                "is_admin": False,
                "is_active": True,
                "resident_id": resident_id,
                "is_verified": True,
                "verified_at": now,
                "verified_how": "staff_created",
                "created_at": now,
            }
            for n, resident_id in enumerate(resident_ids)
        ],
    )
    user_ids = list(
        db.session.execute(
            select(User.id).where(User.resident_id.is_not(None)).order_by(User.resident_id)
        ).scalars()
    )
    tokens = ["cst_" + secrets.token_urlsafe(32) for _ in user_ids]
    insert_rows(
        db.session,
        ApiToken.__table__,
        [
            {
                "user_id": user_id,
                "name": "bench voter",
                "token_hash": token_hash(token),  # as create_token stores it
                "prefix": token[:12],
                "created_at": now,
            }
            for user_id, token in zip(user_ids, tokens, strict=True)
        ],
    )

    staff = User(email="chair@example.org", password_hash="!", display_name="主持人")
    db.session.add(staff)
    db.session.flush()
    db.session.add(RoleAssignment(user_id=staff.id, community_id=community.id, role="staff"))
    _, staff_token = create_token(system, staff, "bench chair")

    body = meetings.create_body(system, community, kind="residents_meeting", name="居民会议").body
    meeting = meetings.create_meeting(
        system,
        community,
        body_id=body.id,
        title="投票高峰基准会议",
        starts_at=now + timedelta(minutes=30),
        location="社区礼堂",
        agenda=[meetings.NewItem("年度预算", "ordinary")],
        short_notice_reason="基准测试：临时通知",
    )
    meetings.notice_meeting(system, meeting)
    meetings.open_meeting(system, meeting)

    insert_rows(
        db.session,
        Attendance.__table__,
        [
            {
                "meeting_id": meeting.id,
                "resident_id": resident_id,
                "status": "present",
                "arrived_at": now,
                "version": 1,
                "recorded_at": now,
                "recorded_by": staff.id,
            }
            for resident_id in resident_ids
        ],
    )
    attendance_ids = db.session.execute(
        select(Attendance.id).where(Attendance.meeting_id == meeting.id)
    ).scalars()
    insert_rows(
        db.session,
        AttendanceVersion.__table__,
        [
            {
                "attendance_id": attendance_id,
                "version": 1,
                "status": "present",
                "arrived_at": now,
                "recorded_at": now,
                "recorded_by": staff.id,
            }
            for attendance_id in attendance_ids
        ],
    )
    vote = voting.create_vote(system, meeting.agenda[0], secret=True)
    voting.open_vote(system, vote)
    assert vote.eligible == voters, (vote.eligible, voters)
    db.session.commit()
    clock.reset()
    return {"vote_id": vote.id, "tokens": tokens, "staff_token": staff_token}


def create_bare_table(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(normalise_database_url(url))
    _bare_table().create(engine)
    engine.dispose()


# ---------------------------------------------------------------- the servers


@dataclass
class Server:
    """A gunicorn master started by this process (in its own process group) and its port."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # the master and its workers
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


def start_server(
    app: str, chdir: Path, env: dict[str, str], settings: dict[str, Any], log: Path
) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(settings["workers"]),
        "--worker-class",
        settings["worker_class"],
        "--threads",
        str(settings["threads"]),
        "--backlog",
        "2048",
        "--keep-alive",
        "30",
        "--timeout",
        "120",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
        "--chdir",
        str(chdir),
        app,
    ]
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=str(chdir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}): {_tail(log)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
        except OSError:
            time.sleep(0.2)
            continue
        _wait_until_booted(server, deadline)
        return server
    server.stop()
    raise RuntimeError(f"gunicorn did not answer on port {port} within 60 s: {_tail(log)}")


def _wait_until_booted(server: Server, deadline: float) -> None:
    """The first answer comes from the first worker up; the others may still be importing the
    application (seconds of CPU each), which would slow the start of a rush by taking the
    CPU and leave fewer workers to answer. Wait until the server's processes are idle: every
    worker has booted."""
    quiet_needed, window = 2, 0.5
    quiet = 0
    before = cpu_seconds(server.process.pid)["server"]
    while time.monotonic() < deadline and quiet < quiet_needed:
        time.sleep(window)
        now = cpu_seconds(server.process.pid)["server"]
        quiet = quiet + 1 if now - before < 0.05 else 0
        before = now


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------- the clients


@dataclass
class Outcome:
    """What one client saw: latency and status of each request, and what it was given."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    receipts: dict[str, str] = field(default_factory=dict)  # receipt hash -> the choice sent


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    headers: dict[str, str]
    choice: str | None = None


class Connection:
    """One client's HTTP/1.1 connection: a request goes out as bytes made before the rush, and
    what comes back is its status and body. Kept alive when the server allows (gthread), opened
    again when it closes it (sync workers close after each answer).

    The clients share this machine's two CPUs with the server, so what they spend is taken from
    the server's capacity: http.client parsed every answer's headers through the email package
    and cost about 0.4 ms of CPU per request, a sixth of the server's own cost of a ballot. The
    residents' phones are not on the server; this reads only what the checks need."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None

    def exchange(self, wire: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.sock
        sock.sendall(wire)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection before answering")
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length: int | None = None
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        while length is None or len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                if length is None:  # no length given: the body ends with the connection
                    close = True
                    break
                raise ConnectionError("the server closed the connection in the middle of a body")
            body += chunk
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def wire(method: str, port: int, request: Request) -> bytes:
    """The request as it goes on the wire (HTTP/1.1)."""
    headers = {
        "Host": f"127.0.0.1:{port}",
        **request.headers,
        "Content-Length": str(len(request.body)),
    }
    head = f"{method} {request.path} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return head.encode("latin-1") + b"\r\n" + request.body


def _client(
    port: int,
    warm_up: list[Request],
    work: list[Request],
    start: threading.Barrier,
    out: Outcome,
) -> None:
    conn = Connection(port)
    for request in warm_up:
        conn.exchange(wire("GET", port, request))
    sent = [(wire("POST", port, request), request.choice) for request in work]
    start.wait()
    for data, choice in sent:
        started = time.perf_counter()
        try:
            status, body = conn.exchange(data)
        except (OSError, ValueError, IndexError) as exc:
            out.latencies.append((time.perf_counter() - started) * 1000)
            out.statuses[0] += 1
            out.errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()  # the next request opens a new connection
            continue
        out.latencies.append((time.perf_counter() - started) * 1000)
        out.statuses[status] += 1
        if status == 201 and choice is not None:
            receipt = json.loads(body)["receipt"]
            out.receipts[sha256_hex(receipt)] = choice
        elif status != 201 and len(out.errors) < 5:
            out.errors.append(f"{status} {body[:300]!r}")
    conn.close()


def rush(server: Server, warm_up: list[list[Request]], work: list[list[Request]]) -> dict[str, Any]:
    """Every client sends its warm-up, waits for the others, then its work, back to back."""
    port = server.port
    clients = len(work)
    start = threading.Barrier(clients + 1)
    outcomes = [Outcome() for _ in range(clients)]
    threads = [
        threading.Thread(
            target=_client,
            args=(port, warm_up[n], work[n], start, outcomes[n]),
            name=f"client-{n + 1}",
            daemon=True,
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    load_before = load_average()
    cpu_before = cpu_seconds(server.process.pid)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    cpu_after = cpu_seconds(server.process.pid)
    latencies = [ms for o in outcomes for ms in o.latencies]
    statuses: Counter[int] = Counter()
    for o in outcomes:
        statuses.update(o.statuses)
    accepted = statuses[201]
    rejected = sum(n for status, n in statuses.items() if 400 <= status < 500)
    errors = sum(n for status, n in statuses.items() if status == 0 or status >= 500)
    receipts: dict[str, str] = {}
    repeated = 0
    for o in outcomes:
        for digest, choice in o.receipts.items():
            repeated += digest in receipts
            receipts[digest] = choice
    return {
        "figures": {
            "requests": len(latencies),
            "accepted": accepted,
            "rejected": rejected,
            "errors": errors,
            "first_problems": [e for o in outcomes for e in o.errors][:3],
            "seconds": round(seconds, 2),
            "per_second": round(accepted / seconds, 1),
            "latency_ms": {
                "p50": round(percentile(latencies, 0.50), 1),
                "p95": round(percentile(latencies, 0.95), 1),
                "p99": round(percentile(latencies, 0.99), 1),
                "max": round(max(latencies), 1),
            },
            "load_average": {"before": load_before, "after": load_average()},
            "cpu_seconds": {k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after},
        },
        "receipts": receipts,
        "receipts_given_twice": repeated,
    }


def _share(items: list[Request], clients: int) -> list[list[Request]]:
    return [items[n::clients] for n in range(clients)]


def _call(port: int, method: str, path: str, token: str) -> tuple[int, Any, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request(method, path, body=b"{}", headers=_headers(token))
    response = conn.getresponse()
    data = response.read()
    seconds = time.perf_counter() - started
    conn.close()
    return response.status, json.loads(data), seconds


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


# ---------------------------------------------------------------- the run


def run(
    voters: int,
    clients: int,
    settings: dict[str, Any],
    database_url: str,
    keep: bool,
) -> dict[str, Any]:
    from flask_migrate import upgrade

    from consult import create_app
    from consult.config import Config
    from consult.crypto.fields import generate_master_key
    from consult.crypto.ledger import verify_ledger
    from consult.crypto.receipts import new_receipt
    from consult.extensions import db

    rng = random.Random(4)
    url = prepare_postgres(database_url, BENCH_DATABASE)
    workdir = Path(tempfile.mkdtemp(prefix="consult-bench-vote-spike-"))
    field_key = generate_master_key()
    secret_key = secrets.token_urlsafe(32)
    servers: list[Server] = []
    try:
        config = Config()
        config.INSTANCE_PATH = workdir / "instance"
        config.SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
        config.SECRET_KEY = secret_key
        config.FIELD_KEY = field_key
        app = create_app(config)
        seeding = time.perf_counter()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            seeded = seed(voters)
            db.engine.dispose()
        seed_seconds = time.perf_counter() - seeding
        create_bare_table(url)
        vote_id = seeded["vote_id"]

        # The bare endpoint first, then the application: one server at a time.
        bare_env = {BARE_URL_VARIABLE: normalise_database_url(url)}
        bare = start_server(
            "vote_spike:create_bare_app()", HERE, bare_env, settings, workdir / "bare.log"
        )
        servers.append(bare)
        plain = {"Content-Type": "application/json"}
        bare_work = [
            Request("/rows", json.dumps({"payload": f"row {n}"}).encode(), plain)
            for n in range(voters)
        ]
        ping = [Request("/ping", b"", plain)] * WARM_UP_REQUESTS
        bare_run = rush(bare, [ping] * clients, _share(bare_work, clients))
        bare.stop()

        env = {
            "CONSULT_ENV": "production",
            "CONSULT_DATABASE_URL": normalise_database_url(url),
            "CONSULT_SECRET_KEY": secret_key,
            "CONSULT_FIELD_KEY": field_key,
            "CONSULT_INSTANCE_PATH": str(workdir / "instance"),
        }
        server = start_server("wsgi:app", ROOT, env, settings, workdir / "consult.log")
        servers.append(server)
        path = f"/api/v1/votes/{vote_id}/ballots"
        ballots = []
        for token in seeded["tokens"]:
            choice = rng.choices(CHOICES, CHOICE_WEIGHTS)[0]
            body = json.dumps({"choice": choice, "receipt": new_receipt()}).encode()
            ballots.append(Request(path, body, _headers(token), choice))
        rng.shuffle(ballots)
        shares = _share(ballots, clients)
        warm = [
            [Request(f"/api/v1/votes/{vote_id}", b"", share[0].headers)] * WARM_UP_REQUESTS
            for share in shares
        ]
        ballot_run = rush(server, warm, shares)

        staff = seeded["staff_token"]
        status, closed, close_seconds = _call(
            server.port, "POST", f"/api/v1/votes/{vote_id}/close", staff
        )
        if status != 200:
            raise RuntimeError(f"closing the vote answered {status}: {closed}")
        status, ledger, _ = _call(server.port, "GET", f"/api/v1/votes/{vote_id}/ledger", staff)
        if status != 200:
            raise RuntimeError(f"reading the ledger answered {status}: {ledger}")
        server.stop()
        with app.app_context():
            from sqlalchemy import func, select

            from consult.voting.models import Participation

            participations = db.session.execute(
                select(func.count(Participation.id)).where(Participation.vote_id == vote_id)
            ).scalar_one()
            db.engine.dispose()
    finally:
        for running in servers:
            running.stop()
        if not keep:
            drop_postgres(database_url, BENCH_DATABASE)

    figures = ballot_run["figures"]
    bare_figures = bare_run["figures"]
    accepted = figures["accepted"]
    given: dict[str, str] = ballot_run["receipts"]
    in_ledger = Counter(e["receipt_hash"] for e in ledger["entries"])
    chosen = {e["receipt_hash"]: e["choice"] for e in ledger["entries"]}
    lost = sum(1 for digest in given if digest not in in_ledger)
    duplicated = sum(n - 1 for n in in_ledger.values()) + sum(
        1 for digest in in_ledger if digest not in given
    )
    choices_match = all(chosen.get(digest) == choice for digest, choice in given.items())
    check = verify_ledger(ledger)
    result = closed["result"]
    counted_once = (
        result["cast"] == accepted
        and ledger["tree_size"] == accepted
        and participations == accepted
        and len(given) == accepted
        and ballot_run["receipts_given_twice"] == 0
        and lost == 0
        and duplicated == 0
        and choices_match
    )
    ratio = figures["per_second"] / bare_figures["per_second"] if bare_figures["per_second"] else 0
    met = (
        figures["per_second"] >= TARGET_BALLOTS_PER_SECOND
        and figures["latency_ms"]["p99"] < TARGET_P99_MS
        and figures["errors"] == 0
        and figures["rejected"] == 0
        and counted_once
        and check.ok
    )
    return {
        "backend": "postgresql",
        "voters": voters,
        "clients": clients,
        "workers": settings["workers"],
        "worker_class": settings["worker_class"],
        "threads": settings["threads"],
        "seed_seconds": round(seed_seconds, 1),
        "ballots": figures,
        "bare_insert": bare_figures,
        "ratio_ballots_to_bare": round(ratio, 3),
        "counted_once": counted_once,
        "result": {k: result[k] for k in ("counts", "eligible", "cast", "outcome")},
        "participations": participations,
        "tree_size": ledger["tree_size"],
        "lost": lost,
        "duplicated": duplicated,
        "choices_match": choices_match,
        "ledger_verifies": check.ok,
        "ledger_problems": list(check.problems[:3]),
        "close_seconds": round(close_seconds, 2),
        "machine": {**machine(), "load_average_at_end": load_average()},
        "target": {"ballots_per_second": TARGET_BALLOTS_PER_SECOND, "p99_ms": TARGET_P99_MS},
        "target_met": met,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--worker-class", choices=("sync", "gthread"), default="sync", help="gunicorn's -k"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CONSULT_TEST_DATABASE_URL"),
        help="a PostgreSQL server URL (default: CONSULT_TEST_DATABASE_URL); the benchmark "
        f"uses its own database {BENCH_DATABASE} there",
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set CONSULT_TEST_DATABASE_URL (PostgreSQL)")
    if args.voters < args.clients:
        parser.error("--voters must be at least --clients")
    settings = {
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads if args.worker_class == "gthread" else 1,
    }
    result = run(args.voters, args.clients, settings, args.database_url, args.keep)
    print(json.dumps(result, ensure_ascii=False))
    return 1 if args.check and not result["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
