"""The database handle, the declarative base, shared column types and engine set-up."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import functools
import json
from typing import Annotated

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import registry


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware datetime stored in UTC.

    SQLite has no timezone type and drops tzinfo, so values are normalised to UTC on the
    way in and marked UTC on the way out. PostgreSQL stores them as ``timestamptz``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


intpk = Annotated[int, mapped_column(primary_key=True)]
str_50 = Annotated[str, mapped_column(sa.String(50))]
str_200 = Annotated[str, mapped_column(sa.String(200))]
utc_datetime = Annotated[dt.datetime, mapped_column(UTCDateTime())]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Every ``Mapped[datetime]`` becomes a UTCDateTime column.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


# --- hot paths on the driver's cursor ---------------------------------------------------------
#
# A one-row select through a SQLAlchemy connection took 17.6 µs, on the DBAPI cursor 1.4 µs. The
# few statements a door scan and a sign-up run (a thousand scans a second at one worker) are
# written as Core statements, compiled once per dialect to SQL text, and executed on the DBAPI
# cursor of the session's own connection (so they stay inside the session's transaction), or of a
# driver_transaction(). The caller converts values with ``to_db_time`` / ``from_db_time`` /
# ``to_db_json`` (what UTCDateTime and JSON do for the ORM).


@dataclasses.dataclass(frozen=True)
class DriverStatement:
    """SQL text for the driver, and the values of the statement's own constants (a LIMIT 1,
    say), which the caller's parameters complete."""

    sql: str
    constants: dict

    def params(self, values: dict) -> dict:
        return {**self.constants, **values} if self.constants else values


@functools.cache
def compiled_sql(
    statement: sa.ClauseElement, dialect_name: str, column_keys=None
) -> DriverStatement:
    """``statement`` compiled once for the driver, with named parameters it accepts as a dict:
    ``:name`` for sqlite3, ``%(name)s`` for psycopg."""
    if dialect_name == "sqlite":
        dialect = sqlite_dialect.dialect(paramstyle="named")
    else:
        dialect = db.engine.dialect
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    constants = {
        name: bind.value
        for name, bind in compiled.binds.items()
        if not bind.required and bind.value is not None
    }
    return DriverStatement(str(compiled), constants)


def execute_driver(statement: sa.ClauseElement, params: dict, *, cursor=None, column_keys=None):
    """Run a prebuilt ``statement`` on the driver's cursor (the session's connection unless
    ``cursor`` is given) and return the cursor. ``column_keys``: an INSERT's columns."""
    dialect = db.engine.dialect
    compiled = compiled_sql(statement, dialect.name, column_keys)
    cursor = cursor or driver_cursor()
    values = compiled.params(params)
    try:
        cursor.execute(compiled.sql, values)
    except dialect.loaded_dbapi.Error as error:
        # Closed now, not when the caller's frame goes: the caller rolls back and the connection
        # goes back to the pool, where another thread may take it and wait (holding sqlite3's
        # per-connection mutex) for a lock this thread holds; finalizing this cursor's
        # statement then would need that mutex.
        cursor.close()
        # the error SQLAlchemy would have raised (IntegrityError, OperationalError, ...)
        raise sa.exc.DBAPIError.instance(
            compiled.sql, values, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    return cursor


def to_db_json(value) -> str:
    """A JSON column's value for the driver, as SQLAlchemy's JSON type writes it (both sqlite3
    and psycopg take the text)."""
    return json.dumps(value)


#: the pooled DBAPI connection of the open driver_transaction(), if any
_driver_connection: contextvars.ContextVar = contextvars.ContextVar("driver_connection")


def driver_cursor():
    """A DBAPI cursor: on the open driver_transaction()'s connection, else on the session's
    (which begins its transaction if needed)."""
    connection = _driver_connection.get(None)
    if connection is not None:
        return connection.cursor()
    return db.session.connection().connection.driver_connection.cursor()


@contextlib.contextmanager
def driver_transaction():
    """One transaction on a pooled DBAPI connection of its own, committed when the block ends
    (rolled back on an exception), with no ORM session around it: the door's scan, the
    hottest path, saves the session's begin and commit.

    Inside, driver_cursor() and execute_driver() use this connection. Nothing inside may use
    ``db.session``: on SQLite the session's BEGIN IMMEDIATE would wait for this transaction's
    lock until the busy timeout. For the same reason the session's own transaction, if one is
    open already (a before-request hook checked a staff login cookie, say), is committed first.
    """
    if db.session().in_transaction():
        db.session.commit()
    connection = db.engine.raw_connection()
    token = _driver_connection.set(connection)
    try:
        if db.engine.dialect.name == "sqlite":
            connection.driver_connection.execute("BEGIN IMMEDIATE")
        yield
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        _driver_connection.reset(token)
        connection.close()  # back to the pool


def rollback_current() -> None:
    """Roll back the open driver_transaction(), or else the session."""
    connection = _driver_connection.get(None)
    if connection is not None:
        connection.rollback()
    else:
        db.session.rollback()


def commit_current() -> None:
    """Commit the session, unless a driver_transaction() is open: its block commits it."""
    if _driver_connection.get(None) is None:
        db.session.commit()


def to_db_time(value: dt.datetime | None, dialect: str):
    """An aware datetime as UTCDateTime stores it: naive UTC text on SQLite."""
    if value is None:
        return None
    value = value.astimezone(dt.UTC)
    if dialect == "sqlite":
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def from_db_time(value) -> dt.datetime | None:
    """A UTCDateTime column's raw value (SQLite text or a PostgreSQL datetime), aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


#: False while serving a safe (GET/HEAD) request: its transactions only read, so they may start
#: deferred and run beside a writer under WAL. Everything else starts ``BEGIN IMMEDIATE``.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


def configure_sqlite(engine: sa.engine.Engine, *, busy_timeout_ms: int = 10_000) -> None:
    """Make SQLite safe for several writers: WAL, a busy timeout, foreign keys, and
    ``BEGIN IMMEDIATE`` so a write transaction takes the lock at its start.

    pysqlite's own transaction handling issues a deferred ``BEGIN`` only before the first
    write, which lets two transactions read the same row and then fail to upgrade their
    locks. Taking over ``BEGIN`` (SQLAlchemy's documented recipe) makes every transaction
    serialise at its start instead, waiting up to ``busy_timeout``.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")
