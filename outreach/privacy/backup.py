"""Backups that restore: the database and the uploads, taken together, with a manifest.

SQLite is copied with the online backup API (``sqlite3.Connection.backup``), which gives a
consistent copy while the app keeps writing (pages changed during the copy are copied again);
never a plain file copy, which can miss what is still in the ``-wal`` file. PostgreSQL is
dumped with ``pg_dump -Fc`` (a consistent snapshot) and restored with ``pg_restore``.
Every file of the backup is listed in ``manifest.json`` with its SHA-256, checked on restore.

A backup holds personal data. With a passphrase (``OUTREACH_BACKUP_KEY``) every file is
encrypted (``outreach/privacy/encryption.py``; the plain database copy only ever exists in a
private temporary folder), and the manifest, which holds no personal data, stays readable so a
damaged backup is found without the key. Either way the folder and its files are readable by
their owner only. Delete old backups within the retention period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from outreach.privacy import encryption

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
UPLOADS = "uploads"
FORMAT_VERSION = 1
#: the suffix of an encrypted file in the backup
SEALED = ".enc"


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


def _make_private(folder: Path) -> None:
    """The backup's folders and files: readable and writable by their owner only."""
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def _dump_database(url: sa.engine.URL, target: Path, *, pg_dump: str) -> None:
    if url.get_backend_name() == "sqlite":
        _copy_sqlite(_sqlite_path(url), target)
        if not integrity_ok(target):
            raise BackupError("the copy failed PRAGMA integrity_check")
    elif url.get_backend_name() == "postgresql":
        _run(
            [pg_dump, "-Fc", "--no-owner", "-f", str(target), "-d", _libpq_url(url)],
            env=_pg_env(url),
        )
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")


def create_backup(
    destination: str | os.PathLike,
    *,
    database_uri: str,
    upload_folder: str | os.PathLike,
    pg_dump: str = "pg_dump",
    passphrase: str = "",
    now: dt.datetime,
) -> dict:
    """Write the database, the uploads and ``manifest.json`` into ``destination`` (a new or
    empty folder), each file encrypted when a ``passphrase`` is given; return the manifest.

    :raises BackupError: when the folder is not empty, the database cannot be copied, or the
        copy fails its integrity check.
    """
    dest = Path(destination)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: back up into a new folder")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    dest.chmod(0o700)
    url = sa.engine.make_url(database_uri)
    backend = url.get_backend_name()
    database_file = SQLITE_FILE if backend == "sqlite" else PG_FILE
    uploads = Path(upload_folder)
    sources = _files_under(uploads) if uploads.is_dir() else []
    (dest / UPLOADS).mkdir()
    sealing = None
    if passphrase:
        salt = encryption.new_salt()
        key = encryption.derive_key(passphrase, salt, **encryption.SCRYPT)
        sealing = {
            "scheme": encryption.SCHEME,
            "salt": salt.hex(),
            "scrypt": encryption.SCRYPT,
            "key_check": encryption.key_check(key),
        }
        with tempfile.TemporaryDirectory(prefix="outreach-backup-") as work:
            plain = Path(work) / database_file
            _dump_database(url, plain, pg_dump=pg_dump)
            database_file += SEALED
            encryption.encrypt_file(plain, dest / database_file, key=key, name=database_file)
        for source in sources:
            name = f"{UPLOADS}/{source.relative_to(uploads).as_posix()}{SEALED}"
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            encryption.encrypt_file(source, dest / name, key=key, name=name)
    else:
        _dump_database(url, dest / database_file, pg_dump=pg_dump)
        if uploads.is_dir():
            shutil.copytree(uploads, dest / UPLOADS, dirs_exist_ok=True)
    files = {database_file: sha256_of(dest / database_file)}
    for path in _files_under(dest / UPLOADS):
        files[path.relative_to(dest).as_posix()] = sha256_of(path)
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": now.isoformat(),
        "database": {"backend": backend, "file": database_file},
        "encryption": sealing,
        "files": files,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    _make_private(dest)
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


def _backup_key(manifest: dict, passphrase: str) -> bytes | None:
    """The key of an encrypted backup (None for a plain one).

    :raises BackupError: when the backup is encrypted and no passphrase, or another one, is set.
    """
    sealing = manifest.get("encryption")
    if not sealing:
        return None
    if sealing.get("scheme") != encryption.SCHEME:
        raise BackupError(f"the backup is encrypted with {sealing.get('scheme')}, unknown here")
    if not passphrase:
        raise BackupError("the backup is encrypted: set OUTREACH_BACKUP_KEY to its passphrase")
    key = encryption.derive_key(passphrase, bytes.fromhex(sealing["salt"]), **sealing["scrypt"])
    if not encryption.key_matches(key, sealing["key_check"]):
        raise BackupError("OUTREACH_BACKUP_KEY is not the passphrase this backup was made with")
    return key


def restore_backup(
    source: str | os.PathLike,
    *,
    engine: sa.engine.Engine,
    upload_folder: str | os.PathLike,
    force: bool = False,
    pg_restore: str = "pg_restore",
    passphrase: str = "",
) -> dict:
    """Bring a backup back into the configured database and upload folder.

    :raises BackupError: for a damaged backup, a backend that differs from the backup's, a
        database that already holds data (unless ``force``), or an encrypted backup without
        its passphrase.
    """
    src = Path(source)
    manifest = read_manifest(src)
    backend = manifest["database"]["backend"]
    if backend != engine.url.get_backend_name():
        raise BackupError(
            f"the backup is of a {backend} database; the app uses {engine.url.get_backend_name()}"
        )
    key = _backup_key(manifest, passphrase)
    if not force and not database_is_empty(engine):
        raise BackupError("the database already holds data: add --force to overwrite it")
    with tempfile.TemporaryDirectory(prefix="outreach-restore-") as work:
        database_file = src / manifest["database"]["file"]
        if key is not None:
            plain = Path(work) / "database"
            _open(database_file, plain, key=key, name=manifest["database"]["file"])
            database_file = plain
        engine.dispose()
        if backend == "sqlite":
            target = sqlite3.connect(_sqlite_path(engine.url), timeout=30)
            source_db = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
            try:
                source_db.backup(target)
            finally:
                source_db.close()
                target.close()
        else:
            _run(
                [
                    pg_restore,
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "-d",
                    _libpq_url(engine.url),
                    str(database_file),
                ],
                env=_pg_env(engine.url),
            )
    uploads = Path(upload_folder)
    uploads.mkdir(parents=True, exist_ok=True)
    restored = 0
    for name, digest in manifest["files"].items():
        if not name.startswith(UPLOADS + "/"):
            continue
        relative = name[len(UPLOADS) + 1 :]
        if key is not None:
            target_path = uploads / relative.removesuffix(SEALED)
            target_path.parent.mkdir(parents=True, exist_ok=True)
            _open(src / name, target_path, key=key, name=name)
        else:
            target_path = uploads / relative
            target_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / name, target_path)
            if sha256_of(target_path) != digest:
                raise BackupError(f"restoring {name} failed: its checksum differs")
        restored += 1
    return {"database": backend, "files": restored, "encrypted": key is not None}


def _open(source: Path, target: Path, *, key: bytes, name: str) -> None:
    try:
        encryption.decrypt_file(source, target, key=key, name=name)
    except encryption.DecryptionError as error:
        raise BackupError(str(error)) from None
