"""The declarative base, with a constraint naming convention so migrations are stable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, Table, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite forgets the zone; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return as_utc(value)


def as_utc(value: datetime | None) -> datetime | None:
    """A datetime as a database driver returns it, in UTC: SQLite's naive ones are UTC, and
    PostgreSQL's timestamptz come in the connection's time zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def driver_row(session: Any, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """PostgreSQL with psycopg: the first row of `sql` (psycopg's `%(name)s` parameters), run on
    the session's own connection, in its transaction, straight through the driver.

    For the statements of the hottest path only (a ballot in the rush of the last hour): there,
    SQLAlchemy's statement machinery (cache lookup, execution context, result metadata) cost
    the worker more CPU than the driver's whole round trip. Nothing is converted: the caller
    passes what psycopg adapts (str, int, aware datetimes) and reads what it returns."""
    driver = session.connection().connection.driver_connection
    row: tuple[Any, ...] | None = driver.execute(sql, params).fetchone()
    return row


def driver_rows(session: Any, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Every row of `sql`, as driver_row runs it."""
    driver = session.connection().connection.driver_connection
    rows: list[tuple[Any, ...]] = driver.execute(sql, params).fetchall()
    return rows


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def insert_rows(session: Any, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows of `table` in the session's transaction, as fast as the backend allows.

    A register import writes 100,000 residents and as many first versions; through SQLAlchemy's
    executemany, building the parameters and sending one INSERT per row cost as much as
    everything else the import does. So values go through each column's bind processing
    first, exactly as an INSERT would (types like UTCDateTime behave the same), and then
    straight to the driver: COPY on PostgreSQL with psycopg, the sqlite3 module's executemany
    on SQLite, a plain executemany elsewhere. Every row must have the same keys.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    driver = connection.connection.driver_connection
    fast = (dialect.name, dialect.driver) in (("postgresql", "psycopg"), ("sqlite", "pysqlite"))
    if not fast or driver is None:
        connection.execute(table.insert(), list(rows))
        return
    names = list(rows[0].keys())
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    processed = (
        [
            value if process is None or value is None else process(value)
            for value, process in zip((row[name] for name in names), processors, strict=True)
        ]
        for row in rows
    )
    preparer = dialect.identifier_preparer
    target = "{} ({})".format(
        preparer.format_table(table), ", ".join(preparer.quote(name) for name in names)
    )
    if dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for values in processed:
                copy.write_row(values)
        return
    cursor = driver.cursor()
    try:
        placeholders = ", ".join("?" for _ in names)
        cursor.executemany(f"INSERT INTO {target} VALUES ({placeholders})", processed)  # noqa: S608 - identifiers quoted by the dialect, values bound
    finally:
        cursor.close()
