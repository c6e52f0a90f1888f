"""The printable progress report of a plan (A4 landscape), drawn with fpdf2.

Layout as departments file such reports: the issuing body and the national motto at the top,
a title naming the plan, then one table row per item: STT, item, division, deadline, status and
notes, and the date of the report. Takes plain strings, so it needs no database.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

from fpdf import FPDF
from fpdf import FontFace
from fpdf.enums import XPos
from fpdf.enums import YPos

from outreach.checkin.pdf import find_font

_FAMILY = "report"


@dataclasses.dataclass(frozen=True)
class ReportRow:
    section: str
    title: str
    division: str
    deadline: str
    status: str
    notes: str
    is_overdue: bool = False


@dataclasses.dataclass(frozen=True)
class ProgressReport:
    issuing_body: str
    plan_number: str
    plan_title: str
    heading: str
    dated: str
    column_titles: tuple[str, ...]
    rows: list[ReportRow]
    national_motto: tuple[str, str] = (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    )


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def render_progress_report(report: ProgressReport, *, font_path: str | None = None) -> bytes:
    """Return the PDF bytes of ``report``.

    :raises FontNotFound: when no Vietnamese-capable font is available.
    """
    font = Path(find_font(font_path))
    bold = font.with_name(font.name.replace("Regular", "Bold"))
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font(_FAMILY, fname=str(font))
    pdf.add_font(_FAMILY, style="B", fname=str(bold if bold.is_file() else font))
    pdf.set_title(_nfc(f"{report.heading} {report.plan_number}"))
    pdf.add_page()
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    top = pdf.get_y()
    pdf.set_font(_FAMILY, "B", 11)
    pdf.multi_cell(half, 6, _nfc(report.issuing_body.upper()), align="C")
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.multi_cell(half, 6, _nfc(report.national_motto[0]), align="C")
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font(_FAMILY, "", 11)
    pdf.multi_cell(half, 6, _nfc(report.national_motto[1]), align="C")
    pdf.ln(4)
    pdf.set_font(_FAMILY, "B", 14)
    pdf.multi_cell(0, 8, _nfc(report.heading.upper()), align="C", new_x=XPos.LMARGIN)
    pdf.set_font(_FAMILY, "", 11)
    pdf.multi_cell(
        0,
        6,
        _nfc(f"{report.plan_number} – {report.plan_title}"),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.multi_cell(0, 6, _nfc(report.dated), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(_FAMILY, "", 9)
    with pdf.table(
        col_widths=(10, 14, 78, 38, 22, 26, 85),
        text_align=("CENTER", "CENTER", "LEFT", "LEFT", "CENTER", "LEFT", "LEFT"),
        line_height=5,
        first_row_as_headings=True,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
    ) as table:
        header = table.row()
        for title in report.column_titles:
            header.cell(_nfc(title))
        for index, row in enumerate(report.rows, start=1):
            cells = table.row()
            for value in (
                str(index),
                row.section,
                row.title,
                row.division,
                row.deadline,
                row.status,
                row.notes,
            ):
                cells.cell(_nfc(value))
    return bytes(pdf.output())
