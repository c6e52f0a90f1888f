"""Shared fixtures: app, client, runner, auth, and factories (after flaskr and Indico).

The database is a SQLite file per test by default. With ``OUTREACH_TEST_POSTGRES_URL`` set
(CI does), the same tests run against a fresh PostgreSQL database created for this run and
dropped after.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient

from outreach import create_app
from outreach.database import db

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("OUTREACH_TEST_POSTGRES_URL")


def _compile_translations() -> None:
    """Compile the .po catalogs when the .mo files are missing or stale (make does it too)."""
    folder = ROOT / "outreach" / "translations"
    for po in folder.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "babel.messages.frontend",
                    "-q",
                    "compile",
                    "--use-fuzzy",
                    "-d",
                    str(folder),
                ],
                check=True,
            )
            return


_compile_translations()


@pytest.fixture(scope="session")
def database_url():
    """A database URL for this test run: in-memory SQLite, or a fresh PostgreSQL database."""
    if not POSTGRES_URL:
        yield None  # a SQLite file per test, see app_config
        return
    server = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"outreach_test_{secrets.token_hex(4)}"
    admin_engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    from outreach import models_registry  # noqa: F401  (all models, for create_all)

    db.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin_engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_engine.dispose()


@pytest.fixture
def app_config(tmp_path, database_url):
    """The test configuration; tests may change it before ``app`` is built."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_FOLDER": str(tmp_path / "mail"),
        # deliver in the request after its commit, so tests see the files at once
        "MAIL_SEND_INLINE": True,
        # tests change data and look at the page at once
        "PUBLIC_PAGE_CACHE_SECONDS": 0,
    }


class RequestIsolatingClient(FlaskClient):
    """Run each request in its own app context, as a real server does.

    The ``app`` fixture keeps an app context open for the test's own database work. Flask would
    reuse it for every request, sharing ``g`` (and the logged-in user, and the locale) between
    requests. Hiding it for the length of a request gives each request a fresh context and its
    own database session; afterwards the test's session is expired so it reads what the
    request committed.
    """

    def open(self, *args, **kwargs):
        db.session.commit()  # hand the test's data over, and end its transaction
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            db.session.expire_all()


@pytest.fixture
def app(app_config, tmp_path):
    app = create_app(app_config)
    app.test_client_class = RequestIsolatingClient
    with app.app_context():
        if app_config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            db.create_all()
        yield app
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, email="organizer@example.vn", password="correct-horse-1"):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def create_organization(app):
    from outreach.accounts.models import Organization

    def _create(**kwargs):
        kwargs.setdefault("name", f"Sở KH&CN {secrets.token_hex(3)}")
        kwargs.setdefault("short_name", "Sở KH&CN")
        kwargs.setdefault("kind", "host_department")
        organization = Organization(**kwargs)
        db.session.add(organization)
        db.session.flush()
        return organization

    return _create


@pytest.fixture
def create_division(app, create_organization):
    from outreach.accounts.models import Division

    def _create(**kwargs):
        if "organization" not in kwargs:
            kwargs["organization"] = create_organization()
        kwargs.setdefault("name", f"Phòng {secrets.token_hex(3)}")
        kwargs.setdefault("code", secrets.token_hex(3).upper())
        division = Division(**kwargs)
        db.session.add(division)
        db.session.flush()
        return division

    return _create


@pytest.fixture
def create_user(app):
    """``create_user(role=..., email=..., password=...)``; committed so the client sees it."""
    from outreach.accounts import services

    def _create(**kwargs):
        kwargs.setdefault("email", f"user-{secrets.token_hex(3)}@example.vn")
        kwargs.setdefault("name", "Nguyễn Văn Hùng")
        kwargs.setdefault("role", "organizer")
        kwargs.setdefault("password", "correct-horse-1")
        user = services.create_user(**kwargs)
        db.session.commit()
        return user

    return _create


@pytest.fixture
def organizer(create_user, create_organization):
    return create_user(
        email="organizer@example.vn", role="organizer", organization=create_organization()
    )


