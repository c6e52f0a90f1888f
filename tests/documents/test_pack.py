"""The streamed ZIP and the combined PDF, read back by other programs."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
from pathlib import Path

from pypdf import PdfReader

from outreach.documents import pack

COVER = pack.CoverInfo(
    heading="Tập tài liệu hội nghị",
    title="Hội nghị phổ biến chính sách KH&CN cho hợp tác xã",
    when="08:00–11:30 10/12/2026",
    venue="Hội trường UBND xã Lục Ngạn",
    hosts="Đơn vị tổ chức: Sở Khoa học và Công nghệ",
    contents_heading="Mục lục",
    other_files_note="Các tệp khác nằm trong gói .zip.",
    page_label="trang {page}",
)


def _entry(path: Path, title: str, section: str, name: str) -> pack.PackEntry:
    return pack.PackEntry(
        section=section, title=title, display_name=name, path=path, extension=path.suffix[1:]
    )


def test_combined_pdf_has_cover_contents_and_merged_pages(tmp_path, files):
    first = tmp_path / "a.pdf"
    first.write_bytes(files.pdf("Quy định về đề tài", pages=2))
    second = tmp_path / "b.pdf"
    second.write_bytes(files.pdf("Nhãn hiệu tập thể", pages=3))
    sheet = tmp_path / "c.xlsx"
    sheet.write_bytes(files.ooxml("xlsx"))
    entries = [
        _entry(first, "Quy định đề tài KH&CN", "Phiên 1: Chính sách", "01 - a.pdf"),
        _entry(sheet, "Bảng dự toán", "Phiên 1: Chính sách", "02 - c.xlsx"),
        _entry(second, "Hướng dẫn nhãn hiệu", "Phiên 2: Thương hiệu", "03 - b.pdf"),
    ]
    out = io.BytesIO()
    pages = pack.write_combined_pdf(
        entries, COVER, out, other_label=lambda e: f"tệp {e.extension.upper()} riêng"
    )
    reader = PdfReader(io.BytesIO(out.getvalue()))
    assert pages == len(reader.pages) == 1 + 1 + 2 + 3
    cover = reader.pages[0].extract_text()
    assert "Tập tài liệu hội nghị" in cover
    assert "Lục Ngạn" in cover
    contents = reader.pages[1].extract_text()
    assert "Mục lục" in contents
    assert "Quy định đề tài KH&CN" in contents
    assert "trang 3" in contents
    assert "Hướng dẫn nhãn hiệu" in contents
    assert "trang 5" in contents
    assert "Bảng dự toán" in contents
    assert "tệp XLSX riêng" in contents
    assert "Quy định về đề tài 1" in reader.pages[2].extract_text()
    assert "Nhãn hiệu tập thể 1" in reader.pages[4].extract_text()
    outline = reader.outline
    titles = [item.title for item in outline[1]]
    assert titles == ["Quy định đề tài KH&CN", "Hướng dẫn nhãn hiệu"]
    assert reader.get_destination_page_number(outline[1][1]) == 4


def test_zip_streams_members_in_order_with_vietnamese_names(tmp_path, files):
    a = tmp_path / "a.pdf"
    a.write_bytes(files.pdf())
    b = tmp_path / "b.docx"
    b.write_bytes(files.ooxml("docx"))
    names = pack.member_names(
        [(1, "Báo cáo.pdf", "pdf"), (2, "Báo cáo.pdf", "docx"), (3, "../x.pdf", "pdf")]
    )
    assert names == ["01 - Báo cáo.pdf", "02 - Báo cáo.docx", "03 - -x.pdf"]
    data = b"".join(pack.stream_zip([_entry(a, "A", "S", names[0]), _entry(b, "B", "S", names[1])]))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == names[:2]
        assert archive.read(names[0]) == a.read_bytes()
        assert archive.testzip() is None


def test_zip_memory_stays_flat_for_a_pack_far_bigger_than_the_limit(tmp_path):
    entries = []
    block = os.urandom(1024 * 1024)
    for index in range(6):
        path = tmp_path / f"{index}.pdf"
        with path.open("wb") as out:
            for _ in range(10):
                out.write(block)
        entries.append(_entry(path, f"T{index}", "S", f"{index:02d} - tài liệu.pdf"))
    total = 0
    tracemalloc.start()
    try:
        for chunk in pack.stream_zip(entries):
            total += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > 60 * 1024 * 1024
    assert peak < 10 * 1024 * 1024, peak
