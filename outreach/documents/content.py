"""What a file really is, decided by its content: the allow-list of briefing types.

Names and the browser's ``Content-Type`` are never trusted. A PDF must start as a PDF; an
Office file must be a zip that holds ``[Content_Types].xml`` and the main part of its kind, no
macros, and stays under entry-count and uncompressed-size caps (checked from the central
directory, before anything is extracted); images must carry PNG or JPEG magic. Pure: stdlib only.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

#: the extensions we store and serve, by kind
ALLOWED_BRIEFING_EXTENSIONS = ("pdf", "docx", "pptx", "xlsx", "png", "jpg")

MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
#: a single entry compressed more than this is a bomb, whatever its size
MAX_COMPRESSION_RATIO = 200

_OOXML = {
    # extension: (main part, media type, main content type prefix)
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    **{ext: spec[1] for ext, spec in _OOXML.items()},
}


class ContentRejected(ValueError):
    """The file is not one we accept. ``code`` is one of ``empty``, ``type_not_allowed``,
    ``content_mismatch``, ``macros_not_allowed``, ``too_complex``."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class Detected:
    extension: str
    media_type: str


def name_extension(filename: str) -> str:
    """The final extension of a client file name, lowercased (``jpeg`` counts as ``jpg``)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip().rstrip(".")
    if "." not in name:
        return ""
    extension = name.rsplit(".", 1)[-1].lower()
    return "jpg" if extension == "jpeg" else extension


def _check_ooxml(path: Path) -> str:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ContentRejected("content_mismatch") from error
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise ContentRejected("too_complex")
        total = 0
        names = set()
        for info in infos:
            total += info.file_size
            if total > MAX_ZIP_UNCOMPRESSED:
                raise ContentRejected("too_complex")
            if info.file_size > 1_000_000 and info.file_size > MAX_COMPRESSION_RATIO * max(
                info.compress_size, 1
            ):
                raise ContentRejected("too_complex")
            names.add(info.filename)
        lowered = {name.lower() for name in names}
        if any(name.endswith("vbaproject.bin") or "vbadata" in name for name in lowered):
            raise ContentRejected("macros_not_allowed")
        if "[Content_Types].xml" not in names:
            raise ContentRejected("content_mismatch")
        info = archive.getinfo("[Content_Types].xml")
        if info.file_size > 1_000_000:
            raise ContentRejected("too_complex")
        try:
            content_types = archive.read(info).decode("utf-8", "replace").lower()
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
            raise ContentRejected("content_mismatch") from error
    if "macroenabled" in content_types or "vbaproject" in content_types:
        raise ContentRejected("macros_not_allowed")
    for extension, (main_part, _media, main_type) in _OOXML.items():
        if main_part in names and main_type.lower() in content_types:
            return extension
    raise ContentRejected("content_mismatch")


def detect(path: str | Path, filename: str) -> Detected:
    """Decide what the file at ``path`` is; ``filename`` (the client's name) must agree.

    :raises ContentRejected: for an empty file, a type outside the allow-list (by name or by
        content), a name and content that disagree, macros, or a zip too big to open safely.
    """
    path = Path(path)
    claimed = name_extension(filename)
    if claimed not in ALLOWED_BRIEFING_EXTENSIONS:
        raise ContentRejected("type_not_allowed")
    with path.open("rb") as handle:
        head = handle.read(1024)
    if not head:
        raise ContentRejected("empty")
    if head.startswith(b"%PDF-"):
        actual = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        actual = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        actual = "jpg"
    elif head.startswith(b"PK\x03\x04"):
        actual = _check_ooxml(path)
    else:
        # HTML, SVG, scripts and everything else without a known signature
        raise ContentRejected("content_mismatch")
    if actual != claimed:
        raise ContentRejected("content_mismatch")
    return Detected(extension=actual, media_type=MEDIA_TYPES[actual])
