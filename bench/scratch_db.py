"""A benchmark's own PostgreSQL database, created empty beside the one a URL names, and dropped.

Shared by the benchmarks in this folder (each runs as a script, so this folder is on sys.path).
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, make_url, text

from consult.config import normalise_database_url


def _admin_engine(server_url: str, name: str) -> Engine:
    """A connection to the database the URL names (or `postgres`, if it names ours)."""
    url = make_url(normalise_database_url(server_url))
    if url.database in (None, "", name):
        url = url.set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def prepare_postgres(server_url: str, name: str) -> str:
    """Create an empty database `name` on that server (dropping any old one); return its URL."""
    admin = _admin_engine(server_url, name)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = make_url(normalise_database_url(server_url)).set(database=name)
    return url.render_as_string(hide_password=False)


def drop_postgres(server_url: str, name: str) -> None:
    admin = _admin_engine(server_url, name)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()
