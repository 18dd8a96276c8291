"""One planner for editing a managed sheet in place, drawn by both spreadsheet sinks.

Given a managed sheet as it is (its header row, its key column, how wide and long it is) and
the changes for its table, :func:`plan_edit` decides every edit in sink-neutral terms (0-based
rows and columns, row 0 the header): which of our headers to rename, clear or add, which cells
of which existing rows to write, which rows to append and which rows to delete (bottom-up
blocks). The xlsx adapter replays it on an openpyxl worksheet; the Sheets adapter turns it into
``batchUpdate`` requests. Rows are matched by key, so the user's own columns stay beside the
object they belong to; the user's columns and cells are never addressed.

Rows are never deleted: an object that leaves the model keeps its row, its key cell becomes
``removed: <key>`` and tierform's cells in it are cleared. Deleting rows would shift every user
formula beside or below them onto other accounts (and costs a rewrite of the sheet per block).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.tabular import REMOVED_PREFIX, Table, row_cells, row_key, to_cell
from tierform.sync.change import Change, Op
from tierform.sync.state import Kind, State
from tierform.workbook.spec import Cell, Text


@dataclass
class SheetEdit:
    """Every edit of one sheet; coordinates are 0-based, row 0 is the header."""

    header: dict[str, int]
    renamed: list[tuple[int, str]] = field(default_factory=list)
    cleared_columns: list[int] = field(default_factory=list)
    added_headers: list[tuple[int, str]] = field(default_factory=list)
    updates: dict[int, dict[int, Cell]] = field(default_factory=dict)
    first_new_row: int = 1
    appended: list[list[Cell]] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    @property
    def width(self) -> int:
        """Columns the sheet needs after the edit."""
        return max([*self.header.values(), -1]) + 1


def header_index(header_row: Sequence[Any]) -> dict[str, int]:
    """Header text -> column (the first of duplicates), blanks ignored."""
    out: dict[str, int] = {}
    for i, h in enumerate(header_row):
        if h not in (None, "") and str(h).strip() not in out:
            out[str(h).strip()] = i
    return out


def key_rows(
    table: Table, keys: Sequence[Any], kinds: Sequence[Any] | None
) -> dict[tuple[Kind, str], int]:
    """Row of each (kind, key) from the key column (and kind column) values of rows 1..n."""
    out: dict[tuple[Kind, str], int] = {}
    for r, raw in enumerate(keys, start=1):
        key = row_key(raw)
        if key is None or key.startswith(REMOVED_PREFIX):
            continue
        kind = table.kinds[0]
        if kinds is not None:
            try:
                kind = Kind(str(kinds[r - 1] if r - 1 < len(kinds) else "").strip())
            except ValueError:
                continue
        out.setdefault((kind, key), r)
    return out


def plan_header(
    table: Table, current: Table | None, header_row: Sequence[Any], used_width: int
) -> SheetEdit:
    """Header edits: our columns whose label changed are renamed in place, columns we no longer
    manage are cleared, missing ones are added after everything the sheet already uses."""
    edit = SheetEdit(header_index(header_row))
    header = edit.header
    old = {c.field: c.header for c in current.columns} if current else {}
    new_fields = {c.field for c in table.columns}
    for column in table.columns:
        was = old.get(column.field)
        if was and was != column.header and was in header and column.header not in header:
            col = header.pop(was)
            header[column.header] = col
            edit.renamed.append((col, column.header))
    for name, was in old.items():
        if name not in new_fields and was in header:
            edit.cleared_columns.append(header.pop(was))
    first = max(used_width, max(header.values(), default=-1) + 1)
    for name in table.headers:
        if name not in header:
            header[name] = first
            edit.added_headers.append((first, name))
            first += 1
    return edit


def plan_rows(
    edit: SheetEdit,
    table: Table,
    rows: dict[tuple[Kind, str], int],
    row_count: int,
    changes: Sequence[Change],
    desired: State,
) -> SheetEdit:
    """Row edits for ``changes``: diffs written into the object's row, new objects appended
    after the last used row, deleted objects' rows marked removed (see the module docstring)."""
    header = edit.header
    edit.positions = [header[h] for h in table.headers]
    field_col = {c.field: header[c.header] for c in table.columns}
    types = {c.field: c.type for c in table.columns}
    edit.first_new_row = max(row_count, 1)
    for change in changes:
        where = rows.get((change.kind, change.key))
        if change.op is Op.delete:
            if where is not None:
                cells = edit.updates.setdefault(where, {})
                cells[header[table.key_header]] = Text(f"{REMOVED_PREFIX}{change.key}")
                cells.update(dict.fromkeys(field_col.values()))
                edit.removed.append(where)
            continue
        data = change.data or {}
        label = desired.label(change.kind, change.key) or change.label
        if where is None:
            edit.appended.append(row_cells(table, change.kind, change.key, label, data))
            continue
        cells = edit.updates.setdefault(where, {})
        for diff in change.diffs:
            col = field_col.get(diff.field)
            if col is not None:
                cells[col] = to_cell(data.get(diff.field), types[diff.field])
        if table.label_header and label:
            cells[header[table.label_header]] = Text(label)
    return edit


def column_runs(cells: dict[int, Cell]) -> list[tuple[int, list[Cell]]]:
    """Cells by column as (first column, contiguous cells) runs."""
    out: list[tuple[int, list[Cell]]] = []
    for col in sorted(cells):
        if out and out[-1][0] + len(out[-1][1]) == col:
            out[-1][1].append(cells[col])
        else:
            out.append((col, [cells[col]]))
    return out
