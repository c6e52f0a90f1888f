"""create_app: configuration order, the secret key, and clear failures at start."""

import os

import pytest

from outreach import create_app
from outreach.settings import normalise_database_url


def test_testing_flag_set_by_test_config(app):
    assert app.testing
    assert not create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).testing


def _clean_env(monkeypatch, instance):
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(instance))


def test_first_start_writes_a_random_secret_key(tmp_path, monkeypatch):
    _clean_env(monkeypatch, tmp_path / "inst")
    app = create_app()
    written = (tmp_path / "inst" / "config.py").read_text()
    assert app.config["SECRET_KEY"] in written
    assert len(app.config["SECRET_KEY"]) >= 64
    # the second start reads the same key back instead of making a new one
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    _clean_env(monkeypatch, tmp_path / "inst")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///outreach.sqlite3"
    with app.app_context():
        from outreach.database import db

        assert db.engine.url.database == str(tmp_path / "inst" / "outreach.sqlite3")


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    _clean_env(monkeypatch, tmp_path / "inst")
    (tmp_path / "inst").mkdir()
    (tmp_path / "inst" / "config.py").write_text(
        "SECRET_KEY = 'from-file-0123456789'\nSITE_NAME = 'from file'\nUPLOAD_MAX_BYTES = 5\n"
    )
    monkeypatch.setenv("OUTREACH_SITE_NAME", "from env")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file-0123456789"
    assert app.config["SITE_NAME"] == "from env"
    assert app.config["UPLOAD_MAX_BYTES"] == 5


def test_production_refuses_default_secret_key(tmp_path, monkeypatch, capsys):
    _clean_env(monkeypatch, tmp_path / "inst")
    monkeypatch.setenv("OUTREACH_ENV_NAME", "production")
    monkeypatch.setenv("OUTREACH_SECRET_KEY", "dev")
    with pytest.raises(SystemExit):
        create_app()
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "SECRET_KEY" in err
    assert not (tmp_path / "inst" / "config.py").exists()


def test_broken_database_url_stops_with_one_line(tmp_path, monkeypatch, capsys):
    _clean_env(monkeypatch, tmp_path / "inst")
    monkeypatch.setenv("OUTREACH_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    with pytest.raises(SystemExit):
        create_app()
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "OUTREACH_DATABASE_URL" in err


def test_unparseable_database_url_stops_with_one_line(tmp_path, monkeypatch, capsys):
    _clean_env(monkeypatch, tmp_path / "inst")
    monkeypatch.setenv("OUTREACH_DATABASE_URL", "not a url at all")
    with pytest.raises(SystemExit):
        create_app()
    assert "OUTREACH_DATABASE_URL" in capsys.readouterr().err


def test_unwritable_instance_folder_stops_with_one_line(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    _clean_env(monkeypatch, blocker / "instance")
    with pytest.raises(SystemExit):
        create_app()
    err = capsys.readouterr().err.strip()
    assert "instance folder" in err
    assert err.count("\n") == 0


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://u@h/db").startswith("postgresql+psycopg://")
    assert normalise_database_url("postgresql://u@h/db").startswith("postgresql+psycopg://")
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_reports_a_dead_database(app, client, monkeypatch):
    from outreach.site import services

    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "check_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_every_response_has_security_headers(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_sqlite_skips_the_pre_ping_and_postgres_keeps_it():
    sqlite_app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "pool_pre_ping" not in sqlite_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    postgres_app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://u@127.0.0.1:1/x"})
    assert postgres_app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
