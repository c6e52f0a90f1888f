"""The report as an XLSX workbook (openpyxl): the headline numbers, one sheet per figure and
the needs list."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

#: a cell starting with one of these is a formula to Excel and LibreOffice
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]\*\?/\\:]")


def safe_cell(value):
    """Numbers stay numbers; text that a spreadsheet would run as a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", title).strip()[:28] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name.lower())
    return name


def _append(sheet, row: Sequence, *, bold: bool = False) -> None:
    sheet.append([safe_cell(v) for v in row])
    if bold:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)


def report_workbook(
    *,
    title: str,
    summary_title: str,
    summary: Sequence[tuple[str, int]],
    conference_table: Sequence[Sequence] = (),
    figures: Sequence = (),
    needs_title: str,
    needs_table: Sequence[Sequence[str]] = (),
) -> bytes:
    """``figures`` are report figures (``title``, ``label_heading``, ``columns``, ``rows``);
    ``conference_table`` and ``needs_table`` start with their heading row."""
    workbook = Workbook()
    used: set[str] = set()
    sheet = workbook.active
    sheet.title = _sheet_title(summary_title, used)
    _append(sheet, [title], bold=True)
    sheet.append([])
    for label, value in summary:
        _append(sheet, [label, value])
    if conference_table:
        sheet.append([])
        _append(sheet, conference_table[0], bold=True)
        for row in conference_table[1:]:
            _append(sheet, row)
    sheet.column_dimensions["A"].width = 48
    for figure in figures:
        sheet = workbook.create_sheet(_sheet_title(figure.title, used))
        _append(sheet, [figure.title], bold=True)
        _append(sheet, [figure.label_heading, *figure.columns], bold=True)
        for row in figure.rows:
            _append(sheet, [row.label, *row.values])
        sheet.column_dimensions["A"].width = 48
    if needs_table:
        sheet = workbook.create_sheet(_sheet_title(needs_title, used))
        _append(sheet, needs_table[0], bold=True)
        for row in needs_table[1:]:
            _append(sheet, row)
        for column in "ABCG":
            sheet.column_dimensions[column].width = 36
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
