"""Printable PDF tickets: two per A4 page, each with the event, the person and their QR code.

Vietnamese needs a Unicode TrueType font (the PDF core fonts have no ữ or ặ). The font is found
by :func:`find_font`: an explicit path first, then a font shipped by a PyPI package if one is
installed (``ttf-opensans``), then the usual system locations of DejaVu Sans and Noto Sans.
"""

from __future__ import annotations

import importlib.util
import io
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align
from fpdf.enums import MethodReturnValue
from fpdf.enums import XPos
from fpdf.enums import YPos

from outreach.checkin.qr import make_qr_png
from outreach.checkin.tickets import format_ticket_code

DOOR_NOTE = "Xuất trình mã này tại cửa"

#: Checked in order after an explicit path and a packaged font; Debian's ``fonts-dejavu-core``
#: provides the first one, Fedora and Arch put the same file elsewhere.
SYSTEM_FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/noto/NotoSans-Regular.ttf"),
)

_FONT_FAMILY = "ticket"
# A4 portrait cut in two across the middle: each ticket is an A5 landscape half, which an office
# printer prints without scaling and a paper cutter halves along the dashed line.
_PAGE_WIDTH = 210.0
_HALF_HEIGHT = 148.5
_MARGIN = 12.0
_QR_SIZE = 64.0
_QR_COLUMN = 74.0
_TEXT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN - _QR_COLUMN - 6.0
_GROUPS_PER_LINE = 4


class FontNotFound(RuntimeError):
    """No Unicode font for Vietnamese text could be found on this machine."""


@dataclass(frozen=True)
class TicketInfo:
    """What one printed ticket shows; all text is already in the language to print."""

    code: str
    full_name: str
    position: str
    cooperative_name: str
    conference_title: str
    when_text: str
    venue_text: str


def _packaged_font() -> Path | None:
    # ttf-opensans ships Open Sans (full Vietnamese coverage) as a plain wheel; it is optional,
    # so look for it without importing anything at module load.
    spec = importlib.util.find_spec("ttf_opensans")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "ttf" / "OpenSans-Regular.ttf"
    return path if path.is_file() else None


def find_font(
    font_path: str | os.PathLike[str] | None = None,
    *,
    candidates: tuple[Path, ...] = SYSTEM_FONT_PATHS,
) -> Path:
    """Return the path of a TrueType font that can draw Vietnamese.

    :raises FontNotFound: when ``font_path`` is given but is not a file, or when no packaged
        font and none of ``candidates`` exists. The message says what to install.
    """
    if font_path is not None:
        path = Path(font_path)
        if not path.is_file():
            raise FontNotFound(f"Font file not found: {path}")
        return path
    packaged = _packaged_font()
    if packaged is not None:
        return packaged
    for path in candidates:
        if path.is_file():
            return path
    raise FontNotFound(
        "No Unicode font for Vietnamese tickets was found. Install the Debian package "
        "fonts-dejavu-core (apt-get install fonts-dejavu-core), or `pip install ttf-opensans`, "
        "or pass font_path= pointing to a .ttf file. Looked in: "
        + ", ".join(str(p) for p in candidates)
    )


def _nfc(text: str) -> str:
    # Without a shaping engine a decomposed tone mark is drawn as a separate glyph beside its
    # vowel; composed characters have ready-made glyphs in the font.
    return " ".join(unicodedata.normalize("NFC", text).split())


def _write_lines(
    pdf: FPDF,
    text: str,
    *,
    size: float,
    max_lines: int,
    width: float = _TEXT_WIDTH,
    align: Align = Align.L,
) -> None:
    """Write wrapped text at the current position, cut to ``max_lines`` with an ellipsis so a
    long name can never run into the other half of the page."""
    pdf.set_font(_FONT_FAMILY, size=size)
    line_height = size * 0.3528 * 1.35  # points to mm, plus leading
    lines = pdf.multi_cell(
        width, line_height, _nfc(text), dry_run=True, output=MethodReturnValue.LINES
    )
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip() + "…"
    x = pdf.get_x()
    for line in lines:
        pdf.set_x(x)
        pdf.cell(width, line_height, line, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _draw_ticket(pdf: FPDF, ticket: TicketInfo, top: float) -> None:
    left = _MARGIN
    pdf.set_xy(left, top + _MARGIN)
    _write_lines(pdf, ticket.conference_title, size=14, max_lines=3)
    pdf.ln(1)
    pdf.set_x(left)
    _write_lines(pdf, ticket.when_text, size=11, max_lines=2)
    pdf.set_x(left)
    _write_lines(pdf, ticket.venue_text, size=11, max_lines=3)

    pdf.set_draw_color(160)
    rule_y = pdf.get_y() + 3
    pdf.line(left, rule_y, left + _TEXT_WIDTH, rule_y)
    pdf.set_xy(left, rule_y + 4)
    _write_lines(pdf, ticket.full_name, size=18, max_lines=2)
    pdf.set_x(left)
    _write_lines(pdf, ticket.position, size=11, max_lines=2)
    pdf.set_x(left)
    _write_lines(pdf, ticket.cooperative_name, size=12, max_lines=3)

    column_left = _PAGE_WIDTH - _MARGIN - _QR_COLUMN
    qr_x = column_left + (_QR_COLUMN - _QR_SIZE) / 2
    qr_y = top + _MARGIN
    pdf.image(
        io.BytesIO(make_qr_png(ticket.code)),
        x=qr_x,
        y=qr_y,
        w=_QR_SIZE,
        h=_QR_SIZE,
        alt_text=f"QR {ticket.code}",
    )
    # The code under the QR is the fallback when a scan fails, so it is printed big enough to
    # type, in groups of four, wrapped at group boundaries to fit the column.
    groups = format_ticket_code(ticket.code).split(" ")
    pdf.set_font(_FONT_FAMILY, size=12)
    pdf.set_xy(column_left, qr_y + _QR_SIZE + 2)
    for i in range(0, len(groups), _GROUPS_PER_LINE):
        line = " ".join(groups[i : i + _GROUPS_PER_LINE])
        pdf.set_x(column_left)
        pdf.cell(_QR_COLUMN, 6, line, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_x(column_left)
    _write_lines(pdf, DOOR_NOTE, size=11, max_lines=2, width=_QR_COLUMN, align=Align.C)


def render_tickets_pdf(
    tickets: list[TicketInfo], *, font_path: str | os.PathLike[str] | None = None
) -> bytes:
    """Return a PDF with one ticket per half A4 page, in the given order.

    :raises ValueError: when ``tickets`` is empty.
    :raises FontNotFound: when no Unicode font can be found (see :func:`find_font`).
    """
    if not tickets:
        raise ValueError("no tickets to render")
    font = find_font(font_path)
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.add_font(_FONT_FAMILY, fname=font)
    pdf.set_lang("vi")
    pdf.set_title(_nfc(tickets[0].conference_title))
    pdf.set_creator("outreach")
    for index, ticket in enumerate(tickets):
        half = index % 2
        if half == 0:
            pdf.add_page()
        else:
            pdf.set_draw_color(120)
            pdf.set_dash_pattern(dash=2, gap=2)
            pdf.line(0, _HALF_HEIGHT, _PAGE_WIDTH, _HALF_HEIGHT)
            pdf.set_dash_pattern()
        _draw_ticket(pdf, ticket, top=half * _HALF_HEIGHT)
    return bytes(pdf.output())
