"""The application shell: configuration safety, database settings, headers."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text

from consult import create_app
from consult.config import Config, ConfigError, TestConfig
from consult.extensions import db

pytestmark = pytest.mark.integration


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSULT_ENV", "production")
    monkeypatch.delenv("CONSULT_SECRET_KEY", raising=False)
    monkeypatch.setenv("CONSULT_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="CONSULT_SECRET_KEY"):
        create_app(Config())


def test_cli_says_in_one_line_why_production_will_not_start(tmp_path):
    env = {"CONSULT_ENV": "production", "CONSULT_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin"}
    done = subprocess.run(
        [sys.executable, "-c", "from consult.cli import main; main()", "init"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "CONSULT_SECRET_KEY" in done.stderr


def test_development_creates_key_material_once(tmp_path):
    first = create_app(TestConfig(instance_path=tmp_path))
    cfg = TestConfig(instance_path=tmp_path)
    cfg.SECRET_KEY = None
    cfg.FIELD_KEY = None
    second = create_app(cfg)
    third = create_app(cfg)
    assert (tmp_path / "keys" / "field_key").stat().st_mode & 0o777 == 0o600
    assert second.config["FIELD_KEY"] == third.config["FIELD_KEY"]
    assert second.config["SECRET_KEY"] == third.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] == "test-secret-key"


def test_database_urls_use_psycopg_3():
    from consult.config import normalise_database_url

    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    app = create_app(TestConfig(instance_path=tmp_path))
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    with app.app_context():
        db.engine.dispose()


def test_every_response_carries_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unknown_community_is_404(client):
    assert client.get("/c/nowhere/residents").status_code == 404


def test_a_route_without_a_permission_is_refused(app, client):
    original = app.view_functions["home.index"]
    app.view_functions["home.index"] = lambda: "open to all by mistake"
    try:
        with pytest.raises(RuntimeError, match="names no permission"):
            client.get("/")
    finally:
        app.view_functions["home.index"] = original
