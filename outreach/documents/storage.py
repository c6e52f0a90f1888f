"""Files under ``UPLOAD_FOLDER``: streamed writes with SHA-256, atomic moves, generated names.

A file is written to a hidden temp file in the upload folder (same file system, so the final
``os.replace`` is atomic), hashed on the way, checked, then moved to ``<uuid4 hex>.<ext>``.
Nothing half-written is ever visible under a final name, and every failure removes the temp
file. Client file names never reach a path: they are only cleaned for display.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from werkzeug.utils import secure_filename

CHUNK_SIZE = 1024 * 1024
TEMP_PREFIX = ".upload-"
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z]{3,4}$")
MAX_DISPLAY_NAME = 150
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class TooLarge(Exception):
    """The stream is longer than the allowed size."""


@dataclass(frozen=True)
class TempFile:
    path: Path
    sha256: str
    size: int


def write_temp(stream: BinaryIO, folder: str | os.PathLike, *, max_bytes: int) -> TempFile:
    """Copy ``stream`` into a new temp file in ``folder`` in chunks, hashing as it goes.

    :raises TooLarge: past ``max_bytes`` (the temp file is removed).
    :raises OSError: when the disk is full or unwritable (the temp file is removed).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("xb") as out:
            while True:
                chunk = stream.read(CHUNK_SIZE)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        discard(path)
        raise
    return TempFile(path=path, sha256=digest.hexdigest(), size=size)


def commit_temp(temp: TempFile, folder: str | os.PathLike, extension: str) -> str:
    """Move a checked temp file to its final generated name; return that name."""
    if not re.fullmatch(r"[a-z]{3,4}", extension):
        raise ValueError("bad extension")
    name = f"{uuid.uuid4().hex}.{extension}"
    try:
        os.replace(temp.path, Path(folder) / name)
    except BaseException:
        discard(temp.path)
        raise
    return name


def discard(path: str | os.PathLike) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def path_for(folder: str | os.PathLike, stored_name: str) -> Path:
    """The absolute path of a stored file; refuses anything but a generated name."""
    if not STORED_NAME.match(stored_name):
        raise ValueError("not a stored name")
    return Path(folder).resolve() / stored_name


def remove(folder: str | os.PathLike, stored_name: str) -> None:
    discard(path_for(folder, stored_name))


def clean_display_name(filename: str | None, extension: str) -> str:
    """The uploader's file name made safe to show and to send back: NFC, the last path part,
    no control or direction characters, at most 150 characters keeping the extension, never
    empty (``tai-lieu.<ext>``). Vietnamese letters stay."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name)
    name = " ".join(name.split())
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")
    if not stem:
        stem = "tai-lieu"
    stem = stem[: MAX_DISPLAY_NAME - len(extension) - 1].rstrip(" .")
    return f"{stem}.{extension}"


def ascii_name(display_name: str, extension: str, *, fold) -> str:
    """An ASCII fallback for ``filename=`` (old clients): diacritics folded, then
    ``secure_filename``; never empty."""
    folded = fold(display_name.rsplit(".", 1)[0]).replace(" ", "-")
    stem = re.sub(r"-{2,}", "-", secure_filename(folded))[:100].strip("-_.") or "tai-lieu"
    return f"{stem}.{extension}"
