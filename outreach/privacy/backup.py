"""Backups that restore: the database and the uploads, taken together, with a manifest.

SQLite is copied with the online backup API (``sqlite3.Connection.backup``), which gives a
consistent copy while the app keeps writing (pages changed during the copy are copied again);
never a plain file copy, which can miss what is still in the ``-wal`` file. PostgreSQL is
dumped with ``pg_dump -Fc`` (a consistent snapshot) and restored with ``pg_restore``.
Every file of the backup is listed in ``manifest.json`` with its SHA-256, checked on restore.

A backup holds personal data: keep it encrypted, readable by few, and delete old ones within
the retention period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
UPLOADS = "uploads"
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq_url(url: sa.engine.URL) -> str:
    """The URL for pg_dump/pg_restore: no SQLAlchemy driver suffix."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_env(url: sa.engine.URL) -> dict:
    # the password goes through the environment, not the command line (visible in ps)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _run(command: list[str], *, env: dict) -> None:
    try:
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} was not found: install the PostgreSQL client") from None
    if completed.returncode != 0:
        reason = (completed.stderr or completed.stdout).strip().splitlines()
        raise BackupError(f"{command[0]} failed: {reason[-1] if reason else completed.returncode}")


def integrity_ok(path: Path) -> bool:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()


def _copy_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # small steps: the app's writers get the lock between them
        src.backup(dst, pages=256, sleep=0.005)
    finally:
        dst.close()
        src.close()


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def create_backup(
    destination: str | os.PathLike,
    *,
    database_uri: str,
    upload_folder: str | os.PathLike,
    pg_dump: str = "pg_dump",
    now: dt.datetime,
) -> dict:
    """Write the database, the uploads and ``manifest.json`` into ``destination`` (a new or
    empty folder); return the manifest.

    :raises BackupError: when the folder is not empty, the database cannot be copied, or the
        copy fails its integrity check.
    """
    dest = Path(destination)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: back up into a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    url = sa.engine.make_url(database_uri)
    if url.get_backend_name() == "sqlite":
        database_file = SQLITE_FILE
        _copy_sqlite(_sqlite_path(url), dest / SQLITE_FILE)
        if not integrity_ok(dest / SQLITE_FILE):
            raise BackupError("the copy failed PRAGMA integrity_check")
    elif url.get_backend_name() == "postgresql":
        database_file = PG_FILE
        _run(
            [pg_dump, "-Fc", "--no-owner", "-f", str(dest / PG_FILE), "-d", _libpq_url(url)],
            env=_pg_env(url),
        )
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")

    uploads = Path(upload_folder)
    copied = dest / UPLOADS
    copied.mkdir()
    if uploads.is_dir():
        shutil.copytree(uploads, copied, dirs_exist_ok=True)
    files = {database_file: sha256_of(dest / database_file)}
    for path in _files_under(copied):
        files[path.relative_to(dest).as_posix()] = sha256_of(path)
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": now.isoformat(),
        "database": {"backend": url.get_backend_name(), "file": database_file},
        "files": files,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def read_manifest(source: str | os.PathLike) -> dict:
    """The manifest, after checking every listed file against its SHA-256.

    :raises BackupError: for a missing manifest or file, or a changed file.
    """
    src = Path(source)
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src} holds no readable {MANIFEST}: {exc}") from None
    for name, digest in manifest.get("files", {}).items():
        path = src / name
        if not path.is_file():
            raise BackupError(f"the backup is incomplete: {name} is missing")
        if sha256_of(path) != digest:
            raise BackupError(f"the backup is damaged: {name} does not match its checksum")
    return manifest


def database_is_empty(engine: sa.engine.Engine) -> bool:
    """True when no table of the target database holds a row."""
    inspector = sa.inspect(engine)
    with engine.connect() as connection:
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            quoted = engine.dialect.identifier_preparer.quote(table)
            if connection.exec_driver_sql(f"SELECT 1 FROM {quoted} LIMIT 1").first():
                return False
    return True


def restore_backup(
    source: str | os.PathLike,
    *,
    engine: sa.engine.Engine,
    upload_folder: str | os.PathLike,
    force: bool = False,
    pg_restore: str = "pg_restore",
) -> dict:
    """Bring a backup back into the configured database and upload folder.

    :raises BackupError: for a damaged backup, a backend that differs from the backup's, or a
        database that already holds data (unless ``force``).
    """
    src = Path(source)
    manifest = read_manifest(src)
    backend = manifest["database"]["backend"]
    if backend != engine.url.get_backend_name():
        raise BackupError(
            f"the backup is of a {backend} database; the app uses {engine.url.get_backend_name()}"
        )
    if not force and not database_is_empty(engine):
        raise BackupError("the database already holds data: add --force to overwrite it")
    if backend == "sqlite":
        engine.dispose()
        target = sqlite3.connect(_sqlite_path(engine.url), timeout=30)
        source_db = sqlite3.connect(f"file:{src / SQLITE_FILE}?mode=ro", uri=True)
        try:
            source_db.backup(target)
        finally:
            source_db.close()
            target.close()
    else:
        engine.dispose()
        _run(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "-d",
                _libpq_url(engine.url),
                str(src / PG_FILE),
            ],
            env=_pg_env(engine.url),
        )
    uploads = Path(upload_folder)
    uploads.mkdir(parents=True, exist_ok=True)
    restored = 0
    for name, digest in manifest["files"].items():
        if not name.startswith(UPLOADS + "/"):
            continue
        target_path = uploads / name[len(UPLOADS) + 1 :]
        target_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / name, target_path)
        if sha256_of(target_path) != digest:
            raise BackupError(f"restoring {name} failed: its checksum differs")
        restored += 1
    return {"database": backend, "files": restored}
