"""Printable PDF tickets, read back with pypdf, zxing-cpp and poppler (outreach.checkin.pdf)."""

import io
import os
import shutil
import subprocess
import unicodedata
from dataclasses import FrozenInstanceError
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from PIL import Image

from outreach.checkin import pdf as ticket_pdf
from outreach.checkin.pdf import DOOR_NOTE
from outreach.checkin.pdf import FontNotFound
from outreach.checkin.pdf import TicketInfo
from outreach.checkin.pdf import find_font
from outreach.checkin.pdf import render_tickets_pdf
from outreach.checkin.tickets import format_ticket_code
from outreach.checkin.tickets import new_ticket_code

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def make_ticket(**overrides) -> TicketInfo:
    values = {
        "code": new_ticket_code(),
        "full_name": "Đỗ Thị Hồng Nhung",
        "position": "Giám đốc HTX",
        "cooperative_name": "HTX Nông sản Lục Ngạn",
        "conference_title": "Hội nghị phổ biến quy định về ứng dụng khoa học và công nghệ",
        "when_text": "08:00–11:30, thứ Năm 18/12/2025",
        "venue_text": "Hội trường Sở Khoa học và Công nghệ, Phường Kinh Bắc, Bắc Ninh",
    }
    values.update(overrides)
    return TicketInfo(**values)


def page_texts(document: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(document)).pages]


def decoded_images(document: bytes) -> list[str]:
    """Decode every image embedded in the PDF, page by page, in drawing order."""
    texts = []
    for page in pypdf.PdfReader(io.BytesIO(document)).pages:
        for embedded in page.images:
            texts.extend(result.text for result in zxingcpp.read_barcodes(embedded.image))
    return texts


def test_ticket_info_is_frozen():
    ticket = make_ticket()
    with pytest.raises(FrozenInstanceError):
        ticket.full_name = "x"


def test_render_tickets_pdf_is_a_pdf():
    assert render_tickets_pdf([make_ticket()]).startswith(b"%PDF-")


def test_render_tickets_pdf_keeps_vietnamese_name_with_diacritics():
    text = page_texts(render_tickets_pdf([make_ticket()]))[0]
    assert "Đỗ Thị Hồng Nhung" in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("position", "Chủ tịch Hội đồng quản trị"),
        ("cooperative_name", "Liên hiệp HTX Nông sản sạch Kinh Bắc"),
        ("conference_title", "Hội nghị kết nối cung – cầu công nghệ"),
        ("when_text", "14:00, thứ Sáu 19/12/2025"),
        ("venue_text", "Trung tâm Hội nghị tỉnh, Phường Vân Hà"),
    ],
)
def test_render_tickets_pdf_prints_each_field(field, value):
    text = page_texts(render_tickets_pdf([make_ticket(**{field: value})]))[0]
    assert value in text


def test_render_tickets_pdf_prints_the_door_note():
    assert DOOR_NOTE == "Xuất trình mã này tại cửa"
    assert DOOR_NOTE in page_texts(render_tickets_pdf([make_ticket()]))[0]


def test_render_tickets_pdf_prints_code_in_groups_of_four():
    code = "ABCDEFGHIJKLMNOPQRSTUVWXYA"
    lines = page_texts(render_tickets_pdf([make_ticket(code=code)]))[0].splitlines()
    printed = " ".join(line.strip() for line in lines if line.strip() in format_ticket_code(code))
    assert printed == "ABCD EFGH IJKL MNOP QRST UVWX YA" == format_ticket_code(code)


def test_render_tickets_pdf_decomposed_name_is_printed_composed():
    name = "Nguyễn Thị Thu Hằng"
    document = render_tickets_pdf([make_ticket(full_name=unicodedata.normalize("NFD", name))])
    assert unicodedata.normalize("NFC", name) in page_texts(document)[0]


def test_render_tickets_pdf_embedded_qr_decodes_to_the_code():
    ticket = make_ticket()
    assert decoded_images(render_tickets_pdf([ticket])) == [ticket.code]


