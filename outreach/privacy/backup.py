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
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from pathlib import PurePosixPath

import sqlalchemy as sa

from outreach.privacy import encryption

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
UPLOADS = "uploads"
FORMAT_VERSION = 1
#: the suffix of an encrypted file in the backup
SEALED = ".enc"
DATABASE_FILES = {SQLITE_FILE, PG_FILE, SQLITE_FILE + SEALED, PG_FILE + SEALED}


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
    """The URL for pg_dump/pg_restore: no SQLAlchemy driver suffix, and no password (a command
    line is visible to every local user; the password goes in PGPASSWORD, see _pg_env)."""
    plain = sa.engine.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False)


def _pg_env(url: sa.engine.URL) -> dict:
    """What pg_dump and pg_restore get of the environment: the libpq settings and the path,
    not the app's secrets; the password goes this way, not on the command line (visible in
    ps)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name.startswith("PG") or name in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
    }
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
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(target)
        try:
            # small steps: the app's writers get the lock between them
            src.backup(dst, pages=256, sleep=0.005)
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as error:
        raise BackupError(f"the database could not be copied: {error}") from None


#: names in the upload folder that are not uploads: a document being received
#: (documents/storage.py) and a restore's staging folder
WORK_PREFIXES = (".upload-", ".restoring-")


def _files_under(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(WORK_PREFIXES) for part in path.relative_to(folder).parts)
    )


def _make_private(folder: Path) -> None:
    """The backup's folders and files: readable and writable by their owner only."""
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def _copy_database(url: sa.engine.URL, target: Path) -> None:
    """A consistent copy of a SQLite database, checked."""
    _copy_sqlite(_sqlite_path(url), target)
    if not integrity_ok(target):
        raise BackupError("the copy failed PRAGMA integrity_check")


def _pg_dump_command(url: sa.engine.URL, pg_dump: str) -> list[str]:
    return [pg_dump, "-Fc", "--no-owner", "-d", _libpq_url(url)]


def _pg_dump_encrypted(url: sa.engine.URL, target: Path, *, pg_dump: str, key: bytes) -> None:
    """pg_dump's output encrypted as it streams: the plain dump never touches a disk."""
    name = target.name
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                _pg_dump_command(url, pg_dump),
                env=_pg_env(url),
                stdout=subprocess.PIPE,
                stderr=errors,
            )
        except FileNotFoundError:
            raise BackupError(f"{pg_dump} was not found: install the PostgreSQL client") from None
        with process:
            encryption.encrypt_stream(process.stdout, target, key=key, name=name, number=0)
        if process.returncode != 0:
            errors.seek(0)
            reason = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise BackupError(f"{pg_dump} failed: {reason[-1] if reason else process.returncode}")


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
    try:
        return _write_backup(
            dest,
            database_uri=database_uri,
            upload_folder=upload_folder,
            pg_dump=pg_dump,
            passphrase=passphrase,
            now=now,
        )
    except BaseException:
        # nothing half-written stays: the folder is empty again, ready for a retry
        for path in dest.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise


def _write_backup(
    dest: Path,
    *,
    database_uri: str,
    upload_folder: str | os.PathLike,
    pg_dump: str,
    passphrase: str,
    now: dt.datetime,
) -> dict:
    url = sa.engine.make_url(database_uri)
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database")
    database_file = SQLITE_FILE if backend == "sqlite" else PG_FILE
    uploads = Path(upload_folder)
    sources = _files_under(uploads) if uploads.is_dir() else []
    (dest / UPLOADS).mkdir(mode=0o700)
    sealing = None
    if passphrase:
        salt = encryption.new_salt()
        master = encryption.derive_key(passphrase, salt, **encryption.SCRYPT)
        key, mac_key = encryption.split_key(master)
        sealing = {
            "scheme": encryption.SCHEME,
            "salt": salt.hex(),
            "scrypt": encryption.SCRYPT,
            "key_check": encryption.key_check(key),
        }
        database_file += SEALED
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="outreach-backup-") as work:
                plain = Path(work) / SQLITE_FILE
                _copy_database(url, plain)
                encryption.encrypt_file(
                    plain, dest / database_file, key=key, name=database_file, number=0
                )
        else:
            _pg_dump_encrypted(url, dest / database_file, pg_dump=pg_dump, key=key)
        for number, source in enumerate(sources, start=1):
            name = f"{UPLOADS}/{source.relative_to(uploads).as_posix()}{SEALED}"
            (dest / name).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            encryption.encrypt_file(source, dest / name, key=key, name=name, number=number)
    else:
        if backend == "sqlite":
            _copy_database(url, dest / database_file)
        else:
            _run(
                [*_pg_dump_command(url, pg_dump), "-f", str(dest / database_file)], env=_pg_env(url)
            )
        for source in sources:
            copy = dest / UPLOADS / source.relative_to(uploads)
            copy.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copyfile(source, copy)
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
    if sealing:
        manifest["mac"] = encryption.manifest_mac(mac_key, manifest)
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    _make_private(dest)
    return manifest


