"""The conference document pack: a streamed ZIP and the printable combined PDF.

The ZIP is produced by ``zipfile`` writing to a sink that cannot seek: ``zipfile`` then uses
data descriptors, and each chunk is handed to the caller as soon as it is written, so memory
stays flat however big the pack is. Members are stored, not deflated: PDFs, Office files and
images are already compressed.

The combined PDF is a cover and a table of contents drawn with fpdf2, followed by every PDF
merged with pypdf in agenda order; files in other formats are listed in the contents as
separate files.
"""

from __future__ import annotations

import math
import unicodedata
import zipfile
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fpdf import FPDF
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.errors import PyPdfError

from outreach.checkin.pdf import find_font

CHUNK_SIZE = 256 * 1024
TOC_LINES_PER_PAGE = 22


@dataclass(frozen=True)
class PackEntry:
    #: the section the document belongs to (a session title, or the conference itself)
    section: str
    title: str
    #: the member name in the ZIP, already unique and safe (see ``member_names``)
    display_name: str
    path: Path
    extension: str


@dataclass(frozen=True)
class CoverInfo:
    heading: str
    title: str
    when: str
    venue: str
    hosts: str
    contents_heading: str
    other_files_note: str
    page_label: str


class _Sink:
    """A write-only, unseekable file: ``zipfile`` writes, the generator drains."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._offset = 0

    def write(self, data) -> int:
        data = bytes(data)
        self._chunks.append(data)
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _safe_member(name: str) -> str:
    name = unicodedata.normalize("NFC", name).replace("\\", "/").replace("/", "-")
    name = "".join(ch for ch in name if ch.isprintable()).strip(" .")
    return name or "tai-lieu"


def member_names(entries: Iterable[tuple[int, str, str]]) -> list[str]:
    """ZIP member names ``NN - <name>`` from (index, display name, extension), unique."""
    seen: set[str] = set()
    result = []
    for index, name, extension in entries:
        stem = _safe_member(name.rsplit(".", 1)[0])[:120]
        candidate = f"{index:02d} - {stem}.{extension}"
        counter = 2
        while candidate.lower() in seen:
            candidate = f"{index:02d} - {stem} ({counter}).{extension}"
            counter += 1
        seen.add(candidate.lower())
        result.append(candidate)
    return result


def stream_zip(entries: Iterable[PackEntry]) -> Iterator[bytes]:
    """Yield a ZIP of ``entries`` chunk by chunk (UTF-8 names, stored members)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.display_name)
            info.compress_type = zipfile.ZIP_STORED
            with entry.path.open("rb") as source, archive.open(info, "w", force_zip64=True) as out:
                while True:
                    chunk = source.read(CHUNK_SIZE)
                    if not chunk:
                        break
                    out.write(chunk)
                    data = sink.drain()
                    if data:
                        yield data
            data = sink.drain()
            if data:
                yield data
    data = sink.drain()
    if data:
        yield data


def _page_count(path: Path) -> int | None:
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            return None
        return len(reader.pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError):
        return None


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _front_matter(cover: CoverInfo, rows: list[tuple[str, str, str]], *, font: Path) -> bytes:
    """Cover and contents. ``rows`` are (section, title, page label)."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font("body", "", str(font))
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("body", size=12)
    pdf.ln(40)
    pdf.multi_cell(0, 7, _nfc(cover.heading), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("body", size=20)
    pdf.multi_cell(0, 10, _nfc(cover.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("body", size=12)
    for line in (cover.when, cover.venue, cover.hosts):
        if line:
            pdf.multi_cell(0, 7, _nfc(line), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("body", size=16)
    pdf.cell(0, 10, _nfc(cover.contents_heading), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("body", size=11)
    last_section = None
    for section, title, page in rows:
        if section != last_section:
            pdf.ln(2)
            pdf.set_font("body", size=12)
            pdf.multi_cell(0, 7, _nfc(section), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("body", size=11)
            last_section = section
        pdf.cell(140, 7, _nfc(title)[:90])
        pdf.cell(0, 7, _nfc(page), align="R", new_x="LMARGIN", new_y="NEXT")
    if cover.other_files_note and any(not page[:1].isdigit() for _s, _t, page in rows):
        pdf.ln(4)
        pdf.multi_cell(0, 6, _nfc(cover.other_files_note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_combined_pdf(
    entries: list[PackEntry],
    cover: CoverInfo,
    out: BinaryIO,
    *,
    other_label,
    font_path: Path | None = None,
) -> int:
    """Write the combined PDF to ``out``; return its page count.

    ``other_label(entry)`` gives the contents text for a file that is not merged (another
    format, or a PDF pypdf cannot read).
    """
    font = find_font(font_path)
    counts = [(_page_count(e.path) if e.extension == "pdf" else None) for e in entries]

    def rows_for(front_pages: int) -> list[tuple[str, str, str]]:
        rows, page = [], front_pages + 1
        for entry, count in zip(entries, counts, strict=True):
            if count:
                rows.append((entry.section, entry.title, cover.page_label.format(page=page)))
                page += count
            else:
                rows.append((entry.section, entry.title, other_label(entry)))
        return rows

    front_pages = 1 + max(1, math.ceil((len(entries) + 1) / TOC_LINES_PER_PAGE))
    for _attempt in range(4):
        front = _front_matter(cover, rows_for(front_pages), font=font)
        actual = len(PdfReader(_bytes_io(front)).pages)
        if actual == front_pages:
            break
        front_pages = actual
    writer = PdfWriter()
    writer.append(_bytes_io(front))
    contents_parent = writer.add_outline_item(title=_nfc(cover.contents_heading), page_number=1)
    page = front_pages
    for entry, count in zip(entries, counts, strict=True):
        if not count:
            continue
        try:
            writer.append(str(entry.path), import_outline=False)
        except (PyPdfError, OSError, ValueError, KeyError, TypeError):
            continue
        writer.add_outline_item(title=_nfc(entry.title), page_number=page, parent=contents_parent)
        page += count
    writer.add_metadata({"/Title": _nfc(cover.title)})
    writer.write(out)
    return len(writer.pages)


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def simple_pdf(title: str, lines: list[str], *, font_path: Path | None = None) -> bytes:
    """A small one-page PDF with a title and lines of text (demo data, tests)."""
    pdf = FPDF(format="A4")
    pdf.add_font("body", "", str(find_font(font_path)))
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("body", size=16)
    pdf.multi_cell(0, 9, _nfc(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("body", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, _nfc(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
