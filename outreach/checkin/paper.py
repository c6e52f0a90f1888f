"""Paper for the door: the sign-in sheet (danh sách đại biểu ký nhận) and name badges, as PDF.

Pure builders: they take plain dataclasses of text already in the language to print and return
PDF bytes; they read no database and no request. Vietnamese is drawn with the Unicode font of
:func:`outreach.checkin.pdf.find_font` (the PDF core fonts lack ữ, ặ, …), text in NFC.

The sheet is the record the finance settlement needs, so it keeps to the usual form of such
lists: the conference and its hosts on top, then numbered rows (STT, full name, position,
cooperative, a signature box tall enough to sign in), the table's header repeated on every page
and "Trang 1/3" at the foot of each page.
"""

from __future__ import annotations

import io
import os
import unicodedata
from dataclasses import dataclass
from dataclasses import field

from fpdf import FPDF
from fpdf.enums import Align
from fpdf.enums import MethodReturnValue
from fpdf.enums import XPos
from fpdf.enums import YPos

from outreach.checkin.pdf import find_font
from outreach.checkin.qr import make_qr_png

_FONT = "paper"
_PT = 0.3528  # millimetres per point

# --- the sign-in sheet ---------------------------------------------------------------------

SHEET_TITLE = "DANH SÁCH ĐẠI BIỂU KÝ NHẬN"
BLANK_SHEET_TITLE = "DANH SÁCH ĐẠI BIỂU KÝ NHẬN (BỔ SUNG)"
#: (header, width in mm): 186 mm, the width of A4 inside 12 mm margins
SHEET_COLUMNS = (
    ("STT", 12.0),
    ("Họ và tên", 50.0),
    ("Chức vụ", 34.0),
    ("Hợp tác xã", 54.0),
    ("Ký nhận", 36.0),
)
#: a signature needs about a centimetre and a half
ROW_HEIGHT = 15.0
_HEAD_HEIGHT = 9.0
_GROUP_HEIGHT = 8.0
_MARGIN = 12.0
_FOOT = 14.0
_A4 = (210.0, 297.0)


@dataclass(frozen=True)
class SheetHeader:
    """The block above the table."""

    title: str
    when_text: str
    venue_text: str
    #: e.g. "Đơn vị chủ trì: Sở KH&CN Bắc Ninh · Phối hợp: Liên minh HTX tỉnh"
    hosts_text: str = ""


@dataclass(frozen=True)
class SheetRow:
    full_name: str
    position: str
    cooperative: str


@dataclass(frozen=True)
class SheetGroup:
    """Rows under one heading (a cooperative's name); an empty heading draws no heading row."""

    heading: str
    rows: list[SheetRow] = field(default_factory=list)


def nfc(text: str) -> str:
    """One line of composed text: without a shaping engine a decomposed tone mark would be drawn
    beside its vowel."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _fit_lines(pdf: FPDF, text: str, width: float, max_lines: int) -> list[str]:
    lines = pdf.multi_cell(width, 4, nfc(text), dry_run=True, output=MethodReturnValue.LINES)
    lines = [line for line in lines if line] or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1].rstrip()
        while last and pdf.get_string_width(last + "…") > width - 1:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _text_box(
    pdf: FPDF,
    x: float,
    y: float,
    width: float,
    height: float,
    text: str,
    *,
    size: float,
    max_lines: int,
    align: Align = Align.L,
) -> None:
    """Text wrapped into ``width``, cut to ``max_lines`` with an ellipsis, centred vertically."""
    pdf.set_font(_FONT, size=size)
    line_height = size * _PT * 1.3
    lines = _fit_lines(pdf, text, width - 2, max_lines)
    top = y + (height - line_height * len(lines)) / 2
    for index, line in enumerate(lines):
        pdf.set_xy(x + 1, top + index * line_height)
        pdf.cell(width - 2, line_height, line, align=align)


class _SheetPDF(FPDF):
    """Repeats the table's header at the top of every page after the first, numbers pages."""

    table_started = False

    def header(self) -> None:
        if self.table_started:
            self.set_y(_MARGIN)
            draw_sheet_head(self)

    def footer(self) -> None:
        self.set_y(-_FOOT + 4)
        self.set_font(_FONT, size=9)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align=Align.C)


