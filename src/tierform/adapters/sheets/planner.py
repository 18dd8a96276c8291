"""Turn changes into one list of ``batchUpdate`` requests against the managed sheets.

Order inside the batch (requests run in order, all or nothing): new sheets (addSheet, marker,
header, rows); then per existing sheet header fixes, grid growth, cell updates and appended
rows; row deletions last, bottom-up, so earlier row numbers stay valid. Only managed sheets and
the managed columns of their rows are addressed; user columns and sheets never appear.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tierform.adapters.tabular import Table, row_cells, row_key, to_cell
from tierform.sync.change import Change, Op
from tierform.sync.state import Kind, State
from tierform.workbook.sheets import CELL_FIELDS, bold_header, cell_data, update_cells
from tierform.workbook.spec import Cell, Text

MARKER_KEY = "tierform.sheet"


@dataclass
class ManagedSheet:
    """A managed sheet as read: its table (from the marker), grid of plain values, metadata id."""

    sheet_id: int
    title: str
    table: Table
    metadata_id: int | None
    rows: list[list[Any]]
    row_count: int
    column_count: int


@dataclass
class Snapshot:
    """What the read saw: managed sheets by table key, and every sheet's id and title."""

    managed: dict[str, ManagedSheet] = field(default_factory=dict)
    sheet_ids: set[int] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)


def marker_value(table: Table) -> str:
    return json.dumps({"key": table.key, **table.marker()}, sort_keys=True, separators=(",", ":"))


def _free_id(key: str, used: set[int]) -> int:
    sheet_id = zlib.crc32(f"tierform:{key}".encode()) % 2_000_000_000 + 1
    while sheet_id in used:
        sheet_id += 1
    used.add(sheet_id)
    return sheet_id


def _free_title(title: str, used: set[str]) -> str:
    candidate, n = title, 1
    while candidate in used:
        n += 1
        candidate = f"{title} (tierform)" if n == 2 else f"{title} (tierform {n})"
    used.add(candidate)
    return candidate


def plan_requests(
    tables: Sequence[Table], changes: Sequence[Change], desired: State, snap: Snapshot
) -> list[dict[str, Any]]:
    by_kind: dict[Kind, list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, []).append(change)
    head: list[dict[str, Any]] = []
    body: list[dict[str, Any]] = []
    tail: list[dict[str, Any]] = []
    ids, titles = set(snap.sheet_ids), set(snap.titles)
    for table in tables:
        todo = [c for k in table.kinds for c in by_kind.get(k, [])]
        current = snap.managed.get(table.key)
        if current is None:
            head += _new_sheet(
                table, todo, desired, _free_id(table.key, ids), _free_title(table.title, titles)
            )
        else:
            b, t = _existing_sheet(table, todo, desired, current)
            body += b
            tail = t + tail  # later sheets' deletions do not move earlier sheets' rows
    return head + body + tail


def _new_sheet(
    table: Table, changes: Sequence[Change], desired: State, sheet_id: int, title: str
) -> list[dict[str, Any]]:
    rows = [
        row_cells(table, c.kind, c.key, desired.label(c.kind, c.key) or c.label, c.data or {})
        for c in changes
        if c.op is not Op.delete
    ]
    headers = table.headers
    out: list[dict[str, Any]] = [
        {
            "addSheet": {
                "properties": {
                    "sheetId": sheet_id,
                    "title": title,
                    "gridProperties": {
                        "rowCount": max(2, len(rows) + 1),
                        "columnCount": len(headers),
                        "frozenRowCount": 1,
                    },
                }
            }
        },
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": MARKER_KEY,
                    "metadataValue": marker_value(table),
                    "location": {"sheetId": sheet_id},
                    "visibility": "PROJECT",
                }
            }
        },
        update_cells(sheet_id, 0, 0, [Text(h) for h in headers]),
        bold_header(sheet_id, len(headers)),
    ]
    if rows:
        out.append(_block(sheet_id, 1, 0, rows))
    return out


def _block(sheet_id: int, row: int, col: int, rows: list[list[Cell]]) -> dict[str, Any]:
    width = max(len(r) for r in rows)
    return {
        "updateCells": {
            "range": {
                "sheetId": sheet_id,
                "startRowIndex": row,
                "endRowIndex": row + len(rows),
                "startColumnIndex": col,
                "endColumnIndex": col + width,
            },
            "rows": [{"values": [cell_data(c) for c in r]} for r in rows],
            "fields": CELL_FIELDS,
        }
    }


