"""Apply changes to an openpyxl workbook in place: only managed sheets and columns are written.

Rows are matched by key, so the user's own columns on a managed sheet stay beside the account
they belong to; new rows are appended, deleted objects' rows removed bottom-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tierform.adapters.tabular import Table, row_cells, row_key, to_cell
from tierform.sync.change import Change, Op
from tierform.sync.state import Kind, State
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


def ensure_header(ws: Any, table: Table, current: Table | None) -> dict[str, int]:
    """Column number (1-based) of every header of ``table``; renames our own columns whose
    label changed, clears our columns that are no longer managed, appends new ones."""
    from openpyxl.styles import Font

    header: dict[str, int] = {}
    for col in range(1, ws.max_column + 1):
        value = ws.cell(1, col).value
        if value is not None and str(value).strip() not in header:
            header[str(value).strip()] = col
    old_headers = {c.field: c.header for c in current.columns} if current else {}
    new_fields = {c.field for c in table.columns}
    for column in table.columns:
        old = old_headers.get(column.field)
        if old and old != column.header and old in header and column.header not in header:
            col = header.pop(old)
            ws.cell(1, col).value = column.header
            header[column.header] = col
    for field_name, old in old_headers.items():
        if field_name not in new_fields and old in header:
            col = header.pop(old)
            for row in ws.iter_rows(min_col=col, max_col=col):
                row[0].value = None
    for name in table.headers:
        if name not in header:
            width = max([0, *header.values(), _last_used_col(ws)]) + 1
            cell = ws.cell(1, width)
            write_cell(cell, to_cell(name, "text"))
            cell.font = Font(bold=True)
            header[name] = width
    return header


def _last_used_col(ws: Any) -> int:
    last = 0
    for col in range(1, ws.max_column + 1):
        if ws.cell(1, col).value is not None:
            last = col
    return last


def key_rows(ws: Any, table: Table, header: dict[str, int]) -> dict[tuple[Kind, str], int]:
    key_col = header[table.key_header]
    kind_col = header.get(table.kind_header) if table.kind_header else None
    out: dict[tuple[Kind, str], int] = {}
    for r in range(2, ws.max_row + 1):
        key = row_key(ws.cell(r, key_col).value)
        if key is None:
            continue
        kind = table.kinds[0]
        if kind_col is not None:
            try:
                kind = Kind(str(ws.cell(r, kind_col).value).strip())
            except ValueError:
                continue
        out.setdefault((kind, key), r)
    return out


def apply_to_sheet(
    ws: Any, table: Table, header: dict[str, int], changes: Sequence[Change], desired: State
) -> None:
    rows = key_rows(ws, table, header)
    columns = [header[h] for h in table.headers]
    types = {c.field: c.type for c in table.columns}
    field_col = {c.field: header[c.header] for c in table.columns}
    next_row = max(ws.max_row, 1) + 1
    doomed: list[int] = []
    for change in changes:
        where = rows.get((change.kind, change.key))
        if change.op is Op.delete:
            if where is not None:
                doomed.append(where)
            continue
        data = change.data or {}
        label = desired.label(change.kind, change.key) or change.label
        if where is None:
            cells = row_cells(table, change.kind, change.key, label, data)
            for col, value in zip(columns, cells, strict=True):
                write_cell(ws.cell(next_row, col), value)
            rows[(change.kind, change.key)] = next_row
            next_row += 1
            continue
        for diff in change.diffs:
            target = field_col.get(diff.field)
            if target is not None:
                write_cell(ws.cell(where, target), to_cell(data.get(diff.field), types[diff.field]))
        if table.label_header and label:
            write_cell(ws.cell(where, header[table.label_header]), to_cell(label, "text"))
    for start, count in _runs(sorted(doomed, reverse=True)):
        ws.delete_rows(start, count)


def _runs(desc: list[int]) -> list[tuple[int, int]]:
    """Descending row numbers as (first row, count) blocks, bottom block first."""
    out: list[tuple[int, int]] = []
    for r in desc:
        if out and out[-1][0] == r + 1:
            out[-1] = (r, out[-1][1] + 1)
        else:
            out.append((r, 1))
    return out