def draw_sheet_head(pdf: FPDF) -> None:
    pdf.set_font(_FONT, size=10)
    pdf.set_fill_color(230)
    pdf.set_draw_color(0)
    x = _MARGIN
    y = pdf.get_y()
    for label, width in SHEET_COLUMNS:
        pdf.set_xy(x, y)
        pdf.cell(width, _HEAD_HEIGHT, label, border=1, align=Align.C, fill=True)
        x += width
    pdf.set_xy(_MARGIN, y + _HEAD_HEIGHT)


def _room_for(pdf: FPDF, height: float) -> None:
    if pdf.get_y() + height > _A4[1] - _FOOT:
        pdf.add_page()


def _draw_row(pdf: FPDF, number: int, row: SheetRow | None) -> None:
    _room_for(pdf, ROW_HEIGHT)
    y = pdf.get_y()
    x = _MARGIN
    texts = [
        str(number),
        *(("", "", "") if row is None else (row.full_name, row.position, row.cooperative)),
        "",
    ]
    sizes = (10, 11, 9, 9, 9)
    for (label, width), text, size in zip(SHEET_COLUMNS, texts, sizes, strict=True):
        pdf.rect(x, y, width, ROW_HEIGHT)
        if text:
            align = Align.C if label == "STT" else Align.L
            _text_box(pdf, x, y, width, ROW_HEIGHT, text, size=size, max_lines=2, align=align)
        x += width
    pdf.set_xy(_MARGIN, y + ROW_HEIGHT)


def _draw_group_heading(pdf: FPDF, heading: str) -> None:
    # keep a heading with at least its first row
    _room_for(pdf, _GROUP_HEIGHT + ROW_HEIGHT)
    y = pdf.get_y()
    width = sum(w for _, w in SHEET_COLUMNS)
    pdf.set_fill_color(242)
    pdf.rect(_MARGIN, y, width, _GROUP_HEIGHT, style="DF")
    _text_box(pdf, _MARGIN + 1, y, width - 2, _GROUP_HEIGHT, heading, size=10, max_lines=1)
    pdf.set_xy(_MARGIN, y + _GROUP_HEIGHT)