def _existing_sheet(
    table: Table, changes: Sequence[Change], desired: State, cur: ManagedSheet
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sid = cur.sheet_id
    out: list[dict[str, Any]] = []
    header_row = cur.rows[0] if cur.rows else []
    header: dict[str, int] = {}
    for i, h in enumerate(header_row):
        if h not in (None, "") and str(h).strip() not in header:
            header[str(h).strip()] = i
    used_cols = max([len(r) for r in cur.rows] + [0])
    old = {c.field: c.header for c in cur.table.columns}
    new_fields = {c.field for c in table.columns}
    for column in table.columns:  # our column's label changed: rename it in place
        was = old.get(column.field)
        if was and was != column.header and was in header and column.header not in header:
            col = header.pop(was)
            header[column.header] = col
            out.append(update_cells(sid, 0, col, [Text(column.header)]))
    for fname, was in old.items():  # our column no longer managed: clear it (header too)
        if fname not in new_fields and was in header:
            col = header.pop(was)
            out.append(
                {
                    "updateCells": {
                        "range": {
                            "sheetId": sid,
                            "startRowIndex": 0,
                            "endRowIndex": cur.row_count,
                            "startColumnIndex": col,
                            "endColumnIndex": col + 1,
                        },
                        "fields": CELL_FIELDS,
                    }
                }
            )
    missing = [h for h in table.headers if h not in header]
    columns = cur.column_count
    if missing:
        first = max(used_cols, max(header.values(), default=-1) + 1)
        need = first + len(missing) - columns
        if need > 0:
            out.append(
                {"appendDimension": {"sheetId": sid, "dimension": "COLUMNS", "length": need}}
            )
            columns += need
        for i, name in enumerate(missing):
            header[name] = first + i
            out.append(update_cells(sid, 0, first + i, [Text(name)]))
    if marker_value(table) != marker_value(cur.table):
        out.append(
            {
                "updateDeveloperMetadata": {
                    "dataFilters": [{"developerMetadataLookup": {"metadataId": cur.metadata_id}}],
                    "developerMetadata": {"metadataValue": marker_value(table)},
                    "fields": "metadataValue",
                }
            }
        )
    positions = [header[h] for h in table.headers]
    field_col = {c.field: header[c.header] for c in table.columns}
    types = {c.field: c.type for c in table.columns}
    rows = _key_rows(cur.rows, table, header)
    next_row = max(len(cur.rows), 1)
    appended: list[list[Cell]] = []
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
            appended.append(row_cells(table, change.kind, change.key, label, data))
            continue
        cells = {
            field_col[d.field]: to_cell(data.get(d.field), types[d.field])
            for d in change.diffs
            if d.field in field_col
        }
        if table.label_header and label:
            cells[header[table.label_header]] = Text(label)
        out += [update_cells(sid, where, start, run) for start, run in _runs(cells)]
    if appended:
        need = next_row + len(appended) - cur.row_count
        if need > 0:
            out.append({"appendDimension": {"sheetId": sid, "dimension": "ROWS", "length": need}})
        if positions == list(range(positions[0], positions[0] + len(positions))):
            out.append(_block(sid, next_row, positions[0], appended))
        else:
            for i, row in enumerate(appended):
                cells = dict(zip(positions, row, strict=True))
                out += [update_cells(sid, next_row + i, s, run) for s, run in _runs(cells)]
    deletes = [
        {
            "deleteDimension": {
                "range": {
                    "sheetId": sid,
                    "dimension": "ROWS",
                    "startIndex": start,
                    "endIndex": start + count,
                }
            }
        }
        for start, count in _blocks(sorted(doomed, reverse=True))
    ]
    return out, deletes


def _key_rows(
    grid: list[list[Any]], table: Table, header: dict[str, int]
) -> dict[tuple[Kind, str], int]:
    key_col = header.get(table.key_header)
    kind_col = header.get(table.kind_header) if table.kind_header else None
    out: dict[tuple[Kind, str], int] = {}
    if key_col is None:
        return out
    for r in range(1, len(grid)):
        row = grid[r]
        key = row_key(row[key_col] if key_col < len(row) else None)
        if key is None:
            continue
        kind = table.kinds[0]
        if kind_col is not None:
            try:
                kind = Kind(str(row[kind_col] if kind_col < len(row) else "").strip())
            except ValueError:
                continue
        out.setdefault((kind, key), r)
    return out


def _runs(cells: dict[int, Cell]) -> list[tuple[int, list[Cell]]]:
    """Cells by column as (first column, contiguous cells) runs."""
    out: list[tuple[int, list[Cell]]] = []
    for col in sorted(cells):
        if out and out[-1][0] + len(out[-1][1]) == col:
            out[-1][1].append(cells[col])
        else:
            out.append((col, [cells[col]]))
    return out


def _blocks(desc: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for r in desc:
        if out and out[-1][0] == r + 1:
            out[-1] = (r, out[-1][1] + 1)
        else:
            out.append((r, 1))
    return out
