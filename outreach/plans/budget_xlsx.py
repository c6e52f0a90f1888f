"""The conference budget as an XLSX workbook finance can file: title rows, then STT / Nội dung /
Đơn vị tính / Số lượng / Đơn giá / Thành tiền (dự toán) / Thực chi, and a totals row.
Amounts are whole đồng written as integers with a thousands format."""

from __future__ import annotations

import dataclasses
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.styles import Border
from openpyxl.styles import Font
from openpyxl.styles import Side

COLUMN_TITLES = (
    "STT",
    "Nội dung",
    "Đơn vị tính",
    "Số lượng",
    "Đơn giá",
    "Thành tiền (dự toán)",
    "Thực chi",
)
MONEY_FORMAT = "#,##0"
_WIDTHS = (6, 60, 14, 12, 16, 22, 18)


@dataclasses.dataclass(frozen=True)
class SheetRow:
    description: str
    unit_label: str
    quantity: int
    unit_cost_vnd: int
    estimate_vnd: int
    actual_vnd: int


@dataclasses.dataclass(frozen=True)
class BudgetSheet:
    title: str
    subtitle_lines: tuple[str, ...]
    rows: list[SheetRow]
    estimate_total: int
    actual_total: int
    total_label: str = "Tổng cộng"


def build_budget_workbook(sheet: BudgetSheet) -> bytes:
    """Return the XLSX bytes of one conference budget."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Du toan"
    last_column = len(COLUMN_TITLES)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    ws.cell(row=1, column=1, value=sheet.title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_column)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", wrap_text=True)
    row_number = 2
    for line in sheet.subtitle_lines:
        ws.cell(row=row_number, column=1, value=line).alignment = Alignment(horizontal="center")
        ws.merge_cells(
            start_row=row_number, start_column=1, end_row=row_number, end_column=last_column
        )
        row_number += 1
    row_number += 1
    header_row = row_number
    for column, title in enumerate(COLUMN_TITLES, start=1):
        cell = ws.cell(row=header_row, column=column, value=title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for index, item in enumerate(sheet.rows, start=1):
        values = (
            index,
            item.description,
            item.unit_label,
            item.quantity,
            item.unit_cost_vnd,
            item.estimate_vnd,
            item.actual_vnd,
        )
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=header_row + index, column=column, value=value)
            cell.border = border
            if column >= 4:
                cell.number_format = MONEY_FORMAT
            if column == 2:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    total_row = header_row + len(sheet.rows) + 1
    ws.cell(row=total_row, column=2, value=sheet.total_label).font = Font(bold=True)
    for column, value in ((6, sheet.estimate_total), (7, sheet.actual_total)):
        cell = ws.cell(row=total_row, column=column, value=value)
        cell.font = Font(bold=True)
        cell.number_format = MONEY_FORMAT
    for column in range(1, last_column + 1):
        ws.cell(row=total_row, column=column).border = border
    for column, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[chr(ord("A") + column - 1)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
