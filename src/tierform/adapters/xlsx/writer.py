"""Replay a sheet edit (:mod:`tierform.adapters.sheet_edit`) on an openpyxl worksheet in place.

Only managed sheets and columns are written; openpyxl is 1-based, the plan 0-based.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tierform.adapters.sheet_edit import SheetEdit, key_rows, plan_header, plan_rows
from tierform.adapters.tabular import Table, to_cell
from tierform.sync.change import Change
from tierform.sync.state import State
from tierform.workbook.xlsx import write_cell


def managed_sheet(wb: Any, table: Table, current: Table | None) -> Any:
    """The worksheet for ``table``: the marked one, else a new one with a free title."""
    if current is not None and current.title in wb.sheetnames:
        return wb[current.title]
    title = table.title
    n = 1
    while title in wb.sheetnames:  # a user sheet already has our title: never take it over
        n += 1
        title = f"{table.title} (tierform {n})" if n > 2 else f"{table.title} (tierform)"
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    return ws


def edit_sheet(
    ws: Any, table: Table, current: Table | None, changes: Sequence[Change], desired: State
) -> None:
    """Plan the edit of ``ws`` for ``changes`` and write it."""
    header_row = [c.value for c in ws[1]] if ws.max_row >= 1 else []
    used = max((c.column for c in ws[1] if c.value is not None), default=0)
    edit = plan_header(table, current, header_row, max(used, _used_width(ws)))
    _write_header(ws, edit)
    if not changes:
        return
    key_col = edit.header[table.key_header] + 1
    kind_col = edit.header[table.kind_header] + 1 if table.kind_header else None
    keys = _column(ws, key_col)
    kinds = _column(ws, kind_col) if kind_col else None
    plan_rows(edit, table, key_rows(table, keys, kinds), ws.max_row, changes, desired)
    _write_rows(ws, edit)


def _used_width(ws: Any) -> int:
    return ws.max_column if ws.max_row > 1 or ws.cell(1, 1).value is not None else 0


def _column(ws: Any, col: int) -> list[Any]:
    return [row[0] for row in ws.iter_rows(min_row=2, min_col=col, max_col=col, values_only=True)]


def _write_header(ws: Any, edit: SheetEdit) -> None:
    from openpyxl.styles import Font

    for col, name in edit.renamed:
        ws.cell(1, col + 1).value = name
    for col in edit.cleared_columns:
        for row in ws.iter_rows(min_col=col + 1, max_col=col + 1):
            row[0].value = None
    for col, name in edit.added_headers:
        cell = ws.cell(1, col + 1)
        write_cell(cell, to_cell(name, "text"))
        cell.font = Font(bold=True)


def _write_rows(ws: Any, edit: SheetEdit) -> None:
    for row, cells in edit.updates.items():
        for col, value in cells.items():
            write_cell(ws.cell(row + 1, col + 1), value)
    for i, cells_in_row in enumerate(edit.appended):
        r = edit.first_new_row + i + 1
        for col, value in zip(edit.positions, cells_in_row, strict=True):
            write_cell(ws.cell(r, col + 1), value)