def test_render_tickets_pdf_puts_two_tickets_on_each_a4_page():
    tickets = [make_ticket(full_name=f"Người Số {i}") for i in range(3)]
    document = render_tickets_pdf(tickets)
    reader = pypdf.PdfReader(io.BytesIO(document))
    assert len(reader.pages) == 2
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(width * 25.4 / 72), round(height * 25.4 / 72)) == (210, 297)
    texts = page_texts(document)
    assert "Người Số 0" in texts[0]
    assert "Người Số 1" in texts[0]
    assert "Người Số 2" in texts[1]


def test_render_tickets_pdf_keeps_ticket_order():
    tickets = [make_ticket() for _ in range(5)]
    assert decoded_images(render_tickets_pdf(tickets)) == [t.code for t in tickets]


def test_render_tickets_pdf_cuts_overlong_text_with_ellipsis():
    long_name = "Nguyễn Văn " * 40 + "Hùng"
    text = page_texts(render_tickets_pdf([make_ticket(full_name=long_name)]))[0]
    assert "…" in text
    assert "Hùng" not in text
    assert DOOR_NOTE in text


def test_render_tickets_pdf_no_tickets_raises():
    with pytest.raises(ValueError, match="no tickets"):
        render_tickets_pdf([])


def test_render_tickets_pdf_uses_the_given_font_path():
    if not DEJAVU.is_file():
        pytest.skip("fonts-dejavu-core is not installed")
    document = render_tickets_pdf([make_ticket()], font_path=DEJAVU)
    fonts = pypdf.PdfReader(io.BytesIO(document)).pages[0]["/Resources"]["/Font"]
    names = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
    assert names
    assert all("DejaVuSans" in name for name in names)


def test_render_tickets_pdf_missing_font_path_raises_font_not_found(tmp_path):
    with pytest.raises(FontNotFound, match="not found"):
        render_tickets_pdf([make_ticket()], font_path=tmp_path / "missing.ttf")


def test_find_font_explicit_path_wins(tmp_path):
    font = tmp_path / "mine.ttf"
    font.write_bytes(b"not really a font, but find_font only locates")
    assert find_font(font) == font


def test_find_font_takes_first_existing_candidate(tmp_path, monkeypatch):
    monkeypatch.setattr(ticket_pdf, "_packaged_font", lambda: None)
    second = tmp_path / "second.ttf"
    second.write_bytes(b"x")
    assert find_font(candidates=(tmp_path / "first.ttf", second)) == second


def test_find_font_prefers_a_packaged_font(tmp_path, monkeypatch):
    packaged = tmp_path / "OpenSans-Regular.ttf"
    monkeypatch.setattr(ticket_pdf, "_packaged_font", lambda: packaged)
    assert find_font(candidates=(DEJAVU,)) == packaged


def test_find_font_nothing_found_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setattr(ticket_pdf, "_packaged_font", lambda: None)
    with pytest.raises(FontNotFound, match="fonts-dejavu-core") as excinfo:
        find_font(candidates=(tmp_path / "nope.ttf",))
    assert "font_path" in str(excinfo.value)


def test_find_font_default_finds_a_font_on_this_machine():
    assert find_font().is_file()


def _require_pdftoppm() -> str:
    path = shutil.which("pdftoppm")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (Debian package poppler-utils) is required in CI")
        pytest.skip("pdftoppm (Debian package poppler-utils) is not installed")
    return path


def test_render_tickets_pdf_printed_page_scans(tmp_path):
    # Rendering the page as a printer would proves the QR is placed, sized and not covered:
    # reading the embedded image alone would not.
    pdftoppm = _require_pdftoppm()
    tickets = [make_ticket(), make_ticket()]
    source = tmp_path / "tickets.pdf"
    source.write_bytes(render_tickets_pdf(tickets))
    subprocess.run(
        [pdftoppm, "-r", "150", "-gray", "-png", "-f", "1", "-l", "1", source, tmp_path / "page"],
        check=True,
        timeout=60,
    )
    (rendered,) = tmp_path.glob("page*.png")
    with Image.open(rendered) as page:
        found = {result.text for result in zxingcpp.read_barcodes(page)}
    assert found == {t.code for t in tickets}
