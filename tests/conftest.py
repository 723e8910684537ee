"""Fixtures: the app on SQLite and (when configured) PostgreSQL, a session rolled back after
each test, a client, and users in every role.

Set CONSULT_TEST_DATABASE_URL=postgresql://... to run the database-facing tests on PostgreSQL
too; set CONSULT_REQUIRE_POSTGRES=1 (as .ci/run does) to make its absence an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.orm import Session

from consult import clock, create_app
from consult.config import TestConfig, normalise_database_url
from consult.extensions import db, limiter

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("CONSULT_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("CONSULT_REQUIRE_POSTGRES") == "1"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_PG and not PG_URL:
        raise pytest.UsageError("CONSULT_REQUIRE_POSTGRES=1 but CONSULT_TEST_DATABASE_URL is unset")
    _compile_catalogues()


def _compile_catalogues() -> None:
    """Tests need the compiled translations, as `make` builds them."""
    translations = ROOT / "consult" / "translations"
    if not translations.exists():
        return
    for po in translations.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "babel.messages.frontend",
                    "compile",
                    "-d",
                    str(translations),
                    "-f",
                ],
                check=True,
                capture_output=True,
            )
            return


def _fresh_schema(url: str) -> None:
    """Drop every table so each run starts from the migrations, as production does."""
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            meta = MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not PG_URL:
        pytest.skip("PostgreSQL not configured (CONSULT_TEST_DATABASE_URL)")
    return str(request.param)


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp(f"instance-{backend}")
    url = PG_URL if backend == "postgres" else f"sqlite:///{instance / 'test.db'}"
    assert url is not None
    _fresh_schema(url)
    application = create_app(TestConfig(database_url=url, instance_path=instance))
    with application.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    yield application
    with application.app_context():
        db.engine.dispose()
    cache_engine = application.extensions.get("consult.public_cache_engine")
    if cache_engine is not None:
        cache_engine.dispose()  # the public page cache's own pool (consult.web.public_cache)


class _BoundSession(Session):
    """A plain SQLAlchemy session that accepts (and ignores) Flask-SQLAlchemy's `db` argument."""

    def __init__(self, db: Any = None, **options: Any) -> None:
        super().__init__(**options)


def _forget_request_globals(sender: Any, **extra: Any) -> None:
    """The test's app context outlives each request, so `g` would carry one request's state
    (Flask-Babel's locale, Flask-Login's user, the actor) into the next, even across clients.
    Empty it when a request starts, as the fresh app context of a real request would be."""
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """Everything a test does happens inside one outer transaction, rolled back at the end.
    The app's own commits become savepoints."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(  # type: ignore[method-assign]
            # A plain Session: Flask-SQLAlchemy's own would pick the engine, not our connection.
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": _BoundSession,
            }
        )
        request_started.connect(_forget_request_globals, app)
        try:
            yield db.session
        finally:
            request_started.disconnect(_forget_request_globals, app)
            db.session.remove()
            db.session = original  # type: ignore[method-assign]
            outer.rollback()
            connection.close()
            clock.reset()
            limiter.reset()


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    return app.test_client()


@dataclass
class World:
    """A community with a person in every role, and a second community beside it."""

    community: Any
    other: Any
    users: dict[str, Any]
    residents: dict[str, Any]


ROLES = (
    "anonymous",
    "other_resident",
    "resident",
    "representative",
    "staff",
    "supervisor",
    "admin",
)


@pytest.fixture
def world(db_session: Any) -> World:
    from tests.factories import make_community, make_resident, make_user

    community = make_community("heping", name="和平里社区")
    other = make_community("other", name="另一个社区")
    residents = {
        "resident": make_resident(community, name="张秀英", household="H001"),
        "representative": make_resident(community, name="王建国", household="H002"),
        "other_resident": make_resident(other, name="李明", household="X001"),
    }
    users = {
        "resident": make_user("resident@example.org", resident=residents["resident"]),
        "representative": make_user(
            "rep@example.org",
            community=community,
            roles=("representative",),
            resident=residents["representative"],
        ),
        "staff": make_user("staff@example.org", community=community, roles=("staff",)),
        "supervisor": make_user(
            "supervisor@example.org", community=community, roles=("supervisor",)
        ),
        "admin": make_user("admin@example.org", is_admin=True),
        "other_resident": make_user("other@example.org", resident=residents["other_resident"]),
    }
    # Committed (to a savepoint of the test's transaction), so that a request that fails and
    # rolls back does not take the world with it.
    db_session.commit()
    return World(community, other, users, residents)


def login(client: FlaskClient, email: str, password: str | None = None) -> None:
    """Sign in through the real login form (CSRF token included)."""
    from tests.factories import PASSWORD

    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": password or PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def csrf_token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def as_role(client: FlaskClient, world: World):  # type: ignore[no-untyped-def]
    """as_role("staff") signs the client in as that person (anonymous: does nothing)."""

    def sign_in(role: str) -> FlaskClient:
        if role != "anonymous":
            login(client, world.users[role].email)
        return client

    return sign_in