def _safe_name(name) -> bool:
    """A file name from a manifest that stays inside the backup (and, for an upload, inside the
    upload folder): relative, ``/``-separated, without ``..``, of names a file system takes."""
    if not isinstance(name, str) or not name or len(name) > 1024:
        return False
    if "\\" in name or "\x00" in name:
        return False
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and path.as_posix() == name
        and all(
            part not in ("", ".", "..")
            and not part.startswith(WORK_PREFIXES)
            and len(part.encode("utf-8", "surrogatepass")) <= 255
            for part in path.parts
        )
    )


def _check_shape(manifest) -> None:
    """:raises BackupError: unless the manifest names only files inside the backup, the
    database by one of its fixed names, and uploads under ``uploads/``."""
    try:
        database = manifest["database"]
        files = manifest["files"]
        valid = (
            isinstance(files, dict)
            and database["backend"] in ("sqlite", "postgresql")
            and database["file"] in DATABASE_FILES
            and database["file"] in files
            and all(
                _safe_name(name)
                and isinstance(digest, str)
                and (name == database["file"] or name.startswith(UPLOADS + "/"))
                for name, digest in files.items()
            )
        )
    except (KeyError, TypeError):
        valid = False
    if not valid:
        raise BackupError("the backup's manifest is not one this app wrote")


def read_manifest(source: str | os.PathLike) -> dict:
    """The manifest, after checking its shape and every listed file against its SHA-256.

    :raises BackupError: for a missing or malformed manifest, a missing file or a changed one.
    """
    src = Path(source)
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src} holds no readable {MANIFEST}: {exc}") from None
    _check_shape(manifest)
    for name, digest in manifest["files"].items():
        path = src / name
        try:
            if path.is_symlink() or not path.is_file():
                raise BackupError(f"the backup is incomplete: {name} is missing")
            if sha256_of(path) != digest:
                raise BackupError(f"the backup is damaged: {name} does not match its checksum")
        except OSError as error:
            raise BackupError(f"the backup cannot be read: {name}: {error.strerror}") from None
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


def _backup_key(manifest: dict, passphrase: str, *, allow_plain: bool) -> bytes | None:
    """The files' key of an encrypted backup, once its manifest is authenticated; None for a
    plain one.

    :raises BackupError: for an encrypted backup without its passphrase or with another one, a
        manifest changed since it was written, or a plain backup while a passphrase is set
        (unless ``allow_plain``: a swapped-in plain backup must not pass unnoticed).
    """
    sealing = manifest.get("encryption")
    if not sealing:
        if passphrase and not allow_plain:
            raise BackupError(
                "the backup is not encrypted although OUTREACH_BACKUP_KEY is set: "
                "add --plain if it is one you made without a key"
            )
        return None
    if not isinstance(sealing, dict) or sealing.get("scheme") != encryption.SCHEME:
        raise BackupError("the backup is encrypted in a way this app does not know")
    if not passphrase:
        raise BackupError("the backup is encrypted: set OUTREACH_BACKUP_KEY to its passphrase")
    if not encryption.scrypt_settings_allowed(sealing.get("scrypt")):
        raise BackupError("the backup's manifest is not one this app wrote")
    try:
        master = encryption.derive_key(
            passphrase, bytes.fromhex(sealing["salt"]), **sealing["scrypt"]
        )
        key, mac_key = encryption.split_key(master)
        matches = encryption.key_matches(key, sealing["key_check"])
    except (KeyError, TypeError, ValueError):
        raise BackupError("the backup's manifest is not one this app wrote") from None
    if not matches:
        raise BackupError("OUTREACH_BACKUP_KEY is not the passphrase this backup was made with")
    if not hmac.compare_digest(
        str(manifest.get("mac", "")).encode("utf-8", "surrogatepass"),
        encryption.manifest_mac(mac_key, manifest).encode("ascii"),
    ):
        raise BackupError("the backup's manifest was changed after it was written")
    return key


