"""Concurrent writers, with real commits: desks at the door and the audit trail's sequence.

These tests cannot run inside the rolled-back test transaction (each writer needs its own
connection and commit), so each gets a database of its own: a scratch PostgreSQL database
beside CONSULT_TEST_DATABASE_URL, or a SQLite file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, select, text

from consult import create_app
from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.audit.service import record
from consult.config import TestConfig, normalise_database_url
from consult.extensions import db
from tests.conftest import BACKENDS, PG_URL, ROOT

pytestmark = pytest.mark.integration

SCRATCH = "consult_test_concurrency"
WRITERS = 8
EACH = 12


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


@pytest.fixture(params=BACKENDS)
def own_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    from flask_migrate import upgrade

    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("PostgreSQL not configured (CONSULT_TEST_DATABASE_URL)")
        url = _scratch_postgres("create")
    else:
        url = f"sqlite:///{tmp_path / 'concurrency.db'}"
    app = create_app(TestConfig(database_url=url, instance_path=tmp_path))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        if request.param == "postgres":
            _scratch_postgres("drop")


def _in_threads(app: Flask, work: Any, count: int) -> list[str]:
    errors: list[str] = []

    def run(n: int) -> None:
        try:
            work(n)
        except Exception as exc:  # collected: the assertion lists every failure
            errors.append(f"writer {n}: {exc!r}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_writers_to_one_log_queue_and_the_sequence_has_no_gaps(own_app: Flask) -> None:
    from consult.registry.service import create_community

    with own_app.app_context():
        community = create_community(Actor.system("test"), "heping", "和平里社区", "urban")
        db.session.commit()
        community_id = community.id

    def write(n: int) -> None:
        for i in range(EACH):
            with own_app.app_context():
                record(
                    Actor.system(f"writer {n}"),
                    "test:concurrent:write",
                    "thing",
                    f"{n}-{i}",
                    community_id=community_id,
                )
                db.session.commit()

    errors = _in_threads(own_app, write, WRITERS)
    assert errors == []
    with own_app.app_context():
        seqs = db.session.execute(
            select(AuditEntry.seq)
            .where(AuditEntry.community_id == community_id)
            .order_by(AuditEntry.seq)
        ).scalars()
        assert list(seqs) == list(range(1, 2 + WRITERS * EACH))  # + the community's creation


def test_desks_sign_in_side_by_side_and_racing_proxies_cannot_pass_the_cap(
    own_app: Flask,
) -> None:
    """Eight desks at once: everyone signed in once; six proxies handed to one holder at the
    same moment, and exactly three (URC25-14) are accepted."""
    from datetime import UTC, datetime

    from consult import clock
    from consult.meetings import service
    from consult.meetings.models import Attendance, Meeting
    from consult.registry.enrolment import actor_for
    from tests.factories import make_community, make_meeting, make_resident, make_user

    clock.freeze(datetime(2026, 6, 1, 1, 0, tzinfo=UTC))
    try:
        with own_app.app_context():
            community = make_community("pingan", name="平安里社区")
            people = [
                make_resident(community, name=f"成人{n}", household=f"H{n}") for n in range(22)
            ]
            staff = make_user(community=community, roles=("staff",))
            meeting = make_meeting(community, state="in_session")
            db.session.commit()
            ids = [p.id for p in people]
            meeting_id, staff_id, community_id = meeting.id, staff.id, community.id
            at = meeting.starts_at
        holder, principals, walk_ins = ids[0], ids[1:7], ids[7:]

        def sign(resident_id: int, **kw: Any) -> None:
            with own_app.app_context():
                from consult.accounts.models import User

                actor = actor_for(db.session.get(User, staff_id), community_id)
                meeting = db.session.get(Meeting, meeting_id)
                assert meeting is not None
                service.record_attendance(actor, meeting, resident_id=resident_id, at=at, **kw)
                db.session.commit()

        sign(holder, status="present")
        assert _in_threads(own_app, lambda n: sign(walk_ins[n], status="present"), 8) == []
        refused = _in_threads(
            own_app,
            lambda n: sign(principals[n], status="proxy", proxy_holder_id=holder),
            len(principals),
        )
        assert len(refused) == 3
        assert all("Conflict(" in e and "at most 3 proxies" in e for e in refused), refused
        with own_app.app_context():
            rows = db.session.execute(
                select(Attendance).where(Attendance.meeting_id == meeting_id)
            ).scalars()
            held = [r for r in rows if r.proxy_holder_id == holder]
            assert len(held) == 3
            assert service.quorum(db.session.get(Meeting, meeting_id)).present == 1 + 8 + 3
    finally:
        clock.reset()
