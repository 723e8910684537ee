"""consult — a platform for grassroots democracy and consultation (基层民主协商平台)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, session
from sqlalchemy import create_engine, event

from consult import extensions as ext
from consult.config import ROOT, Config, ConfigError
from consult.pool import ping_when_idle


def _select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked is not None and asked in languages:
        session["lang"] = asked
        return asked
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that
    # SAVEPOINTs work (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_begin(conn: Any) -> None:
    """SQLite has one writer at a time. A deferred transaction that reads and then writes fails
    at once ("database is locked") if another writer committed in between, whatever the busy
    timeout; so a transaction that may write takes the write lock when it begins (IMMEDIATE)
    and waits its turn. Reading requests stay deferred and never block each other (WAL)."""
    if conn.dialect.name != "sqlite":
        return
    reading = has_request_context() and request.method in _READ_ONLY_METHODS
    conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _load_or_create_secret(folder: Path, filename: str, make: Any) -> str:
    """Key material lives in the instance folder (mode 0600) unless the environment gives it.

    Created atomically (O_EXCL), so several workers starting at once agree on one key.
    """
    import os

    path = folder / filename
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it this very moment
            value = path.read_text().strip()
            if value:
                return value
            import time

            time.sleep(0.02)
        raise ConfigError(f"{path} is empty") from None
    value = str(make())
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def create_app(config: Config | None = None) -> Flask:
    """The application factory."""
    import secrets

    from consult.crypto.fields import FieldCipher, generate_master_key

    cfg = config or Config()
    if cfg.is_production and not cfg.SECRET_KEY:
        raise ConfigError("CONSULT_SECRET_KEY must be set when CONSULT_ENV=production")
    instance = Path(cfg.INSTANCE_PATH)
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=str(instance),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from consult.web.globals import RequestGlobals

    app.app_ctx_globals_class = RequestGlobals  # g.community and g.api_user may load on first use
    app.config.from_mapping(cfg.as_dict())
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _load_or_create_secret(
            instance / "keys", "secret_key", lambda: secrets.token_urlsafe(48)
        )
    if not app.config.get("FIELD_KEY"):
        # Losing this key loses every encrypted ID number: back up instance/keys/ (docs).
        app.config["FIELD_KEY"] = _load_or_create_secret(
            instance / "keys", "field_key", generate_master_key
        )
    app.extensions["consult.field_cipher"] = FieldCipher(app.config["FIELD_KEY"])

    ext.db.init_app(app)
    with app.app_context():
        event.listen(ext.db.engine, "connect", _sqlite_pragmas)
        event.listen(ext.db.engine, "begin", _sqlite_begin)
        ping_when_idle(ext.db.engine, app.config["DB_PING_IDLE_SECONDS"])
    ext.migrate.init_app(
        app, ext.db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True
    )
    ext.login_manager.init_app(app)
    ext.csrf.init_app(app)
    ext.babel.init_app(app, locale_selector=_select_locale)
    ext.limiter.init_app(app)

    _register(app)
    if app.config["PUBLIC_PAGE_CACHE"]:
        _install_public_cache(app, instance)
    return app


def _install_public_cache(app: Flask, instance: Path) -> None:
    """Readers without a session are answered from kept whole pages where a page allows it
    (consult.web.public_cache; the disclosure board and its dashboard)."""
    from sqlalchemy.engine import make_url

    from consult.disclosure.board_cache import generation
    from consult.disclosure.board_views import CACHED_ROUTES
    from consult.web.public_cache import PublicPageCache

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return  # a second engine would open another, empty database
    # Its own small pool: reading a page's state is one statement, so no transaction
    # (autocommit) and no ping before it — a lost connection only sends that one request
    # through Flask, whose pool pings.
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        pool_pre_ping=False,
        pool_size=2,
        max_overflow=8,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    cache = PublicPageCache(
        app.wsgi_app,
        engine.connect,
        instance / "cache" / "pages",
        build_roots=(ROOT / "consult", ROOT / "templates"),
        session_cookie=app.config["SESSION_COOKIE_NAME"],
        local_writes=generation,
        fresh_for=app.config["PUBLIC_PAGE_STATE_SECONDS"],
    )
    for route in CACHED_ROUTES:
        cache.register(route)
    app.wsgi_app = cache  # type: ignore[method-assign]
    app.extensions["consult.public_cache"] = cache
    app.extensions["consult.public_cache_engine"] = engine  # to dispose of with db.engine


def _register(app: Flask) -> None:
    # Import models so metadata is complete for Alembic and create_all.
    from consult import models  # noqa: F401
    from consult.accounts.views import bp as accounts_bp
    from consult.api import bp as api_bp
    from consult.cli import register_cli
    from consult.disclosure.board_views import bp as disclosure_board_bp
    from consult.disclosure.views import bp as disclosure_bp
    from consult.documents.views import bp as documents_bp
    from consult.meetings.charter_views import bp as bodies_bp
    from consult.meetings.views import bp as meetings_bp
    from consult.registry.views import bp as registry_bp
    from consult.voting.views import bp as votes_bp
    from consult.web.errors import register_error_handlers
    from consult.web.helpers import register_template_helpers
    from consult.web.home import bp as home_bp
    from consult.web.limits import register_rate_limit_filter
    from consult.web.permissions import register_permission_gate
    from consult.web.security import register_security_headers
    from consult.web.transaction import register_unit_of_work

    register_permission_gate(app)
    register_rate_limit_filter(app)
    register_unit_of_work(app)
    register_security_headers(app)
    register_error_handlers(app)
    register_template_helpers(app)
    app.register_blueprint(home_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(bodies_bp)
    app.register_blueprint(votes_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(disclosure_bp)
    app.register_blueprint(disclosure_board_bp)
    ext.csrf.exempt(api_bp)  # the gate applies CSRF to cookie-authenticated API calls itself
    app.register_blueprint(api_bp)
    register_cli(app)

    @ext.login_manager.user_loader
    def _load_user(user_id: str) -> Any:
        from consult.accounts.models import User

        user = ext.db.session.get(User, int(user_id))
        return user if user is not None and user.is_active else None

    ext.login_manager.login_view = "accounts.login"