def restore_backup(
    source: str | os.PathLike,
    *,
    engine: sa.engine.Engine,
    upload_folder: str | os.PathLike,
    force: bool = False,
    pg_restore: str = "pg_restore",
    passphrase: str = "",
    allow_plain: bool = False,
) -> dict:
    """Bring a backup back into the configured database and upload folder.

    Every upload is decrypted (or copied and checked) into a staging folder first; only when
    all of them are good is the database restored and the files moved into place, so a bad
    backup changes nothing.

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
    key = _backup_key(manifest, passphrase, allow_plain=allow_plain)
    if not force and not database_is_empty(engine):
        raise BackupError("the database already holds data: add --force to overwrite it")
    uploads = Path(upload_folder)
    uploads.mkdir(parents=True, exist_ok=True)
    staging = uploads / f".restoring-{secrets.token_hex(6)}"
    staging.mkdir(mode=0o700)
    try:
        staged = _stage_uploads(src, manifest, staging, key=key)
        _check_targets(uploads, staged)
        with tempfile.TemporaryDirectory(prefix="outreach-restore-") as work:
            database_file = src / manifest["database"]["file"]
            if key is not None:
                plain = Path(work) / "database"
                _open(database_file, plain, key=key, name=manifest["database"]["file"])
                database_file = plain
            _restore_database(engine, backend, database_file, pg_restore=pg_restore)
        try:
            for relative in staged:
                target = uploads / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / relative, target)
        except OSError as error:
            raise BackupError(
                f"the database is restored, but moving the uploads in failed ({error.strerror}): "
                "free the upload folder and restore again with --force"
            ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"database": backend, "files": len(staged), "encrypted": key is not None}


def _stage_uploads(src: Path, manifest: dict, staging: Path, *, key: bytes | None) -> list[str]:
    """Decrypt (or copy and check) every upload of the backup into ``staging``; return their
    paths relative to the upload folder."""
    staged = []
    for name, digest in manifest["files"].items():
        if not name.startswith(UPLOADS + "/"):
            continue
        relative = name[len(UPLOADS) + 1 :]
        if key is not None:
            relative = relative.removesuffix(SEALED)
        if not _safe_name(relative):
            raise BackupError("the backup's manifest is not one this app wrote")
        staged_path = staging / relative
        staged_path.parent.mkdir(parents=True, exist_ok=True)
        if key is not None:
            # as the app writes uploads (0666 less the umask)
            _open(src / name, staged_path, key=key, name=name, mode=0o666)
        else:
            shutil.copyfile(src / name, staged_path)
            if sha256_of(staged_path) != digest:
                raise BackupError(f"restoring {name} failed: its checksum differs")
        staged.append(relative)
    return staged


def _check_targets(uploads: Path, staged: list[str]) -> None:
    """:raises BackupError: before anything is restored, when a file could not be moved to its
    place: a link, a folder or a file in the way, or another file system."""
    device = uploads.stat().st_dev
    for relative in staged:
        target = uploads
        parts = PurePosixPath(relative).parts
        for index, part in enumerate(parts):
            target = target / part
            if target.is_symlink():
                raise BackupError(f"cannot restore {relative}: {target} is a link")
            if not target.exists():
                break  # made when the file is moved in
            if target.stat().st_dev != device:
                raise BackupError(f"cannot restore {relative}: {target} is another file system")
            last = index == len(parts) - 1
            if last and target.is_dir():
                raise BackupError(f"cannot restore {relative}: a folder of that name is in the way")
            if not last and not target.is_dir():
                raise BackupError(f"cannot restore {relative}: {target} is a file")


def _restore_database(
    engine: sa.engine.Engine, backend: str, database_file: Path, *, pg_restore: str
) -> None:
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


def _open(source: Path, target: Path, *, key: bytes, name: str, mode: int = 0o600) -> None:
    try:
        encryption.decrypt_file(source, target, key=key, name=name, mode=mode)
    except encryption.DecryptionError as error:
        raise BackupError(str(error)) from None
