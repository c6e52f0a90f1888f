"""The content checker on real small files."""

from __future__ import annotations

import io
import zipfile

import pytest

from outreach.documents import content


def _check(tmp_path, data: bytes, name: str):
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    return content.detect(path, name)


def _rejected(tmp_path, data: bytes, name: str) -> str:
    with pytest.raises(content.ContentRejected) as caught:
        _check(tmp_path, data, name)
    return caught.value.code


def test_detect_pdf_by_content(tmp_path, files):
    assert _check(tmp_path, files.pdf("Báo cáo"), "Báo cáo.pdf").media_type == "application/pdf"


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx"])
def test_detect_office_files_by_their_parts(tmp_path, files, kind):
    detected = _check(tmp_path, files.ooxml(kind), f"tai-lieu.{kind}")
    assert detected.extension == kind
    assert detected.media_type.startswith("application/vnd.openxmlformats-officedocument")


def test_detect_images(tmp_path, files):
    assert _check(tmp_path, files.png(), "anh.png").media_type == "image/png"
    assert _check(tmp_path, files.jpeg(), "anh.JPEG").media_type == "image/jpeg"


def test_docx_renamed_to_xlsx_is_a_mismatch(tmp_path, files):
    assert _rejected(tmp_path, files.ooxml("docx"), "bang.xlsx") == "content_mismatch"


def test_pdf_renamed_to_docx_is_a_mismatch(tmp_path, files):
    assert _rejected(tmp_path, files.pdf(), "report.docx") == "content_mismatch"


def test_html_renamed_to_pdf_is_a_mismatch(tmp_path):
    html = b"<!doctype html><html><script>alert(1)</script></html>"
    assert _rejected(tmp_path, html, "report.pdf") == "content_mismatch"


def test_svg_with_script_is_refused(tmp_path):
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
    )
    assert _rejected(tmp_path, svg, "logo.svg") == "type_not_allowed"
    assert _rejected(tmp_path, svg, "logo.png") == "content_mismatch"


@pytest.mark.parametrize(
    "name",
    [
        "a.exe",
        "a.html",
        "a.htm",
        "a.js",
        "a.php",
        "a.zip",
        "a.docm",
        "a.xlsm",
        "a.pdf.html",
        "noextension",
        "",
    ],
)
def test_names_outside_the_allow_list_are_refused(tmp_path, files, name):
    assert _rejected(tmp_path, files.pdf(), name) == "type_not_allowed"


def test_double_extension_ending_in_pdf_needs_a_real_pdf(tmp_path, files):
    assert _check(tmp_path, files.pdf(), "report.html.pdf").extension == "pdf"
    assert _rejected(tmp_path, b"<html></html>", "report.html.pdf") == "content_mismatch"


def test_macro_enabled_document_renamed_docx_is_refused(tmp_path, files):
    assert (
        _rejected(tmp_path, files.ooxml("docx", macro=True), "macro.docx") == "macros_not_allowed"
    )


def test_plain_zip_renamed_docx_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert _rejected(tmp_path, buffer.getvalue(), "x.docx") == "content_mismatch"


def test_zip_bomb_is_refused_before_extraction(tmp_path, files):
    # 300 MB of zeros compresses to about 300 kB: small on disk, huge once opened
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(300):
                member.write(block)
    data = buffer.getvalue()
    assert len(data) < 2 * 1024 * 1024
    assert _rejected(tmp_path, data, "bomb.docx") == "too_complex"


def test_zip_with_too_many_entries_is_refused(tmp_path, files):
    extra = {f"word/media/{i}.xml": "" for i in range(content.MAX_ZIP_ENTRIES + 1)}
    assert _rejected(tmp_path, files.ooxml("docx", extra=extra), "many.docx") == "too_complex"


def test_empty_file_is_refused(tmp_path):
    assert _rejected(tmp_path, b"", "empty.pdf") == "empty"
