"""The post-conference report as a PDF (fpdf2): the numbers, the charts and the needs summary,
in Vietnamese. Pure: the caller passes text already in the language to print."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos
from fpdf.enums import YPos
from fpdf.fonts import FontFace

from outreach.checkin.pdf import find_font
from outreach.reports import charts

_FONT = "report"
_WIDTH = 180.0  # A4 width less two 15 mm margins
#: needs listed one by one in the document; the XLSX export holds them all
NEEDS_LISTED_MAX = 300


def _nfc(text) -> str:
    # Without a shaping engine a decomposed tone mark would be drawn beside its vowel.
    return unicodedata.normalize("NFC", str(text))


class _ReportPdf(FPDF):
    footer_text = ""

    def footer(self):
        self.set_y(-12)
        self.set_font(_FONT, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def _heading(pdf: FPDF, text: str, size: float = 13) -> None:
    if pdf.get_y() > 250:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(_FONT, size=size)
    pdf.multi_cell(_WIDTH, size * 0.5, _nfc(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _table(
    pdf: FPDF, rows: Sequence[Sequence], widths: Sequence[float] | None = None, *, headings=True
) -> None:
    pdf.set_font(_FONT, size=9)
    style = FontFace(fill_color=(229, 231, 235))
    with pdf.table(
        col_widths=widths,
        headings_style=style,
        first_row_as_headings=headings,
        line_height=5,
        text_align="LEFT",
        width=_WIDTH,
    ) as table:
        for row in rows:
            cells = table.row()
            for value in row:
                if isinstance(value, int):
                    value = f"{value:,}".replace(",", ".")
                cells.cell(_nfc(value))
    pdf.ln(2)


def _chart(pdf: FPDF, figure, *, empty_text: str) -> None:
    svg = charts.figure_chart(
        figure, chart_id=figure.key, empty_text=empty_text, font_family=_FONT, accessible=False
    )
    data = svg.encode("utf-8")
    # height of the drawing in mm once scaled to the page width
    view_width, view_height = _svg_size(svg)
    height = _WIDTH * view_height / view_width
    if pdf.get_y() + height > 277:
        pdf.add_page()
    pdf.image(io.BytesIO(data), x=pdf.l_margin, y=pdf.get_y(), w=_WIDTH)
    pdf.set_y(pdf.get_y() + height + 2)


def _svg_size(svg: str) -> tuple[float, float]:
    start = svg.index('viewBox="') + len('viewBox="')
    _, _, width, height = svg[start : svg.index('"', start)].split()
    return float(width), float(height)


def report_pdf(
    *,
    title: str,
    subtitle_lines: Sequence[str],
    summary_title: str,
    summary: Sequence[tuple[str, int]],
    conference_table: Sequence[Sequence] = (),
    figures: Sequence = (),
    needs_title: str,
    needs_rows: Sequence[Sequence[str]] = (),
    more_needs_text: str = "",
    footer_text: str = "",
    empty_text: str = "—",
    font_path=None,
) -> bytes:
    """Render the report. ``figures`` are report figures (``key``, ``title``,
    ``label_heading``, ``columns``, ``rows``, ``chart``); ``conference_table`` and
    ``needs_rows`` start with their heading row.

    :raises outreach.checkin.pdf.FontNotFound: when no Vietnamese font is installed.
    """
    pdf = _ReportPdf(orientation="P", unit="mm", format="A4")
    pdf.footer_text = _nfc(footer_text)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font(_FONT, fname=str(find_font(font_path)))
    pdf.set_title(_nfc(title))
    pdf.add_page()
    pdf.set_font(_FONT, size=17)
    pdf.multi_cell(_WIDTH, 8, _nfc(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, size=10)
    for line in subtitle_lines:
        pdf.multi_cell(_WIDTH, 5, _nfc(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _heading(pdf, summary_title)
    _table(pdf, list(summary), widths=(130, 50), headings=False)
    if conference_table:
        _table(pdf, conference_table)
    for figure in figures:
        _heading(pdf, figure.title)
        _chart(pdf, figure, empty_text=empty_text)
        if figure.rows:
            label_width = 180 - 25 * len(figure.columns)
            _table(
                pdf,
                [[figure.label_heading, *figure.columns]]
                + [[row.label, *row.values] for row in figure.rows],
                widths=(label_width, *([25] * len(figure.columns))),
            )
    if len(needs_rows) > 1:
        _heading(pdf, needs_title)
        listed = list(needs_rows[: NEEDS_LISTED_MAX + 1])
        _table(pdf, listed, widths=(40, 35, 25, 80))
        if more_needs_text:
            pdf.set_font(_FONT, size=9)
            pdf.multi_cell(_WIDTH, 5, _nfc(more_needs_text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