@pytest.fixture
def admin(create_user):
    return create_user(email="admin@example.vn", role="admin", name="Quản trị")


@pytest.fixture
def create_conference(app, create_organization, create_division):
    """``create_conference(**overrides)``: a conference on 10/12/2026, 08:00–11:30 in Hà Nội
    time (01:00–04:30 UTC), in Xã Lục Ngạn, Bắc Ninh. ``status`` defaults to published;
    ``cohosts`` to none. Made directly (not through the services) so tests can set any state."""
    import datetime as dt

    from outreach.conferences.models import Conference

    def _create(**kwargs):
        kwargs.setdefault("title", "Hội nghị phổ biến chính sách KH&CN cho hợp tác xã")
        kwargs.setdefault("slug", f"hoi-nghi-{secrets.token_hex(3)}")
        kwargs.setdefault("summary", "Giới thiệu chính sách hỗ trợ.")
        kwargs.setdefault("themes", ["st_projects"])
        if "host" not in kwargs and "host_id" not in kwargs:
            kwargs["host"] = create_organization()
        kwargs.setdefault("venue_name", "Hội trường UBND xã Lục Ngạn")
        kwargs.setdefault("venue_address", "Thôn Trại Ba")
        kwargs.setdefault("province_code", 24)
        kwargs.setdefault("ward_code", 7582)
        kwargs.setdefault("starts_at", dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC))
        kwargs.setdefault("ends_at", dt.datetime(2026, 12, 10, 4, 30, tzinfo=dt.UTC))
        kwargs.setdefault("capacity", 150)
        kwargs.setdefault("delegates_per_cooperative", 3)
        kwargs.setdefault("status", "published")
        conference = Conference(**kwargs)
        db.session.add(conference)
        db.session.flush()
        return conference

    return _create


@pytest.fixture
def create_session(app, create_division):
    """``create_session(conference, **overrides)``: an agenda session at the conference's
    start, one hour long, owned by a new division unless ``division`` is given."""
    import datetime as dt

    from outreach.conferences.models import AgendaSession

    def _create(conference, **kwargs):
        kwargs.setdefault("title", "Giới thiệu các quy định pháp luật về khoa học và công nghệ")
        kwargs.setdefault("starts_at", conference.starts_at)
        kwargs.setdefault("ends_at", kwargs["starts_at"] + dt.timedelta(hours=1))
        if "division" not in kwargs and "division_id" not in kwargs:
            kwargs["division"] = create_division()
        kwargs.setdefault("position", len(conference.sessions) + 1)
        session = AgendaSession(conference=conference, **kwargs)
        db.session.add(session)
        db.session.flush()
        return session

    return _create


@pytest.fixture
def make_input():
    """``make_input(delegates=[("Nguyễn Văn Hùng", "0912000001")], **overrides)``."""

    from outreach.registration import services

    def _make(delegates=(("Nguyễn Văn Hùng", "0912000001"),), **overrides):
        cooperative = services.CooperativeInput(
            **{
                "kind": "hop_tac_xa",
                "name": "HTX Nông sản Lục Ngạn",
                "tax_code": "2407196800",
                "province_code": 24,
                "ward_code": 7582,
                "sector": "Nông nghiệp",
                "main_products": "vải thiều",
                "member_count": 25,
                **overrides.pop("cooperative", {}),
            }
        )
        people = [
            services.DelegateInput(full_name=name, phone=phone, position="Giám đốc")
            for name, phone in delegates
        ]
        values = {
            "cooperative": cooperative,
            "contact_name": "Nguyễn Văn Hùng",
            "contact_phone": "0912 000 001",
            "contact_email": "htx.lucngan@example.vn",
            "delegates": people,
            "needs": {"st_projects": {"choices": ["funding"], "text": "Sấy vải"}},
            "consent_participation": True,
            "consent_news": False,
        }
        values.update(overrides)
        return services.RegistrationInput(**values)

    return _make
