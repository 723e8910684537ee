"""consult.pool: a pooled connection is pinged before use only when it sat idle, and a dead idle
connection is replaced before anyone uses it (SQLite and PostgreSQL; the dead connection on
PostgreSQL, where another session can end it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from consult import create_app
from consult.config import Config, TestConfig, normalise_database_url
from consult.extensions import db
from consult.pool import ping_when_idle
from tests.conftest import PG_URL


@pytest.fixture
def url(backend: str, tmp_path: Path) -> str:
    if backend == "postgres":
        assert PG_URL is not None  # the backend fixture skips otherwise
        return normalise_database_url(PG_URL)
    return f"sqlite:///{tmp_path / 'pool.db'}"


def _engine(url: str, idle_seconds: float) -> tuple[Engine, list[int]]:
    """One pooled connection at most, pinged when idle; the list counts the pings sent (the
    dialect's own ping, wrapped to count, still sends it)."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    pings: list[int] = []
    real_ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real_ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    ping_when_idle(engine, idle_seconds)
    return engine, pings


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    made: list[Engine] = []
    yield made
    for engine in made:
        engine.dispose()


def _select_one(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_connection_used_a_moment_ago_is_not_pinged(url: str, engines: list[Engine]) -> None:
    engine, pings = _engine(url, idle_seconds=60)
    engines.append(engine)
    for _ in range(5):
        _select_one(engine)
    assert pings == []  # the first checkout is a new connection, the others a moment old


def test_a_connection_idle_long_enough_is_pinged(url: str, engines: list[Engine]) -> None:
    engine, pings = _engine(url, idle_seconds=0.2)
    engines.append(engine)
    _select_one(engine)
    _select_one(engine)
    assert pings == []
    time.sleep(0.3)
    _select_one(engine)
    assert len(pings) == 1
    _select_one(engine)  # used a moment ago again
    assert len(pings) == 1


def test_idle_seconds_zero_pings_every_checkout(url: str, engines: list[Engine]) -> None:
    engine, pings = _engine(url, idle_seconds=0)
    engines.append(engine)
    for _ in range(4):
        _select_one(engine)
    assert len(pings) == 3  # all but the new connection's first checkout


def test_the_default_pings_after_ten_idle_seconds() -> None:
    config = Config()
    assert config.DB_PING_IDLE_SECONDS == 10
    assert "pool_pre_ping" not in config.SQLALCHEMY_ENGINE_OPTIONS  # replaced by consult.pool


# ---------------------------------------------------------------- a dead connection (PostgreSQL)


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    assert PG_URL is not None
    other = create_engine(normalise_database_url(PG_URL))
    try:
        with other.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        other.dispose()


@pytest.fixture
def pg_url() -> str:
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (CONSULT_TEST_DATABASE_URL)")
    return normalise_database_url(PG_URL)


@pytest.mark.postgres
def test_a_dead_idle_connection_is_replaced_before_use(pg_url: str, engines: list[Engine]) -> None:
    engine, pings = _engine(pg_url, idle_seconds=0.2)
    engines.append(engine)
    first = _backend_pid(engine)
    _terminate(first)
    time.sleep(0.3)
    second = _backend_pid(engine)  # no error: the ping failed and the pool made a new one
    assert second != first
    assert len(pings) == 1


@pytest.mark.postgres
def test_a_dead_connection_used_a_moment_ago_fails_once(pg_url: str, engines: list[Engine]) -> None:
    """The trade-off consult.pool makes: no ping for a connection used a moment ago, so the
    first use after the database ended it fails; the pool then replaces it."""
    engine, pings = _engine(pg_url, idle_seconds=3600)
    engines.append(engine)
    first = _backend_pid(engine)
    _terminate(first)
    with pytest.raises(DBAPIError) as raised:
        _backend_pid(engine)
    assert raised.value.connection_invalidated
    assert _backend_pid(engine) != first
    assert pings == []


@pytest.mark.postgres
def test_create_app_pings_idle_connections(pg_url: str, tmp_path: Path) -> None:
    config = TestConfig(database_url=pg_url, instance_path=tmp_path)
    config.DB_PING_IDLE_SECONDS = 0
    config.PUBLIC_PAGE_CACHE = False
    app = create_app(config)
    with app.app_context():
        try:
            first = _backend_pid(db.engine)
            _terminate(first)
            assert _backend_pid(db.engine) != first  # pinged, replaced: no error
        finally:
            db.engine.dispose()