def _new_sheet(header: SheetHeader, title: str, font_path) -> _SheetPDF:
    pdf = _SheetPDF(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(_FONT, fname=find_font(font_path))
    pdf.set_lang("vi")
    pdf.set_title(nfc(f"{title} – {header.title}"))
    pdf.set_creator("outreach")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(False)
    pdf.alias_nb_pages()
    pdf.add_page()
    width = _A4[0] - 2 * _MARGIN
    pdf.set_xy(_MARGIN, _MARGIN)
    for text, size, max_lines in (
        (title, 14, 1),
        (header.title, 13, 3),
        (header.when_text, 10, 1),
        (header.venue_text, 10, 2),
        (header.hosts_text, 10, 2),
    ):
        if not text:
            continue
        pdf.set_font(_FONT, size=size)
        line_height = size * _PT * 1.35
        for line in _fit_lines(pdf, text, width, max_lines):
            pdf.set_x(_MARGIN)
            pdf.cell(width, line_height, line, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_x(_MARGIN)
    draw_sheet_head(pdf)
    pdf.table_started = True
    return pdf


def render_sign_in_sheet(
    header: SheetHeader,
    groups: list[SheetGroup],
    *,
    font_path: str | os.PathLike[str] | None = None,
) -> bytes:
    """The sign-in sheet: the rows of ``groups`` in order, numbered from 1 across groups.

    Pass one group with an empty heading for a list sorted by name.

    :raises FontNotFound: when no Unicode font can be found.
    """
    pdf = _new_sheet(header, SHEET_TITLE, font_path)
    number = 0
    for group in groups:
        if group.heading:
            _draw_group_heading(pdf, group.heading)
        for row in group.rows:
            number += 1
            _draw_row(pdf, number, row)
    return bytes(pdf.output())


def render_blank_sheet(
    header: SheetHeader, rows: int, *, font_path: str | os.PathLike[str] | None = None
) -> bytes:
    """A sheet of ``rows`` empty numbered rows for people who were not on the list.

    :raises ValueError: when ``rows`` is not positive.
    """
    if rows <= 0:
        raise ValueError("a blank sheet needs at least one row")
    pdf = _new_sheet(header, BLANK_SHEET_TITLE, font_path)
    for number in range(1, rows + 1):
        _draw_row(pdf, number, None)
    return bytes(pdf.output())


# --- badges -------------------------------------------------------------------------------------

BADGE_WIDTH = 90.0
BADGE_HEIGHT = 55.0
BADGE_COLUMNS = 2
BADGE_ROWS = 4
_GAP = 6.0
_BADGE_LEFT = (_A4[0] - BADGE_COLUMNS * BADGE_WIDTH - (BADGE_COLUMNS - 1) * _GAP) / 2
_BADGE_TOP = (_A4[1] - BADGE_ROWS * BADGE_HEIGHT - (BADGE_ROWS - 1) * _GAP) / 2
_BADGE_PAD = 4.0
_BADGE_QR = 30.0
_CUT_MARK = 3.0


@dataclass(frozen=True)
class BadgeInfo:
    """One name badge; ``code`` is the ticket code, the whole QR payload."""

    code: str
    full_name: str
    position: str
    cooperative: str
    conference_title: str


def _cut_marks(pdf: FPDF, x: float, y: float) -> None:
    """Short lines outside each corner, where the cutter goes; the badge keeps a thin border."""
    pdf.set_draw_color(120)
    pdf.set_line_width(0.2)
    right, bottom = x + BADGE_WIDTH, y + BADGE_HEIGHT
    gap = 1.0
    for cx, dx in ((x, -1), (right, 1)):
        for cy, dy in ((y, -1), (bottom, 1)):
            pdf.line(cx + dx * gap, cy, cx + dx * (gap + _CUT_MARK), cy)
            pdf.line(cx, cy + dy * gap, cx, cy + dy * (gap + _CUT_MARK))
    pdf.set_draw_color(200)
    pdf.rect(x, y, BADGE_WIDTH, BADGE_HEIGHT)


def _draw_badge(pdf: FPDF, badge: BadgeInfo, x: float, y: float) -> None:
    _cut_marks(pdf, x, y)
    inner = BADGE_WIDTH - 2 * _BADGE_PAD
    # the conference on a strip across the top
    _text_box(pdf, x + _BADGE_PAD, y + 2, inner, 9, badge.conference_title, size=7.5, max_lines=2)
    pdf.set_draw_color(160)
    pdf.line(x + _BADGE_PAD, y + 12, x + BADGE_WIDTH - _BADGE_PAD, y + 12)
    text_width = inner - _BADGE_QR - 2
    left = x + _BADGE_PAD
    _text_box(pdf, left, y + 14, text_width, 17, badge.full_name, size=15, max_lines=2)
    _text_box(pdf, left, y + 31, text_width, 8, badge.position, size=9, max_lines=2)
    _text_box(pdf, left, y + 39, text_width, 12, badge.cooperative, size=9, max_lines=3)
    pdf.image(
        io.BytesIO(make_qr_png(badge.code)),
        x=x + BADGE_WIDTH - _BADGE_PAD - _BADGE_QR,
        y=y + 16,
        w=_BADGE_QR,
        h=_BADGE_QR,
        alt_text=f"QR {badge.code}",
    )


def render_badges(
    badges: list[BadgeInfo], *, font_path: str | os.PathLike[str] | None = None
) -> bytes:
    """A4 pages of 90×55 mm badges, two across and four down, in the given order.

    :raises ValueError: when ``badges`` is empty.
    :raises FontNotFound: when no Unicode font can be found.
    """
    if not badges:
        raise ValueError("no badges to render")
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(_FONT, fname=find_font(font_path))
    pdf.set_lang("vi")
    pdf.set_title(nfc(badges[0].conference_title))
    pdf.set_creator("outreach")
    pdf.set_auto_page_break(False)
    per_page = BADGE_COLUMNS * BADGE_ROWS
    for index, badge in enumerate(badges):
        slot = index % per_page
        if slot == 0:
            pdf.add_page()
        column, row = slot % BADGE_COLUMNS, slot // BADGE_COLUMNS
        _draw_badge(
            pdf,
            badge,
            _BADGE_LEFT + column * (BADGE_WIDTH + _GAP),
            _BADGE_TOP + row * (BADGE_HEIGHT + _GAP),
        )
    return bytes(pdf.output())
