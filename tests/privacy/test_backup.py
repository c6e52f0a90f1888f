"""B6-80: a backup taken while registrations pour in restores into a fresh, working instance
with every uploaded file; restore refuses damaged backups and non-empty databases."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach import create_app
from outreach.database import db
from outreach.privacy import backup
from outreach.registration import services
from outreach.registration.models import Registration

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)

POSTGRES_URL = os.environ.get("OUTREACH_TEST_POSTGRES_URL")
sqlite_only = pytest.mark.skipif(
    bool(POSTGRES_URL), reason="the SQLite online backup (the PostgreSQL tier runs pg_dump below)"
)


def _person(index: int) -> services.RegistrationInput:
    return services.RegistrationInput(
        cooperative=services.CooperativeInput(
            kind="to_hop_tac",
            name=f"Tổ hợp tác số {index}",
            tax_code="",
            province_code=24,
            ward_code=7582,
        ),
        contact_name=f"Người {index}",
        contact_phone=f"0912{index:06d}",
        contact_email="",
        delegates=[services.DelegateInput(full_name=f"Người {index}", phone=f"0912{index:06d}")],
        needs={},
        consent_participation=True,
    )


def _uploads(app) -> dict[str, bytes]:
    files = {
        "documents/ab/3f2c-briefing.pdf": b"%PDF-1.7\n" + os.urandom(20_000),
        "documents/cd/slides.docx": os.urandom(5_000),
        "guide.txt": "Hướng dẫn thủ tục".encode(),
    }
    for name, content in files.items():
        path = Path(app.config["UPLOAD_FOLDER"]) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return files


@sqlite_only
def test_a_backup_under_load_restores_into_a_working_instance(
    app, app_config, runner, tmp_path, create_conference, organizer
):
    conference = create_conference(
        capacity=2000, delegates_per_cooperative=1, host_id=organizer.organization_id
    )
    conference_id = conference.id
    files = _uploads(app)
    db.session.commit()
    db.session.close()

    stop = threading.Event()
    written = []
    errors = []

    def writer(offset):
        index = offset
        while not stop.is_set() and index < offset + 400:
            with app.app_context():
                try:
                    target = db.session.get(type(conference), conference_id)
                    services.register_cooperative(
                        target, _person(index), submission_id=f"load-{index}", now=NOW
                    )
                    db.session.commit()
                    written.append(index)
                except Exception as error:
                    errors.append(error)
                    db.session.rollback()
                finally:
                    db.session.remove()
            index += 1

    threads = [threading.Thread(target=writer, args=(n * 1000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    while len(written) < 20:  # the load is under way
        threading.Event().wait(0.01)
    dest = tmp_path / "backup-1"
    result = runner.invoke(args=["backup", str(dest)])
    during = len(written)
    stop.set()
    for thread in threads:
        thread.join()
    assert result.exit_code == 0, result.output
    assert errors == []
    assert len(written) > during or during >= 1600  # writers kept going after the backup

    manifest = json.loads((dest / "manifest.json").read_text())
    assert set(manifest["files"]) == {"database.sqlite3"} | {f"uploads/{n}" for n in files}
    assert backup.integrity_ok(dest / "database.sqlite3")
    copy = sqlite3.connect(dest / "database.sqlite3")
    in_backup = copy.execute("SELECT count(*) FROM registrations").fetchone()[0]
    # consistent: the seat counter matches the rows in the same snapshot
    seats = copy.execute("SELECT seats_taken FROM conferences WHERE id = ?", (conference_id,))
    live = copy.execute("SELECT count(*) FROM delegates WHERE revoked_at IS NULL").fetchone()[0]
    assert seats.fetchone()[0] == live == in_backup
    copy.close()
    assert 0 < in_backup <= len(written)

    # a fresh instance: empty database file, empty upload folder
    fresh_dir = tmp_path / "fresh"
    fresh = create_app(
        {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{fresh_dir / 'restored.sqlite3'}",
            "UPLOAD_FOLDER": str(fresh_dir / "uploads"),
            "MAIL_FOLDER": str(fresh_dir / "mail"),
        }
    )
    fresh_dir.mkdir(exist_ok=True)
    with fresh.app_context():
        restored = fresh.test_cli_runner().invoke(args=["restore", str(dest)])
        assert restored.exit_code == 0, restored.output
        assert f"{len(files)} files restored" in restored.output
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == in_backup
        for name, content in files.items():
            assert (fresh_dir / "uploads" / name).read_bytes() == content
        client = fresh.test_client()
        assert client.get("/").status_code == 200
        login = client.post(
            "/login", data={"email": "organizer@example.vn", "password": "correct-horse-1"}
        )
        assert login.status_code == 302
        page = client.get(f"/staff/conferences/{conference_id}/registrations")
        assert page.status_code == 200
        assert "Tổ hợp tác số" in page.get_data(as_text=True)
        # a second restore over the now non-empty database is refused without --force
        again = fresh.test_cli_runner().invoke(args=["restore", str(dest)])
        assert again.exit_code != 0
        assert "--force" in again.output
        forced = fresh.test_cli_runner().invoke(args=["restore", "--force", str(dest)])
        assert forced.exit_code == 0, forced.output
        db.session.remove()
        db.engine.dispose()


@sqlite_only
def test_backup_refuses_a_folder_that_is_not_empty(runner, tmp_path):
    dest = tmp_path / "used"
    dest.mkdir()
    (dest / "something").write_text("x")
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code != 0
    assert "not empty" in result.output


@sqlite_only
def test_a_damaged_backup_is_refused(app, runner, tmp_path):
    _uploads(app)
    dest = tmp_path / "b"
    assert runner.invoke(args=["backup", str(dest)]).exit_code == 0
    (dest / "uploads" / "guide.txt").write_bytes(b"changed")
    with pytest.raises(backup.BackupError, match="checksum"):
        backup.read_manifest(dest)
    (dest / "uploads" / "guide.txt").unlink()
    with pytest.raises(backup.BackupError, match="missing"):
        backup.read_manifest(dest)


@sqlite_only
def test_the_backup_is_audited(app, runner, tmp_path):
    from outreach.audit.models import AuditEntry

    assert runner.invoke(args=["backup", str(tmp_path / "c")]).exit_code == 0
    db.session.expire_all()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "backup.create"))
    assert entry is not None
    assert entry.actor_kind == "cli"


@sqlite_only
def test_a_backup_with_a_passphrase_is_encrypted_and_restores_with_it(
    app, app_config, runner, tmp_path, create_conference, organizer
):
    conference = create_conference(capacity=20, delegates_per_cooperative=1)
    for index in range(3):
        services.register_cooperative(
            conference, _person(index), submission_id=f"enc-{index}", now=NOW
        )
    db.session.commit()
    files = _uploads(app)
    app.config["BACKUP_KEY"] = "mật khẩu sao lưu của Sở"
    dest = tmp_path / "sealed"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert "encrypted" in result.output
    assert "NOT" not in result.output

    manifest = json.loads((dest / "manifest.json").read_text())
    assert set(manifest["files"]) == {"database.sqlite3.enc"} | {
        f"uploads/{name}.enc" for name in files
    }
    # no personal data and no plain file in the folder, which only its owner can read
    for path in dest.rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & 0o777 == 0o600, path
            assert b"Ng\xc6\xb0\xe1\xbb\x9di" not in path.read_bytes()  # "Người"
            assert b"SQLite format" not in path.read_bytes()
            assert b"%PDF" not in path.read_bytes()
    assert dest.stat().st_mode & 0o777 == 0o700

    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = create_app(
        {
            **app_config,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{fresh_dir / 'restored.sqlite3'}",
            "UPLOAD_FOLDER": str(fresh_dir / "uploads"),
            "MAIL_FOLDER": str(fresh_dir / "mail"),
        }
    )
    with fresh.app_context():
        cli = fresh.test_cli_runner()
        refused = cli.invoke(args=["restore", str(dest)])
        assert refused.exit_code != 0
        assert "set OUTREACH_BACKUP_KEY" in refused.output
        fresh.config["BACKUP_KEY"] = "một mật khẩu khác"
        refused = cli.invoke(args=["restore", str(dest)])
        assert refused.exit_code != 0
        assert "not the passphrase" in refused.output
        fresh.config["BACKUP_KEY"] = "mật khẩu sao lưu của Sở"
        restored = cli.invoke(args=["restore", str(dest)])
        assert restored.exit_code == 0, restored.output
        assert "(decrypted)" in restored.output
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 3
        for name, content in files.items():
            assert (fresh_dir / "uploads" / name).read_bytes() == content
        assert not list((fresh_dir / "uploads").rglob("*.enc"))
        db.session.remove()
        db.engine.dispose()


@sqlite_only
def test_a_changed_encrypted_file_is_refused(app, runner, tmp_path):
    _uploads(app)
    app.config["BACKUP_KEY"] = "mật khẩu sao lưu"
    dest = tmp_path / "sealed"
    assert runner.invoke(args=["backup", str(dest)]).exit_code == 0
    sealed = dest / "uploads" / "guide.txt.enc"
    data = sealed.read_bytes()
    sealed.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(backup.BackupError, match="checksum"):
        backup.read_manifest(dest)


@sqlite_only
def test_a_backup_without_a_passphrase_says_so_and_is_private(app, runner, tmp_path):
    _uploads(app)
    dest = tmp_path / "plain"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert "NOT encrypted: set OUTREACH_BACKUP_KEY" in result.output
    assert dest.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in dest.rglob("*") if p.is_file())


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL tier: set OUTREACH_TEST_POSTGRES_URL")
@pytest.mark.parametrize("passphrase", ["", "mật khẩu sao lưu"])
def test_pg_dump_then_pg_restore_into_an_empty_database(
    app, app_config, runner, tmp_path, create_conference, organizer, passphrase
):
    """B6-81: ``pg_dump -Fc`` of the live database restores into an empty one (also
    encrypted)."""
    import secrets

    app.config["BACKUP_KEY"] = passphrase

    conference = create_conference(capacity=20, delegates_per_cooperative=1)
    for index in range(5):
        services.register_cooperative(
            conference, _person(index), submission_id=f"pg-{index}", now=NOW
        )
    db.session.commit()
    files = _uploads(app)
    dest = tmp_path / "pg-backup"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    if passphrase:
        assert (dest / "database.dump.enc").read_bytes()[:5] != b"PGDMP"
    else:
        assert (dest / "database.dump").read_bytes()[:5] == b"PGDMP"

    server = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"outreach_restore_{secrets.token_hex(4)}"
    admin_engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        fresh = create_app(
            {
                **app_config,
                "SQLALCHEMY_DATABASE_URI": server.set(database=name).render_as_string(
                    hide_password=False
                ),
                "UPLOAD_FOLDER": str(tmp_path / "fresh-uploads"),
                "BACKUP_KEY": passphrase,
            }
        )
        with fresh.app_context():
            restored = fresh.test_cli_runner().invoke(args=["restore", str(dest)])
            assert restored.exit_code == 0, restored.output
            assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 5
            for name_, content in files.items():
                assert (tmp_path / "fresh-uploads" / name_).read_bytes() == content
            client = fresh.test_client()
            assert client.get("/").status_code == 200
            login = client.post(
                "/login", data={"email": "organizer@example.vn", "password": "correct-horse-1"}
            )
            assert login.status_code == 302
            again = fresh.test_cli_runner().invoke(args=["restore", str(dest)])
            assert "--force" in again.output
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin_engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_engine.dispose()


def _sealed_backup(app, runner, tmp_path, passphrase="mật khẩu sao lưu"):
    files = _uploads(app)
    app.config["BACKUP_KEY"] = passphrase
    dest = tmp_path / "sealed"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    return dest, files


def _edit_manifest(dest, change):
    path = dest / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


@sqlite_only
@pytest.mark.parametrize(
    ("change", "message"),
    [
        # a plain backup swapped in for an encrypted one while a key is set
        (lambda m: m.update(encryption=None), "not encrypted although OUTREACH_BACKUP_KEY is set"),
        # a file dropped from the list, or the creation time changed: the manifest's MAC
        (lambda m: m["files"].pop("uploads/guide.txt.enc"), "changed after it was written"),
        (lambda m: m.update(created_at="2020-01-01T00:00:00"), "changed after it was written"),
        # a scrypt cost meant to exhaust memory, read before the manifest can be checked
        (lambda m: m["encryption"]["scrypt"].update(n=2**30), "not one this app wrote"),
    ],
)
def test_a_changed_manifest_of_an_encrypted_backup_is_refused(
    app, runner, tmp_path, change, message
):
    dest, _files = _sealed_backup(app, runner, tmp_path)
    _edit_manifest(dest, change)
    with pytest.raises(backup.BackupError, match=message):
        backup.restore_backup(
            dest,
            engine=db.engine,
            upload_folder=tmp_path / "elsewhere",
            force=True,
            passphrase="mật khẩu sao lưu",
        )
    assert not (tmp_path / "elsewhere").exists() or not any((tmp_path / "elsewhere").iterdir())


@sqlite_only
@pytest.mark.parametrize(
    "name", ["uploads/../../outside.txt", "uploads//tmp/outside.txt", "../outside.txt", "x.txt"]
)
def test_a_manifest_naming_files_outside_the_backup_is_refused(app, runner, tmp_path, name):
    _uploads(app)
    dest = tmp_path / "plain"
    assert runner.invoke(args=["backup", str(dest)]).exit_code == 0
    (tmp_path / "outside.txt").write_text("x")
    _edit_manifest(
        dest, lambda m: m["files"].update({name: backup.sha256_of(tmp_path / "outside.txt")})
    )
    with pytest.raises(backup.BackupError, match="not one this app wrote"):
        backup.read_manifest(dest)


@sqlite_only
def test_a_restore_that_fails_halfway_changes_nothing(app, runner, tmp_path, monkeypatch):
    from outreach.privacy import encryption

    dest, _files = _sealed_backup(app, runner, tmp_path)
    target = tmp_path / "live-uploads"
    (target / "documents" / "ab").mkdir(parents=True)
    kept = target / "documents" / "ab" / "3f2c-briefing.pdf"
    kept.write_bytes(b"the file in use")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    real = encryption.decrypt_file
    calls = []

    def fail_on_the_second(source, target_path, **kwargs):
        calls.append(source)
        if len(calls) == 2:
            raise encryption.DecryptionError("cut short")
        return real(source, target_path, **kwargs)

    monkeypatch.setattr(encryption, "decrypt_file", fail_on_the_second)
    with pytest.raises(backup.BackupError, match="cut short"):
        backup.restore_backup(
            dest, engine=engine, upload_folder=target, passphrase="mật khẩu sao lưu"
        )
    assert kept.read_bytes() == b"the file in use"
    assert sorted(p.name for p in target.rglob("*") if p.is_file()) == ["3f2c-briefing.pdf"]
    assert not list(target.glob(".restoring-*"))
    assert backup.database_is_empty(engine)  # the database was not touched
    engine.dispose()


def test_pg_tools_get_the_libpq_settings_and_not_the_apps_secrets(monkeypatch):
    monkeypatch.setenv("OUTREACH_BACKUP_KEY", "bí mật")
    monkeypatch.setenv("OUTREACH_SECRET_KEY", "khóa phiên")
    monkeypatch.setenv("PGSSLMODE", "require")
    env = backup._pg_env(sa.engine.make_url("postgresql://u:pw@db/outreach"))
    assert env["PGPASSWORD"] == "pw"
    assert env["PGSSLMODE"] == "require"
    assert "PATH" in env
    assert not any(name.startswith("OUTREACH_") for name in env)


def test_pg_tools_never_see_the_password_on_their_command_line():
    url = sa.engine.make_url("postgresql+psycopg://app:s3cret@db:5433/outreach?sslmode=require")
    command = backup._libpq_url(url)
    assert "s3cret" not in command
    assert command == "postgresql://app@db:5433/outreach?sslmode=require"
    assert backup._pg_env(url)["PGPASSWORD"] == "s3cret"


@sqlite_only
def test_a_restore_with_a_folder_in_the_way_stops_before_the_database(app, runner, tmp_path):
    dest, _files = _sealed_backup(app, runner, tmp_path)
    target = tmp_path / "live-uploads"
    (target / "guide.txt").mkdir(parents=True)  # where a file of the backup goes
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(backup.BackupError, match="a folder of that name is in the way"):
        backup.restore_backup(
            dest, engine=engine, upload_folder=target, passphrase="mật khẩu sao lưu"
        )
    assert backup.database_is_empty(engine)
    assert not list(target.glob(".restoring-*"))
    engine.dispose()


@sqlite_only
def test_a_backup_that_fails_leaves_an_empty_folder_and_skips_work_files(
    app, runner, tmp_path, monkeypatch
):
    from outreach.privacy import encryption

    _uploads(app)
    uploads = Path(app.config["UPLOAD_FOLDER"])
    (uploads / ".upload-half-received").write_bytes(b"partial")
    (uploads / ".restoring-abc").mkdir()
    (uploads / ".restoring-abc" / "left.pdf").write_bytes(b"left over")
    app.config["BACKUP_KEY"] = "mật khẩu sao lưu"
    real = encryption.encrypt_file
    calls = []

    def fail_on_the_third(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(encryption, "encrypt_file", fail_on_the_third)
    dest = tmp_path / "full-disk"
    failed = runner.invoke(args=["backup", str(dest)])
    assert failed.exit_code == 1
    assert "No space left on device" in failed.output  # a message, not a traceback
    assert list(dest.iterdir()) == []
    monkeypatch.setattr(encryption, "encrypt_file", real)
    done = runner.invoke(args=["backup", str(dest)])  # the same folder, retried
    assert done.exit_code == 0, done.output
    names = set(json.loads((dest / "manifest.json").read_text())["files"])
    assert not any(".upload-" in name or ".restoring-" in name for name in names)
    assert len(names) == 4  # the database and the three uploads


@sqlite_only
def test_a_mac_that_is_not_text_is_refused_plainly(app, runner, tmp_path):
    dest, _files = _sealed_backup(app, runner, tmp_path)
    _edit_manifest(dest, lambda m: m.update(mac="é" * 64))
    with pytest.raises(backup.BackupError, match="changed after it was written"):
        backup.restore_backup(
            dest, engine=db.engine, upload_folder=tmp_path / "x", passphrase="mật khẩu sao lưu"
        )


@sqlite_only
def test_the_default_relative_database_path_is_backed_up_from_the_instance_folder(
    app_config, tmp_path, monkeypatch
):
    """``sqlite:///outreach.sqlite3`` (the default) lives in instance/, wherever the command
    runs from."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(instance))
    monkeypatch.chdir(tmp_path)  # not the instance folder
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": "sqlite:///outreach.sqlite3"})
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])
        assert result.exit_code == 0, result.output
        assert (instance / "outreach.sqlite3").is_file()
        assert backup.integrity_ok(tmp_path / "b" / "database.sqlite3")
        db.session.remove()
        db.engine.dispose()


def test_a_missing_database_file_is_a_message(tmp_path):
    with pytest.raises(backup.BackupError, match="there is no database at"):
        backup.create_backup(
            tmp_path / "b",
            database_uri=f"sqlite:///{tmp_path / 'nowhere.sqlite3'}",
            upload_folder=tmp_path / "uploads",
            now=NOW,
        )
    assert list((tmp_path / "b").iterdir()) == []
