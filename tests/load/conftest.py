"""Load tests of the invariants through HTTP: the app under gunicorn with 4 workers, on a
SQLite file and (in the PostgreSQL tier) on PostgreSQL. Marked ``load``; CI runs them."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from outreach import create_app
from outreach.database import db

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/load/" in str(item.fspath):
            item.add_marker(pytest.mark.load)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A seeded database and gunicorn serving it; ``app`` is a local app on the same database
    for seeding and for reading the results."""

    def __init__(self, folder: Path, database_url: str):
        self.folder = folder
        self.database_url = database_url
        self.app = create_app({
            "TESTING": True, "SECRET_KEY": "load-test-secret", "SQLALCHEMY_DATABASE_URI":
            database_url, "MAIL_FOLDER": str(folder / "mail"),
            "UPLOAD_FOLDER": str(folder / "uploads"),
        })
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self, workers: int = 4) -> None:
        env = {
            **os.environ,
            "OUTREACH_INSTANCE_PATH": str(self.folder),
            "OUTREACH_DATABASE_URL": self.database_url,
            "OUTREACH_SECRET_KEY": "load-test-secret",
            "OUTREACH_RATELIMIT_ENABLED": "false",
            "OUTREACH_WTF_CSRF_ENABLED": "false",
            "OUTREACH_MAIL_SEND_AFTER_COMMIT": "false",
        }
        self.process = subprocess.Popen(
            [str(GUNICORN), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "60", "--log-level", "warning", "outreach:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'load.sqlite3'}"
        admin = None
    else:
        base = os.environ.get("OUTREACH_TEST_POSTGRES_URL")
        if not base:
            pytest.skip("PostgreSQL tier: set OUTREACH_TEST_POSTGRES_URL")
        server_url = sa.engine.make_url(base).set(drivername="postgresql+psycopg")
        name = f"outreach_load_{secrets.token_hex(4)}"
        admin = (sa.create_engine(server_url, isolation_level="AUTOCOMMIT"), name)
        with admin[0].connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = server_url.set(database=name).render_as_string(hide_password=False)
    running = Server(tmp_path, url)
    with running.app.app_context():
        db.create_all()
    yield running
    running.stop()
    with running.app.app_context():
        db.engine.dispose()
    if admin is not None:
        with admin[0].connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{admin[1]}" WITH (FORCE)')
        admin[0].dispose()


@pytest.fixture
def soon():
    """A conference window that has check-in open now."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return now + dt.timedelta(minutes=30), now + dt.timedelta(hours=4)
