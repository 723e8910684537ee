"""Configuration from CONSULT_* environment variables. Nothing else reads os.environ."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def _bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """The configuration cannot run safely (e.g. production without a secret key)."""


class Config:
    """Defaults safe for one machine; production settings come from the environment."""

    def __init__(self) -> None:
        self.ENV = _env("CONSULT_ENV", "development")
        self.INSTANCE_PATH = Path(_env("CONSULT_INSTANCE_PATH", str(ROOT / "instance")) or "")
        self.SECRET_KEY = _env("CONSULT_SECRET_KEY")
        self.FIELD_KEY = _env("CONSULT_FIELD_KEY")
        db_url = _env("CONSULT_DATABASE_URL") or _env("DATABASE_URL")
        if not db_url:
            db_url = f"sqlite:///{self.INSTANCE_PATH / 'consult.db'}"
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(db_url)
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
        # A pooled connection idle this long is pinged before use (consult.pool); one used more
        # recently is not, which saves a round trip on every busy request.
        self.DB_PING_IDLE_SECONDS = float(_env("CONSULT_DB_PING_IDLE_SECONDS", "10") or 0)
        self.MAX_CONTENT_LENGTH = int(_env("CONSULT_MAX_UPLOAD_MB", "10") or 10) * 1024 * 1024
        # One attachment of a meeting (PDF, PNG, JPEG); larger files get 422 from the service,
        # and a request over MAX_CONTENT_LENGTH gets 413 before it is read.
        # Signed documents (issue 5): an optional RFC 3161 timestamp service for signatures, and
        # the largest PDF the public verification page accepts.
        # The site's public address, printed in documents' QR codes (default: the request's).
        self.PUBLIC_URL = _env("CONSULT_PUBLIC_URL", "") or None
        self.TIMESTAMP_URL = _env("CONSULT_TIMESTAMP_URL", "") or None
        # A PEM file of the roots of the time-stamping authorities whose timestamps are trusted.
        self.TIMESTAMP_ROOTS = _env("CONSULT_TIMESTAMP_ROOTS", "") or None
        self.VERIFY_MAX_BYTES = int(_env("CONSULT_VERIFY_MAX_MB", "10") or 10) * 1024 * 1024
        self.ATTACHMENT_MAX_BYTES = int(_env("CONSULT_ATTACHMENT_MAX_MB", "10") or 10) * 1024 * 1024
        self.RATELIMIT_STORAGE_URI = _env("CONSULT_RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = _env("CONSULT_LOGIN_RATE_LIMIT", "60 per minute")
        self.LOGIN_FAILURES_MAX = 10  # INTERFACES.md §3: 10 failures within 15 minutes
        self.LOGIN_FAILURE_WINDOW_MINUTES = 15
        self.VERIFY_FAILURES_MAX = 5
        self.VERIFICATION_CODE_DAYS = int(_env("CONSULT_VERIFICATION_CODE_DAYS", "14") or 14)
        self.BABEL_DEFAULT_LOCALE = "zh_Hans"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "consult" / "translations")
        self.LANGUAGES = ("zh_Hans", "en")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.ENV == "production"
        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session instead; elderly users fill slowly
        self.JSON_SORT_KEYS = False
        # Whole public pages for readers without a session (consult.web.public_cache).
        self.PUBLIC_PAGE_CACHE = (_env("CONSULT_PUBLIC_PAGE_CACHE", "1") or "1") != "0"
        # How long a kept page's state is taken as current without reading it again: another
        # worker's publication reaches readers without a session within this time.
        self.PUBLIC_PAGE_STATE_SECONDS = float(_env("CONSULT_PUBLIC_PAGE_SECONDS", "1") or 1)
        self.TESTING = False

    @property
    def is_production(self) -> bool:
        return self.ENV == "production"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k.isupper()}


class TestConfig(Config):
    __test__ = False  # not a pytest test class

    def __init__(self, database_url: str | None = None, instance_path: Path | None = None) -> None:
        super().__init__()
        self.ENV = "testing"
        self.TESTING = True
        if instance_path is not None:
            self.INSTANCE_PATH = instance_path
        self.SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
        self.FIELD_KEY = "2AmfaDp1d6WUs5kBiSwiM2ruZYNrb97VcguhNINmagA="
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            database_url or f"sqlite:///{self.INSTANCE_PATH / 'test.db'}"
        )
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.SESSION_COOKIE_SECURE = False


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// both mean psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
