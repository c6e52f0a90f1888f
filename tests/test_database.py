"""The database layer: UTC times, SQLite settings, write locks, and migrations matching models."""

import datetime as dt
import os
import secrets
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from outreach import create_app
from outreach.accounts.models import User
from outreach.database import compiled_sql
from outreach.database import db
from outreach.database import driver_cursor
from outreach.database import from_db_time
from outreach.database import to_db_time


def test_times_come_back_in_utc_whatever_zone_went_in(app, create_user):
    user = create_user()
    hanoi = dt.timezone(dt.timedelta(hours=7))
    user.last_login_at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=hanoi)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(User, user.id).last_login_at
    assert stored.tzinfo is not None
    assert stored == dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
    assert stored.utcoffset() == dt.timedelta(0)


def test_naive_datetimes_are_refused(app, create_user):
    user = create_user()
    user.last_login_at = dt.datetime(2026, 12, 1, 8, 0)
    with pytest.raises(sa.exc.StatementError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("microsecond", [0, 123456])
def test_driver_cursor_times_read_and_write_as_the_orm_does(app, create_user, microsecond):
    """The scan path writes and reads UTCDateTime columns on the driver's cursor: what it
    writes must read back through the ORM, compare as the ORM's values do, and vice versa."""
    user = create_user()
    hanoi = dt.timezone(dt.timedelta(hours=7))
    at = dt.datetime(2026, 12, 1, 8, 0, 5, microsecond, tzinfo=hanoi)
    users = User.__table__
    update = (
        sa.update(users)
        .where(users.c.id == sa.bindparam("user_id"))
        .values(last_login_at=sa.bindparam("at"))
    )
    dialect = db.engine.dialect.name
    driver_cursor().execute(
        compiled_sql(update, dialect).sql, {"user_id": user.id, "at": to_db_time(at, dialect)}
    )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at == at  # the ORM reads the raw write
    # ... the database compares it with an ORM-bound value (text order on SQLite) ...
    assert db.session.scalar(
        sa.select(sa.func.count()).where(users.c.id == user.id, users.c.last_login_at == at)
    ) == 1
    # ... and the raw read of what the ORM wrote gives the same instant
    user.last_login_at = at + dt.timedelta(seconds=1)
    db.session.commit()
    select = sa.select(users.c.last_login_at).where(users.c.id == sa.bindparam("user_id"))
    cursor = driver_cursor()
    cursor.execute(compiled_sql(select, dialect).sql, {"user_id": user.id})
    assert from_db_time(cursor.fetchone()[0]) == at + dt.timedelta(seconds=1)
    db.session.rollback()


@pytest.fixture
def file_app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'file.sqlite3'}",
            "SQLITE_BUSY_TIMEOUT_MS": 200,
        }
    )
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_sqlite_file_uses_wal_foreign_keys_and_busy_timeout(file_app):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200


def test_sqlite_foreign_keys_are_enforced(file_app):
    from outreach.accounts.models import Division

    db.session.add(Division(organization_id=999, name="x", code="X"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_sqlite_write_transactions_take_the_lock_at_begin(file_app):
    """With BEGIN IMMEDIATE a second writer waits at BEGIN (and gives up after
    busy_timeout), instead of reading stale data and failing later."""
    path = db.engine.url.database
    with db.engine.connect() as connection:
        connection.begin()  # our event issues BEGIN IMMEDIATE: the write lock is held now
        other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        connection.rollback()


def test_read_only_requests_do_not_take_the_write_lock(file_app):
    """A GET runs with a deferred BEGIN, so it reads beside a writer under WAL."""
    client = file_app.test_client()
    path = db.engine.url.database
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        result = {}
        thread = threading.Thread(target=lambda: result.update(r=client.get("/healthz")))
        thread.start()
        thread.join(10)
        assert result["r"].status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """An empty database on each engine this run can reach."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    if not os.environ.get("OUTREACH_TEST_POSTGRES_URL"):
        pytest.skip("PostgreSQL tier: set OUTREACH_TEST_POSTGRES_URL")
    server = sa.engine.make_url(os.environ["OUTREACH_TEST_POSTGRES_URL"]).set(
        drivername="postgresql+psycopg"
    )
    name = f"outreach_migrate_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_migrations_match_the_models(empty_database_url):
    """Upgrading an empty database to head yields exactly the schema the models describe."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(directory=str(Path(__file__).parent.parent / "outreach" / "migrations"))
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []
